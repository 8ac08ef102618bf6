package app_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/mail"
	"safelight/internal/privacy"
	"safelight/internal/sqlstore"
)

// TestRetentionEnforced (storage limitation, Art. 5(1)(e) GDPR): the
// periodic task enforce_retention, run with its clock moved 36 days on,
// deletes exactly what has outlived its period (the draft of a call
// closed 31 days ago, an e-mailed link and an invitation expired two days
// ago, an outbox message eight days old, a counter of 26 hours ago, the
// sessions past their life) and keeps the fresh ones of each class; the
// run is recorded as one retention.purged audit event with the counts,
// and a second run with nothing to do records nothing.
func TestRetentionEnforced(t *testing.T) {
	w := newFlowWorld(t)
	ctx, st := t.Context(), w.a.Store()
	if names := w.a.TaskNames(); !slices.Contains(names, "enforce_retention") {
		t.Fatalf("periodic tasks = %v; want enforce_retention", names)
	}
	start := time.Now()
	deadline := func(d time.Duration) map[string]any {
		return map[string]any{"deadline": start.Add(d).UTC().Format(time.RFC3339)}
	}
	closing := w.newCall(t, deadline(5*24*time.Hour))["id"].(string)
	later := w.newCall(t, deadline(40*24*time.Hour))["id"].(string)
	draft := func(call string) string {
		return w.erin.must(201, "POST", "/api/v1/calls/"+call+"/entries", map[string]any{
			"title": "Tide pools", "category": "Landscape", "asset_ids": []string{w.erinImg}, "draft": true}).json["id"].(string)
	}
	oldDraft, freshDraft := draft(closing), draft(later)

	now := start.Add(36 * 24 * time.Hour) // the closing call's deadline is 31 days past
	erin, err := st.UserByEmail(ctx, "erin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	token := func(b byte, expires time.Time) auth.EmailToken {
		tok := auth.EmailToken{ID: sqlstore.NewID(), UserID: erin.ID, Purpose: auth.PurposePasswordReset, Hash: bytes.Repeat([]byte{b}, 32),
			Email: erin.Email, CreatedAt: expires.Add(-30 * time.Minute), ExpiresAt: expires}
		if err := st.CreateEmailToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	token(0xA1, now.Add(-48*time.Hour))
	freshToken := token(0xA2, now.Add(time.Hour))
	for i, exp := range []time.Time{now.Add(-48 * time.Hour), now.Add(24 * time.Hour)} {
		if err := st.CreateInvite(ctx, auth.Invite{ID: sqlstore.NewID(), Email: "guest" + strconv.Itoa(i) + "@example.com",
			Hash: bytes.Repeat([]byte{0xB0 + byte(i)}, 32), CreatedBy: erin.ID, CreatedAt: exp.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []mail.OutboxMessage{
		{ID: sqlstore.NewID(), To: "old@example.com", Subject: "old", Text: "x", CreatedAt: now.Add(-8 * 24 * time.Hour)},
		{ID: sqlstore.NewID(), To: "new@example.com", Subject: "new", Text: "x", CreatedAt: now.Add(-6 * 24 * time.Hour)},
	} {
		if err := st.AddOutboxMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.Hit(ctx, "rl:retention-old", now.Add(-26*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Hit(ctx, "rl:retention-new", now.Add(-time.Hour), 2*time.Hour); err != nil {
		t.Fatal(err)
	}

	// The clocks move on: the task's and that of the sessions it sweeps.
	clock := func() time.Time { return now }
	w.a.Retention.SetClock(clock)
	w.a.Auth.SetClock(clock)
	counts, err := w.a.Retention.Enforce(ctx)
	if err != nil {
		t.Fatalf("Enforce = %v", err)
	}
	// The task also runs by itself (on start, on the elected leader) with
	// the same clock, and may have purged part of it first, in a run of its
	// own: the totals over every recorded run are what must hold.
	recorded := func() []audit.Event {
		t.Helper()
		es, err := st.AuditLog(ctx, auth.AuditFilter{Type: audit.RetentionPurged, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	totals := map[string]int{}
	es := recorded()
	for _, e := range es {
		for class, v := range e.Details {
			n, _ := strconv.Atoi(v)
			totals[class] += n
		}
	}
	// Exactly one draft and one invitation were past their period; the
	// flow's own mail, verification links, counters and sessions (all from
	// start, 36 days ago) went too.
	if totals[privacy.ClassDrafts] != 1 || totals[privacy.ClassInvites] != 1 {
		t.Errorf("recorded totals = %v; want 1 draft and 1 invitation", totals)
	}
	for _, class := range []string{privacy.ClassEmailTokens, privacy.ClassOutbox, privacy.ClassCounters, privacy.ClassSessions} {
		if totals[class] < 1 {
			t.Errorf("recorded %s = %d; want at least the fixture's", class, totals[class])
		}
	}
	// This run is recorded with exactly the counts it returned.
	deleted := false
	for _, n := range counts {
		deleted = deleted || n > 0
	}
	if deleted && !slices.ContainsFunc(es, func(e audit.Event) bool {
		for class, n := range counts {
			want := ""
			if n > 0 {
				want = strconv.Itoa(n)
			}
			if e.Details[class] != want {
				return false
			}
		}
		return true
	}) {
		t.Errorf("no retention.purged event holds this run's counts %v: %v", counts, es)
	}

	if _, err := st.EntryByID(ctx, oldDraft); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("draft of the call closed 31 days ago = %v; want deleted", err)
	}
	if _, err := st.EntryByID(ctx, freshDraft); err != nil {
		t.Errorf("draft of the open call = %v; want kept", err)
	}
	if got, err := st.LatestEmailToken(ctx, erin.ID, auth.PurposePasswordReset); err != nil || got.ID != freshToken.ID {
		t.Errorf("latest reset token = %v, %v; want only the unexpired one left", got.ID, err)
	}
	ms, err := st.OutboxMessages(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.CreatedAt.Before(now.Add(-mail.OutboxRetention)) {
			t.Errorf("outbox message of %v (to %s) survived", m.CreatedAt, m.To)
		}
	}
	if len(ms) != 1 || ms[0].To != "new@example.com" {
		t.Errorf("outbox = %v; want the six-day-old message only", ms)
	}
	if n, _, err := st.Count(ctx, "rl:retention-old"); err != nil || n != 0 {
		t.Errorf("counter of 26 hours ago = %d, %v; want deleted", n, err)
	}
	if n, _, err := st.Count(ctx, "rl:retention-new"); err != nil || n != 1 {
		t.Errorf("counter of an hour ago = %d, %v; want kept", n, err)
	}

	// Nothing left to delete: nothing more recorded.
	again, err := w.a.Retention.Enforce(ctx)
	if err != nil || again[privacy.ClassDrafts] != 0 || again[privacy.ClassInvites] != 0 || again[privacy.ClassEmailTokens] != 0 {
		t.Errorf("second run = %v, %v; want nothing deleted", again, err)
	}
	if got := recorded(); len(got) != len(es) {
		t.Errorf("%d retention.purged events after an empty run; want still %d", len(got), len(es))
	}
	w.erin.must(401, "GET", "/api/v1/me", nil) // her session ended long ago and is gone
}
