package app_test

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/keys"
	"safelight/internal/privacy"
)

// auditRetentionWorld is an instance with --audit-retention set to
// retention, two accounts' worth of security events, and a checkpoint
// signed over them; then, after boundary, Bob signs in again.
type auditRetentionWorld struct {
	a        *app.App
	bob      *client
	cliOpts  []string // what "safelight audit …" needs to find the log
	signer   audit.Signer
	cp       audit.Checkpoint
	boundary time.Time
}

func newAuditRetentionWorld(t *testing.T, retention string) auditRetentionWorld {
	t.Helper()
	rootKeyFile := apptest.NewRootKey(t)
	opts, _ := rawDatabase(t)
	a, srv := newServer(t, append(opts, "--signup", "open", "--root-key-file", rootKeyFile,
		"--metrics-listen", "127.0.0.1:0", "--audit-retention", retention)...)
	// The task's own run on start, with the real clock, prunes nothing:
	// every event is younger than any period.
	awaitRetentionOnStart(t, a)
	signUpAndLogin(t, srv, "ann@example.com")
	bob := signUpAndLogin(t, srv, "bob@example.com")
	root, err := keys.LoadRootKeyFile(rootKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer := any(root).(audit.Signer)
	cp, ok, err := audit.NewCheckpointer(a.Store(), signer, slog.New(slog.DiscardHandler)).Checkpoint(t.Context())
	if err != nil || !ok || cp.Seq < 4 {
		t.Fatalf("Checkpoint() = %+v, %v, %v; want one over the sign-ups and sign-ins", cp, ok, err)
	}
	time.Sleep(5 * time.Millisecond) // event times are in microseconds
	boundary := time.Now()
	time.Sleep(5 * time.Millisecond)
	bob.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	cliOpts := append([]string{"--data", t.TempDir()}, opts...) // the instance's database
	return auditRetentionWorld{a: a, bob: bob, cliOpts: append(cliOpts, "--root-key-file", rootKeyFile),
		signer: signer, cp: cp, boundary: boundary}
}

// auditVerify runs "safelight audit verify" on w's log.
func (w auditRetentionWorld) auditVerify(t *testing.T) (code int, stdout string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = app.Main(t.Context(), append([]string{"audit", "verify"}, w.cliOpts...), nil, &out, &errs)
	return code, out.String() + errs.String()
}

// bobsEvents returns the times and types of the security events Bob sees.
func (w auditRetentionWorld) bobsEvents(t *testing.T) []map[string]any {
	t.Helper()
	var items []map[string]any
	for _, it := range w.bob.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

// securityEventsPeriod is what the published records of processing say
// of how long security events are kept.
func (w auditRetentionWorld) securityEventsPeriod(t *testing.T) string {
	t.Helper()
	for _, p := range processingRecords(t, w.bob).Purposes {
		for _, r := range p.Retention {
			if p.ID == privacy.PurposeSecurity && r.What == "security events" {
				return r.Text
			}
		}
	}
	t.Fatal("the records of processing give no period for security events")
	return ""
}

// TestRetentionAuditLog (storage limitation, Art. 5(1)(e) GDPR, for the
// security audit log): a year (--audit-retention's default) after a
// signed checkpoint, enforce_retention deletes every event up to it and
// none after it; "safelight audit verify" still finds the log intact and
// names the pruned range; the run's counts and its retention.purged event
// name the class and the last event pruned; the security events Bob sees
// are only the ones after the cutoff.
func TestRetentionAuditLog(t *testing.T) {
	w := newAuditRetentionWorld(t, "8760h")
	ctx, a := t.Context(), w.a
	if got := w.securityEventsPeriod(t); !strings.Contains(got, "for 365 days") {
		t.Errorf("records of processing: security events %q; want kept for 365 days", got)
	}
	before := w.bobsEvents(t)
	if len(before) < 3 {
		t.Fatalf("Bob's security events = %v; want the sign-up and two sign-ins", before)
	}

	// A day short of the period after the boundary: nothing goes.
	a.Retention.SetClock(func() time.Time { return w.boundary.Add(8760*time.Hour - 24*time.Hour) })
	if counts, err := a.Retention.Enforce(ctx); err != nil || counts[privacy.ClassAuditEvents] != 0 {
		t.Fatalf("Enforce a day before the period ends = %v, %v; want no audit event pruned", counts, err)
	}
	// The period has passed for everything up to the boundary.
	a.Retention.SetClock(func() time.Time { return w.boundary.Add(8760 * time.Hour) })
	counts, err := a.Retention.Enforce(ctx)
	a.Retention.SetClock(time.Now)
	if err != nil || counts[privacy.ClassAuditEvents] != int(w.cp.Seq) {
		t.Fatalf("Enforce a year on = %v, %v; want %s %d (events 1..%d)", counts, err, privacy.ClassAuditEvents, w.cp.Seq, w.cp.Seq)
	}
	// The run's event (other classes' runs have their own) says what went.
	purged, err := a.Store().AuditLog(ctx, auth.AuditFilter{Type: audit.RetentionPurged, Limit: 10})
	var pruning []audit.Event
	for _, e := range purged {
		if _, ok := e.Details[privacy.ClassAuditEvents]; ok {
			pruning = append(pruning, e)
		}
	}
	if seq := strconv.FormatInt(w.cp.Seq, 10); err != nil || len(pruning) != 1 ||
		pruning[0].Details[privacy.ClassAuditEvents] != seq || pruning[0].Details[privacy.AuditPrunedThrough] != seq {
		t.Errorf("retention.purged events = %+v, %v; want one naming %s %d, pruned through %d", purged, err, privacy.ClassAuditEvents, w.cp.Seq, w.cp.Seq)
	}

	rep, err := audit.Verify(ctx, a.Store(), w.signer)
	if err != nil || !rep.Intact() || rep.PrunedThrough != w.cp.Seq {
		t.Errorf("Verify after pruning = %+v, %v; want intact, pruned through %d", rep, err, w.cp.Seq)
	}
	code, out := w.auditVerify(t)
	if want := "events 1 to " + strconv.FormatInt(w.cp.Seq, 10) + " were pruned by retention"; code != 0 || !strings.Contains(out, "audit log intact") || !strings.Contains(out, want) {
		t.Errorf("audit verify = %d %q; want 0, intact, %q", code, out, want)
	}

	// Bob sees only his events after the boundary: the second sign-in.
	after := w.bobsEvents(t)
	if len(after) == 0 || len(after) >= len(before) {
		t.Fatalf("Bob's security events after pruning = %v; want fewer than %d, not none", after, len(before))
	}
	for _, e := range after {
		at, err := time.Parse(time.RFC3339Nano, e["at"].(string))
		if err != nil || at.Before(w.boundary) {
			t.Errorf("Bob still sees %v (%v); want nothing older than the cutoff", e, err)
		}
	}

	// Nothing more is old enough: the next run prunes nothing.
	a.Retention.SetClock(func() time.Time { return w.boundary.Add(8760 * time.Hour) })
	if counts, err := a.Retention.Enforce(ctx); err != nil || counts[privacy.ClassAuditEvents] != 0 {
		t.Errorf("second Enforce = %v, %v; want no audit event pruned", counts, err)
	}
	a.Retention.SetClock(time.Now)
}

// TestRetentionAuditLogKeptForever: with --audit-retention 0 the audit
// log is never pruned, however old, and /privacy says so.
func TestRetentionAuditLogKeptForever(t *testing.T) {
	w := newAuditRetentionWorld(t, "0")
	ctx, a := t.Context(), w.a
	if got := w.securityEventsPeriod(t); !strings.Contains(got, "never deleted automatically") {
		t.Errorf("records of processing: security events %q; want never deleted", got)
	}
	a.Retention.SetClock(func() time.Time { return w.boundary.Add(10 * 8760 * time.Hour) })
	counts, err := a.Retention.Enforce(ctx)
	a.Retention.SetClock(time.Now)
	if _, ran := counts[privacy.ClassAuditEvents]; err != nil || ran {
		t.Errorf("Enforce ten years on = %v, %v; want the audit log not pruned", counts, err)
	}
	rep, err := audit.Verify(ctx, a.Store(), w.signer)
	if err != nil || !rep.Intact() || rep.PrunedThrough != 0 || rep.Events <= w.cp.Seq {
		t.Errorf("Verify = %+v, %v; want intact, every event kept", rep, err)
	}
	if code, out := w.auditVerify(t); code != 0 || strings.Contains(out, "pruned") {
		t.Errorf("audit verify = %d %q; want 0 and nothing pruned", code, out)
	}
}
