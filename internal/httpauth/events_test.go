package httpauth_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/httpauth"
	"safelight/internal/ratelimit"
	"safelight/internal/sqlstore"
	"safelight/internal/sqlstore/storetest"
)

// allEvents reads every recorded event, oldest first.
func allEvents(t *testing.T, st *sqlstore.Store) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := st.WalkAuditChain(t.Context(), 0, func(e audit.ChainedEvent) error {
		out = append(out, e.Event)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func ofType(evs []audit.Event, typ audit.Type) []audit.Event {
	var out []audit.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// TestWrongBearerTokenEvents (ASVS V16.3.3): a bearer token that matches
// no token is recorded as auth.token_invalid with the address, the user
// agent and the token's type marker only; once per address and window,
// the next window's event counting the ones in between; going over the
// wrong-token limit is recorded once (abuse.rate_limited).
func TestWrongBearerTokenEvents(t *testing.T) {
	st := storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	log := slog.New(slog.DiscardHandler)
	rec := audit.NewRecorder(st, log)
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
	svc, err := auth.NewService(st, rec, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	limits := ratelimit.New(st, map[string]ratelimit.Rule{ratelimit.BadCredentials: {Max: 4, Window: 15 * time.Minute}})
	limits.SetClock(func() time.Time { return now })
	a := &httpauth.Authenticator{Auth: svc, Limits: limits, Audit: rec, ClientIP: func(r *http.Request) string {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return host
	}}
	const secret = "slp_Zr8QwT3vNnK0pLx9YbC2dE5fG7hJ1mS4uV6aXc"
	try := func(ip, authorization string) error {
		t.Helper()
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.RemoteAddr = ip + ":40000"
		r.Header.Set("Authorization", authorization)
		r.Header.Set("User-Agent", "guesser/1.0")
		p, err := a.Authenticate(r, true)
		if p != nil {
			t.Fatalf("Authenticate(%q) = %+v; want no caller", authorization, p)
		}
		return err
	}

	for i := range 4 { // up to the limit: 401s
		if err := try("192.0.2.7", "Bearer "+secret+string(rune('a'+i))); err != nil {
			t.Fatalf("wrong token %d = %v; want anonymous", i+1, err)
		}
	}
	var le *ratelimit.LimitedError
	for i := range 3 { // over it: refused, the first refusal recorded
		if err := try("192.0.2.7", "Bearer "+secret); !errors.As(err, &le) {
			t.Fatalf("wrong token over the limit (%d) = %v; want limited", i+1, err)
		}
	}
	if err := try("198.51.100.9", "Bearer hunter2_correct horse"); err != nil {
		t.Fatalf("a token of another form = %v", err)
	}
	a.Authenticate(httptest.NewRequest("GET", "/", nil), true) // no Authorization: nothing to record

	evs := allEvents(t, st)
	invalid := ofType(evs, audit.TokenInvalid)
	if len(invalid) != 2 {
		t.Fatalf("auth.token_invalid events = %+v; want one per address (2)", invalid)
	}
	first := invalid[0]
	if first.IP != "192.0.2.7" || first.UserAgent != "guesser/1.0" || first.Details["token_prefix"] != "slp_" ||
		first.ActorID != "" || first.SubjectID != "" || first.Details["suppressed"] != "" {
		t.Errorf("first auth.token_invalid = %+v; want the address, agent and marker slp_, anonymous", first)
	}
	if other := invalid[1]; other.IP != "198.51.100.9" || other.Details["token_prefix"] != "none" {
		t.Errorf("auth.token_invalid for a token of another form = %+v; want marker none", other)
	}
	if limited := ofType(evs, audit.RateLimited); len(limited) != 1 || limited[0].Details["rule"] != ratelimit.BadCredentials ||
		limited[0].IP != "192.0.2.7" {
		t.Errorf("abuse.rate_limited events = %+v; want one, for bad-credentials from 192.0.2.7", limited)
	}
	raw, _ := json.Marshal(evs)
	for _, s := range []string{"Zr8QwT3v", "hunter2", "correct horse"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("events hold %q of a presented token: %s", s, raw)
		}
	}

	// The next window: one more event, counting the 3 unrecorded wrong
	// tokens of the window before (the refusals over the limit were not
	// even looked at).
	now = now.Add(16 * time.Minute)
	if err := try("192.0.2.7", "Bearer sls_x"); err != nil {
		t.Fatal(err)
	}
	invalid = ofType(allEvents(t, st), audit.TokenInvalid)
	if len(invalid) != 3 || invalid[2].Details["suppressed"] != "3" || invalid[2].Details["token_prefix"] != "sls_" {
		t.Errorf("auth.token_invalid in the next window = %+v; want a third with suppressed 3 and marker sls_", invalid)
	}
}

// TestSecurityEventsOncePerWindow: Record lets one event per type and
// subject through per window; other types and subjects have their own.
func TestSecurityEventsOncePerWindow(t *testing.T) {
	st := storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	rec := audit.NewRecorder(st, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	limits := ratelimit.New(st, nil)
	limits.SetClock(func() time.Time { return now })
	ev := httpauth.SecurityEvents{Audit: rec, Limits: limits}
	details := map[string]string{"reason": "empty"}
	for range 5 {
		ev.Record(t.Context(), ratelimit.Account("u1"), audit.Event{Type: audit.UploadRefused, ActorID: "u1", Details: details})
	}
	ev.Record(t.Context(), ratelimit.Account("u1"), audit.Event{Type: audit.AccessDenied, ActorID: "u1"})
	ev.Record(t.Context(), ratelimit.Account("u2"), audit.Event{Type: audit.UploadRefused, ActorID: "u2"})
	if n := len(allEvents(t, st)); n != 3 {
		t.Errorf("events after 5 refusals of u1, another type for u1 and one for u2 = %d; want 3", n)
	}
	now = now.Add(httpauth.EventWindow)
	ev.Record(t.Context(), ratelimit.Account("u1"), audit.Event{Type: audit.UploadRefused, ActorID: "u1", Details: details})
	evs := allEvents(t, st)
	if last := evs[len(evs)-1]; len(evs) != 4 || last.Details["suppressed"] != "4" || last.Details["reason"] != "empty" {
		t.Errorf("events = %+v; want a 4th with suppressed 4 and its own details", evs)
	}
	if len(details) != 1 {
		t.Errorf("Record changed the caller's details map: %v", details)
	}
	// Without a limiter every event is recorded.
	httpauth.SecurityEvents{Audit: rec}.Record(t.Context(), "x", audit.Event{Type: audit.UploadRefused})
	httpauth.SecurityEvents{Audit: rec}.Record(t.Context(), "x", audit.Event{Type: audit.UploadRefused})
	if n := len(allEvents(t, st)); n != 6 {
		t.Errorf("events after two unlimited records = %d; want 6", n)
	}
}
