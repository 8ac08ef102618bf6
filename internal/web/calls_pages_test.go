package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/calls"
)

// entrantWorld is an instance with an organizer, Olga (a verified
// member, owner of "Northern Light Society"), who published a call, and
// helpers for the photographers who enter it.
type entrantWorld struct {
	*projectsWorld
	olga     *browser
	olgaP    *access.Principal
	callID   string
	deadline time.Time
}

// The call's settings the tests check the pages against.
const (
	entrantCallTitle = "Harbour Light 2026"
	entrantOrgName   = "Northern Light Society"
	entrantTermsBody = "You may enter up to two series.\nEach image must be your own work."
)

// newEntrantWorld publishes a call of Olga's organization through the
// service: JPEG or TIFF, long edge at least 1200 px, landscape; the terms
// grant publication and share the entrant's name.
func newEntrantWorld(t *testing.T) *entrantWorld {
	t.Helper()
	w := &entrantWorld{projectsWorld: newProjectsWorld(t)}
	w.olga = w.person("Olga Organizer", "olga@example.com", true)
	w.olgaP = &access.Principal{UserID: userID(t, w.olga)}
	w.deadline = time.Now().Add(10*24*time.Hour + time.Hour).Truncate(time.Minute)
	w.callID = w.newCall(entrantCallTitle, true)
	return w
}

// userID asks the API who b is.
func userID(t *testing.T, b *browser) string {
	t.Helper()
	m := wantAPI(t, b.do(http.MethodGet, "/api/v1/me", nil, nil), http.StatusOK)
	id, _ := m["id"].(string)
	if id == "" {
		t.Fatalf("GET /api/v1/me: no id in %v", m)
	}
	return id
}

// newCall makes a call of Olga's organization (the first makes the
// organization), published when publish is set.
func (w *entrantWorld) newCall(title string, publish bool) string {
	t := w.t
	t.Helper()
	ctx := t.Context()
	orgs, err := w.a.Calls.Orgs(ctx, w.olgaP)
	if err != nil {
		t.Fatal(err)
	}
	var og calls.OrgGrant
	if len(orgs) == 0 {
		o, err := w.a.Calls.CreateOrg(ctx, w.olgaP, entrantOrgName)
		if err != nil {
			t.Fatal(err)
		}
		if og, err = w.a.Calls.OrgFor(ctx, w.olgaP, o.ID); err != nil {
			t.Fatal(err)
		}
	} else {
		og = orgs[0]
	}
	desc := "Light on the water, at any hour.\n\nSend <b>series</b> of up to four images."
	tz := "Europe/Berlin"
	cats := []string{"Landscape", "Street"}
	limits := calls.Limits{EntriesPerEntrant: 2, ImagesPerEntry: 4, MaxFileBytes: 50 << 20}
	req := calls.Requirements{Formats: []string{"jpeg", "tiff"}, MinLongEdge: 1200, Orientation: calls.Landscape}
	terms := calls.TermsInput{Body: entrantTermsBody, Rights: []string{calls.RightPublication}, SharedData: []string{calls.ShareName}}
	c, err := w.a.Calls.CreateCall(ctx, og, calls.CallInput{Title: &title, Description: &desc, Deadline: &w.deadline, TimeZone: &tz,
		Categories: &cats, Limits: &limits, Requirements: &req, Terms: &terms})
	if err != nil {
		t.Fatal(err)
	}
	if publish {
		if _, err := w.a.Calls.Publish(ctx, w.grant(c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	return c.ID
}

// grant is Olga's grant on call id.
func (w *entrantWorld) grant(id string) calls.CallGrant {
	w.t.Helper()
	g, err := w.a.Calls.CallFor(w.t.Context(), w.olgaP, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return g
}

// changeTerms publishes a new version of the call's terms.
func (w *entrantWorld) changeTerms(body string) calls.Terms {
	w.t.Helper()
	in := calls.TermsInput{Body: body, Rights: []string{calls.RightPublication}, SharedData: []string{calls.ShareName}}
	if _, err := w.a.Calls.UpdateCall(w.t.Context(), w.grant(w.callID), calls.CallInput{Terms: &in}); err != nil {
		w.t.Fatal(err)
	}
	return w.grant(w.callID).Terms
}

var reEntryPath = regexp.MustCompile(`^/entries/([0-9a-f-]{36})$`)

// enter starts an entry through the call page's form and returns its id.
func enter(t *testing.T, b *browser, callID string) string {
	t.Helper()
	r := b.post("/calls/"+callID+"/enter", nil)
	m := reEntryPath.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /calls/%s/enter = %d to %q; want 303 to the new entry\n%s", callID, r.status, r.location(), excerpt(r.body))
	}
	return m[1]
}

// TestCallPagesPublic: an anonymous visitor lists the published call and
// reads its page (organization, description escaped, dates in the call's
// zone, requirements in plain words, categories, limits, a sign-in link
// to enter), its terms at their own address with the SHA-256 and every
// published version; a draft call is the 404 page for anyone but its
// organization, and results are 404 until published (ASVS V8.2.2,
// V8.3.1, V3.2.2).
func TestCallPagesPublic(t *testing.T) {
	t.Parallel()
	w := newEntrantWorld(t)
	anon := newBrowser(t, w.srv)
	draftID := w.newCall("Secret Shoreline", false)

	r := anon.get("/calls")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "Calls for entries", entrantCallTitle, entrantOrgName, "Open for entries", "Closes in 10 days")
	wantContains(t, r, `href="/calls/`+w.callID+`"`)
	wantNotContains(t, r, "Secret Shoreline", draftID)

	r = anon.get("/calls/" + w.callID)
	wantStatus(t, r, http.StatusOK)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	wantText(t, r, entrantCallTitle, entrantOrgName, "Light on the water, at any hour.", "Send <b>series</b> of up to four images.",
		"Every image: JPEG or TIFF, long edge at least 1200 px, landscape.",
		"Up to 2 entries per photographer", "1 to 4 images per entry", "Files up to 50 MB each",
		"Landscape", "Street", "Deadline "+w.deadline.In(berlin).Format("Monday 2 January 2006, 15:04 MST")+" (Europe/Berlin)",
		"Sign in to enter", "Terms and usage rights")
	wantContains(t, r, `datetime="`+w.deadline.UTC().Format(time.RFC3339)+`" data-local`,
		`href="/login?next=`+url.QueryEscape("/calls/"+w.callID)+`"`, `href="/calls/`+w.callID+`/terms"`)
	wantNotContains(t, r, "<b>series</b>", `action="/calls/`+w.callID+`/enter"`, "Manage this call")
	if got := r.header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("call page Referrer-Policy = %q; want the default same-origin", got)
	}

	v1 := w.grant(w.callID).Terms
	r = anon.get("/calls/" + w.callID + "/terms")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "Terms and usage rights", "You may enter up to two series.", "Each image must be your own work.",
		"Version 1", "Current", "judging, publication", "Your name.")
	wantContains(t, r, `value="`+v1.SHA256+`"`, "You keep the copyright")
	if got := r.header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("terms Referrer-Policy = %q; want the default same-origin", got)
	}
	v2 := w.changeTerms(entrantTermsBody + "\nThe organizer credits you by name.")
	r = anon.get("/calls/" + w.callID + "/terms")
	wantText(t, r, "Version 2", "The organizer credits you by name.", "All versions")
	wantContains(t, r, `value="`+v2.SHA256+`"`, v1.SHA256, `href="/calls/`+w.callID+`/terms/1"`)
	r = anon.get("/calls/" + w.callID + "/terms/1")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "This is an earlier version.", "Version 1")
	wantContains(t, r, `value="`+v1.SHA256+`"`)
	wantNotContains(t, r, "The organizer credits you by name.")
	for _, path := range []string{"/terms/3", "/terms/01", "/terms/x", "/terms/0", "/results"} {
		wantStatus(t, anon.get("/calls/"+w.callID+path), http.StatusNotFound)
	}

	// The draft: nobody outside the organization learns it exists.
	sam := w.person("Sam Stranger", "sam@example.com", true)
	for _, b := range []*browser{anon, sam} {
		for _, path := range []string{"", "/terms", "/terms/1", "/results"} {
			r := b.get("/calls/" + draftID + path)
			wantStatus(t, r, http.StatusNotFound)
			wantNotContains(t, r, "Secret Shoreline")
		}
	}
	wantStatus(t, sam.post("/calls/"+draftID+"/enter", nil), http.StatusNotFound)
	for _, id := range []string{"not-an-id", "0197a000-0000-7000-8000-000000000000"} {
		wantStatus(t, anon.get("/calls/"+id), http.StatusNotFound)
	}
	r = w.olga.get("/calls/" + draftID)
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "Secret Shoreline", "This call is a draft", "Manage this call")
	wantStatus(t, w.olga.get("/calls/"+draftID+"/terms"), http.StatusOK)

	// Signed in, the button is a form; anonymous POSTs are refused.
	r = sam.get("/calls/" + w.callID)
	wantContains(t, r, `action="/calls/`+w.callID+`/enter"`)
	wantText(t, r, "Enter this call")
	if r := anon.post("/calls/"+w.callID+"/enter", nil); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous POST enter = %d; want 401", r.status)
	}
}

// TestEntryPagesOwnOnly: entering makes a draft and opens it; the entry
// page and its forms are the entrant's alone (another user gets the 404
// page from every one of them, and their /entries does not list it);
// the call's limit of entries is explained on the call page; a draft
// whose deadline is near is reminded of on /entries (ASVS V8.2.2,
// V8.3.1).
func TestEntryPagesOwnOnly(t *testing.T) {
	t.Parallel()
	w := newEntrantWorld(t)
	pete := w.person("Pete Park", "pete@example.com", false)
	sam := w.person("Sam Stranger", "sam@example.com", true)

	id := enter(t, pete, w.callID)
	r := pete.get("/entries/" + id)
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "Untitled entry", "Entry to "+entrantCallTitle, "Draft", "Images", "Title and statement", "Terms",
		"I accept these terms (version 1)", "Delete this draft")
	wantContains(t, r, `id="entry-title"`, `<option value="Landscape">`, `action="/entries/`+id+`/submit"`,
		`name="terms_sha256" value="`+w.grant(w.callID).Terms.SHA256+`"`, `data-api="/api/v1/entries/`+id+`"`)
	r = pete.get("/entries")
	wantText(t, r, "Untitled entry", entrantCallTitle, "Draft", "No images yet", "Closes in 10 days")

	// Someone else's entry does not exist for Sam, whatever he tries.
	for _, path := range []string{"/entries/" + id} {
		r := sam.get(path)
		wantStatus(t, r, http.StatusNotFound)
		wantNotContains(t, r, entrantCallTitle)
	}
	for _, path := range []string{"/entries/" + id, "/entries/" + id + "/submit", "/entries/" + id + "/withdraw"} {
		wantStatus(t, sam.post(path, form("title", "Mine now", "accept", "yes", "terms_sha256", w.grant(w.callID).Terms.SHA256)), http.StatusNotFound)
	}
	r = sam.get("/entries")
	wantStatus(t, r, http.StatusOK)
	wantNotContains(t, r, id, entrantCallTitle)
	wantText(t, r, "You have not entered a call yet.")
	if ev, err := w.a.Calls.Entry(t.Context(), &access.Principal{UserID: userID(t, pete)}, id); err != nil || ev.Title != "" || ev.State != calls.EntryDraft {
		t.Errorf("after Sam's attempts the entry is %+v, %v; want Pete's untouched draft", ev.Entry, err)
	}
	anon := newBrowser(t, w.srv)
	wantRedirect(t, anon.get("/entries"), "/login?next=%2Fentries")
	wantRedirect(t, anon.get("/entries/"+id), "/login?next=%2Fentries%2F"+id)

	// The form without JavaScript saves the title; bad input is answered
	// beside the field.
	wantRedirect(t, pete.post("/entries/"+id, form("title", "Harbour at dawn", "statement", "Four mornings.", "category", "Landscape")), "/entries/"+id)
	r = pete.get("/entries/" + id)
	wantText(t, r, "Your entry was saved.", "Harbour at dawn")
	wantContains(t, r, `<option value="Landscape" selected>`)
	r = pete.post("/entries/"+id, form("title", strings.Repeat("x", 201), "statement", "", "category", "Landscape"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Give it a title of at most 200 characters.")
	r = pete.post("/entries/"+id, form("title", "Harbour", "statement", "", "category", "Portraits"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Choose one of the call's categories.")

	// The limit: two entries per photographer, explained on the call page.
	enter(t, pete, w.callID)
	r = pete.post("/calls/"+w.callID+"/enter", nil)
	wantStatus(t, r, http.StatusConflict)
	wantText(t, r, "You have reached this call's limit of entries.", "Your entries to this call", "Harbour at dawn")

	// A draft in a call whose deadline is near: the page reminds of it,
	// and of it only.
	w.deadline = time.Now().Add(30 * time.Hour)
	soon := enter(t, pete, w.newCall("Last Light", true))
	r = pete.get("/entries")
	wantText(t, r, "Your entry “Untitled entry” to Last Light is still a draft, and the deadline is near: Closes in 29 hours")
	wantContains(t, r, `<a href="/entries/`+soon+`">Finish and submit it</a>`)
	if n := strings.Count(r.body, "is still a draft"); n != 1 {
		t.Errorf("/entries shows %d deadline reminders; want 1", n)
	}
}

// TestEntrySubmitWebFormConsent: the entry page shows the requirement
// problems of each image; Submit refuses without the box ticked, with an
// image that fails the requirements (listed beside it), and with terms
// other than the current ones; then records a consent whose method is
// the web form, to the SHA-256 of the text shown. Changed terms ask for
// a new acceptance; withdrawing the entry withdraws the consent; a draft
// is deleted; withdrawing a consent from /entries withdraws its entry;
// after the deadline the entry is locked (ASVS V8.2.2; consent records).
func TestEntrySubmitWebFormConsent(t *testing.T) {
	t.Parallel()
	w := newEntrantWorld(t)
	pete := w.person("Pete Park", "pete@example.com", false)
	peteP := &access.Principal{UserID: userID(t, pete)}
	photos := pete.uploadReady(map[string][]byte{
		"harbour.jpg": testJPEG(t, 1600, 1067, 1),
		"small.jpg":   testJPEG(t, 800, 533, 2),
	}, "harbour.jpg", "small.jpg")
	ctx := t.Context()

	id := enter(t, pete, w.callID)
	title, cat := "Harbour at dawn", "Landscape"
	both := []string{photos[0].ID, photos[1].ID}
	if _, err := w.a.Calls.UpdateEntry(ctx, peteP, id, calls.EntryInput{Title: &title, Category: &cat, AssetIDs: &both}); err != nil {
		t.Fatal(err)
	}
	r := pete.get("/entries/" + id)
	wantText(t, r, "harbour.jpg", "1600 × 1067 px", "small.jpg", "The long edge is 800 pixels; at least 1200 are required.")
	wantContains(t, r, `src="/api/v1/assets/`+photos[0].ID+`/thumb"`)
	if n := strings.Count(r.body, `class="image-problem"`); n != 1 {
		t.Errorf("entry page shows %d image problems; want 1 (the small image's)", n)
	}

	sha := w.grant(w.callID).Terms.SHA256
	submit := func(kv ...string) response { return pete.post("/entries/"+id+"/submit", form(kv...)) }
	r = submit("terms_sha256", sha)
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Tick the box to accept the terms, then submit.")
	r = submit("terms_sha256", sha, "accept", "yes")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantText(t, r, "Some images do not meet the call's requirements", "The long edge is 800 pixels")
	wantContains(t, r, `id="accept-terms" name="accept" type="checkbox" value="yes" checked`)

	one := []string{photos[0].ID}
	if _, err := w.a.Calls.UpdateEntry(ctx, peteP, id, calls.EntryInput{AssetIDs: &one}); err != nil {
		t.Fatal(err)
	}
	r = submit("terms_sha256", strings.Repeat("0", 64), "accept", "yes")
	wantStatus(t, r, http.StatusConflict)
	wantText(t, r, "The terms have changed; read and accept the current version.")
	if cs, _ := w.a.Calls.Consents(ctx, peteP); len(cs) != 0 {
		t.Fatalf("refused submissions recorded consents: %+v", cs)
	}

	wantRedirect(t, submit("terms_sha256", sha, "accept", "yes"), "/entries")
	cs, err := w.a.Calls.Consents(ctx, peteP)
	if err != nil || len(cs) != 1 {
		t.Fatalf("consents after submitting = %+v, %v; want one", cs, err)
	}
	if c := cs[0]; c.Method != calls.MethodWebForm || c.TermsSHA256 != sha || c.TermsVersion != 1 || c.Kind != calls.ConsentCallTerms || c.EntryID != id {
		t.Errorf("consent = %+v; want the call's terms v1 (%s) by web form for entry %s", c, sha, id)
	}
	r = pete.get("/entries")
	wantText(t, r, "Your entry was submitted.", "Harbour at dawn", "Submitted", "1 image",
		"What you agreed to", "Terms of the call", calls.MethodWebForm, "rights: judging, publication (results page, winners gallery)")
	wantContains(t, r, `id="consent-`+cs[0].ID+`"`, sha[:12]+"…", `action="/entries/consents/`+cs[0].ID+`/withdraw"`)
	r = pete.get("/entries/" + id)
	wantText(t, r, "Submitted", "You accepted these terms.", "Withdraw this entry")
	wantNotContains(t, r, `action="/entries/`+id+`/submit"`)
	wantStatus(t, submit("terms_sha256", sha, "accept", "yes"), http.StatusConflict) // submitted already

	// The account's security activity names the consent.
	wantText(t, pete.get("/account"), "Consent given to use your images", "The terms of a call, for an entry")

	// New terms: the entry waits for a new acceptance.
	v2 := w.changeTerms(entrantTermsBody + "\nExhibition prints are made at the organizer's cost.")
	r = pete.get("/entries")
	wantText(t, r, "Submitted: accept the new terms", "The terms changed — read them and accept again")
	r = pete.get("/entries/" + id)
	wantText(t, r, "The call's terms changed.", "Accept the new terms", "Exhibition prints are made at the organizer's cost.")
	wantContains(t, r, `name="terms_sha256" value="`+v2.SHA256+`"`)
	wantNotContains(t, r, `id="entry-form"`) // nothing to edit until accepted
	wantRedirect(t, submit("terms_sha256", v2.SHA256, "accept", "yes"), "/entries")
	wantText(t, pete.get("/entries"), "You accepted the new terms.")
	cs, _ = w.a.Calls.Consents(ctx, peteP)
	if len(cs) != 2 || cs[0].TermsVersion != 2 || cs[0].Method != calls.MethodWebForm {
		t.Fatalf("consents after accepting v2 = %+v; want v2 by web form first", cs)
	}

	// Withdrawing the entry withdraws its consents.
	wantRedirect(t, pete.post("/entries/"+id+"/withdraw", nil), "/entries")
	r = pete.get("/entries")
	wantText(t, r, "Your entry was withdrawn.", "Withdrawn")
	if n := strings.Count(r.body, "<strong>withdrawn "); n != 2 {
		t.Errorf("/entries marks %d consents withdrawn; want both of the entry's", n)
	}
	cs, _ = w.a.Calls.Consents(ctx, peteP)
	for _, c := range cs {
		if c.WithdrawnAt.IsZero() {
			t.Errorf("consent %s (v%d) not withdrawn with the entry", c.ID, c.TermsVersion)
		}
	}
	wantText(t, pete.get("/entries/"+id), "You withdrew this entry")

	// A draft is deleted.
	draft := enter(t, pete, w.callID)
	wantRedirect(t, pete.post("/entries/"+draft+"/withdraw", nil), "/entries")
	wantText(t, pete.get("/entries"), "The draft was deleted.")
	wantStatus(t, pete.get("/entries/"+draft), http.StatusNotFound)

	// Withdrawing a consent from /entries withdraws its entry.
	second := enter(t, pete, w.callID)
	title2 := "Fog over the pier"
	if _, err := w.a.Calls.UpdateEntry(ctx, peteP, second, calls.EntryInput{Title: &title2, Category: &cat, AssetIDs: &one}); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, pete.post("/entries/"+second+"/submit", form("terms_sha256", v2.SHA256, "accept", "yes")), "/entries")
	cs, _ = w.a.Calls.Consents(ctx, peteP)
	r = pete.get("/entries")
	wantText(t, r, "Withdrawing this consent withdraws your entry from the call")
	wantRedirect(t, pete.post("/entries/consents/"+cs[0].ID+"/withdraw", nil), "/entries#consents")
	if ev, err := w.a.Calls.Entry(ctx, peteP, second); err != nil || ev.State != calls.EntryWithdrawn {
		t.Errorf("after withdrawing its consent the entry is %v, %v; want withdrawn", ev.State, err)
	}
	sam := w.person("Sam Stranger", "sam@example.com", true)
	wantStatus(t, sam.post("/entries/consents/"+cs[0].ID+"/withdraw", nil), http.StatusNotFound)

	// After the deadline: locked.
	last := enter(t, pete, w.callID)
	w.a.Calls.SetClock(func() time.Time { return w.deadline.Add(time.Hour) })
	r = pete.get("/entries/" + last)
	wantText(t, r, "Entries are locked since", "It can no longer change.")
	wantNotContains(t, r, `id="entry-form"`, `action="/entries/`+last+`/submit"`, `action="/entries/`+last+`/withdraw"`)
	r = pete.post("/entries/"+last+"/submit", form("terms_sha256", v2.SHA256, "accept", "yes"))
	wantStatus(t, r, http.StatusConflict)
	wantText(t, r, "The deadline has passed; entries are locked.")
	r = pete.post("/calls/"+w.callID+"/enter", nil)
	wantStatus(t, r, http.StatusConflict)
}

// TestCallResultsAndOriginalsRequests: after judging, the awarded entry
// is on the public results page with the entrant's name (the terms share
// it) and its public image copy; the organizer's request for the
// original appears on the entrant's /entries, and approving it there
// records an originals-release consent collected by the approval form;
// a stranger cannot answer it (ASVS V8.2.2).
func TestCallResultsAndOriginalsRequests(t *testing.T) {
	t.Parallel()
	w := newEntrantWorld(t)
	pete := w.person("Pete Park", "pete@example.com", false)
	peteP := &access.Principal{UserID: userID(t, pete)}
	photos := pete.uploadReady(map[string][]byte{"a.jpg": testJPEG(t, 1600, 1067, 3), "b.jpg": testJPEG(t, 1500, 1000, 4)}, "a.jpg", "b.jpg")
	ctx := t.Context()
	id := enter(t, pete, w.callID)
	title, cat, ids := "Tide pools", "Landscape", []string{photos[0].ID, photos[1].ID}
	if _, err := w.a.Calls.UpdateEntry(ctx, peteP, id, calls.EntryInput{Title: &title, Category: &cat, AssetIDs: &ids}); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, pete.post("/entries/"+id+"/submit", form("terms_sha256", w.grant(w.callID).Terms.SHA256, "accept", "yes")), "/entries")

	// Judging, an award, the originals requested, results published.
	w.a.Calls.SetClock(func() time.Time { return w.deadline.Add(time.Hour) })
	if _, err := w.a.Calls.CreateRound(ctx, w.grant(w.callID), calls.RoundInput{Name: "First round", Unit: calls.UnitEntry,
		Mode: calls.ModeStarsAvg, Jurors: []string{"juror@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.a.Calls.SetAward(ctx, w.grant(w.callID), id, calls.AwardWinner); err != nil {
		t.Fatal(err)
	}
	reqs, err := w.a.Calls.RequestOriginals(ctx, w.grant(w.callID), id, nil, "For the exhibition print.")
	if err != nil || len(reqs) != 2 {
		t.Fatalf("RequestOriginals = %d, %v; want 2", len(reqs), err)
	}
	anon := newBrowser(t, w.srv)
	wantStatus(t, anon.get("/calls/"+w.callID+"/results"), http.StatusNotFound)
	if _, err := w.a.Calls.PublishResults(ctx, w.grant(w.callID)); err != nil {
		t.Fatal(err)
	}

	r := anon.get("/calls/" + w.callID + "/results")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "Results", "Winners", "Tide pools", "Pete Park", "Landscape")
	imgs := regexp.MustCompile(`src="(/api/v1/calls/`+w.callID+`/results/entries/`+id+`/images/[0-9a-f-]{36}/preview)"`).FindAllStringSubmatch(r.body, -1)
	if len(imgs) != 2 {
		t.Fatalf("results page shows %d images of the winner; want 2", len(imgs))
	}
	wantNotContains(t, r, photos[0].ID, photos[1].ID, "a.jpg") // no library ids, no file names
	if res := anon.do(http.MethodGet, html.UnescapeString(imgs[0][1]), nil, nil); res.status == http.StatusOK &&
		!strings.HasPrefix(res.header.Get("Content-Type"), "image/jpeg") {
		t.Errorf("result image Content-Type = %q", res.header.Get("Content-Type"))
	}
	wantContains(t, anon.get("/calls/"+w.callID), `href="/calls/`+w.callID+`/results"`)

	// The requests on Pete's page, one per image.
	r = pete.get("/entries")
	wantText(t, r, "Requests for original files", entrantOrgName+" asks for the original", "“For the exhibition print.”",
		"Waiting for your answer", "Winner")
	for _, q := range reqs {
		wantContains(t, r, `action="/entries/originals-requests/`+q.ID+`/decide"`)
	}
	sam := w.person("Sam Stranger", "sam@example.com", true)
	wantStatus(t, sam.post("/entries/originals-requests/"+reqs[0].ID+"/decide", form("decision", "approve")), http.StatusNotFound)
	wantStatus(t, pete.post("/entries/originals-requests/"+reqs[0].ID+"/decide", form("decision", "maybe")), http.StatusBadRequest)

	wantRedirect(t, pete.post("/entries/originals-requests/"+reqs[0].ID+"/decide", form("decision", "approve")), "/entries#requests")
	wantRedirect(t, pete.post("/entries/originals-requests/"+reqs[1].ID+"/decide", form("decision", "decline")), "/entries#requests")
	r = pete.post("/entries/originals-requests/"+reqs[0].ID+"/decide", form("decision", "decline"))
	wantStatus(t, r, http.StatusConflict)
	wantText(t, r, "This request has been answered already.")
	cs, _ := w.a.Calls.Consents(ctx, peteP)
	var release *calls.Consent
	for i, c := range cs {
		if c.Kind == calls.ConsentOriginalsRelease {
			if release != nil {
				t.Errorf("two originals releases recorded; want one (the declined request has none)")
			}
			release = &cs[i]
		}
	}
	if release == nil || release.Method != calls.MethodApprove || release.AssetID == "" {
		t.Fatalf("originals release consent = %+v; want one by the approval form", release)
	}
	r = pete.get("/entries")
	wantText(t, r, "Approved", "Declined", "Release of an original file", calls.MethodApprove)
	wantRedirect(t, pete.post("/entries/consents/"+release.ID+"/withdraw", nil), "/entries#consents")
	wantText(t, pete.get("/entries"), "Release withdrawn")
}

// TestDescribeCallEvents: the security activity on the account page puts
// the events of calls in words: the organizer's changes to the
// organization, the entrant's consents given and withdrawn.
func TestDescribeCallEvents(t *testing.T) {
	t.Parallel()
	w := newEntrantWorld(t)
	wantText(t, w.olga.get("/account"), "Change in an organization · Call published", "Organization created", "Call created")
	pete := w.person("Pete Park", "pete@example.com", false)
	peteP := &access.Principal{UserID: userID(t, pete)}
	photos := pete.uploadReady(map[string][]byte{"a.jpg": testJPEG(t, 1600, 1067, 5)}, "a.jpg")
	id := enter(t, pete, w.callID)
	title, cat, ids := "Breakwater", "Street", []string{photos[0].ID}
	if _, err := w.a.Calls.UpdateEntry(t.Context(), peteP, id, calls.EntryInput{Title: &title, Category: &cat, AssetIDs: &ids}); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, pete.post("/entries/"+id+"/submit", form("terms_sha256", w.grant(w.callID).Terms.SHA256, "accept", "yes")), "/entries")
	wantRedirect(t, pete.post("/entries/"+id+"/withdraw", nil), "/entries")
	r := pete.get("/account")
	wantText(t, r, "Consent given to use your images · The terms of a call, for an entry",
		"Consent withdrawn · The terms of a call, for an entry")
	wantNotContains(t, r, "Security event")
}
