package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"safelight/internal/audit"
	"safelight/internal/auth"
)

var _ auth.StaffStore = (*Store)(nil)

// AccountCounts implements auth.StaffStore: numbers only, in one read.
func (s *Store) AccountCounts(ctx context.Context, userID string) (auth.AccountCounts, error) {
	var c auth.AccountCounts
	var users, totp int
	err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM users WHERE id = $1),
		(SELECT COUNT(*) FROM assets WHERE owner_id = $1),
		(SELECT COUNT(*) FROM assets WHERE owner_id = $1 AND trashed_at <> 0),
		(SELECT COALESCE(SUM(size), 0) FROM assets WHERE owner_id = $1),
		(SELECT COUNT(*) FROM projects WHERE owner_id = $1),
		(SELECT COUNT(*) FROM review_links l JOIN projects p ON p.id = l.project_id WHERE p.owner_id = $1),
		(SELECT COUNT(*) FROM entries WHERE user_id = $1),
		(SELECT COUNT(*) FROM passkeys WHERE user_id = $1),
		(SELECT COUNT(*) FROM mfa_totp WHERE user_id = $1 AND confirmed_at <> 0)`, userID).
		Scan(&users, &c.Assets, &c.TrashedAssets, &c.Bytes, &c.Projects, &c.ReviewLinks, &c.Entries, &c.Passkeys, &totp)
	if err != nil {
		return c, s.errorf("sqlstore: account counts %s: %w", userID, err)
	}
	if users == 0 {
		return c, auth.ErrNotFound
	}
	c.TOTP = totp > 0
	return c, nil
}

// AuditLog implements auth.StaffStore.
func (s *Store) AuditLog(ctx context.Context, f auth.AuditFilter) ([]audit.Event, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Type != "" {
		add("type = $%d", string(f.Type))
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.SubjectID != "" {
		add("subject_id = $%d", f.SubjectID)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < $%d", micros(f.Until))
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args))
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.errorf("sqlstore: audit log: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (audit.Event, error) {
		ce, err := scanAuditEvent(sc)
		return ce.Event, err
	})
}

const breachColumns = `id, description, measures, detected_at, reported_at, subjects_notified_at,
	data_categories, affected_accounts, recorded_by, created_at, updated_at`

func encodeStrings(v []string) (string, error) {
	if v == nil {
		v = []string{}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateBreach implements auth.BreachStore.
func (s *Store) CreateBreach(ctx context.Context, b auth.Breach) error {
	cats, err := encodeStrings(b.DataCategories)
	if err != nil {
		return fmt.Errorf("sqlstore: create breach: %w", err)
	}
	accts, err := encodeStrings(b.AffectedAccounts)
	if err != nil {
		return fmt.Errorf("sqlstore: create breach: %w", err)
	}
	_, err = s.write.ExecContext(ctx, `INSERT INTO breaches (`+breachColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		b.ID, b.Description, b.Measures, micros(b.DetectedAt), micros(b.ReportedAt), micros(b.SubjectsNotifiedAt),
		cats, accts, b.RecordedBy, micros(b.CreatedAt), micros(b.UpdatedAt))
	if err != nil {
		return s.errorf("sqlstore: create breach: %w", err)
	}
	return nil
}

func scanBreach(sc interface{ Scan(...any) error }) (auth.Breach, error) {
	var b auth.Breach
	var detected, reported, notified, created, updated int64
	var cats, accts string
	if err := sc.Scan(&b.ID, &b.Description, &b.Measures, &detected, &reported, &notified, &cats, &accts, &b.RecordedBy, &created, &updated); err != nil {
		return b, err
	}
	b.DetectedAt, b.ReportedAt, b.SubjectsNotifiedAt = fromMicros(detected), fromMicros(reported), fromMicros(notified)
	b.CreatedAt, b.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(cats), &b.DataCategories); err != nil {
		return b, fmt.Errorf("data categories: %w", err)
	}
	if err := json.Unmarshal([]byte(accts), &b.AffectedAccounts); err != nil {
		return b, fmt.Errorf("affected accounts: %w", err)
	}
	return b, nil
}

// Breaches implements auth.BreachStore.
func (s *Store) Breaches(ctx context.Context) ([]auth.Breach, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+breachColumns+` FROM breaches ORDER BY detected_at DESC, id DESC`)
	if err != nil {
		return nil, s.errorf("sqlstore: breaches: %w", err)
	}
	return collect(s, rows, scanBreach)
}

// BreachByID implements auth.BreachStore.
func (s *Store) BreachByID(ctx context.Context, id string) (auth.Breach, error) {
	b, err := scanBreach(s.read.QueryRowContext(ctx, `SELECT `+breachColumns+` FROM breaches WHERE id = $1`, id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return b, auth.ErrNotFound
		}
		return b, s.errorf("sqlstore: breach %s: %w", id, err)
	}
	return b, nil
}

// UpdateBreach implements auth.BreachStore.
func (s *Store) UpdateBreach(ctx context.Context, b auth.Breach) error {
	cats, err := encodeStrings(b.DataCategories)
	if err != nil {
		return fmt.Errorf("sqlstore: update breach: %w", err)
	}
	accts, err := encodeStrings(b.AffectedAccounts)
	if err != nil {
		return fmt.Errorf("sqlstore: update breach: %w", err)
	}
	var res sql.Result
	res, err = s.write.ExecContext(ctx, `UPDATE breaches SET description = $1, measures = $2, detected_at = $3, reported_at = $4,
		subjects_notified_at = $5, data_categories = $6, affected_accounts = $7, updated_at = $8 WHERE id = $9`,
		b.Description, b.Measures, micros(b.DetectedAt), micros(b.ReportedAt), micros(b.SubjectsNotifiedAt), cats, accts, micros(b.UpdatedAt), b.ID)
	if err != nil {
		return s.errorf("sqlstore: update breach: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.errorf("sqlstore: update breach: %w", err)
	} else if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

// DataSubjectRequests implements auth.StaffStore.
func (s *Store) DataSubjectRequests(ctx context.Context) ([]auth.DataSubjectRequest, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT 'export', e.user_id, u.email, e.state, e.created_at, 0
			FROM exports e JOIN users u ON u.id = e.user_id WHERE e.state IN ('pending', 'building', 'ready')
		UNION ALL
		SELECT 'erasure', r.user_id, u.email, 'scheduled', r.requested_at, r.erase_at
			FROM erasures r JOIN users u ON u.id = r.user_id
		ORDER BY 5, 1, 2`)
	if err != nil {
		return nil, s.errorf("sqlstore: data-subject requests: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (auth.DataSubjectRequest, error) {
		var r auth.DataSubjectRequest
		var requested, due int64
		err := sc.Scan(&r.Kind, &r.AccountID, &r.Email, &r.State, &requested, &due)
		r.RequestedAt, r.DueAt = fromMicros(requested), fromMicros(due)
		return r, err
	})
}
