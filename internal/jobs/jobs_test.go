package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"safelight/internal/jobs"
	"safelight/internal/sqlstore"
)

// recorder is a Handlers that records calls; Derive fails for ids listed
// in fail (permanently when the value is true).
type recorder struct {
	mu      sync.Mutex
	derived map[string]int
	fail    map[string]bool
	purges  int
	done    chan string
}

func (r *recorder) Derive(ctx context.Context, id string) error {
	r.mu.Lock()
	r.derived[id]++
	permanent, failing := r.fail[id]
	r.mu.Unlock()
	defer func() { r.done <- id }()
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
func (r *recorder) Reconcile(context.Context) error    { return nil }
func (r *recorder) SweepOrphans(context.Context) error { return nil }

func newQueue(t *testing.T, h jobs.Handlers) *jobs.Queue {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
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
	opts := jobs.DefaultOptions()
	opts.PollInterval = 50 * time.Millisecond
	q, err := jobs.Open(t.Context(), db, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

func TestDeriveJobsRun(t *testing.T) {
	r := &recorder{derived: map[string]int{}, fail: map[string]bool{"bad": true}, done: make(chan string, 100)}
	q := newQueue(t, r)
	for _, id := range []string{"a", "b", "bad"} {
		if err := q.EnqueueDerive(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	timeout := time.After(20 * time.Second)
	for len(got) < 3 {
		select {
		case id := <-r.done:
			got[id] = true
		case <-timeout:
			t.Fatalf("jobs run: %v; want a, b and bad", got)
		}
	}
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
}

func TestPeriodicJobsRunOnStart(t *testing.T) {
	r := &recorder{derived: map[string]int{}, done: make(chan string, 1)}
	newQueue(t, r)
	// The periodic scheduler runs on the elected leader, which takes a
	// moment to be elected.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r.mu.Lock()
		n := r.purges
		r.mu.Unlock()
		if n > 0 {
			return
		}
	}
	t.Error("the periodic purge did not run on start")
}

func TestEnqueueBeforeStartFails(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
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
