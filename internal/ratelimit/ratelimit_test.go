package ratelimit_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safelight/internal/ratelimit"
	"safelight/internal/sqlstore/storetest"
	"safelight/internal/testsvc"
)

// engines runs fn on a fresh SQLite store and, when configured, a fresh
// PostgreSQL one: the counters must hold across replicas.
func engines(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, testsvc.Postgres(t)) })
}

func TestLimiter(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		st := storetest.Open(t, dsn)
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		l := ratelimit.New(st, map[string]ratelimit.Rule{
			ratelimit.Signup: {Max: 3, Window: time.Hour},
			ratelimit.Upload: {Max: 0, Window: time.Minute},
		})
		l.SetClock(func() time.Time { return now })
		ctx := t.Context()
		a, b := ratelimit.Address("192.0.2.1"), ratelimit.Address("192.0.2.2")
		for i := range 3 {
			if err := l.Allow(ctx, ratelimit.Signup, a); err != nil {
				t.Fatalf("call %d = %v; want allowed", i+1, err)
			}
		}
		now = now.Add(10 * time.Minute)
		err := l.Allow(ctx, ratelimit.Signup, a)
		var le *ratelimit.LimitedError
		if !errors.As(err, &le) || le.RetryAfter != 50*time.Minute || le.Rule != ratelimit.Signup || !le.First {
			t.Fatalf("4th call = %+v; want the window's first refusal, for the 50 minutes left", err)
		}
		if err := l.Allow(ctx, ratelimit.Signup, a); !errors.As(err, &le) || le.First {
			t.Errorf("5th call = %+v; want limited, not the first refusal", err)
		}
		if !strings.Contains(err.Error(), "50 min") {
			t.Errorf("message = %q", err)
		}
		if err := l.Check(ctx, ratelimit.Signup, a); !errors.As(err, &le) {
			t.Errorf("Check over the limit = %v", err)
		}
		if err := l.Allow(ctx, ratelimit.Signup, b); err != nil {
			t.Errorf("another address = %v; want allowed", err)
		}
		if err := l.Check(ctx, ratelimit.Signup, b); err != nil {
			t.Errorf("Check under the limit = %v", err)
		}
		now = now.Add(51 * time.Minute) // the window is over
		if err := l.Allow(ctx, ratelimit.Signup, a); err != nil {
			t.Errorf("after the window = %v; want allowed", err)
		}
		for range 5000 {
			if err := l.Allow(ctx, ratelimit.Upload, ratelimit.Account("u")); err != nil {
				t.Fatalf("rule switched off (0) = %v", err)
			}
		}
		if err := l.Allow(ctx, "nonsense", a); !errors.Is(err, ratelimit.ErrUnknownRule) {
			t.Errorf("unknown rule = %v", err)
		}
	})
}

// TestLimiterConcurrent: two limiters on one database (two replicas) and
// many goroutines allow exactly Max calls between them.
func TestLimiterConcurrent(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		rules := map[string]ratelimit.Rule{ratelimit.Login: {Max: 25, Window: time.Hour}}
		replicas := []*ratelimit.Limiter{ratelimit.New(storetest.Open(t, dsn), rules), ratelimit.New(storetest.Open(t, dsn), rules)}
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		for i := range 60 {
			wg.Go(func() {
				err := replicas[i%2].Allow(t.Context(), ratelimit.Login, ratelimit.Address("2001:db8::1"))
				var le *ratelimit.LimitedError
				switch {
				case err == nil:
					mu.Lock()
					allowed++
					mu.Unlock()
				case !errors.As(err, &le):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if allowed != 25 {
			t.Errorf("allowed %d of 60 concurrent calls across two replicas; want exactly 25", allowed)
		}
	})
}

func TestAddressGroupsIPv6By64(t *testing.T) {
	if ratelimit.Address("2001:db8:1:2::1") != ratelimit.Address("2001:db8:1:2:ffff::9") {
		t.Error("two addresses of one /64 are different subjects")
	}
	if ratelimit.Address("2001:db8:1:2::1") == ratelimit.Address("2001:db8:1:3::1") {
		t.Error("two /64s are one subject")
	}
	if ratelimit.Address("::ffff:192.0.2.1") != ratelimit.Address("192.0.2.1") {
		t.Error("an IPv4-mapped address differs from the IPv4 one")
	}
}

func TestParse(t *testing.T) {
	r, err := ratelimit.Parse(" signup=20/2h , upload=0/1m")
	if err != nil {
		t.Fatal(err)
	}
	if r[ratelimit.Signup] != (ratelimit.Rule{Max: 20, Window: 2 * time.Hour}) || r[ratelimit.Upload].Max != 0 ||
		r[ratelimit.Login] != ratelimit.Defaults()[ratelimit.Login] {
		t.Errorf("Parse = %v", r)
	}
	for _, bad := range []string{"signup", "nope=1/1h", "signup=x/1h", "signup=-1/1h", "signup=1/0s", "signup=1/48h", "signup=1"} {
		if _, err := ratelimit.Parse(bad); err == nil {
			t.Errorf("Parse(%q) = nil error", bad)
		}
	}
}
