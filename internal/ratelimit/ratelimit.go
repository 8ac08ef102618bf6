// Package ratelimit bounds how often one client address or one account may
// do an expensive or guessable thing: sign up, attempt a sign-in, ask for a
// password reset, present a credential that turns out wrong, upload.
//
// Counters are fixed windows kept in the metadata store, so every replica
// of a scale-out deployment counts against the same limit; counter keys are
// hashed, so the table holds no address or account id in the clear. A
// refused call gets a *LimitedError saying when to retry (HTTP 429 with
// Retry-After).
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule is one limit: at most Max events per Window for each subject.
// Max 0 switches the rule off.
type Rule struct {
	Max    int
	Window time.Duration
}

func (r Rule) String() string { return strconv.Itoa(r.Max) + "/" + r.Window.String() }

// The rules Safelight applies, by name.
const (
	Signup         = "signup"          // account creations per address
	Login          = "login"           // sign-in attempts per address (failures have their own, stricter throttle)
	PasswordReset  = "password-reset"  // reset requests per address
	BadCredentials = "bad-credentials" // wrong bearer tokens or share-link secrets per address
	Upload         = "upload"          // uploads per account
)

// Defaults are generous for people and tight for scripts: a family behind
// one address can all sign up, a photographer can push a 1,000-image shoot
// in a few minutes, while a guessing script is stopped within its first
// minute.
func Defaults() map[string]Rule {
	return map[string]Rule{
		Signup:         {Max: 10, Window: time.Hour},
		Login:          {Max: 100, Window: 15 * time.Minute},
		PasswordReset:  {Max: 10, Window: time.Hour},
		BadCredentials: {Max: 30, Window: 15 * time.Minute},
		Upload:         {Max: 1000, Window: 5 * time.Minute},
	}
}

// Parse reads overrides in the form "signup=20/1h,upload=0/1m" on top of
// Defaults. Unknown names, malformed entries and windows under a second or
// over a day are errors.
func Parse(s string) (map[string]Rule, error) {
	rules := Defaults()
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, spec, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if _, known := rules[name]; !ok || !known {
			return nil, fmt.Errorf("%q: want NAME=MAX/WINDOW with NAME one of %s", f, strings.Join(slices.Sorted(mapsKeys(rules)), ", "))
		}
		n, w, ok := strings.Cut(spec, "/")
		max, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || max < 0 {
			return nil, fmt.Errorf("%q: want MAX/WINDOW such as 20/1h", f)
		}
		window, err := time.ParseDuration(strings.TrimSpace(w))
		if err != nil || window < time.Second || window > 24*time.Hour {
			return nil, fmt.Errorf("%q: the window must be a duration from 1s to 24h", f)
		}
		rules[name] = Rule{Max: max, Window: window}
	}
	return rules, nil
}

func mapsKeys(m map[string]Rule) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Store counts events in fixed windows: Hit adds one to key's counter and
// returns the count in the current window and when that window started;
// a window older than window is restarted at 1.
type Store interface {
	Hit(ctx context.Context, key string, at time.Time, window time.Duration) (count int, windowStart time.Time, err error)
	Count(ctx context.Context, key string) (count int, windowStart time.Time, err error)
}

// LimitedError refuses a call over its limit.
type LimitedError struct {
	Rule       string
	RetryAfter time.Duration
	// First is set on the first refusal of its window: the moment worth
	// a security event (later ones in the window are the same story).
	First bool
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("too many requests (%s); try again in %s", e.Rule, roundUp(e.RetryAfter))
}

// RetryAfterSeconds is the delay, rounded up, for a Retry-After header;
// the HTTP layer answers any error with this method as 429 Too Many
// Requests, its message shown as is.
func (e *LimitedError) RetryAfterSeconds() int {
	return max(int((e.RetryAfter+time.Second-1)/time.Second), 1)
}

func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return strconv.Itoa(max(int((d+time.Second-1)/time.Second), 1)) + " s"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " min"
}

// ErrUnknownRule is a programming error: a rule name no one configured.
var ErrUnknownRule = errors.New("ratelimit: unknown rule")

// Limiter applies rules. Safe for concurrent use.
type Limiter struct {
	store Store
	rules map[string]Rule
	now   func() time.Time
}

// New returns a limiter over store with rules (see Parse).
func New(store Store, rules map[string]Rule) *Limiter {
	return &Limiter{store: store, rules: rules, now: time.Now}
}

// SetClock replaces the clock, for tests.
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Rule returns the rule in force for name.
func (l *Limiter) Rule(name string) Rule { return l.rules[name] }

// Allow counts one event of rule for subject and refuses it, with a
// *LimitedError, when it is over the limit.
func (l *Limiter) Allow(ctx context.Context, rule, subject string) error {
	return l.apply(ctx, rule, subject, true)
}

// Check refuses, like Allow, when subject is already over rule's limit,
// without counting anything. Use it before the work whose failures are
// counted with Allow (for example, checking a presented credential).
func (l *Limiter) Check(ctx context.Context, rule, subject string) error {
	return l.apply(ctx, rule, subject, false)
}

func (l *Limiter) apply(ctx context.Context, rule, subject string, count bool) error {
	r, ok := l.rules[rule]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownRule, rule)
	}
	if r.Max == 0 {
		return nil
	}
	now := l.now()
	var n int
	var start time.Time
	var err error
	if count {
		n, start, err = l.store.Hit(ctx, key(rule, subject), now, r.Window)
	} else {
		n, start, err = l.store.Count(ctx, key(rule, subject))
		n++ // as if this call were counted
	}
	if err != nil {
		return fmt.Errorf("ratelimit: %s: %w", rule, err)
	}
	if end := start.Add(r.Window); n > r.Max && now.Before(end) {
		return &LimitedError{Rule: rule, RetryAfter: max(end.Sub(now), time.Second), First: count && n == r.Max+1}
	}
	return nil
}

// Address is the subject for a client address; IPv6 clients are grouped by
// /64, the block one subscriber holds.
func Address(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// Account is the subject for an account id.
func Account(userID string) string { return "acct:" + userID }

// key hashes rule and subject: the counters table holds no address or id.
func key(rule, subject string) string {
	h := sha256.Sum256([]byte(rule + "\x00" + subject))
	return "rl:" + hex.EncodeToString(h[:16])
}
