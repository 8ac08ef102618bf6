// Package sqlstore is Safelight's metadata store: one database/sql
// implementation for every SQL engine, with small dialect hooks for what
// differs (how to open, schema types, error codes, locking).
//
// SQL text is written once, in the subset both SQLite and PostgreSQL
// accept ($n placeholders, ON CONFLICT, RETURNING). Schemas are numbered,
// forward-only migrations per dialect, embedded in the binary and applied
// one transaction each. Times are stored as Unix microseconds in UTC.
//
// The package implements the Store interfaces that domain packages
// (auth, audit, keys, library) declare, and returns their sentinel errors.
// An error caused by a database that cannot be reached right now (server
// down, restarting, connection lost) also matches fault.ErrUnavailable.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"safelight/internal/fault"
)

// Store is the metadata store. Safe for concurrent use.
type Store struct {
	dialect dialect
	// write takes every write transaction. On SQLite it holds a single
	// connection, so writers queue in Go rather than spin on busy locks.
	// On PostgreSQL it is a pool shared with read.
	write *sql.DB
	// read serves queries; on SQLite a pool of read-only connections that
	// run alongside the writer thanks to WAL. On PostgreSQL the same *sql.DB
	// as write: the server runs readers and writers concurrently itself.
	read *sql.DB
	log  *slog.Logger
}

// dialect is what differs between engines.
type dialect interface {
	name() string
	migrations() fs.FS
	isUniqueViolation(err error) bool
	// isUnavailable reports whether err means the database cannot be
	// reached right now, so the caller may retry later.
	isUnavailable(err error) bool
	// lockMigrations keeps other processes from migrating until unlock
	// is called; conn is the connection the whole migration runs on.
	lockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// lockSignUp is called first in the transaction that counts users to
	// decide whether a sign-up becomes the first admin, so that two
	// concurrent sign-ups cannot both see an empty table.
	lockSignUp(ctx context.Context, tx *sql.Tx) error
	// lockAuditChain is called first in the transaction that appends to
	// the audit chain, so that writers in any process take turns reading
	// the head and inserting the next event.
	lockAuditChain(ctx context.Context, tx *sql.Tx) error
	close() error
}

// Open connects to the database named by dsn ("sqlite:PATH",
// "postgres://…" or "postgresql://…") without migrating it; call Migrate
// before use. A PostgreSQL server that cannot be reached is reported at
// once, as an error matching fault.ErrUnavailable.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), log)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn, log)
	}
	return nil, fmt.Errorf("sqlstore: unsupported database %q: want sqlite:PATH or postgres://…", redactDSN(dsn))
}

// redactDSN returns dsn fit for messages and logs: a URL with its
// password (in the user part, or as a password or sslpassword parameter)
// masked, and anything else cut after the scheme, since in a string that
// does not parse there is no telling where a password would be.
func redactDSN(dsn string) string {
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok {
		return "…"
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return scheme + ":…"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return scheme + ":…" // a malformed pair might be a password
	}
	masked := false
	for k := range q {
		switch strings.ToLower(k) {
		case "password", "sslpassword":
			q[k], masked = []string{"xxxxx"}, true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Dialect names the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// Close closes the connections.
func (s *Store) Close() error {
	var rerr error
	if s.read != s.write {
		rerr = s.read.Close()
	}
	return errors.Join(rerr, s.write.Close(), s.dialect.close())
}

// Ping checks that the database answers a query; used by /readyz.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return s.errorf("sqlstore: ping: %w", err)
	}
	return nil
}

// errorf is fmt.Errorf for errors that may come from the database: when
// the dialect says the cause means the database cannot be reached, the
// result also matches fault.ErrUnavailable (its text is unchanged). Every
// error leaving the package about a database call goes through here.
func (s *Store) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if s.dialect.isUnavailable(err) {
		return fault.Unavailable(err)
	}
	return err
}

// txBeginner is *sql.DB or *sql.Conn.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTx runs fn in a write transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return runTx(ctx, s.write, fn)
}

// runTx runs fn in a transaction begun on db, committing when fn returns
// nil.
func runTx(ctx context.Context, db txBeginner, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
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
		return "", s.errorf("sqlstore: pragma %s: %w", name, err)
	}
	return v, nil
}
