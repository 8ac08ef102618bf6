package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// OpenPostgres prepares a queue on pool, a PostgreSQL database that several
// replicas may share, and applies river's own migrations (MigratePostgres).
// River takes connections from pool as it needs them, and keeps one for
// LISTEN while started, so pool should allow Options.Workers plus a few
// more. The caller closes pool after Stop.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool, opts Options, log *slog.Logger) (*Queue, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if _, err := MigratePostgres(ctx, pool); err != nil {
		return nil, err
	}
	return &Queue{
		opts:      opts,
		log:       log.With("component", "jobs"),
		newClient: clientFactory(riverpgxv5.New(pool)),
		depth: func(ctx context.Context) (map[string]int, error) {
			rows, err := pool.Query(ctx, depthQuery)
			if err != nil {
				return nil, fmt.Errorf("jobs: depth: %w", err)
			}
			defer rows.Close()
			return collectDepth(rows)
		},
	}, nil
}

// migrateLockKey is the PostgreSQL advisory lock that serializes river's
// migrations across replicas. Advisory lock keys are one number space for
// the whole database, so it is derived from a name of its own (the first 8
// bytes of the SHA-256 of "safelight.river.migrate") rather than picked by
// hand, where another user of advisory locks might pick the same.
var migrateLockKey = int64(binary.BigEndian.Uint64(func() []byte {
	h := sha256.Sum256([]byte("safelight.river.migrate"))
	return h[:8]
}()))

// MigratePostgres applies river's own schema migrations to the database of
// pool and returns how many ran. It is safe to call from several replicas
// starting at once: rivermigrate takes no lock of its own (each would read
// "nothing applied" and then fail creating the same tables), so the call
// holds a session-level advisory lock while it runs; the others wait for
// it (or for ctx), then find nothing left to do and return 0. The lock is
// held on one pooled connection while the migrations run on another, so
// pool must allow at least two.
func MigratePostgres(ctx context.Context, pool *pgxpool.Pool) (n int, err error) {
	if limit := pool.Config().MaxConns; limit < 2 {
		return 0, fmt.Errorf("jobs: migrate river schema: the pool allows %d connection(s); it needs 2, one to hold the migration lock", limit)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrator: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate river schema: %w", err)
	}
	// pgx cancels the query when ctx ends, so a replica waiting here for
	// another's migrations gives up with its context.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		conn.Release()
		return 0, fmt.Errorf("jobs: migrate river schema: lock: %w", err)
	}
	defer func() {
		if uerr := unlockMigrations(ctx, conn); uerr != nil && err == nil {
			err = uerr
		}
	}()
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate river schema: %w", err)
	}
	return len(res.Versions), nil
}

// unlockMigrations releases the migration lock and gives conn back to its
// pool. A session-level lock outlives the statement that took it, so a
// connection whose unlock failed must not go back to the pool still
// holding it (every later migration would wait forever); it is closed
// instead, which ends the session and the lock with it.
func unlockMigrations(ctx context.Context, conn *pgxpool.Conn) error {
	// Unlock even when ctx has ended: that is when it matters most.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var unlocked bool
	err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", migrateLockKey).Scan(&unlocked)
	if err == nil && unlocked {
		conn.Release()
		return nil
	}
	if err == nil {
		err = errors.New("the lock was not held")
	}
	conn.Hijack().Close(ctx)
	return fmt.Errorf("jobs: migrate river schema: unlock: %w", err)
}
