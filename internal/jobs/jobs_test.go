package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"safelight/internal/jobs"
	"safelight/internal/sqlstore"
	"safelight/internal/testsvc"
)

// recorder is a Handlers that records calls. Derive fails for ids listed
// in fail (permanently when the value is true), panics for ids in panics,
// takes delay[id], and waits for ids held (see hold).
type recorder struct {
	mu         sync.Mutex
	derived    map[string]int
	fail       map[string]bool
	pauses     map[string]int // answers ErrPaused this many times first
	panics     map[string]bool
	delay      map[string]time.Duration
	block      map[string]chan struct{}
	purges     int
	reconciles int
	sweeps     int
	started    chan string
	done       chan string
}

func newRecorder() *recorder {
	return &recorder{
		derived: map[string]int{},
		fail:    map[string]bool{},
		pauses:  map[string]int{},
		panics:  map[string]bool{},
		delay:   map[string]time.Duration{},
		block:   map[string]chan struct{}{},
		started: make(chan string, 100),
		done:    make(chan string, 100),
	}
}

func (r *recorder) Derive(ctx context.Context, id string) error {
	r.mu.Lock()
	r.derived[id]++
	permanent, failing := r.fail[id]
	panics, delay, block := r.panics[id], r.delay[id], r.block[id]
	paused := r.pauses[id] > 0
	if paused {
		r.pauses[id]--
	}
	r.mu.Unlock()
	defer func() { r.done <- id }()
	if block != nil {
		r.started <- id
		<-block
	}
	time.Sleep(delay)
	if panics {
		panic("derive " + id)
	}
	if paused {
		return fmt.Errorf("owner restricted: %w", jobs.ErrPaused)
	}
	if failing {
		if permanent {
			return fmt.Errorf("undecodable: %w", jobs.ErrPermanent)
		}
		return fmt.Errorf("transient")
	}
	return nil
}
func (r *recorder) PurgeTrash(context.Context) error {
	r.mu.Lock()
	r.purges++
	r.mu.Unlock()
	return nil
}
func (r *recorder) Reconcile(context.Context) error {
	r.mu.Lock()
	r.reconciles++
	r.mu.Unlock()
	return nil
}
func (r *recorder) SweepOrphans(context.Context) error {
	r.mu.Lock()
	r.sweeps++
	r.mu.Unlock()
	return nil
}

// hold makes Derive of ids say so on started, then wait until release is
// called. Call it after start: release also runs when the test ends, before
// the queue stops, so a failed test does not leave Stop waiting for jobs.
func (r *recorder) hold(t *testing.T, ids ...string) (release func()) {
	ch := make(chan struct{})
	r.mu.Lock()
	for _, id := range ids {
		r.block[id] = ch
	}
	r.mu.Unlock()
	release = sync.OnceFunc(func() { close(ch) })
	t.Cleanup(release)
	return release
}

// periodicRan reports whether each periodic job has run (they run once on
// start, then at intervals far longer than a test).
func (r *recorder) periodicRan() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.purges > 0 && r.reconciles > 0 && r.sweeps > 0
}

func (r *recorder) runs(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.derived[id]
}

// countFunc runs a COUNT query, written in SQL both engines accept, on the
// queue's database.
type countFunc func(t *testing.T, query string) int

// engine opens a queue on a fresh, empty database of one kind.
type engine struct {
	name string
	open func(t *testing.T, opts jobs.Options) (*jobs.Queue, countFunc)
}

// engines are the databases the queue runs on. The PostgreSQL one skips
// when no server is configured (see testsvc).
var engines = []engine{
	{"sqlite", openSQLite},
	{"postgres", func(t *testing.T, opts jobs.Options) (*jobs.Queue, countFunc) {
		return openPostgres(t, testsvc.Postgres(t), opts)
	}},
}

// forEachEngine runs test once per engine, each on its own database and
// in parallel with the other tests.
func forEachEngine(t *testing.T, test func(t *testing.T, e engine)) {
	t.Parallel()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			test(t, e)
		})
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func openSQLite(t *testing.T, opts jobs.Options) (*jobs.Queue, countFunc) {
	t.Helper()
	log := discardLog()
	st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "m.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := st.JobsDB(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q, err := jobs.Open(t.Context(), db, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	return q, func(t *testing.T, query string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
}

func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func openPostgres(t *testing.T, url string, opts jobs.Options) (*jobs.Queue, countFunc) {
	t.Helper()
	pool := newPool(t, url)
	q, err := jobs.OpenPostgres(t.Context(), pool, opts, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	return q, func(t *testing.T, query string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(t.Context(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
}

// start starts q with h and stops it when the test ends (before its
// database goes away: cleanups run last registered first).
func start(t *testing.T, q *jobs.Queue, h jobs.Handlers) {
	t.Helper()
	if err := q.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop = %v", err)
		}
	})
}

func testOptions() jobs.Options {
	opts := jobs.DefaultOptions()
	opts.PollInterval = 50 * time.Millisecond
	return opts
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// waitDone waits until every id has been reported on done.
func waitDone(t *testing.T, done <-chan string, timeout time.Duration, ids ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	got := map[string]bool{}
	deadline := time.After(timeout)
	for len(got) < len(want) {
		select {
		case id := <-done:
			if want[id] {
				got[id] = true
			}
		case <-deadline:
			t.Fatalf("jobs run: %v; want %v", got, ids)
		}
	}
}

func TestDeriveJobsRun(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		r := newRecorder()
		r.fail["bad"] = true
		q, _ := e.open(t, testOptions())
		start(t, q, r)
		for _, id := range []string{"a", "b", "bad"} {
			if err := q.EnqueueDerive(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		waitDone(t, r.done, 20*time.Second, "a", "b", "bad")
		// A permanent failure is not retried.
		time.Sleep(300 * time.Millisecond)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.derived["bad"] != 1 {
			t.Errorf("permanently failing job ran %d times; want 1", r.derived["bad"])
		}
		if r.derived["a"] != 1 || r.derived["b"] != 1 {
			t.Errorf("derive runs = %v; want one each", r.derived)
		}
	})
}

// TestPausedDerive: a job whose handler answers ErrPaused waits and asks
// again, more often than its maximum of attempts, without failing, and
// runs once the pause is over.
func TestPausedDerive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		r := newRecorder()
		r.pauses["frozen"] = 7 // DeriveArgs allow 5 attempts
		opts := testOptions()
		opts.PausedRetry = 100 * time.Millisecond
		q, _ := e.open(t, opts)
		start(t, q, r)
		if err := q.EnqueueDerive(t.Context(), "frozen"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the paused job to run to its end", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.derived["frozen"] == 8
		})
		time.Sleep(300 * time.Millisecond)
		d, err := q.Depth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if d["discarded"]+d["cancelled"]+d["retryable"] != 0 {
			t.Errorf("jobs by state after the pauses = %v; want none failed", d)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.derived["frozen"] != 8 {
			t.Errorf("paused job ran %d times; want 8 (7 pauses, then once)", r.derived["frozen"])
		}
	})
}

func TestPeriodicJobsRunOnStart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		r := newRecorder()
		q, _ := e.open(t, testOptions())
		start(t, q, r)
		// The periodic scheduler runs on the elected leader, which takes a
		// moment to be elected.
		waitFor(t, 30*time.Second, "the periodic purge to run on start", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.purges > 0
		})
	})
}

func TestEnqueueBeforeStartFails(t *testing.T) {
	log := discardLog()
	st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "m.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, _ := st.JobsDB(t.Context())
	defer db.Close()
	q, err := jobs.Open(t.Context(), db, jobs.DefaultOptions(), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueDerive(t.Context(), "x"); err == nil {
		t.Error("EnqueueDerive on a queue that was never started = nil; want an error")
	}
}

func TestNegativeOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*jobs.Options)
	}{
		{"JobTimeout", func(o *jobs.Options) { o.JobTimeout = -time.Second }},
		{"RescueAfter", func(o *jobs.Options) { o.RescueAfter = -time.Second }},
		{"PausedRetry", func(o *jobs.Options) { o.PausedRetry = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "m.db"), discardLog())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			db, err := st.JobsDB(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			opts := jobs.DefaultOptions()
			tc.edit(&opts)
			if _, err := jobs.Open(t.Context(), db, opts, discardLog()); err == nil {
				t.Errorf("Open with negative %s = nil error; want an error", tc.name)
			}
		})
	}
}

// TestUniqueDerive: however many times an asset is enqueued, at once and
// while its job runs, there is one job for it.
func TestUniqueDerive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		r := newRecorder()
		q, count := e.open(t, testOptions())
		start(t, q, r)
		release := r.hold(t, "u")
		enqueue := func(times int) {
			var wg sync.WaitGroup
			for range times {
				wg.Go(func() {
					if err := q.EnqueueDerive(t.Context(), "u"); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		const derives = `SELECT COUNT(*) FROM river_job WHERE kind = 'derive'`
		enqueue(10)
		select {
		case <-r.started:
		case <-time.After(20 * time.Second):
			t.Fatal("the derive job did not start")
		}
		enqueue(10) // while it runs
		if n := count(t, derives); n != 1 {
			t.Errorf("derive jobs after 20 enqueues of one asset = %d; want 1", n)
		}
		release()
		waitDone(t, r.done, 10*time.Second, "u")
		// River's default unique states include "completed", so even a
		// finished job keeps the asset from being enqueued again (see
		// DeriveArgs.InsertOpts).
		enqueue(1)
		time.Sleep(300 * time.Millisecond)
		if n := count(t, derives); n != 1 {
			t.Errorf("derive jobs after enqueuing a derived asset again = %d; want 1", n)
		}
		if n := r.runs("u"); n != 1 {
			t.Errorf("derive of u ran %d times; want 1", n)
		}
	})
}

// TestDepth: Depth counts jobs by state as they move through the queue.
func TestDepth(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		r := newRecorder()
		r.fail["bad"] = true    // → cancelled
		r.fail["flaky"] = false // → available again (retry in a second), then retryable
		opts := testOptions()
		opts.Workers = 2
		q, _ := e.open(t, opts)

		// Depth works before Start and lists every state.
		depth, err := q.Depth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"available", "scheduled", "running", "retryable", "completed", "cancelled", "discarded", "pending"} {
			if n, ok := depth[s]; !ok || n != 0 {
				t.Errorf("Depth()[%q] on an empty queue = %d, %v; want 0, true", s, n, ok)
			}
		}

		start(t, q, r)
		release := r.hold(t, "b1", "b2", "b3")
		// The periodic jobs run once soon after start; let them, so that
		// the counts below are the derive jobs' (and theirs, completed).
		waitFor(t, 30*time.Second, "the periodic jobs to run on start", r.periodicRan)
		for _, id := range []string{"ok", "bad", "flaky"} {
			if err := q.EnqueueDerive(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		// The first retry is due within river's scheduler interval, so it
		// goes straight back to available; the second failure waits 16 s
		// in retryable.
		waitFor(t, 20*time.Second, "two failed attempts of flaky", func() bool { return r.runs("flaky") >= 2 })
		waitDone(t, r.done, 10*time.Second, "ok", "bad")
		// Two workers, three blocked jobs: two running, one available.
		for _, id := range []string{"b1", "b2", "b3"} {
			if err := q.EnqueueDerive(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{"running": 2, "available": 1, "retryable": 1, "cancelled": 1, "scheduled": 0}
		var last map[string]int
		matches := func() bool {
			d, err := q.Depth(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			last = d
			for s, n := range want {
				if d[s] != n {
					return false
				}
			}
			return d["completed"] == 4 // ok and the three periodic jobs
		}
		for deadline := time.Now().Add(20 * time.Second); !matches(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("Depth() = %v; want %v and completed = 4", last, want)
			}
		}
		release()
		waitFor(t, 20*time.Second, "the blocked jobs to finish", func() bool {
			d, err := q.Depth(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			last = d
			return d["running"] == 0 && d["available"] == 0 && d["completed"] == 7
		})
		t.Logf("Depth() = %v", last)
	})
}

type observation struct {
	kind string
	d    time.Duration
	err  error
}

// TestObserve: Options.Observe sees every attempt with its duration and
// result, failures and panics included.
func TestObserve(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		r := newRecorder()
		r.delay["slow"] = 50 * time.Millisecond
		r.fail["bad"] = true
		r.fail["flaky"] = false
		r.panics["boom"] = true
		var mu sync.Mutex
		seen := map[string][]observation{} // by asset, in order
		var kinds []string
		opts := testOptions()
		opts.Observe = func(kind string, d time.Duration, err error) {
			mu.Lock()
			defer mu.Unlock()
			kinds = append(kinds, kind)
			if kind != "derive" {
				return
			}
			// Each derive in this test is told apart by how it ends.
			var id string
			switch {
			case err == nil:
				id = "slow"
			case errors.Is(err, jobs.ErrPermanent):
				id = "bad"
			case err.Error() == "transient":
				id = "flaky"
			default:
				id = "boom"
			}
			seen[id] = append(seen[id], observation{kind, d, err})
		}
		q, _ := e.open(t, opts)
		start(t, q, r)
		for _, id := range []string{"slow", "bad", "flaky", "boom"} {
			if err := q.EnqueueDerive(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}
		waitDone(t, r.done, 20*time.Second, "slow", "bad", "flaky", "boom")
		waitFor(t, 5*time.Second, "the four attempts to be observed", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) == 4
		})
		mu.Lock()
		defer mu.Unlock()
		if o := seen["slow"][0]; o.d < 50*time.Millisecond {
			t.Errorf("Observe(derive) of a 50 ms job: d = %v; want ≥ 50ms", o.d)
		}
		if o := seen["boom"][0]; o.err == nil || o.err.Error() != "jobs: derive panicked" {
			t.Errorf("Observe(derive) of a panicking job: err = %v; want jobs: derive panicked", o.err)
		}
		for id, want := range map[string]int{"slow": 1, "bad": 1} {
			if got := len(seen[id]); got != want {
				t.Errorf("attempts of %s observed = %d; want %d", id, got, want)
			}
		}
		t.Logf("kinds observed: %v", kinds)
	})
}
