package app_test

// Tests for ASVS rows of docs/security.md that the code met but no test
// showed: each would fail if the behaviour it names regressed.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to read rows behind the store's back
	_ "modernc.org/sqlite"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/testsvc"
)

// formBody is a URL-encoded form, as a browser posts it.
func formBody(kv ...string) rawBody {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return rawBody{ctype: "application/x-www-form-urlencoded", data: []byte(v.Encode())}
}

// cookiesOf returns the cookies a response sets.
func cookiesOf(r response) []*http.Cookie { return (&http.Response{Header: r.header}).Cookies() }

// wantLimited fails unless r is a 429 with a Retry-After of at least a
// second and at most the rule's window.
func wantLimited(t *testing.T, r response, what string, window time.Duration) {
	t.Helper()
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > int(window/time.Second) {
		t.Errorf("%s = %d (Retry-After %q); want 429 with Retry-After of 1 s to %s", what, r.status, r.header.Get("Retry-After"), window)
	}
}

// TestPasswordResetRateLimit: the password-reset rule counts reset
// requests per client address across the API and the page together, and
// refuses the ones over the limit with 429 and Retry-After before they are
// handled (no security event, no mail); another address is not affected.
func TestPasswordResetRateLimit(t *testing.T) {
	// The test client is the trusted proxy, so X-Forwarded-For can stand
	// for a second address.
	_, srv := newServer(t, "--rate-limits", "password-reset=3/1h", "--trusted-proxies", "127.0.0.1/32")
	ann := signUpAndLogin(t, srv, "ann@example.com")
	anon := newClient(t, srv)
	api := func(email string) response {
		return anon.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email})
	}
	page := func(email string) response { return anon.do("POST", "/forgot-password", formBody("email", email)) }

	if r := api("ann@example.com"); r.status != http.StatusAccepted {
		t.Fatalf("1st reset request (API) = %d %s; want 202", r.status, r.body)
	}
	if r := page("ann@example.com"); r.status != http.StatusSeeOther {
		t.Fatalf("2nd reset request (page) = %d; want 303", r.status)
	}
	if r := api("nobody@example.com"); r.status != http.StatusAccepted {
		t.Fatalf("3rd reset request (API) = %d %s; want 202", r.status, r.body)
	}
	r := api("ann@example.com")
	wantLimited(t, r, "4th reset request (API)", time.Hour)
	if r.json["retry_after_seconds"] == nil || !strings.Contains(fmt.Sprint(r.json["error"]), "too many requests") {
		t.Errorf("4th reset request (API) body = %s; want the error and retry_after_seconds", r.body)
	}
	r = page("ann@example.com")
	wantLimited(t, r, "5th reset request (page)", time.Hour)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("5th reset request (page) Content-Type = %q; want an HTML error page", ct)
	}

	// The limit is per address, not global.
	other := newClient(t, srv)
	other.header.Set("X-Forwarded-For", "203.0.113.7")
	other.must(http.StatusAccepted, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "nobody@example.com"})

	// Only the two requests for ann's address that were let through were
	// handled: each records one event about her account.
	n := 0
	for _, it := range ann.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		if it.(map[string]any)["type"] == "password.reset_requested" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("password.reset_requested events about ann = %d; want 2 (the refused requests must not be handled)", n)
	}
}

// rawDatabase returns the options that put a new instance on a database
// this test can also open itself, and a function that opens it (SQLite
// in the data directory, or a throwaway PostgreSQL database).
func rawDatabase(t *testing.T) (options []string, open func() *sql.DB) {
	t.Helper()
	driver, dsn := "", ""
	if apptest.ScaleOut() {
		dsn = testsvc.Postgres(t)
		driver, options = "pgx", []string{"--db", dsn}
	} else {
		dir := t.TempDir()
		driver, dsn = "sqlite", "file:"+filepath.Join(dir, "safelight.db")+"?mode=ro&_pragma=busy_timeout(10000)"
		options = []string{"--data", dir}
	}
	return options, func() *sql.DB {
		t.Helper()
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// TestTOTPSecretStoredSealed reads the mfa_totp row with plain SQL, as
// someone with a copy of the database would: the column holds an age
// file sealed to the account, and neither the base32 secret nor its raw
// bytes appear in it, pending or confirmed (nor, in embedded mode,
// anywhere under the data directory).
func TestTOTPSecretStoredSealed(t *testing.T) {
	opts, open := rawDatabase(t)
	a, srv := newServer(t, opts...)
	c := signUpAndLoginWithoutMFA(t, srv, "ann@example.com")
	userID := c.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	db := open()

	checkStored := func(state, secret string) {
		t.Helper()
		var owner string
		var sealed []byte
		if err := db.QueryRowContext(t.Context(), `SELECT user_id, secret_sealed FROM mfa_totp`).Scan(&owner, &sealed); err != nil {
			t.Fatalf("%s: read mfa_totp: %v", state, err)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
		if err != nil || len(raw) < 20 {
			t.Fatalf("%s: secret %q is not 160-bit base32: %v", state, secret, err)
		}
		if owner != userID {
			t.Errorf("%s: mfa_totp.user_id = %q; want %q", state, owner, userID)
		}
		for what, plain := range map[string][]byte{"base32 secret": []byte(secret), "lower-case secret": []byte(strings.ToLower(secret)), "raw secret bytes": raw} {
			if bytes.Contains(sealed, plain) {
				t.Errorf("%s: the stored column holds the %s", state, what)
			}
		}
		if !bytes.HasPrefix(sealed, []byte("age-encryption.org/v1\n-> X25519 ")) {
			t.Errorf("%s: stored column starts %q; want an age file to an X25519 recipient", state, sealed[:min(len(sealed), 40)])
		}
		// It is the secret, sealed to the account: the owner's key opens it.
		if got, err := a.Sealer.OpenValue(t.Context(), userID, sealed); err != nil || string(got) != secret {
			t.Errorf("%s: OpenValue(owner, stored) = %q, %v; want the enrolled secret", state, got, err)
		}
	}

	r := c.must(201, "POST", "/api/v1/me/mfa/totp", map[string]string{"password": password})
	m := &mfaAccount{secret: r.json["secret"].(string)}
	checkStored("pending", m.secret)
	c.must(200, "POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": m.code(t, 0)})
	checkStored("confirmed", m.secret)

	if !apptest.ScaleOut() {
		// Not copied in clear elsewhere: no file under the data directory
		// (the database, its WAL, keys, blobs) holds it.
		dir := opts[1] // --data DIR
		raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(m.secret)
		forEachStored(t, a, dir, func(name string, b []byte) {
			if bytes.Contains(b, []byte(m.secret)) || bytes.Contains(b, raw) {
				t.Errorf("the TOTP secret is in %s in clear", name)
			}
		})
	}
}

// TestPendingSignInCookieOnHTTPS: with an https public URL (TLS at a
// proxy), the cookie that holds a sign-in between the password and the
// code is __Host-safelight_pending, Secure, HttpOnly, SameSite=Lax, Path=/
// and without Domain; the server reads only that name, and clears it
// with the same attributes. Every cookie of the flow follows the rule.
func TestPendingSignInCookieOnHTTPS(t *testing.T) {
	_, srv := newServer(t, "--public-url", "https://photos.example.test")
	// Cookies go by hand (clients without a jar), so that the test
	// decides which names the server is sent.
	checkCookies := func(r response, what string) map[string]*http.Cookie {
		t.Helper()
		byName := map[string]*http.Cookie{}
		for _, ck := range cookiesOf(r) {
			byName[ck.Name] = ck
			if !strings.HasPrefix(ck.Name, "__Host-") || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteLaxMode {
				t.Errorf("%s sets cookie %s; want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", what, ck)
			}
		}
		return byName
	}
	admin := newClient(t, srv)
	admin.http.Jar = nil
	admin.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	r := admin.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	session := checkCookies(r, "API sign-in")["__Host-safelight_session"]
	if session == nil {
		t.Fatalf("API sign-in cookies = %v; want __Host-safelight_session", r.header.Values("Set-Cookie"))
	}
	admin.header.Set("Cookie", session.Name+"="+session.Value)
	m := enrolTOTP(t, admin)

	// The password step of the sign-in form leaves a pending sign-in.
	b := newClient(t, srv)
	b.http.Jar = nil
	r = b.do("POST", "/login", formBody("email", "ann@example.com", "password", password))
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login/code") {
		t.Fatalf("POST /login = %d Location %q; want 303 to the code step", r.status, r.header.Get("Location"))
	}
	set := checkCookies(r, "the password step")
	pending := set["__Host-safelight_pending"]
	if pending == nil || pending.Value == "" || len(set) != 1 {
		t.Fatalf("password step cookies = %v; want only __Host-safelight_pending", r.header.Values("Set-Cookie"))
	}
	if pending.MaxAge <= 0 || pending.MaxAge > 300 {
		t.Errorf("pending cookie Max-Age = %d; want at most the 5 minutes the sign-in lives", pending.MaxAge)
	}

	// A cookie without the prefix (which a sibling host could have set)
	// is not the pending sign-in.
	b.header.Set("Cookie", "safelight_pending="+pending.Value)
	r = b.do("POST", "/login/code", formBody("code", m.nextRecovery(t)))
	if r.status != http.StatusUnauthorized || checkCookies(r, "the code step without the prefix")["__Host-safelight_session"] != nil {
		t.Fatalf("code step with an unprefixed pending cookie = %d, cookies %v; want 401 and no sign-in", r.status, r.header.Values("Set-Cookie"))
	}

	// With the real cookie the code step signs in and clears it.
	b.header.Set("Cookie", pending.Name+"="+pending.Value)
	r = b.do("POST", "/login/code", formBody("code", m.nextRecovery(t)))
	if r.status != http.StatusSeeOther || strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("code step = %d Location %q; want 303 into the app", r.status, r.header.Get("Location"))
	}
	set = checkCookies(r, "the code step")
	if set["__Host-safelight_session"] == nil || set["__Host-safelight_session"].Value == "" {
		t.Errorf("code step cookies = %v; want a new __Host-safelight_session", r.header.Values("Set-Cookie"))
	}
	if ck := set["__Host-safelight_pending"]; ck == nil || ck.MaxAge >= 0 || ck.Value != "" {
		t.Errorf("code step cookies = %v; want __Host-safelight_pending cleared (Max-Age<0)", r.header.Values("Set-Cookie"))
	}
}

// exchange is one request of a sweep and its answer.
type exchange struct {
	who, method, path string
	origin            string // the Origin header sent, if any
	status            int
	header            http.Header
	body              []byte
	// mailedLink marks the pages that hold a mailed token (and the outbox,
	// which lists them): they must not leak their address in a Referer.
	mailedLink bool
}

func (e exchange) String() string {
	s := e.who + " " + e.method + " " + e.path
	if e.origin != "" {
		s += " (Origin " + e.origin + ")"
	}
	return fmt.Sprintf("%s = %d", s, e.status)
}

// evilOrigin is a site that has no business reading Safelight's answers.
const evilOrigin = "https://evil.example"

// sweepResponses drives a real instance to every kind of answer it gives
// and returns them all: every route as an anonymous visitor, an ordinary
// account and the admin, once plainly and once from evilOrigin (so
// refused cross-origin requests too); redirects, 404s of pages, the API
// and static files; 400, 401, 413, 415, 429 and 503 errors; the OpenAPI
// document, static files, image bytes; the mailed-link pages and the
// outbox; CORS preflights.
func sweepResponses(t *testing.T) []exchange {
	t.Helper()
	a, srv := newServer(t, "--signup", "open", "--rate-limits", "password-reset=2/1h,signup=100/1h")
	anon := newClient(t, srv)
	admin := signUpAndLogin(t, srv, "ann@example.com")
	bob := signUpAndLogin(t, srv, "bob@example.com")
	var out []exchange
	rec := func(who string, c *client, method, path string, body any) response {
		t.Helper()
		r := c.do(method, path, body)
		out = append(out, exchange{who: who, method: method, path: path, origin: c.header.Get("Origin"), status: r.status, header: r.header, body: r.body})
		return r
	}
	up := admin.upload("file", "p.jpg", testJPEG(t, 320, 240, 5))
	out = append(out, exchange{who: "admin", method: "POST", path: "/api/v1/assets", status: up.status, header: up.header, body: up.body})
	if up.status != 201 {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	assetID := up.json["id"].(string)
	admin.waitReady(assetID)
	if r := rec("anonymous", anon, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "bob@example.com"}); r.status != 202 {
		t.Fatalf("password reset request = %d %s", r.status, r.body)
	}
	resetToken := linkToken(t, a, "bob@example.com", resetSubject, "/reset-password")
	verifyToken := linkToken(t, a, "bob@example.com", verifySubject, "/verify-email")
	clients := []struct {
		who string
		c   *client
	}{{"anonymous", anon}, {"ordinary account", bob}, {"admin", admin}}
	const fakeID = "0197a000-0000-7000-8000-000000000000" // what concrete puts for {id}
	for _, origin := range []string{"", evilOrigin} {
		for _, cl := range clients {
			cl.c.header.Del("Origin")
			cl.c.header.Del("Sec-Fetch-Site")
			if origin != "" {
				cl.c.header.Set("Origin", origin)
				cl.c.header.Set("Sec-Fetch-Site", "cross-site")
			}
			for _, route := range a.Routes() {
				if strings.Contains(route.Pattern, "logout") {
					continue // keep the sessions for the rest of the sweep
				}
				method, path := concrete(route.Pattern)
				if method == http.MethodGet && (strings.HasPrefix(path, "/api/v1/assets/") || strings.HasPrefix(path, "/library/")) {
					path = strings.ReplaceAll(path, fakeID, assetID) // a real asset: JSON, a page, image bytes
				}
				rec(cl.who, cl.c, method, path, nil)
			}
			// CORS preflights.
			for _, path := range []string{"/api/v1/me", "/api/v1/auth/login", "/api/v1/tokens", "/api/v1/assets", "/login", "/"} {
				pre := *cl.c
				pre.header = cl.c.header.Clone()
				pre.header.Set("Origin", evilOrigin)
				pre.header.Set("Access-Control-Request-Method", "POST")
				pre.header.Set("Access-Control-Request-Headers", "authorization, content-type")
				rec(cl.who, &pre, http.MethodOptions, path, nil)
			}
			rec(cl.who, cl.c, "GET", "/no-such-page", nil)
			rec(cl.who, cl.c, "GET", "/api/v1/no-such", nil)
			rec(cl.who, cl.c, "PUT", "/api/v1/me", nil)
			rec(cl.who, cl.c, "HEAD", "/login", nil)
			rec(cl.who, cl.c, "GET", "/login?next=%2Ftrash", nil)
			rec(cl.who, cl.c, "GET", "/static/no-such.css", nil)
		}
	}
	for _, cl := range clients {
		cl.c.header = http.Header{}
	}

	// Static files the pages load, and the OpenAPI document.
	statics := map[string]bool{}
	for _, page := range []string{"/login", "/library", "/upload", "/account", "/account/mfa"} {
		for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"?#]+)`).FindAllStringSubmatch(string(admin.do("GET", page, nil).body), -1) {
			statics[m[1]] = true
		}
	}
	if len(statics) < 3 {
		t.Fatalf("the pages load %d static files; want the stylesheet, scripts and icons", len(statics))
	}
	for p := range statics {
		rec("anonymous", anon, "GET", p, nil)
	}
	rec("anonymous", anon, "GET", "/api/v1/openapi.yaml", nil)

	// The pages of mailed links, and the outbox.
	for _, p := range []string{"/reset-password?token=" + resetToken, "/verify-email?token=" + verifyToken} {
		rec("anonymous", anon, "GET", p, nil)
		out[len(out)-1].mailedLink = true
	}
	rec("admin", admin, "GET", "/admin/outbox", nil)
	out[len(out)-1].mailedLink = true
	if r := rec("anonymous", anon, "POST", "/reset-password", formBody("token", resetToken, "password", "short")); r.status != 400 {
		t.Errorf("reset with a short password = %d; want the form again with 400", r.status)
	}
	out[len(out)-1].mailedLink = true

	// Errors.
	rec("anonymous", anon, "POST", "/api/v1/auth/signup", `{"email":`)
	rec("anonymous", anon, "POST", "/api/v1/auth/signup", rawBody{ctype: "text/plain", data: []byte("x")})
	rec("anonymous", anon, "POST", "/api/v1/auth/signup", `{"password":"`+strings.Repeat("x", 10<<20)+`"}`)
	rec("anonymous", anon, "POST", "/signup", formBody("name", "Cy", "email", "cy@example.com", "password", "short"))
	guesser := newClient(t, srv)
	guesser.bearer = "slp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	rec("wrong token", guesser, "GET", "/api/v1/me", nil)
	for range 2 {
		rec("anonymous", anon, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "bob@example.com"})
		rec("anonymous", anon, "POST", "/forgot-password", formBody("email", "bob@example.com"))
	}
	// Images, as stored.
	for _, kind := range []string{"original", "thumb", "preview"} {
		rec("admin", admin, "GET", "/api/v1/assets/"+assetID+"/"+kind, nil)
	}
	// The database gone: 503 for the API, pages and readiness.
	a.Store().Close()
	rec("anonymous", anon, "GET", "/readyz", nil)
	rec("admin", admin, "GET", "/api/v1/me", nil)
	rec("admin", admin, "GET", "/library", nil)

	seen := map[int]bool{}
	for _, e := range out {
		seen[e.status] = true
	}
	for _, want := range []int{200, 201, 202, 204, 303, 400, 401, 403, 404, 413, 415, 429, 503} {
		if !seen[want] {
			t.Errorf("the sweep never saw a %d answer; it no longer covers what it claims", want)
		}
	}
	return out
}

// TestNoCORSHeaders (V3.4.2): no answer carries Access-Control-Allow-*
// or any other CORS header, whoever asks and from whatever origin,
// preflights included: other sites' scripts can read nothing.
func TestNoCORSHeaders(t *testing.T) {
	preflights, foreign := 0, 0
	for _, e := range sweepResponses(t) {
		if e.method == http.MethodOptions {
			preflights++
		}
		if e.origin == evilOrigin {
			foreign++
		}
		for name := range e.header {
			if strings.HasPrefix(http.CanonicalHeaderKey(name), "Access-Control-") {
				t.Errorf("%s: %s: %q; want no CORS header", e, name, e.header.Values(name))
			}
		}
	}
	if preflights < 10 || foreign < 100 {
		t.Errorf("only %d preflights and %d requests from another origin were checked", preflights, foreign)
	}
}

// TestReferrerPolicyOnEveryResponse (V3.4.5): every answer (pages, API,
// errors, redirects, static files) carries exactly one Referrer-Policy,
// same-origin or the stricter no-referrer, so no address goes to another
// site in a Referer; the pages of mailed links and the outbox, whose
// addresses hold tokens, must have no-referrer.
func TestReferrerPolicyOnEveryResponse(t *testing.T) {
	mailed := 0
	for _, e := range sweepResponses(t) {
		got := e.header.Values("Referrer-Policy")
		switch {
		case e.mailedLink:
			mailed++
			if len(got) != 1 || got[0] != "no-referrer" {
				t.Errorf("%s: Referrer-Policy %q; want no-referrer (the address holds a mailed token)", e, got)
			}
		case len(got) != 1 || (got[0] != "same-origin" && got[0] != "no-referrer"):
			t.Errorf("%s: Referrer-Policy %q; want same-origin (or no-referrer)", e, got)
		}
	}
	if mailed < 4 {
		t.Errorf("checked %d mailed-link pages; want the reset and verify pages and the outbox", mailed)
	}
}

// knownCharsetGaps are responses known to lack the charset that V4.1.1
// asks of them, reported to the maintainers of docs/security.md. The test
// fails when one of them is fixed, so that the entry goes too.
var knownCharsetGaps = map[string]bool{}

// TestTextResponsesDeclareUTF8 (V4.1.1): every answer with a body has a
// Content-Type; every text one (text/*, JSON, YAML, JavaScript, XML)
// says charset=utf-8, errors and redirects included; and the type is
// what the body is (JSON parses, HTML pages are documents, images sniff
// as their type).
func TestTextResponsesDeclareUTF8(t *testing.T) {
	kinds := map[string]bool{}
	gapSeen := map[string]bool{}
	for _, e := range sweepResponses(t) {
		ct := e.header.Get("Content-Type")
		if ct == "" {
			if len(e.body) > 0 {
				t.Errorf("%s: %d bytes without a Content-Type", e, len(e.body))
			}
			continue
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Errorf("%s: Content-Type %q does not parse: %v", e, ct, err)
			continue
		}
		kinds[mt] = true
		textual := strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "+json") ||
			mt == "application/json" || mt == "application/yaml" || mt == "application/xml" || mt == "application/javascript"
		switch {
		case textual && knownCharsetGaps[mt] && params["charset"] == "":
			gapSeen[mt] = true
		case textual && !strings.EqualFold(params["charset"], "utf-8"):
			t.Errorf("%s: Content-Type %q; want charset=utf-8", e, ct)
		}
		if len(e.body) == 0 || e.method == http.MethodHead {
			continue
		}
		switch {
		case mt == "application/json" && !json.Valid(e.body):
			t.Errorf("%s: labelled JSON, body %q", e, e.body[:min(len(e.body), 80)])
		case mt == "application/yaml" && !bytes.HasPrefix(e.body, []byte("openapi:")):
			t.Errorf("%s: labelled YAML, body %q", e, e.body[:min(len(e.body), 80)])
		case mt == "text/html" && e.status == http.StatusOK && !bytes.HasPrefix(bytes.ToLower(bytes.TrimSpace(e.body)), []byte("<!doctype html>")):
			t.Errorf("%s: labelled an HTML page, body %q", e, e.body[:min(len(e.body), 80)])
		case strings.HasPrefix(mt, "image/") && !textual:
			if sniffed := http.DetectContentType(e.body); sniffed != mt {
				t.Errorf("%s: labelled %s, body sniffs as %s", e, mt, sniffed)
			}
		}
	}
	for _, want := range []string{"text/html", "application/json", "application/yaml", "text/css", "text/plain", "image/jpeg"} {
		if !kinds[want] {
			t.Errorf("the sweep met no %s answer; it no longer covers what it claims (met %v)", want, kinds)
		}
	}
	for mt := range knownCharsetGaps {
		if kinds[mt] && !gapSeen[mt] {
			t.Errorf("%s answers now carry charset=utf-8: remove it from knownCharsetGaps", mt)
		}
	}
}

// serveOnRawListener serves a with its own server (App.Serve: the
// timeouts and limits "safelight serve" uses) on a fresh loopback port,
// until the test ends.
func serveOnRawListener(t *testing.T, a *app.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawExchange writes raw on a new connection and reads every answer until
// the server closes the connection (closed) or stays silent for a while.
// saidClose reports, for each answer, whether it said "Connection: close".
func rawExchange(t *testing.T, addr, raw string) (statuses []int, saidClose []bool, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for {
		wait := 3 * time.Second // for more after an answer
		if len(statuses) == 0 {
			wait = 30 * time.Second // a sign-up hashes a password: slow under -race
		}
		conn.SetReadDeadline(time.Now().Add(wait))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return statuses, saidClose, false
			}
			return statuses, saidClose, true // EOF or reset: the server closed it
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		statuses, saidClose = append(statuses, res.StatusCode), append(saidClose, res.Close)
	}
}

// TestAmbiguousMessageFramingRefused (V4.2.1): over raw TCP to the real
// server, requests whose length is ambiguous (two different
// Content-Length values, a transfer coding other than chunked, a
// malformed Transfer-Encoding field) are refused with an error, the
// connection is closed, and neither they nor a request smuggled after
// them reach a handler. With both Transfer-Encoding: chunked and
// Content-Length, the chunked coding alone frames the body, as ASVS and
// RFC 9112 require.
func TestAmbiguousMessageFramingRefused(t *testing.T) {
	a, _ := newServer(t, "--signup", "open")
	addr := serveOnRawListener(t, a)
	users := func() int {
		t.Helper()
		n, err := a.Store().CountUsers(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	signup := func(email string) string {
		return `{"email":"` + email + `","password":"` + password + `","name":"Smuggler"}`
	}
	head := "POST /api/v1/auth/signup HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n"
	// A request hidden in the body, which a server that framed the
	// message differently from a proxy in front of it would answer.
	smuggled := "POST /api/v1/auth/signup HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(signup("hidden@example.com"))) + "\r\n\r\n" + signup("hidden@example.com")

	tests := []struct {
		name, raw string
		status    int
	}{
		{"two Content-Length values", head + "Content-Length: " + strconv.Itoa(len(signup("a@example.com"))) + "\r\nContent-Length: " +
			strconv.Itoa(len(signup("a@example.com"))+len(smuggled)) + "\r\n\r\n" + signup("a@example.com") + smuggled, 400},
		{"a Content-Length list", head + "Content-Length: " + strconv.Itoa(len(signup("b@example.com"))) + ", " +
			strconv.Itoa(len(signup("b@example.com"))+len(smuggled)) + "\r\n\r\n" + signup("b@example.com") + smuggled, 400},
		{"a coding other than chunked last", head + "Transfer-Encoding: gzip, chunked\r\n\r\n" +
			strconv.FormatInt(int64(len(signup("c@example.com"))), 16) + "\r\n" + signup("c@example.com") + "\r\n0\r\n\r\n" + smuggled, 501},
		{"two Transfer-Encoding fields", head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" +
			strconv.FormatInt(int64(len(signup("d@example.com"))), 16) + "\r\n" + signup("d@example.com") + "\r\n0\r\n\r\n" + smuggled, 501},
		{"a space before the colon", head + "Transfer-Encoding : chunked\r\nContent-Length: " + strconv.Itoa(len(signup("e@example.com"))) +
			"\r\n\r\n" + signup("e@example.com") + smuggled, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := users()
			statuses, saidClose, closed := rawExchange(t, addr, tt.raw)
			if len(statuses) != 1 || statuses[0] != tt.status || !saidClose[0] || !closed {
				t.Errorf("answers %v (closed %v); want one %d with Connection: close, then the connection closed", statuses, closed, tt.status)
			}
			if n := users(); n != before {
				t.Errorf("accounts %d → %d; the request or the smuggled one reached the sign-up handler", before, n)
			}
		})
	}

	t.Run("Transfer-Encoding overrides Content-Length", func(t *testing.T) {
		before := users()
		body := signup("chunked@example.com")
		// Read by its Content-Length, the body would be "NN\r\n" (not
		// JSON: 400) and the rest a malformed request (400 again).
		raw := head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
		statuses, _, _ := rawExchange(t, addr, raw)
		if len(statuses) != 1 || statuses[0] != http.StatusCreated {
			t.Errorf("answers %v; want one 201: the chunked body, framed by Transfer-Encoding alone", statuses)
		}
		if n := users(); n != before+1 {
			t.Errorf("accounts %d → %d; want the one the chunked body asked for", before, n)
		}
		// RFC 9112 (6.1) also wants the connection closed after such a
		// request. Go 1.26's server keeps it open (golang/go#80942), so
		// that is not asserted here; it is a known gap of V4.2.1's
		// defence in depth, not of the framing itself.
	})
}

// loggedServe is a "safelight serve" process whose standard output and
// error are both kept.
type loggedServe struct {
	cmd            *exec.Cmd
	base           string
	stdout, stderr *bytes.Buffer
	done           chan struct{} // closed once both pipes are drained
}

// startLoggedServe runs "safelight serve" with JSON logs on a free
// loopback port and waits until it serves.
func startLoggedServe(t *testing.T, bin string, args ...string) *loggedServe {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &loggedServe{cmd: cmd, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout = s.stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.stderr.WriteString(line + "\n")
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "serving" && l.Addr != "" {
				addr <- l.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
		return s
	case <-s.done:
		cmd.Wait()
		t.Fatalf("server exited before serving; log:\n%s", s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start; log so far:\n%s", s.stderr)
	}
	panic("unreachable")
}

// stop ends the server with SIGTERM and returns its standard error.
func (s *loggedServe) stop(t *testing.T) string {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, s.stderr)
	}
	return s.stderr.String()
}

// TestBinaryLogHasNoSecrets (V16.2.3, V16.3.4): a real server with JSON
// logs at debug level goes through sign-up, a wrong password, sign-in,
// TOTP enrolment, a personal access token made and used, a wrong token,
// a password reset by mailed link and a two-step sign-in through the
// pages. Its log is all on standard error (nothing on standard output),
// every line is a JSON object with time, level and msg, the failures are
// there, and no password, cookie value, token, TOTP secret, recovery
// code or mailed-link token is.
func TestBinaryLogHasNoSecrets(t *testing.T) {
	bin := buildBinary(t)
	s := startLoggedServe(t, bin, "--data", t.TempDir(), "--log-level", "debug")
	secrets := map[string]string{} // value → what it is
	newAPIClient := func() *client {
		jar, _ := cookiejar.New(nil)
		return &client{t: t, base: s.base, header: http.Header{}, http: &http.Client{Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	keepCookies := func(r response) response {
		for _, ck := range cookiesOf(r) {
			if ck.Value != "" {
				secrets[ck.Value] = "cookie " + ck.Name
			}
		}
		return r
	}
	const wrongPassword = "not the right passphrase 3"
	secrets[password], secrets[newPassword], secrets[wrongPassword] = "password", "new password", "wrong password"

	ann := newAPIClient()
	ann.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	ann.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": wrongPassword})
	keepCookies(ann.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password}))
	m := enrolTOTP(t, ann)
	secrets[m.secret] = "TOTP secret"
	for _, rc := range m.recovery {
		secrets[rc] = "recovery code"
		secrets[strings.ToUpper(strings.ReplaceAll(rc, "-", ""))] = "recovery code"
	}

	tok := ann.must(201, "POST", "/api/v1/tokens", map[string]string{"name": "backup script", "password": password, "code": m.nextRecovery(t)}).json["token"].(string)
	secrets[tok] = "personal access token"
	script := newAPIClient()
	script.bearer = tok
	script.must(200, "GET", "/api/v1/me", nil)
	guess := "slp_" + strings.Repeat("Q", 43)
	secrets[guess] = "guessed token"
	script.bearer = guess
	script.must(401, "GET", "/api/v1/me", nil)

	// A reset link, read from the development outbox as the admin.
	anon := newAPIClient()
	anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"})
	link := regexp.MustCompile(`/(reset-password|verify-email)\?token=([A-Za-z0-9_-]+)`)
	tokens := map[string]string{}
	for deadline := time.Now().Add(30 * time.Second); tokens["reset-password"] == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, it := range ann.must(200, "GET", "/api/v1/admin/outbox", nil).json["items"].([]any) {
			for _, l := range link.FindAllStringSubmatch(it.(map[string]any)["text"].(string), -1) {
				tokens[l[1]] = l[2]
			}
		}
	}
	if tokens["reset-password"] == "" || tokens["verify-email"] == "" {
		t.Fatalf("outbox links = %v; want a reset and a verification link", tokens)
	}
	secrets[tokens["reset-password"]], secrets[tokens["verify-email"]] = "reset link token", "verification link token"
	anon.must(200, "GET", "/reset-password?token="+tokens["reset-password"], nil)
	anon.must(204, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": tokens["reset-password"], "password": newPassword})

	// Two-step sign-in through the pages: pending cookie, a wrong code,
	// then a recovery code.
	b := newAPIClient()
	if r := keepCookies(b.do("POST", "/login", formBody("email", "ann@example.com", "password", newPassword))); r.status != 303 {
		t.Fatalf("POST /login = %d; want 303 to the code step", r.status)
	}
	b.must(401, "POST", "/login/code", formBody("code", "000000"))
	if r := keepCookies(b.do("POST", "/login/code", formBody("code", m.nextRecovery(t)))); r.status != 303 {
		t.Fatalf("POST /login/code = %d; want 303 into the app", r.status)
	}
	b.must(200, "GET", "/library", nil)

	log := s.stop(t)
	if out := s.stdout.String(); out != "" {
		t.Errorf("serve wrote to standard output (logs go to standard error only):\n%s", out)
	}
	levels := map[string]bool{"DEBUG": true, "INFO": true, "WARN": true, "ERROR": true}
	failedLogin, lines := false, 0
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		lines++
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("log line is not a JSON object: %q", line)
			continue
		}
		ts, _ := l["time"].(string)
		lvl, _ := l["level"].(string)
		msg, _ := l["msg"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !levels[lvl] || msg == "" {
			t.Errorf("log line without time, level or msg: %q", line)
		}
		if msg == "request" && l["path"] == "/api/v1/auth/login" && l["status"] == float64(401) {
			failedLogin = true
		}
	}
	if lines < 20 || !failedLogin {
		t.Errorf("the log has %d lines, failed sign-in logged: %v; want every request, the failure included", lines, failedLogin)
	}
	if len(secrets) < 20 {
		t.Fatalf("only %d secrets to look for; the flow did not run", len(secrets))
	}
	for value, what := range secrets {
		if strings.Contains(log, value) {
			t.Errorf("the log contains a %s", what)
		}
	}
}
