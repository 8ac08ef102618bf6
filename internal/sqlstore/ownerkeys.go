package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"safelight/internal/keys"
)

var (
	_ keys.Store      = (*Store)(nil)
	_ keys.CheckStore = (*Store)(nil)
)

// InsertOwnerKey implements keys.Store.
func (s *Store) InsertOwnerKey(ctx context.Context, k keys.OwnerKey) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO owner_keys (owner_id, version, root_version, wrapped, created_at)
		VALUES ($1, $2, $3, $4, $5)`, k.OwnerID, k.Version, k.RootVersion, k.Wrapped, micros(k.CreatedAt))
	if s.dialect.isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: insert owner key %s v%d: %w", k.OwnerID, k.Version, keys.ErrOwnerKeyExists)
	}
	if err != nil {
		return s.errorf("sqlstore: insert owner key %s v%d: %w", k.OwnerID, k.Version, err)
	}
	return nil
}

// OwnerKeys implements keys.Store.
func (s *Store) OwnerKeys(ctx context.Context, ownerID string) ([]keys.OwnerKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+ownerKeyColumns+`
		FROM owner_keys WHERE owner_id = $1 ORDER BY version DESC`, ownerID)
	if err != nil {
		return nil, s.errorf("sqlstore: owner keys of %s: %w", ownerID, err)
	}
	return collect(s, rows, scanOwnerKey)
}

const ownerKeyColumns = `owner_id, version, root_version, wrapped, created_at`

func scanOwnerKey(sc interface{ Scan(...any) error }) (keys.OwnerKey, error) {
	var k keys.OwnerKey
	var created int64
	err := sc.Scan(&k.OwnerID, &k.Version, &k.RootVersion, &k.Wrapped, &created)
	k.CreatedAt = fromMicros(created)
	return k, err
}

// RootKeyCheck implements keys.CheckStore.
func (s *Store) RootKeyCheck(ctx context.Context) ([]byte, error) {
	var v []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM instance WHERE name = 'root_key_check'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.errorf("sqlstore: root key check: %w", err)
	}
	return v, nil
}

// SetRootKeyCheck implements keys.CheckStore: the first value stays.
func (s *Store) SetRootKeyCheck(ctx context.Context, wrapped []byte) (bool, error) {
	res, err := s.write.ExecContext(ctx, `INSERT INTO instance (name, value) VALUES ('root_key_check', $1)
		ON CONFLICT (name) DO NOTHING`, wrapped)
	if err != nil {
		return false, s.errorf("sqlstore: set root key check: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: set root key check: %w", err)
	}
	return n == 1, nil
}

var _ keys.RewrapStore = (*Store)(nil)

// OwnerKeysWrappedBefore implements keys.RewrapStore.
func (s *Store) OwnerKeysWrappedBefore(ctx context.Context, rootVersion, limit int) ([]keys.OwnerKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+ownerKeyColumns+`
		FROM owner_keys WHERE root_version < $1 ORDER BY owner_id, version LIMIT $2`, rootVersion, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: owner keys wrapped before root version %d: %w", rootVersion, err)
	}
	return collect(s, rows, scanOwnerKey)
}

// RewrapOwnerKey implements keys.RewrapStore: the row changes only while
// it still holds old.
func (s *Store) RewrapOwnerKey(ctx context.Context, k keys.OwnerKey, old []byte) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE owner_keys SET wrapped = $1, root_version = $2
		WHERE owner_id = $3 AND version = $4 AND wrapped = $5`, k.Wrapped, k.RootVersion, k.OwnerID, k.Version, old)
	if err != nil {
		return false, s.errorf("sqlstore: rewrap owner key %s v%d: %w", k.OwnerID, k.Version, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: rewrap owner key %s v%d: %w", k.OwnerID, k.Version, err)
	}
	return n == 1, nil
}

// ReplaceRootKeyCheck implements keys.RewrapStore.
func (s *Store) ReplaceRootKeyCheck(ctx context.Context, old, wrapped []byte) (bool, error) {
	if old == nil {
		return false, nil // nothing to replace; SetRootKeyCheck sets the first
	}
	return s.SwapInstanceValue(ctx, "root_key_check", old, wrapped)
}
