package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"safelight/internal/fault"
)

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// PostgreSQL error codes (SQLSTATE) that change what this package does.
const (
	pgUniqueViolation    = "23505"
	pgTooManyConnections = "53300"
	pgAdminShutdown      = "57P01"
	pgCrashShutdown      = "57P02"
	pgCannotConnectNow   = "57P03"
	pgConnectionClass    = "08" // connection_exception and its subclasses
)

// Advisory lock keys. Advisory locks are per database; these only need to
// differ from each other and from any other application's keys there.
const (
	migrateLockKey int64 = 0x53464c54_00000001 // "SFLT" 1: one Migrate at a time
	signUpLockKey  int64 = 0x53464c54_00000002 // "SFLT" 2: first-admin sign-ups one at a time
	auditLockKey   int64 = 0x53464c54_00000003 // "SFLT" 3: one audit chain append at a time
)

// defaultConnectTimeout bounds each connection attempt when the URL does
// not say otherwise: pgx would otherwise wait for the operating system's
// TCP timeout (minutes) on a server that drops packets.
const defaultConnectTimeout = 10 * time.Second

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) migrations() fs.FS {
	sub, err := fs.Sub(postgresMigrations, "migrations/postgres")
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

func (postgresDialect) isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgUniqueViolation
}

func (postgresDialect) isUnavailable(err error) bool { return pgUnavailable(err) }

// pgUnavailable reports whether err means the server cannot be reached or
// cannot serve right now: the connection could not be made or was lost,
// or the server said it is shutting down, starting up or full. An error
// the server answered with for any other reason (a constraint, a wrong
// password, a missing database) is not, even inside a connect error:
// retrying will not fix it.
func pgUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgAdminShutdown, pgCrashShutdown, pgCannotConnectNow, pgTooManyConnections:
			return true
		}
		return strings.HasPrefix(pe.Code, pgConnectionClass)
	}
	var ce *pgconn.ConnectError // includes a context deadline while connecting
	var oe *net.OpError         // dial, read or write on the socket failed
	return errors.As(err, &ce) || errors.As(err, &oe) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// lockMigrations takes a session-level advisory lock on conn, which waits
// for any other process's migration run to finish. It covers CREATE TABLE
// IF NOT EXISTS schema_migrations too, which on PostgreSQL is not safe to
// run concurrently (two sessions can both find the table missing, and one
// then fails on the catalog's unique index).
func (postgresDialect) lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return nil, err
	}
	return func() {
		// Unlock even if ctx was cancelled meanwhile; if that fails, drop
		// the connection rather than return it to the pool still holding
		// the lock: ending the session releases it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var released bool
		err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, migrateLockKey).Scan(&released)
		if err != nil || !released {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}, nil
}

// lockSignUp takes a transaction-level advisory lock: under READ COMMITTED
// two concurrent sign-ups could otherwise both count zero users and both
// become admin. The lock is released at commit, after which the next
// transaction's COUNT sees the new user.
func (postgresDialect) lockSignUp(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, signUpLockKey)
	return err
}

// lockAuditChain takes a transaction-level advisory lock, held until
// commit: the next appender, in this process or another replica, waits
// for it, and under READ COMMITTED its next statement then sees the row
// this one inserted (the lock is released after the commit is visible).
func (postgresDialect) lockAuditChain(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLockKey)
	return err
}

func (postgresDialect) close() error { return nil }

// openPostgres connects to the server named by the URL dsn and checks that
// it answers. Reads and writes share one pool: PostgreSQL runs them
// concurrently itself.
func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	cfg, err := postgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	where := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))

	db := stdlib.OpenDB(*cfg)
	// Enough for the HTTP handlers and the job workers of one process,
	// well under PostgreSQL's default max_connections of 100 when a few
	// processes share a server.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Connections are renewed now and then, so that after a fail-over or
	// a change behind a load balancer the pool moves to the new server.
	db.SetConnMaxLifetime(time.Hour)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if pgUnavailable(err) {
			return nil, fault.Unavailable(fmt.Errorf("sqlstore: cannot reach PostgreSQL at %s: %w", where, err))
		}
		return nil, fmt.Errorf("sqlstore: connect to PostgreSQL at %s: %w", where, err)
	}
	return &Store{
		dialect: postgresDialect{},
		write:   db,
		read:    db,
		log:     log.With("component", "sqlstore"),
	}, nil
}

// postgresConfig parses the URL dsn, bounding connection attempts by
// defaultConnectTimeout unless the URL (or PGCONNECT_TIMEOUT) sets one.
func postgresConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: invalid PostgreSQL URL %s: %s; want postgres://USER:PASSWORD@HOST:PORT/DATABASE",
			redactDSN(dsn), parseConfigReason(err))
	}
	if cfg.ConnectTimeout == 0 && !setsConnectTimeout(dsn) {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

// setsConnectTimeout reports whether the URL dsn names connect_timeout,
// so that an explicit connect_timeout=0 (wait forever) is respected.
func setsConnectTimeout(dsn string) bool {
	u, err := url.Parse(dsn)
	return err == nil && u.Query().Has("connect_timeout")
}

// parseConfigReason is why pgx refused a connection string, without the
// string itself: pgx quotes it with the password masked, but only on a
// best-effort basis when the string is malformed (exactly when it is
// quoted), and the underlying cause may quote parts of it too. What
// remains is pgx's own fixed description ("invalid port").
func parseConfigReason(err error) string {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "cannot parse"
	}
	msg := pe.Error() // "cannot parse `REDACTED`: REASON" or "…: REASON (CAUSE)"
	if cause := pe.Unwrap(); cause != nil {
		msg = strings.TrimSuffix(msg, " ("+cause.Error()+")")
	}
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+len("`: "):]
	}
	return "cannot parse"
}
