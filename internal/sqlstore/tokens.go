package sqlstore

import (
	"context"
	"time"

	"safelight/internal/auth"
)

// CreateToken implements auth.Store.
func (s *Store) CreateToken(ctx context.Context, t auth.Token) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, t.UserID, t.Name, t.Hash, micros(t.CreatedAt), micros(t.LastUsedAt))
	if err != nil {
		return s.errorf("sqlstore: create token: %w", err)
	}
	return nil
}

const tokenColumns = `id, user_id, name, token_hash, created_at, last_used_at`

func scanToken(sc interface{ Scan(...any) error }) (auth.Token, error) {
	var t auth.Token
	var created, used int64
	err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &used)
	t.CreatedAt, t.LastUsedAt = fromMicros(created), fromMicros(used)
	return t, err
}

// TokenByHash implements auth.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (auth.Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash))
	if err != nil {
		return auth.Token{}, s.errorf("sqlstore: token by hash: %w", notFound(err, auth.ErrNotFound))
	}
	return t, nil
}

// TouchToken implements auth.Store.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.updateOne(ctx, "touch token", auth.ErrNotFound,
		`UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, micros(at), id)
}

// TokensOf implements auth.Store.
func (s *Store) TokensOf(ctx context.Context, userID string) ([]auth.Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1
		ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: tokens of %s: %w", userID, err)
	}
	return collect(s, rows, scanToken)
}

// DeleteToken implements auth.Store.
func (s *Store) DeleteToken(ctx context.Context, userID, id string) error {
	return s.updateOne(ctx, "delete token", auth.ErrNotFound,
		`DELETE FROM api_tokens WHERE id = $1 AND user_id = $2`, id, userID)
}

// DeleteTokensOf implements auth.Store.
func (s *Store) DeleteTokensOf(ctx context.Context, userID string) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID)
	if err != nil {
		return 0, s.errorf("sqlstore: delete tokens of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("sqlstore: delete tokens of %s: %w", userID, err)
	}
	return int(n), nil
}

// CreateInvite implements auth.Store.
func (s *Store) CreateInvite(ctx context.Context, inv auth.Invite) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO invites (id, email, token_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, inv.ID, inv.Email, inv.Hash, inv.CreatedBy, micros(inv.CreatedAt), micros(inv.ExpiresAt))
	if err != nil {
		return s.errorf("sqlstore: create invite: %w", err)
	}
	return nil
}

// CreateDevice implements auth.Store.
func (s *Store) CreateDevice(ctx context.Context, d auth.Device) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO devices (id, user_id, token_hash, created_at)
		VALUES ($1, $2, $3, $4)`, d.ID, d.UserID, d.Hash, micros(d.CreatedAt))
	if err != nil {
		return s.errorf("sqlstore: create device: %w", err)
	}
	return nil
}

// DeviceByHash implements auth.Store.
func (s *Store) DeviceByHash(ctx context.Context, hash []byte) (auth.Device, error) {
	var d auth.Device
	var created int64
	err := s.read.QueryRowContext(ctx, `SELECT id, user_id, token_hash, created_at FROM devices WHERE token_hash = $1`, hash).
		Scan(&d.ID, &d.UserID, &d.Hash, &created)
	if err != nil {
		return auth.Device{}, s.errorf("sqlstore: device by hash: %w", notFound(err, auth.ErrNotFound))
	}
	d.CreatedAt = fromMicros(created)
	return d, nil
}

// AddLoginFailure implements auth.Store. One statement, so concurrent
// failures from several processes all count.
func (s *Store) AddLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, time.Time, error) {
	var n int
	var start int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END
		RETURNING failures, window_start`, key, micros(at), micros(at.Add(-window))).Scan(&n, &start)
	if err != nil {
		return 0, time.Time{}, s.errorf("sqlstore: add login failure: %w", err)
	}
	return n, fromMicros(start), nil
}

// LoginFailures implements auth.Store.
func (s *Store) LoginFailures(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var start int64
	err := s.read.QueryRowContext(ctx, `SELECT failures, window_start FROM login_failures WHERE key = $1`, key).Scan(&n, &start)
	if err != nil {
		if err := notFound(err, auth.ErrNotFound); err == auth.ErrNotFound {
			return 0, time.Time{}, nil
		}
		return 0, time.Time{}, s.errorf("sqlstore: login failures: %w", err)
	}
	return n, fromMicros(start), nil
}

// ClearLoginFailures implements auth.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return s.errorf("sqlstore: clear login failures: %w", err)
	}
	return nil
}
