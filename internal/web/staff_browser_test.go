package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"safelight/internal/access"
)

// signInAs signs email in through the sign-in form in a browser that
// holds no session (cookies cleared first), and waits for waitFor.
func (c *chrome) signInAs(email, waitFor string) {
	c.t.Helper()
	_, err := chromedp.Call(c.ctx, network.ClearBrowserCookies, struct{}{})
	c.must("clear cookies", err)
	c.do("sign in as "+email,
		chromedp.Navigate(c.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

// staffSections are the console's sections by role (templates/staff.html).
var staffSections = map[string]string{"support": "#support", "security": "#audit", "dpo": "#breaches", "admin": "#admin"}

// noContentOnPage lists what on the page could show or lead to someone's
// photos: any image, picture, video or canvas, any CSS background image,
// and any link, form or source in the page's main part pointing at a
// content route (the routes internal/app/staff_test.go sweeps). The
// header's own navigation (the staff member's own library) is left out.
const noContentOnPage = `(() => {
  const content = /\/(assets|library|projects|links|s|rounds|jury|entries|images|originals-requests|export|exports|zip)(\/|$|\?|#)/;
  const found = [];
  for (const e of document.querySelectorAll("img, picture, video, canvas, image, source, object, embed, iframe")) {
    if (e.closest("svg.icon") || (e.tagName.toLowerCase() === "image" && e.closest("svg use"))) continue;
    found.push(e.outerHTML.slice(0, 120));
  }
  for (const e of document.querySelectorAll("main *")) {
    const bg = getComputedStyle(e).backgroundImage;
    if (bg && bg !== "none" && !bg.includes("/static/")) found.push("background " + bg.slice(0, 120));
    for (const a of ["href", "src", "srcset", "action", "formaction", "poster", "data"]) {
      const v = e.getAttribute(a);
      if (v && content.test(v.replace(/^https?:\/\/[^/]+/, ""))) found.push(a + "=" + v);
    }
  }
  return found;
})()`

// TestBrowserStaffConsole signs each staff role in through the sign-in
// form of one instance (two-step sign-in enrolled on the way, as staff
// must) and drives what the console gives that role, in Chromium:
//   - support finds Pat by address, opens the account and sees numbers
//     only (one photo, an authenticator app); the second-factor reset
//     refuses a thin identity check beside the field, keeping the text,
//     then removes the factors; disabling asks for a reason and works;
//   - the dpo sees the data-subject requests in progress (Pat's export,
//     Eve's erasure with its date) and records a breach with an affected
//     account and two data categories, which the register then lists;
//   - security reads the audit log and filters it on Pat's account;
//   - the admin sees the instance's settings and none of the others'
//     sections.
//
// No console page holds an image or a link to content, and no section of
// another role. Pat, enabled again by the admin, signs in with the
// password alone and finds the reset (with the identity check), the
// disabling (with its reason), support's look and the breach in the
// account's security activity, reached from the privacy center. With
// --staff-mfa=optional, on a second instance, the console carries the
// warning, which the first never shows.
func TestBrowserStaffConsole(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	c := startChrome(t, srv.URL)
	ctx, parent := t.Context(), t // each subtest points c.t at itself while it runs

	// Over HTTP: Pat, with a photo, a second factor and an export asked
	// for; Eve, whose erasure is scheduled; the staff accounts, made as
	// `safelight user create --role` makes them.
	admin := newBrowser(t, srv)
	signUp(t, admin, "Ada Lovelace", "ada@example.com") // the first account: admin
	pat := newBrowser(t, srv)
	signUp(t, pat, "Pat Photographer", "pat@example.com")
	signIn(t, pat, "pat@example.com", password)
	pat.uploadReady(map[string][]byte{"IMG_0001.jpg": testJPEG(t, 640, 480, 3)}, "IMG_0001.jpg")
	enrolPages(t, pat)
	wantRedirect(t, pat.post("/account/privacy/export", form()), "/account/privacy#export")
	eve := newBrowser(t, srv)
	signUp(t, eve, "Eve Leaving", "eve@example.com")
	signIn(t, eve, "eve@example.com", password)
	wantRedirect(t, eve.post("/account/privacy/erase", form("password", password)), "/account/privacy#erase")
	for _, r := range []access.Role{access.RoleSupport, access.RoleDPO, access.RoleSecurity} {
		if _, err := a.Auth.CreateUser(ctx, string(r)+"@staff.example", "Staff "+string(r), password, []access.Role{r}); err != nil {
			t.Fatal(err)
		}
	}
	patID, _ := wantAPI(t, projAPI(t, pat, "GET", "/api/v1/me", nil), http.StatusOK)["id"].(string)

	// console opens /staff as role and checks the sections shown, the
	// absence of content and of the evaluation warning.
	console := func(role string) {
		t := c.t
		t.Helper()
		c.do("open the console", chromedp.Navigate(c.base+"/staff"), chromedp.WaitVisible(chromedp.CSS(staffSections[role])))
		for other, sel := range staffSections {
			if n := evaluate[int](c, `document.querySelectorAll("`+sel+`").length`); (other == role) != (n == 1) {
				t.Errorf("%s's console: %d of %s's section %s", role, n, other, sel)
			}
		}
		if got := c.text(".staff .page-head .muted"); !strings.HasPrefix(got, "Your roles: "+role+".") {
			t.Errorf("%s's console says %q", role, got)
		}
		if n := evaluate[int](c, `document.querySelectorAll(".staff-mfa-off").length`); n != 0 {
			t.Errorf("%s's console warns that staff MFA is off, though it is required", role)
		}
		c.noContent(role + "'s console")
		c.noCSPViolations(role + "'s console")
		c.screenshot("staff-" + role)
	}

	// enrol signs a staff account in: the form, then the second factor
	// staff must set up before anything else.
	enrol := func(email string) {
		c.t.Helper()
		c.signInAs(email, "#start-password")
		c.location("/account/mfa")
		c.enrolTOTP(email)
	}

	t.Run("support", func(t *testing.T) {
		c.t = t
		defer func() { c.t = parent }()
		enrol("support@staff.example")
		console("support")
		c.do("search for pat",
			chromedp.SendKeys(chromedp.CSS("#staff-q"), "pat@"),
			chromedp.Click(chromedp.CSS(`#support button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#support a[href="/staff/accounts/`+patID+`"]`)),
		)
		if got := c.text(`#support .row-meta`); !strings.HasPrefix(got, "pat@example.com · Joined ") {
			t.Errorf("search result = %q", got)
		}
		c.noContent("search result")
		page := "/staff/accounts/" + patID
		c.do("open pat's account",
			chromedp.Click(chromedp.CSS(`#support a[href="`+page+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#identity-check")),
		)
		c.location(page)
		counts := func() map[string]string {
			return evaluate[map[string]string](c, `Object.fromEntries([...document.querySelectorAll("dl.details dt")].map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]))`)
		}
		got := counts()
		for k, want := range map[string]string{"Photos": "1 (0 in the trash)", "Second factors": "Authenticator app", "Projects": "0", "Sessions": "1 active session"} {
			if got[k] != want {
				t.Errorf("count %q = %q; want %q (all: %v)", k, got[k], want, got)
			}
		}
		if txt := c.text("main"); strings.Contains(txt, "IMG_0001") {
			t.Errorf("support's view names Pat's photo: %q", txt)
		}
		c.noContent("pat's account")
		c.noCSPViolations("pat's account")
		c.screenshot("staff-account")

		// A thin identity check is refused beside the form, kept.
		c.do("reset with a thin check",
			chromedp.SendKeys(chromedp.CSS("#identity-check"), "ok"),
			chromedp.Click(chromedp.CSS(`form[action$="/mfa-reset"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".form-error")),
		)
		if got := c.text(".form-error"); !strings.Contains(got, "Describe the identity check") {
			t.Errorf("refusal = %q", got)
		}
		if kept := evaluate[string](c, `document.querySelector("#identity-check").value`); kept != "ok" {
			t.Errorf("identity check after the refusal = %q; want what was typed", kept)
		}
		if got := counts()["Second factors"]; got != "Authenticator app" {
			t.Errorf("after a refused reset, second factors = %q", got)
		}
		c.screenshot("staff-account-refused")
		const check = "Video call; she showed her passport and named her first upload"
		setValue(c, "#identity-check", "")
		c.do("reset with a real check",
			chromedp.SendKeys(chromedp.CSS("#identity-check"), check),
			chromedp.Click(chromedp.CSS(`form[action$="/mfa-reset"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")),
		)
		c.location(page + "?done=mfa-reset")
		if got := c.text(".flash"); !strings.HasPrefix(got, "Second factors removed") {
			t.Errorf("notice = %q", got)
		}
		if got := counts()["Second factors"]; got != "None" {
			t.Errorf("after the reset, second factors = %q; want None", got)
		}
		c.do("disable",
			chromedp.SendKeys(chromedp.CSS("#disable-reason"), "Asked by the holder: the phone with the app was stolen"),
			chromedp.Click(chromedp.CSS(`form[action$="/disable"] button[type="submit"]`)),
		)
		c.waitLoaded(page + "?done=disabled") // the page before had a notice too
		if got := c.text(".flash"); !strings.HasPrefix(got, "Account disabled") {
			t.Errorf("notice = %q", got)
		}
		if got := c.text(".page-head .muted"); !strings.Contains(got, "Disabled") {
			t.Errorf("account head = %q; want it marked Disabled", got)
		}
		if n := evaluate[int](c, `document.querySelectorAll("#disable-reason").length`); n != 0 {
			t.Error("a disabled account still offers Disable")
		}
		c.noContent("pat's account after the actions")
		c.screenshot("staff-account-disabled")
		if r := pat.get("/library"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Errorf("Pat's session after disabling: %d %q; want sent to sign in", r.status, r.location())
		}
	})

	t.Run("dpo", func(t *testing.T) {
		c.t = t
		defer func() { c.t = parent }()
		enrol("dpo@staff.example")
		console("dpo")
		reqs := evaluate[[]string](c, `[...document.querySelectorAll("#requests .row")].map(r => r.textContent.replace(/\s+/g, " ").trim())`)
		var export, erasure bool
		for _, r := range reqs {
			export = export || strings.HasPrefix(r, "Export · pat@example.com")
			erasure = erasure || (strings.HasPrefix(r, "Erasure · eve@example.com") && strings.Contains(r, " · runs "))
		}
		if !export || !erasure {
			t.Errorf("data-subject requests = %q; want Pat's export and Eve's erasure with its date", reqs)
		}
		if got := c.text("#breaches .muted"); got != "No breach recorded." {
			t.Errorf("empty register = %q", got)
		}
		detected := time.Now().UTC().Add(-3 * time.Hour).Format("2006-01-02T15:04")
		const what = "A support laptop with an account list was stolen from a car"
		setValue(c, "#breach-detected", detected) // a date picker: typing into it depends on the locale
		c.do("record a breach",
			chromedp.SendKeys(chromedp.CSS("#breach-description"), what),
			chromedp.SendKeys(chromedp.CSS("#breach-measures"), "Disk encrypted; passwords of the listed accounts reset"),
			chromedp.Click(chromedp.CSS("#category-account")),
			chromedp.Click(chromedp.CSS("#category-location")),
			chromedp.SendKeys(chromedp.CSS("#breach-accounts"), patID),
			chromedp.Click(chromedp.CSS(`form[action="/staff/breaches"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#breaches li.row[id^="breach-"]`)),
		)
		c.location("/staff#breaches")
		row := evaluate[string](c, `document.querySelector('#breaches li.row[id^="breach-"]').textContent.replace(/\s+/g, " ").trim()`)
		for _, want := range []string{what, "Detected " + reformatDetected(detected), "Reported to the authority: not yet",
			"Data: account, location · 1 accounts affected", "Measures: Disk encrypted"} {
			if !strings.Contains(row, want) {
				t.Errorf("breach row %q lacks %q", row, want)
			}
		}
		c.noContent("dpo's console after recording")
		c.noCSPViolations("breach recorded")
		c.screenshot("staff-breach")
	})

	t.Run("security", func(t *testing.T) {
		c.t = t
		defer func() { c.t = parent }()
		enrol("security@staff.example")
		console("security")
		if n := evaluate[int](c, `document.querySelectorAll("#audit table.audit-log tbody tr").length`); n == 0 {
			t.Error("the audit log is empty")
		}
		c.do("filter on pat",
			chromedp.SendKeys(chromedp.CSS("#audit-subject"), patID),
			chromedp.Click(chromedp.CSS(`#audit button[type="submit"]`)),
		)
		c.waitLoaded("/staff?type=&actor=&subject=" + patID + "#audit")
		types := evaluate[[]string](c, `[...document.querySelectorAll("#audit table.audit-log tbody tr")].map(tr => tr.children[1].title + " " + tr.children[3].textContent)`)
		seen := map[string]bool{}
		for _, ty := range types {
			name, subject, _ := strings.Cut(ty, " ")
			if subject != patID {
				t.Errorf("filtered on Pat, the log shows %q", ty)
			}
			seen[name] = true
		}
		for _, want := range []string{"staff.account_viewed", "staff.mfa_reset", "staff.account_disabled", "staff.breach_recorded"} {
			if !seen[want] {
				t.Errorf("Pat's events lack %s: %v", want, types)
			}
		}
		c.noContent("filtered audit log")
		c.screenshot("staff-audit")
	})

	t.Run("admin", func(t *testing.T) {
		c.t = t
		defer func() { c.t = parent }()
		enrol("ada@example.com") // the first account is the admin, who must use two-step sign-in
		console("admin")
		settings := evaluate[map[string]string](c, `Object.fromEntries([...document.querySelectorAll("#instance-settings dt")].map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]))`)
		for k, want := range map[string]string{"Sign-up": "Open to anyone", "Two-step sign-in for staff": "Required", "Erasure grace period": "7 days", "Trash kept for": "30 days",
			"Root key": "Version 1; every stored key is wrapped with it"} {
			if settings[k] != want {
				t.Errorf("setting %q = %q; want %q (all: %v)", k, settings[k], want, settings)
			}
		}
		// The admin gives Pat the account back, from the accounts page.
		c.do("enable pat",
			chromedp.Click(chromedp.CSS(`#admin a[href="/admin/users"]`)),
			chromedp.WaitVisible(chromedp.CSS("#account-"+patID+` form[action$="/enable"] button`)),
			chromedp.Click(chromedp.CSS("#account-"+patID+` form[action$="/enable"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")),
		)
	})

	t.Run("the holder sees it", func(t *testing.T) {
		c.t = t
		defer func() { c.t = parent }()
		// The reset removed Pat's second factor: the password is enough.
		c.signInAs("pat@example.com", "#library-grid")
		// The check of the console pages finds content where there is some.
		if found := evaluate[[]string](c, noContentOnPage); len(found) == 0 {
			t.Error("control: no content found on Pat's library, which shows a photo; the console's check would see nothing either")
		}
		c.do("open the privacy center", chromedp.Navigate(c.base+"/account/privacy"), chromedp.WaitVisible(chromedp.CSS("#security-link")))
		c.do("follow it to the security activity", chromedp.Click(chromedp.CSS("#security-link")), chromedp.WaitVisible(chromedp.CSS("#activity .event")))
		c.location("/account#activity")
		if top := evaluate[float64](c, `document.querySelector("#activity").getBoundingClientRect().top`); top < -1 || top > 200 {
			t.Errorf("after following the link, the security activity is at %v px; want it scrolled into view", top)
		}
		events := evaluate[[]string](c, `[...document.querySelectorAll("#activity .event .event-title")].map(e => e.textContent.replace(/\s+/g, " ").trim())`)
		all := strings.Join(events, "\n")
		for _, want := range []string{
			"Two-step sign-in reset by support after checking your identity · How: Video call; she showed her passport",
			"Account disabled by support · Reason: Asked by the holder: the phone with the app was stolen",
			"Account enabled by an administrator",
			"Support looked at your account's details",
			"Your account was listed in the personal data breach register · Data concerned: account, location",
			"Security staff read your account's security events",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("Pat's security activity lacks %q:\n%s", want, all)
			}
		}
		c.noCSPViolations("pat's security activity")
		c.screenshot("staff-actions-seen-by-holder")
	})

	t.Run("MFA optional warns", func(t *testing.T) {
		c.t = t
		defer func() { c.t = parent }()
		a2, srv2 := newServer(t, "--staff-mfa", "optional")
		if _, err := a2.Auth.CreateUser(ctx, "sec@staff.example", "Sec", password, []access.Role{access.RoleSecurity}); err != nil {
			t.Fatal(err)
		}
		c2 := &chrome{t: t, ctx: c.ctx, base: srv2.URL, shots: c.shots} // the same browser, another origin
		c2.signInAs("sec@staff.example", "#library-grid")               // no second factor asked for
		c2.do("open the console", chromedp.Navigate(c2.base+"/staff"), chromedp.WaitVisible(chromedp.CSS(".staff-mfa-off")))
		if got := c2.text(".staff-mfa-off"); !strings.Contains(got, "lets staff sign in without two-step sign-in (--staff-mfa=optional)") {
			t.Errorf("warning = %q", got)
		}
		if role := evaluate[string](c2, `document.querySelector(".staff-mfa-off").getAttribute("role")`); role != "alert" {
			t.Errorf("the warning's role = %q; want alert", role)
		}
		// Loud: above every section, and visible without scrolling.
		if !evaluate[bool](c2, `(() => { const w = document.querySelector(".staff-mfa-off").getBoundingClientRect(), s = document.querySelector("#audit").getBoundingClientRect(); return w.height > 0 && w.bottom <= s.top && w.bottom <= window.innerHeight; })()`) {
			t.Error("the warning is not above the sections, in the first screen")
		}
		c2.noCSPViolations("console with MFA optional")
		c2.screenshot("staff-mfa-optional")
	})
}

// waitLoaded waits until the browser has loaded path (with its query
// and fragment).
func (c *chrome) waitLoaded(path string) {
	c.t.Helper()
	j, _ := json.Marshal(c.base + path)
	c.waitFor("load "+path, `location.href === `+string(j)+` && document.readyState === "complete"`)
}

// setValue sets a form field's value as a script would.
func setValue(c *chrome, sel, v string) {
	c.t.Helper()
	j, _ := json.Marshal(v)
	evaluate[string](c, `document.querySelector("`+sel+`").value = `+string(j))
}

// noContent fails the test when the page could show someone's photos
// (see noContentOnPage).
func (c *chrome) noContent(where string) {
	c.t.Helper()
	if found := evaluate[[]string](c, noContentOnPage); len(found) > 0 {
		c.t.Errorf("%s shows or links to content: %v", where, found)
	}
}

// reformatDetected writes a datetime-local value the way the register
// prints times (exact in describe.go: "2 Jan 2006, 15:04 UTC").
func reformatDetected(v string) string {
	t, err := time.Parse("2006-01-02T15:04", v)
	if err != nil {
		return "unparsable " + v
	}
	return t.Format("2 Jan 2006, 15:04 UTC")
}
