// Package jobs runs Safelight's background work on river: derivative
// generation, the trash purge and the reconciler that re-enqueues work a
// crash interrupted. Jobs carry ids only, never image bytes or personal
// data. Delivery is at least once; every handler is idempotent.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Handlers do the work; package library implements them.
type Handlers interface {
	// Derive makes the derivatives of an asset. It must be idempotent:
	// an asset already done is a no-op.
	Derive(ctx context.Context, assetID string) error
	// PurgeTrash deletes assets whose time in the trash is up.
	PurgeTrash(ctx context.Context) error
	// Reconcile re-enqueues work that a crash left without a job.
	Reconcile(ctx context.Context) error
	// SweepOrphans deletes stored blobs that nothing refers to.
	SweepOrphans(ctx context.Context) error
}

// DeriveArgs asks for one asset's derivatives.
type DeriveArgs struct {
	AssetID string `json:"asset_id"`
}

// Kind implements river.JobArgs.
func (DeriveArgs) Kind() string { return "derive" }

// InsertOpts makes derive jobs unique per asset while one is pending, so
// the reconciler and retries never run two at once for the same asset.
func (DeriveArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PurgeTrashArgs asks for a trash purge.
type PurgeTrashArgs struct{}

// Kind implements river.JobArgs.
func (PurgeTrashArgs) Kind() string { return "purge_trash" }

// SweepArgs asks for an orphan-blob sweep.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "sweep_orphans" }

// ReconcileArgs asks for a reconciliation pass.
type ReconcileArgs struct{}

// Kind implements river.JobArgs.
func (ReconcileArgs) Kind() string { return "reconcile" }

// Options configure a Queue.
type Options struct {
	Workers        int           // concurrent jobs; derivatives are CPU-bound
	PurgeEvery     time.Duration // how often the trash purge runs
	ReconcileEvery time.Duration // how often the reconciler runs
	SweepEvery     time.Duration // how often orphan blobs are swept
	PollInterval   time.Duration // how often idle workers look for jobs
	JobTimeout     time.Duration
}

// DefaultOptions are the production settings.
func DefaultOptions() Options {
	return Options{Workers: 2, PurgeEvery: time.Hour, ReconcileEvery: 5 * time.Minute, SweepEvery: 24 * time.Hour, PollInterval: time.Second, JobTimeout: 3 * time.Minute}
}

// Queue is the job queue. Create it with Open, then Start it with the
// handlers once they exist (the handlers themselves enqueue through it).
type Queue struct {
	db     *sql.DB
	opts   Options
	log    *slog.Logger
	client *river.Client[*sql.Tx]
}

// Open prepares a queue on db, a SQLite handle used for nothing else
// (river holds it; one connection), and applies river's own migrations.
func Open(ctx context.Context, db *sql.DB, opts Options, log *slog.Logger) (*Queue, error) {
	db.SetMaxOpenConns(1)
	if _, err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Queue{db: db, opts: opts, log: log.With("component", "jobs")}, nil
}

// Migrate applies river's own schema migrations to db and returns how many
// ran. Open does this too; the migrate command calls it directly.
func Migrate(ctx context.Context, db *sql.DB) (int, error) {
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrator: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate river schema: %w", err)
	}
	return len(res.Versions), nil
}

// Start begins working jobs with h until Stop.
func (q *Queue) Start(ctx context.Context, h Handlers) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[DeriveArgs]) error {
		return q.permanent(h.Derive(ctx, j.Args.AssetID))
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[PurgeTrashArgs]) error {
		return h.PurgeTrash(ctx)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[ReconcileArgs]) error {
		return h.Reconcile(ctx)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[SweepArgs]) error {
		return h.SweepOrphans(ctx)
	}))
	client, err := river.NewClient(riversqlite.New(q.db), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(q.opts.Workers, 1)}},
		Workers:           workers,
		Logger:            q.log,
		FetchPollInterval: q.opts.PollInterval,
		FetchCooldown:     min(q.opts.PollInterval, 100*time.Millisecond),
		JobTimeout:        q.opts.JobTimeout,
		// A job still "running" this long after its timeout belonged to a
		// process that died (crash, SIGKILL, lost replica): run it again.
		// Handlers are idempotent, so a slow one finishing late is harmless.
		RescueStuckJobsAfter: q.opts.JobTimeout + time.Minute,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(q.opts.PurgeEvery),
				func() (river.JobArgs, *river.InsertOpts) { return PurgeTrashArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(q.opts.ReconcileEvery),
				func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(q.opts.SweepEvery),
				func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
	})
	if err != nil {
		return fmt.Errorf("jobs: client: %w", err)
	}
	q.client = client
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// ErrPermanent marks a handler error that retrying cannot fix.
var ErrPermanent = errors.New("jobs: permanent failure")

func (q *Queue) permanent(err error) error {
	if errors.Is(err, ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}

// EnqueueDerive asks for an asset's derivatives. Enqueuing an asset that
// already has a pending job is a no-op.
func (q *Queue) EnqueueDerive(ctx context.Context, assetID string) error {
	if q.client == nil {
		return errors.New("jobs: queue not started")
	}
	if _, err := q.client.Insert(ctx, DeriveArgs{AssetID: assetID}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue derive %s: %w", assetID, err)
	}
	return nil
}

// EnqueuePurge asks for a trash purge now.
func (q *Queue) EnqueuePurge(ctx context.Context) error {
	if q.client == nil {
		return errors.New("jobs: queue not started")
	}
	_, err := q.client.Insert(ctx, PurgeTrashArgs{}, nil)
	return err
}

// Stop finishes jobs in flight (until ctx ends) and stops.
func (q *Queue) Stop(ctx context.Context) error {
	if q.client == nil {
		return nil
	}
	return q.client.Stop(ctx)
}
