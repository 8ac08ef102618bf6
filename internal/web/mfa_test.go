package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// webMFA is what a test keeps of an account's second factor.
type webMFA struct {
	secret   string
	recovery []string
}

func (m *webMFA) nextRecovery(t *testing.T) string {
	t.Helper()
	if len(m.recovery) == 0 {
		t.Fatal("no recovery codes left")
	}
	c := m.recovery[0]
	m.recovery = m.recovery[1:]
	return c
}

var (
	mfaMu sync.Mutex
	// mfaOf remembers the second factors helpers enrolled, by server and
	// e-mail, so that signIn can answer the code step.
	mfaOf = map[string]*webMFA{}
)

var (
	secretRe   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	qrRe       = regexp.MustCompile(`<img class="totp-qr" src="data:image/png;base64,(?:[A-Za-z0-9/=]|&#43;)+"`) // html/template writes + as &#43;
	recoveryRe = regexp.MustCompile(`<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){5})</code></li>`)
)

// enrolPages turns on two-step sign-in through the pages, as a person
// with an authenticator app would.
func enrolPages(t *testing.T, b *browser) *webMFA {
	t.Helper()
	wantStatus(t, b.get("/account/mfa"), http.StatusOK)
	r := b.post("/account/mfa/totp", form("password", password))
	wantStatus(t, r, http.StatusOK)
	if !qrRe.MatchString(r.body) {
		t.Fatalf("enrolment page has no inline QR code: %s", excerpt(r.body))
	}
	m := secretRe.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("enrolment page shows no secret: %s", excerpt(r.body))
	}
	acct := &webMFA{secret: m[1]}
	// The page shows the same pending secret again until it is confirmed.
	if again := b.get("/account/mfa"); !strings.Contains(again.body, m[1]) {
		t.Error("GET /account/mfa while enrolling does not show the pending secret again")
	}
	wantStatus(t, b.post("/account/mfa/totp/confirm", form("code", "000000")), http.StatusBadRequest)
	code, err := totp.GenerateCode(acct.secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = b.post("/account/mfa/totp/confirm", form("code", code))
	wantStatus(t, r, http.StatusOK)
	for _, c := range recoveryRe.FindAllStringSubmatch(r.body, -1) {
		acct.recovery = append(acct.recovery, html.UnescapeString(c[1]))
	}
	if len(acct.recovery) != 10 {
		t.Fatalf("confirm page shows %d recovery codes; want 10", len(acct.recovery))
	}
	return acct
}

// enrolIfRequired enrols the signed-in account when the instance requires
// it to have a second factor (the admin always), remembering it for
// signIn.
func enrolIfRequired(t *testing.T, b *browser, email string) {
	t.Helper()
	if r := b.get("/library"); r.status != http.StatusSeeOther || r.location() != "/account/mfa" {
		return
	}
	m := enrolPages(t, b)
	mfaMu.Lock()
	mfaOf[b.base.String()+" "+email] = m
	mfaMu.Unlock()
}

// codeStep answers the sign-in code page, keeping next, with a recovery
// code of an account a helper enrolled (pw is its password, to make new
// codes when they run low); false when no code was asked for.
func codeStep(t *testing.T, b *browser, email, pw string, r response) (response, bool) {
	t.Helper()
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login/code") {
		return r, false
	}
	m := helperMFA(t, email, b)
	f := form("code", m.nextRecovery(t))
	if u, err := url.Parse(r.location()); err == nil && u.Query().Get("next") != "" {
		f.Set("next", u.Query().Get("next"))
	}
	r = b.post("/login/code", f)
	if r.status == http.StatusSeeOther && len(m.recovery) <= 1 {
		fresh := b.post("/account/mfa/recovery-codes", form("password", pw, "code", m.nextRecovery(t)))
		m.recovery = nil
		for _, c := range recoveryRe.FindAllStringSubmatch(fresh.body, -1) {
			m.recovery = append(m.recovery, c[1])
		}
	}
	return r, true
}

// withReauth is a form of kv plus what a sensitive change needs from
// email's account: the password and, when a helper enrolled it, a
// recovery code.
func withReauth(t *testing.T, b *browser, email string, kv ...string) url.Values {
	t.Helper()
	f := form(kv...)
	f.Set("password", password)
	mfaMu.Lock()
	m := mfaOf[b.base.String()+" "+email]
	mfaMu.Unlock()
	if m != nil {
		f.Set("code", m.nextRecovery(t))
	}
	return f
}

// helperMFA returns the second factor a helper enrolled for email.
func helperMFA(t *testing.T, email string, b *browser) *webMFA {
	t.Helper()
	mfaMu.Lock()
	defer mfaMu.Unlock()
	m := mfaOf[b.base.String()+" "+email]
	if m == nil {
		t.Fatalf("%s is asked for a code, but no helper enrolled it", email)
	}
	return m
}

func TestMFAPagesFlow(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	b := newBrowser(t, srv)
	signUp(t, b, "Ada Lovelace", "ada@example.com")
	wantRedirect(t, b.post("/login", form("email", "ada@example.com", "password", password)), "/library")

	// The admin must enrol first: pages send her to enrolment, forms are
	// refused, the enrolment page works.
	wantRedirect(t, b.get("/library"), "/account/mfa")
	wantRedirect(t, b.get("/account"), "/account/mfa")
	wantStatus(t, b.post("/account/name", form("name", "Ada")), http.StatusForbidden)
	wantContains(t, b.get("/account/mfa"), "Your account must use two-step sign-in")

	m := enrolPages(t, b)
	wantStatus(t, b.get("/library"), http.StatusOK)
	acct := b.get("/account")
	wantContains(t, acct, "Two-step sign-in", "10 recovery codes left", `name="code"`)
	// The recovery codes are shown once: not on the page afterwards.
	wantNotContains(t, b.get("/account/mfa"), m.recovery[0])

	// Sign in again: password, then the code page.
	b2 := newBrowser(t, srv)
	r := b2.post("/login", form("email", "ada@example.com", "password", password, "next", "/trash"))
	wantRedirect(t, r, "/login/code?next=%2Ftrash")
	if b2.cookie("safelight_session") != "" || b2.cookie("safelight_pending") == "" {
		t.Fatalf("after the password step: session %q, pending %q; want a pending cookie only", b2.cookie("safelight_session"), b2.cookie("safelight_pending"))
	}
	wantRedirect(t, b2.get("/library"), "/login?next=%2Flibrary") // not signed in yet
	page := b2.get("/login/code?next=%2Ftrash")
	wantContains(t, page, `autocomplete="one-time-code"`, `name="next" value="/trash"`)
	wantStatus(t, b2.post("/login/code", form("code", "000000", "next", "/trash")), http.StatusUnauthorized)
	code, _ := totp.GenerateCode(m.secret, time.Now().Add(30*time.Second))
	wantRedirect(t, b2.post("/login/code", form("code", code, "next", "/trash")), "/trash")
	if b2.cookie("safelight_session") == "" || b2.cookie("safelight_pending") != "" {
		t.Error("after the code step: want a session cookie and no pending cookie")
	}
	wantStatus(t, b2.get("/library"), http.StatusOK)

	// A pending sign-in dies when the password changes meanwhile.
	b3 := newBrowser(t, srv)
	wantRedirect(t, b3.post("/login", form("email", "ada@example.com", "password", password)), "/login/code")
	const newPassword = "another darkroom lamp 43"
	wantRedirect(t, b.post("/account/password", form("current_password", password, "new_password", newPassword, "code", m.nextRecovery(t))), "/account")
	r = b3.post("/login/code", form("code", m.nextRecovery(t)))
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, "This sign-in has expired")
	// Without a pending sign-in the code page sends back to the password.
	wantRedirect(t, newBrowser(t, srv).get("/login/code"), "/login")

	// The password form needs the code while MFA is on.
	wantStatus(t, b.post("/account/password", form("current_password", newPassword, "new_password", password)), http.StatusForbidden)

	// New recovery codes, then turning it off, need re-authentication.
	wantStatus(t, b.post("/account/mfa/recovery-codes", form("password", "not the password", "code", m.recovery[0])), http.StatusForbidden)
	r = b.post("/account/mfa/recovery-codes", form("password", newPassword, "code", m.nextRecovery(t)))
	wantStatus(t, r, http.StatusOK)
	fresh := recoveryRe.FindAllStringSubmatch(r.body, -1)
	if len(fresh) != 10 {
		t.Fatalf("new recovery codes shown: %d; want 10", len(fresh))
	}
	wantStatus(t, b.post("/account/mfa/disable", form("password", newPassword, "code", m.recovery[0])), http.StatusForbidden) // replaced
	wantRedirect(t, b.post("/account/mfa/disable", form("password", newPassword, "code", fresh[0][1])), "/account/mfa")
	wantRedirect(t, b.get("/library"), "/account/mfa") // the admin must enrol again
}
