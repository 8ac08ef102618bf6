// Package jobs runs Safelight's background work on river: derivative
// generation, the trash purge, the orphan sweep, the reconciler that
// re-enqueues work a crash interrupted, and the periodic tasks other
// packages register (Task, Queue.AddTask). Jobs carry ids and task names
// only, never image bytes or personal data.
//
// The queue lives in the metadata database, on either engine: SQLite for a
// single process (Open) or PostgreSQL for several replicas sharing one
// database (OpenPostgres). Both give the same Queue, with the same workers,
// periodic jobs and options.
//
// Delivery is at least once. A job is fetched by one replica at a time,
// but it runs again when an attempt fails, times out, or never reports
// back because its process died; so every handler must be idempotent.
// With several replicas, a job left "running" by a replica that was killed
// (crash, SIGKILL, OOM, lost node) is rescued by the surviving ones once
// Options.JobTimeout + Options.RescueAfter have passed, and retried.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
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

// InsertOpts makes derive jobs unique per asset, so the reconciler and
// retries never run two at once for the same asset. River's default unique
// states include "completed": a finished job also blocks a new one for the
// same asset until river deletes it (after a day). Cancelled and discarded
// jobs do not, so an asset whose derive failed can be enqueued again.
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

	// JobTimeout is how long one attempt may run before its context is
	// cancelled. Zero means river's default (one minute); it must not be
	// negative, since without a timeout a dead replica's job could never
	// be told from a slow one.
	JobTimeout time.Duration

	// RescueAfter is how long after JobTimeout a job still marked running
	// is taken to belong to a process that died, and is retried (the
	// attempt counts towards the job's maximum, so a job that keeps
	// killing its process is eventually discarded). Zero means one minute.
	//
	// A live process records every attempt's outcome soon after
	// JobTimeout, because the handler's context is cancelled then; a row
	// still "running" later can only belong to a process that will never
	// record anything. The margin covers handlers slow to notice the
	// cancellation, and clocks: the start of an attempt is the database's
	// time, the rescuer compares it with its own. Too short a margin runs
	// a slow job twice at once (harmless, handlers are idempotent, but
	// wasted work); too long leaves a dead replica's jobs waiting. River's
	// rescuer runs on the elected leader every 30 s, and a dead leader is
	// replaced once its lease lapses (about 15 s), so a rescue can come
	// that much later than JobTimeout + RescueAfter.
	RescueAfter time.Duration

	// PausedRetry is how long a job whose handler answered ErrPaused
	// waits before it is tried again. Zero means ten minutes.
	PausedRetry time.Duration

	// Observe, if not nil, is called after every job attempt this process
	// runs, with the job's kind ("task:" and the name for a registered
	// Task), how long the attempt took and its result:
	// nil, the handler's error (errors.Is(err, ErrPermanent) holds for
	// permanent ones), the context's error after JobTimeout, or an error
	// describing a panic. Worker goroutines call it concurrently, so it
	// must be quick and safe for concurrent use. An attempt cut short by
	// the death of its process is never observed; its rescue shows in
	// Depth. It exists for metrics, so that this package needs none.
	Observe func(kind string, d time.Duration, err error)
}

// DefaultOptions are the production settings.
func DefaultOptions() Options {
	return Options{Workers: 2, PurgeEvery: time.Hour, ReconcileEvery: 5 * time.Minute, SweepEvery: 24 * time.Hour, PollInterval: time.Second, JobTimeout: 3 * time.Minute}
}

// defaultRescueAfter is the RescueAfter used when it is zero.
const defaultRescueAfter = time.Minute

func (o Options) validate() error {
	if o.JobTimeout < 0 {
		return fmt.Errorf("jobs: JobTimeout %v is negative", o.JobTimeout)
	}
	if o.RescueAfter < 0 {
		return fmt.Errorf("jobs: RescueAfter %v is negative", o.RescueAfter)
	}
	if o.PausedRetry < 0 { // river.JobSnooze panics on a negative duration
		return fmt.Errorf("jobs: PausedRetry %v is negative", o.PausedRetry)
	}
	return nil
}

func (o Options) pausedRetry() time.Duration { return cmp.Or(o.PausedRetry, 10*time.Minute) }

// rescueStuckAfter is river's RescueStuckJobsAfter, which counts from the
// start of the attempt rather than from its timeout.
func (o Options) rescueStuckAfter() time.Duration {
	return cmp.Or(o.JobTimeout, river.JobTimeoutDefault) + cmp.Or(o.RescueAfter, defaultRescueAfter)
}

// riverClient is the part of a river client that Queue uses. River's client
// is generic over its driver's transaction type (*sql.Tx for SQLite, pgx.Tx
// for PostgreSQL); Queue never passes a transaction, so this non-generic
// view lets one Queue type serve both engines.
type riverClient interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// clientFactory makes a river client on driver. Everything else about the
// client comes from the config, which Queue builds the same for both
// engines.
func clientFactory[TTx any](driver riverdriver.Driver[TTx]) func(*river.Config) (riverClient, error) {
	return func(cfg *river.Config) (riverClient, error) {
		c, err := river.NewClient(driver, cfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Queue is the job queue. Create it with Open or OpenPostgres, then Start
// it with the handlers once they exist (the handlers themselves enqueue
// through it).
type Queue struct {
	opts      Options
	log       *slog.Logger
	newClient func(*river.Config) (riverClient, error)
	depth     func(ctx context.Context) (map[string]int, error)
	client    riverClient
	tasks     taskRegistry
}

// Open prepares a queue on db, a SQLite handle used for nothing else
// (river holds it; one connection), and applies river's own migrations.
// The caller closes db after Stop.
func Open(ctx context.Context, db *sql.DB, opts Options, log *slog.Logger) (*Queue, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Queue{
		opts:      opts,
		log:       log.With("component", "jobs"),
		newClient: clientFactory(riversqlite.New(db)),
		depth: func(ctx context.Context) (map[string]int, error) {
			rows, err := db.QueryContext(ctx, depthQuery)
			if err != nil {
				return nil, fmt.Errorf("jobs: depth: %w", err)
			}
			defer rows.Close()
			return collectDepth(rows)
		},
	}, nil
}

// Migrate applies river's own schema migrations to db, a SQLite handle,
// and returns how many ran. Open does this too; the migrate command calls
// it directly.
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
	tasks := q.tasks.start()
	tasks.addWorker(workers)
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[DeriveArgs]) error {
		return q.outcome(h.Derive(ctx, j.Args.AssetID))
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
	var middleware []rivertype.Middleware
	if q.opts.Observe != nil {
		middleware = append(middleware, &observer{observe: q.opts.Observe, kind: tasks.observedKind})
	}
	client, err := q.newClient(&river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(q.opts.Workers, 1)}},
		Workers:              workers,
		Middleware:           middleware,
		Logger:               q.log,
		FetchPollInterval:    q.opts.PollInterval,
		FetchCooldown:        min(q.opts.PollInterval, 100*time.Millisecond),
		JobTimeout:           q.opts.JobTimeout,
		RescueStuckJobsAfter: q.opts.rescueStuckAfter(),
		PeriodicJobs: append([]*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(q.opts.PurgeEvery),
				func() (river.JobArgs, *river.InsertOpts) { return PurgeTrashArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(q.opts.ReconcileEvery),
				func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(q.opts.SweepEvery),
				func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		}, tasks.periodicJobs()...),
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

// ErrPaused marks a handler error that says "not now": the job is tried
// again after Options.PausedRetry without using up an attempt, for as
// long as it takes — e.g. the derivatives of an account whose holder
// restricted processing, until they lift it.
var ErrPaused = errors.New("jobs: paused")

func permanent(err error) error {
	if errors.Is(err, ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}

// outcome turns a derive handler's error into river's answer. (Periodic
// tasks are not paused: they run again at their next time anyway.)
func (q *Queue) outcome(err error) error {
	if errors.Is(err, ErrPaused) {
		return river.JobSnooze(q.opts.pausedRetry())
	}
	return permanent(err)
}

// observer is river middleware around every job attempt that reports it
// to Options.Observe. Middleware, unlike a wrapper in each worker, also
// sees attempts that fail before the handler runs (bad arguments).
type observer struct {
	river.MiddlewareDefaults
	observe func(kind string, d time.Duration, err error)
	kind    func(*rivertype.JobRow) string // the kind to report
}

func (o *observer) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	kind := o.kind(job)
	returned := false
	defer func() {
		// River recovers a handler's panic further up and retries the
		// job; it still counts as a failed attempt.
		if !returned {
			o.observe(kind, time.Since(start), fmt.Errorf("jobs: %s panicked", kind))
		}
	}()
	err := doInner(ctx)
	returned = true
	o.observe(kind, time.Since(start), err)
	return err
}

// EnqueueDerive asks for an asset's derivatives. Enqueuing an asset that
// already has a job waiting, running or recently completed is a no-op (see
// DeriveArgs.InsertOpts).
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
	if _, err := q.client.Insert(ctx, PurgeTrashArgs{}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue purge: %w", err)
	}
	return nil
}

// Stop finishes jobs in flight (until ctx ends) and stops.
func (q *Queue) Stop(ctx context.Context) error {
	if q.client == nil {
		return nil
	}
	return q.client.Stop(ctx)
}

// depthQuery counts river's jobs by state in SQL both engines accept. It
// reads river's table directly, as river's client has no such call. The
// cast makes PostgreSQL's enum scan as text.
const depthQuery = `SELECT CAST(state AS TEXT), COUNT(*) FROM river_job GROUP BY state`

// Depth returns how many jobs the database holds in each state
// (available, scheduled, running, retryable, completed, …), across all
// replicas. Every state river knows is present, at zero if it has no job,
// so a gauge fed from it falls back to zero rather than keeping a stale
// value. Finished jobs stay until river cleans them up (completed and
// cancelled after a day, discarded after a week). The map is the caller's.
// Depth works before Start.
func (q *Queue) Depth(ctx context.Context) (map[string]int, error) {
	return q.depth(ctx)
}

// stateRows is what collectDepth needs of *sql.Rows and pgx.Rows.
type stateRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

func collectDepth(rows stateRows) (map[string]int, error) {
	depth := make(map[string]int, len(rivertype.JobStates()))
	for _, s := range rivertype.JobStates() {
		depth[string(s)] = 0
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("jobs: depth: %w", err)
		}
		depth[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: depth: %w", err)
	}
	return depth, nil
}
