package ratelimit_test

import (
	"testing"
	"time"

	"safelight/internal/ratelimit"
	"safelight/internal/sqlstore/storetest"
)

// TestSample: one first per subject, event and window; the next window's
// first tells how many went unrecorded in the window before; rules'
// counters are not touched.
func TestSample(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		st := storetest.Open(t, dsn)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		l := ratelimit.New(st, map[string]ratelimit.Rule{ratelimit.BadCredentials: {Max: 1, Window: time.Hour}})
		l.SetClock(func() time.Time { return now })
		ctx := t.Context()
		a, b := ratelimit.Address("192.0.2.1"), ratelimit.Address("192.0.2.2")
		sample := func(event, subject string) (bool, int) {
			t.Helper()
			first, suppressed, err := l.Sample(ctx, event, subject, 15*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return first, suppressed
		}

		if first, n := sample("e1", a); !first || n != 0 {
			t.Fatalf("Sample(first ever) = %v, %d; want true, 0", first, n)
		}
		for i := range 4 {
			now = now.Add(time.Minute)
			if first, n := sample("e1", a); first || n != 0 {
				t.Fatalf("Sample(repeat %d in the window) = %v, %d; want false, 0", i+1, first, n)
			}
		}
		if first, _ := sample("e2", a); !first {
			t.Error("Sample(another event, same subject) = false; want a first of its own")
		}
		if first, _ := sample("e1", b); !first {
			t.Error("Sample(same event, another subject) = false; want a first of its own")
		}
		now = now.Add(15 * time.Minute) // the window is over
		if first, n := sample("e1", a); !first || n != 4 {
			t.Errorf("Sample(next window) = %v, %d; want true, 4 unrecorded before", first, n)
		}
		if first, n := sample("e1", a); first || n != 0 {
			t.Errorf("Sample(repeat in the new window) = %v, %d; want false, 0", first, n)
		}
		now = now.Add(15 * time.Minute)
		if first, n := sample("e1", a); !first || n != 1 {
			t.Errorf("Sample(third window) = %v, %d; want true, 1 unrecorded before", first, n)
		}
		// Samples are not counted against a rule of the same subject.
		if err := l.Allow(ctx, ratelimit.BadCredentials, a); err != nil {
			t.Errorf("Allow after samples = %v; want the rule's counter untouched", err)
		}
	})
}
