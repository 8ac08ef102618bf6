package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// navItems are the signed-in header's links in order, each with the icon
// of its own that the layout gives it: no two share one, and none is the
// brand's aperture.
var navItems = []struct{ href, label, icon string }{
	{"/library", "Library", "library"},
	{"/projects", "Projects", "folder"},
	{"/upload", "Upload", "upload"},
	{"/calls", "Calls", "trophy"},
	{"/entries", "Entries", "frames"},
	{"/orgs", "Organizations", "building"},
	{"/jury", "Jury", "gavel"},
	{"/trash", "Trash", "trash"},
	{"/account", "Account", "account"},
	{"/admin/users", "Admin", "key"},
}

// confirmEmail confirms b's address through the link mailed at sign-up.
func confirmEmail(t *testing.T, w *projectsWorld, b *browser, email string) {
	t.Helper()
	if err := w.a.Auth.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms, err := w.a.Outbox.Messages(t.Context(), 200)
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, m := range ms {
		if l := regexp.MustCompile(`/verify-email\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Text); m.To == email && l != nil {
			token = l[1]
		}
	}
	if token == "" {
		t.Fatalf("no verification link to %s in the outbox", email)
	}
	wantStatus(t, b.post("/verify-email", form("token", token)), http.StatusOK)
}

// checkHeaderFits lists what is wrong with the header at the window's
// width, or returns "": the page does not scroll sideways, every nav
// item, the brand and the sign-out button are on screen, have a size and
// overlap none of the others, and the unread badge stays inside its link.
const checkHeaderFits = `(() => {
  const problems = [];
  const de = document.documentElement;
  if (de.scrollWidth > window.innerWidth) problems.push("the page scrolls sideways: " + de.scrollWidth + " > " + window.innerWidth);
  const header = document.querySelector(".site-header-inner");
  if (header.scrollWidth > header.clientWidth) problems.push("the header's content is wider than the header: " + header.scrollWidth + " > " + header.clientWidth);
  const els = [document.querySelector(".brand"), ...document.querySelectorAll(".site-nav li > a"), document.querySelector(".signout .button")];
  const boxes = els.map(e => ({ name: (e.getAttribute("href") || e.textContent.trim()), r: e.getBoundingClientRect() }));
  for (const { name, r } of boxes) {
    if (r.width < 16 || r.height < 16) problems.push(name + " is " + r.width + "×" + r.height);
    if (r.left < 0 || r.right > window.innerWidth + 0.5) problems.push(name + " sticks out: " + r.left + "–" + r.right);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) {
        problems.push(boxes[i].name + " overlaps " + boxes[j].name);
      }
    }
  }
  const badge = document.querySelector("#nav-unread");
  if (!badge) problems.push("no unread badge");
  else {
    const b = badge.getBoundingClientRect(), l = badge.closest("a").getBoundingClientRect();
    if (b.width === 0 || b.left < l.left - 0.5 || b.right > l.right + 0.5) problems.push("the unread badge is not inside the Projects link");
  }
  return problems.join("; ");
})()`

// TestBrowserNav looks at the signed-in header with every item it can
// show (an admin who owns an organization, is a juror of one of its
// rounds, and has an unread notification) at widths from a small phone to
// a desktop: the page never scrolls sideways and no item overlaps
// another; every link keeps its name for screen readers (shown or
// visually hidden) and has an icon of its own that the sprite holds.
// Screenshots of the header at 360, 700, 800, 1024 and 1280 px go to
// $SAFELIGHT_TEST_SCREENSHOTS; no page breaks the CSP.
func TestBrowserNav(t *testing.T) {
	w := newProjectsWorld(t)
	ann := w.ann                               // the instance's admin
	confirmEmail(t, w, ann, "ann@example.com") // organizations are for confirmed addresses
	eve := w.person("Eve Entrant", "eve@example.com", true)
	rita := w.person("Rita Reviewer", "rita@example.com", true)
	orgID := newOrg(t, ann, "Harbour Photo Club")
	callID := newOrgCall(t, ann, orgID, "Harbour Light")
	callToJudge(t, w, ann, callID, orgEntrant{b: eve, titles: []string{"Breakwater at dawn"}, photos: [][]byte{cameraJPEG(t, 1600, 1067, 1, 20)}})
	newJuryRound(t, ann, callID, "First pass", "stars_avg", true, "ann@example.com")
	// An unread notification: the Projects link carries a badge.
	projectID := newProject(t, ann, "Harbour selects")
	wantRedirect(t, ann.post("/projects/"+projectID+"/members", form("email", "rita@example.com", "role", "reviewer", "download", "none")), "/projects/"+projectID+"?share=1")
	wantAPI(t, projAPI(t, rita, "POST", "/api/v1/projects/"+projectID+"/done", nil), http.StatusNoContent)

	// The icons: each nav link's own, and each in the sprite once.
	page := ann.get("/jury")
	sprite := regexp.MustCompile(`<use href="([^"#]+)#`).FindStringSubmatch(page.body)
	if sprite == nil {
		t.Fatal("no icon on /jury")
	}
	svg := ann.send(http.MethodGet, sprite[1], nil, nil)
	wantStatus(t, svg, http.StatusOK)
	symbols := svg.body
	for _, c := range regexp.MustCompile(`(?s)<!--.*?-->`).FindAllString(symbols, -1) {
		symbols = strings.Replace(symbols, c, "", 1)
	}
	seen := map[string]string{"aperture": "the brand"}
	for _, it := range navItems {
		link := regexp.MustCompile(`<a [^>]*href="` + regexp.QuoteMeta(it.href) + `"[^>]*>\s*<svg[^>]*><use href="[^"#]+#([a-z-]+)"`).FindStringSubmatch(page.body)
		if link == nil {
			t.Errorf("the nav has no link to %s with an icon", it.href)
			continue
		}
		if link[1] != it.icon {
			t.Errorf("%s's icon = %q; want %q", it.label, link[1], it.icon)
		}
		if other, ok := seen[link[1]]; ok {
			t.Errorf("%s shares its icon %q with %s", it.label, link[1], other)
		}
		seen[link[1]] = it.label
		if n := strings.Count(symbols, `<symbol id="`+link[1]+`"`); n != 1 {
			t.Errorf("the sprite defines %q %d times; want once", link[1], n)
		}
	}

	// Ann's session, in Chromium.
	c := startChrome(t, w.srv.URL)
	for _, ck := range ann.http.Jar.Cookies(ann.base) {
		_, err := chromedp.Call(c.ctx, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, URL: c.base})
		c.must("copy cookie "+ck.Name, err)
	}
	c.do("open the jury list", chromedp.Navigate(c.base+"/jury"), chromedp.WaitVisible(chromedp.CSS("#jury-rounds")))
	if got := evaluate[[]string](c, `[...document.querySelectorAll(".site-nav li > a")].map(a => a.getAttribute("href") + " " + a.textContent.replace(/\s+/g, " ").trim())`); len(got) != len(navItems) {
		t.Fatalf("nav links = %q; want %d", got, len(navItems))
	} else {
		for i, it := range navItems {
			want := it.href + " " + it.label
			if it.label == "Projects" {
				want += "1 unread" // the badge
			}
			if got[i] != want {
				t.Errorf("nav link %d = %q; want %q", i, got[i], want)
			}
		}
	}
	if got := c.text(`.site-nav a[aria-current="page"]`); got != "Jury" {
		t.Errorf("current nav item = %q; want Jury", got)
	}

	shots := map[int]bool{320: true, 360: true, 700: true, 800: true, 1024: true, 1280: true}
	for _, width := range []int{320, 360, 400, 480, 560, 640, 641, 700, 800, 900, 1024, 1100, 1200, 1280} {
		c.do(fmt.Sprintf("%d px wide", width), chromedp.EmulateViewport(int64(width), 800))
		c.waitFor(fmt.Sprintf("%d px laid out", width), fmt.Sprintf(`window.innerWidth === %d`, width))
		if problems := evaluate[string](c, checkHeaderFits); problems != "" {
			t.Errorf("at %d px: %s", width, problems)
		}
		// Icon-only links keep their names for screen readers.
		if unnamed := evaluate[[]string](c, `[...document.querySelectorAll(".site-nav li > a, .signout .button")].filter(a => !a.textContent.trim() || !a.querySelector("svg.icon")).map(a => a.outerHTML)`); len(unnamed) > 0 {
			t.Errorf("at %d px, nav items without a name or an icon: %v", width, unnamed)
		}
		if shots[width] {
			c.viewportShot(fmt.Sprintf("nav-%d", width))
		}
	}

	// At a width with icons only, a link reached by keyboard shows its
	// label as a tooltip, on screen.
	c.do("800 px wide again", chromedp.EmulateViewport(800, 800))
	for _, tip := range []struct{ from, to, label string }{
		{`.site-nav a[href="/upload"]`, `.site-nav a[href="/calls"]`, "Calls"},
		{`.site-nav a[href="/admin/users"]`, `.signout .button`, "Sign out"},
	} {
		c.do("tab to "+tip.label, chromedp.Focus(chromedp.CSS(tip.from)), chromedp.KeyEvent(kb.Tab))
		got := evaluate[string](c, `(() => {
		  const el = document.activeElement, s = el.querySelector("span").getBoundingClientRect(), r = el.getBoundingClientRect();
		  if (!el.matches(`+"`"+tip.to+"`"+`)) return "focus is on " + el.outerHTML;
		  if (s.width < 20 || s.height < 10) return "the label is " + s.width + "×" + s.height;
		  if (s.top < r.bottom || s.left < 0 || s.right > window.innerWidth) return "the label is at " + JSON.stringify(s);
		  return el.querySelector("span").textContent;
		})()`)
		if got != tip.label {
			t.Errorf("tooltip of %s at 800 px: %s", tip.label, got)
		}
	}
	c.viewportShot("nav-800-tooltip")
	c.noCSPViolations("jury list")
}
