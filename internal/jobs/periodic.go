package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Task is periodic work that another package owns (deadline reminders,
// retention sweeps, …), registered with Queue.AddTask so that this package
// need not know it. Every task runs as the one job kind "task", whose
// arguments hold only the task's name.
type Task struct {
	// Name identifies the task in jobs, logs and metrics: lower-case
	// letters, digits and underscores, starting with a letter, at most 64
	// bytes, unique in the queue. After a rename, a job of the old name
	// still waiting is cancelled as unknown (see Queue.AddTask).
	Name string
	// Every is the time between runs. A run also comes whenever a replica
	// is elected leader (soon after the first one starts), since the
	// schedule lives in the leader's memory only.
	Every time.Duration
	// Run does one pass. Like every handler here it must be idempotent
	// (delivery is at least once) and return when ctx ends, which happens
	// after Options.JobTimeout. An error fails the attempt; it is retried
	// shortly (TaskArgs.InsertOpts) and then left to the next period.
	// Errors wrapping ErrPermanent are not retried.
	Run func(ctx context.Context) error
}

// TaskArgs asks for one run of the task with that name.
type TaskArgs struct {
	Name string `json:"name"`
}

// Kind implements river.JobArgs.
func (TaskArgs) Kind() string { return taskKind }

const taskKind = "task"

// taskMaxAttempts is how often a failing run is tried (river waits about
// 1 s, then 16 s) before it is discarded and the task waits for its next
// period: a task runs again every period anyway, so days of river's
// default 25 attempts would only pile retries on top of it.
const taskMaxAttempts = 3

// InsertOpts makes task jobs unique per name while one is waiting, running
// or due for a retry. Periodic jobs are inserted by the elected leader
// only, but a new leader (a replica taking over, or restarting) inserts
// every task again at once; uniqueness keeps that, and a run slower than
// its period, from putting a second run of the same task beside the first.
// Finished states are left out, unlike DeriveArgs, so that a completed run
// does not block the next period's.
func (TaskArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: taskMaxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
}

// taskNamePattern is what Task.Name may hold: safe in a metrics label, a
// log line and a job's JSON arguments as it is.
var taskNamePattern = regexp.MustCompile(`\A[a-z][a-z0-9_]{0,63}\z`)

// taskRegistry holds the tasks of one Queue. It is filled by AddTask until
// Start, then frozen: Start's snapshot is what the worker and the
// scheduler use.
type taskRegistry struct {
	mu      sync.Mutex
	tasks   map[string]Task
	started bool
}

// AddTask registers t to run every t.Every until Stop: the replica river
// has elected leader schedules it, and any replica may run it. Call it
// before Start. It returns an error when called after Start, for a name
// that is not valid or is taken, for an Every that is not positive, and
// for a nil Run.
//
// Every replica sharing a database must register the same tasks: any
// replica may be handed a task job, and one that does not know the name
// cancels the job with an error naming it (the next period inserts it
// again, so during a rolling upgrade that adds a task a run may be lost,
// never doubled).
func (q *Queue) AddTask(t Task) error {
	r := &q.tasks
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.started:
		return fmt.Errorf("jobs: add task %q: the queue has started; add tasks before Start", t.Name)
	case !taskNamePattern.MatchString(t.Name):
		return fmt.Errorf("jobs: add task %q: a task name is 1 to 64 lower-case letters, digits and underscores, starting with a letter", t.Name)
	case t.Every <= 0:
		return fmt.Errorf("jobs: add task %q: Every is %v; it must be positive", t.Name, t.Every)
	case t.Run == nil:
		return fmt.Errorf("jobs: add task %q: Run is nil", t.Name)
	}
	if _, dup := r.tasks[t.Name]; dup {
		return fmt.Errorf("jobs: add task %q: a task of that name is already registered", t.Name)
	}
	if r.tasks == nil {
		r.tasks = map[string]Task{}
	}
	r.tasks[t.Name] = t
	return nil
}

// TaskNames returns the names of the registered tasks, sorted. The slice
// is the caller's.
func (q *Queue) TaskNames() []string {
	r := &q.tasks
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.tasks))
}

// start freezes the registry and returns the tasks Start works with.
func (r *taskRegistry) start() taskSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	return taskSet(maps.Clone(r.tasks))
}

// taskSet is the frozen set of tasks of a started queue, by name. It is
// never written, so workers read it without a lock.
type taskSet map[string]Task

// addWorker adds the worker of the "task" kind to workers. It is added
// even with no task registered, so that a task job inserted by another
// replica is cancelled with a clear error rather than left unworkable.
func (s taskSet) addWorker(workers *river.Workers) {
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[TaskArgs]) error {
		t, ok := s[j.Args.Name]
		if !ok {
			return permanent(fmt.Errorf("jobs: no task named %q is registered in this process (every replica must register the same tasks): %w", j.Args.Name, ErrPermanent))
		}
		return permanent(t.Run(ctx))
	}))
}

// periodicJobs returns one river periodic job per task, in name order.
// River runs the periodic scheduler on the elected leader only, so each
// period inserts one job whatever the number of replicas.
func (s taskSet) periodicJobs() []*river.PeriodicJob {
	var pjs []*river.PeriodicJob
	for _, name := range slices.Sorted(maps.Keys(s)) {
		pjs = append(pjs, river.NewPeriodicJob(river.PeriodicInterval(s[name].Every),
			func() (river.JobArgs, *river.InsertOpts) { return TaskArgs{Name: name}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}))
	}
	return pjs
}

// observedKind is the kind Options.Observe is given for job: "task:" and
// the task's name for a registered task, so that each task has its own
// metrics, and the river kind otherwise. Names come from the registry
// only, never from a job's arguments as they are, which keeps the set of
// kinds (metric labels) bounded.
func (s taskSet) observedKind(job *rivertype.JobRow) string {
	if job.Kind != taskKind {
		return job.Kind
	}
	var args TaskArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return job.Kind
	}
	if _, ok := s[args.Name]; !ok {
		return job.Kind
	}
	return taskKind + ":" + args.Name
}
