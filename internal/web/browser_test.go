package web_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"
)

// cspRecorder runs in every page before its own scripts and records
// Content-Security-Policy violations, so the test can assert there are none
// (an inline style or script the policy blocks would show up here).
const cspRecorder = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));`

// TestBrowser drives the main flow in a real Chromium: sign up through the
// form, sign in with the keyboard, see the library, open Account (this
// device is marked), create a token (the copy button's module runs under the
// CSP), sign out, sign in again. It saves screenshots of the key screens to
// $SAFELIGHT_TEST_SCREENSHOTS (or a temporary directory) for people to look
// at.
func TestBrowser(t *testing.T) {
	_, srv := newServer(t)
	c := startChrome(t, srv.URL)
	ctx, base, must, text, location, noCSPViolations, screenshot := c.ctx, c.base, c.must, c.text, c.location, c.noCSPViolations, c.screenshot

	// Sign up through the form.
	must("open sign-up", chromedp.Do(ctx,
		chromedp.Navigate(base+"/signup"),
		chromedp.WaitVisible(chromedp.CSS("#signup-name")),
		chromedp.SendKeys(chromedp.CSS("#signup-name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.CSS("#signup-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#signup-password"), password),
	))
	noCSPViolations("sign-up")
	screenshot("signup")
	must("submit sign-up", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	))
	location("/login?signed_up=1")
	if got := text(".notice"); got != "Account created. Sign in to continue." {
		t.Errorf("sign-in notice = %q", got)
	}

	// Sign in with the keyboard only: type, Tab to the password, Enter.
	must("type e-mail", chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS("#login-email")),
		chromedp.KeyEvent("ada@example.com"),
		chromedp.KeyEvent(kb.Tab),
	))
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
	must("read focus", err)
	if focused != "login-password" {
		t.Fatalf("after Tab from the e-mail field, focus is on %q; want login-password", focused)
	}
	must("type password", chromedp.Do(ctx, chromedp.KeyEvent(password)))
	noCSPViolations("sign-in")
	screenshot("login")
	must("press Enter", chromedp.Do(ctx,
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#start")),
	))
	// The first account is the admin, who must use two-step sign-in: the
	// app asks for it before anything else.
	location("/account/mfa")
	secret := c.enrolTOTP("ada@example.com")
	must("open library", chromedp.Do(ctx,
		chromedp.Navigate(base+"/library"),
		chromedp.WaitVisible(chromedp.CSS("#library-grid h2")),
	))

	// The library.
	location("/library")
	if got := text("#library-grid h2"); got != "Your library is empty" {
		t.Errorf("library heading = %q", got)
	}
	if got := text(`.site-nav a[aria-current="page"]`); got != "Library" {
		t.Errorf("current navigation entry = %q; want Library", got)
	}
	noCSPViolations("library")
	screenshot("library")

	// Account: this device is marked.
	must("open account", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/account"]`)),
		chromedp.WaitVisible(chromedp.CSS(".session.is-current .badge")),
	))
	location("/account")
	if got := text(".session.is-current .badge"); got != "This device" {
		t.Errorf("current session badge = %q; want This device", got)
	}
	if got := text(".session.is-current .row-title"); !strings.Contains(got, "Chrome") {
		t.Errorf("current session device = %q; want a Chrome summary", got)
	}
	noCSPViolations("account")
	screenshot("account")

	// A token: its secret is shown once, and copy.js (a module under the
	// CSP) reveals the copy button.
	mfaMu.Lock()
	recovery := mfaOf[base+" ada@example.com"].recovery
	mfaMu.Unlock()
	must("create token", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#token-name"), "Backup script"),
		chromedp.SendKeys(chromedp.CSS("#token-password"), password),
		chromedp.SendKeys(chromedp.CSS("#token-code"), recovery[len(recovery)-1]),
		chromedp.Click(chromedp.CSS(`form[action^="/account/tokens"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-token-value")),
		chromedp.WaitVisible(chromedp.CSS(`button[data-copy="new-token-value"]`)),
	))
	tokenSecret, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#new-token-value")))
	must("read token", err)
	if !strings.HasPrefix(tokenSecret, "slp_") {
		t.Errorf("token field = %q; want an slp_ token", tokenSecret)
	}
	must("copy token", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[data-copy="new-token-value"]`)),
		chromedp.WaitVisible(chromedp.CSS(".copy-status")),
	))
	noCSPViolations("token created")
	screenshot("account-token")

	// Sign out, and in again.
	must("sign out", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".signout button")),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
	))
	location("/login")
	// A wrong password: the error shows inline and the e-mail is kept.
	must("wrong password", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#login-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "not the password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".form-error")),
	))
	if got := text(".form-error"); got != "E-mail or password is incorrect." {
		t.Errorf("sign-in error = %q", got)
	}
	kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#login-email")))
	must("read e-mail", err)
	pwKept, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#login-password")))
	must("read password", err)
	if kept != "ada@example.com" || pwKept != "" {
		t.Errorf("after a failed sign-in the fields hold %q and %q; want the e-mail and no password", kept, pwKept)
	}
	noCSPViolations("sign-in error")
	screenshot("login-error")
	must("sign in again", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#login-code")),
	))
	location("/login/code")
	noCSPViolations("code step")
	screenshot("login-code")
	// The code of the next 30-second step: the enrolment used this one's,
	// and a code is accepted once.
	code, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	must("make code", err)
	must("enter code", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#login-code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#library-grid")),
	))
	location("/library")

	// The same screens at phone width.
	must("phone width", chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))))
	must("phone library", chromedp.Do(ctx, chromedp.Navigate(base+"/library"), chromedp.WaitVisible(chromedp.CSS("#library-grid"))))
	screenshot("library-phone")
	must("phone account", chromedp.Do(ctx, chromedp.Navigate(base+"/account"), chromedp.WaitVisible(chromedp.CSS(".session.is-current"))))
	screenshot("account-phone")
	must("phone 404", chromedp.Do(ctx, chromedp.Navigate(base+"/no/such/page"), chromedp.WaitVisible(chromedp.CSS("#error-heading"))))
	screenshot("not-found-phone")
	noCSPViolations("phone pages")
}

// signUpAndSignIn signs up through the form, then signs in with the
// password and waits until the page shows waitFor (a CSS selector).
func (c *chrome) signUpAndSignIn(name, email, waitFor string) {
	c.t.Helper()
	c.do("sign up",
		chromedp.Navigate(c.base+"/signup"),
		chromedp.WaitVisible(chromedp.CSS("#signup-name")),
		chromedp.SendKeys(chromedp.CSS("#signup-name"), name),
		chromedp.SendKeys(chromedp.CSS("#signup-email"), email),
		chromedp.SendKeys(chromedp.CSS("#signup-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	c.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

// enrolTOTP sets up two-step sign-in from the page /account/mfa as a
// person would: start, read the key shown for manual entry, type the code
// an authenticator app would show, keep the recovery codes. It returns the
// key.
func (c *chrome) enrolTOTP(email string) string {
	c.t.Helper()
	c.noCSPViolations("two-step sign-in")
	c.screenshot("mfa-required")
	c.do("start enrolment",
		chromedp.SendKeys(chromedp.CSS("#start-password"), password),
		chromedp.Click(chromedp.CSS(`#start button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
		chromedp.WaitVisible(chromedp.CSS("img.totp-qr")),
	)
	qrLoaded, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`document.querySelector("img.totp-qr").naturalWidth > 0`))
	c.must("read QR", err)
	if !qrLoaded {
		c.t.Error("the QR code image did not load")
	}
	c.noCSPViolations("enrolment")
	c.screenshot("mfa-enrol")
	secret := strings.TrimSpace(c.text("#totp-secret"))
	code, err := totp.GenerateCode(secret, time.Now())
	c.must("make code", err)
	c.do("confirm enrolment",
		chromedp.SendKeys(chromedp.CSS("#totp-code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/account/mfa/totp/confirm"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	codes, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#recovery-codes li code")].map(e => e.textContent)`))
	c.must("read recovery codes", err)
	if len(codes) != 10 {
		c.t.Errorf("recovery codes shown = %d; want 10", len(codes))
	}
	c.noCSPViolations("recovery codes")
	c.screenshot("mfa-recovery-codes")
	// Helpers that sign the same account in over HTTP answer its code step
	// with these.
	mfaMu.Lock()
	mfaOf[c.base+" "+email] = &webMFA{secret: secret, recovery: codes}
	mfaMu.Unlock()
	return secret
}

// chrome is a headless Chromium on one tab, with the helpers the browser
// tests share.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	base  string // the server, http://127.0.0.1:port
	shots string // where screenshots go
}

// startChrome starts Chromium ($SAFELIGHT_TEST_BROWSER; the test is skipped
// when unset) with the CSP recorder installed in every page.
func startChrome(t *testing.T, base string) *chrome {
	t.Helper()
	bin := os.Getenv("SAFELIGHT_TEST_BROWSER")
	if bin == "" {
		t.Skip("SAFELIGHT_TEST_BROWSER is unset: set it to a Chromium binary (such as /usr/bin/chromium) to run the browser test")
	}
	shots := os.Getenv("SAFELIGHT_TEST_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	t.Cleanup(cancel)
	browserLog := &syncWriter{buf: &bytes.Buffer{}}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
		chromedp.CombinedOutput(browserLog),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("browser output:\n%s", browserLog.String())
		}
	})
	c := &chrome{t: t, ctx: ctx, base: base, shots: shots}
	c.must("start browser", chromedp.Do(ctx))
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
	c.must("install CSP recorder", err)
	return c
}

func (c *chrome) must(step string, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: %v", step, err)
	}
}

// do runs steps, failing the test with step's name.
func (c *chrome) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	c.must(step, chromedp.Do(c.ctx, steps...))
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	c.must("read "+sel, err)
	return strings.TrimSpace(s)
}

// path is the current location without the server's address.
func (c *chrome) path() string {
	c.t.Helper()
	loc, err := chromedp.Run(c.ctx, chromedp.Location())
	c.must("location", err)
	return strings.TrimPrefix(loc, c.base)
}

func (c *chrome) location(want string) {
	c.t.Helper()
	if got := c.path(); got != want {
		c.t.Fatalf("location = %q; want %q", got, want)
	}
}

// waitFor polls a JavaScript condition until it holds. Errors while a
// page is being replaced (the expression ran in the old one) are retried.
func (c *chrome) waitFor(step, condition string) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](condition))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: still not true after 30 s: %s (last error: %v)", step, condition, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *chrome) noCSPViolations(where string) {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](`window.__cspViolations || ["recorder missing"]`))
	c.must("read CSP violations", err)
	if len(v) > 0 {
		c.t.Errorf("%s: Content-Security-Policy violations: %v", where, v)
	}
}

func (c *chrome) screenshot(name string) {
	c.t.Helper()
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	c.must("screenshot "+name, err)
	path := filepath.Join(c.shots, name+".png")
	c.must("save screenshot", os.WriteFile(path, png, 0o644))
	c.t.Logf("screenshot: %s", path)
}

// viewportShot saves what the window shows, not the whole page.
func (c *chrome) viewportShot(name string) {
	c.t.Helper()
	png, err := chromedp.Run(c.ctx, chromedp.CaptureScreenshot())
	c.must("screenshot "+name, err)
	path := filepath.Join(c.shots, name+".png")
	c.must("save screenshot", os.WriteFile(path, png, 0o644))
	c.t.Logf("screenshot: %s", path)
}

// evaluate runs a JavaScript expression in the page.
func evaluate[T any](c *chrome, expr string, opts ...chromedp.EvaluateOption) T {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[T](expr, opts...))
	c.must("evaluate "+expr, err)
	return v
}

// syncWriter lets the browser's output goroutine and the test share a
// buffer.
type syncWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
