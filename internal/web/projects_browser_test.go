package web_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserProjects drives the projects in Chromium: the owner selects
// two photos in the library (Ctrl-click, then Shift-click), adds them to
// a new project from the selection bar, opens the project and its share
// dialog (modal), invites a reviewer by e-mail, creates a password link
// with preview downloads and a watermark, copies it with the copy button
// (the clipboard then holds the link), and reads the access log after a
// guest looked through the link. Screenshots of the project list, the
// project page, the share dialog and the access log, also at phone
// width, go to $SAFELIGHT_TEST_SCREENSHOTS; no page breaks the CSP.
// ownerWithThreePhotos signs Ann up and in through the pages (enrolling
// TOTP, as the admin must), and uploads three camera photos through a
// second, HTTP-only browser of hers, which it returns for API calls.
func (c *chrome) ownerWithThreePhotos(srv *httptest.Server) *browser {
	t := c.t
	t.Helper()
	c.signUpAndSignIn("Ann Adams", "ann@example.com", "#start")
	c.enrolTOTP("ann@example.com")
	api := newBrowser(t, srv)
	signIn(t, api, "ann@example.com", password)
	api.uploadReady(map[string][]byte{
		"DSC_0101.jpg": cameraJPEG(t, 1600, 1067, 1, 20),
		"DSC_0102.jpg": cameraJPEG(t, 1067, 1600, 2, 19),
		"DSC_0103.jpg": cameraJPEG(t, 1500, 1000, 3, 18),
	}, "DSC_0101.jpg", "DSC_0102.jpg", "DSC_0103.jpg")
	return api
}

func TestBrowserProjects(t *testing.T) {
	_, srv := newServer(t)
	c := startChrome(t, srv.URL)
	base := c.base

	c.ownerWithThreePhotos(srv)

	// The library: select two photos.
	c.do("open library", chromedp.Navigate(base+"/library"), chromedp.WaitVisible(chromedp.CSS("#grid")))
	c.waitFor("library script", `document.querySelector("#library").dataset.ready === "true"`)
	c.waitFor("thumbnails", `[...document.querySelectorAll("#grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`)
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile .tile-check").length`); n != 3 {
		t.Fatalf("tiles with a check button: %d; want 3", n)
	}
	links, err := chromedp.Run(c.ctx, chromedp.Nodes(chromedp.CSSAll("#grid .tile-link")))
	c.must("find tiles", err)
	ids := evaluate[[]string](c, `[...document.querySelectorAll("#grid .tile")].map(t => t.dataset.id)`)
	c.do("ctrl-click the first photo", chromedp.MouseClickNode(links[0], chromedp.ButtonModifiers(chromedp.ModifierCtrl)))
	c.waitFor("first selected", `document.querySelectorAll("#grid .tile.is-selected").length === 1 && !document.querySelector("#selection-bar").hidden`)
	c.do("shift-click the second", chromedp.MouseClickNode(links[1], chromedp.ButtonModifiers(chromedp.ModifierShift)))
	c.waitFor("two selected", `document.querySelectorAll("#grid .tile.is-selected").length === 2`)
	c.location("/library") // selecting never opened a photo
	// The keyboard: Ctrl+Enter on the third toggles it in and out.
	c.do("ctrl+enter", chromedp.Focus(chromedp.CSS("#tile-"+ids[2]+" .tile-link")), chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	c.waitFor("three selected", `document.querySelectorAll("#grid .tile.is-selected").length === 3`)
	c.do("ctrl+enter again", chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	c.waitFor("two again", `document.querySelectorAll("#grid .tile.is-selected").length === 2`)
	c.location("/library")
	if got := c.text("#selection-count"); got != "2 photos selected" {
		t.Errorf("selection count = %q", got)
	}
	if got := evaluate[[]string](c, `[...document.querySelectorAll("#grid .tile.is-selected")].map(t => t.dataset.id)`); strings.Join(got, ",") != ids[0]+","+ids[1] {
		t.Errorf("selected %v; want the first two of %v", got, ids)
	}
	c.noCSPViolations("library selection")
	c.screenshot("library-selection")

	// Add them to a new project.
	c.do("add to project", chromedp.Click(chromedp.CSS("#selection-add")))
	c.waitFor("dialog", `document.querySelector("#add-dialog").open && !document.querySelector("#add-project").disabled`)
	if got := c.text("#add-dialog-heading"); got != "Add 2 photos to a project" {
		t.Errorf("dialog heading = %q", got)
	}
	c.do("name the project", chromedp.SendKeys(chromedp.CSS("#add-new-name"), "Harbour at dawn"))
	c.screenshot("library-add-dialog")
	c.do("add", chromedp.Click(chromedp.CSS("#add-submit")))
	c.waitFor("added", `document.querySelector("#selection-notice").textContent.includes("2 photos added to “Harbour at dawn”.")`)
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile.is-selected").length`); n != 0 {
		t.Errorf("%d photos still selected after adding", n)
	}
	c.noCSPViolations("library added")
	c.screenshot("library-added")
	c.do("open the project", chromedp.Click(chromedp.CSS(`#selection-notice a`)), chromedp.WaitVisible(chromedp.CSS("#project")))
	m := regexp.MustCompile(`^/projects/([0-9a-f-]{36})$`).FindStringSubmatch(c.path())
	if m == nil {
		t.Fatalf("after adding, location = %q; want the project", c.path())
	}
	id := m[1]
	items := evaluate[[]string](c, `fetch("/api/v1/projects/`+id+`/assets").then(r => r.json()).then(j => j.items.map(a => a.id))`, chromedp.EvalAwaitPromise)
	if strings.Join(items, ",") != ids[0]+","+ids[1] {
		t.Errorf("project holds %v; want the two selected, in order", items)
	}

	// The project page, as its owner.
	c.waitFor("project script", `document.querySelector("#project").dataset.ready === "true"`)
	mount := evaluate[map[string]string](c, `({...document.querySelector("#review").dataset})`)
	for k, want := range map[string]string{"items": "/api/v1/projects/" + id + "/assets", "api": "/api/v1/projects/" + id,
		"owner": "true", "canReview": "true", "download": "original", "done": "false"} {
		if mount[k] != want {
			t.Errorf("review mount data-%s = %q; want %q", k, mount[k], want)
		}
	}
	c.waitFor("project photos", `[...document.querySelectorAll("#review img")].every(i => i.complete)`)
	c.noCSPViolations("project")
	c.screenshot("project-owner")

	// The share dialog: modal, focus inside.
	c.do("open share", chromedp.Click(chromedp.CSS("#share-open")))
	c.waitFor("share dialog", `document.querySelector("#share").matches(":modal") && document.activeElement.id === "invite-email"`)
	c.screenshot("share-dialog-empty")
	c.do("invite a reviewer",
		chromedp.SendKeys(chromedp.CSS("#invite-email"), "rita@example.com"),
		chromedp.SetValue(chromedp.CSS("#invite-role"), "reviewer"),
		chromedp.SetValue(chromedp.CSS("#invite-download"), "preview"),
		chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")),
	)
	c.waitFor("invited", `location.search === "?share=1" && document.querySelector("#share")?.matches(":modal") && !!document.querySelector("#members")`)
	if got := c.text("#members .share-sentence"); !strings.HasPrefix(got, "Can see the photos, rate and comment. Can download previews.") {
		t.Errorf("member sentence = %q", got)
	}

	c.do("create a link",
		chromedp.SendKeys(chromedp.CSS("#link-password"), "harbour proofs 2026"),
		chromedp.SetValue(chromedp.CSS("#link-download"), "preview"),
		chromedp.SendKeys(chromedp.CSS("#link-watermark"), "© Ann Adams · proof"),
		chromedp.Click(chromedp.CSS("#link-form button[type=submit]")),
	)
	c.waitFor("link shown", `document.querySelector("#share")?.matches(":modal") && !!document.querySelector("#new-link-url") &&
	  !document.querySelector('button[data-copy="new-link-url"]').hidden`)
	linkURL := evaluate[string](c, `document.querySelector("#new-link-url").value`)
	if !strings.Contains(linkURL, "/s/slk_") {
		t.Fatalf("new link = %q", linkURL)
	}
	say := c.text("#links .share-sentence")
	for _, want := range []string{"Can see previews, rate and comment after giving a name.", "Can download previews.", "Expires ",
		"Password protected.", "Previews carry the watermark “© Ann Adams · proof”."} {
		if !strings.Contains(say, want) {
			t.Errorf("link sentence %q lacks %q", say, want)
		}
	}
	_, err = chromedp.CallBrowser(c.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "clipboard-read"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: base})
	c.must("allow reading the clipboard", err)
	_, err = chromedp.CallBrowser(c.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "clipboard-write"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: base})
	c.must("allow writing the clipboard", err)
	c.do("copy", chromedp.Click(chromedp.CSS(`button[data-copy="new-link-url"]`)))
	c.waitFor("copied", `document.querySelector("#share .copy-status").textContent === "Copied to the clipboard."`)
	if got := evaluate[string](c, `navigator.clipboard.readText()`, chromedp.EvalAwaitPromise); got != linkURL {
		t.Errorf("clipboard holds %q; want the link %q", got, linkURL)
	}
	c.noCSPViolations("share dialog")
	c.screenshot("share-dialog")

	// A guest opens the link and looks; the owner reads the access log.
	_, token, _ := strings.Cut(linkURL, "/s/")
	guest := newBrowser(t, srv)
	wantAPI(t, projAPI(t, guest, "POST", "/api/v1/links/"+token+"/unlock", map[string]string{"password": "harbour proofs 2026"}), http.StatusNoContent)
	wantAPI(t, projAPI(t, guest, "POST", "/api/v1/links/"+token+"/guest", map[string]string{"name": "Cleo Client", "email": "cleo@example.com"}), http.StatusCreated)
	wantAPI(t, projAPI(t, guest, "GET", "/api/v1/links/"+token+"/assets/"+ids[0]+"/preview", nil), http.StatusOK)
	c.do("close share", chromedp.KeyEvent(kb.Escape))
	c.waitFor("share closed", `!document.querySelector("#share").open && location.search === ""`)
	c.do("open access log", chromedp.Click(chromedp.CSS(`a[href="/projects/`+id+`/access"]`)), chromedp.WaitVisible(chromedp.CSS("#access-log")))
	row := c.text("#access-log tbody tr")
	for _, want := range []string{"Cleo Client", "review link created", "viewed the preview of DSC_0101.jpg"} {
		if !strings.Contains(row, want) {
			t.Errorf("access log row %q lacks %q", row, want)
		}
	}
	c.waitFor("access thumbnails", `[...document.querySelectorAll("#access-log img")].every(i => i.complete && i.naturalWidth > 0)`)
	c.noCSPViolations("access log")
	c.screenshot("project-access")

	// The list of projects.
	c.do("projects", chromedp.Click(chromedp.CSS(`.site-nav a[href="/projects"]`)), chromedp.WaitVisible(chromedp.CSS("#owned-projects")))
	c.waitFor("cover", `document.querySelector("#project-`+id+` img")?.naturalWidth > 0`)
	if got := c.text("#project-" + id + " .project-card-meta"); got != "2 photos · Owner" {
		t.Errorf("project card = %q", got)
	}
	c.noCSPViolations("projects")
	c.screenshot("projects")

	// Phone width.
	c.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	c.do("phone projects", chromedp.Navigate(base+"/projects"), chromedp.WaitVisible(chromedp.CSS("#owned-projects")))
	c.waitFor("phone cover", `document.querySelector("#project-`+id+` img")?.naturalWidth > 0`)
	c.screenshot("projects-phone")
	noOverflow := func(where string) {
		t.Helper()
		if w := evaluate[float64](c, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
			t.Errorf("%s is %v px wider than a 390 px phone", where, w)
		}
	}
	noOverflow("projects page")
	c.do("phone project", chromedp.Navigate(base+"/projects/"+id), chromedp.WaitVisible(chromedp.CSS("#project")))
	c.waitFor("phone project script", `document.querySelector("#project").dataset.ready === "true"`)
	noOverflow("project page")
	c.screenshot("project-phone")
	c.do("phone share", chromedp.Navigate(base+"/projects/"+id+"?share=1"))
	c.waitFor("phone share dialog", `document.querySelector("#share")?.matches(":modal")`)
	if w := evaluate[float64](c, `document.querySelector("#share").getBoundingClientRect().width`); w > 390 {
		t.Errorf("share dialog is %v px wide on a 390 px phone", w)
	}
	noOverflow("share dialog")
	c.viewportShot("share-dialog-phone")
	c.do("phone access", chromedp.Navigate(base+"/projects/"+id+"/access"), chromedp.WaitVisible(chromedp.CSS("#access-log")))
	noOverflow("access log")
	c.screenshot("project-access-phone")
	c.noCSPViolations("phone pages")
}
