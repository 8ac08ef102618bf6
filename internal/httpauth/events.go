package httpauth

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"safelight/internal/audit"
	"safelight/internal/ratelimit"
)

// EventWindow is how long, after a refusal that a client can repeat at
// will has been recorded, the same refusal of the same caller or address
// is only counted.
const EventWindow = 15 * time.Minute

// SecurityEvents records the security events that a client can cause at
// will — refused authorization (audit.AccessDenied), refused uploads
// (audit.UploadRefused), wrong bearer tokens (audit.TokenInvalid) — at
// most once per event type, subject and EventWindow, so that a flood of
// refusals cannot flood the audit log. The first event of a window carries
// in Details["suppressed"] how many of the same went unrecorded in the
// window before (ratelimit.Limiter.Sample counts them, on the counters the
// abuse limits use, so replicas share them).
//
// The zero value records nothing. Safe for concurrent use.
type SecurityEvents struct {
	Audit *audit.Recorder
	// Limits counts the repeats; without it every event is recorded.
	Limits *ratelimit.Limiter
	// Log, when set, receives counting failures (the event is then
	// recorded anyway: a duplicate is better than a hole).
	Log *slog.Logger
}

// recordTimeout bounds one recording (a counter and an event).
const recordTimeout = 10 * time.Second

// Record records e unless an event of its type was already recorded for
// subject (ratelimit.Address or ratelimit.Account) in this window.
// Failures are logged by the recorder; the request goes on either way.
// A client that hangs up does not stop the recording: ctx's cancellation
// is ignored (its values are kept), within a time limit of its own.
func (s SecurityEvents) Record(ctx context.Context, subject string, e audit.Event) {
	if s.Audit == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if s.Limits != nil {
		first, suppressed, err := s.Limits.Sample(ctx, string(e.Type), subject, EventWindow)
		switch {
		case err != nil:
			if s.Log != nil {
				s.Log.WarnContext(ctx, "security event not counted; recording it anyway", "type", string(e.Type), "err", err)
			}
		case !first:
			return
		case suppressed > 0:
			d := make(map[string]string, len(e.Details)+1)
			for k, v := range e.Details {
				d[k] = v
			}
			d["suppressed"] = strconv.Itoa(suppressed)
			e.Details = d
		}
	}
	s.Audit.Record(ctx, e)
}
