package app_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestSigningInAgainEndsTheOldSession: a browser that signs in while it
// still holds a session gets a new one, and the old one stops working
// (ASVS V7.2.4), so a session planted in a browser before sign-in cannot
// be ridden afterwards.
func TestSigningInAgainEndsTheOldSession(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	signUpAndLogin(t, srv, "admin@example.com") // the first account is the admin
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "bo@example.com", "password": password, "name": "Bo"})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bo@example.com", "password": password})
	first := sessionCookie(t, c)
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bo@example.com", "password": password})
	second := sessionCookie(t, c)
	if first == second {
		t.Fatal("signing in again kept the same session token")
	}
	old := newClient(t, srv)
	old.header.Set("Cookie", "safelight_session="+first)
	old.must(401, "GET", "/api/v1/me", nil)
	if items := c.must(200, "GET", "/api/v1/me/sessions", nil).json["items"].([]any); len(items) != 1 {
		t.Errorf("sessions after signing in twice in one browser = %d; want 1", len(items))
	}
	// The same through the sign-in form.
	form := c.do("POST", "/login", rawBody{ctype: "application/x-www-form-urlencoded", data: []byte(url.Values{"email": {"bo@example.com"}, "password": {password}}.Encode())})
	if form.status != http.StatusSeeOther {
		t.Fatalf("sign-in form = %d", form.status)
	}
	old.header.Set("Cookie", "safelight_session="+second)
	old.must(401, "GET", "/api/v1/me", nil)
}

func sessionCookie(t *testing.T, c *client) string {
	t.Helper()
	req, _ := http.NewRequest("GET", c.base, nil)
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		if ck.Name == "safelight_session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}
