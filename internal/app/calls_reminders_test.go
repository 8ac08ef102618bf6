package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCallDeadlineReminders: three days before a deadline the owner of a
// draft gets one reminder by mail (however often the task runs), the
// owner of a submitted entry none, and the entries list says so in the
// app; the task is one of the queue's periodic tasks. Both asked for
// such e-mails (without that, none is sent: TestDeadlineReminderNeedsConsent).
func TestCallDeadlineReminders(t *testing.T) {
	w := newFlowWorld(t)
	giveNotifications(t, w.erin)
	giveNotifications(t, w.sam)
	if names := w.a.TaskNames(); !slices.Contains(names, "call_reminders") {
		t.Fatalf("periodic tasks = %v; want call_reminders", names)
	}
	call := w.newCall(t, map[string]any{"deadline": time.Now().Add(5 * 24 * time.Hour).UTC().Format(time.RFC3339)})
	id := call["id"].(string)
	_, sum, _ := flowTerms(t, call["terms"])

	draft := w.erin.must(201, "POST", "/api/v1/calls/"+id+"/entries", map[string]any{
		"title": "Tide pools", "category": "Landscape", "asset_ids": []string{w.erinImg}, "draft": true}).json["id"].(string)
	samImg := uploadReady(t, w.sam, 13)
	w.sam.must(201, "POST", "/api/v1/calls/"+id+"/entries", map[string]any{
		"title": "Harbour", "category": "Street", "asset_ids": []string{samImg}, "accept_terms_sha256": sum})

	remind := func() {
		t.Helper()
		if err := w.a.Calls.SendReminders(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// Five days before: too early.
	remind()
	if ms := outboxTo(t, w.a, "erin@example.com", "Deadline soon"); len(ms) != 0 {
		t.Fatalf("reminded five days before the deadline: %v", ms)
	}
	// Two and a half days before: once, however often the task runs.
	w.a.Calls.SetClock(func() time.Time { return time.Now().Add(60 * time.Hour) })
	remind()
	remind()
	ms := outboxTo(t, w.a, "erin@example.com", "Deadline soon")
	if len(ms) != 1 {
		t.Fatalf("%d reminders to the draft's owner; want 1", len(ms))
	}
	if !strings.Contains(ms[0].Text, "Tide pools") || !strings.Contains(ms[0].Text, "/entries/"+draft) || !strings.Contains(ms[0].Text, "Atlantic Light") {
		t.Errorf("reminder does not name the entry, the call and its address:\n%s", ms[0].Text)
	}
	if ms := outboxTo(t, w.a, "sam@example.com", "Deadline soon"); len(ms) != 0 {
		t.Errorf("the owner of a submitted entry was reminded: %v", ms)
	}
	// After the deadline: nothing more.
	w.a.Calls.SetClock(func() time.Time { return time.Now().Add(6 * 24 * time.Hour) })
	remind()
	if ms := outboxTo(t, w.a, "erin@example.com", "Deadline soon"); len(ms) != 1 {
		t.Errorf("%d reminders after the deadline; want still 1", len(ms))
	}
}
