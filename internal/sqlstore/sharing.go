package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"safelight/internal/sharing"
)

var _ sharing.Store = (*Store)(nil)

// Projects.

// projectColumns reads cover_id only while that asset is still in the
// project: a cover removed from the project, or purged (which removes it
// from every project by cascade), reads as no cover.
const projectColumns = `p.id, p.owner_id, p.name, p.description,
	CASE WHEN EXISTS (SELECT 1 FROM project_assets c WHERE c.project_id = p.id AND c.asset_id = p.cover_id)
		THEN p.cover_id ELSE '' END,
	p.show_camera, p.created_at, p.updated_at`

func scanProject(sc interface{ Scan(...any) error }) (sharing.Project, error) {
	var p sharing.Project
	var showCamera, created, updated int64
	err := sc.Scan(&p.ID, &p.OwnerID, &p.Name, &p.Description, &p.CoverID, &showCamera, &created, &updated)
	p.ShowCamera = showCamera != 0
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, err
}

// bit is how a flag column stores a bool: INTEGER 0/1 on both engines
// (see migrations/postgres/0009_sharing.sql).
func bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateProject implements sharing.Store.
func (s *Store) CreateProject(ctx context.Context, p sharing.Project) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO projects (id, owner_id, name, description, cover_id, show_camera, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, p.OwnerID, p.Name, p.Description, p.CoverID, bit(p.ShowCamera), micros(p.CreatedAt), micros(p.UpdatedAt))
	if err != nil {
		return s.errorf("sqlstore: create project: %w", err)
	}
	return nil
}

// ProjectByID implements sharing.Store.
func (s *Store) ProjectByID(ctx context.Context, id string) (sharing.Project, error) {
	p, err := scanProject(s.read.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.id = $1`, id))
	if err != nil {
		return sharing.Project{}, s.errorf("sqlstore: project %s: %w", id, notFound(err, sharing.ErrNotFound))
	}
	return p, nil
}

// UpdateProject implements sharing.Store: it sets the name, description,
// cover, camera-details switch and updated time; the owner and the
// creation time never change.
func (s *Store) UpdateProject(ctx context.Context, p sharing.Project) error {
	return s.updateOne(ctx, "update project", sharing.ErrNotFound,
		`UPDATE projects SET name = $1, description = $2, cover_id = $3, show_camera = $4, updated_at = $5 WHERE id = $6`,
		p.Name, p.Description, p.CoverID, bit(p.ShowCamera), micros(p.UpdatedAt), p.ID)
}

// DeleteProject implements sharing.Store. The foreign keys remove the
// project's assets list, members, links (with their unlocks and guests),
// marks, comments and "done" records with it; notifications about it stay.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	return s.updateOne(ctx, "delete project", sharing.ErrNotFound, `DELETE FROM projects WHERE id = $1`, id)
}

// ProjectsOwnedBy implements sharing.Store.
func (s *Store) ProjectsOwnedBy(ctx context.Context, ownerID string) ([]sharing.Project, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.owner_id = $1
		ORDER BY p.created_at DESC, p.id DESC`, ownerID)
	if err != nil {
		return nil, s.errorf("sqlstore: projects of %s: %w", ownerID, err)
	}
	return collect(s, rows, scanProject)
}

// ProjectsSharedWith implements sharing.Store. email must be normalized,
// as it is stored.
func (s *Store) ProjectsSharedWith(ctx context.Context, email string) ([]sharing.Project, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+projectColumns+` FROM projects p
		JOIN project_members m ON m.project_id = p.id WHERE m.email = $1
		ORDER BY p.created_at DESC, p.id DESC`, email)
	if err != nil {
		return nil, s.errorf("sqlstore: projects shared with a member: %w", err)
	}
	return collect(s, rows, scanProject)
}

// lockProject is the first statement of a transaction that reads the
// project's asset list and then changes it: a no-op UPDATE of the
// project's row, which PostgreSQL locks until commit, so that two such
// transactions on one project take turns and the second sees what the
// first wrote (SQLite's BEGIN IMMEDIATE already serializes them). It
// returns sharing.ErrNotFound when there is no such project.
func lockProject(ctx context.Context, tx *sql.Tx, projectID string) error {
	n, err := txCount(ctx, tx, `UPDATE projects SET updated_at = updated_at WHERE id = $1`, projectID)
	if err != nil {
		return err
	}
	if n == 0 {
		return sharing.ErrNotFound
	}
	return nil
}

// AddProjectAssets implements sharing.Store, in one transaction: the ids
// not yet in the project are appended in the order given (an id listed
// twice counts once). As a second line behind package sharing's check, an
// id that is not an asset of the project's owner fails the whole call
// with sharing.ErrNotOwnAsset, and adds nothing.
func (s *Store) AddProjectAssets(ctx context.Context, projectID string, assetIDs []string, at time.Time) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		if err := lockProject(ctx, tx, projectID); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM project_assets WHERE project_id = $1`,
			projectID).Scan(&last); err != nil {
			return err
		}
		seen := make(map[string]bool, len(assetIDs))
		for _, id := range assetIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			var present int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_assets WHERE project_id = $1 AND asset_id = $2`,
				projectID, id).Scan(&present); err != nil {
				return err
			}
			if present > 0 {
				continue
			}
			n, err := txCount(ctx, tx, `INSERT INTO project_assets (project_id, asset_id, position, added_at)
				SELECT p.id, a.id, $3, $4 FROM projects p JOIN assets a ON a.owner_id = p.owner_id
				WHERE p.id = $1 AND a.id = $2`, projectID, id, last+1, micros(at))
			if err != nil {
				return err
			}
			if n == 0 {
				return sharing.ErrNotOwnAsset
			}
			last++
			added++
		}
		return nil
	})
	if err != nil {
		return 0, s.errorf("sqlstore: add assets to project %s: %w", projectID, err)
	}
	return added, nil
}

// RemoveProjectAsset implements sharing.Store. The asset's marks and
// comments in this project go with it, and it stops being the cover: a
// review is of an asset in a project, and what is out of the project is
// out of its review.
func (s *Store) RemoveProjectAsset(ctx context.Context, projectID, assetID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `DELETE FROM project_assets WHERE project_id = $1 AND asset_id = $2`, projectID, assetID)
		if err != nil {
			return err
		}
		if n == 0 {
			return sharing.ErrNotFound
		}
		for _, q := range []string{
			`DELETE FROM review_marks WHERE project_id = $1 AND asset_id = $2`,
			`DELETE FROM review_comments WHERE project_id = $1 AND asset_id = $2`,
			`UPDATE projects SET cover_id = '' WHERE id = $1 AND cover_id = $2`,
		} {
			if _, err := tx.ExecContext(ctx, q, projectID, assetID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.errorf("sqlstore: remove asset from project %s: %w", projectID, err)
	}
	return nil
}

// ProjectAssetIDs implements sharing.Store; an unknown project has none.
func (s *Store) ProjectAssetIDs(ctx context.Context, projectID string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT asset_id FROM project_assets WHERE project_id = $1
		ORDER BY position, asset_id`, projectID)
	if err != nil {
		return nil, s.errorf("sqlstore: assets of project %s: %w", projectID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		err := sc.Scan(&id)
		return id, err
	})
}

// InProject implements sharing.Store.
func (s *Store) InProject(ctx context.Context, projectID, assetID string) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_assets WHERE project_id = $1 AND asset_id = $2`,
		projectID, assetID).Scan(&n); err != nil {
		return false, s.errorf("sqlstore: in project %s: %w", projectID, err)
	}
	return n > 0, nil
}

// errOrderMismatch is why ReorderProjectAssets refuses a list. It wraps
// sharing.ErrNotFound, the answer for an asset outside the project, which
// is what a list naming one is; one that misses an asset (added meanwhile)
// gets the same answer, as sharing has no sentinel for a stale order.
var errOrderMismatch = fmt.Errorf("the new order must list each of the project's assets exactly once: %w", sharing.ErrNotFound)

// ReorderProjectAssets implements sharing.Store, in one transaction.
// assetIDs must be exactly the project's asset ids, each once; otherwise
// nothing changes and the error wraps sharing.ErrNotFound.
func (s *Store) ReorderProjectAssets(ctx context.Context, projectID string, assetIDs []string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockProject(ctx, tx, projectID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT asset_id FROM project_assets WHERE project_id = $1`, projectID)
		if err != nil {
			return err
		}
		current := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			current[id] = false
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if len(assetIDs) != len(current) {
			return errOrderMismatch
		}
		for _, id := range assetIDs {
			listed, ok := current[id]
			if !ok || listed {
				return errOrderMismatch
			}
			current[id] = true
		}
		for i, id := range assetIDs {
			if _, err := tx.ExecContext(ctx, `UPDATE project_assets SET position = $1 WHERE project_id = $2 AND asset_id = $3`,
				i+1, projectID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.errorf("sqlstore: reorder project %s: %w", projectID, err)
	}
	return nil
}

// Members.

const memberColumns = `id, project_id, email, role, download, invited_by, created_at`

func scanMember(sc interface{ Scan(...any) error }) (sharing.Member, error) {
	var m sharing.Member
	var role, download string
	var created int64
	err := sc.Scan(&m.ID, &m.ProjectID, &m.Email, &role, &download, &m.InvitedBy, &created)
	m.Role, m.Download, m.CreatedAt = sharing.Role(role), sharing.Download(download), fromMicros(created)
	return m, err
}

// CreateMember implements sharing.Store.
func (s *Store) CreateMember(ctx context.Context, m sharing.Member) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO project_members (`+memberColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, m.ProjectID, m.Email, string(m.Role), string(m.Download), m.InvitedBy, micros(m.CreatedAt))
	if s.dialect.isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: create member: %w", sharing.ErrAlreadyMember)
	} else if err != nil {
		return s.errorf("sqlstore: create member: %w", err)
	}
	return nil
}

// MembersOf implements sharing.Store: oldest invitation first.
func (s *Store) MembersOf(ctx context.Context, projectID string) ([]sharing.Member, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+memberColumns+` FROM project_members WHERE project_id = $1
		ORDER BY created_at, id`, projectID)
	if err != nil {
		return nil, s.errorf("sqlstore: members of project %s: %w", projectID, err)
	}
	return collect(s, rows, scanMember)
}

// MemberByEmail implements sharing.Store. email must be normalized.
func (s *Store) MemberByEmail(ctx context.Context, projectID, email string) (sharing.Member, error) {
	m, err := scanMember(s.read.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM project_members
		WHERE project_id = $1 AND email = $2`, projectID, email))
	if err != nil {
		return sharing.Member{}, s.errorf("sqlstore: member of project %s by e-mail: %w", projectID, notFound(err, sharing.ErrNotFound))
	}
	return m, nil
}

// UpdateMember implements sharing.Store: it sets the role and download
// policy of the member m.ID of project m.ProjectID.
func (s *Store) UpdateMember(ctx context.Context, m sharing.Member) error {
	return s.updateOne(ctx, "update member", sharing.ErrNotFound,
		`UPDATE project_members SET role = $1, download = $2 WHERE id = $3 AND project_id = $4`,
		string(m.Role), string(m.Download), m.ID, m.ProjectID)
}

// DeleteMember implements sharing.Store. The member's marks and comments
// stay: they are part of the owner's review.
func (s *Store) DeleteMember(ctx context.Context, projectID, memberID string) error {
	return s.updateOne(ctx, "delete member", sharing.ErrNotFound,
		`DELETE FROM project_members WHERE id = $1 AND project_id = $2`, memberID, projectID)
}

// Review links.

const linkColumns = `id, project_id, token_hash, password_hash, password_version, download, watermark,
	expires_at, created_by, created_at, revoked_at`

func scanLink(sc interface{ Scan(...any) error }) (sharing.Link, error) {
	var l sharing.Link
	var download string
	var expires, created, revoked int64
	err := sc.Scan(&l.ID, &l.ProjectID, &l.TokenHash, &l.PasswordHash, &l.PasswordVersion, &download, &l.Watermark,
		&expires, &l.CreatedBy, &created, &revoked)
	l.Download = sharing.Download(download)
	l.ExpiresAt, l.CreatedAt, l.RevokedAt = fromMicros(expires), fromMicros(created), fromMicros(revoked)
	return l, err
}

// CreateLink implements sharing.Store.
func (s *Store) CreateLink(ctx context.Context, l sharing.Link) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO review_links (`+linkColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		l.ID, l.ProjectID, l.TokenHash, l.PasswordHash, l.PasswordVersion, string(l.Download), l.Watermark,
		micros(l.ExpiresAt), l.CreatedBy, micros(l.CreatedAt), micros(l.RevokedAt))
	if err != nil {
		return s.errorf("sqlstore: create link: %w", err)
	}
	return nil
}

// LinkByHash implements sharing.Store: revoked and expired links too, so
// that the caller decides (and answers them like unknown ones).
func (s *Store) LinkByHash(ctx context.Context, hash []byte) (sharing.Link, error) {
	l, err := scanLink(s.read.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM review_links WHERE token_hash = $1`, hash))
	if err != nil {
		return sharing.Link{}, s.errorf("sqlstore: link by hash: %w", notFound(err, sharing.ErrNotFound))
	}
	return l, nil
}

// LinksOf implements sharing.Store: newest first, revoked ones included.
func (s *Store) LinksOf(ctx context.Context, projectID string) ([]sharing.Link, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+linkColumns+` FROM review_links WHERE project_id = $1
		ORDER BY created_at DESC, id DESC`, projectID)
	if err != nil {
		return nil, s.errorf("sqlstore: links of project %s: %w", projectID, err)
	}
	return collect(s, rows, scanLink)
}

// UpdateLink implements sharing.Store: it sets the password (hash and
// version), download policy, watermark and expiry of the link l.ID of
// project l.ProjectID. The token, creator and revocation do not change:
// a revoked link stays revoked. Unlocks made with another password
// version are deleted in the same transaction, so a password change ends
// them even if a caller forgot to compare versions.
func (s *Store) UpdateLink(ctx context.Context, l sharing.Link) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE review_links SET password_hash = $1, password_version = $2, download = $3,
			watermark = $4, expires_at = $5 WHERE id = $6 AND project_id = $7`,
			l.PasswordHash, l.PasswordVersion, string(l.Download), l.Watermark, micros(l.ExpiresAt), l.ID, l.ProjectID)
		if err != nil {
			return err
		}
		if n == 0 {
			return sharing.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM link_unlocks WHERE link_id = $1 AND password_version <> $2`, l.ID, l.PasswordVersion)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: update link %s: %w", l.ID, err)
	}
	return nil
}

// RevokeLink implements sharing.Store. Revoking a revoked link keeps the
// first time. The link's unlocks are deleted in the same transaction; its
// guests, and their marks and comments, stay for the owner to see.
func (s *Store) RevokeLink(ctx context.Context, projectID, linkID string, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := txCount(ctx, tx, `UPDATE review_links SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END
			WHERE id = $2 AND project_id = $3`, micros(at), linkID, projectID)
		if err != nil {
			return err
		}
		if n == 0 {
			return sharing.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM link_unlocks WHERE link_id = $1`, linkID)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: revoke link %s: %w", linkID, err)
	}
	return nil
}

// CreateUnlock implements sharing.Store.
func (s *Store) CreateUnlock(ctx context.Context, u sharing.Unlock) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO link_unlocks (token_hash, link_id, password_version, expires_at)
		VALUES ($1, $2, $3, $4)`, u.TokenHash, u.LinkID, u.PasswordVersion, micros(u.ExpiresAt))
	if err != nil {
		return s.errorf("sqlstore: create unlock: %w", err)
	}
	return nil
}

// UnlockByHash implements sharing.Store: expired unlocks too, until they
// are swept; the caller checks ExpiresAt and PasswordVersion.
func (s *Store) UnlockByHash(ctx context.Context, hash []byte) (sharing.Unlock, error) {
	var u sharing.Unlock
	var expires int64
	err := s.read.QueryRowContext(ctx, `SELECT token_hash, link_id, password_version, expires_at FROM link_unlocks
		WHERE token_hash = $1`, hash).Scan(&u.TokenHash, &u.LinkID, &u.PasswordVersion, &expires)
	if err != nil {
		return sharing.Unlock{}, s.errorf("sqlstore: unlock by hash: %w", notFound(err, sharing.ErrNotFound))
	}
	u.ExpiresAt = fromMicros(expires)
	return u, nil
}

// DeleteExpiredUnlocks implements sharing.Store: those whose end is at or
// before now.
func (s *Store) DeleteExpiredUnlocks(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM link_unlocks WHERE expires_at <= $1`, micros(now))
	if err != nil {
		return 0, s.errorf("sqlstore: delete expired unlocks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("sqlstore: delete expired unlocks: %w", err)
	}
	return int(n), nil
}

// Guests.

const guestColumns = `id, link_id, token_hash, name, email, created_at`

func scanGuest(sc interface{ Scan(...any) error }) (sharing.Guest, error) {
	var g sharing.Guest
	var created int64
	err := sc.Scan(&g.ID, &g.LinkID, &g.TokenHash, &g.Name, &g.Email, &created)
	g.CreatedAt = fromMicros(created)
	return g, err
}

// CreateGuest implements sharing.Store.
func (s *Store) CreateGuest(ctx context.Context, g sharing.Guest) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO link_guests (`+guestColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		g.ID, g.LinkID, g.TokenHash, g.Name, g.Email, micros(g.CreatedAt))
	if err != nil {
		return s.errorf("sqlstore: create guest: %w", err)
	}
	return nil
}

// GuestByHash implements sharing.Store.
func (s *Store) GuestByHash(ctx context.Context, hash []byte) (sharing.Guest, error) {
	g, err := scanGuest(s.read.QueryRowContext(ctx, `SELECT `+guestColumns+` FROM link_guests WHERE token_hash = $1`, hash))
	if err != nil {
		return sharing.Guest{}, s.errorf("sqlstore: guest by hash: %w", notFound(err, sharing.ErrNotFound))
	}
	return g, nil
}

// GuestsOf implements sharing.Store: oldest first.
func (s *Store) GuestsOf(ctx context.Context, linkID string) ([]sharing.Guest, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+guestColumns+` FROM link_guests WHERE link_id = $1
		ORDER BY created_at, id`, linkID)
	if err != nil {
		return nil, s.errorf("sqlstore: guests of link %s: %w", linkID, err)
	}
	return collect(s, rows, scanGuest)
}

// Review.

// PutMark implements sharing.Store. The mark is stored only while the
// asset is in the project; otherwise the error wraps sharing.ErrNotFound
// (a second line behind package sharing's check).
func (s *Store) PutMark(ctx context.Context, m sharing.Mark) error {
	res, err := s.write.ExecContext(ctx, `INSERT INTO review_marks
		(project_id, asset_id, reviewer_kind, reviewer_id, rating, label, flag, updated_at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8
		WHERE EXISTS (SELECT 1 FROM project_assets WHERE project_id = $1 AND asset_id = $2)
		ON CONFLICT (project_id, asset_id, reviewer_kind, reviewer_id) DO UPDATE SET
			rating = excluded.rating, label = excluded.label, flag = excluded.flag, updated_at = excluded.updated_at`,
		m.ProjectID, m.AssetID, m.Reviewer.Kind, m.Reviewer.ID, m.Rating, m.Label, m.Flag, micros(m.UpdatedAt))
	if err := mustChange(res, err, sharing.ErrNotFound); err != nil {
		return s.errorf("sqlstore: put mark: %w", err)
	}
	return nil
}

// mustChange turns the result of a statement that must change a row into
// an error: the statement's own, or sentinel when no row changed.
func mustChange(res sql.Result, err error, sentinel error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sentinel
	}
	return nil
}

// MarksOf implements sharing.Store: the marks on the assets now in the
// project, in the project's order, then by reviewer.
func (s *Store) MarksOf(ctx context.Context, projectID string) ([]sharing.Mark, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT m.project_id, m.asset_id, m.reviewer_kind, m.reviewer_id,
		m.rating, m.label, m.flag, m.updated_at
		FROM review_marks m JOIN project_assets pa ON pa.project_id = m.project_id AND pa.asset_id = m.asset_id
		WHERE m.project_id = $1
		ORDER BY pa.position, m.asset_id, m.reviewer_kind, m.reviewer_id`, projectID)
	if err != nil {
		return nil, s.errorf("sqlstore: marks of project %s: %w", projectID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (sharing.Mark, error) {
		var m sharing.Mark
		var updated int64
		err := sc.Scan(&m.ProjectID, &m.AssetID, &m.Reviewer.Kind, &m.Reviewer.ID, &m.Rating, &m.Label, &m.Flag, &updated)
		m.UpdatedAt = fromMicros(updated)
		return m, err
	})
}

// CreateComment implements sharing.Store. Like PutMark, it refuses (with
// sharing.ErrNotFound) an asset that is not in the project.
func (s *Store) CreateComment(ctx context.Context, c sharing.Comment) error {
	res, err := s.write.ExecContext(ctx, `INSERT INTO review_comments
		(id, project_id, asset_id, author_kind, author_id, body, created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7
		WHERE EXISTS (SELECT 1 FROM project_assets WHERE project_id = $2 AND asset_id = $3)`,
		c.ID, c.ProjectID, c.AssetID, c.Author.Kind, c.Author.ID, c.Body, micros(c.CreatedAt))
	if err := mustChange(res, err, sharing.ErrNotFound); err != nil {
		return s.errorf("sqlstore: create comment: %w", err)
	}
	return nil
}

// CommentsOf implements sharing.Store, for the assets now in the project.
func (s *Store) CommentsOf(ctx context.Context, projectID, assetID string) ([]sharing.Comment, error) {
	where, args := `c.project_id = $1`, []any{projectID}
	if assetID != "" {
		where, args = where+` AND c.asset_id = $2`, append(args, assetID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT c.id, c.project_id, c.asset_id, c.author_kind, c.author_id, c.body, c.created_at
		FROM review_comments c JOIN project_assets pa ON pa.project_id = c.project_id AND pa.asset_id = c.asset_id
		WHERE `+where+` ORDER BY c.created_at, c.id`, args...)
	if err != nil {
		return nil, s.errorf("sqlstore: comments of project %s: %w", projectID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (sharing.Comment, error) {
		var c sharing.Comment
		var created int64
		err := sc.Scan(&c.ID, &c.ProjectID, &c.AssetID, &c.Author.Kind, &c.Author.ID, &c.Body, &created)
		c.CreatedAt = fromMicros(created)
		return c, err
	})
}

// PutDone implements sharing.Store: a reviewer's second "done" replaces
// the time of the first.
func (s *Store) PutDone(ctx context.Context, d sharing.Done) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO review_done (project_id, reviewer_kind, reviewer_id, at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (project_id, reviewer_kind, reviewer_id) DO UPDATE SET at = excluded.at`,
		d.ProjectID, d.Reviewer.Kind, d.Reviewer.ID, micros(d.At))
	if err != nil {
		return s.errorf("sqlstore: put done: %w", err)
	}
	return nil
}

// DonesOf implements sharing.Store: earliest first.
func (s *Store) DonesOf(ctx context.Context, projectID string) ([]sharing.Done, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT project_id, reviewer_kind, reviewer_id, at FROM review_done
		WHERE project_id = $1 ORDER BY at, reviewer_kind, reviewer_id`, projectID)
	if err != nil {
		return nil, s.errorf("sqlstore: review done of project %s: %w", projectID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (sharing.Done, error) {
		var d sharing.Done
		var at int64
		err := sc.Scan(&d.ProjectID, &d.Reviewer.Kind, &d.Reviewer.ID, &at)
		d.At = fromMicros(at)
		return d, err
	})
}

// Notifications.

// CreateNotification implements sharing.Store.
func (s *Store) CreateNotification(ctx context.Context, n sharing.Notification) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, project_id, body, created_at, read_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		n.ID, n.UserID, n.Kind, n.ProjectID, n.Text, micros(n.CreatedAt), micros(n.ReadAt))
	if err != nil {
		return s.errorf("sqlstore: create notification: %w", err)
	}
	return nil
}

// NotificationsOf implements sharing.Store: the newest limit, newest
// first, read ones included; none for a limit below 1.
func (s *Store) NotificationsOf(ctx context.Context, userID string, limit int) ([]sharing.Notification, error) {
	if limit < 1 {
		return []sharing.Notification{}, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, user_id, kind, project_id, body, created_at, read_at FROM notifications
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: notifications of %s: %w", userID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (sharing.Notification, error) {
		var n sharing.Notification
		var created, read int64
		err := sc.Scan(&n.ID, &n.UserID, &n.Kind, &n.ProjectID, &n.Text, &created, &read)
		n.CreatedAt, n.ReadAt = fromMicros(created), fromMicros(read)
		return n, err
	})
}

// MarkNotificationsRead implements sharing.Store: every unread
// notification of the account is read at at; those read before keep
// their time.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID string, at time.Time) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at = 0`,
		micros(at), userID); err != nil {
		return s.errorf("sqlstore: mark notifications read: %w", err)
	}
	return nil
}
