// Package sqlstore is Safelight's metadata store: one database/sql
// implementation for every SQL engine, with small dialect hooks for what
// differs (how to open, placeholders are shared, schema types, error codes).
//
// SQL text is written once, in the subset both SQLite and PostgreSQL
// accept ($n placeholders, ON CONFLICT, RETURNING). Schemas are numbered,
// forward-only migrations per dialect, embedded in the binary and applied
// one transaction each. Times are stored as Unix microseconds in UTC.
//
// The package implements the Store interfaces that domain packages
// (auth, audit, keys) declare, and returns their sentinel errors.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Store is the metadata store. Safe for concurrent use.
type Store struct {
	dialect dialect
	// write takes every write transaction. On SQLite it holds a single
	// connection, so writers queue in Go rather than spin on busy locks.
	write *sql.DB
	// read serves queries; on SQLite a pool of read-only connections that
	// run alongside the writer thanks to WAL.
	read *sql.DB
	log  *slog.Logger
}

// dialect is what differs between engines.
type dialect interface {
	name() string
	migrations() fs.FS
	isUniqueViolation(err error) bool
	close() error
}

// Open connects to the database named by dsn ("sqlite:PATH"; PostgreSQL
// follows) without migrating it; call Migrate before use.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), log)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return nil, errors.New("sqlstore: PostgreSQL is not supported by this build yet")
	}
	return nil, fmt.Errorf("sqlstore: unsupported database %q: want sqlite:PATH", redactDSN(dsn))
}

// redactDSN hides everything after the scheme, which may hold a password.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, ":"); i >= 0 {
		return dsn[:i+1] + "…"
	}
	return "…"
}

// Dialect names the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// Close closes the connections.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close(), s.dialect.close())
}

// Ping checks that the database answers a query; used by /readyz.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a write transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// newID returns a random, time-ordered identifier (UUIDv7). IDs never
// derive from names or e-mail addresses.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// NewID is newID for callers that create rows through this package.
func NewID() string { return newID() }

// micros converts a time to the stored form. The zero time is stored as 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros converts back; 0 becomes the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// notFound maps sql.ErrNoRows to the caller's sentinel.
func notFound(err, sentinel error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sentinel
	}
	return err
}

// Pragma returns the value of a SQLite pragma on the write connection; for
// tests and diagnostics. It fails on other engines.
func (s *Store) Pragma(ctx context.Context, name string) (string, error) {
	if s.dialect.name() != "sqlite" {
		return "", errors.New("sqlstore: pragma: not SQLite")
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && r != '_' {
			return "", fmt.Errorf("sqlstore: pragma: bad name %q", name)
		}
	}
	var v string
	if err := s.write.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
		return "", fmt.Errorf("sqlstore: pragma %s: %w", name, err)
	}
	return v, nil
}
