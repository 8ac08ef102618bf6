package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"safelight/internal/jobs"
	"safelight/internal/testsvc"
)

// TestMigratePostgresConcurrent: replicas starting at once on a fresh
// database all migrate without error, the schema is applied once, and the
// migration lock is released.
func TestMigratePostgresConcurrent(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	const replicas = 4
	pools := make([]*pgxpool.Pool, replicas)
	for i := range pools {
		pools[i] = newPool(t, url)
		if err := pools[i].Ping(t.Context()); err != nil { // connect before the race
			t.Fatal(err)
		}
	}
	applied := make([]int, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i := range replicas {
		wg.Go(func() {
			<-begin
			applied[i], errs[i] = jobs.MigratePostgres(t.Context(), pools[i])
		})
	}
	close(begin)
	wg.Wait()
	migrators, total := 0, 0
	for i := range replicas {
		if errs[i] != nil {
			t.Errorf("MigratePostgres (replica %d of %d at once) = %v", i, replicas, errs[i])
		}
		if applied[i] > 0 {
			migrators++
		}
		total += applied[i]
	}
	if migrators != 1 || total == 0 {
		t.Errorf("migrations applied by %d concurrent callers = %v; want all by one of them", replicas, applied)
	}
	t.Logf("%d concurrent MigratePostgres: applied %v", replicas, applied)

	// The lock is free again: a later call neither waits nor finds work.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if n, err := jobs.MigratePostgres(ctx, pools[0]); n != 0 || err != nil {
		t.Errorf("MigratePostgres on a migrated database = %d, %v; want 0, nil", n, err)
	}
	var locks int
	if err := pools[0].QueryRow(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'`).Scan(&locks); err != nil {
		t.Fatal(err)
	}
	if locks != 0 {
		t.Errorf("advisory locks held after migrating = %d; want 0", locks)
	}
}

// TestMigratePostgresOneConnection: a pool too small to hold the lock and
// migrate is refused at once rather than waiting for itself forever.
func TestMigratePostgresOneConnection(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(testsvc.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := jobs.MigratePostgres(ctx, pool); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("MigratePostgres on a one-connection pool = %v; want an immediate error", err)
	}
}

// ledger is the shared state of two replicas' handlers: what runs where,
// and the effect of each asset's work, done at most once however often the
// job is delivered (the idempotence the package asks of handlers).
type ledger struct {
	mu        sync.Mutex
	inflight  map[string]string // asset → replica working on it now
	overlaps  []string
	runs      map[string]int
	effects   map[string]int
	byReplica map[string]int
	ackLost   map[string]bool // first attempt does the work, then fails
	done      chan string
}

// replica is one replica's Handlers over a shared ledger.
type replica struct {
	name string
	l    *ledger
}

func (r replica) Derive(ctx context.Context, id string) error {
	l := r.l
	l.mu.Lock()
	if other, busy := l.inflight[id]; busy {
		l.overlaps = append(l.overlaps, fmt.Sprintf("%s on %s and %s", id, other, r.name))
	}
	l.inflight[id] = r.name
	l.mu.Unlock()

	time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond) // widen the window for overlaps

	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.inflight, id)
	l.runs[id]++
	l.byReplica[r.name]++
	if l.effects[id] == 0 { // idempotent: an asset already done is a no-op
		l.effects[id]++
	}
	if l.ackLost[id] && l.runs[id] == 1 {
		// As if the process lost its database connection after the work:
		// river delivers the job again.
		return errors.New("connection lost before the job was acknowledged")
	}
	l.done <- id
	return nil
}
func (replica) PurgeTrash(context.Context) error   { return nil }
func (replica) Reconcile(context.Context) error    { return nil }
func (replica) SweepOrphans(context.Context) error { return nil }

// TestReplicasShareWork: two river clients on one database ("replicas")
// work the same derive jobs, each asset enqueued by both. Every asset is
// done, none is worked by both at once, and a job delivered again after a
// failure does no harm.
func TestReplicasShareWork(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	const assets = 60
	l := &ledger{
		inflight: map[string]string{}, runs: map[string]int{}, effects: map[string]int{},
		byReplica: map[string]int{}, ackLost: map[string]bool{}, done: make(chan string, 2*assets),
	}
	ids := make([]string, assets)
	for i := range ids {
		ids[i] = fmt.Sprintf("asset-%02d", i)
		if i%10 == 0 {
			l.ackLost[ids[i]] = true
		}
	}
	opts := testOptions()
	opts.Workers = 4
	q1, count := openPostgres(t, url, opts)
	q2, _ := openPostgres(t, url, opts)
	start(t, q1, replica{"r1", l})
	start(t, q2, replica{"r2", l})

	began := time.Now()
	var wg sync.WaitGroup
	for _, id := range ids {
		for _, q := range []*jobs.Queue{q1, q2} {
			wg.Go(func() {
				if err := q.EnqueueDerive(t.Context(), id); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	waitDone(t, l.done, 30*time.Second, ids...)
	elapsed := time.Since(began)
	time.Sleep(500 * time.Millisecond) // let any stray extra delivery show

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.overlaps) > 0 {
		t.Errorf("assets worked by both replicas at once: %v", l.overlaps)
	}
	for _, id := range ids {
		if l.effects[id] != 1 {
			t.Errorf("effects of %s = %d; want 1", id, l.effects[id])
		}
		switch {
		case l.ackLost[id] && l.runs[id] < 2:
			t.Errorf("%s failed once but ran %d times; want it delivered again", id, l.runs[id])
		case !l.ackLost[id] && l.runs[id] != 1:
			t.Errorf("%s ran %d times without failing; want 1", id, l.runs[id])
		}
	}
	for _, name := range []string{"r1", "r2"} {
		if l.byReplica[name] == 0 {
			t.Errorf("replica %s ran no job (runs by replica: %v); the test did not share work", name, l.byReplica)
		}
	}
	if n := count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'derive' AND state = 'completed'`); n != assets {
		t.Errorf("completed derive jobs = %d; want %d", n, assets)
	}
	t.Logf("%d assets in %v; runs by replica %v", assets, elapsed.Round(time.Millisecond), l.byReplica)
}

// Environment of the helper process that plays replica A.
const (
	helperDBEnv      = "SAFELIGHT_JOBS_HELPER_DB"
	helperStartedEnv = "SAFELIGHT_JOBS_HELPER_STARTED"
	orphanedAsset    = "orphaned-asset"
)

// rescueOptions make a dead replica's job rescuable within seconds.
func rescueOptions() jobs.Options {
	opts := testOptions()
	opts.JobTimeout = time.Second
	opts.RescueAfter = time.Second
	return opts
}

// hangingReplica writes its file when a derive starts, then hangs,
// ignoring its context, until its process is killed.
type hangingReplica struct{ started string }

func (h hangingReplica) Derive(ctx context.Context, id string) error {
	if err := os.WriteFile(h.started, []byte(id), 0o600); err != nil {
		return err
	}
	select {}
}
func (hangingReplica) PurgeTrash(context.Context) error   { return nil }
func (hangingReplica) Reconcile(context.Context) error    { return nil }
func (hangingReplica) SweepOrphans(context.Context) error { return nil }

// TestHelperReplica is replica A of TestDeadReplicaJobRescued, run in a
// child process; on its own it skips.
func TestHelperReplica(t *testing.T) {
	url := os.Getenv(helperDBEnv)
	if url == "" {
		t.Skip("helper process of TestDeadReplicaJobRescued")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.OpenPostgres(context.Background(), pool, rescueOptions(), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background(), hangingReplica{os.Getenv(helperStartedEnv)}); err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueDerive(context.Background(), orphanedAsset); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute)
	t.Error("replica A was not killed")
}

// TestDeadReplicaJobRescued: replica A (a child process) starts a derive
// job and is killed with SIGKILL while the job runs; replica B, in this
// process, rescues the job and runs it to completion.
func TestDeadReplicaJobRescued(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	pool := newPool(t, url)
	if _, err := jobs.MigratePostgres(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	started := filepath.Join(t.TempDir(), "started")
	a := exec.Command(os.Args[0], "-test.run=^TestHelperReplica$", "-test.v")
	a.Env = append(os.Environ(), helperDBEnv+"="+url, helperStartedEnv+"="+started)
	var out bytes.Buffer // read only after Wait
	a.Stdout, a.Stderr = &out, &out
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			a.Process.Kill()
			a.Wait()
		}
		if t.Failed() {
			t.Logf("replica A's output:\n%s", out.String())
		}
	})
	count := func(query string) int {
		var n int
		if err := pool.QueryRow(t.Context(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	waitFor(t, 20*time.Second, "replica A to start the job", func() bool {
		_, err := os.Stat(started)
		return err == nil
	})
	// The slow case: A is also the leader, which alone runs the rescuer,
	// so B must first wait out A's lease.
	waitFor(t, 10*time.Second, "replica A to lead", func() bool { return count(`SELECT COUNT(*) FROM river_leader`) == 1 })

	b := newRecorder()
	qb, _ := openPostgres(t, url, rescueOptions())
	start(t, qb, b)
	time.Sleep(200 * time.Millisecond) // B is up and cannot take the running job

	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	waited = true
	killed := time.Now()
	if n := b.runs(orphanedAsset); n != 0 {
		t.Fatalf("replica B ran the job while A held it (%d runs)", n)
	}

	waitDone(t, b.done, 45*time.Second, orphanedAsset)
	rescued := time.Since(killed)

	waitFor(t, 5*time.Second, "the job to be marked completed", func() bool {
		return count(`SELECT COUNT(*) FROM river_job WHERE kind = 'derive' AND state = 'completed'`) == 1
	})
	var state, errs string
	var attempt int
	var rescuedAt, elected time.Time
	if err := pool.QueryRow(t.Context(), `
		SELECT state::text, attempt, errors::text, (errors[1]->>'at')::timestamptz,
		       (SELECT elected_at FROM river_leader)
		FROM river_job WHERE kind = 'derive'`).Scan(&state, &attempt, &errs, &rescuedAt, &elected); err != nil {
		t.Fatal(err)
	}
	if attempt < 2 || !strings.Contains(errs, "rescued") {
		t.Errorf("orphaned job: attempt %d, errors %s; want attempt ≥ 2 after a rescue", attempt, errs)
	}
	if n := b.runs(orphanedAsset); n != 1 {
		t.Errorf("replica B ran the orphaned job %d times; want 1", n)
	}
	// The database and this process share a clock here.
	round := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	t.Logf("after A was killed: B elected leader %v, job rescued %v, completed by B %v (test %v in all)",
		round(elected.Sub(killed)), round(rescuedAt.Sub(killed)), round(rescued), round(time.Since(began)))
}
