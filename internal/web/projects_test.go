package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"safelight/internal/app"
)

// projectsWorld is an instance with open sign-up, its admin Ann (who owns
// the projects) and helpers for the people she shares with.
type projectsWorld struct {
	t   *testing.T
	a   *app.App
	srv *httptest.Server
	ann *browser
}

func newProjectsWorld(t *testing.T) *projectsWorld {
	t.Helper()
	a, srv := newServer(t, "--signup", "open")
	ann := newBrowser(t, srv)
	signUp(t, ann, "Ann Adams", "ann@example.com")
	signIn(t, ann, "ann@example.com", password)
	enrolIfRequired(t, ann, "ann@example.com")
	return &projectsWorld{t: t, a: a, srv: srv, ann: ann}
}

// person signs up email, confirms the address through the mailed link
// when verified is set (grants by e-mail go only to confirmed addresses),
// and signs in.
func (w *projectsWorld) person(name, email string, verified bool) *browser {
	w.t.Helper()
	b := newBrowser(w.t, w.srv)
	signUp(w.t, b, name, email)
	if verified {
		if err := w.a.Auth.FlushMail(w.t.Context()); err != nil {
			w.t.Fatal(err)
		}
		ms, err := w.a.Outbox.Messages(w.t.Context(), 200)
		if err != nil {
			w.t.Fatal(err)
		}
		token := ""
		for _, m := range ms {
			if l := regexp.MustCompile(`/verify-email\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Text); m.To == email && l != nil {
				token = l[1]
			}
		}
		if token == "" {
			w.t.Fatalf("no verification link to %s in the outbox", email)
		}
		wantStatus(w.t, b.post("/verify-email", form("token", token)), http.StatusOK)
	}
	signIn(w.t, b, email, password)
	return b
}

// projAPI sends a JSON API request from b's cookie jar, as the pages'
// scripts do.
func projAPI(t *testing.T, b *browser, method, path string, body any) response {
	t.Helper()
	var rd *bytes.Reader
	if body == nil {
		rd = bytes.NewReader(nil)
	} else {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	return b.send(method, path, rd, http.Header{"Content-Type": {"application/json"},
		"Origin": {b.base.Scheme + "://" + b.base.Host}, "Sec-Fetch-Site": {"same-origin"}})
}

func wantAPI(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s = %d %s; want %d", r.method, r.path, r.status, excerpt(r.body), status)
	}
	var m map[string]any
	json.Unmarshal([]byte(r.body), &m)
	return m
}

var reMemberRow = regexp.MustCompile(`<li class="row share-member" id="member-([0-9a-f-]{36})">\s*<div class="row-main">\s*<p class="row-title">([^<]+)</p>`)

// memberIDs maps the addresses of the share dialog's member rows to their
// member ids.
func memberIDs(body string) map[string]string {
	out := map[string]string{}
	for _, m := range reMemberRow.FindAllStringSubmatch(body, -1) {
		out[html.UnescapeString(m[2])] = m[1]
	}
	return out
}

var reProjectPath = regexp.MustCompile(`^/projects/([0-9a-f-]{36})$`)

// newProject creates a project through the page's form and returns its id.
func newProject(t *testing.T, b *browser, name string) string {
	t.Helper()
	r := b.post("/projects", form("name", name, "description", "Selects for the client"))
	m := reProjectPath.FindStringSubmatch(r.location())
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /projects = %d to %q; want 303 to the new project\n%s", r.status, r.location(), excerpt(r.body))
	}
	return m[1]
}

// text is a page's visible text: tags dropped, entities decoded, spaces
// folded, so sentences can be compared as people read them.
func text(body string) string {
	return strings.Join(strings.Fields(html.UnescapeString(reTags.ReplaceAllString(body, " "))), " ")
}

func wantText(t *testing.T, r response, subs ...string) {
	t.Helper()
	txt := text(r.body)
	for _, s := range subs {
		if !strings.Contains(txt, s) {
			t.Errorf("%s %s: page text lacks %q", r.method, r.path, s)
		}
	}
}

// TestProjectPagesByRole: the owner makes a project through the form
// (bad input answered beside the field, script in the name escaped),
// sees the review grid's mount with the owner's attributes, the share
// dialog, the settings and the access log link; reviewer and viewer
// members see their own attributes and none of the share controls, and
// are refused the owner's forms; a stranger, an unverified invitee and
// an anonymous visitor get nothing (ASVS V8.2.2, V8.3.1).
func TestProjectPagesByRole(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)
	ann := w.ann
	rita := w.person("Rita Reviewer", "rita@example.com", true)
	vera := w.person("Vera Viewer", "vera@example.com", true)
	olga := w.person("Olga Outsider", "olga@example.com", true)
	uma := w.person("Uma Unverified", "uma@example.com", false)
	anon := newBrowser(t, w.srv)

	r := ann.get("/projects")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Projects · Safelight</title>", `action="/projects"`, `<a href="/projects" aria-current="page">`)
	wantText(t, r, "You have no projects yet.")

	// Bad input: the form again, the reason beside the field.
	r = ann.post("/projects", form("name", "   ", "description", "kept"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="project-name-error"`, `aria-invalid="true"`, ">kept</textarea>")
	wantText(t, r, "Give the project a name of at most 200 characters.")
	r = ann.post("/projects", form("name", "Long", "description", strings.Repeat("x", 5001)))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "The description can be at most 5,000 characters.")

	const evil = `<script>alert("name")</script> Harbour`
	id := newProject(t, ann, evil)
	r = ann.get("/projects/" + id)
	wantStatus(t, r, http.StatusOK)
	wantNotContains(t, r, `<script>alert("name")`)
	wantContains(t, r, `&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; Harbour`)
	wantText(t, r, "The project was created.", "Owner You own this project", "Only you can see this project.")
	p := "/api/v1/projects/" + id
	for _, want := range []string{`id="review"`, `data-items="` + p + `/assets"`, `data-api="` + p + `"`, `data-can-review="true"`,
		`data-download="original"`, `data-owner="true"`, `data-reviewers="` + p + `/reviewers"`, `data-export="` + p + `/export"`,
		`data-done="false"`, `<dialog class="share-dialog" id="share"`, `action="/projects/` + id + `/members"`,
		`action="/projects/` + id + `/links"`, `action="/projects/` + id + `/settings"`, `action="/projects/` + id + `/delete"`,
		`href="/projects/` + id + `/access"`, `/static/project.js?v=`} {
		wantContains(t, r, want)
	}
	wantNotContains(t, r, `<dialog class="share-dialog" id="share" aria-labelledby="share-heading" open>`)
	// ?share=1 opens the dialog without JavaScript.
	wantContains(t, ann.get("/projects/"+id+"?share=1"), `aria-labelledby="share-heading" open>`)

	// Photos, added as the library's selection bar does.
	up := ann.uploadReady(map[string][]byte{"a.jpg": testJPEG(t, 640, 480, 1), "b.jpg": testJPEG(t, 480, 640, 2)}, "a.jpg", "b.jpg")
	wantAPI(t, projAPI(t, ann, "POST", p+"/assets", map[string]any{"asset_ids": []string{up[0].ID, up[1].ID}}), http.StatusOK)

	// Invitations: bad input beside the field, then members.
	inviteURL := "/projects/" + id + "/members"
	for _, c := range []struct{ email, role, download, field, want string }{
		{"not an address", "reviewer", "none", "invite-email-error", "Enter a valid e-mail address."},
		{"ann@example.com", "reviewer", "none", "invite-email-error", "You own this project; invite someone else."},
		{"rita@example.com", "owner", "none", "invite-role-error", "Role must be viewer, reviewer or editor."},
		{"rita@example.com", "viewer", "everything", "invite-download-error", "Download must be none, preview or original."},
	} {
		r = ann.post(inviteURL, form("email", c.email, "role", c.role, "download", c.download))
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, `id="`+c.field+`"`, `aria-labelledby="share-heading" open>`)
		wantText(t, r, c.want)
	}
	wantRedirect(t, ann.post(inviteURL, form("email", "rita@example.com", "role", "reviewer", "download", "preview")), "/projects/"+id+"?share=1")
	r = ann.get("/projects/" + id + "?share=1")
	wantText(t, r, "The invitation was sent.", "rita@example.com Can see the photos, rate and comment. Can download previews.",
		"Shared with 1 person.")
	r = ann.post(inviteURL, form("email", "rita@example.com", "role", "viewer", "download", "none"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "This address is a member already.")
	wantRedirect(t, ann.post(inviteURL, form("email", "vera@example.com", "role", "viewer", "download", "none")), "/projects/"+id+"?share=1")
	wantRedirect(t, ann.post(inviteURL, form("email", "uma@example.com", "role", "editor", "download", "original")), "/projects/"+id+"?share=1")
	// Member addresses are shown as text, never as markup.
	wantRedirect(t, ann.post(inviteURL, form("email", "o'neil&{x}@example.com", "role", "viewer", "download", "none")), "/projects/"+id+"?share=1")
	r = ann.get("/projects/" + id + "?share=1")
	wantContains(t, r, "o&#39;neil&amp;{x}@example.com")
	wantNotContains(t, r, "o'neil&{x}")
	wantText(t, r, "vera@example.com Can see the photos. Can't rate or comment. Can't download.", "Shared with 4 people.")

	// The reviewer: the project in her list, her attributes, no share
	// controls, the owner's forms refused.
	r = rita.get("/projects")
	wantContains(t, r, `id="shared-projects"`, `href="/projects/`+id+`"`)
	wantText(t, r, "Reviewer · shared by Ann Adams")
	// Its card counts the photos without listing them (no access-log entry).
	if !strings.Contains(r.body, " photo") || strings.Contains(r.body, "No photos yet") && !strings.Contains(ann.get("/projects").body, "No photos yet") {
		t.Errorf("the reviewer's card lacks the photo count")
	}
	r = rita.get("/projects/" + id)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `data-can-review="true"`, `data-download="preview"`, `data-owner="false"`, `data-done="true"`, `&lt;script&gt;`)
	wantNotContains(t, r, `id="share"`, `/members"`, `/links"`, `/settings"`, `/access"`, "data-reviewers", "data-export", "rita@example.com Can")
	wantText(t, r, "Reviewer You can review these photos: rate, label, flag and comment. You can download previews (2048 px). Shared by Ann Adams.")
	for _, path := range []string{"/members", "/links", "/settings", "/delete"} {
		r = rita.post("/projects/"+id+path, form("email", "x@example.com", "role", "viewer", "download", "none", "name", "Mine"))
		wantStatus(t, r, http.StatusForbidden)
	}
	wantStatus(t, rita.get("/projects/"+id+"/access"), http.StatusForbidden)

	// The viewer.
	r = vera.get("/projects/" + id)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `data-can-review="false"`, `data-download="none"`, `data-owner="false"`, `data-done="false"`)
	wantNotContains(t, r, `id="share"`, `/members"`, `/links"`)
	wantText(t, r, "Viewer You can look at these photos. You can't download them.")

	// Nobody else: the same answer as a project that does not exist.
	const never = "0197a000-0000-7000-8000-000000000000"
	for _, b := range []*browser{olga, uma} {
		for _, path := range []string{"/projects/" + id, "/projects/" + id + "/access", "/projects/" + never, "/projects/not-a-uuid"} {
			wantStatus(t, b.get(path), http.StatusNotFound)
		}
		wantStatus(t, b.post("/projects/"+id+"/members", form("email", "x@example.com", "role", "viewer", "download", "none")), http.StatusNotFound)
		wantNotContains(t, b.get("/projects"), id)
	}
	wantRedirect(t, anon.get("/projects"), "/login?next=%2Fprojects")
	wantRedirect(t, anon.get("/projects/"+id), "/login?next=%2Fprojects%2F"+id)

	// Changing and removing a member.
	members := memberIDs(ann.get("/projects/" + id).body)
	if len(members) != 4 {
		t.Fatalf("member rows: %v; want 4", members)
	}
	ritaID := members["rita@example.com"]
	r = ann.post("/projects/"+id+"/members/"+ritaID, form("role", "boss", "download", "none"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "Role must be viewer, reviewer or editor.")
	wantRedirect(t, ann.post("/projects/"+id+"/members/"+ritaID, form("role", "viewer", "download", "none")), "/projects/"+id+"?share=1")
	wantContains(t, rita.get("/projects/"+id), `data-can-review="false"`, `data-download="none"`)
	wantRedirect(t, ann.post("/projects/"+id+"/members/"+ritaID+"/remove", nil), "/projects/"+id+"?share=1")
	wantText(t, ann.get("/projects/"+id+"?share=1"), "They were removed.")
	wantStatus(t, rita.get("/projects/"+id), http.StatusNotFound)
	wantNotContains(t, rita.get("/projects"), id)

	// An editor manages people (never giving more downloads than they
	// have), but not links, settings or the access log.
	ed := w.person("Ed Editor", "ed@example.com", true)
	wantRedirect(t, ann.post(inviteURL, form("email", "ed@example.com", "role", "editor", "download", "preview")), "/projects/"+id+"?share=1")
	r = ed.get("/projects/" + id + "?share=1")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `aria-labelledby="share-heading" open>`, `action="/projects/`+id+`/members"`, `id="members"`, `data-owner="false"`)
	wantNotContains(t, r, `action="/projects/`+id+`/links"`, `/settings"`, `/delete"`, `/access"`)
	r = ed.post(inviteURL, form("email", "fay@example.com", "role", "viewer", "download", "original"))
	wantStatus(t, r, http.StatusBadRequest)
	wantText(t, r, "You can't give more downloads than you have yourself.")
	wantRedirect(t, ed.post(inviteURL, form("email", "fay@example.com", "role", "viewer", "download", "preview")), "/projects/"+id+"?share=1")
	wantStatus(t, ed.post("/projects/"+id+"/links", form("download", "none")), http.StatusForbidden)
	wantStatus(t, ed.get("/projects/"+id+"/access"), http.StatusForbidden)

	// Settings: bad input beside the field, then saved.
	r = ann.post("/projects/"+id+"/settings", form("name", "", "description", "d"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="settings-name-error"`, `<details class="project-settings" id="settings" open>`)
	wantRedirect(t, ann.post("/projects/"+id+"/settings", form("name", "Harbour at dawn", "description", "Final selects", "show_camera", "on")), "/projects/"+id)
	r = ann.get("/projects/" + id)
	wantText(t, r, "The project settings were saved.", "Harbour at dawn", "Final selects")
	wantContains(t, r, `name="show_camera" type="checkbox" value="on" aria-describedby="settings-camera-hint" checked>`)

	// The list: the owner's card with its cover and count.
	r = ann.get("/projects")
	wantContains(t, r, `id="owned-projects"`, `src="/api/v1/projects/`+id+`/assets/`)
	wantText(t, r, "Harbour at dawn 2 photos · Owner")

	// Deleting: the photos stay in the library.
	r = ann.get("/projects/" + id)
	wantText(t, r, "The photos stay in your library.")
	wantRedirect(t, ann.post("/projects/"+id+"/delete", nil), "/projects")
	wantText(t, ann.get("/projects"), "The project was deleted. Its photos are still in your library.")
	wantStatus(t, ann.get("/projects/"+id), http.StatusNotFound)
	if got := tileIDs(ann.get("/library").body); len(got) != 2 {
		t.Errorf("library after deleting the project: %d photos; want 2", len(got))
	}
}

var reNewLink = regexp.MustCompile(`id="new-link-url" class="secret-value" type="text" readonly spellcheck="false" autocomplete="off" value="([^"]+)"`)

// TestProjectLinkForms: review links through the share dialog's forms:
// each refusal in words beside its field (and the password typed never
// sent back), the new link shown once with a copy button and a sentence
// of what it allows, password change and revocation.
func TestProjectLinkForms(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)
	ann := w.ann
	id := newProject(t, ann, "Proofs")
	links := "/projects/" + id + "/links"
	const typed = "tiny"
	for _, c := range []struct {
		f          []string
		field, say string
	}{
		{[]string{"password", typed, "download", "preview"}, "link-password-error", "A link password must be 8 to 1024 characters."},
		{[]string{"expires", "someday", "download", "preview"}, "link-expires-error", "Choose a date such as"},
		{[]string{"expires", "2001-01-01", "download", "preview"}, "link-expires-error", "The expiry must be in the future."},
		{[]string{"expires", "2999-01-01", "download", "preview"}, "link-expires-error", "The link would expire later than this instance allows."},
		{[]string{"watermark", strings.Repeat("w", 61), "download", "preview"}, "link-watermark-error", "watermark"},
		{[]string{"download", "all"}, "link-download-error", "Download must be none, preview or original."},
	} {
		r := ann.post(links, form(c.f...))
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, `id="`+c.field+`"`, `aria-labelledby="share-heading" open>`)
		wantText(t, r, c.say)
		wantNotContains(t, r, `value="`+typed+`"`, "/s/slk_")
	}

	r := ann.post(links, form("password", "harbour proofs 2026", "download", "preview", "watermark", "<b>© Ann</b> proof"))
	wantStatus(t, r, http.StatusOK)
	m := reNewLink.FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(m[1], "/s/slk_") {
		t.Fatalf("no new link shown:\n%s", excerpt(text(r.body)))
	}
	wantContains(t, r, `data-copy="new-link-url"`, `&lt;b&gt;© Ann&lt;/b&gt; proof`)
	wantNotContains(t, r, "harbour proofs 2026", "<b>© Ann</b>")
	wantText(t, r, "Link created", "Can see previews, rate and comment after giving a name. Can download previews. Expires",
		"Password protected. Previews carry the watermark “<b>© Ann</b> proof”.", "shown only this once")
	// The link works, and asks for its password.
	_, token, _ := strings.Cut(m[1], "/s/")
	if res := newBrowser(t, w.srv).do(http.MethodGet, "/api/v1/links/"+token, nil, nil); res.status != http.StatusUnauthorized {
		t.Errorf("the new link without its password = %d; want 401", res.status)
	}
	// Shown once: the next view of the page lists it without its token.
	r = ann.get("/projects/" + id + "?share=1")
	wantNotContains(t, r, token, "new-link-url")
	wantText(t, r, "Shared through 1 link.")
	linkID := regexp.MustCompile(`action="/projects/` + id + `/links/([0-9a-f-]{36})/revoke"`).FindStringSubmatch(r.body)
	if linkID == nil {
		t.Fatal("no revoke form for the link")
	}
	lp := links + "/" + linkID[1]
	r = ann.post(lp+"/password", form("password", "short", "action", "set"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `id="link-`+linkID[1]+`-password-error"`)
	wantText(t, r, "A link password must be 8 to 1024 characters.")
	wantRedirect(t, ann.post(lp+"/password", form("password", "a new harbour secret", "action", "set")), "/projects/"+id+"?share=1")
	wantText(t, ann.get("/projects/"+id+"?share=1"), "Everyone who opened the link has to enter the new one.")
	wantRedirect(t, ann.post(lp+"/password", form("action", "remove")), "/projects/"+id+"?share=1")
	wantText(t, ann.get("/projects/"+id+"?share=1"), "The link's password was removed.", "No password.")
	if res := newBrowser(t, w.srv).do(http.MethodGet, "/api/v1/links/"+token, nil, nil); res.status != http.StatusOK {
		t.Errorf("the link without a password = %d; want 200", res.status)
	}
	wantRedirect(t, ann.post(lp+"/revoke", nil), "/projects/"+id+"?share=1")
	r = ann.get("/projects/" + id + "?share=1")
	wantText(t, r, "The link was revoked.", "Nobody can open it any more.", "Only you can see this project.")
	wantNotContains(t, r, lp+"/revoke")
	if res := newBrowser(t, w.srv).do(http.MethodGet, "/api/v1/links/"+token, nil, nil); res.status != http.StatusNotFound {
		t.Errorf("the revoked link = %d; want 404", res.status)
	}
	wantStatus(t, ann.post(lp+"/revoke", nil), http.StatusNotFound) // revoked already
}

// TestProjectAccessLogPage: the owner's access log names who saw which
// photo through which grant (a member by address and role, a guest by
// the name they gave and the link), in words, escaped, and never lists
// the owner's own views and downloads.
func TestProjectAccessLogPage(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)
	ann := w.ann
	rita := w.person("Rita Reviewer", "rita@example.com", true)
	up := ann.uploadReady(map[string][]byte{"DSC_0101.jpg": testJPEG(t, 640, 480, 7)}, "DSC_0101.jpg")
	photo := up[0].ID
	id := newProject(t, ann, "Harbour")
	p := "/api/v1/projects/" + id
	wantAPI(t, projAPI(t, ann, "POST", p+"/assets", map[string]any{"asset_ids": []string{photo}}), http.StatusOK)

	r := ann.get("/projects/" + id + "/access")
	wantStatus(t, r, http.StatusOK)
	wantText(t, r, "Nobody has looked yet")

	// The owner looks and downloads: none of it is listed.
	wantAPI(t, projAPI(t, ann, "GET", p+"/assets/"+photo+"/preview", nil), http.StatusOK)
	wantAPI(t, projAPI(t, ann, "GET", p+"/assets/"+photo+"/original", nil), http.StatusOK)

	wantRedirect(t, ann.post("/projects/"+id+"/members", form("email", "rita@example.com", "role", "reviewer", "download", "none")), "/projects/"+id+"?share=1")
	wantAPI(t, projAPI(t, rita, "GET", p+"/assets/"+photo+"/preview", nil), http.StatusOK)

	r = ann.post("/projects/"+id+"/links", form("download", "none"))
	m := reNewLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no link created")
	}
	_, token, _ := strings.Cut(m[1], "/s/")
	guest := newBrowser(t, w.srv)
	const guestName = `Cleo <img src=x onerror=alert(1)> Client`
	wantAPI(t, projAPI(t, guest, "POST", "/api/v1/links/"+token+"/guest", map[string]string{"name": guestName, "email": "cleo@example.com"}), http.StatusCreated)
	wantAPI(t, projAPI(t, guest, "GET", "/api/v1/links/"+token+"/assets/"+photo+"/preview", nil), http.StatusOK)

	r = ann.get("/projects/" + id + "/access")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `id="access-log"`, `Cleo &lt;img src=x onerror=alert(1)&gt; Client`)
	wantNotContains(t, r, `<img src=x`)
	wantText(t, r, "rita@example.com member, reviewer viewed the preview of DSC_0101.jpg",
		guestName+" review link created", "viewed the preview of DSC_0101.jpg")
	txt := text(r.body)
	if strings.Contains(txt, "downloaded the original") || regexp.MustCompile(`(?i)\byou\b (viewed|downloaded|saw)`).MatchString(txt) {
		t.Errorf("the access log lists the owner's own views:\n%s", txt)
	}
	rows := strings.Count(r.body, "<td class=\"access-who\">")
	if rows != 2 {
		t.Errorf("access log has %d rows; want 2 (Rita's preview, Cleo's preview)\n%s", rows, txt)
	}

	// Only the owner has the page.
	wantStatus(t, rita.get("/projects/"+id+"/access"), http.StatusForbidden)
	wantStatus(t, guest.get("/projects/"+id+"/access"), http.StatusSeeOther)
}

// TestProjectNotifications: a member pressing "done" puts a notice on the
// owner's projects page and a badge on the Projects link; showing the
// page marks it read.
func TestProjectNotifications(t *testing.T) {
	t.Parallel()
	w := newProjectsWorld(t)
	ann := w.ann
	rita := w.person("Rita Reviewer", "rita@example.com", true)
	id := newProject(t, ann, "Wedding <Smith>")
	wantRedirect(t, ann.post("/projects/"+id+"/members", form("email", "rita@example.com", "role", "reviewer", "download", "none")), "/projects/"+id+"?share=1")
	wantNotContains(t, ann.get("/library"), `id="nav-unread"`)
	wantAPI(t, projAPI(t, rita, "POST", "/api/v1/projects/"+id+"/done", nil), http.StatusNoContent)

	r := ann.get("/library")
	wantContains(t, r, `id="nav-unread">1<span class="visually-hidden"> unread</span>`)
	r = ann.get("/projects")
	wantContains(t, r, `class="row notification is-unread"`, "Wedding &lt;Smith&gt;")
	wantText(t, r, "rita@example.com finished reviewing “Wedding <Smith>”. New", "Open the project")
	wantNotContains(t, r, `id="nav-unread"`)
	// Read now: no badge, no "New".
	wantNotContains(t, ann.get("/library"), `id="nav-unread"`)
	r = ann.get("/projects")
	wantNotContains(t, r, "is-unread")
	wantText(t, r, "rita@example.com finished reviewing")
}
