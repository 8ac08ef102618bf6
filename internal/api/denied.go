package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"safelight/internal/audit"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/ratelimit"
)

// lookupTimeout bounds the lookup of an asset's owner.
const lookupTimeout = 10 * time.Second

// deniedInFlight bounds the recordings running at once. A flood of
// refusals beyond it goes uncounted; the window's one event has been
// recorded by then.
const deniedInFlight = 16

// DeniedRecorder records failed authorization (audit.AccessDenied, ASVS
// V16.3.2) for the router's refusals of signed-in callers (Router.OnDenied),
// on API and page routes alike:
//   - a route policy that refused the caller (a non-admin on an admin
//     route, a token on a session-only route);
//   - a 404 on a route whose {id} names an asset that exists but is
//     someone else's (its page, metadata, original, thumb or preview,
//     access log, trash or restore).
//
// The work happens on a goroutine of its own, after the answer: a 404
// for someone else's asset takes as long as one for no asset at all, and
// the lookup that tells them apart never delays an answer. The event
// names the caller (actor and subject) and what they asked for, never the
// owner, so it shows in the caller's security activity and the
// administrators' log, not in the owner's. At most one per caller and
// httpauth.EventWindow is recorded (httpauth.SecurityEvents).
type DeniedRecorder struct {
	events  httpauth.SecurityEvents
	library *library.Service
	log     *slog.Logger
	slots   chan struct{}
	wg      sync.WaitGroup
}

// NewDeniedRecorder returns a recorder writing to rec, counting repeats
// on limits, and asking lib whether an asset id was someone else's.
func NewDeniedRecorder(rec *audit.Recorder, limits *ratelimit.Limiter, lib *library.Service, log *slog.Logger) *DeniedRecorder {
	log = log.With("component", "http")
	return &DeniedRecorder{events: httpauth.SecurityEvents{Audit: rec, Limits: limits, Log: log}, library: lib, log: log,
		slots: make(chan struct{}, deniedInFlight)}
}

// Denied is the function to pass to Router.OnDenied.
func (d *DeniedRecorder) Denied(r *http.Request, den httpx.Denial) {
	id := r.PathValue("id")
	if den.Policy == "" && (id == "" || den.Status != http.StatusNotFound) {
		return // a handler's 404 with no id to look at: an unknown path, nothing hidden
	}
	// Everything the goroutine needs is taken from r now: r is not to be
	// used once its handler has returned.
	route, c := r.Pattern, httpauth.ClientOf(r, httpx.ClientIP(r))
	e := audit.Event{Type: audit.AccessDenied, ActorID: den.Caller.UserID, SubjectID: den.Caller.UserID,
		IP: c.IP, UserAgent: c.UserAgent, Details: map[string]string{"route": route}}
	if id != "" {
		e.Details["resource_id"] = id
	}
	if den.Policy != "" {
		e.Details["policy"] = den.Policy
	}
	ctx := context.WithoutCancel(r.Context())
	select {
	case d.slots <- struct{}{}:
	default:
		d.log.DebugContext(ctx, "refusal not recorded: too many being recorded", "route", route)
		return
	}
	d.wg.Add(1)
	go func() {
		defer func() { <-d.slots; d.wg.Done() }()
		if den.Policy == "" {
			ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
			defer cancel()
			hidden, err := d.library.HiddenFrom(ctx, den.Caller, id)
			if err != nil {
				d.log.WarnContext(ctx, "refusal not recorded: asset lookup failed", "route", route, "err", err)
			}
			if !hidden {
				return // missing, or the caller's own (not ready yet, in the trash): no one else's
			}
		}
		d.events.Record(ctx, ratelimit.Account(den.Caller.UserID), e)
	}()
}

// Wait returns once the recordings started so far have ended. Call it
// after the server has stopped taking requests and before the stores
// close; tests call it before reading the log.
func (d *DeniedRecorder) Wait() { d.wg.Wait() }
