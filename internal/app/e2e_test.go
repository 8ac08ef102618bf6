package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
)

const password = "violet darkroom lamp 42"

// newServer starts a real instance (SQLite, disk blobs, root key file) in a
// temporary data directory behind httptest.
func newServer(t *testing.T, extra ...string) (*app.App, *httptest.Server) {
	return apptest.Start(t, extra...)
}

// client is a browser-like API client with a cookie jar.
type client struct {
	t      *testing.T
	base   string
	http   *http.Client
	bearer string
	header http.Header
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, header: http.Header{}}
}

type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case rawBody:
		rd, ctype = bytes.NewReader(b.data), b.ctype
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(raw, &r.json)
	}
	return r
}

// rawBody is a request body with its own content type.
type rawBody struct {
	ctype string
	data  []byte
}

func (c *client) must(want int, method, path string, body any) response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != want {
		c.t.Fatalf("%s %s = %d %s; want %d", method, path, r.status, r.body, want)
	}
	return r
}

func signUpAndLogin(t *testing.T, srv *httptest.Server, email string) *client {
	t.Helper()
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": email, "password": password, "name": "Ann Adams"})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	enrolIfRequired(t, c, email) // the first account is the admin, which must use MFA (mfa_test.go)
	return c
}

// withReauth adds to fields what a sensitive API change needs from
// email's account: the password (the tests' one) and, for an account a
// helper enrolled in TOTP, a recovery code.
func withReauth(t *testing.T, c *client, email string, fields map[string]string) map[string]string {
	t.Helper()
	body := map[string]string{"password": password}
	if m := mfaOf[c.base+" "+email]; m != nil {
		body["code"] = m.nextRecovery(t)
	}
	for k, v := range fields {
		body[k] = v
	}
	return body
}

func TestAccountFlow(t *testing.T) {
	_, srv := newServer(t)
	c := newClient(t, srv)
	r := c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	if r.json["email"] != "ann@example.com" || r.json["id"] == "" || r.json["password"] != nil {
		t.Errorf("signup answer = %s", r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("signup set cookies %v; it must not sign in", r.header.Values("Set-Cookie"))
	}
	c.must(401, "GET", "/api/v1/me", nil)

	r = c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ANN@example.com", "password": password})
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "safelight_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, Path=/", session)
	}
	me := c.must(200, "GET", "/api/v1/me", nil)
	enrolIfRequired(t, c, "ann@example.com") // the admin must use MFA (mfa_test.go)
	if me.json["name"] != "Ann" || me.json["roles"].([]any)[0] != "admin" {
		t.Errorf("GET /me = %s; want Ann, roles [admin]", me.body)
	}
	if me.header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET /me Cache-Control = %q; want no-store", me.header.Get("Cache-Control"))
	}
	ss := c.must(200, "GET", "/api/v1/me/sessions", nil).json["items"].([]any)
	if len(ss) != 1 || ss[0].(map[string]any)["current"] != true || ss[0].(map[string]any)["ip"] != "127.0.0.1" {
		t.Errorf("sessions = %v; want one current session from 127.0.0.1", ss)
	}
	c.must(200, "PATCH", "/api/v1/me", map[string]string{"name": "Ann B."})
	if got := c.must(200, "GET", "/api/v1/me", nil).json["name"]; got != "Ann B." {
		t.Errorf("name after PATCH = %v", got)
	}
	ev := c.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any)
	if len(ev) < 3 {
		t.Errorf("security events = %d; want signup, login, profile change", len(ev))
	}
	c.must(204, "POST", "/api/v1/auth/logout", nil)
	c.must(401, "GET", "/api/v1/me", nil)

	// The old cookie is dead server-side, not only removed from the jar.
	stale := newClient(t, srv)
	u, _ := url.Parse(srv.URL)
	stale.http.Jar.SetCookies(u, []*http.Cookie{{Name: "safelight_session", Value: session.Value}})
	stale.must(401, "GET", "/api/v1/me", nil)
}

func TestBadInputChangesNothing(t *testing.T) {
	// More sign-up attempts than the default limit allows from one address.
	a, srv := newServer(t, "--rate-limits", "signup=100/1h")
	c := newClient(t, srv)
	big := `{"email":"a@example.com","password":"` + strings.Repeat("x", 10<<20) + `","name":"A"}`
	tests := []struct {
		name, body string
		ctype      string
		status     int
		msg        string
	}{
		{"malformed", `{"email": "a@example.com",`, "", 400, "malformed JSON"},
		{"not an object", `[1,2]`, "", 400, "malformed JSON"},
		{"trailing data", `{"email":"a@example.com","password":"` + password + `","name":"A"} {}`, "", 400, "after the object"},
		{"unknown field", `{"email":"a@example.com","password":"` + password + `","name":"A","admin":true}`, "", 400, "unknown field"},
		{"missing email", `{"password":"` + password + `","name":"A"}`, "", 400, `"email"`},
		{"missing password", `{"email":"a@example.com","name":"A"}`, "", 400, `"password"`},
		{"missing name", `{"email":"a@example.com","password":"` + password + `"}`, "", 400, `"name"`},
		{"e-mail without @", `{"email":"a.example.com","password":"` + password + `","name":"A"}`, "", 400, "e-mail"},
		{"short password", `{"email":"a@example.com","password":"short","name":"A"}`, "", 400, "at least 10"},
		{"common password", `{"email":"a@example.com","password":"password123","name":"A"}`, "", 400, "common"},
		{"10 MB body", big, "", 413, "larger than"},
		{"wrong content type", `email=a@example.com`, "application/x-www-form-urlencoded", 415, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.header = http.Header{}
			if tt.ctype != "" {
				c.header.Set("Content-Type", tt.ctype)
			}
			r := c.do("POST", "/api/v1/auth/signup", tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d (%s); want %d", r.status, r.body, tt.status)
			}
			msg, _ := r.json["error"].(string)
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("error = %q; want it to mention %q", msg, tt.msg)
			}
		})
	}
	if n, err := a.Store().CountUsers(t.Context()); err != nil || n != 0 {
		t.Errorf("after bad sign-ups there are %d accounts (%v); want 0", n, err)
	}
	// Same for login: bad input is a 400, not a server error.
	c.header = http.Header{}
	if r := c.do("POST", "/api/v1/auth/login", `{"email":`); r.status != 400 {
		t.Errorf("malformed login = %d; want 400", r.status)
	}
	if r := c.do("POST", "/api/v1/auth/login", `{"email":"a@example.com"}`); r.status != 400 {
		t.Errorf("login without password = %d; want 400", r.status)
	}
}

func TestLoginIsGeneric(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	signUpAndLogin(t, srv, "ann@example.com")
	c := newClient(t, srv)
	wrongPw := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "not the password"})
	noUser := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "zed@example.com", "password": "not the password"})
	if wrongPw.status != 401 || noUser.status != 401 || wrongPw.json["error"] != noUser.json["error"] {
		t.Errorf("wrong password = %d %s; unknown e-mail = %d %s; want the same 401", wrongPw.status, wrongPw.body, noUser.status, noUser.body)
	}
	// Sign-up of a taken address looks like any other sign-up.
	dup := c.do("POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": "another long passphrase", "name": "X"})
	if dup.status != 201 || dup.json["email"] != "ann@example.com" {
		t.Errorf("duplicate sign-up = %d %s; want 201 like a new one", dup.status, dup.body)
	}
}

func TestLoginThrottle(t *testing.T) {
	_, srv := newServer(t)
	signUpAndLogin(t, srv, "ann@example.com")
	c := newClient(t, srv)
	var last response
	for range 11 {
		last = c.do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "not the password"})
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || last.json["retry_after_seconds"] == nil {
		t.Errorf("11th failure = %d %v %s; want 429 with Retry-After", last.status, last.header, last.body)
	}
	// Throttled attempts do not check the password, even a correct one.
	if r := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password}); r.status != 429 {
		t.Errorf("correct password from a new browser while throttled = %d; want 429", r.status)
	}
}

func TestSessionCookieForged(t *testing.T) {
	_, srv := newServer(t)
	signUpAndLogin(t, srv, "ann@example.com")
	for _, v := range []string{"sls_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "garbage", ""} {
		c := newClient(t, srv)
		u, _ := url.Parse(srv.URL)
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "safelight_session", Value: v}})
		if r := c.do("GET", "/api/v1/me", nil); r.status != 401 {
			t.Errorf("GET /me with session %q = %d; want 401", v, r.status)
		}
	}
}

func TestTokens(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLogin(t, srv, "ann@example.com")
	r := c.must(201, "POST", "/api/v1/tokens", withReauth(t, c, "ann@example.com", map[string]string{"name": "backup script"}))
	secret, _ := r.json["token"].(string)
	id, _ := r.json["id"].(string)
	if !strings.HasPrefix(secret, "slp_") || len(secret) < 40 {
		t.Fatalf("token = %q; want slp_ and >= 256 bits", secret)
	}
	list := c.must(200, "GET", "/api/v1/tokens", nil)
	if strings.Contains(string(list.body), secret) || !strings.Contains(string(list.body), "backup script") {
		t.Errorf("token list = %s; want the name and never the secret", list.body)
	}

	api := newClient(t, srv)
	api.bearer = secret
	if me := api.must(200, "GET", "/api/v1/me", nil); me.json["email"] != "ann@example.com" {
		t.Errorf("GET /me with token = %s", me.body)
	}
	// Tokens are for the API only, not for pages.
	if r := api.do("GET", "/account", nil); r.status != http.StatusSeeOther {
		t.Errorf("GET /account with a bearer token = %d; want 303 to sign-in", r.status)
	}
	c.must(204, "DELETE", "/api/v1/tokens/"+id, nil)
	if r := api.do("GET", "/api/v1/me", nil); r.status != 401 {
		t.Errorf("GET /me with a revoked token = %d; want 401", r.status)
	}
	api.bearer = "slp_not-a-real-token"
	if r := api.do("GET", "/api/v1/me", nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("GET /me with an unknown token = %d %v; want 401 with WWW-Authenticate", r.status, r.header)
	}
	c.must(400, "POST", "/api/v1/tokens", withReauth(t, c, "ann@example.com", map[string]string{"name": strings.Repeat("n", 101)}))
}

func TestCrossAccountAnswers404(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com")
	bob := signUpAndLogin(t, srv, "bob@example.com")
	annSession := ann.must(200, "GET", "/api/v1/me/sessions", nil).json["items"].([]any)[0].(map[string]any)["id"].(string)
	annToken := ann.must(201, "POST", "/api/v1/tokens", withReauth(t, ann, "ann@example.com", map[string]string{"name": "t"})).json["id"].(string)
	bob.must(404, "DELETE", "/api/v1/me/sessions/"+annSession, map[string]string{"password": password})
	bob.must(404, "DELETE", "/api/v1/tokens/"+annToken, nil)
	ann.must(200, "GET", "/api/v1/me", nil) // still signed in
	if n := len(ann.must(200, "GET", "/api/v1/tokens", nil).json["items"].([]any)); n != 1 {
		t.Errorf("ann's tokens after bob's attempt = %d; want 1", n)
	}
	// Non-admins do not learn that admin routes exist.
	bob.must(404, "POST", "/api/v1/invites", map[string]string{"email": "x@example.com"})
}

func TestRevokeSession(t *testing.T) {
	_, srv := newServer(t)
	laptop := signUpAndLogin(t, srv, "ann@example.com")
	phone := newClient(t, srv)
	phone.must(200, "POST", "/api/v1/auth/login", loginBody(t, srv, "ann@example.com", password))
	var phoneID string
	for _, it := range laptop.must(200, "GET", "/api/v1/me/sessions", nil).json["items"].([]any) {
		if m := it.(map[string]any); m["current"] != true {
			phoneID = m["id"].(string)
		}
	}
	// Signing another device out needs the password (ASVS 7.5.2).
	if r := laptop.do("DELETE", "/api/v1/me/sessions/"+phoneID, nil); r.status != 403 || r.json["password_required"] != true {
		t.Errorf("DELETE another session without the password = %d %s; want 403 password_required", r.status, r.body)
	}
	laptop.must(403, "DELETE", "/api/v1/me/sessions/"+phoneID, map[string]string{"password": "not the password"})
	phone.must(200, "GET", "/api/v1/me", nil)
	laptop.must(204, "DELETE", "/api/v1/me/sessions/"+phoneID, map[string]string{"password": password})
	phone.must(401, "GET", "/api/v1/me", nil)
	laptop.must(200, "GET", "/api/v1/me", nil)
}

func TestInvites(t *testing.T) {
	_, srv := newServer(t)
	admin := signUpAndLogin(t, srv, "admin@example.com")
	c := newClient(t, srv)
	if r := c.do("POST", "/api/v1/auth/signup", map[string]string{"email": "bea@example.com", "password": password, "name": "Bea"}); r.status != 403 || !strings.Contains(r.json["error"].(string), "invitation") {
		t.Errorf("second sign-up without invitation = %d %s; want 403", r.status, r.body)
	}
	inv := admin.must(201, "POST", "/api/v1/invites", map[string]string{"email": "bea@example.com"})
	if !strings.Contains(inv.json["url"].(string), "/signup?invite=sli_") {
		t.Errorf("invite url = %v", inv.json["url"])
	}
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "bea@example.com", "password": password, "name": "Bea", "invite": inv.json["token"].(string)})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bea@example.com", "password": password})
	if roles := c.must(200, "GET", "/api/v1/me", nil).json["roles"].([]any); len(roles) != 0 {
		t.Errorf("invited account roles = %v; want none", roles)
	}
}

func TestCrossOriginRequestsRefused(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLogin(t, srv, "ann@example.com")
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		c.header = http.Header{}
		for k, v := range h {
			c.header.Set(k, v)
		}
		if r := c.do("POST", "/api/v1/tokens", map[string]string{"name": "csrf", "password": password}); r.status != 403 {
			t.Errorf("cross-site POST with %v = %d; want 403", h, r.status)
		}
		if r := c.do("POST", "/api/v1/auth/logout", nil); r.status != 403 {
			t.Errorf("cross-site logout with %v = %d; want 403", h, r.status)
		}
	}
	c.header = http.Header{}
	if n := len(c.must(200, "GET", "/api/v1/tokens", nil).json["items"].([]any)); n != 0 {
		t.Errorf("cross-site POSTs created %d tokens", n)
	}
	c.must(200, "GET", "/api/v1/me", nil) // logout was refused too
	c.header.Set("Origin", srv.URL)
	c.header.Set("Sec-Fetch-Site", "same-origin")
	c.must(201, "POST", "/api/v1/tokens", withReauth(t, c, "ann@example.com", map[string]string{"name": "same origin"}))
	// No state change on GET: logout by GET is not a route.
	c.header = http.Header{}
	if r := c.do("GET", "/api/v1/auth/logout", nil); r.status/100 == 2 {
		t.Errorf("GET logout = %d; want an error", r.status)
	}
	c.must(200, "GET", "/api/v1/me", nil)
}

func TestSecurityHeaders(t *testing.T) {
	_, srv := newServer(t)
	c := newClient(t, srv)
	for _, path := range []string{"/healthz", "/api/v1/me", "/login", "/no-such-page", "/api/v1/no-such"} {
		r := c.do("GET", path, nil)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self' 'nonce-"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s CSP = %q; want %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s CSP allows unsafe script: %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s headers = %v; want nosniff and Referrer-Policy", path, r.header)
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s sent HSTS over plain HTTP", path)
		}
	}
	if r := c.do("GET", "/api/v1/no-such", nil); r.status != 404 || r.json["error"] == nil {
		t.Errorf("unknown API path = %d %s; want JSON 404", r.status, r.body)
	}
	// Nonces differ per response.
	a := c.do("GET", "/login", nil).header.Get("Content-Security-Policy")
	b := c.do("GET", "/login", nil).header.Get("Content-Security-Policy")
	if a == b {
		t.Error("two responses share a CSP nonce")
	}
}

func TestTLSDeploymentCookiesAndHSTS(t *testing.T) {
	// Behind a TLS proxy: the public URL is https.
	_, srv := newServer(t, "--public-url", "https://photos.example.test")
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	r := c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	found := false
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "__Host-safelight_session" {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("session cookie = %+v; want Secure, HttpOnly, Path=/, no Domain", ck)
			}
		}
	}
	if !found {
		t.Errorf("cookies = %v; want __Host-safelight_session", r.header.Values("Set-Cookie"))
	}
	if hsts := r.header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=31536000") {
		t.Errorf("HSTS = %q; want one year", hsts)
	}
}

func TestReadyz(t *testing.T) {
	a, srv := newServer(t)
	c := newClient(t, srv)
	c.must(200, "GET", "/healthz", nil)
	c.must(200, "GET", "/readyz", nil)
	a.Store().Close()
	if r := c.do("GET", "/readyz", nil); r.status != 503 {
		t.Errorf("readyz with the database closed = %d; want 503", r.status)
	}
	c.must(200, "GET", "/healthz", nil)
}
