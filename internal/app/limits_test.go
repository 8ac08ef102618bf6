package app_test

import (
	"net/http"
	"strconv"
	"testing"
)

// TestAbuseLimits: sign-ups and sign-in attempts per address, uploads per
// account and wrong bearer tokens per address are limited, with 429 and a
// Retry-After the client can wait out; what stays under the limit works.
func TestAbuseLimits(t *testing.T) {
	_, srv := newServer(t, "--signup", "open", "--rate-limits", "signup=2/1h,login=6/15m,upload=2/1m,bad-credentials=3/15m")
	limited := func(r response, what string) {
		t.Helper()
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != http.StatusTooManyRequests || err != nil || secs < 1 || r.json["retry_after_seconds"] == nil {
			t.Errorf("%s = %d %s (Retry-After %q); want 429 with Retry-After", what, r.status, r.body, r.header.Get("Retry-After"))
		}
	}

	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "bob@example.com", "password": password, "name": "Bob"})
	limited(c.do("POST", "/api/v1/auth/signup", map[string]string{"email": "cy@example.com", "password": password, "name": "Cy"}), "third sign-up from one address")

	for range 4 {
		c.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": "wrong password here"})
	}
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	limited(c.do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password}), "7th sign-in attempt from one address")
	// The same limit guards the sign-in form.
	form := c.do("POST", "/login", rawBody{ctype: "application/x-www-form-urlencoded", data: []byte("email=ann%40example.com&password=x")})
	if form.status != http.StatusTooManyRequests || form.header.Get("Retry-After") == "" {
		t.Errorf("sign-in form over the limit = %d; want 429 with Retry-After", form.status)
	}

	enrolIfRequired(t, c, "ann@example.com") // the first account is the admin: MFA before uploads (mfa_test.go)
	photo := testJPEG(t, 320, 240, 31)
	for i := range 2 {
		if r := c.upload("file", "p.jpg", testJPEG(t, 320, 240, 40+i)); r.status != 201 {
			t.Fatalf("upload %d = %d %s", i+1, r.status, r.body)
		}
	}
	limited(c.upload("file", "p.jpg", photo), "third upload in a minute")
	limited(c.upload("file", "p.jpg", photo), "fourth upload in a minute")
	// The owner sees one security event for the window, not one per
	// refusal.
	n := 0
	for _, it := range c.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		e := it.(map[string]any)
		if e["type"] == "abuse.rate_limited" {
			n++
			if d, _ := e["details"].(map[string]any); d["rule"] != "upload" {
				t.Errorf("rate-limit event details = %v; want rule upload", e["details"])
			}
		}
	}
	if n != 1 {
		t.Errorf("rate-limit events after two refused uploads = %d; want 1", n)
	}

	// Wrong bearer tokens: 401 until the limit, then 429 for any token from
	// that address, a right one included, until the window ends.
	tok := c.must(201, "POST", "/api/v1/tokens", withReauth(t, c, "ann@example.com", map[string]string{"name": "cli"})).json["token"].(string)
	guesser := newClient(t, srv)
	for range 3 {
		guesser.bearer = "slp_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		guesser.must(401, "GET", "/api/v1/me", nil)
	}
	limited(guesser.do("GET", "/api/v1/me", nil), "4th wrong token")
	guesser.bearer = tok
	limited(guesser.do("GET", "/api/v1/me", nil), "a right token from a guessing address")
}
