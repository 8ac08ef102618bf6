package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/calls"
)

var (
	reOrgPath    = regexp.MustCompile(`^/orgs/([0-9a-f-]{36})$`)
	reManagePath = regexp.MustCompile(`^/calls/([0-9a-f-]{36})/manage$`)
	reRoundPath  = regexp.MustCompile(`^/jury/([0-9a-f-]{36})$`)
	reForm       = regexp.MustCompile(`(?is)<form\b[^>]*>`)
)

// newOrg creates an organization through the form of /orgs and returns
// its id.
func newOrg(t *testing.T, b *browser, name string) string {
	t.Helper()
	r := b.post("/orgs", form("name", name))
	m := reOrgPath.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /orgs = %d to %q; want 303 to the new organization\n%s", r.status, r.location(), excerpt(r.body))
	}
	return m[1]
}

// newOrgCall creates a draft call through the organization page's form and
// returns its id.
func newOrgCall(t *testing.T, b *browser, orgID, title string) string {
	t.Helper()
	deadline := time.Now().Add(72 * time.Hour).UTC().Format("2006-01-02T15:04")
	r := b.post("/orgs/"+orgID+"/calls", form("title", title, "deadline", deadline, "timezone", "Europe/Paris"))
	m := reManagePath.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST new call = %d to %q; want 303 to its management page\n%s", r.status, r.location(), excerpt(r.body))
	}
	return m[1]
}

// orgCallSettings is the management page's settings form of a draft call
// that accepts the test photos (no minimum size), with deadline given
// as RFC 3339.
func orgCallSettings(title, deadline string) url.Values {
	return url.Values{"title": {title}, "description": {"Light on the water."}, "opens_at": {""},
		"deadline": {deadline}, "timezone": {"UTC"}, "categories": {""}, "entries_per_entrant": {"3"},
		"images_per_entry": {"10"}, "max_file_mb": {"50"}, "min_long_edge": {"0"}, "formats": {"jpeg"},
		"orientation": {"any"}, "visibility": {"public"}}
}

// orgUserID is the account id of b's owner.
func orgUserID(t *testing.T, b *browser) string {
	t.Helper()
	id, _ := wantAPI(t, projAPI(t, b, http.MethodGet, "/api/v1/me", nil), http.StatusOK)["id"].(string)
	if id == "" {
		t.Fatal("GET /api/v1/me: no id")
	}
	return id
}

// orgEntrant is a photographer with the photos they enter, one entry each.
type orgEntrant struct {
	b      *browser
	titles []string
	photos [][]byte
}

// callToJudge publishes call callID (its terms share the entrant's name
// and e-mail, so that only a blind round hides them) with a deadline a
// few seconds ahead, enters each entrant's photos as submitted entries
// through package calls (the entrant's own grant, terms accepted by
// hash), and waits for the deadline to pass: the call is then ready for
// rounds. The real clock is used, not Service.SetClock, which the
// instance's request and job goroutines read without a lock.
func callToJudge(t *testing.T, w *projectsWorld, owner *browser, callID string, entrants ...orgEntrant) {
	t.Helper()
	type upload struct {
		who    string
		assets []string
		titles []string
	}
	var ups []upload
	for i, e := range entrants {
		files := map[string][]byte{}
		var order []string
		for j, data := range e.photos {
			name := "IMG_" + string(rune('A'+i)) + string(rune('0'+j)) + ".jpg"
			files[name] = data
			order = append(order, name)
		}
		var ids []string
		for _, a := range e.b.uploadReady(files, order...) {
			ids = append(ids, a.ID)
		}
		ups = append(ups, upload{who: orgUserID(t, e.b), assets: ids, titles: e.titles})
	}
	wantRedirect(t, owner.post("/calls/"+callID+"/manage/terms", url.Values{"body": {"Enter up to three series of your own photographs."},
		"rights": {"publication"}, "shared": {"name", "email"}}), "/calls/"+callID+"/manage#terms")
	wantRedirect(t, owner.post("/calls/"+callID+"/manage/settings",
		orgCallSettings("Harbour Light", time.Now().Add(4*time.Second).UTC().Format(time.RFC3339))), "/calls/"+callID+"/manage#settings")
	wantRedirect(t, owner.post("/calls/"+callID+"/manage/publish", nil), "/calls/"+callID+"/manage")
	ctx := t.Context()
	var deadline time.Time
	for _, u := range ups {
		pr := &access.Principal{UserID: u.who, Via: access.ViaSession}
		g, err := w.a.Calls.CallFor(ctx, pr, callID)
		if err != nil {
			t.Fatal(err)
		}
		deadline = g.Call.Deadline
		for i, id := range u.assets {
			title, statement, ids := u.titles[i], "Taken at first light, from the breakwater.", []string{id}
			if _, err := w.a.Calls.CreateEntry(ctx, pr, g, calls.EntryInput{Title: &title, Statement: &statement, AssetIDs: &ids},
				&calls.Acceptance{TermsSHA256: g.Terms.SHA256, Method: calls.MethodWebForm}); err != nil {
				t.Fatalf("enter %q: %v", title, err)
			}
		}
	}
	time.Sleep(time.Until(deadline) + 100*time.Millisecond)
}

// newJuryRound starts a round through the management page's form and
// returns its id.
func newJuryRound(t *testing.T, b *browser, callID, name, mode string, blind bool, jurors ...string) string {
	t.Helper()
	f := form("name", name, "unit", "entry", "mode", mode, "jurors", strings.Join(jurors, "\n"), "from_round", "")
	if blind {
		f.Set("blind", "on")
	}
	r := b.post("/calls/"+callID+"/manage/rounds", f)
	m := reRoundPath.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST new round = %d to %q; want 303 to the round\n%s", r.status, r.location(), excerpt(r.body))
	}
	return m[1]
}

// orgMainForms lists the forms of a page's main content: the layout's
// sign-out form is not one of them.
func orgMainForms(body string) []string {
	_, main, _ := strings.Cut(body, `<main id="main"`)
	return reForm.FindAllString(main, -1)
}

// orgPostFile submits a one-file multipart form the way a same-origin page
// would, and checks the answer like post.
func orgPostFile(t *testing.T, b *browser, path, field, name string, data []byte) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	r := b.send(http.MethodPost, path, &body, http.Header{"Content-Type": {mw.FormDataContentType()},
		"Origin": {b.base.Scheme + "://" + b.base.Host}, "Sec-Fetch-Site": {"same-origin"}})
	if r.status < 300 || r.status >= 400 {
		checkPage(t, r)
	}
	return r
}

var reEntryRow = regexp.MustCompile(`<tr id="entry-([0-9a-f-]{36})">`)

// TestOrgPagesMembersAndCalls: an account whose address is not verified
// is told so beside the form; a verified one creates an organization
// through the form (an empty name answered beside the field), adds a
// viewer and a juror (a bad address answered beside the field), creates a
// draft call (a past deadline refused) and lands on its management page
// with every form. A stranger gets 404 on the organization, its forms
// and the call's management page; a viewer reads the management page
// with no form at all and cannot post one; a juror sees no draft call
// (ASVS V8.2.1, V8.2.2, V8.3.1).
func TestOrgPagesMembersAndCalls(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)

	// Ann's address is not verified: roles follow verified addresses.
	r := w.ann.post("/orgs", form("name", "Ann's Club"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Verify your e-mail address first.")

	olga := w.person("Olga Owner", "olga@example.com", true)
	r = olga.get("/orgs")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "You are not a member of any organization yet.")
	wantContains(t, r, `aria-current="page"><svg`, `href="/orgs"`)
	r = olga.post("/orgs", form("name", "  "))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="org-name-error"`, `aria-invalid="true"`)
	wantText(t, r, "Give the organization a name of at most 200 characters.")

	orgID := newOrg(t, olga, "Harbour <Photo> Club")
	r = olga.get("/orgs/" + orgID)
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "The organization was created.", "Harbour <Photo> Club", "Owner", "olga@example.com (you)")
	wantContains(t, r, "Harbour &lt;Photo&gt; Club")
	wantNotContains(t, r, "Harbour <Photo> Club")
	if got := olga.get("/orgs"); !strings.Contains(got.body, `href="/orgs/`+orgID+`"`) {
		t.Error("/orgs does not list the new organization")
	}

	// Members.
	r = olga.post("/orgs/"+orgID+"/members", form("email", "not an address", "role", "viewer"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="member-email-error"`)
	wantText(t, r, "Enter a valid e-mail address.")
	wantRedirect(t, olga.post("/orgs/"+orgID+"/members", form("email", "Vera@Example.com", "role", "viewer")), "/orgs/"+orgID+"#members")
	wantRedirect(t, olga.post("/orgs/"+orgID+"/members", form("email", "jack@example.com", "role", "juror")), "/orgs/"+orgID+"#members")
	r = olga.post("/orgs/"+orgID+"/members", form("email", "vera@example.com", "role", "juror"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "This address is a member already.")
	r = olga.get("/orgs/" + orgID)
	wantText(t, r, "The member was added.", "vera@example.com Viewer", "jack@example.com Juror")

	// A draft call: a deadline in the past is refused beside the field.
	past := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	r = olga.post("/orgs/"+orgID+"/calls", form("title", "Harbour Light", "deadline", past, "timezone", "UTC"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="call-deadline-error"`)
	wantText(t, r, "The deadline must be in the future.")
	callID := newOrgCall(t, olga, orgID, "Harbour Light")
	r = olga.get("/calls/" + callID + "/manage")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "The call was created as a draft.", "Harbour Light", "Draft", "Version 1 (draft)")
	wantContains(t, r, `<option value="Europe/Paris" selected>`, `action="/calls/`+callID+`/manage/settings"`,
		`action="/calls/`+callID+`/manage/terms"`, `action="/calls/`+callID+`/manage/publish"`, `action="/calls/`+callID+`/manage/cover"`,
		`href="/api/v1/calls/`+callID+`/export.csv"`)
	if r := olga.get("/orgs/" + orgID); !strings.Contains(r.body, `href="/calls/`+callID+`/manage"`) || !strings.Contains(text(r.body), "No entries yet") {
		t.Error("the organization page does not list the call with its entries count")
	}
	// Publishing without terms is refused in words.
	r = olga.post("/calls/"+callID+"/manage/publish", nil)
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Write the terms first")

	// A stranger: nothing exists.
	sam := w.person("Sam Stranger", "sam@example.com", true)
	for _, path := range []string{"/orgs/" + orgID, "/calls/" + callID + "/manage"} {
		wantStatus(t, sam.get(path), http.StatusNotFound)
	}
	wantStatus(t, sam.post("/orgs/"+orgID+"/members", form("email", "sam@example.com", "role", "owner")), http.StatusNotFound)
	wantStatus(t, sam.post("/calls/"+callID+"/manage/settings", orgCallSettings("Mine now", "2030-01-01T00:00:00Z")), http.StatusNotFound)
	if r := sam.get("/orgs"); strings.Contains(r.body, orgID) {
		t.Error("a stranger's /orgs lists the organization")
	}

	// The viewer reads the management page, with no form at all.
	vera := w.person("Vera Viewer", "vera@example.com", true)
	r = vera.get("/calls/" + callID + "/manage")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `id="read-only-note"`, `id="settings-facts"`)
	wantText(t, r, "Harbour Light", "Entries 0")
	if fs := orgMainForms(r.body); len(fs) != 0 {
		t.Errorf("the viewer's management page has forms: %v", fs)
	}
	wantNotContains(t, r, "export.csv", `<textarea`, `<select`)
	wantStatus(t, vera.post("/calls/"+callID+"/manage/settings", orgCallSettings("Viewer's title", "2030-01-01T00:00:00Z")), http.StatusForbidden)
	wantStatus(t, vera.post("/calls/"+callID+"/manage/publish", nil), http.StatusForbidden)
	r = vera.get("/orgs/" + orgID)
	wantStatus(t, r, http.StatusOK)
	// Only leaving is theirs.
	if fs := orgMainForms(r.body); len(fs) != 1 || !strings.HasSuffix(reAttr("action").FindStringSubmatch(fs[0])[1], "/remove") {
		t.Errorf("the viewer's organization page has forms: %v; want only the one to leave", fs)
	}
	wantText(t, r, "Leave the organization")
	// A juror of the organization sees neither the draft nor its page.
	jack := w.person("Jack Juror", "jack@example.com", true)
	r = jack.get("/orgs/" + orgID)
	wantStatus(t, r, http.StatusOK)
	wantNotContains(t, r, callID)
	wantStatus(t, jack.get("/calls/"+callID+"/manage"), http.StatusNotFound)

	// The owner changes the viewer to a manager; the last owner cannot
	// leave.
	ms := regexp.MustCompile(`id="member-([0-9a-f-]{36})">\s*<div class="row-main">\s*<p class="row-title">([^<]+)`).FindAllStringSubmatch(olga.get("/orgs/"+orgID).body, -1)
	ids := map[string]string{}
	for _, m := range ms {
		ids[strings.TrimSpace(m[2])] = m[1]
	}
	if len(ids) != 3 {
		t.Fatalf("member rows: %v", ids)
	}
	wantRedirect(t, olga.post("/orgs/"+orgID+"/members/"+ids["vera@example.com"], form("role", "manager")), "/orgs/"+orgID+"#members")
	if fs := orgMainForms(vera.get("/calls/" + callID + "/manage").body); len(fs) < 4 {
		t.Errorf("a manager's management page has %d forms; want every form", len(fs))
	}
	r = olga.post("/orgs/"+orgID+"/members/"+ids["olga@example.com"]+"/remove", nil)
	wantStatus(t, r, http.StatusConflict)
	wantText(t, r, "An organization keeps at least one owner.")

	// The cover: a file that is not an image is refused beside the field;
	// a photo is kept and shown.
	r = orgPostFile(t, olga, "/calls/"+callID+"/manage/cover", "cover", "notes.txt", []byte("not an image"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="cover-error"`)
	wantText(t, r, "The cover must be a JPEG, PNG, TIFF, WebP, HEIF or AVIF image.")
	wantRedirect(t, orgPostFile(t, olga, "/calls/"+callID+"/manage/cover", "cover", "cover.jpg", cameraJPEG(t, 1600, 1067, 3, 22)), "/calls/"+callID+"/manage#cover")
	wantContains(t, olga.get("/calls/"+callID+"/manage"), `<img class="manage-cover" src="/api/v1/calls/`+callID+`/cover" alt="The cover of Harbour Light">`)

	// Terms, then publication: the fixed fields are no longer a form, and
	// a change of terms is a new version, which the page warns about.
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/terms", form("body", "Your own photographs only.", "rights", "exhibition")), "/calls/"+callID+"/manage#terms")
	r = olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "The terms were saved.", "Version 1 (draft)", "Your own photographs only.", "Rights you grant the organizer for the images of your entry: judging, exhibition.")
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/publish", nil), "/calls/"+callID+"/manage")
	r = olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "The call is published", "Open for entries", "Fixed since publication",
		"The call is published: saving a change publishes version 2, and every entrant must accept it again", "Publish version 2")
	wantNotContains(t, r, `name="categories"`, `name="min_long_edge"`, `action="/calls/`+callID+`/manage/publish"`)
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/terms", form("body", "Your own photographs only.", "rights", "exhibition")), "/calls/"+callID+"/manage#terms")
	wantText(t, olga.get("/calls/"+callID+"/manage"), "The terms are unchanged: no new version was made.", "Version 1 ·")
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/terms", form("body", "Your own photographs only, taken this year.", "rights", "exhibition")), "/calls/"+callID+"/manage#terms")
	r = olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "A new version of the terms was published.", "Version 2 ·", "Version 1 published")
	wantContains(t, r, `id="terms-version">2<`)
	// The open call's title and deadline still change; what is fixed is
	// not sent back.
	later := time.Now().Add(96 * time.Hour).UTC().Truncate(time.Minute)
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/settings", orgCallSettings("Harbour Light 2026", later.Format(time.RFC3339))), "/calls/"+callID+"/manage#settings")
	r = olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "The call was saved.", "Harbour Light 2026", "Deadline "+later.Format("2 Jan 2006, 15:04 UTC"))
	wantText(t, r, "Long edge at least 2000 px") // the default, kept
}

// TestJuryRoundPagesBlind: after the deadline, the owner starts a blind
// round through the form; the invited juror finds it under Jury with
// their progress and opens it: the grid's data carries the entry's title
// and statement but, although the entrant's terms share their name and
// address (the management page shows them), no name or address, on the
// juror's page or the manager's results; a round that is not blind shows
// the shared name. A juror of the organization who was not invited, and
// a stranger, get 404 (ASVS V8.2.2, V8.2.3).
func TestJuryRoundPagesBlind(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)
	olga := w.person("Olga Owner", "olga@example.com", true)
	eve := w.person("Eve Entrant", "eve@example.com", true)
	jane := w.person("Jane Juror", "jane@example.com", true)
	jack := w.person("Jack Juror", "jack@example.com", true)
	sam := w.person("Sam Stranger", "sam@example.com", true)
	orgID := newOrg(t, olga, "Harbour Photo Club")
	wantRedirect(t, olga.post("/orgs/"+orgID+"/members", form("email", "jack@example.com", "role", "juror")), "/orgs/"+orgID+"#members")
	callID := newOrgCall(t, olga, orgID, "Harbour Light")
	callToJudge(t, w, olga, callID, orgEntrant{b: eve, titles: []string{"Breakwater at dawn"}, photos: [][]byte{cameraJPEG(t, 1600, 1067, 1, 20)}})

	r := olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "Closed: deadline passed", "Breakwater at dawn", "Eve Entrant", "eve@example.com", "Entries 1")
	wantContains(t, r, `id="new-round"`)
	// Before any round, the juror has no Jury link.
	wantNotContains(t, jane.get("/orgs"), `id="nav-jury"`)

	roundID := newJuryRound(t, olga, callID, "First pass", "stars_avg", true, "jane@example.com")
	r = olga.get("/jury/" + roundID)
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "The round was created", "Round 1: First pass", "blind", "jane@example.com 0 of 1 scored")
	wantContains(t, r, `id="results-table"`, `action="/jury/`+roundID+`/close"`)
	wantNotContains(t, r, "Eve Entrant", "eve@example.com")

	r = jane.get("/jury")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `id="nav-jury"`, `href="/jury/`+roundID+`"`)
	wantText(t, r, "Round 1: First pass", "Harbour Light · Harbour Photo Club", "0 of 1 scored")
	r = jane.get("/jury/" + roundID)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `id="jury-data"`, "Breakwater at dawn", "Taken at first light, from the breakwater.",
		`/api/v1/rounds/`+roundID+`/entries/`, `/thumb`, `/preview`)
	wantNotContains(t, r, "Eve Entrant", "eve@example.com", "IMG_A0", `"entrant"`, `id="results"`, "/api/v1/assets/")
	wantText(t, r, "0 of 1 scored")

	// Not invited: nothing.
	wantStatus(t, jack.get("/jury/"+roundID), http.StatusNotFound)
	wantStatus(t, jack.post("/jury/"+roundID+"/close", nil), http.StatusNotFound)
	wantStatus(t, sam.get("/jury/"+roundID), http.StatusNotFound)
	wantStatus(t, sam.get("/jury/not-a-round"), http.StatusNotFound)
	wantStatus(t, eve.get("/jury/"+roundID), http.StatusNotFound)
	// The juror may not close the round.
	wantStatus(t, jane.post("/jury/"+roundID+"/close", nil), http.StatusForbidden)

	// Not blind: the name the terms share shows.
	open := newJuryRound(t, olga, callID, "Open look", "yesno", false, "jane@example.com")
	r = jane.get("/jury/" + open)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Eve Entrant", "<kbd>Y</kbd> yes")
	wantNotContains(t, r, "eve@example.com")
}

// TestJuryRoundShortlistForms: the manager closes a round and keeps the
// top place through the page's forms; the shortlist shows, and the next
// round's form is offered from it.
func TestJuryRoundShortlistForms(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)
	olga := w.person("Olga Owner", "olga@example.com", true)
	eve := w.person("Eve Entrant", "eve@example.com", true)
	orgID := newOrg(t, olga, "Harbour Photo Club")
	callID := newOrgCall(t, olga, orgID, "Harbour Light")
	callToJudge(t, w, olga, callID, orgEntrant{b: eve, titles: []string{"Breakwater", "Lighthouse </script><img src=x>"},
		photos: [][]byte{cameraJPEG(t, 1600, 1067, 1, 20), cameraJPEG(t, 1500, 1000, 2, 21)}})
	roundID := newJuryRound(t, olga, callID, "First pass", "stars_avg", true, "olga@example.com")

	// A title is text wherever it goes, the grid's JSON included.
	r := olga.get("/jury/" + roundID)
	wantContains(t, r, `Lighthouse \u003c/script\u003e\u003cimg src=x\u003e`, "#2 Lighthouse &lt;/script&gt;&lt;img src=x&gt;")
	wantNotContains(t, r, "</script><img")

	// Shortlisting an open round is refused in words.
	r = olga.post("/jury/"+roundID+"/shortlist", form("by", "top", "top", "1"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Close the round before choosing its shortlist.")
	wantRedirect(t, olga.post("/jury/"+roundID+"/close", nil), "/jury/"+roundID+"#results")
	r = olga.get("/jury/" + roundID)
	wantText(t, r, "The round is closed: no more votes.")
	wantNotContains(t, r, `action="/jury/`+roundID+`/close"`, `id="next-round"`)
	r = olga.post("/jury/"+roundID+"/shortlist", form("by", "top", "top", "none"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="shortlist-error"`)
	wantRedirect(t, olga.post("/jury/"+roundID+"/shortlist", form("by", "top", "top", "1")), "/jury/"+roundID+"#results")
	r = olga.get("/jury/" + roundID)
	wantText(t, r, "The shortlist was saved.", "Shortlist · 1 kept")
	wantContains(t, r, `id="next-round" href="/calls/`+callID+`/manage?from_round=`+roundID+`#new-round"`)
	r = olga.get("/calls/" + callID + "/manage?from_round=" + roundID)
	wantContains(t, r, `<option value="`+roundID+`" selected>`, `class="badge manage-finalist"`)

	// Originals: only from finalists; once the photographer approves, the
	// manager downloads the original.
	rows := reEntryRow.FindAllStringSubmatch(r.body, -1)
	if len(rows) != 2 {
		t.Fatalf("entry rows: %d; want 2", len(rows))
	}
	first, second := rows[0][1], rows[1][1] // #1 keeps the top place on a tie
	r = olga.post("/calls/"+callID+"/manage/entries/"+second+"/originals", form("message", "For the exhibition print."))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Originals can be requested only from shortlisted or awarded entries.")
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/entries/"+first+"/originals", form("message", "For the exhibition print.")), "/calls/"+callID+"/manage#originals")
	r = olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "The photographer was asked for the originals.", "#1 Breakwater · image", "Waiting for the photographer", "Asked for 1")
	wantNotContains(t, r, "/original\"")
	pr := &access.Principal{UserID: orgUserID(t, eve), Via: access.ViaSession}
	reqs, err := w.a.Calls.MyOriginalsRequests(t.Context(), pr)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("the entrant's requests: %v, %v", reqs, err)
	}
	if _, err := w.a.Calls.DecideOriginals(t.Context(), pr, reqs[0].ID, true, calls.MethodApprove); err != nil {
		t.Fatal(err)
	}
	r = olga.get("/calls/" + callID + "/manage")
	link := "/api/v1/calls/" + callID + "/originals-requests/" + reqs[0].ID + "/original"
	wantContains(t, r, `href="`+link+`" download`)
	wantText(t, r, "Approved")
	if d := olga.do(http.MethodGet, link, nil, nil); d.status != http.StatusOK || !strings.HasPrefix(d.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("GET the approved original = %d %q; want 200 as an attachment", d.status, d.header.Get("Content-Disposition"))
	}
	if d := olga.do(http.MethodGet, "/api/v1/calls/"+callID+"/export.csv", nil, nil); d.status != http.StatusOK || !strings.Contains(d.body, "Lighthouse") {
		t.Errorf("the CSV link = %d %s", d.status, excerpt(d.body))
	}

	// Awards, then the results.
	r = olga.post("/calls/"+callID+"/manage/entries/"+second+"/award", form("award", "gold"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Award must be winner, honourable_mention or none.")
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/entries/"+second+"/award", form("award", "winner")), "/calls/"+callID+"/manage#entries")
	r = olga.get("/calls/" + callID + "/manage")
	wantContains(t, r, `<option value="winner" selected>Winner</option>`, `action="/calls/`+callID+`/manage/results"`)
	wantRedirect(t, olga.post("/calls/"+callID+"/manage/results", nil), "/calls/"+callID+"/manage#results")
	r = olga.get("/calls/" + callID + "/manage")
	wantText(t, r, "The results are published.", "Results published")
	wantContains(t, r, `href="/calls/`+callID+`/results"`)
	wantNotContains(t, r, `action="/calls/`+callID+`/manage/results"`, `id="new-round"`)
}
