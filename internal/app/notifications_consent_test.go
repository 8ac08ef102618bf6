package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"safelight/internal/privacy"
)

// The consent to optional e-mail notifications (issue 8, item 1): given
// by the API, the sign-up form or the privacy center, withdrawn with the
// ledger's one withdraw action, and the condition of the "review done"
// and "deadline reminder" e-mails. Its default is pinned in
// privacy_defaults_test.go.

// notificationsSHA reads the consent's text hash as a client would.
func notificationsSHA(t *testing.T, c *client) string {
	t.Helper()
	items := flowItems(t, c.must(200, "GET", "/api/v1/privacy/optional-consents", nil))
	if len(items) != 1 || items[0]["kind"] != privacy.ConsentEmailNotifications || items[0]["text_sha256"] != privacy.NotificationsTextSHA256() {
		t.Fatalf("optional consents = %v; want the e-mail notifications with its text's hash", items)
	}
	return items[0]["text_sha256"].(string)
}

// giveNotifications gives c's account the consent by the API and
// returns its id.
func giveNotifications(t *testing.T, c *client) string {
	t.Helper()
	r := c.must(201, "POST", "/api/v1/me/consents", map[string]string{"kind": privacy.ConsentEmailNotifications, "accept_text_sha256": notificationsSHA(t, c)})
	return r.json["id"].(string)
}

// notificationConsents returns c's email_notifications records.
func notificationConsents(t *testing.T, c *client) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, cs := range flowItems(t, c.must(200, "GET", "/api/v1/me/consents", nil)) {
		if cs["kind"] == privacy.ConsentEmailNotifications {
			out = append(out, cs)
		}
	}
	return out
}

// TestNotificationsConsentAPI: the text is public with its hash; giving
// the consent records it once (again while live: 200 and the same
// record); an unknown kind or a wrong hash is 400 with a clear message
// and records nothing; it has a receipt (JSON and page); the ledger's
// withdraw action ends it, only for its holder; given again after that,
// it is a new record.
func TestNotificationsConsentAPI(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := verifiedAccount(t, a, srv, "ann@example.com")
	bea := verifiedAccount(t, a, srv, "bea@example.com")
	text := newClient(t, srv).must(200, "GET", "/api/v1/privacy/optional-consents", nil)
	if !strings.Contains(string(text.body), "review done") || !strings.Contains(string(text.body), "withdraw") {
		t.Errorf("optional consents do not say what is covered and how to withdraw: %s", text.body)
	}
	sha := notificationsSHA(t, ann)
	newClient(t, srv).must(401, "POST", "/api/v1/me/consents", map[string]string{"kind": privacy.ConsentEmailNotifications, "accept_text_sha256": sha})

	for _, bad := range []struct {
		body map[string]string
		says string
	}{
		{map[string]string{"kind": "newsletter", "accept_text_sha256": sha}, "email_notifications"},
		{map[string]string{"kind": "call_terms", "accept_text_sha256": sha}, "accepted with an entry"},
		{map[string]string{"accept_text_sha256": sha}, "email_notifications"},
		{map[string]string{"kind": privacy.ConsentEmailNotifications, "accept_text_sha256": strings.Repeat("0", 64)}, "accept_text_sha256"},
		{map[string]string{"kind": privacy.ConsentEmailNotifications}, "current text"},
	} {
		r := ann.do("POST", "/api/v1/me/consents", bad.body)
		if r.status != http.StatusBadRequest || !strings.Contains(str(r.json, "error"), bad.says) {
			t.Errorf("POST /api/v1/me/consents %v = %d %s; want 400 saying %q", bad.body, r.status, r.body, bad.says)
		}
		if strings.Contains(bad.body["kind"], "email") && r.json["text_sha256"] != sha {
			t.Errorf("a wrong hash's answer = %s; want the current text_sha256 with it", r.body)
		}
	}
	if got := notificationConsents(t, ann); len(got) != 0 {
		t.Fatalf("after bad requests: %v; want nothing recorded", got)
	}

	given := ann.must(201, "POST", "/api/v1/me/consents", map[string]string{"kind": privacy.ConsentEmailNotifications, "accept_text_sha256": sha}).json
	again := ann.must(200, "POST", "/api/v1/me/consents", map[string]string{"kind": privacy.ConsentEmailNotifications, "accept_text_sha256": sha}).json
	id := str(given, "id")
	if again["id"] != id || given["terms_sha256"] != sha || given["method"] != privacy.NotificationsByAPI || given["receipt_url"] != "/api/v1/me/consents/"+id+"/receipt" {
		t.Errorf("given = %v, again = %v; want the same record, with the hash, the API method and its receipt", given, again)
	}
	if got := notificationConsents(t, ann); len(got) != 1 || got[0]["id"] != id || got[0]["withdrawn_at"] != nil {
		t.Fatalf("Ann's notifications consents = %v; want exactly the one live record", got)
	}

	// The receipt, as JSON and as a page; nobody else's.
	rc := ann.must(200, "GET", "/api/v1/me/consents/"+id+"/receipt", nil)
	if rc.json["consentReceiptID"] != id || rc.json["safelightTermsSha256"] != sha || rc.json["piiPrincipalId"] != "ann@example.com" ||
		!strings.Contains(string(rc.body), "Optional e-mail notifications") || strings.Contains(string(rc.body), "Terms of use") {
		t.Errorf("receipt = %s", rc.body)
	}
	page := string(ann.must(200, "GET", "/consents/"+id, nil).body)
	for _, want := range []string{"Consent receipt", sha, "Optional e-mail notifications", "API: POST /api/v1/me/consents"} {
		if !strings.Contains(page, want) {
			t.Errorf("receipt page lacks %q", want)
		}
	}
	bea.must(404, "GET", "/api/v1/me/consents/"+id+"/receipt", nil)
	bea.must(404, "GET", "/consents/"+id, nil)

	// Withdrawal: the ledger's one action; not by anyone else.
	bea.must(404, "POST", "/api/v1/me/consents/"+id+"/withdraw", nil)
	if got := notificationConsents(t, ann); len(got) != 1 || got[0]["withdrawn_at"] != nil {
		t.Fatalf("after another account's withdraw: %v; want still live", got)
	}
	ann.must(204, "POST", "/api/v1/me/consents/"+id+"/withdraw", nil)
	ann.must(204, "POST", "/api/v1/me/consents/"+id+"/withdraw", nil) // once withdrawn, stays so
	got := notificationConsents(t, ann)
	if len(got) != 1 || got[0]["withdrawn_at"] == nil {
		t.Fatalf("after the withdrawal: %v; want the record kept, withdrawn", got)
	}
	if rc := ann.must(200, "GET", "/api/v1/me/consents/"+id+"/receipt", nil).json; rc["safelightWithdrawnAt"] == nil {
		t.Errorf("the withdrawn consent's receipt = %v; want its withdrawal", rc)
	}
	if !strings.Contains(string(ann.must(200, "GET", "/consents/"+id, nil).body), "You withdrew this consent") {
		t.Error("the receipt page does not say the consent was withdrawn")
	}
	renewed := ann.must(201, "POST", "/api/v1/me/consents", map[string]string{"kind": privacy.ConsentEmailNotifications, "accept_text_sha256": sha}).json
	if renewed["id"] == id || len(notificationConsents(t, ann)) != 2 {
		t.Errorf("given again after withdrawing = %v; want a new record beside the withdrawn one", renewed)
	}
}

// TestReviewDoneMailNeedsConsent: a reviewer's "done" always makes the
// owner's in-app notification; the e-mail goes only while the owner's
// consent is live — not before it is given, and not after it is
// withdrawn.
func TestReviewDoneMailNeedsConsent(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := verifiedAccount(t, a, srv, "ann@example.com")
	lea := verifiedAccount(t, a, srv, "lea@example.com")
	project := ann.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Wedding"}).json["id"].(string)
	ann.must(201, "POST", "/api/v1/projects/"+project+"/members", map[string]string{"email": "lea@example.com", "role": "reviewer"})
	done := func(wantMails, wantNotes int) {
		t.Helper()
		lea.must(204, "POST", "/api/v1/projects/"+project+"/done", nil)
		if ms := outboxTo(t, a, "ann@example.com", "Review finished"); len(ms) != wantMails {
			t.Errorf("done mails to the owner = %d; want %d", len(ms), wantMails)
		}
		if ns := flowItems(t, ann.must(200, "GET", "/api/v1/me/notifications", nil)); len(ns) != wantNotes {
			t.Errorf("owner's in-app notifications = %d; want %d (made whatever the consent)", len(ns), wantNotes)
		}
	}
	done(0, 1) // no consent: in-app only
	id := giveNotifications(t, ann)
	done(1, 2)
	done(2, 3)
	ann.must(204, "POST", "/api/v1/me/consents/"+id+"/withdraw", nil)
	done(2, 4) // withdrawn: the next one is not mailed
	// The reviewer's consent is not the owner's.
	giveNotifications(t, lea)
	done(2, 5)
}

// TestDeadlineReminderNeedsConsent: a draft near its call's deadline is
// shown on the entries page whatever the consent; the reminder e-mail
// goes only while the entrant's consent is live. A draft passed over
// without consent is reminded once the consent is given before the
// deadline; after the withdrawal, no new reminder is mailed.
func TestDeadlineReminderNeedsConsent(t *testing.T) {
	w := newFlowWorld(t)
	soon := map[string]any{"deadline": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}
	draft := func(title string) {
		t.Helper()
		call := w.newCall(t, soon)
		w.erin.must(201, "POST", "/api/v1/calls/"+call["id"].(string)+"/entries", map[string]any{
			"title": title, "category": "Landscape", "asset_ids": []string{w.erinImg}, "draft": true})
	}
	remind := func(want int) {
		t.Helper()
		if err := w.a.Calls.SendReminders(t.Context()); err != nil {
			t.Fatal(err)
		}
		if ms := outboxTo(t, w.a, "erin@example.com", "Deadline soon"); len(ms) != want {
			t.Errorf("reminder mails = %d; want %d", len(ms), want)
		}
	}
	inApp := func(title string) {
		t.Helper()
		page := string(w.erin.must(200, "GET", "/entries", nil).body)
		if !strings.Contains(page, "entry-reminder") || !strings.Contains(page, "Your entry “"+title+"”") {
			t.Errorf("entries page shows no reminder of %q", title)
		}
	}

	draft("Tide pools")
	remind(0)
	inApp("Tide pools")
	id := giveNotifications(t, w.erin)
	remind(1) // the draft passed over is reminded now
	remind(1) // once
	w.erin.must(204, "POST", "/api/v1/me/consents/"+id+"/withdraw", nil)
	draft("Harbour")
	remind(1)
	inApp("Harbour")
}

// TestNotificationsSignupForm: the sign-up form's box, ticked, records
// the consent with the form's method and the text's hash; ticked beside
// a text changed since (a stale hash), the form comes back with a clear
// message, the box still ticked, and no account is created.
func TestNotificationsSignupForm(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	sha := privacy.NotificationsTextSHA256()
	newClient(t, srv).must(303, "POST", "/signup", form("name", "Ann Adams", "email", "ann@example.com", "password", password,
		"email_notifications", "on", "notifications_sha256", sha))
	ann := newClient(t, srv)
	ann.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	enrolIfRequired(t, ann, "ann@example.com")
	got := notificationConsents(t, ann)
	if len(got) != 1 || got[0]["method"] != privacy.NotificationsBySignupForm || got[0]["terms_sha256"] != sha || got[0]["withdrawn_at"] != nil {
		t.Errorf("consents after a sign-up with the box ticked = %v; want one live, by the sign-up form, with the text's hash", got)
	}

	r := newClient(t, srv).do("POST", "/signup", form("name", "Bea Brown", "email", "bea@example.com", "password", password,
		"email_notifications", "on", "notifications_sha256", strings.Repeat("0", 64)))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "The text beside the box changed") ||
		!strings.Contains(string(r.body), `name="email_notifications" type="checkbox" value="on"`) {
		t.Errorf("sign-up with a stale text's hash = %d; want 400 with the message and the form", r.status)
	}
	if r := newClient(t, srv).do("POST", "/api/v1/auth/login", map[string]string{"email": "bea@example.com", "password": password}); r.status == http.StatusOK {
		t.Error("the refused sign-up created the account")
	}
}

// TestNotificationsPrivacyCenter: the privacy center shows the text and
// gives the consent with one button (a stale hash: 400, nothing
// recorded); while live, it shows when and a button that withdraws it —
// the ledger's withdraw action, refused for another account's record.
func TestNotificationsPrivacyCenter(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := verifiedAccount(t, a, srv, "ann@example.com")
	bea := verifiedAccount(t, a, srv, "bea@example.com")
	sha := privacy.NotificationsTextSHA256()

	page := string(ann.must(200, "GET", "/account/privacy", nil).body)
	for _, want := range []string{`id="notifications"`, `data-state="off"`, `action="/account/privacy/notifications"`, sha, "deadline reminder"} {
		if !strings.Contains(page, want) {
			t.Errorf("privacy center without the consent lacks %q", want)
		}
	}
	if r := ann.do("POST", "/account/privacy/notifications", form("text_sha256", "stale")); r.status != http.StatusBadRequest ||
		!strings.Contains(string(r.body), "The text changed since the page was loaded") {
		t.Errorf("giving it with a stale hash = %d; want 400 with the message", r.status)
	}
	if got := notificationConsents(t, ann); len(got) != 0 {
		t.Fatalf("after a stale give: %v; want nothing recorded", got)
	}

	ann.must(303, "POST", "/account/privacy/notifications", form("text_sha256", sha))
	ann.must(303, "POST", "/account/privacy/notifications", form("text_sha256", sha)) // twice: still one
	got := notificationConsents(t, ann)
	if len(got) != 1 || got[0]["method"] != privacy.NotificationsByPrivacyCenter {
		t.Fatalf("after giving it on the page (twice): %v; want one record by the privacy center", got)
	}
	id := str(got[0], "id")
	page = string(ann.must(200, "GET", "/account/privacy", nil).body)
	for _, want := range []string{`data-state="given"`, `action="/account/privacy/consents/` + id + `/withdraw"`, "/consents/" + id} {
		if !strings.Contains(page, want) {
			t.Errorf("privacy center with the consent lacks %q", want)
		}
	}
	bea.must(404, "POST", "/account/privacy/consents/"+id+"/withdraw", form())
	if r := ann.must(303, "POST", "/account/privacy/consents/"+id+"/withdraw", form()); !strings.HasPrefix(r.header.Get("Location"), "/account/privacy") {
		t.Errorf("withdraw redirects to %q; want back to the privacy center", r.header.Get("Location"))
	}
	if got := notificationConsents(t, ann); len(got) != 1 || got[0]["withdrawn_at"] == nil {
		t.Errorf("after withdrawing on the page: %v; want the record withdrawn", got)
	}
	if page := string(ann.must(200, "GET", "/account/privacy", nil).body); !strings.Contains(page, `data-state="off"`) {
		t.Error("privacy center after the withdrawal does not show the e-mails off")
	}
}
