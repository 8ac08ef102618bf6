package web_test

import (
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/config"
)

// localhostServer starts an instance whose public URL is
// http://localhost:<its port>: WebAuthn needs a domain (not an IP
// address) that is the page's own, and localhost is a secure context.
func localhostServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	args := append([]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0", "--public-url", base}, apptest.ModeOptions(t)...)
	cfg, err := config.Load("safelight serve", args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StartJobs(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return base
}

// TestBrowserPasskeys drives passkey.js in Chromium with its virtual
// authenticator (a platform authenticator with resident keys and user
// verification): the admin adds a passkey on the two-step page (which
// enrols them), signs out, signs in with the passkey alone, then with the
// password and the passkey as the second step, and removes it (confirmed
// with the passkey), all under the CSP.
func TestBrowserPasskeys(t *testing.T) {
	base := localhostServer(t)
	c := startChrome(t, base)
	ctx := c.ctx
	_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	c.must("enable WebAuthn", err)
	_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	c.must("add virtual authenticator", err)

	c.signUpAndSignIn("Ada Lovelace", "ada@example.com", "#passkeys")
	c.location("/account/mfa")
	c.do("add a passkey",
		chromedp.WaitVisible(chromedp.CSS("#passkey-new-name")),
		chromedp.SendKeys(chromedp.CSS("#passkey-new-name"), "Virtual key"),
		chromedp.SendKeys(chromedp.CSS("#add-passkey-password"), password),
		chromedp.Click(chromedp.CSS(`form[data-passkey-add] button[type="submit"]`)),
	)
	c.waitFor("passkey listed", `[...document.querySelectorAll(".passkey-list strong")].some(e => e.textContent === "Virtual key")`)
	c.noCSPViolations("two-step page")
	c.screenshot("passkeys")
	c.do("library, enrolled by the passkey",
		chromedp.Navigate(base+"/library"),
		chromedp.WaitVisible(chromedp.CSS("#library-grid h2")),
	)
	c.location("/library")

	c.do("sign out", chromedp.Click(chromedp.CSS(`form.signout button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#login-email")))
	c.do("sign in with the passkey alone",
		chromedp.WaitVisible(chromedp.CSS("button[data-passkey-login]")),
		chromedp.Click(chromedp.CSS("button[data-passkey-login]")),
		chromedp.WaitVisible(chromedp.CSS("#library-grid h2")),
	)
	c.location("/library")
	c.noCSPViolations("passwordless sign-in")

	c.do("sign out again", chromedp.Click(chromedp.CSS(`form.signout button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#login-email")))
	c.do("password, then the passkey",
		chromedp.SendKeys(chromedp.CSS("#login-email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("button[data-passkey-second]")),
		chromedp.Click(chromedp.CSS("button[data-passkey-second]")),
		chromedp.WaitVisible(chromedp.CSS("#library-grid h2")),
	)
	c.location("/library")
	c.noCSPViolations("second-step sign-in")

	// Removing it: the password, confirmed with the passkey (no TOTP).
	c.do("remove the passkey",
		chromedp.Navigate(base+"/account/mfa"),
		chromedp.WaitVisible(chromedp.CSS("form[data-passkey-remove] input[name=password]")),
		chromedp.SendKeys(chromedp.CSS("form[data-passkey-remove] input[name=password]"), password),
		chromedp.Click(chromedp.CSS(`form[data-passkey-remove] button[type="submit"]`)),
	)
	c.waitFor("passkey removed", `document.querySelector("#passkeys")?.textContent.includes("No passkeys yet")`)
	c.noCSPViolations("passkey removal")
}
