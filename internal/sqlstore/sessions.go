package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"safelight/internal/auth"
)

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, ss auth.Session) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO sessions
		(id, user_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ss.ID, ss.UserID, ss.TokenHash, micros(ss.CreatedAt), micros(ss.LastSeenAt), micros(ss.ExpiresAt), ss.IP, ss.UserAgent)
	if err != nil {
		return s.errorf("sqlstore: create session: %w", err)
	}
	return nil
}

const sessionColumns = `id, user_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent`

func scanSession(sc interface{ Scan(...any) error }) (auth.Session, error) {
	var ss auth.Session
	var created, seen, expires int64
	err := sc.Scan(&ss.ID, &ss.UserID, &ss.TokenHash, &created, &seen, &expires, &ss.IP, &ss.UserAgent)
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return ss, err
}

// SessionByHash implements auth.Store.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (auth.Session, error) {
	ss, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1`, hash))
	if err != nil {
		return auth.Session{}, s.errorf("sqlstore: session by hash: %w", notFound(err, auth.ErrNotFound))
	}
	return ss, nil
}

// TouchSession implements auth.Store.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.updateOne(ctx, "touch session", auth.ErrNotFound,
		`UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, micros(at), id)
}

// SessionsOf implements auth.Store.
func (s *Store) SessionsOf(ctx context.Context, userID string) ([]auth.Session, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1
		ORDER BY last_seen_at DESC, id DESC`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: sessions of %s: %w", userID, err)
	}
	return collect(s, rows, scanSession)
}

// DeleteSession implements auth.Store.
func (s *Store) DeleteSession(ctx context.Context, userID, id string) error {
	return s.updateOne(ctx, "delete session", auth.ErrNotFound,
		`DELETE FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
}

// DeleteSessionsExcept implements auth.Store.
func (s *Store) DeleteSessionsExcept(ctx context.Context, userID, keepID string) (int, error) {
	return s.deleteCount(ctx, "delete sessions", `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID)
}

// DeleteExpiredSessions implements auth.Store.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	return s.deleteCount(ctx, "delete expired sessions",
		`DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, micros(now), micros(idleBefore))
}

func (s *Store) deleteCount(ctx context.Context, op, query string, args ...any) (int, error) {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, s.errorf("sqlstore: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("sqlstore: %s: %w", op, err)
	}
	return int(n), nil
}

// collect scans every row with scan and closes rows.
func collect[T any](s *Store, rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.errorf("sqlstore: scan: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("sqlstore: rows: %w", err)
	}
	return out, nil
}

// EndSessionsOf implements auth.AccountAdminStore.
func (s *Store) EndSessionsOf(ctx context.Context, userID, keepID string) (auth.Ended, error) {
	var ended auth.Ended
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = $1`, userID).Scan(&one); err != nil {
			return notFound(err, auth.ErrNotFound)
		}
		var err error
		if ended.Sessions, err = txCount(ctx, tx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepID); err != nil {
			return err
		}
		ended.PendingLogins, err = txCount(ctx, tx, `DELETE FROM pending_logins WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return auth.Ended{}, s.errorf("sqlstore: end sessions of %s: %w", userID, err)
	}
	return ended, nil
}

// EndAllSessions implements auth.AccountAdminStore.
func (s *Store) EndAllSessions(ctx context.Context, keepID string) (auth.Ended, error) {
	var ended auth.Ended
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if ended.Sessions, err = txCount(ctx, tx, `DELETE FROM sessions WHERE id <> $1`, keepID); err != nil {
			return err
		}
		ended.PendingLogins, err = txCount(ctx, tx, `DELETE FROM pending_logins`)
		return err
	})
	if err != nil {
		return auth.Ended{}, s.errorf("sqlstore: end all sessions: %w", err)
	}
	return ended, nil
}
