package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserAdminUsers drives the accounts page in Chromium with the
// keyboard: open it from the navigation, open the confirmation of
// Disable, read what will happen, confirm, see the notice; then look at
// it at phone width. Screenshots go to $SAFELIGHT_TEST_SCREENSHOTS.
func TestBrowserAdminUsers(t *testing.T) {
	a, srv := newServer(t)
	c := startChrome(t, srv.URL)
	base := c.base

	c.signUpAndSignIn("Ada Lovelace", "ada@example.com", "#start")
	c.enrolTOTP("ada@example.com") // the admin must use two-step sign-in

	// A second account, made as `safelight user create` would, signed in
	// elsewhere.
	grace, err := a.Auth.CreateUser(t.Context(), "grace@example.com", "Grace Hopper", password, nil)
	c.must("create grace", err)
	graceBrowser := newBrowser(t, srv)
	signIn(t, graceBrowser, "grace@example.com", password)

	c.do("open the accounts page from the navigation",
		chromedp.Navigate(base+"/library"),
		chromedp.WaitVisible(chromedp.CSS(`.site-nav a[href="/admin/users"]`)),
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS("#account-"+grace.ID)),
	)
	c.location("/admin/users")
	if got := c.text(`.site-nav a[aria-current="page"]`); got != "Admin" {
		t.Errorf("current navigation entry = %q; want Admin", got)
	}
	c.noCSPViolations("accounts")
	c.screenshot("admin-users")

	// Keyboard: Enter on "Disable…" opens the confirmation, Tab reaches
	// its button, Enter confirms.
	disable := "#disable-" + grace.ID
	c.do("open the confirmation",
		chromedp.Focus(chromedp.CSS(disable+" summary")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(disable+" .confirm-panel button")),
	)
	if got := c.text(disable + " .confirm-panel p"); !strings.Contains(got, "signed out everywhere now") || !strings.Contains(got, "cannot sign in until you enable") {
		t.Errorf("confirmation = %q; want it to say what happens", got)
	}
	c.screenshot("admin-users-disable-confirm")
	c.do("reach the button", chromedp.KeyEvent(kb.Tab))
	if got := evaluate[string](c, `document.activeElement.textContent`); !strings.HasPrefix(strings.TrimSpace(got), "Disable account") {
		t.Fatalf("after Tab, focus is on %q; want the Disable account button", got)
	}
	c.do("confirm",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	c.location("/admin/users")
	if got := c.text(".flash"); !strings.HasPrefix(got, "The account was disabled") {
		t.Errorf("notice = %q", got)
	}
	if got := c.text("#account-" + grace.ID + " .row-title"); !strings.Contains(got, "Disabled") {
		t.Errorf("grace's row = %q; want it marked Disabled", got)
	}
	c.noCSPViolations("after disabling")
	c.screenshot("admin-users-disabled")
	r := graceBrowser.get("/library")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("grace's browser after disabling: %d %q; want sent to sign in", r.status, r.location())
	}

	// At phone width every action is still there.
	_, err = chromedp.Call(c.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true})
	c.must("phone size", err)
	c.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#account-"+grace.ID)))
	if !evaluate[bool](c, `(() => { const b = document.querySelector("#account-`+grace.ID+` form[action$='/enable'] button").getBoundingClientRect(); return b.width > 0 && b.right <= window.innerWidth; })()`) {
		t.Error("at phone width, grace's Enable button is hidden or off the screen")
	}
	c.viewportShot("admin-users-phone")
}
