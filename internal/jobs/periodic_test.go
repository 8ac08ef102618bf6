package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"safelight/internal/jobs"
	"safelight/internal/sqlstore"
	"safelight/internal/testsvc"
)

// taskLog records the runs of tasks. A task fails its first fail[name]
// runs with failErr[name], and waits in each run until hold[name] is
// closed, if set.
type taskLog struct {
	mu       sync.Mutex
	runs     map[string]int
	running  map[string]int
	overlaps []string
	fail     map[string]int
	failErr  map[string]error
	hold     map[string]chan struct{}
	started  chan string
}

func newTaskLog() *taskLog {
	return &taskLog{
		runs: map[string]int{}, running: map[string]int{}, fail: map[string]int{},
		failErr: map[string]error{}, hold: map[string]chan struct{}{}, started: make(chan string, 100),
	}
}

func (l *taskLog) task(name string, every time.Duration) jobs.Task {
	return jobs.Task{Name: name, Every: every, Run: func(ctx context.Context) error {
		l.mu.Lock()
		l.runs[name]++
		n := l.runs[name]
		if l.running[name]++; l.running[name] > 1 {
			l.overlaps = append(l.overlaps, fmt.Sprintf("%s run %d", name, n))
		}
		hold := l.hold[name]
		failing := n <= l.fail[name]
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			l.running[name]--
			l.mu.Unlock()
		}()
		l.started <- name
		if hold != nil {
			select {
			case <-hold:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if failing {
			return l.failErr[name]
		}
		return nil
	}}
}

func (l *taskLog) count(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[name]
}

// observations records what Options.Observe is given.
type observations struct {
	mu   sync.Mutex
	seen []observation
}

func (o *observations) observe(kind string, d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observation{kind, d, err})
}

// of returns the observations of kind, in order.
func (o *observations) of(kind string) []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []observation
	for _, s := range o.seen {
		if s.kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// addTasks registers tasks on q, failing the test on an error.
func addTasks(t *testing.T, q *jobs.Queue, tasks ...jobs.Task) {
	t.Helper()
	for _, task := range tasks {
		if err := q.AddTask(task); err != nil {
			t.Fatalf("AddTask(%s) = %v", task.Name, err)
		}
	}
}

// openWithInserter opens a queue on a fresh database of e's kind, like
// e.open, and also returns a function that inserts a job with a river
// client of its own on the same database, as another replica would.
func openWithInserter(t *testing.T, e engine, opts jobs.Options) (*jobs.Queue, countFunc, func(river.JobArgs)) {
	t.Helper()
	var q *jobs.Queue
	var count countFunc
	var insert func(ctx context.Context, args river.JobArgs) error
	switch e.name {
	case "sqlite":
		st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "m.db"), discardLog())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		db, err := st.JobsDB(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if q, err = jobs.Open(t.Context(), db, opts, discardLog()); err != nil {
			t.Fatal(err)
		}
		count = func(t *testing.T, query string) int {
			t.Helper()
			var n int
			if err := db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return n
		}
		c, err := river.NewClient(riversqlite.New(db), &river.Config{Logger: discardLog()})
		if err != nil {
			t.Fatal(err)
		}
		insert = func(ctx context.Context, args river.JobArgs) error { _, err := c.Insert(ctx, args, nil); return err }
	case "postgres":
		url := testsvc.Postgres(t)
		q, count = openPostgres(t, url, opts)
		c, err := river.NewClient(riverpgxv5.New(newPool(t, url)), &river.Config{Logger: discardLog()})
		if err != nil {
			t.Fatal(err)
		}
		insert = func(ctx context.Context, args river.JobArgs) error { _, err := c.Insert(ctx, args, nil); return err }
	default:
		t.Fatalf("unknown engine %s", e.name)
	}
	return q, count, func(args river.JobArgs) {
		t.Helper()
		if err := insert(t.Context(), args); err != nil {
			t.Fatalf("insert %s: %v", args.Kind(), err)
		}
	}
}

// TestTasksRunOnStart: two registered tasks each run once soon after
// Start, beside the built-in periodic jobs, and are observed under their
// own names.
func TestTasksRunOnStart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		l := newTaskLog()
		var obs observations
		opts := testOptions()
		opts.Observe = obs.observe
		q, count := e.open(t, opts)
		addTasks(t, q, l.task("beta", 24*time.Hour), l.task("alpha", 24*time.Hour))
		if got, want := q.TaskNames(), []string{"alpha", "beta"}; !slices.Equal(got, want) {
			t.Errorf("TaskNames() = %v; want %v", got, want)
		}
		r := newRecorder()
		start(t, q, r)
		waitFor(t, 30*time.Second, "both tasks to run on start", func() bool { return l.count("alpha") > 0 && l.count("beta") > 0 })
		waitFor(t, 10*time.Second, "the built-in periodic jobs to run", r.periodicRan)
		time.Sleep(500 * time.Millisecond) // let any extra run show
		for _, name := range []string{"alpha", "beta"} {
			if n := l.count(name); n != 1 {
				t.Errorf("task %s ran %d times; want 1 (its period is a day)", name, n)
			}
			if got := obs.of("task:" + name); len(got) != 1 || got[0].err != nil {
				t.Errorf("Observe(task:%s) = %v; want one attempt without error", name, got)
			}
		}
		if n := count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state = 'completed'`); n != 2 {
			t.Errorf("completed task jobs = %d; want 2", n)
		}
		if got := obs.of("task"); len(got) != 0 {
			t.Errorf("Observe(task) = %v; want every task job observed under its name", got)
		}
	})
}

// TestTaskErrors: a task whose run fails is retried, and its error is
// recorded on the job and observed like any job's; a permanent error is
// not retried.
func TestTaskErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		l := newTaskLog()
		l.fail["flaky"], l.failErr["flaky"] = 1, errors.New("mail server down")
		l.fail["broken"], l.failErr["broken"] = 1, fmt.Errorf("template missing: %w", jobs.ErrPermanent)
		var obs observations
		opts := testOptions()
		opts.Observe = obs.observe
		q, count := e.open(t, opts)
		addTasks(t, q, l.task("flaky", 24*time.Hour), l.task("broken", 24*time.Hour))
		start(t, q, newRecorder())

		// River retries the first failure after about a second.
		waitFor(t, 30*time.Second, "flaky to run again after failing", func() bool { return l.count("flaky") >= 2 })
		waitFor(t, 10*time.Second, "its job to complete", func() bool {
			return count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state = 'completed'`) == 1
		})
		if n := count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state = 'completed' AND attempt = 2
			AND CAST(errors AS TEXT) LIKE '%mail server down%' AND CAST(args AS TEXT) LIKE '%flaky%'`); n != 1 {
			t.Errorf("completed flaky jobs on attempt 2 with the first attempt's error recorded = %d; want 1", n)
		}
		if got := obs.of("task:flaky"); len(got) != 2 || got[0].err == nil || got[0].err.Error() != "mail server down" || got[1].err != nil {
			t.Errorf("Observe(task:flaky) = %v; want the error, then success", got)
		}

		if n := count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state = 'cancelled'
			AND CAST(errors AS TEXT) LIKE '%template missing%'`); n != 1 {
			t.Errorf("cancelled broken jobs with their error recorded = %d; want 1", n)
		}
		if n := l.count("broken"); n != 1 {
			t.Errorf("a task failing permanently ran %d times; want 1", n)
		}
		if got := obs.of("task:broken"); len(got) != 1 || !errors.Is(got[0].err, jobs.ErrPermanent) {
			t.Errorf("Observe(task:broken) = %v; want one permanent error", got)
		}
	})
}

// TestTaskUnknownName: a task job whose name this process does not know
// (inserted by a replica that registers more tasks) is cancelled with an
// error naming it, not retried, and observed under the plain kind.
func TestTaskUnknownName(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		l := newTaskLog()
		var obs observations
		opts := testOptions()
		opts.Observe = obs.observe
		q, count, insert := openWithInserter(t, e, opts)
		addTasks(t, q, l.task("known", 24*time.Hour))
		start(t, q, newRecorder())
		insert(jobs.TaskArgs{Name: "ghost"})
		waitFor(t, 30*time.Second, "the unknown task's job to be cancelled", func() bool {
			return count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state = 'cancelled'`) == 1
		})
		if n := count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state = 'cancelled' AND attempt = 1
			AND CAST(errors AS TEXT) LIKE '%no task named%ghost%'`); n != 1 {
			t.Errorf("cancelled ghost jobs after one attempt, error naming the task = %d; want 1", n)
		}
		got := obs.of("task")
		if len(got) != 1 || !errors.Is(got[0].err, jobs.ErrPermanent) || !strings.Contains(got[0].err.Error(), `"ghost"`) {
			t.Fatalf("Observe(task) = %v; want one permanent error naming ghost", got)
		}
		t.Logf("unknown task: %v", got[0].err)
		waitFor(t, 10*time.Second, "the known task to run", func() bool { return l.count("known") == 1 })
	})
}

// TestTaskNeverOverlaps: a run that lasts longer than its task's period
// keeps the next periods from adding a second job for the task; once it
// ends, the task runs again, one run at a time.
func TestTaskNeverOverlaps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		l := newTaskLog()
		hold := make(chan struct{})
		release := sync.OnceFunc(func() { close(hold) })
		l.hold["slow"] = hold
		opts := testOptions()
		opts.Workers = 4
		q, count := e.open(t, opts)
		addTasks(t, q, l.task("slow", 100*time.Millisecond))
		start(t, q, newRecorder())
		// Registered after start, so it runs first when the test ends:
		// Stop waits for the held run.
		t.Cleanup(release)
		select {
		case <-l.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the task did not start")
		}
		const live = `SELECT COUNT(*) FROM river_job WHERE kind = 'task' AND state IN ('available', 'pending', 'running', 'retryable', 'scheduled')`
		// Ten periods pass while the first run holds.
		for range 10 {
			time.Sleep(100 * time.Millisecond)
			if n := count(t, live); n != 1 {
				t.Fatalf("task jobs waiting or running while one run lasts = %d; want 1", n)
			}
		}
		if n := l.count("slow"); n != 1 {
			t.Fatalf("task started %d times while its first run lasted; want 1", n)
		}
		l.mu.Lock()
		delete(l.hold, "slow") // later runs return at once
		l.mu.Unlock()
		release()
		waitFor(t, 20*time.Second, "the task to run again after its long run", func() bool { return l.count("slow") >= 3 })
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.overlaps) > 0 {
			t.Errorf("runs of one task overlapped: %v", l.overlaps)
		}
	})
}

// TestTaskReplicasRunOnce: two replicas on one PostgreSQL database, both
// registering the same task, run it once: only the elected leader
// schedules periodic jobs, and the job goes to one of them.
func TestTaskReplicasRunOnce(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	l := newTaskLog()
	q1, count := openPostgres(t, url, testOptions())
	q2, _ := openPostgres(t, url, testOptions())
	for _, q := range []*jobs.Queue{q1, q2} {
		addTasks(t, q, l.task("once", 24*time.Hour))
	}
	start(t, q1, newRecorder())
	start(t, q2, newRecorder())
	waitFor(t, 30*time.Second, "the task to run", func() bool { return l.count("once") > 0 })
	time.Sleep(time.Second) // let a second run, if any, show
	if n := l.count("once"); n != 1 {
		t.Errorf("task registered by two replicas ran %d times; want 1", n)
	}
	if n := count(t, `SELECT COUNT(*) FROM river_job WHERE kind = 'task'`); n != 1 {
		t.Errorf("task jobs = %d; want 1", n)
	}
}

// TestAddTaskRefused: AddTask refuses tasks it could not run as asked,
// names that are taken, and any task once the queue has started.
func TestAddTaskRefused(t *testing.T) {
	t.Parallel()
	q, _ := openSQLite(t, testOptions())
	run := func(context.Context) error { return nil }
	addTasks(t, q, jobs.Task{Name: "reminders", Every: time.Hour, Run: run})
	for _, c := range []struct {
		name string
		task jobs.Task
	}{
		{"empty name", jobs.Task{Name: "", Every: time.Hour, Run: run}},
		{"upper case", jobs.Task{Name: "Reminders", Every: time.Hour, Run: run}},
		{"punctuation", jobs.Task{Name: "send:reminders", Every: time.Hour, Run: run}},
		{"leading digit", jobs.Task{Name: "1st", Every: time.Hour, Run: run}},
		{"too long", jobs.Task{Name: strings.Repeat("a", 65), Every: time.Hour, Run: run}},
		{"zero period", jobs.Task{Name: "zero", Run: run}},
		{"negative period", jobs.Task{Name: "negative", Every: -time.Minute, Run: run}},
		{"no Run", jobs.Task{Name: "idle", Every: time.Hour}},
		{"taken name", jobs.Task{Name: "reminders", Every: time.Minute, Run: run}},
	} {
		if err := q.AddTask(c.task); err == nil {
			t.Errorf("AddTask(%s: %+v) = nil; want an error", c.name, c.task)
		} else if c.task.Name != "" && !strings.Contains(err.Error(), c.task.Name) {
			t.Errorf("AddTask(%s) = %q; want the error to name the task", c.name, err)
		}
	}
	addTasks(t, q, jobs.Task{Name: "a_retention_sweep2", Every: time.Hour, Run: run})
	if got, want := q.TaskNames(), []string{"a_retention_sweep2", "reminders"}; !slices.Equal(got, want) {
		t.Errorf("TaskNames() = %v; want %v", got, want)
	}
	start(t, q, newRecorder())
	if err := q.AddTask(jobs.Task{Name: "late", Every: time.Hour, Run: run}); err == nil {
		t.Error("AddTask after Start = nil; want an error")
	}
	if got := q.TaskNames(); len(got) != 2 {
		t.Errorf("TaskNames() after a refused AddTask = %v; want 2 names", got)
	}
}
