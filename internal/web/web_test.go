package web_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"safelight/internal/access"
	"safelight/internal/app"
	"safelight/internal/app/apptest"
)

const (
	password    = "violet darkroom lamp 42"
	newPassword = "amber fixer bath 1978"
)

// newServer starts a real instance (SQLite, disk blobs, root key file) in
// a temporary data directory behind httptest.
func newServer(t *testing.T, extra ...string) (*app.App, *httptest.Server) {
	return apptest.Start(t, extra...)
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see every 303 and its Location.
type browser struct {
	t    *testing.T
	base *url.URL
	http *http.Client
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(srv.URL)
	return &browser{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	method, path string
	status       int
	header       http.Header
	body         string
}

func (r response) location() string { return r.header.Get("Location") }

func (b *browser) do(method, path string, form url.Values, header http.Header) response {
	b.t.Helper()
	if form == nil {
		return b.send(method, path, nil, header)
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, vs := range header {
		h[k] = vs
	}
	return b.send(method, path, strings.NewReader(form.Encode()), h)
}

// send makes a request with any body.
func (b *browser) send(method, path string, body io.Reader, header http.Header) response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.base.String()+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{method: method, path: path, status: res.StatusCode, header: res.Header, body: string(data)}
}

// get fetches a page and checks that it is sound HTML (see checkPage)
// unless it is a redirect.
func (b *browser) get(path string) response {
	b.t.Helper()
	r := b.do(http.MethodGet, path, nil, nil)
	if r.status < 300 || r.status >= 400 {
		checkPage(b.t, r)
	}
	return r
}

// post submits a form the way a same-origin page would, and checks the
// answer like get.
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	r := b.do(http.MethodPost, path, form, http.Header{"Origin": {b.base.Scheme + "://" + b.base.Host}, "Sec-Fetch-Site": {"same-origin"}})
	if r.status < 300 || r.status >= 400 {
		checkPage(b.t, r)
	}
	return r
}

func (b *browser) cookie(name string) string {
	for _, c := range b.http.Jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

var (
	reQuoted      = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	reStyleAttr   = regexp.MustCompile(`(?i)\sstyle\s*=`)
	reStyleElem   = regexp.MustCompile(`(?i)<style[\s>]`)
	reEventAttr   = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	reScript      = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	reAttr        = func(name string) *regexp.Regexp { return regexp.MustCompile(`(?i)\s` + name + `="([^"]*)"`) }
	reSrc         = reAttr("src")
	reNonce       = reAttr("nonce")
	reID          = reAttr("id")
	reType        = reAttr("type")
	reInput       = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	reButton      = regexp.MustCompile(`(?is)<button\b[^>]*>(.*?)</button>`)
	reTags        = regexp.MustCompile(`(?s)<[^>]*>`)
	reImg         = regexp.MustCompile(`(?is)<img\b[^>]*>`)
	reTitle       = regexp.MustCompile(`(?is)<title>(.*?)</title>`)
	reCSPNonce    = regexp.MustCompile(`'nonce-([^']+)'`)
	reStaticRef   = regexp.MustCompile(`(?:href|src)="(/static/[^"#]+)`)
	reTokenSecret = regexp.MustCompile(`slp_[A-Za-z0-9_-]{43}`)
)

// checkPage asserts what every HTML page must be: text/html, a title
// "<Page> · Safelight", no inline style (CSP style-src 'self'), no inline
// script or handler without the request's nonce, a label for every visible
// form control, a name for every button, alt text on every image.
func checkPage(t *testing.T, r response) {
	t.Helper()
	where := r.method + " " + r.path
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type = %q; want text/html", where, ct)
		return
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control = %q; want no-store", where, cc)
	}
	m := reTitle.FindStringSubmatch(r.body)
	if m == nil || !strings.HasSuffix(m[1], " · Safelight") || len(m[1]) <= len(" · Safelight") {
		t.Errorf("%s: title = %q; want \"<Page> · Safelight\"", where, m)
	}
	// Attribute values are escaped, so a tag ends at the first ">"; look
	// at attribute names only, not at values (which may quote user text).
	for _, tag := range reTags.FindAllString(r.body, -1) {
		names := reQuoted.ReplaceAllString(tag, `""`)
		if reStyleAttr.MatchString(names) {
			t.Errorf("%s: inline style attribute: %s", where, tag)
		}
		if reEventAttr.MatchString(names) {
			t.Errorf("%s: inline event handler: %s", where, tag)
		}
	}
	if reStyleElem.MatchString(r.body) {
		t.Errorf("%s: inline <style> element", where)
	}
	nonce := ""
	if m := reCSPNonce.FindStringSubmatch(r.header.Get("Content-Security-Policy")); m != nil {
		nonce = m[1]
	}
	for _, s := range reScript.FindAllStringSubmatch(r.body, -1) {
		attrs, inline := s[1], strings.TrimSpace(s[2])
		src := reSrc.FindStringSubmatch(attrs)
		n := reNonce.FindStringSubmatch(attrs)
		switch {
		case src != nil && inline != "":
			t.Errorf("%s: script with both src and a body", where)
		case src != nil && !strings.HasPrefix(src[1], "/static/"):
			t.Errorf("%s: script from %q; want a same-origin /static/ file", where, src[1])
		case src == nil && (nonce == "" || n == nil || html.UnescapeString(n[1]) != nonce):
			t.Errorf("%s: inline script without the request's nonce: %s", where, s[0])
		}
	}
	for _, in := range reInput.FindAllString(r.body, -1) {
		if typ := reType.FindStringSubmatch(in); typ != nil && typ[1] == "hidden" {
			continue
		}
		id := reID.FindStringSubmatch(in)
		if id == nil {
			t.Errorf("%s: input without id (so without a label): %s", where, in)
			continue
		}
		if !strings.Contains(r.body, `<label for="`+id[1]+`"`) && !regexp.MustCompile(`<label[^>]*for="`+regexp.QuoteMeta(id[1])+`"`).MatchString(r.body) {
			t.Errorf("%s: input #%s has no label", where, id[1])
		}
	}
	for _, b := range reButton.FindAllStringSubmatch(r.body, -1) {
		if strings.TrimSpace(reTags.ReplaceAllString(b[1], "")) == "" {
			t.Errorf("%s: button without a text name: %s", where, b[0])
		}
	}
	for _, img := range reImg.FindAllString(r.body, -1) {
		if !strings.Contains(img, "alt=") {
			t.Errorf("%s: image without alt text: %s", where, img)
		}
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s %s: status %d; want %d\n%s", r.method, r.path, r.status, want, excerpt(r.body))
	}
}

func wantRedirect(t *testing.T, r response, want string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.location() != want {
		t.Fatalf("%s %s: %d Location %q; want 303 to %q\n%s", r.method, r.path, r.status, r.location(), want, excerpt(r.body))
	}
}

func wantContains(t *testing.T, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s %s: body lacks %q", r.method, r.path, s)
		}
	}
}

func wantNotContains(t *testing.T, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(r.body, s) {
			t.Errorf("%s %s: body contains %q; it must not", r.method, r.path, s)
		}
	}
}

func excerpt(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

func signUp(t *testing.T, b *browser, name, email string, extra ...string) {
	t.Helper()
	f := form(append([]string{"name", name, "email", email, "password", password}, extra...)...)
	wantRedirect(t, b.post("/signup", f), "/login?signed_up=1")
}

func signIn(t *testing.T, b *browser, email, pw string) {
	t.Helper()
	r := b.post("/login", form("email", email, "password", pw))
	r, _ = codeStep(t, b, email, pw, r) // accounts a helper enrolled in MFA (mfa_test.go)
	wantRedirect(t, r, "/library")
	if b.cookie("safelight_session") == "" {
		t.Fatal("no safelight_session cookie after sign-in")
	}
}

// newAccount starts a server and signs its first account (the admin) in.
func newAccount(t *testing.T, extra ...string) (*httptest.Server, *browser) {
	t.Helper()
	_, srv := newServer(t, extra...)
	b := newBrowser(t, srv)
	signUp(t, b, "Ada Lovelace", "ada@example.com")
	signIn(t, b, "ada@example.com", password)
	enrolIfRequired(t, b, "ada@example.com") // the admin must use MFA (mfa_test.go)
	return srv, b
}

// sessionIDs returns the session ids listed on an account page: the
// current one and the others.
func sessionIDs(t *testing.T, body string) (current string, others []string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)<li class="row session( is-current)?">.*?action="/account/sessions/([^/"]+)/revoke(?:#devices)?"`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		if m[1] != "" {
			if current != "" {
				t.Fatal("two sessions marked current")
			}
			current = m[2]
		} else {
			others = append(others, m[2])
		}
	}
	return current, others
}

func TestSignUpSignInLibraryAccount(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	b := newBrowser(t, srv)

	wantRedirect(t, b.get("/"), "/login")

	r := b.get("/signup")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Create account · Safelight</title>", `name="name"`, `name="email"`, `name="password"`,
		"At least 10 characters", "Common passwords")
	wantNotContains(t, r, "Sign out") // no signed-in navigation yet

	signUp(t, b, "Ada Lovelace", "ada@example.com")
	r = b.get("/login?signed_up=1")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Account created. Sign in to continue.", "<title>Sign in · Safelight</title>")
	wantNotContains(t, b.get("/login"), "Account created.")

	signIn(t, b, "ada@example.com", password)
	enrolIfRequired(t, b, "ada@example.com") // the admin must use MFA (mfa_test.go)
	wantRedirect(t, b.get("/"), "/library")

	r = b.get("/library")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Library · Safelight</title>", "Your library is empty", `id="library-grid"`,
		`action="/logout"`, "Sign out", `href="/account"`, `aria-current="page"`, `href="/upload"`, `href="/trash"`)

	r = b.get("/account")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Account · Safelight</title>", "Ada Lovelace", "ada@example.com", "This device",
		"Account created", "Signed in", "127.0.0.1", `action="/account/name"`, `action="/account/password"`,
		`action="/account/tokens#tokens"`, "Invite someone") // the first account is the admin
	current, others := sessionIDs(t, r.body)
	if current == "" || len(others) != 0 {
		t.Errorf("account sessions: current %q, others %v; want exactly the current one", current, others)
	}

	// A signed-in visitor on the sign-in page goes on.
	wantRedirect(t, b.get("/login?next=%2Faccount"), "/account")
}

func TestSignupAnswersTheSameForAnAddressInUse(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t, "--signup", "open")
	b := newBrowser(t, srv)
	first := b.post("/signup", form("name", "Ada", "email", "ada@example.com", "password", password))
	second := b.post("/signup", form("name", "Mallory", "email", "ADA@example.com", "password", "another long passphrase"))
	wantRedirect(t, first, "/login?signed_up=1")
	wantRedirect(t, second, "/login?signed_up=1")
	if first.body != second.body {
		t.Errorf("sign-up answers differ for a new and a used address:\n%q\n%q", first.body, second.body)
	}
	// The real owner still signs in with their own password, and only that.
	signIn(t, b, "ada@example.com", password)
	enrolIfRequired(t, b, "ada@example.com") // the admin must use MFA (mfa_test.go)
	r := newBrowser(t, srv).post("/login", form("email", "ada@example.com", "password", "another long passphrase"))
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, b.get("/account"), "Someone tried to create an account with your e-mail address")
}

func TestSignupFieldErrors(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	b := newBrowser(t, srv)
	tests := []struct {
		name       string
		form       url.Values
		status     int
		want       []string
		wantAbsent []string
	}{
		{"short password", form("name", "Ada", "email", "ada@example.com", "password", "short-pw1"), http.StatusBadRequest,
			[]string{"Password must be at least 10 characters long.", `value="Ada"`, `value="ada@example.com"`, `aria-invalid="true"`},
			[]string{"short-pw1"}},
		{"common password", form("name", "Ada", "email", "ada@example.com", "password", "password123"), http.StatusBadRequest,
			[]string{"This password is too common", `value="ada@example.com"`}, []string{"password123"}},
		{"missing fields", form("email", "ada@example.com"), http.StatusBadRequest,
			[]string{"Enter your name.", "Choose a password.", `value="ada@example.com"`}, nil},
		{"bad address", form("name", "Ada", "email", "not-an-address", "password", password), http.StatusBadRequest,
			[]string{"Enter a valid e-mail address.", `value="not-an-address"`}, []string{password}},
		{"markup is escaped", form("name", `<b onmouseover="x()">Ada</b>`, "email", "ada@example.com", "password", "short"), http.StatusBadRequest,
			[]string{`value="&lt;b onmouseover=&#34;x()&#34;&gt;Ada&lt;/b&gt;"`}, []string{`<b onmouseover`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post("/signup", tt.form)
			wantStatus(t, r, tt.status)
			wantContains(t, r, tt.want...)
			wantNotContains(t, r, tt.wantAbsent...)
		})
	}
	// Nothing was created: signing in fails.
	wantStatus(t, b.post("/login", form("email", "ada@example.com", "password", password)), http.StatusUnauthorized)
}

func TestSignupPolicies(t *testing.T) {
	t.Parallel()
	t.Run("invite after the first account", func(t *testing.T) {
		t.Parallel()
		srv, _ := newAccount(t)
		b := newBrowser(t, srv)
		r := b.get("/signup")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "by invitation")
		wantNotContains(t, r, `action="/signup"`)
		wantNotContains(t, b.get("/login"), `href="/signup"`)
		r = b.post("/signup", form("name", "Eve", "email", "eve@example.com", "password", password))
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r, "Sign-up on this instance needs an invitation.")
		r = b.post("/signup", form("name", "Eve", "email", "eve@example.com", "password", password, "invite", "sli_forged"))
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, "This invitation is not valid or has expired.", `value="eve@example.com"`)
	})
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		_, srv := newServer(t, "--signup", "closed")
		b := newBrowser(t, srv)
		r := b.get("/signup")
		wantContains(t, r, "Sign-up is closed")
		wantNotContains(t, r, `action="/signup"`)
		wantStatus(t, b.post("/signup", form("name", "Eve", "email", "eve@example.com", "password", password)), http.StatusForbidden)
	})
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	srv, _ := newAccount(t)
	b := newBrowser(t, srv)

	r := b.post("/login", form("email", "ada@example.com", "password", "wrong password here"))
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, "E-mail or password is incorrect.", `value="ada@example.com"`)
	wantNotContains(t, r, "wrong password here")
	if b.cookie("safelight_session") != "" {
		t.Error("a failed sign-in set a session cookie")
	}

	r = b.post("/login", form("email", "", "password", ""))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Enter your e-mail address.", "Enter your password.")

	r = b.post("/login", form("email", "ada@example.com"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Enter your password.", `value="ada@example.com"`)
	wantNotContains(t, r, "Enter your e-mail address.")

	// Ten failures lock the account for browsers it does not know.
	for range 9 {
		wantStatus(t, b.post("/login", form("email", "ada@example.com", "password", "wrong password here")), http.StatusUnauthorized)
	}
	r = b.post("/login", form("email", "ada@example.com", "password", password))
	wantStatus(t, r, http.StatusTooManyRequests)
	wantContains(t, r, "Too many failed sign-in attempts; try again in", `value="ada@example.com"`)
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q; want a positive number of seconds", ra)
	}
}

func TestLoginNextIsLocalOnly(t *testing.T) {
	t.Parallel()
	srv, _ := newAccount(t)
	tests := []struct {
		next, want string
	}{
		{"/account", "/account"},
		{"/account?x=1#top", "/account?x=1#top"},
		{"", "/library"},
		{"//evil.example", "/library"},
		{"//evil.example/account", "/library"},
		{"https://evil.example", "/library"},
		{"https://evil.example/account", "/library"},
		{`/\evil.example`, "/library"},
		{`\\evil.example`, "/library"},
		{"/\t/evil.example", "/library"},
		{"javascript:alert(1)", "/library"},
		{"account", "/library"},
		{"http:/evil.example", "/library"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			b := newBrowser(t, srv)
			r := b.get("/login?next=" + url.QueryEscape(tt.next))
			wantStatus(t, r, http.StatusOK)
			if tt.want == "/library" {
				wantNotContains(t, r, "evil", `name="next"`)
			} else {
				wantContains(t, r, `name="next"`)
			}
			r = b.post("/login", form("email", "ada@example.com", "password", password, "next", tt.next))
			r, _ = codeStep(t, b, "ada@example.com", password, r) // the admin uses MFA (mfa_test.go)
			wantRedirect(t, r, tt.want)
		})
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	t.Parallel()
	srv, b := newAccount(t)
	attacks := []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"https://evil.example"}},
	}
	for _, h := range attacks {
		other := newBrowser(t, srv)
		r := other.do(http.MethodPost, "/login", form("email", "ada@example.com", "password", password), h)
		wantStatus(t, r, http.StatusForbidden)
		if other.cookie("safelight_session") != "" {
			t.Errorf("cross-site sign-in (%v) set a session cookie", h)
		}
		r = b.do(http.MethodPost, "/account/name", form("name", "Mallory"), h)
		wantStatus(t, r, http.StatusForbidden)
		// A browser gets the refusal as a page, not as JSON.
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("refused cross-site form: Content-Type %q; want text/html", ct)
		}
	}
	r := b.get("/account")
	wantContains(t, r, `value="Ada Lovelace"`)
	wantNotContains(t, r, "Mallory", "Profile changed")
	// The same form from the site itself works.
	wantRedirect(t, b.post("/account/name", form("name", "Ada King")), "/account")
	wantContains(t, b.get("/account"), `value="Ada King"`)
}

func TestUpdateName(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	r := b.post("/account/name", form("name", "   "))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Enter a name of at most 200 characters.")

	wantRedirect(t, b.post("/account/name", form("name", "Ada King")), "/account")
	r = b.get("/account")
	wantContains(t, r, "Your name was saved.", "Signed in as Ada King", "Profile changed")
	// The notice shows once.
	wantNotContains(t, b.get("/account"), "Your name was saved.")
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	srv, a := newAccount(t)
	other := newBrowser(t, srv)
	signIn(t, other, "ada@example.com", password)

	r := a.post("/account/password", form("current_password", "not my password", "new_password", newPassword))
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "The current password is not correct.")
	wantNotContains(t, r, "not my password", newPassword)

	r = a.post("/account/password", form("current_password", password, "new_password", "short"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Password must be at least 10 characters long.")

	wantRedirect(t, a.post("/account/password", form("current_password", password, "new_password", newPassword,
		"code", helperMFA(t, "ada@example.com", a).nextRecovery(t))), "/account") // the admin uses MFA (mfa_test.go)
	wantContains(t, a.get("/account"), "Your password was changed.", "Password changed", "1 other device signed out")
	wantRedirect(t, other.get("/library"), "/login?next=%2Flibrary")

	fresh := newBrowser(t, srv)
	wantStatus(t, fresh.post("/login", form("email", "ada@example.com", "password", password)), http.StatusUnauthorized)
	signIn(t, fresh, "ada@example.com", newPassword)
}

func TestTokenSecretShownOnce(t *testing.T) {
	t.Parallel()
	srv, b := newAccount(t)

	r := b.post("/account/tokens", form("name", ""))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Give the token a name")

	// Making a token needs the password and the second factor.
	r = b.post("/account/tokens", form("name", "Backup script"))
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "Enter your current password to confirm")
	r = b.post("/account/tokens", form("name", "Backup script", "password", "not my password"))
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "The current password is not correct", `value="Backup script"`)
	r = b.post("/account/tokens", withReauth(t, b, "ada@example.com", "name", "Backup script"))
	wantStatus(t, r, http.StatusOK)
	secret := reTokenSecret.FindString(r.body)
	if secret == "" {
		t.Fatalf("token page shows no secret:\n%s", excerpt(r.body))
	}
	wantContains(t, r, "Token “Backup script” created", "shown only this once", `data-copy="new-token-value"`, `/static/copy.js`)

	// The secret is real.
	api := func() int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := api(); got != http.StatusOK {
		t.Fatalf("API with the new token: %d; want 200", got)
	}

	r = b.get("/account")
	wantContains(t, r, "Backup script", "Last used")
	wantNotContains(t, r, secret, "new-token-value", "copy.js")
	if reTokenSecret.MatchString(r.body) {
		t.Error("account page shows a token secret after the creating answer")
	}

	m := regexp.MustCompile(`action="/account/tokens/([^/"]+)/revoke"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no revoke form for the token")
	}
	wantRedirect(t, b.post("/account/tokens/"+m[1]+"/revoke", nil), "/account")
	r = b.get("/account")
	wantContains(t, r, "The token was revoked.", "You have no access tokens.", "Access token revoked")
	if got := api(); got != http.StatusUnauthorized {
		t.Errorf("API with a revoked token: %d; want 401", got)
	}
	wantStatus(t, b.post("/account/tokens/"+m[1]+"/revoke", nil), http.StatusNotFound)
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	srv, a := newAccount(t)
	other := newBrowser(t, srv)
	signIn(t, other, "ada@example.com", password)
	wantStatus(t, other.get("/library"), http.StatusOK)

	current, others := sessionIDs(t, a.get("/account").body)
	if current == "" || len(others) != 1 {
		t.Fatalf("sessions: current %q, others %v; want one of each", current, others)
	}
	// Signing another device out needs the password.
	r := a.post("/account/sessions/"+others[0]+"/revoke", nil)
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "Enter your current password to confirm")
	wantStatus(t, a.post("/account/sessions/"+others[0]+"/revoke", form("password", "not my password")), http.StatusForbidden)
	wantStatus(t, other.get("/library"), http.StatusOK)
	wantRedirect(t, a.post("/account/sessions/"+others[0]+"/revoke", form("password", password)), "/account")
	r = a.get("/account")
	wantContains(t, r, "That device was signed out.", "A device was signed out")
	if c, o := sessionIDs(t, r.body); c != current || len(o) != 0 {
		t.Errorf("after revoking: current %q, others %v; want %q and none", c, o, current)
	}
	// The revoked browser is signed out.
	wantRedirect(t, other.get("/library"), "/login?next=%2Flibrary")
	wantRedirect(t, other.get("/account"), "/login?next=%2Faccount")

	// Someone else's or an unknown session is not found.
	wantStatus(t, a.post("/account/sessions/"+others[0]+"/revoke", form("password", password)), http.StatusNotFound)

	// "Sign out all other devices", with the password.
	third, fourth := newBrowser(t, srv), newBrowser(t, srv)
	signIn(t, third, "ada@example.com", password)
	signIn(t, fourth, "ada@example.com", password)
	wantContains(t, a.get("/account"), "Sign out all other devices", `id="devices-password"`)
	wantStatus(t, a.post("/account/sessions/revoke-others", form("password", "not my password")), http.StatusForbidden)
	wantStatus(t, third.get("/library"), http.StatusOK)
	wantRedirect(t, a.post("/account/sessions/revoke-others", form("password", password)), "/account")
	wantContains(t, a.get("/account"), "Every other device was signed out.")
	wantRedirect(t, third.get("/library"), "/login?next=%2Flibrary")
	wantRedirect(t, fourth.get("/library"), "/login?next=%2Flibrary")
	wantStatus(t, a.get("/library"), http.StatusOK)

	// Revoking this device signs out.
	wantRedirect(t, a.post("/account/sessions/"+current+"/revoke", nil), "/login")
	wantRedirect(t, a.get("/library"), "/login?next=%2Flibrary")
}

func TestLogout(t *testing.T) {
	t.Parallel()
	srv, b := newAccount(t)
	token := b.cookie("safelight_session")
	wantRedirect(t, b.post("/logout", nil), "/login")
	if b.cookie("safelight_session") != "" {
		t.Error("session cookie kept after sign-out")
	}
	wantRedirect(t, b.get("/library"), "/login?next=%2Flibrary")

	// The old cookie does not work any more either.
	replay := newBrowser(t, srv)
	replay.http.Jar.SetCookies(replay.base, []*http.Cookie{{Name: "safelight_session", Value: token, Path: "/"}})
	wantRedirect(t, replay.get("/account"), "/login?next=%2Faccount")

	// Signing out without a session is harmless.
	wantRedirect(t, newBrowser(t, srv).post("/logout", nil), "/login")
}

func TestAnonymousVisitorsAreSentToSignIn(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	b := newBrowser(t, srv)
	wantRedirect(t, b.get("/account"), "/login?next=%2Faccount")
	wantRedirect(t, b.get("/library"), "/login?next=%2Flibrary")
	r := b.post("/account/name", form("name", "Eve"))
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, "Sign in required", `href="/login"`)
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv, signedIn := newAccount(t)
	anon := newBrowser(t, srv)
	for _, path := range []string{"/no/such/page", "/library/extra/more", "/account/"} {
		r := anon.get(path)
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r, "<title>Page not found · Safelight</title>", `class="brand"`, `<footer class="site-footer">`, "Error 404")
		wantNotContains(t, r, "Sign out")
	}
	r := signedIn.get("/no/such/page")
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r, "Page not found", "Sign out", `href="/library"`)
	for _, path := range []string{"/library/extra", "/library/0197a000-0000-7000-8000-000000000000", "/library/..%2F..%2Faccount"} {
		r := signedIn.get(path)
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r, "Page not found")
	}
	wantStatus(t, signedIn.post("/no/such/page", nil), http.StatusNotFound)

	// API paths keep answering JSON.
	api := anon.do(http.MethodGet, "/api/v1/nope", nil, nil)
	if api.status != http.StatusNotFound || !strings.HasPrefix(api.header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /api/v1/nope: %d %q; want a JSON 404", api.status, api.header.Get("Content-Type"))
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	srv, admin := newAccount(t)

	r := admin.post("/account/invites", form("email", "not an address"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Enter a valid e-mail address.", `value="not an address"`)

	r = admin.post("/account/invites", form("email", "grace@example.com"))
	wantStatus(t, r, http.StatusOK)
	m := regexp.MustCompile(`value="(http[^"]*/signup\?invite=(sli_[A-Za-z0-9_-]+))"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no invitation link shown:\n%s", excerpt(r.body))
	}
	wantContains(t, r, "Invitation for grace@example.com", "shown only this once")
	wantNotContains(t, admin.get("/account"), m[2])

	guest := newBrowser(t, srv)
	r = guest.get("/signup?invite=" + url.QueryEscape(m[2]))
	wantContains(t, r, `name="invite" value="`+m[2]+`"`, `action="/signup"`)
	signUp(t, guest, "Grace Hopper", "grace@example.com", "invite", m[2])
	signIn(t, guest, "grace@example.com", password)
	r = guest.get("/account")
	wantContains(t, r, "Grace Hopper")
	wantNotContains(t, r, "Invite someone", `action="/account/invites`)
	wantStatus(t, guest.post("/account/invites", form("email", "eve@example.com")), http.StatusNotFound)
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	pages := []string{b.get("/library").body, b.get("/login").body, b.post("/account/tokens", withReauth(t, b, "ada@example.com", "name", "x")).body}
	refs := map[string]bool{}
	for _, body := range pages {
		for _, m := range reStaticRef.FindAllStringSubmatch(body, -1) {
			refs[strings.ReplaceAll(m[1], "&amp;", "&")] = true
		}
	}
	for _, want := range []string{"app.css", "icons.svg", "copy.js", "favicon.svg"} {
		found := false
		for ref := range refs {
			found = found || strings.HasPrefix(ref, "/static/"+want+"?v=")
		}
		if !found {
			t.Errorf("no page references /static/%s?v=…; references: %v", want, refs)
		}
	}
	types := map[string]string{".css": "text/css", ".svg": "image/svg+xml", ".js": "text/javascript"}
	for ref := range refs {
		r := b.do(http.MethodGet, ref, nil, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d; want 200", ref, r.status)
			continue
		}
		if cc := r.header.Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("GET %s: Cache-Control %q", ref, cc)
		}
		u, _ := url.Parse(ref)
		ext := u.Path[strings.LastIndex(u.Path, "."):]
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, types[ext]) {
			t.Errorf("GET %s: Content-Type %q; want %s", ref, ct, types[ext])
		}
		if etag := r.header.Get("ETag"); etag == "" {
			t.Errorf("GET %s: no ETag", ref)
		} else if rr := b.do(http.MethodGet, ref, nil, http.Header{"If-None-Match": {etag}}); rr.status != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: %d; want 304", ref, rr.status)
		}
	}
	css := b.do(http.MethodGet, "/static/app.css", nil, nil).body
	for _, want := range []string{"prefers-reduced-motion", ":focus-visible", "#242424", "@media (max-width"} {
		if !strings.Contains(css, want) {
			t.Errorf("app.css lacks %q", want)
		}
	}
	if strings.Contains(css, "@import") || strings.Contains(css, "url(http") || strings.Contains(css, "@font-face") {
		t.Error("app.css loads something from elsewhere")
	}
	for _, path := range []string{"/static/", "/static/nope.css", "/static/templates/layout.html", "/static/%2e%2e/web.go"} {
		if r := b.do(http.MethodGet, path, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d; want 404", path, r.status)
		}
	}
}

func TestRoutePolicies(t *testing.T) {
	t.Parallel()
	a, _ := newServer(t)
	want := map[string]access.Policy{
		"GET /{$}":                           access.Public,
		"GET /login":                         access.Public,
		"POST /login":                        access.Public,
		"GET /signup":                        access.Public,
		"POST /signup":                       access.Public,
		"POST /logout":                       access.Public,
		"GET /library":                       access.Authenticated,
		"GET /library/{id}":                  access.Authenticated,
		"POST /library/{id}/trash":           access.Authenticated,
		"POST /library/{id}/restore":         access.Authenticated,
		"GET /upload":                        access.Authenticated,
		"GET /trash":                         access.Authenticated,
		"POST /trash/empty":                  access.Authenticated,
		"POST /account/library-settings":     access.Authenticated,
		"GET /account":                       access.Authenticated,
		"POST /account/name":                 access.Authenticated,
		"GET /account/email":                 access.AccountSecurity,
		"POST /account/email":                access.AccountSecurity,
		"GET /confirm-email-change":          access.Public,
		"POST /confirm-email-change":         access.Public,
		"POST /account/password":             access.Authenticated,
		"POST /account/sessions/{id}/revoke": access.Authenticated,
		"POST /account/tokens":               access.Authenticated,
		"POST /account/tokens/{id}/revoke":   access.Authenticated,
		"POST /account/invites":              access.Admin,
		"/":                                  access.Public,
		"GET /static/":                       access.Public,
		// Projects: signed in; package sharing decides the grant (projects_*.go).
		"GET /projects":                                  access.Authenticated,
		"POST /projects":                                 access.Authenticated,
		"GET /projects/{id}":                             access.Authenticated,
		"GET /projects/{id}/access":                      access.Authenticated,
		"POST /projects/{id}/settings":                   access.Authenticated,
		"POST /projects/{id}/delete":                     access.Authenticated,
		"POST /projects/{id}/members":                    access.Authenticated,
		"POST /projects/{id}/members/{member_id}":        access.Authenticated,
		"POST /projects/{id}/members/{member_id}/remove": access.Authenticated,
		"POST /projects/{id}/links":                      access.Authenticated,
		"POST /projects/{id}/links/{link_id}/password":   access.Authenticated,
		"POST /projects/{id}/links/{link_id}/revoke":     access.Authenticated,
		// Review links: the token in the path is the credential (share_*.go).
		"GET /s/{token}":         access.Public,
		"POST /s/{token}/unlock": access.Public,
		"POST /s/{token}/guest":  access.Public,
		// Organizations, call management and jury: signed in; package calls
		// decides the grant (orgs_pages.go).
		"GET /orgs":                                         access.Authenticated,
		"POST /orgs":                                        access.Authenticated,
		"GET /orgs/{id}":                                    access.Authenticated,
		"POST /orgs/{id}/members":                           access.Authenticated,
		"POST /orgs/{id}/members/{member}":                  access.Authenticated,
		"POST /orgs/{id}/members/{member}/remove":           access.Authenticated,
		"POST /orgs/{id}/calls":                             access.Authenticated,
		"GET /calls/{id}/manage":                            access.Authenticated,
		"POST /calls/{id}/manage/settings":                  access.Authenticated,
		"POST /calls/{id}/manage/terms":                     access.Authenticated,
		"POST /calls/{id}/manage/publish":                   access.Authenticated,
		"POST /calls/{id}/manage/cover":                     access.Authenticated,
		"POST /calls/{id}/manage/entries/{entry}/award":     access.Authenticated,
		"POST /calls/{id}/manage/entries/{entry}/originals": access.Authenticated,
		"POST /calls/{id}/manage/rounds":                    access.Authenticated,
		"POST /calls/{id}/manage/results":                   access.Authenticated,
		"GET /jury":                                         access.Authenticated,
		"GET /jury/{round}":                                 access.Authenticated,
		"POST /jury/{round}/close":                          access.Authenticated,
		"POST /jury/{round}/shortlist":                      access.Authenticated,
		// Calls for entries, public pages: package calls shows drafts to
		// their organization only (calls_public.go).
		"GET /calls":                      access.Public,
		"GET /calls/{id}":                 access.Public,
		"GET /calls/{id}/terms":           access.Public,
		"GET /calls/{id}/terms/{version}": access.Public,
		"GET /calls/{id}/results":         access.Public,
		// The entrant's pages: signed in; only their own entries (entries_*.go).
		"POST /calls/{id}/enter":                       access.Authenticated,
		"GET /entries":                                 access.Authenticated,
		"GET /consents/{id}":                           access.Authenticated,
		"GET /terms":                                   access.Public,
		"GET /account/privacy":                         access.Authenticated,
		"POST /account/privacy/export":                 access.Authenticated,
		"POST /account/privacy/erase":                  access.Authenticated,
		"POST /account/privacy/erase/cancel":           access.Authenticated,
		"POST /account/privacy/restrict":               access.Authenticated,
		"POST /account/privacy/restrict/lift":          access.Authenticated,
		"POST /account/privacy/notifications":          access.Authenticated,
		"POST /account/privacy/consents/{id}/withdraw": access.Authenticated,
		"GET /entries/{id}":                            access.Authenticated,
		"POST /entries/{id}":                           access.Authenticated,
		"POST /entries/{id}/submit":                    access.Authenticated,
		"POST /entries/{id}/withdraw":                  access.Authenticated,
		"POST /entries/originals-requests/{id}/decide": access.Authenticated,
		"POST /entries/consents/{id}/withdraw":         access.Authenticated,
		// The records of processing: readable before signing up (privacy_page.go).
		"GET /privacy": access.Public,
		// The staff console: a section per role; each action for its role
		// only (staff*.go).
		"GET /staff":                          access.Staff,
		"GET /staff/accounts/{id}":            access.Support,
		"POST /staff/accounts/{id}/disable":   access.Support,
		"POST /staff/accounts/{id}/mfa-reset": access.Support,
		"POST /staff/breaches":                access.DPO,
	}
	got := map[string]access.Policy{}
	for _, r := range a.Routes() {
		got[r.Pattern] = r.Policy
	}
	for pattern, pol := range want {
		if g, ok := got[pattern]; !ok {
			t.Errorf("route %q not registered", pattern)
		} else if g.Name() != pol.Name() {
			t.Errorf("route %q policy %s; want %s", pattern, g.Name(), pol.Name())
		}
	}
}
