package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"safelight/internal/blob"
	"safelight/internal/privacy"
)

var _ privacy.ErasureStore = (*Store)(nil)

// ScheduleErasure implements privacy.ErasureStore: a second request while
// one is scheduled keeps the first (its erase_at does not move).
func (s *Store) ScheduleErasure(ctx context.Context, e privacy.Erasure) (privacy.Erasure, error) {
	_, err := s.write.ExecContext(ctx, `INSERT INTO erasures (user_id, requested_at, erase_at)
		SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
		ON CONFLICT (user_id) DO NOTHING`, e.UserID, micros(e.RequestedAt), micros(e.EraseAt))
	if err != nil {
		return privacy.Erasure{}, s.errorf("sqlstore: schedule erasure of %s: %w", e.UserID, err)
	}
	return s.erasureOf(ctx, s.write, e.UserID)
}

// CancelErasure implements privacy.ErasureStore.
func (s *Store) CancelErasure(ctx context.Context, userID string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM erasures WHERE user_id = $1`, userID)
	if err := mustChange(res, err, privacy.ErrNoErasure); err != nil {
		return s.errorf("sqlstore: cancel erasure of %s: %w", userID, err)
	}
	return nil
}

// ErasureOf implements privacy.ErasureStore.
func (s *Store) ErasureOf(ctx context.Context, userID string) (privacy.Erasure, error) {
	return s.erasureOf(ctx, s.read, userID)
}

func (s *Store) erasureOf(ctx context.Context, db *sql.DB, userID string) (privacy.Erasure, error) {
	var req, at int64
	err := db.QueryRowContext(ctx, `SELECT requested_at, erase_at FROM erasures WHERE user_id = $1`, userID).Scan(&req, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return privacy.Erasure{}, fmt.Errorf("sqlstore: erasure of %s: %w", userID, privacy.ErrNoErasure)
	}
	if err != nil {
		return privacy.Erasure{}, s.errorf("sqlstore: erasure of %s: %w", userID, err)
	}
	return privacy.Erasure{UserID: userID, RequestedAt: fromMicros(req), EraseAt: fromMicros(at)}, nil
}

// DueErasures implements privacy.ErasureStore: earliest first.
func (s *Store) DueErasures(ctx context.Context, now time.Time) ([]privacy.Erasure, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT user_id, requested_at, erase_at FROM erasures
		WHERE erase_at <= $1 ORDER BY erase_at, user_id`, micros(now))
	if err != nil {
		return nil, s.errorf("sqlstore: due erasures: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (privacy.Erasure, error) {
		var e privacy.Erasure
		var req, at int64
		err := sc.Scan(&e.UserID, &req, &at)
		e.RequestedAt, e.EraseAt = fromMicros(req), fromMicros(at)
		return e, err
	})
}

// ErasureBlobRefs implements privacy.ErasureStore: every blob an account's
// rows name (originals and derivatives of its assets, trashed or not, and
// its data exports).
func (s *Store) ErasureBlobRefs(ctx context.Context, userID string) ([]blob.Ref, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT original_ref FROM assets WHERE owner_id = $1
		UNION SELECT thumb_ref FROM assets WHERE owner_id = $1 AND thumb_ref <> ''
		UNION SELECT preview_ref FROM assets WHERE owner_id = $1 AND preview_ref <> ''
		UNION SELECT blob_ref FROM exports WHERE user_id = $1 AND blob_ref <> ''`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: blobs of %s: %w", userID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (blob.Ref, error) {
		var r string
		err := sc.Scan(&r)
		return blob.Ref(r), err
	})
}

// EraseAccount implements privacy.ErasureStore, in one transaction:
//
//   - the account's entries are withdrawn and its consents marked
//     withdrawn (then deleted with the account: the withdrawal is what
//     any reader in between sees);
//   - its comments in other people's projects keep their text and lose
//     their author (privacy.DeletedUserID); its marks and "done" there are
//     deleted (a rating has no text worth keeping and the primary key
//     would collide between two erased reviewers);
//   - its name leaves other owners' access logs ("deleted user");
//   - grants to its e-mail address (project and organization members,
//     jurors) are deleted, so that whoever registers the address later
//     inherits nothing; outbox mail to it and its WebAuthn ceremonies go;
//   - its owner keys are deleted (crypto-shredding) and then its user
//     row, which cascades to everything else that names it.
//
// It returns the key versions destroyed. Ids in other tables without a
// foreign key (audit events, votes, recusals, created_by columns) stay:
// they are random and identify no one once the account is gone. Running
// it again, or for an id with no account, deletes what is left.
func (s *Store) EraseAccount(ctx context.Context, userID string, at time.Time) ([]int, error) {
	var versions []int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		versions = versions[:0]
		rows, err := tx.QueryContext(ctx, `SELECT version FROM owner_keys WHERE owner_id = $1 ORDER BY version`, userID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			versions = append(versions, v)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		us := micros(at)
		// Grants to the account's address go with it only when the
		// address was proved theirs: an unverified account (erased by
		// retention, or by itself) must not take away what was shared
		// with whoever really holds the address.
		const email = `(SELECT email FROM users WHERE id = $1 AND email_verified_at <> 0)`
		steps := []struct {
			q    string
			args []any
		}{
			{`UPDATE entries SET state = 'withdrawn', withdrawn_at = $2, updated_at = $2 WHERE user_id = $1 AND state <> 'withdrawn'`, []any{userID, us}},
			{`UPDATE consents SET withdrawn_at = $2 WHERE user_id = $1 AND withdrawn_at = 0`, []any{userID, us}},
			{`UPDATE review_comments SET author_id = $2 WHERE author_kind = 'user' AND author_id = $1`, []any{userID, privacy.DeletedUserID}},
			{`DELETE FROM review_marks WHERE reviewer_kind = 'user' AND reviewer_id = $1`, []any{userID}},
			{`DELETE FROM review_done WHERE reviewer_kind = 'user' AND reviewer_id = $1`, []any{userID}},
			{`UPDATE access_events SET actor_label = $2 WHERE actor_id = $1`, []any{userID, privacy.DeletedUserName}},
			{`DELETE FROM project_members WHERE email = ` + email, []any{userID}},
			{`DELETE FROM org_members WHERE email = ` + email, []any{userID}},
			{`DELETE FROM round_jurors WHERE email = ` + email, []any{userID}},
			{`DELETE FROM mail_outbox WHERE to_addr = ` + email, []any{userID}},
			{`DELETE FROM webauthn_ceremonies WHERE user_id = $1`, []any{userID}},
			{`DELETE FROM owner_keys WHERE owner_id = $1`, []any{userID}},
			{`DELETE FROM users WHERE id = $1`, []any{userID}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("%.40s…: %w", st.q, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.errorf("sqlstore: erase account %s: %w", userID, err)
	}
	return versions, nil
}

// Backup.

// SnapshotTo writes a consistent copy of a SQLite database to path (which
// must not exist) while it stays in use: VACUUM INTO reads one snapshot
// of the database in a read transaction, so writers carry on (WAL) and
// the copy holds every transaction committed before it began and none
// after. The copy is synced to disk. Other engines answer an error: they
// have their own tools (pg_dump).
func (s *Store) SnapshotTo(ctx context.Context, path string) error {
	if s.dialect.name() != "sqlite" {
		return fmt.Errorf("sqlstore: snapshot: not a SQLite database; use the engine's own backup tool (pg_dump)")
	}
	// On the write handle: the read pool is query_only, which refuses
	// VACUUM INTO. It still takes only a read transaction on the source,
	// so other processes' writers carry on.
	if _, err := s.write.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return s.errorf("sqlstore: snapshot to %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sqlstore: snapshot: sync %s: %w", path, err)
	}
	return nil
}

// BackupCounts returns how many accounts and assets the database holds,
// for a backup's manifest.
func (s *Store) BackupCounts(ctx context.Context) (users, assets int, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM assets)`).Scan(&users, &assets)
	if err != nil {
		return 0, 0, s.errorf("sqlstore: backup counts: %w", err)
	}
	return users, assets, nil
}

// OwnerKeyVersions implements privacy.ErasureStore.
func (s *Store) OwnerKeyVersions(ctx context.Context, ownerID string) ([]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT version FROM owner_keys WHERE owner_id = $1 ORDER BY version`, ownerID)
	if err != nil {
		return nil, s.errorf("sqlstore: owner key versions of %s: %w", ownerID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (int, error) {
		var v int
		err := sc.Scan(&v)
		return v, err
	})
}
