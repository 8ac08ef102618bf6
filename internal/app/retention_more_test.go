package app_test

import (
	"errors"
	"net/http/httptest"
	"slices"
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
	"safelight/internal/sharing"
)

// retentionTotals sums the counts of every retention.purged event.
func retentionTotals(t *testing.T, a *app.App) map[string]int {
	t.Helper()
	es, err := a.Store().AuditLog(t.Context(), auth.AuditFilter{Type: audit.RetentionPurged, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string]int{}
	for _, e := range es {
		for class, v := range e.Details {
			n, _ := strconv.Atoi(v)
			totals[class] += n
		}
	}
	return totals
}

// awaitRetentionOnStart waits until the retention task's own first run
// (on start, on the elected leader, with the real clock) has finished, as
// the instance's metrics (--metrics-listen) observe it. The task runs
// hourly, so after it the test's calls to Enforce are the only runs, and
// none of the task's runs can meet the fake clock.
func awaitRetentionOnStart(t *testing.T, a *app.App) {
	t.Helper()
	if a.Metrics == nil {
		t.Fatal("no metrics: start the instance with --metrics-listen")
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		rec := httptest.NewRecorder()
		a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, line := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(line, "safelight_job_duration_seconds_count{") && strings.Contains(line, `kind="task:enforce_retention"`) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the retention task did not run on start within a minute")
		}
	}
}

// TestRetentionEndedLinks (storage limitation, Art. 5(1)(e) GDPR): two
// review links end (one revoked, one expired an hour after it was made),
// each with a guest who rated, commented and pressed "done". 29 days on,
// the guests still show by name; 31 days on, enforce_retention has
// deleted both links with their guests' names, addresses and unlocks
// (queried in the database), while the comments, marks and "done" stay in
// the owner's project as "guest (link ended)" everywhere the name was
// shown: the reviewers list, the review CSV, the access-log page and the
// "done" notifications. The run's counts and retention.purged name both
// classes; a live link and its guest are untouched; /privacy states the
// periods of both new classes.
func TestRetentionEndedLinks(t *testing.T) {
	opts, openDB := rawDatabase(t)
	a, srv := newServer(t, append(opts, "--signup", "open", "--metrics-listen", "127.0.0.1:0")...)
	ctx, st := t.Context(), a.Store()
	ann := verifiedAccount(t, a, srv, "ann@example.com")
	asset := uploadReady(t, ann, 1)
	project := ann.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Harbour", "description": ""}).json["id"].(string)
	p := "/api/v1/projects/" + project
	ann.must(200, "POST", p+"/assets", map[string]any{"asset_ids": []string{asset}})

	start := time.Now()
	type reviewed struct{ id, token, name, email string }
	review := func(expires time.Time, name, email, comment string) reviewed {
		t.Helper()
		body := map[string]any{"download": "preview", "password": "harbour lights"}
		if !expires.IsZero() {
			body["expires_at"] = expires.UTC().Format(time.RFC3339)
		}
		l := ann.must(201, "POST", p+"/links", body).json
		guest := newClient(t, srv)
		base := "/api/v1/links/" + l["token"].(string)
		guest.must(204, "POST", base+"/unlock", map[string]string{"password": "harbour lights"})
		guest.must(200, "PUT", base+"/assets/"+asset+"/review", map[string]any{"rating": 4, "flag": "pick", "name": name, "email": email})
		guest.must(200, "GET", base+"/assets/"+asset+"/preview", nil) // in the owner's access log, by name
		guest.must(201, "POST", base+"/assets/"+asset+"/comments", map[string]string{"body": comment})
		guest.must(204, "POST", base+"/done", nil)
		return reviewed{id: l["id"].(string), token: l["token"].(string), name: name, email: email}
	}
	revoked := review(time.Time{}, "Cleo Client", "cleo@client.example", "Crop the left edge")
	expired := review(start.Add(time.Hour), "Dan Director", "dan@client.example", "Warmer, please")
	live := review(start.Add(300*24*time.Hour), "Liv Later", "liv@client.example", "Still looking")
	ann.must(204, "DELETE", p+"/links/"+revoked.id, nil)

	// Ended for 29 days: not yet.
	awaitRetentionOnStart(t, a)
	at := func(d time.Duration) { clock := func() time.Time { return start.Add(d) }; a.Retention.SetClock(clock) }
	at(29 * 24 * time.Hour)
	if counts, err := a.Retention.Enforce(ctx); err != nil || counts[privacy.ClassEndedLinks] != 0 || counts[privacy.ClassLinkGuests] != 0 {
		t.Fatalf("Enforce at 29 days = %v, %v; want no link or guest deleted", counts, err)
	}
	revs := string(ann.must(200, "GET", p+"/reviewers", nil).body)
	for _, g := range []reviewed{revoked, expired, live} {
		if !strings.Contains(revs, g.name) || !strings.Contains(revs, g.email) {
			t.Errorf("reviewers at 29 days = %s; want %s by name and address", revs, g.name)
		}
	}
	if strings.Contains(revs, sharing.EndedGuestName) {
		t.Errorf("reviewers at 29 days = %s; want no ended guest yet", revs)
	}

	// 31 days: the ended links and their guests are gone.
	at(31 * 24 * time.Hour)
	counts, err := a.Retention.Enforce(ctx)
	if err != nil {
		t.Fatalf("Enforce at 31 days = %v", err)
	}
	if counts[privacy.ClassEndedLinks] != 2 || counts[privacy.ClassLinkGuests] != 2 {
		t.Errorf("run counts = %v; want %s 2 and %s 2", counts, privacy.ClassEndedLinks, privacy.ClassLinkGuests)
	}
	if totals := retentionTotals(t, a); totals[privacy.ClassEndedLinks] != 2 || totals[privacy.ClassLinkGuests] != 2 {
		t.Errorf("retention.purged totals = %v; want %s 2 and %s 2", totals, privacy.ClassEndedLinks, privacy.ClassLinkGuests)
	}
	for _, g := range []reviewed{revoked, expired} {
		if gs, err := st.GuestsOf(ctx, g.id); err != nil || len(gs) != 0 {
			t.Errorf("guests of the ended link = %+v, %v; want none", gs, err)
		}
	}
	links, err := st.LinksOf(ctx, project)
	if err != nil || len(links) != 1 || links[0].ID != live.id {
		t.Errorf("links of the project = %+v, %v; want only the live one", links, err)
	}
	var rows int
	// Nothing of the ended links' guests is left, by address or name, nor
	// an unlock of those links.
	if err := openDB().QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM link_guests WHERE email IN ('cleo@client.example', 'dan@client.example') OR name IN ('Cleo Client', 'Dan Director'))
		+ (SELECT COUNT(*) FROM link_unlocks WHERE link_id IN ($1, $2))
		+ (SELECT COUNT(*) FROM access_events WHERE actor_label IN ('Cleo Client', 'Dan Director'))
		+ (SELECT COUNT(*) FROM notifications WHERE body LIKE '%Cleo Client%' OR body LIKE '%Dan Director%')`, revoked.id, expired.id).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("%d rows still hold the ended links' guests or unlocks; want none", rows)
	}

	// What they wrote stays, shown as "guest (link ended)".
	items := ann.must(200, "GET", p+"/assets", nil).json["items"].([]any)
	item := items[0].(map[string]any)
	var bodies []string
	for _, c := range item["comments"].([]any) {
		bodies = append(bodies, c.(map[string]any)["body"].(string))
	}
	if !slices.Equal(bodies, []string{"Crop the left edge", "Warmer, please", "Still looking"}) {
		t.Errorf("comments = %q; want all three kept", bodies)
	}
	if n := len(item["marks"].([]any)); n != 3 {
		t.Errorf("marks = %d; want all three kept", n)
	}
	var ended, names []string
	for _, r := range ann.must(200, "GET", p+"/reviewers", nil).json["items"].([]any) {
		r := r.(map[string]any)
		names = append(names, r["name"].(string))
		if r["name"] == sharing.EndedGuestName {
			ended = append(ended, r["id"].(string))
			if r["email"] != nil || r["done_at"] == nil || r["via"] != "link" {
				t.Errorf("ended guest = %v; want no address, the done time, via link", r)
			}
		}
	}
	if len(ended) != 2 || ended[0] == ended[1] || !slices.Contains(names, live.name) {
		t.Errorf("reviewers = %q; want two distinct %q and %s", names, sharing.EndedGuestName, live.name)
	}
	csv := string(ann.must(200, "GET", p+"/export/csv", nil).body)
	if strings.Count(csv, sharing.EndedGuestName) < 2 || strings.Contains(csv, "Cleo") || strings.Contains(csv, "Dan ") || !strings.Contains(csv, live.name) {
		t.Errorf("review CSV = %s; want the ended guests as %q, Liv by name", csv, sharing.EndedGuestName)
	}
	access := string(ann.must(200, "GET", "/projects/"+project+"/access", nil).body)
	if !strings.Contains(access, sharing.EndedGuestName) || strings.Contains(access, "Cleo") || strings.Contains(access, "Dan Director") || !strings.Contains(access, live.name) {
		t.Errorf("access page names the ended guests, or not Liv:\n%s", access)
	}
	page := string(ann.must(200, "GET", "/projects", nil).body)
	if strings.Count(page, sharing.EndedGuestName+" finished reviewing") != 2 || !strings.Contains(page, live.name+" finished reviewing") {
		t.Errorf("projects page: want two notices from %q and Liv's:\n%s", sharing.EndedGuestName, page)
	}

	// /privacy states both periods.
	notice := string(newClient(t, srv).must(200, "GET", "/privacy", nil).body)
	for _, want := range []string{"an ended review link and its guests", "an account whose address was never verified"} {
		if i := strings.Index(notice, want); i < 0 || !strings.Contains(notice[i:min(len(notice), i+400)], "30 days") {
			t.Errorf("/privacy lacks %q with its 30 days", want)
		}
	}

	// The live link's guest still works, by name.
	liv := newClient(t, srv)
	liv.must(204, "POST", "/api/v1/links/"+live.token+"/unlock", map[string]string{"password": "harbour lights"})
	liv.must(200, "GET", "/api/v1/links/"+live.token, nil)
}

// TestRetentionUnverifiedAccounts (storage limitation, Art. 5(1)(e)
// GDPR): an account signed up and never verified nor used is kept 29
// days on and erased 31 days on, through the erasure path (its id in the
// erasure journal, account.erasure_completed); it cannot sign in, and its
// address can sign up again. A verified account that never signed in and
// an unverified one that signed in are untouched. The run's counts and
// retention.purged name the class.
func TestRetentionUnverifiedAccounts(t *testing.T) {
	rootKeyFile := apptest.NewRootKey(t)
	a, srv := newServer(t, "--signup", "open", "--root-key-file", rootKeyFile, "--metrics-listen", "127.0.0.1:0")
	ctx, st := t.Context(), a.Store()
	verifiedAccount(t, a, srv, "admin@example.com") // the first account: the instance admin
	signUp := func(email string) string {
		t.Helper()
		newClient(t, srv).must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": email, "password": password, "name": "Someone"})
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	uma := signUp("uma@example.com") // never verified, never used
	// Someone shares a project with the address: Uma never proved it is
	// hers, so erasing her account must leave the invitation to whoever
	// holds it.
	owner := verifiedAccount(t, a, srv, "olga@example.com")
	project := owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Proofs"}).json["id"].(string)
	owner.must(201, "POST", "/api/v1/projects/"+project+"/members", map[string]string{"email": "uma@example.com", "role": "viewer", "download": "none"})
	signUp("vera@example.com") // verified through the mailed link, never signed in
	newClient(t, srv).must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": linkToken(t, a, "vera@example.com", verifySubject, "/verify-email")})
	signUpAndLogin(t, srv, "lou@example.com") // used, never verified
	start := time.Now()

	exists := func(email string) bool {
		t.Helper()
		_, err := st.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, auth.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	awaitRetentionOnStart(t, a)
	a.Retention.SetClock(func() time.Time { return start.Add(29 * 24 * time.Hour) })
	if counts, err := a.Retention.Enforce(ctx); err != nil || counts[privacy.ClassUnverifiedAccounts] != 0 {
		t.Fatalf("Enforce at 29 days = %v, %v; want no account erased", counts, err)
	}
	if !exists("uma@example.com") {
		t.Fatal("an unverified account 29 days old was erased; want it kept until 30 days")
	}

	a.Retention.SetClock(func() time.Time { return start.Add(31 * 24 * time.Hour) })
	counts, err := a.Retention.Enforce(ctx)
	if err != nil {
		t.Fatalf("Enforce at 31 days = %v", err)
	}
	if counts[privacy.ClassUnverifiedAccounts] != 1 {
		t.Errorf("run counts = %v; want %s 1", counts, privacy.ClassUnverifiedAccounts)
	}
	if totals := retentionTotals(t, a); totals[privacy.ClassUnverifiedAccounts] != 1 {
		t.Errorf("retention.purged totals = %v; want %s 1", totals, privacy.ClassUnverifiedAccounts)
	}
	a.Retention.SetClock(time.Now)
	if exists("uma@example.com") {
		t.Error("the unverified, unused account 31 days old is still there")
	}
	if ms := string(owner.must(200, "GET", "/api/v1/projects/"+project+"/members", nil).body); !strings.Contains(ms, "uma@example.com") {
		t.Errorf("members after erasing the unverified account = %s; want the invitation to the address kept", ms)
	}
	for _, email := range []string{"admin@example.com", "vera@example.com", "lou@example.com", "olga@example.com"} {
		if !exists(email) {
			t.Errorf("%s was erased; want it kept (verified, or used)", email)
		}
	}

	// Erased as a requested erasure is: journal and audit log.
	root, err := keys.LoadRootKeyFile(rootKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := privacy.NewJournal(a.Blobs(), root).Entries(ctx)
	if err != nil || len(entries) != 1 || entries[0].UserID != uma {
		t.Errorf("erasure journal = %+v, %v; want one entry, Uma's", entries, err)
	}
	events, _ := st.AuditEventsAbout(ctx, uma, 50)
	if !slices.ContainsFunc(events, func(e audit.Event) bool { return e.Type == audit.ErasureCompleted }) {
		t.Errorf("audit events about Uma = %+v; want %s", events, audit.ErasureCompleted)
	}

	// She cannot sign in; her address is free to sign up again.
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "uma@example.com", "password": password})
	again := signUpAndLogin(t, srv, "uma@example.com")
	if id := again.must(200, "GET", "/api/v1/me", nil).json["id"]; id == uma || id == "" {
		t.Errorf("signed up again as %v; want a new account", id)
	}
}
