package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"safelight/internal/auth"
)

var _ auth.MFAStore = (*Store)(nil)

// PutPendingTOTP implements auth.MFAStore.
func (s *Store) PutPendingTOTP(ctx context.Context, f auth.TOTPFactor) error {
	// An unconfirmed row is replaced; a confirmed one is left alone (the
	// WHERE of the upsert), which the zero rows affected reveal.
	res, err := s.write.ExecContext(ctx, `INSERT INTO mfa_totp (user_id, secret_sealed, confirmed_at, last_step, created_at)
		VALUES ($1, $2, 0, 0, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_step = 0, created_at = excluded.created_at
		WHERE mfa_totp.confirmed_at = 0`, f.UserID, f.SecretSealed, micros(f.CreatedAt))
	if err != nil {
		return s.errorf("sqlstore: put pending totp: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.errorf("sqlstore: put pending totp: %w", err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: put pending totp: %w", auth.ErrMFAAlreadyOn)
	}
	return nil
}

// TOTPOf implements auth.MFAStore.
func (s *Store) TOTPOf(ctx context.Context, userID string) (auth.TOTPFactor, error) {
	var f auth.TOTPFactor
	var confirmed, created int64
	err := s.read.QueryRowContext(ctx, `SELECT user_id, secret_sealed, confirmed_at, last_step, created_at
		FROM mfa_totp WHERE user_id = $1`, userID).Scan(&f.UserID, &f.SecretSealed, &confirmed, &f.LastStep, &created)
	if err != nil {
		return auth.TOTPFactor{}, s.errorf("sqlstore: totp of %s: %w", userID, notFound(err, auth.ErrNotFound))
	}
	f.ConfirmedAt, f.CreatedAt = fromMicros(confirmed), fromMicros(created)
	return f, nil
}

// ConfirmTOTP implements auth.MFAStore.
func (s *Store) ConfirmTOTP(ctx context.Context, userID string, step int64, codeHashes [][]byte, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mfa_totp SET confirmed_at = $1, last_step = $2
			WHERE user_id = $3 AND confirmed_at = 0`, micros(at), step, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return auth.ErrNotFound
		}
		return replaceRecoveryCodes(ctx, tx, userID, codeHashes, at)
	})
	if err != nil {
		return s.errorf("sqlstore: confirm totp: %w", err)
	}
	return nil
}

func replaceRecoveryCodes(ctx context.Context, tx *sql.Tx, userID string, codeHashes [][]byte, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range codeHashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at)
			VALUES ($1, $2, $3, 0)`, userID, h, micros(at)); err != nil {
			return err
		}
	}
	return nil
}

// AdvanceTOTPStep implements auth.MFAStore. The conditional UPDATE is
// atomic on both engines (PostgreSQL re-checks the WHERE after taking
// the row lock), so a step is accepted at most once across processes.
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID string, step int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE mfa_totp SET last_step = $1
		WHERE user_id = $2 AND confirmed_at <> 0 AND last_step < $1`, step, userID)
	if err != nil {
		return s.errorf("sqlstore: advance totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.errorf("sqlstore: advance totp step: %w", err)
	}
	if n == 1 {
		return nil
	}
	f, err := s.TOTPOf(ctx, userID)
	if err != nil {
		return err
	}
	if !f.Confirmed() {
		return fmt.Errorf("sqlstore: advance totp step: %w", auth.ErrNotFound)
	}
	return fmt.Errorf("sqlstore: advance totp step: %w", auth.ErrInvalidOTP)
}

// DeleteMFA implements auth.MFAStore.
func (s *Store) DeleteMFA(ctx context.Context, userID string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM mfa_totp WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return s.errorf("sqlstore: delete mfa: %w", err)
	}
	return nil
}

// ReplaceRecoveryCodes implements auth.MFAStore.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, codeHashes [][]byte, at time.Time) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return replaceRecoveryCodes(ctx, tx, userID, codeHashes, at) }); err != nil {
		return s.errorf("sqlstore: replace recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode implements auth.MFAStore.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, codeHash []byte, at time.Time) error {
	return s.updateOne(ctx, "use recovery code", auth.ErrNotFound,
		`UPDATE mfa_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at = 0`,
		micros(at), userID, codeHash)
}

// RecoveryCodesLeft implements auth.MFAStore.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at = 0`,
		userID).Scan(&n); err != nil {
		return 0, s.errorf("sqlstore: recovery codes left: %w", err)
	}
	return n, nil
}

// CreatePendingLogin implements auth.MFAStore.
func (s *Store) CreatePendingLogin(ctx context.Context, p auth.PendingLogin) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO pending_logins
		(id, user_id, token_hash, password_stamp, device_id, created_at, expires_at, failures, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.ID, p.UserID, p.TokenHash, p.PasswordStamp, p.DeviceID, micros(p.CreatedAt), micros(p.ExpiresAt), p.Failures, p.IP, p.UserAgent)
	if err != nil {
		return s.errorf("sqlstore: create pending login: %w", err)
	}
	return nil
}

// PendingLoginByHash implements auth.MFAStore.
func (s *Store) PendingLoginByHash(ctx context.Context, hash []byte) (auth.PendingLogin, error) {
	var p auth.PendingLogin
	var created, expires int64
	err := s.read.QueryRowContext(ctx, `SELECT id, user_id, token_hash, password_stamp, device_id, created_at, expires_at, failures, ip, user_agent
		FROM pending_logins WHERE token_hash = $1`, hash).
		Scan(&p.ID, &p.UserID, &p.TokenHash, &p.PasswordStamp, &p.DeviceID, &created, &expires, &p.Failures, &p.IP, &p.UserAgent)
	if err != nil {
		return auth.PendingLogin{}, s.errorf("sqlstore: pending login by hash: %w", notFound(err, auth.ErrNotFound))
	}
	p.CreatedAt, p.ExpiresAt = fromMicros(created), fromMicros(expires)
	return p, nil
}

// AddPendingLoginFailure implements auth.MFAStore.
func (s *Store) AddPendingLoginFailure(ctx context.Context, id string) (int, error) {
	var n int
	err := s.write.QueryRowContext(ctx, `UPDATE pending_logins SET failures = failures + 1 WHERE id = $1 RETURNING failures`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlstore: pending login failure: %w", auth.ErrNotFound)
	} else if err != nil {
		return 0, s.errorf("sqlstore: pending login failure: %w", err)
	}
	return n, nil
}

// DeletePendingLogin implements auth.MFAStore.
func (s *Store) DeletePendingLogin(ctx context.Context, id string) error {
	return s.updateOne(ctx, "delete pending login", auth.ErrNotFound, `DELETE FROM pending_logins WHERE id = $1`, id)
}

// DeleteExpiredPendingLogins implements auth.MFAStore.
func (s *Store) DeleteExpiredPendingLogins(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM pending_logins WHERE expires_at <= $1`, micros(now))
	if err != nil {
		return 0, s.errorf("sqlstore: delete expired pending logins: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("sqlstore: delete expired pending logins: %w", err)
	}
	return int(n), nil
}
