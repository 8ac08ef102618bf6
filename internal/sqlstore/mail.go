package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"safelight/internal/auth"
	"safelight/internal/mail"
)

var (
	_ auth.EmailStore  = (*Store)(nil)
	_ mail.OutboxStore = (*Store)(nil)
)

// CreateEmailToken implements auth.EmailStore.
func (s *Store) CreateEmailToken(ctx context.Context, t auth.EmailToken) error {
	if t.ID == "" {
		t.ID = newID()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_tokens WHERE user_id = $1 AND purpose = $2`, t.UserID, string(t.Purpose)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (id, user_id, purpose, token_hash, email, created_at, expires_at, used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, t.UserID, string(t.Purpose), t.Hash, t.Email, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.UsedAt))
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: create e-mail token: %w", err)
	}
	return nil
}

const emailTokenColumns = `id, user_id, purpose, token_hash, email, created_at, expires_at, used_at`

func scanEmailToken(sc interface{ Scan(...any) error }) (auth.EmailToken, error) {
	var t auth.EmailToken
	var purpose string
	var created, expires, used int64
	err := sc.Scan(&t.ID, &t.UserID, &purpose, &t.Hash, &t.Email, &created, &expires, &used)
	t.Purpose = auth.TokenPurpose(purpose)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMicros(created), fromMicros(expires), fromMicros(used)
	return t, err
}

// LatestEmailToken implements auth.EmailStore.
func (s *Store) LatestEmailToken(ctx context.Context, userID string, purpose auth.TokenPurpose) (auth.EmailToken, error) {
	t, err := scanEmailToken(s.read.QueryRowContext(ctx, `SELECT `+emailTokenColumns+` FROM email_tokens
		WHERE user_id = $1 AND purpose = $2 ORDER BY created_at DESC, id DESC LIMIT 1`, userID, string(purpose)))
	if err != nil {
		return auth.EmailToken{}, s.errorf("sqlstore: latest e-mail token: %w", notFound(err, auth.ErrNotFound))
	}
	return t, nil
}

// UseEmailToken implements auth.EmailStore. The conditional UPDATE is what
// makes a token single-use: of two racing requests, one changes the row.
func (s *Store) UseEmailToken(ctx context.Context, purpose auth.TokenPurpose, hash []byte, at time.Time) (auth.EmailToken, error) {
	var t auth.EmailToken
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanEmailToken(tx.QueryRowContext(ctx, `UPDATE email_tokens SET used_at = $1
			WHERE token_hash = $2 AND purpose = $3 AND used_at = 0 AND expires_at > $1
			RETURNING `+emailTokenColumns, micros(at), hash, string(purpose)))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Why not: say so, for a clear message.
		t, err = scanEmailToken(tx.QueryRowContext(ctx, `SELECT `+emailTokenColumns+` FROM email_tokens
			WHERE token_hash = $1 AND purpose = $2`, hash, string(purpose)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return auth.ErrTokenInvalid
		case err != nil:
			return err
		case !t.UsedAt.IsZero():
			return auth.ErrTokenUsed
		default:
			return auth.ErrTokenExpired
		}
	})
	if err != nil {
		return auth.EmailToken{}, s.errorf("sqlstore: use e-mail token: %w", err)
	}
	return t, nil
}

// EmailTokenByHash implements auth.EmailStore.
func (s *Store) EmailTokenByHash(ctx context.Context, purpose auth.TokenPurpose, hash []byte) (auth.EmailToken, error) {
	t, err := scanEmailToken(s.read.QueryRowContext(ctx, `SELECT `+emailTokenColumns+` FROM email_tokens
		WHERE token_hash = $1 AND purpose = $2`, hash, string(purpose)))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.EmailToken{}, auth.ErrTokenInvalid
	} else if err != nil {
		return auth.EmailToken{}, s.errorf("sqlstore: e-mail token: %w", err)
	}
	return t, nil
}

// SetEmailVerified implements auth.EmailStore.
func (s *Store) SetEmailVerified(ctx context.Context, userID, email string, at time.Time) error {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1 AND email = $2`, userID, email).Scan(&n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = $1
			WHERE id = $2 AND email = $3 AND email_verified_at = 0`, micros(at), userID, email)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: set e-mail verified: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: set e-mail verified: no account %s with that address: %w", userID, auth.ErrNotFound)
	}
	return nil
}

// AddOutboxMessage implements mail.OutboxStore.
func (s *Store) AddOutboxMessage(ctx context.Context, m mail.OutboxMessage) error {
	if m.ID == "" {
		m.ID = newID()
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO mail_outbox (id, to_addr, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
		m.ID, m.To, m.Subject, m.Text, micros(m.CreatedAt))
	if err != nil {
		return s.errorf("sqlstore: add outbox message: %w", err)
	}
	return nil
}

// OutboxMessages implements mail.OutboxStore.
func (s *Store) OutboxMessages(ctx context.Context, since time.Time, limit int) ([]mail.OutboxMessage, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, to_addr, subject, body, created_at FROM mail_outbox
		WHERE created_at >= $1 ORDER BY created_at DESC, id DESC LIMIT $2`, micros(since), limit)
	if err != nil {
		return nil, s.errorf("sqlstore: outbox messages: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (mail.OutboxMessage, error) {
		var m mail.OutboxMessage
		var created int64
		err := sc.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &created)
		m.CreatedAt = fromMicros(created)
		return m, err
	})
}

// DeleteOutboxBefore implements mail.OutboxStore.
func (s *Store) DeleteOutboxBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM mail_outbox WHERE created_at < $1`, micros(t))
	if err != nil {
		return 0, s.errorf("sqlstore: delete old outbox messages: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("sqlstore: delete old outbox messages: %w", err)
	}
	return int(n), nil
}
