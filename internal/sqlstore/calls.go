package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"safelight/internal/calls"
)

var _ calls.Store = (*Store)(nil)

// words encodes a list of strings as its column holds it: a JSON array,
// "[]" for none (nil or empty).
func words(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(err) // a []string always encodes
	}
	return string(b)
}

// fromWords decodes a words column. An empty list reads as nil, so a nil
// slice stored comes back nil (and an empty one comes back nil too).
func fromWords(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("list column %q: %w", s, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// lockCall is the first statement of a transaction that numbers the
// call's entries or rounds: a no-op UPDATE of the call's row, which
// PostgreSQL locks until commit, so that two such transactions take turns
// and the second's MAX(number) sees the first's row (SQLite's BEGIN
// IMMEDIATE already serializes them). Numbers are thus assigned without
// collisions or retries. It returns calls.ErrNotFound when there is no
// such call.
func lockCall(ctx context.Context, tx *sql.Tx, callID string) error {
	n, err := txCount(ctx, tx, `UPDATE calls SET updated_at = updated_at WHERE id = $1`, callID)
	if err != nil {
		return err
	}
	if n == 0 {
		return calls.ErrNotFound
	}
	return nil
}

// Organizations.

const orgColumns = `o.id, o.name, o.created_by, o.created_at`

func scanOrg(sc interface{ Scan(...any) error }) (calls.Org, error) {
	var o calls.Org
	var created int64
	err := sc.Scan(&o.ID, &o.Name, &o.CreatedBy, &created)
	o.CreatedAt = fromMicros(created)
	return o, err
}

const orgMemberColumns = `m.id, m.org_id, m.email, m.role, m.invited_by, m.created_at`

func scanOrgMember(sc interface{ Scan(...any) error }) (calls.OrgMember, error) {
	var m calls.OrgMember
	var role string
	var created int64
	err := sc.Scan(&m.ID, &m.OrgID, &m.Email, &role, &m.InvitedBy, &created)
	m.Role, m.CreatedAt = calls.OrgRole(role), fromMicros(created)
	return m, err
}

func insertOrgMember(ctx context.Context, tx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}, m calls.OrgMember) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO org_members (id, org_id, email, role, invited_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		m.ID, m.OrgID, m.Email, string(m.Role), m.InvitedBy, micros(m.CreatedAt))
	return err
}

// CreateOrg implements calls.Store: the organization and its first
// member, in one transaction. owner.OrgID is taken from o.
func (s *Store) CreateOrg(ctx context.Context, o calls.Org, owner calls.OrgMember) error {
	owner.OrgID = o.ID
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			o.ID, o.Name, o.CreatedBy, micros(o.CreatedAt)); err != nil {
			return err
		}
		return insertOrgMember(ctx, tx, owner)
	})
	if err != nil {
		return s.errorf("sqlstore: create organization: %w", err)
	}
	return nil
}

// OrgByID implements calls.Store.
func (s *Store) OrgByID(ctx context.Context, id string) (calls.Org, error) {
	o, err := scanOrg(s.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs o WHERE o.id = $1`, id))
	if err != nil {
		return calls.Org{}, s.errorf("sqlstore: organization %s: %w", id, notFound(err, calls.ErrNotFound))
	}
	return o, nil
}

// OrgsOfEmail implements calls.Store: the organizations with a member of
// that (normalized) address and, at the same index, that member; oldest
// organization first.
func (s *Store) OrgsOfEmail(ctx context.Context, email string) ([]calls.Org, []calls.OrgMember, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+orgColumns+`, `+orgMemberColumns+` FROM orgs o
		JOIN org_members m ON m.org_id = o.id WHERE m.email = $1
		ORDER BY o.created_at, o.id`, email)
	if err != nil {
		return nil, nil, s.errorf("sqlstore: organizations of a member: %w", err)
	}
	type pair struct {
		o calls.Org
		m calls.OrgMember
	}
	pairs, err := collect(s, rows, func(sc interface{ Scan(...any) error }) (pair, error) {
		var p pair
		var role string
		var oCreated, mCreated int64
		err := sc.Scan(&p.o.ID, &p.o.Name, &p.o.CreatedBy, &oCreated,
			&p.m.ID, &p.m.OrgID, &p.m.Email, &role, &p.m.InvitedBy, &mCreated)
		p.o.CreatedAt, p.m.CreatedAt, p.m.Role = fromMicros(oCreated), fromMicros(mCreated), calls.OrgRole(role)
		return p, err
	})
	if err != nil {
		return nil, nil, err
	}
	orgs, members := make([]calls.Org, 0, len(pairs)), make([]calls.OrgMember, 0, len(pairs))
	for _, p := range pairs {
		orgs, members = append(orgs, p.o), append(members, p.m)
	}
	return orgs, members, nil
}

// CreateOrgMember implements calls.Store.
func (s *Store) CreateOrgMember(ctx context.Context, m calls.OrgMember) error {
	err := insertOrgMember(ctx, s.write, m)
	if s.dialect.isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: create organization member: %w", calls.ErrAlreadyMember)
	} else if err != nil {
		return s.errorf("sqlstore: create organization member: %w", err)
	}
	return nil
}

// OrgMembers implements calls.Store: oldest invitation first.
func (s *Store) OrgMembers(ctx context.Context, orgID string) ([]calls.OrgMember, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+orgMemberColumns+` FROM org_members m WHERE m.org_id = $1
		ORDER BY m.created_at, m.id`, orgID)
	if err != nil {
		return nil, s.errorf("sqlstore: members of organization %s: %w", orgID, err)
	}
	return collect(s, rows, scanOrgMember)
}

// OrgMemberByEmail implements calls.Store. email must be normalized.
func (s *Store) OrgMemberByEmail(ctx context.Context, orgID, email string) (calls.OrgMember, error) {
	m, err := scanOrgMember(s.read.QueryRowContext(ctx, `SELECT `+orgMemberColumns+` FROM org_members m
		WHERE m.org_id = $1 AND m.email = $2`, orgID, email))
	if err != nil {
		return calls.OrgMember{}, s.errorf("sqlstore: member of organization %s by e-mail: %w", orgID, notFound(err, calls.ErrNotFound))
	}
	return m, nil
}

// keepOwner is the first part of a transaction that changes or removes
// the member memberID of org orgID: it locks the organization's row (a
// no-op UPDATE, held by PostgreSQL until commit, so that two such
// transactions take turns and the second counts what the first left;
// SQLite's BEGIN IMMEDIATE already serializes them), and refuses with
// calls.ErrLastOwner when the member is the organization's only owner
// and would stop being one.
func keepOwner(ctx context.Context, tx *sql.Tx, orgID, memberID string, staysOwner bool) error {
	n, err := txCount(ctx, tx, `UPDATE orgs SET name = name WHERE id = $1`, orgID)
	if err != nil {
		return err
	}
	if n == 0 {
		return calls.ErrNotFound
	}
	var role string
	err = tx.QueryRowContext(ctx, `SELECT role FROM org_members WHERE id = $1 AND org_id = $2`, memberID, orgID).Scan(&role)
	if err != nil {
		return notFound(err, calls.ErrNotFound)
	}
	if calls.OrgRole(role) != calls.RoleOwner || staysOwner {
		return nil
	}
	var owners int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = $2`,
		orgID, string(calls.RoleOwner)).Scan(&owners); err != nil {
		return err
	}
	if owners <= 1 {
		return calls.ErrLastOwner
	}
	return nil
}

// UpdateOrgMember implements calls.Store: it sets the role of the member
// memberID of org orgID, and nothing else.
func (s *Store) UpdateOrgMember(ctx context.Context, orgID, memberID string, role calls.OrgRole) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := keepOwner(ctx, tx, orgID, memberID, role == calls.RoleOwner); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE org_members SET role = $1 WHERE id = $2 AND org_id = $3`, string(role), memberID, orgID)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: update organization member: %w", err)
	}
	return nil
}

// DeleteOrgMember implements calls.Store.
func (s *Store) DeleteOrgMember(ctx context.Context, orgID, memberID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := keepOwner(ctx, tx, orgID, memberID, false); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM org_members WHERE id = $1 AND org_id = $2`, memberID, orgID)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: delete organization member: %w", err)
	}
	return nil
}

// Calls.

const callColumns = `id, org_id, title, description, cover_ref, opens_at, deadline, time_zone, categories,
	entries_per_entrant, images_per_entry, max_file_bytes, formats, min_long_edge, color_profile, orientation,
	visibility, state, terms_version, created_by, created_at, updated_at, published_at, results_at`

func scanCall(sc interface{ Scan(...any) error }) (calls.Call, error) {
	var c calls.Call
	var categories, formats, orientation, visibility, state string
	var colorProfile, opens, deadline, created, updated, published, results int64
	err := sc.Scan(&c.ID, &c.OrgID, &c.Title, &c.Description, &c.CoverRef, &opens, &deadline, &c.TimeZone, &categories,
		&c.Limits.EntriesPerEntrant, &c.Limits.ImagesPerEntry, &c.Limits.MaxFileBytes, &formats,
		&c.Requirements.MinLongEdge, &colorProfile, &orientation,
		&visibility, &state, &c.TermsVersion, &c.CreatedBy, &created, &updated, &published, &results)
	if err != nil {
		return c, err
	}
	if c.Categories, err = fromWords(categories); err != nil {
		return c, err
	}
	if c.Requirements.Formats, err = fromWords(formats); err != nil {
		return c, err
	}
	c.Requirements.ColorProfile = colorProfile != 0
	c.Requirements.Orientation = calls.Orientation(orientation)
	c.Visibility, c.State = calls.Visibility(visibility), calls.State(state)
	c.OpensAt, c.Deadline = fromMicros(opens), fromMicros(deadline)
	c.CreatedAt, c.UpdatedAt, c.PublishedAt, c.ResultsAt = fromMicros(created), fromMicros(updated), fromMicros(published), fromMicros(results)
	return c, nil
}

const termsColumns = `call_id, version, body, rights, shared_data, text, sha256, created_at, published_at`

func scanTerms(sc interface{ Scan(...any) error }) (calls.Terms, error) {
	var t calls.Terms
	var rights, shared string
	var created, published int64
	err := sc.Scan(&t.CallID, &t.Version, &t.Body, &rights, &shared, &t.Text, &t.SHA256, &created, &published)
	if err != nil {
		return t, err
	}
	if t.Rights, err = fromWords(rights); err != nil {
		return t, err
	}
	if t.SharedData, err = fromWords(shared); err != nil {
		return t, err
	}
	t.CreatedAt, t.PublishedAt = fromMicros(created), fromMicros(published)
	return t, nil
}

// CreateCall implements calls.Store: the call and its first terms (whose
// CallID is taken from c), in one transaction.
func (s *Store) CreateCall(ctx context.Context, c calls.Call, t calls.Terms) error {
	t.CallID = c.ID
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calls (`+callColumns+`) VALUES
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
			c.ID, c.OrgID, c.Title, c.Description, c.CoverRef, micros(c.OpensAt), micros(c.Deadline), c.TimeZone, words(c.Categories),
			c.Limits.EntriesPerEntrant, c.Limits.ImagesPerEntry, c.Limits.MaxFileBytes, words(c.Requirements.Formats),
			c.Requirements.MinLongEdge, bit(c.Requirements.ColorProfile), string(c.Requirements.Orientation),
			string(c.Visibility), string(c.State), c.TermsVersion, c.CreatedBy,
			micros(c.CreatedAt), micros(c.UpdatedAt), micros(c.PublishedAt), micros(c.ResultsAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO call_terms (`+termsColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.CallID, t.Version, t.Body, words(t.Rights), words(t.SharedData), t.Text, t.SHA256, micros(t.CreatedAt), micros(t.PublishedAt))
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: create call: %w", err)
	}
	return nil
}

// CallByID implements calls.Store.
func (s *Store) CallByID(ctx context.Context, id string) (calls.Call, error) {
	c, err := scanCall(s.read.QueryRowContext(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, id))
	if err != nil {
		return calls.Call{}, s.errorf("sqlstore: call %s: %w", id, notFound(err, calls.ErrNotFound))
	}
	return c, nil
}

// UpdateCall implements calls.Store: it sets what an organizer edits and
// the state with its results time. The organization, creator and creation
// time never change; terms_version belongs to PutTerms and published_at
// to PublishCall, so that a call read before either and saved after does
// not undo them.
func (s *Store) UpdateCall(ctx context.Context, c calls.Call) error {
	return s.updateOne(ctx, "update call", calls.ErrNotFound, `UPDATE calls SET title = $1, description = $2, cover_ref = $3,
		opens_at = $4, deadline = $5, time_zone = $6, categories = $7,
		entries_per_entrant = $8, images_per_entry = $9, max_file_bytes = $10,
		formats = $11, min_long_edge = $12, color_profile = $13, orientation = $14,
		visibility = $15, state = $16, updated_at = $17, results_at = $18 WHERE id = $19`,
		c.Title, c.Description, c.CoverRef, micros(c.OpensAt), micros(c.Deadline), c.TimeZone, words(c.Categories),
		c.Limits.EntriesPerEntrant, c.Limits.ImagesPerEntry, c.Limits.MaxFileBytes,
		words(c.Requirements.Formats), c.Requirements.MinLongEdge, bit(c.Requirements.ColorProfile), string(c.Requirements.Orientation),
		string(c.Visibility), string(c.State), micros(c.UpdatedAt), micros(c.ResultsAt), c.ID)
}

// CallsOfOrg implements calls.Store: newest first.
func (s *Store) CallsOfOrg(ctx context.Context, orgID string) ([]calls.Call, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+callColumns+` FROM calls WHERE org_id = $1
		ORDER BY created_at DESC, id DESC`, orgID)
	if err != nil {
		return nil, s.errorf("sqlstore: calls of organization %s: %w", orgID, err)
	}
	return collect(s, rows, scanCall)
}

// PublicCalls implements calls.Store: public calls out of draft, soonest
// deadline first (ties: id).
func (s *Store) PublicCalls(ctx context.Context) ([]calls.Call, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+callColumns+` FROM calls WHERE visibility = $1 AND state <> $2
		ORDER BY deadline, id`, string(calls.Public), string(calls.StateDraft))
	if err != nil {
		return nil, s.errorf("sqlstore: public calls: %w", err)
	}
	return collect(s, rows, scanCall)
}

// errTermsPublished is PutTerms' refusal to change a published version:
// entrants may have accepted it by its hash.
var errTermsPublished = fmt.Errorf("a published terms version never changes: %w", calls.ErrWrongState)

// PutTerms implements calls.Store, in one transaction: it sets the call's
// terms_version to t.Version and inserts that version, or replaces it
// while its stored published_at is 0. Replacing a published version fails
// with an error wrapping calls.ErrWrongState, and changes nothing; an
// unknown call is calls.ErrNotFound.
func (s *Store) PutTerms(ctx context.Context, t calls.Terms) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE calls SET terms_version = $1 WHERE id = $2`, t.Version, t.CallID)
		if err != nil {
			return err
		}
		if n == 0 {
			return calls.ErrNotFound
		}
		n, err = txCount(ctx, tx, `INSERT INTO call_terms (`+termsColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (call_id, version) DO UPDATE SET body = excluded.body, rights = excluded.rights,
				shared_data = excluded.shared_data, text = excluded.text, sha256 = excluded.sha256,
				created_at = excluded.created_at, published_at = excluded.published_at
			WHERE call_terms.published_at = 0`,
			t.CallID, t.Version, t.Body, words(t.Rights), words(t.SharedData), t.Text, t.SHA256, micros(t.CreatedAt), micros(t.PublishedAt))
		if err != nil {
			return err
		}
		if n == 0 {
			return errTermsPublished
		}
		return nil
	})
	if err != nil {
		return s.errorf("sqlstore: put terms of call %s version %d: %w", t.CallID, t.Version, err)
	}
	return nil
}

// PublishCall implements calls.Store, in one transaction: a draft call
// becomes open with PublishedAt at, and its current terms version is
// stamped published at the same time. A call that is not a draft any
// more is refused with calls.ErrWrongState and keeps its first
// publication time.
func (s *Store) PublishCall(ctx context.Context, callID string, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE calls SET state = $1, published_at = $2 WHERE id = $3 AND state = $4`,
			string(calls.StateOpen), micros(at), callID, string(calls.StateDraft))
		if err != nil {
			return err
		}
		if n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM calls WHERE id = $1`, callID).Scan(&one); err != nil {
				return notFound(err, calls.ErrNotFound)
			}
			return calls.ErrWrongState
		}
		_, err = tx.ExecContext(ctx, `UPDATE call_terms SET published_at = $1
			WHERE call_id = $2 AND published_at = 0 AND version = (SELECT terms_version FROM calls WHERE id = $2)`,
			micros(at), callID)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: publish call %s: %w", callID, err)
	}
	return nil
}

// TermsVersion implements calls.Store.
func (s *Store) TermsVersion(ctx context.Context, callID string, version int) (calls.Terms, error) {
	t, err := scanTerms(s.read.QueryRowContext(ctx, `SELECT `+termsColumns+` FROM call_terms WHERE call_id = $1 AND version = $2`,
		callID, version))
	if err != nil {
		return calls.Terms{}, s.errorf("sqlstore: terms of call %s version %d: %w", callID, version, notFound(err, calls.ErrNotFound))
	}
	return t, nil
}

// TermsVersions implements calls.Store: oldest version first.
func (s *Store) TermsVersions(ctx context.Context, callID string) ([]calls.Terms, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+termsColumns+` FROM call_terms WHERE call_id = $1 ORDER BY version`, callID)
	if err != nil {
		return nil, s.errorf("sqlstore: terms versions of call %s: %w", callID, err)
	}
	return collect(s, rows, scanTerms)
}

// Entries.

const entryColumns = `e.id, e.call_id, e.user_id, e.number, e.title, e.statement, e.category, e.state, e.terms_version, e.award,
	e.created_at, e.updated_at, e.submitted_at, e.withdrawn_at, e.reminded_at`

func scanEntry(sc interface{ Scan(...any) error }) (calls.Entry, error) {
	var e calls.Entry
	var state string
	var created, updated, submitted, withdrawn, reminded int64
	err := sc.Scan(&e.ID, &e.CallID, &e.UserID, &e.Number, &e.Title, &e.Statement, &e.Category, &state, &e.TermsVersion, &e.Award,
		&created, &updated, &submitted, &withdrawn, &reminded)
	e.State = calls.EntryState(state)
	e.CreatedAt, e.UpdatedAt, e.SubmittedAt = fromMicros(created), fromMicros(updated), fromMicros(submitted)
	e.WithdrawnAt, e.RemindedAt = fromMicros(withdrawn), fromMicros(reminded)
	return e, err
}

// insertEntryImages adds images to entry entryID, in one statement each.
// As a second line behind package calls' checks, an asset that is not
// the entrant's own is calls.ErrNotOwnAsset, and one listed twice is
// calls.ErrDuplicateImage; the caller's transaction then rolls back.
func (s *Store) insertEntryImages(ctx context.Context, tx *sql.Tx, entryID string, images []calls.EntryImage) error {
	for _, img := range images {
		n, err := txCount(ctx, tx, `INSERT INTO entry_images (id, entry_id, asset_id, position)
			SELECT $1, e.id, a.id, $4 FROM entries e JOIN assets a ON a.owner_id = e.user_id
			WHERE e.id = $2 AND a.id = $3`, img.ID, entryID, img.AssetID, img.Position)
		if s.dialect.isUniqueViolation(err) {
			return calls.ErrDuplicateImage
		} else if err != nil {
			return err
		}
		if n == 0 {
			return calls.ErrNotOwnAsset
		}
	}
	return nil
}

// CreateEntry implements calls.Store, in one transaction: the entry gets
// the call's next number (one more than the greatest, so the number of a
// deleted draft that was the last may be given again) and its images,
// whose EntryID is taken from e. The call's row is locked first (see
// lockCall), so concurrent entries get distinct numbers.
func (s *Store) CreateEntry(ctx context.Context, e calls.Entry, images []calls.EntryImage) (int, error) {
	var number int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockCall(ctx, tx, e.CallID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM entries WHERE call_id = $1`,
			e.CallID).Scan(&number); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO entries (id, call_id, user_id, number, title, statement, category, state,
			terms_version, award, created_at, updated_at, submitted_at, withdrawn_at, reminded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			e.ID, e.CallID, e.UserID, number, e.Title, e.Statement, e.Category, string(e.State),
			e.TermsVersion, e.Award, micros(e.CreatedAt), micros(e.UpdatedAt), micros(e.SubmittedAt),
			micros(e.WithdrawnAt), micros(e.RemindedAt)); err != nil {
			return err
		}
		return s.insertEntryImages(ctx, tx, e.ID, images)
	})
	if err != nil {
		return 0, s.errorf("sqlstore: create entry in call %s: %w", e.CallID, err)
	}
	return number, nil
}

// EntryByID implements calls.Store.
func (s *Store) EntryByID(ctx context.Context, id string) (calls.Entry, error) {
	e, err := scanEntry(s.read.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM entries e WHERE e.id = $1`, id))
	if err != nil {
		return calls.Entry{}, s.errorf("sqlstore: entry %s: %w", id, notFound(err, calls.ErrNotFound))
	}
	return e, nil
}

// UpdateEntry implements calls.Store, in one transaction: it sets the
// title, statement, category, state, accepted terms version and the
// updated, submitted and withdrawn times and, when images is not nil,
// replaces the images (an empty slice removes them all). The call, the
// entrant, the number and creation time never change; the award belongs
// to SetAward and reminded_at to MarkReminded.
func (s *Store) UpdateEntry(ctx context.Context, e calls.Entry, images []calls.EntryImage) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE entries SET title = $1, statement = $2, category = $3, state = $4, terms_version = $5,
			updated_at = $6, submitted_at = $7, withdrawn_at = $8 WHERE id = $9`,
			e.Title, e.Statement, e.Category, string(e.State), e.TermsVersion,
			micros(e.UpdatedAt), micros(e.SubmittedAt), micros(e.WithdrawnAt), e.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return calls.ErrNotFound
		}
		if images == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM entry_images WHERE entry_id = $1`, e.ID); err != nil {
			return err
		}
		return s.insertEntryImages(ctx, tx, e.ID, images)
	})
	if err != nil {
		return s.errorf("sqlstore: update entry %s: %w", e.ID, err)
	}
	return nil
}

// DeleteEntry implements calls.Store: drafts only (any other entry is
// calls.ErrNotFound). Its images go with it; the consents that name it
// stay, as the ledger does.
func (s *Store) DeleteEntry(ctx context.Context, id string) error {
	return s.updateOne(ctx, "delete entry", calls.ErrNotFound, `DELETE FROM entries WHERE id = $1 AND state = $2`,
		id, string(calls.EntryDraft))
}

// EntryImages implements calls.Store: by position (ties: id).
func (s *Store) EntryImages(ctx context.Context, entryID string) ([]calls.EntryImage, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, entry_id, asset_id, position FROM entry_images WHERE entry_id = $1
		ORDER BY position, id`, entryID)
	if err != nil {
		return nil, s.errorf("sqlstore: images of entry %s: %w", entryID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (calls.EntryImage, error) {
		var img calls.EntryImage
		err := sc.Scan(&img.ID, &img.EntryID, &img.AssetID, &img.Position)
		return img, err
	})
}

// EntriesOfCall implements calls.Store: by number; an empty states (nil
// or not) lists every state.
func (s *Store) EntriesOfCall(ctx context.Context, callID string, states []calls.EntryState) ([]calls.Entry, error) {
	where, args := `e.call_id = $1`, []any{callID}
	if len(states) > 0 {
		marks := make([]string, len(states))
		for i, st := range states {
			args = append(args, string(st))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where += ` AND e.state IN (` + strings.Join(marks, ", ") + `)`
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+entryColumns+` FROM entries e WHERE `+where+` ORDER BY e.number`, args...)
	if err != nil {
		return nil, s.errorf("sqlstore: entries of call %s: %w", callID, err)
	}
	return collect(s, rows, scanEntry)
}

// EntriesOfUser implements calls.Store: newest first (ties: id).
func (s *Store) EntriesOfUser(ctx context.Context, userID string) ([]calls.Entry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+entryColumns+` FROM entries e WHERE e.user_id = $1
		ORDER BY e.created_at DESC, e.id DESC`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: entries of %s: %w", userID, err)
	}
	return collect(s, rows, scanEntry)
}

// CountUserEntries implements calls.Store: drafts and submitted entries.
func (s *Store) CountUserEntries(ctx context.Context, callID, userID string) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM entries WHERE call_id = $1 AND user_id = $2 AND state <> $3`,
		callID, userID, string(calls.EntryWithdrawn)).Scan(&n); err != nil {
		return 0, s.errorf("sqlstore: count entries of %s in call %s: %w", userID, callID, err)
	}
	return n, nil
}

// DraftsToRemind implements calls.Store: drafts not reminded yet of open
// calls whose deadline is after now and at or before before; soonest
// deadline first, then by call and number.
func (s *Store) DraftsToRemind(ctx context.Context, now, before time.Time) ([]calls.Entry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+entryColumns+` FROM entries e JOIN calls c ON c.id = e.call_id
		WHERE c.state = $1 AND c.deadline > $2 AND c.deadline <= $3 AND e.state = $4 AND e.reminded_at = 0
		ORDER BY c.deadline, c.id, e.number`,
		string(calls.StateOpen), micros(now), micros(before), string(calls.EntryDraft))
	if err != nil {
		return nil, s.errorf("sqlstore: drafts to remind: %w", err)
	}
	return collect(s, rows, scanEntry)
}

// MarkReminded implements calls.Store: true for the one caller that set
// reminded_at; false when it was set already, or the entry is gone.
func (s *Store) MarkReminded(ctx context.Context, entryID string, at time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE entries SET reminded_at = $1 WHERE id = $2 AND reminded_at = 0`, micros(at), entryID)
	if err != nil {
		return false, s.errorf("sqlstore: mark entry %s reminded: %w", entryID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: mark entry %s reminded: %w", entryID, err)
	}
	return n > 0, nil
}

// Consents.

const consentColumns = `id, user_id, kind, call_id, entry_id, asset_id, terms_version, terms_sha256, scope, method, at, withdrawn_at`

func scanConsent(sc interface{ Scan(...any) error }) (calls.Consent, error) {
	var c calls.Consent
	var scope string
	var at, withdrawn int64
	err := sc.Scan(&c.ID, &c.UserID, &c.Kind, &c.CallID, &c.EntryID, &c.AssetID, &c.TermsVersion, &c.TermsSHA256,
		&scope, &c.Method, &at, &withdrawn)
	if err != nil {
		return c, err
	}
	if c.Scope, err = fromWords(scope); err != nil {
		return c, err
	}
	c.At, c.WithdrawnAt = fromMicros(at), fromMicros(withdrawn)
	return c, nil
}

// CreateConsent implements calls.Store.
func (s *Store) CreateConsent(ctx context.Context, c calls.Consent) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO consents (`+consentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.UserID, c.Kind, c.CallID, c.EntryID, c.AssetID, c.TermsVersion, c.TermsSHA256,
		words(c.Scope), c.Method, micros(c.At), micros(c.WithdrawnAt))
	if err != nil {
		return s.errorf("sqlstore: create consent: %w", err)
	}
	return nil
}

// ConsentByID implements calls.Store.
func (s *Store) ConsentByID(ctx context.Context, id string) (calls.Consent, error) {
	c, err := scanConsent(s.read.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM consents WHERE id = $1`, id))
	if err != nil {
		return calls.Consent{}, s.errorf("sqlstore: consent %s: %w", id, notFound(err, calls.ErrNotFound))
	}
	return c, nil
}

// ConsentsOfUser implements calls.Store: newest first (ties: id),
// withdrawn ones included.
func (s *Store) ConsentsOfUser(ctx context.Context, userID string) ([]calls.Consent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+consentColumns+` FROM consents WHERE user_id = $1
		ORDER BY at DESC, id DESC`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: consents of %s: %w", userID, err)
	}
	return collect(s, rows, scanConsent)
}

// WithdrawConsent implements calls.Store: withdrawing a withdrawn consent
// keeps the first time and is no error.
func (s *Store) WithdrawConsent(ctx context.Context, id string, at time.Time) error {
	return s.updateOne(ctx, "withdraw consent", calls.ErrNotFound,
		`UPDATE consents SET withdrawn_at = CASE WHEN withdrawn_at = 0 THEN $1 ELSE withdrawn_at END WHERE id = $2`,
		micros(at), id)
}

// WithdrawEntryConsents implements calls.Store: the entry's call-terms
// consents not withdrawn yet are withdrawn at at; the others keep their
// time. An entry with none is no error.
func (s *Store) WithdrawEntryConsents(ctx context.Context, entryID string, at time.Time) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE consents SET withdrawn_at = $1
		WHERE entry_id = $2 AND kind = $3 AND withdrawn_at = 0`, micros(at), entryID, calls.ConsentCallTerms); err != nil {
		return s.errorf("sqlstore: withdraw consents of entry %s: %w", entryID, err)
	}
	return nil
}

// Rounds.

const roundColumns = `r.id, r.call_id, r.number, r.name, r.unit, r.mode, r.blind, r.from_round_id, r.state,
	r.created_by, r.created_at, r.closed_at`

func scanRound(sc interface{ Scan(...any) error }) (calls.Round, error) {
	var r calls.Round
	var unit, mode string
	var blind, created, closed int64
	err := sc.Scan(&r.ID, &r.CallID, &r.Number, &r.Name, &unit, &mode, &blind, &r.FromRoundID, &r.State,
		&r.CreatedBy, &created, &closed)
	r.Unit, r.Mode, r.Blind = calls.Unit(unit), calls.Mode(mode), blind != 0
	r.CreatedAt, r.ClosedAt = fromMicros(created), fromMicros(closed)
	return r, err
}

// CreateRound implements calls.Store, in one transaction: the round gets
// the call's next number (the call's row is locked first, see lockCall),
// with its jurors and candidates, whose RoundID is taken from r.
func (s *Store) CreateRound(ctx context.Context, r calls.Round, jurors []calls.Juror, candidates []calls.Candidate) (int, error) {
	var number int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockCall(ctx, tx, r.CallID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM rounds WHERE call_id = $1`,
			r.CallID).Scan(&number); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rounds (id, call_id, number, name, unit, mode, blind, from_round_id, state,
			created_by, created_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.ID, r.CallID, number, r.Name, string(r.Unit), string(r.Mode), bit(r.Blind), r.FromRoundID, r.State,
			r.CreatedBy, micros(r.CreatedAt), micros(r.ClosedAt)); err != nil {
			return err
		}
		for _, j := range jurors {
			if _, err := tx.ExecContext(ctx, `INSERT INTO round_jurors (round_id, email, invited_at) VALUES ($1, $2, $3)`,
				r.ID, j.Email, micros(j.InvitedAt)); err != nil {
				return err
			}
		}
		for _, c := range candidates {
			if _, err := tx.ExecContext(ctx, `INSERT INTO round_candidates (round_id, entry_id, image_id, position, shortlisted)
				VALUES ($1, $2, $3, $4, $5)`, r.ID, c.EntryID, c.ImageID, c.Position, bit(c.Shortlisted)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, s.errorf("sqlstore: create round in call %s: %w", r.CallID, err)
	}
	return number, nil
}

// RoundByID implements calls.Store.
func (s *Store) RoundByID(ctx context.Context, id string) (calls.Round, error) {
	r, err := scanRound(s.read.QueryRowContext(ctx, `SELECT `+roundColumns+` FROM rounds r WHERE r.id = $1`, id))
	if err != nil {
		return calls.Round{}, s.errorf("sqlstore: round %s: %w", id, notFound(err, calls.ErrNotFound))
	}
	return r, nil
}

// RoundsOfCall implements calls.Store: by number.
func (s *Store) RoundsOfCall(ctx context.Context, callID string) ([]calls.Round, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+roundColumns+` FROM rounds r WHERE r.call_id = $1 ORDER BY r.number`, callID)
	if err != nil {
		return nil, s.errorf("sqlstore: rounds of call %s: %w", callID, err)
	}
	return collect(s, rows, scanRound)
}

// CloseRound implements calls.Store: closing a closed round keeps the
// first time and is no error.
func (s *Store) CloseRound(ctx context.Context, id string, at time.Time) error {
	return s.updateOne(ctx, "close round", calls.ErrNotFound,
		`UPDATE rounds SET state = $1, closed_at = CASE WHEN state = $2 THEN $3 ELSE closed_at END WHERE id = $4`,
		calls.RoundClosed, calls.RoundOpen, micros(at), id)
}

// JurorsOf implements calls.Store: by invitation time, then address
// (sorted here, byte by byte, whatever the database's locale).
func (s *Store) JurorsOf(ctx context.Context, roundID string) ([]calls.Juror, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT round_id, email, invited_at FROM round_jurors WHERE round_id = $1`, roundID)
	if err != nil {
		return nil, s.errorf("sqlstore: jurors of round %s: %w", roundID, err)
	}
	jurors, err := collect(s, rows, func(sc interface{ Scan(...any) error }) (calls.Juror, error) {
		var j calls.Juror
		var invited int64
		err := sc.Scan(&j.RoundID, &j.Email, &invited)
		j.InvitedAt = fromMicros(invited)
		return j, err
	})
	slices.SortFunc(jurors, func(a, b calls.Juror) int {
		return cmp.Or(a.InvitedAt.Compare(b.InvitedAt), strings.Compare(a.Email, b.Email))
	})
	return jurors, err
}

// IsJuror implements calls.Store. email must be normalized.
func (s *Store) IsJuror(ctx context.Context, roundID, email string) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM round_jurors WHERE round_id = $1 AND email = $2`,
		roundID, email).Scan(&n); err != nil {
		return false, s.errorf("sqlstore: is juror of round %s: %w", roundID, err)
	}
	return n > 0, nil
}

// RoundsOfJuror implements calls.Store: newest first (ties: id). email
// must be normalized.
func (s *Store) RoundsOfJuror(ctx context.Context, email string) ([]calls.Round, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+roundColumns+` FROM rounds r JOIN round_jurors j ON j.round_id = r.id
		WHERE j.email = $1 ORDER BY r.created_at DESC, r.id DESC`, email)
	if err != nil {
		return nil, s.errorf("sqlstore: rounds of a juror: %w", err)
	}
	return collect(s, rows, scanRound)
}

// Candidates implements calls.Store: by position (ties: entry, image).
func (s *Store) Candidates(ctx context.Context, roundID string) ([]calls.Candidate, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT round_id, entry_id, image_id, position, shortlisted FROM round_candidates
		WHERE round_id = $1 ORDER BY position, entry_id, image_id`, roundID)
	if err != nil {
		return nil, s.errorf("sqlstore: candidates of round %s: %w", roundID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (calls.Candidate, error) {
		var c calls.Candidate
		var shortlisted int64
		err := sc.Scan(&c.RoundID, &c.EntryID, &c.ImageID, &c.Position, &shortlisted)
		c.Shortlisted = shortlisted != 0
		return c, err
	})
}

// SetShortlist implements calls.Store, in one transaction: exactly the
// candidates named by keys (entry id + "/" + image id, the image id ""
// when the round scores entries) are shortlisted afterwards. A key that
// names no candidate of the round, or an unknown round, is
// calls.ErrNotFound, and nothing changes.
func (s *Store) SetShortlist(ctx context.Context, roundID string, keys []string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE rounds SET state = state WHERE id = $1`, roundID)
		if err != nil {
			return err
		}
		if n == 0 {
			return calls.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE round_candidates SET shortlisted = 0 WHERE round_id = $1`, roundID); err != nil {
			return err
		}
		for _, key := range keys {
			entryID, imageID, ok := strings.Cut(key, "/")
			if !ok {
				return calls.ErrNotFound
			}
			n, err := txCount(ctx, tx, `UPDATE round_candidates SET shortlisted = 1
				WHERE round_id = $1 AND entry_id = $2 AND image_id = $3`, roundID, entryID, imageID)
			if err != nil {
				return err
			}
			if n == 0 {
				return calls.ErrNotFound
			}
		}
		return nil
	})
	if err != nil {
		return s.errorf("sqlstore: set shortlist of round %s: %w", roundID, err)
	}
	return nil
}

// PutVote implements calls.Store: a juror's second vote on a candidate
// replaces the first. The vote is stored only for a candidate of the
// round; otherwise the error wraps calls.ErrNotFound (a second line
// behind package calls' check).
func (s *Store) PutVote(ctx context.Context, v calls.Vote) error {
	res, err := s.write.ExecContext(ctx, `INSERT INTO votes (round_id, juror_id, entry_id, image_id, score, updated_at)
		SELECT $1, $2, $3, $4, $5, $6
		WHERE EXISTS (SELECT 1 FROM round_candidates WHERE round_id = $1 AND entry_id = $3 AND image_id = $4)
		ON CONFLICT (round_id, juror_id, entry_id, image_id) DO UPDATE SET
			score = excluded.score, updated_at = excluded.updated_at`,
		v.RoundID, v.JurorID, v.EntryID, v.ImageID, v.Score, micros(v.UpdatedAt))
	if err := mustChange(res, err, calls.ErrNotFound); err != nil {
		return s.errorf("sqlstore: put vote: %w", err)
	}
	return nil
}

// Votes implements calls.Store: by juror, entry and image.
func (s *Store) Votes(ctx context.Context, roundID, jurorID string) ([]calls.Vote, error) {
	where, args := `round_id = $1`, []any{roundID}
	if jurorID != "" {
		where, args = where+` AND juror_id = $2`, append(args, jurorID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT round_id, juror_id, entry_id, image_id, score, updated_at FROM votes
		WHERE `+where+` ORDER BY juror_id, entry_id, image_id`, args...)
	if err != nil {
		return nil, s.errorf("sqlstore: votes of round %s: %w", roundID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (calls.Vote, error) {
		var v calls.Vote
		var updated int64
		err := sc.Scan(&v.RoundID, &v.JurorID, &v.EntryID, &v.ImageID, &v.Score, &updated)
		v.UpdatedAt = fromMicros(updated)
		return v, err
	})
}

// PutRecusal implements calls.Store: recusing twice keeps the first time.
func (s *Store) PutRecusal(ctx context.Context, r calls.Recusal) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO recusals (call_id, entry_id, user_id, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (call_id, entry_id, user_id) DO NOTHING`, r.CallID, r.EntryID, r.UserID, micros(r.At))
	if err != nil {
		return s.errorf("sqlstore: put recusal: %w", err)
	}
	return nil
}

// Recusals implements calls.Store: earliest first (ties: entry, user).
func (s *Store) Recusals(ctx context.Context, callID string) ([]calls.Recusal, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT call_id, entry_id, user_id, at FROM recusals WHERE call_id = $1
		ORDER BY at, entry_id, user_id`, callID)
	if err != nil {
		return nil, s.errorf("sqlstore: recusals in call %s: %w", callID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (calls.Recusal, error) {
		var r calls.Recusal
		var at int64
		err := sc.Scan(&r.CallID, &r.EntryID, &r.UserID, &at)
		r.At = fromMicros(at)
		return r, err
	})
}

// SetAward implements calls.Store; award calls.AwardNone ("") clears it.
func (s *Store) SetAward(ctx context.Context, entryID, award string) error {
	return s.updateOne(ctx, "set award", calls.ErrNotFound, `UPDATE entries SET award = $1 WHERE id = $2`, award, entryID)
}

// Originals requests.

const requestColumns = `id, call_id, entry_id, image_id, owner_id, requested_by, message, state, consent_id, requested_at, decided_at`

func scanRequest(sc interface{ Scan(...any) error }) (calls.OriginalsRequest, error) {
	var r calls.OriginalsRequest
	var requested, decided int64
	err := sc.Scan(&r.ID, &r.CallID, &r.EntryID, &r.ImageID, &r.OwnerID, &r.RequestedBy, &r.Message, &r.State, &r.ConsentID,
		&requested, &decided)
	r.RequestedAt, r.DecidedAt = fromMicros(requested), fromMicros(decided)
	return r, err
}

// CreateOriginalsRequest implements calls.Store.
func (s *Store) CreateOriginalsRequest(ctx context.Context, r calls.OriginalsRequest) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO originals_requests (`+requestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.CallID, r.EntryID, r.ImageID, r.OwnerID, r.RequestedBy, r.Message, r.State, r.ConsentID,
		micros(r.RequestedAt), micros(r.DecidedAt))
	if err != nil {
		return s.errorf("sqlstore: create originals request: %w", err)
	}
	return nil
}

// OriginalsRequestByID implements calls.Store.
func (s *Store) OriginalsRequestByID(ctx context.Context, id string) (calls.OriginalsRequest, error) {
	r, err := scanRequest(s.read.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM originals_requests WHERE id = $1`, id))
	if err != nil {
		return calls.OriginalsRequest{}, s.errorf("sqlstore: originals request %s: %w", id, notFound(err, calls.ErrNotFound))
	}
	return r, nil
}

// OriginalsRequestsOfCall implements calls.Store: newest first (ties: id).
func (s *Store) OriginalsRequestsOfCall(ctx context.Context, callID string) ([]calls.OriginalsRequest, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+requestColumns+` FROM originals_requests WHERE call_id = $1
		ORDER BY requested_at DESC, id DESC`, callID)
	if err != nil {
		return nil, s.errorf("sqlstore: originals requests in call %s: %w", callID, err)
	}
	return collect(s, rows, scanRequest)
}

// OriginalsRequestsOfUser implements calls.Store: the requests made to
// the entrant userID, newest first (ties: id).
func (s *Store) OriginalsRequestsOfUser(ctx context.Context, userID string) ([]calls.OriginalsRequest, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+requestColumns+` FROM originals_requests WHERE owner_id = $1
		ORDER BY requested_at DESC, id DESC`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: originals requests to %s: %w", userID, err)
	}
	return collect(s, rows, scanRequest)
}

// DecideOriginalsRequest implements calls.Store: state must be approved
// or declined. Only a pending request changes, so of two concurrent
// answers one wins and the other gets calls.ErrAlreadyDecided.
func (s *Store) DecideOriginalsRequest(ctx context.Context, id, state, consentID string, at time.Time) error {
	if state != calls.RequestApproved && state != calls.RequestDeclined {
		return fmt.Errorf("sqlstore: decide originals request %s: %q is not a decision", id, state)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE originals_requests SET state = $1, consent_id = $2, decided_at = $3
			WHERE id = $4 AND state = $5`, state, consentID, micros(at), id, calls.RequestPending)
		if err != nil || n > 0 {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM originals_requests WHERE id = $1`, id).Scan(&one); err != nil {
			return notFound(err, calls.ErrNotFound)
		}
		return calls.ErrAlreadyDecided
	})
	if err != nil {
		return s.errorf("sqlstore: decide originals request %s: %w", id, err)
	}
	return nil
}

// WithdrawOriginalsRelease implements calls.Store: the approved request
// whose release is consent consentID becomes withdrawn, with DecidedAt
// at (the photographer's latest decision). Withdrawing it again is no
// error; no request with that consent is calls.ErrNotFound.
func (s *Store) WithdrawOriginalsRelease(ctx context.Context, consentID string, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if consentID == "" {
			return calls.ErrNotFound
		}
		n, err := txCount(ctx, tx, `UPDATE originals_requests SET state = $1, decided_at = $2 WHERE consent_id = $3 AND state = $4`,
			calls.RequestWithdrawn, micros(at), consentID, calls.RequestApproved)
		if err != nil || n > 0 {
			return err
		}
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM originals_requests WHERE consent_id = $1`, consentID).Scan(&count); err != nil {
			return err
		}
		if count == 0 {
			return calls.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return s.errorf("sqlstore: withdraw originals release of consent %s: %w", consentID, err)
	}
	return nil
}
