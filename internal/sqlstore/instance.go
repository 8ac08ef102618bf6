package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// InstanceValue returns the instance-wide value stored under name, or ok
// false when there is none.
func (s *Store) InstanceValue(ctx context.Context, name string) (value []byte, ok bool, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT value FROM instance WHERE name = $1`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.errorf("sqlstore: instance value %s: %w", name, err)
	}
	return value, true, nil
}

// SwapInstanceValue stores value under name if the value there is still
// old (nil old: if there is none yet), and reports whether it did. Of
// several processes swapping from the same old value, exactly one wins.
func (s *Store) SwapInstanceValue(ctx context.Context, name string, old, value []byte) (bool, error) {
	var res sql.Result
	var err error
	if old == nil {
		res, err = s.write.ExecContext(ctx, `INSERT INTO instance (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value)
	} else {
		res, err = s.write.ExecContext(ctx, `UPDATE instance SET value = $1 WHERE name = $2 AND value = $3`, value, name, old)
	}
	if err != nil {
		return false, s.errorf("sqlstore: swap instance value %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: swap instance value %s: %w", name, err)
	}
	return n == 1, nil
}
