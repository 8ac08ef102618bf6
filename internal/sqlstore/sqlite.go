package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

type sqliteDialect struct {
	path   string
	common url.Values // connection parameters every handle uses
}

func (sqliteDialect) name() string { return "sqlite" }

func (sqliteDialect) migrations() fs.FS {
	sub, err := fs.Sub(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

func (sqliteDialect) isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isUnavailable is false: SQLite is a file opened in this process, so its
// errors are never "try again later" (a busy database has already waited
// out busy_timeout).
func (sqliteDialect) isUnavailable(error) bool { return false }

// lockMigrations does nothing: each migration's BEGIN IMMEDIATE takes the
// database's write lock, which serializes processes, and CREATE TABLE IF
// NOT EXISTS is atomic on its own.
func (sqliteDialect) lockMigrations(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil
}

// lockSignUp does nothing: the transaction began with BEGIN IMMEDIATE, so
// it already holds the write lock.
func (sqliteDialect) lockSignUp(context.Context, *sql.Tx) error { return nil }

// lockAuditChain does nothing: BEGIN IMMEDIATE already holds the
// database's write lock, across processes too.
func (sqliteDialect) lockAuditChain(context.Context, *sql.Tx) error { return nil }

func (sqliteDialect) close() error { return nil }

// openSQLite opens path with WAL, synchronous=FULL (an acknowledged write
// is on disk), foreign keys and a busy timeout. Writes go through one
// connection that starts transactions with BEGIN IMMEDIATE.
func openSQLite(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlstore: invalid SQLite path %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlstore: create directory for %s: %w", path, err)
		}
	}
	common := url.Values{}
	common.Add("_pragma", "busy_timeout(10000)")
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(FULL)")
	common.Add("_time_format", "sqlite")

	wq := url.Values{}
	for k, v := range common {
		wq[k] = append([]string(nil), v...)
	}
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: restrict %s: %w", path, err)
	}

	rq := url.Values{}
	for k, v := range common {
		rq[k] = append([]string(nil), v...)
	}
	rq.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	return &Store{
		dialect: sqliteDialect{path: path, common: common},
		write:   write,
		read:    read,
		log:     log.With("component", "sqlstore"),
	}, nil
}

// JobsDB opens a separate handle on the same database for the job queue,
// which holds its single connection for itself.
func (s *Store) JobsDB(ctx context.Context) (*sql.DB, error) {
	d, ok := s.dialect.(sqliteDialect)
	if !ok {
		return nil, errors.New("sqlstore: jobs database: not SQLite")
	}
	q := url.Values{}
	for k, v := range d.common {
		q[k] = append([]string(nil), v...)
	}
	db, err := sql.Open("sqlite", "file:"+d.path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: jobs database: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: jobs database: %w", err)
	}
	return db, nil
}
