package sqlstore

import (
	"context"
	"time"

	"safelight/internal/ratelimit"
)

var _ ratelimit.Store = (*Store)(nil)

// Rate-limit counters share the login_failures table with the sign-in
// throttle: both are fixed-window counters by key, and their keys cannot
// collide ("rl:" + hash here; "acct:", "ip:", "dev:" there).

// Hit implements ratelimit.Store.
func (s *Store) Hit(ctx context.Context, key string, at time.Time, window time.Duration) (int, time.Time, error) {
	return s.AddLoginFailure(ctx, key, at, window)
}

// Count implements ratelimit.Store.
func (s *Store) Count(ctx context.Context, key string) (int, time.Time, error) {
	return s.LoginFailures(ctx, key)
}

// DeleteCountersBefore removes throttle and rate-limit counters whose window
// started before t; callers pass a time older than the longest window.
func (s *Store) DeleteCountersBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteCount(ctx, "delete old counters", `DELETE FROM login_failures WHERE window_start < $1`, micros(t))
}
