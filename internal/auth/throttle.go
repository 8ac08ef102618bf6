package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"safelight/internal/ratelimit"
)

// Login throttling. Failures are counted in fixed windows, per account
// (whether or not it exists, so counts reveal nothing), per client address
// (IPv6 by /64) and per known device. The limits:
//
//   - an address with ThrottleAddressMax failures in ThrottleWindow is
//     refused until its window ends;
//   - an account with ThrottleAccountMax failures in ThrottleWindow is
//     refused until its window ends, except from a browser that has signed
//     in to it before (device cookie) and has not itself failed that often.
//
// So an attacker cannot lock the real user out: every lock ends with its
// window, and the user's own browser is let through while the lock lasts.
const (
	ThrottleWindow     = 15 * time.Minute
	ThrottleAccountMax = 10
	ThrottleAddressMax = 50
)

// ThrottledError says a login attempt was refused without checking the
// password because of too many recent failures.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	mins := int(e.RetryAfter.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	return fmt.Sprintf("too many failed sign-in attempts; try again in %d minute%s", mins, plural(mins))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func accountKey(email string) string {
	h := sha256.Sum256([]byte(email))
	return "acct:" + hex.EncodeToString(h[:16])
}

func deviceKey(id string) string { return "dev:" + id }

// addressKey groups IPv6 clients by /64, the block one subscriber holds
// (the same subjects as the abuse limits).
func addressKey(ip string) string { return ratelimit.Address(ip) }

// blocked returns how long key stays refused, or 0.
func (s *Service) blocked(ctx context.Context, key string, max int) (time.Duration, error) {
	n, start, err := s.store.LoginFailures(ctx, key)
	if err != nil {
		return 0, err
	}
	if n < max {
		return 0, nil
	}
	left := start.Add(ThrottleWindow).Sub(s.now())
	if left <= 0 {
		return 0, nil
	}
	return left, nil
}

func (s *Service) addFailure(ctx context.Context, key string) {
	if _, _, err := s.store.AddLoginFailure(ctx, key, s.now().UTC(), ThrottleWindow); err != nil {
		s.log.ErrorContext(ctx, "login failure not counted", "err", err)
	}
}
