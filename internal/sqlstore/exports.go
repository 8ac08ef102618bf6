package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"safelight/internal/blob"
	"safelight/internal/privacy"
)

var _ privacy.ExportStore = (*Store)(nil)

const exportColumns = `id, user_id, state, blob_ref, size, failure, created_at, claimed_at, ready_at, expires_at, downloaded_at`

func scanExport(row interface{ Scan(...any) error }) (privacy.Export, error) {
	var e privacy.Export
	var state, ref string
	var created, claimed, ready, expires, downloaded int64
	err := row.Scan(&e.ID, &e.UserID, &state, &ref, &e.Size, &e.Failure, &created, &claimed, &ready, &expires, &downloaded)
	e.State, e.BlobRef = privacy.ExportState(state), blob.Ref(ref)
	e.CreatedAt, e.ClaimedAt, e.ReadyAt = fromMicros(created), fromMicros(claimed), fromMicros(ready)
	e.ExpiresAt, e.DownloadedAt = fromMicros(expires), fromMicros(downloaded)
	return e, err
}

// CreateExport implements privacy.ExportStore. The partial unique index
// exports_one_in_progress makes the insert do nothing while the user has
// an export pending or building; that one is then read and returned. If
// it finished in between, the insert is tried again.
func (s *Store) CreateExport(ctx context.Context, e privacy.Export) (privacy.Export, bool, error) {
	for range 3 {
		res, err := s.write.ExecContext(ctx, `INSERT INTO exports (id, user_id, state, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, e.ID, e.UserID, string(privacy.ExportPending), micros(e.CreatedAt))
		if err != nil {
			return privacy.Export{}, false, s.errorf("sqlstore: create export: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return privacy.Export{}, false, s.errorf("sqlstore: create export: %w", err)
		} else if n == 1 {
			e.State = privacy.ExportPending
			return e, true, nil
		}
		got, err := scanExport(s.write.QueryRowContext(ctx, `SELECT `+exportColumns+` FROM exports
			WHERE user_id = $1 AND state IN ('pending', 'building')`, e.UserID))
		if err == nil {
			return got, false, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return privacy.Export{}, false, s.errorf("sqlstore: create export: %w", err)
		}
	}
	return privacy.Export{}, false, fmt.Errorf("sqlstore: create export: the user's export kept changing state; try again")
}

// ExportByID implements privacy.ExportStore.
func (s *Store) ExportByID(ctx context.Context, userID, id string) (privacy.Export, error) {
	e, err := scanExport(s.read.QueryRowContext(ctx, `SELECT `+exportColumns+` FROM exports WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil {
		return privacy.Export{}, s.errorf("sqlstore: export %s: %w", id, notFound(err, privacy.ErrExportNotFound))
	}
	return e, nil
}

// LatestExport implements privacy.ExportStore.
func (s *Store) LatestExport(ctx context.Context, userID string) (privacy.Export, error) {
	e, err := scanExport(s.read.QueryRowContext(ctx, `SELECT `+exportColumns+` FROM exports WHERE user_id = $1
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID))
	if err != nil {
		return privacy.Export{}, s.errorf("sqlstore: latest export: %w", notFound(err, privacy.ErrExportNotFound))
	}
	return e, nil
}

// ClaimExport implements privacy.ExportStore: the state condition is
// repeated in the outer WHERE, so of two builders choosing the same row
// only the first update matches it; the other finds nothing and tries the
// next.
func (s *Store) ClaimExport(ctx context.Context, now, staleBefore time.Time) (privacy.Export, error) {
	for range 10 {
		var id string
		err := s.read.QueryRowContext(ctx, `SELECT id FROM exports
			WHERE state = 'pending' OR (state = 'building' AND claimed_at < $1)
			ORDER BY created_at, id LIMIT 1`, micros(staleBefore)).Scan(&id)
		if err != nil {
			return privacy.Export{}, s.errorf("sqlstore: claim export: %w", notFound(err, privacy.ErrExportNotFound))
		}
		e, err := scanExport(s.write.QueryRowContext(ctx, `UPDATE exports SET state = 'building', claimed_at = $1
			WHERE id = $2 AND (state = 'pending' OR (state = 'building' AND claimed_at < $3))
			RETURNING `+exportColumns, micros(now), id, micros(staleBefore)))
		if err == nil {
			return e, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return privacy.Export{}, s.errorf("sqlstore: claim export: %w", err)
		}
	}
	return privacy.Export{}, fmt.Errorf("sqlstore: claim export: %w", privacy.ErrExportNotFound)
}

// FinishExport implements privacy.ExportStore.
func (s *Store) FinishExport(ctx context.Context, id string, ref blob.Ref, size int64, readyAt, expiresAt time.Time) error {
	return s.updateOne(ctx, "finish export", privacy.ErrExportNotFound,
		`UPDATE exports SET state = 'ready', blob_ref = $1, size = $2, ready_at = $3, expires_at = $4
		WHERE id = $5 AND state = 'building'`, string(ref), size, micros(readyAt), micros(expiresAt), id)
}

// FailExport implements privacy.ExportStore.
func (s *Store) FailExport(ctx context.Context, id, reason string) error {
	return s.updateOne(ctx, "fail export", privacy.ErrExportNotFound,
		`UPDATE exports SET state = 'failed', failure = $1 WHERE id = $2 AND state = 'building'`, reason, id)
}

// SetExportLink implements privacy.ExportStore.
func (s *Store) SetExportLink(ctx context.Context, userID, id string, hash []byte, now time.Time) error {
	return s.updateOne(ctx, "set export link", privacy.ErrExportNotFound,
		`UPDATE exports SET link_hash = $1 WHERE id = $2 AND user_id = $3 AND state = 'ready' AND expires_at > $4`,
		hash, id, userID, micros(now))
}

// UseExportLink implements privacy.ExportStore.
func (s *Store) UseExportLink(ctx context.Context, userID string, hash []byte, now time.Time) (privacy.Export, error) {
	e, err := scanExport(s.write.QueryRowContext(ctx, `UPDATE exports SET state = 'downloaded', downloaded_at = $1, link_hash = NULL
		WHERE link_hash = $2 AND user_id = $3 AND state = 'ready' AND expires_at > $1
		RETURNING `+exportColumns, micros(now), hash, userID))
	if err != nil {
		return privacy.Export{}, s.errorf("sqlstore: use export link: %w", notFound(err, privacy.ErrExportNotFound))
	}
	return e, nil
}

// ExportsToSweep implements privacy.ExportStore.
func (s *Store) ExportsToSweep(ctx context.Context, now time.Time, limit int) ([]privacy.Export, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+exportColumns+` FROM exports
		WHERE blob_ref <> '' AND (state IN ('downloaded', 'expired', 'failed') OR (state = 'ready' AND expires_at <= $1))
		ORDER BY created_at, id LIMIT $2`, micros(now), limit)
	if err != nil {
		return nil, s.errorf("sqlstore: exports to sweep: %w", err)
	}
	defer rows.Close()
	var out []privacy.Export
	for rows.Next() {
		e, err := scanExport(rows)
		if err != nil {
			return nil, s.errorf("sqlstore: exports to sweep: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("sqlstore: exports to sweep: %w", err)
	}
	return out, nil
}

// ClearExportBlob implements privacy.ExportStore.
func (s *Store) ClearExportBlob(ctx context.Context, id string) error {
	return s.updateOne(ctx, "clear export blob", privacy.ErrExportNotFound,
		`UPDATE exports SET blob_ref = '', link_hash = NULL,
			state = CASE WHEN state = 'ready' THEN 'expired' ELSE state END WHERE id = $1`, id)
}

// exportQuery is one table's rows about a user. $1 is the user's id, $2
// the account's e-mail address (members, jurors and guests are named by
// address). Secret hashes, wrapped keys and sealed values are never
// selected; the completeness test (internal/app) keeps the list whole
// and its allow-list says why each left-out column is left out.
type exportQuery struct {
	table string
	query string
}

// ownProjects and guestIDs are subqueries used below.
const (
	ownProjects = `(SELECT id FROM projects WHERE owner_id = $1)`
	guestIDs    = `(SELECT id FROM link_guests WHERE email = $2)`
)

var exportQueries = []exportQuery{
	{"users", `SELECT id, email, name, created_at, updated_at, email_verified_at, disabled_at, restricted_at FROM users WHERE id = $1 AND email = $2`},
	{"user_roles", `SELECT user_id, role FROM user_roles WHERE user_id = $1`},
	{"sessions", `SELECT id, user_id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions WHERE user_id = $1 ORDER BY created_at`},
	{"api_tokens", `SELECT id, user_id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at`},
	{"devices", `SELECT id, user_id, created_at FROM devices WHERE user_id = $1 ORDER BY created_at`},
	{"pending_logins", `SELECT id, user_id, device_id, created_at, expires_at, failures, ip, user_agent FROM pending_logins WHERE user_id = $1`},
	{"mfa_totp", `SELECT user_id, confirmed_at, last_step, created_at FROM mfa_totp WHERE user_id = $1`},
	{"mfa_recovery_codes", `SELECT user_id, created_at, used_at FROM mfa_recovery_codes WHERE user_id = $1 ORDER BY created_at`},
	{"passkeys", `SELECT id, user_id, name, aaguid, attestation_format, transports, sign_count, user_verified, backup_eligible, backup_state, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at`},
	{"webauthn_ceremonies", `SELECT user_id, kind, pending_id, created_at, expires_at FROM webauthn_ceremonies WHERE user_id = $1`},
	{"email_tokens", `SELECT id, user_id, purpose, email, created_at, expires_at, used_at FROM email_tokens WHERE user_id = $1 OR email = $2 ORDER BY created_at`},
	{"invites", `SELECT id, email, created_by, created_at, expires_at, used_at FROM invites WHERE created_by = $1 OR email = $2 ORDER BY created_at`},
	{"audit_events", `SELECT id, seq, at, type, actor_id, subject_id, ip, user_agent, details FROM audit_events WHERE (actor_id = $1 OR subject_id = $1) ORDER BY at, id`},
	{"access_events", `SELECT id, asset_id, owner_id, at, actor_id, actor_label, via, action FROM access_events WHERE (owner_id = $1 OR actor_id = $1) ORDER BY at, id`},
	{"library_settings", `SELECT owner_id, keep_copyright FROM library_settings WHERE owner_id = $1`},
	{"projects", `SELECT id, owner_id, name, description, cover_id, show_camera, created_at, updated_at FROM projects WHERE owner_id = $1 ORDER BY created_at`},
	{"project_assets", `SELECT project_id, asset_id, position, added_at FROM project_assets WHERE project_id IN ` + ownProjects + ` ORDER BY project_id, position`},
	{"project_members", `SELECT id, project_id, email, role, download, invited_by, created_at FROM project_members WHERE project_id IN ` + ownProjects + ` OR email = $2 OR invited_by = $1 ORDER BY created_at`},
	{"review_links", `SELECT id, project_id, CASE WHEN password_hash <> '' THEN 1 ELSE 0 END AS has_password, password_version, download, watermark, expires_at, created_by, created_at, revoked_at FROM review_links WHERE (project_id IN ` + ownProjects + ` OR created_by = $1) ORDER BY created_at`},
	{"link_guests", `SELECT id, link_id, name, email, created_at FROM link_guests WHERE $1 <> '' AND email = $2 ORDER BY created_at`},
	{"review_marks", `SELECT project_id, asset_id, reviewer_kind, reviewer_id, rating, label, flag, updated_at FROM review_marks WHERE (reviewer_kind = 'user' AND reviewer_id = $1) OR (reviewer_kind = 'guest' AND reviewer_id IN ` + guestIDs + `) ORDER BY updated_at`},
	{"review_comments", `SELECT id, project_id, asset_id, author_kind, author_id, body, created_at FROM review_comments WHERE (author_kind = 'user' AND author_id = $1) OR (author_kind = 'guest' AND author_id IN ` + guestIDs + `) ORDER BY created_at`},
	{"review_done", `SELECT project_id, reviewer_kind, reviewer_id, at FROM review_done WHERE (reviewer_kind = 'user' AND reviewer_id = $1) OR (reviewer_kind = 'guest' AND reviewer_id IN ` + guestIDs + `) ORDER BY at`},
	{"notifications", `SELECT id, user_id, kind, project_id, body, created_at, read_at FROM notifications WHERE user_id = $1 ORDER BY created_at`},
	{"orgs", `SELECT id, name, created_by, created_at FROM orgs WHERE created_by = $1 OR id IN (SELECT org_id FROM org_members WHERE email = $2) ORDER BY created_at`},
	{"org_members", `SELECT id, org_id, email, role, invited_by, created_at FROM org_members WHERE email = $2 OR invited_by = $1 ORDER BY created_at`},
	{"calls", `SELECT id, org_id, title, description, opens_at, deadline, time_zone, categories, entries_per_entrant, images_per_entry, max_file_bytes, formats, min_long_edge, color_profile, orientation, visibility, state, terms_version, created_by, created_at, updated_at, published_at, results_at FROM calls WHERE created_by = $1 ORDER BY created_at`},
	{"rounds", `SELECT id, call_id, number, name, unit, mode, blind, from_round_id, state, created_by, created_at, closed_at FROM rounds WHERE created_by = $1 ORDER BY created_at`},
	{"round_jurors", `SELECT round_id, email, invited_at FROM round_jurors WHERE $1 <> '' AND email = $2 ORDER BY invited_at`},
	{"entries", `SELECT id, call_id, user_id, number, title, statement, category, state, terms_version, award, created_at, updated_at, submitted_at, withdrawn_at, reminded_at FROM entries WHERE user_id = $1 ORDER BY created_at`},
	{"entry_images", `SELECT id, entry_id, asset_id, position FROM entry_images WHERE entry_id IN (SELECT id FROM entries WHERE user_id = $1) ORDER BY entry_id, position`},
	{"consents", `SELECT id, user_id, kind, call_id, entry_id, asset_id, terms_version, terms_sha256, scope, method, at, withdrawn_at FROM consents WHERE user_id = $1 ORDER BY at`},
	{"votes", `SELECT round_id, juror_id, entry_id, image_id, score, updated_at FROM votes WHERE juror_id = $1 ORDER BY updated_at`},
	{"recusals", `SELECT call_id, entry_id, user_id, at FROM recusals WHERE user_id = $1 ORDER BY at`},
	{"originals_requests", `SELECT id, call_id, entry_id, image_id, owner_id, requested_by, message, state, consent_id, requested_at, decided_at FROM originals_requests WHERE (owner_id = $1 OR requested_by = $1) ORDER BY requested_at`},
	{"mail_outbox", `SELECT id, to_addr, subject, body, created_at FROM mail_outbox WHERE $1 <> '' AND to_addr = $2 ORDER BY created_at`},
	{"erasures", `SELECT user_id, requested_at, erase_at FROM erasures WHERE user_id = $1`},
	{"breaches", `SELECT id, description, measures, detected_at, reported_at, subjects_notified_at, data_categories, affected_accounts, recorded_by, created_at, updated_at FROM breaches WHERE recorded_by = $1 OR affected_accounts LIKE '%"' || $1 || '"%' ORDER BY detected_at`},
	{"exports", `SELECT id, user_id, state, size, failure, created_at, claimed_at, ready_at, expires_at, downloaded_at FROM exports WHERE user_id = $1 ORDER BY created_at`},
}

// UserData implements privacy.ExportStore. A query that names $2 is
// given both arguments, any other only the id (pgx refuses arguments a
// query does not use). The reads are not one snapshot, which an export
// taken while the account is in use could not have anyway.
func (s *Store) UserData(ctx context.Context, userID string) ([]privacy.Table, error) {
	var email string
	if err := s.read.QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1`, userID).Scan(&email); err != nil {
		return nil, s.errorf("sqlstore: user data %s: %w", userID, notFound(err, privacy.ErrExportNotFound))
	}
	out := make([]privacy.Table, 0, len(exportQueries))
	for _, q := range exportQueries {
		args := []any{userID}
		if strings.Contains(q.query, "$2") {
			args = append(args, email)
		}
		t, err := s.table(ctx, q.table, q.query, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (s *Store) table(ctx context.Context, name, query string, args ...any) (privacy.Table, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return privacy.Table{}, s.errorf("sqlstore: user data %s: %w", name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return privacy.Table{}, s.errorf("sqlstore: user data %s: %w", name, err)
	}
	t := privacy.Table{Name: name, Columns: cols, Rows: [][]any{}}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return privacy.Table{}, s.errorf("sqlstore: user data %s: %w", name, err)
		}
		for i, v := range vals {
			vals[i] = plainValue(v)
		}
		t.Rows = append(t.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return privacy.Table{}, s.errorf("sqlstore: user data %s: %w", name, err)
	}
	return t, nil
}

// plainValue makes the drivers' values alike: byte strings become hex,
// integers int64.
func plainValue(v any) any {
	switch v := v.(type) {
	case []byte:
		return hex.EncodeToString(v)
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

var identifier = regexp.MustCompile(`\A[a-z_][a-z0-9_]{0,62}\z`)

// RowsWhere returns the rows of table whose column equals value, every
// column, values as UserData makes them. It exists for the export's
// completeness test, which checks rows found this way against an export;
// table and column must be plain identifiers (checked), never user input.
func (s *Store) RowsWhere(ctx context.Context, table, column string, value any) (privacy.Table, error) {
	if !identifier.MatchString(table) || !identifier.MatchString(column) {
		return privacy.Table{}, fmt.Errorf("sqlstore: rows where: bad identifier %q.%q", table, column)
	}
	return s.table(ctx, table, `SELECT * FROM `+table+` WHERE `+column+` = $1`, value)
}
