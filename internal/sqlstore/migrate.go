package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migration is one numbered schema step, read from NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// goMigrations are steps written in Go that run after a migration's SQL,
// in the same transaction, by the migration's file name (without .sql).
var goMigrations = map[string]func(context.Context, *sql.Tx) error{
	"0006_audit_chain": chainLegacyAuditEvents,
}

// loadMigrations reads and orders a dialect's migrations. Numbers must
// start at 1 and have no gaps, so a missing file is caught at start.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: rest, sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations: expected version %d, found %d (%s)", i+1, m.version, m.name)
		}
	}
	return ms, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction together with its row in schema_migrations. It is safe to
// call on every start, from several processes at once: the whole run holds
// the dialect's migration lock, so one process migrates and the others
// then find nothing left to do. It refuses a database whose schema is
// newer than this binary knows, rather than run old code against it.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := loadMigrations(s.dialect.migrations())
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %w", err)
	}
	// One connection for the whole run: PostgreSQL's session lock belongs
	// to it (SQLite's write handle has only this one connection anyway).
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return 0, s.errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := s.dialect.lockMigrations(ctx, conn)
	if err != nil {
		return 0, s.errorf("sqlstore: lock for migrations: %w", err)
	}
	defer unlock()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return 0, s.errorf("sqlstore: create schema_migrations: %w", err)
	}
	current, err := s.schemaVersion(ctx, conn)
	if err != nil {
		return 0, err
	}
	if current > len(ms) {
		return 0, fmt.Errorf("sqlstore: database schema version %d is newer than this binary's %d; upgrade safelight", current, len(ms))
	}
	for _, m := range ms[current:] {
		done := false
		err := runTx(ctx, conn, func(tx *sql.Tx) error {
			// Re-check inside the transaction: where the dialect's lock
			// does not cover the whole run (SQLite), another process may
			// have applied it since we looked.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
				return err
			}
			if done = n > 0; done {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if step := goMigrations[fmt.Sprintf("%04d_%s", m.version, m.name)]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return applied, s.errorf("sqlstore: migration %04d_%s: %w", m.version, m.name, err)
		}
		if done {
			continue
		}
		s.log.InfoContext(ctx, "migration applied", "version", m.version, "name", m.name)
		applied++
	}
	return applied, nil
}

// SchemaVersion returns the highest applied migration (0 for none).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return s.schemaVersion(ctx, s.write)
}

func (s *Store) schemaVersion(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, s.errorf("sqlstore: schema version: %w", err)
	}
	return int(v.Int64), nil
}
