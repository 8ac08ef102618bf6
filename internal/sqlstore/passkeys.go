package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"safelight/internal/auth"
)

var _ auth.PasskeyStore = (*Store)(nil)

const passkeyColumns = `id, user_id, name, credential_id, public_key, aaguid, attestation_format, transports,
	sign_count, user_verified, backup_eligible, backup_state, created_at, last_used_at`

// CreatePasskey implements auth.PasskeyStore.
func (s *Store) CreatePasskey(ctx context.Context, p auth.Passkey) error {
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO passkeys (`+passkeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		p.ID, p.UserID, p.Name, p.CredentialID, p.PublicKey, aaguid, p.AttestationFormat, strings.Join(p.Transports, ","),
		int64(p.SignCount), p.UserVerified, p.BackupEligible, p.BackupState, micros(p.CreatedAt), micros(p.LastUsedAt))
	if s.dialect.isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: create passkey: %w", auth.ErrPasskeyExists)
	} else if err != nil {
		return s.errorf("sqlstore: create passkey: %w", err)
	}
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanPasskey(r rowScanner) (auth.Passkey, error) {
	var p auth.Passkey
	var transports string
	var count, created, used int64
	if err := r.Scan(&p.ID, &p.UserID, &p.Name, &p.CredentialID, &p.PublicKey, &p.AAGUID, &p.AttestationFormat, &transports,
		&count, &p.UserVerified, &p.BackupEligible, &p.BackupState, &created, &used); err != nil {
		return auth.Passkey{}, err
	}
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	p.SignCount = uint32(count)
	p.CreatedAt, p.LastUsedAt = fromMicros(created), fromMicros(used)
	return p, nil
}

// PasskeysOf implements auth.PasskeyStore.
func (s *Store) PasskeysOf(ctx context.Context, userID string) ([]auth.Passkey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, s.errorf("sqlstore: passkeys of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []auth.Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, s.errorf("sqlstore: passkeys of %s: %w", userID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("sqlstore: passkeys of %s: %w", userID, err)
	}
	return out, nil
}

// PasskeyByCredentialID implements auth.PasskeyStore.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (auth.Passkey, error) {
	p, err := scanPasskey(s.read.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = $1`, credentialID))
	if err != nil {
		return auth.Passkey{}, s.errorf("sqlstore: passkey by credential id: %w", notFound(err, auth.ErrNotFound))
	}
	return p, nil
}

// RenamePasskey implements auth.PasskeyStore.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) error {
	return s.updateOne(ctx, "rename passkey", auth.ErrNotFound, `UPDATE passkeys SET name = $1 WHERE user_id = $2 AND id = $3`, name, userID, id)
}

// DeletePasskey implements auth.PasskeyStore.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	return s.updateOne(ctx, "delete passkey", auth.ErrNotFound, `DELETE FROM passkeys WHERE user_id = $1 AND id = $2`, userID, id)
}

// RecordPasskeyUse implements auth.PasskeyStore. The conditional UPDATE
// decides, on either engine, so two replicas cannot both accept the same
// counter value.
func (s *Store) RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool, at time.Time) error {
	return s.updateOne(ctx, "record passkey use", auth.ErrPasskeyCounter,
		`UPDATE passkeys SET sign_count = $1, backup_state = $2, last_used_at = $3
		WHERE id = $4 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))`,
		int64(signCount), backupState, micros(at), id)
}

// CreateWebAuthnCeremony implements auth.PasskeyStore.
func (s *Store) CreateWebAuthnCeremony(ctx context.Context, c auth.WebAuthnCeremony) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO webauthn_ceremonies (handle_hash, kind, user_id, pending_id, session_data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.Hash, c.Kind, c.UserID, c.PendingID, c.Session, micros(c.CreatedAt), micros(c.ExpiresAt))
	if err != nil {
		return s.errorf("sqlstore: create webauthn ceremony: %w", err)
	}
	return nil
}

// TakeWebAuthnCeremony implements auth.PasskeyStore: DELETE … RETURNING,
// so of two concurrent finishes only one gets the row.
func (s *Store) TakeWebAuthnCeremony(ctx context.Context, hash []byte) (auth.WebAuthnCeremony, error) {
	var c auth.WebAuthnCeremony
	var created, expires int64
	err := s.write.QueryRowContext(ctx, `DELETE FROM webauthn_ceremonies WHERE handle_hash = $1
		RETURNING handle_hash, kind, user_id, pending_id, session_data, created_at, expires_at`, hash).
		Scan(&c.Hash, &c.Kind, &c.UserID, &c.PendingID, &c.Session, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.WebAuthnCeremony{}, fmt.Errorf("sqlstore: take webauthn ceremony: %w", auth.ErrNotFound)
	} else if err != nil {
		return auth.WebAuthnCeremony{}, s.errorf("sqlstore: take webauthn ceremony: %w", err)
	}
	c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
	return c, nil
}

// DeleteExpiredWebAuthnCeremonies implements auth.PasskeyStore.
func (s *Store) DeleteExpiredWebAuthnCeremonies(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM webauthn_ceremonies WHERE expires_at <= $1`, micros(now))
	if err != nil {
		return 0, s.errorf("sqlstore: delete expired webauthn ceremonies: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("sqlstore: delete expired webauthn ceremonies: %w", err)
	}
	return int(n), nil
}
