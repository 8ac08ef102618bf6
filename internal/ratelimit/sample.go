package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Sample counts one occurrence of event for subject in fixed windows of
// length window, on the same counters as the limits, and reports whether
// it is the first of its window: the one worth a security event. It is
// how events that a client can cause at will (a refused request, a wrong
// token, a refused upload) are recorded once per window rather than once
// per request, so that a flood of refusals cannot flood the audit log.
//
// For a first, suppressed is how many occurrences the window before had
// after its own first: those that went unrecorded. It is 0 when that
// window's counter is gone (counters are swept a day after their window
// started) and may miss a few when calls race at a window's start; it is
// a volume indication, not an exact count. Calls that are not a first
// return suppressed 0.
//
// event names a kind of occurrence (an audit event type); it lives in a
// key space of its own, apart from the rules' counters.
func (l *Limiter) Sample(ctx context.Context, event, subject string, window time.Duration) (first bool, suppressed int, err error) {
	k := key("sample:"+event, subject)
	// The previous window's count must be read before Hit restarts it.
	prev, prevStart, err := l.store.Count(ctx, k)
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: sample %s: %w", event, err)
	}
	n, start, err := l.store.Hit(ctx, k, l.now(), window)
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: sample %s: %w", event, err)
	}
	if n != 1 {
		return false, 0, nil
	}
	if prev > 1 && prevStart.Before(start) {
		suppressed = prev - 1
	}
	return true, suppressed, nil
}
