package app_test

import (
	"testing"
)

// TestAccountSecurityNeedsSessionAndReauth: changes to how an account
// signs in need a signed-in session (never a personal access token) and
// fresh proof of identity; signing out other devices needs the password;
// a new second factor ends the other sessions and the tokens (ASVS 6.3.4,
// 7.4.3, 7.5.1, 7.5.2).
func TestAccountSecurityNeedsSessionAndReauth(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	signUpAndLogin(t, srv, "ann@example.com") // the admin; Bob is an ordinary account
	laptop := signUpAndLogin(t, srv, "bob@example.com")

	// A token needs the password.
	laptop.must(400, "POST", "/api/v1/tokens", map[string]string{"name": "cli"})
	if r := laptop.must(403, "POST", "/api/v1/tokens", map[string]string{"name": "cli", "password": "not the password"}); r.json["error"] != "the current password is not correct" {
		t.Errorf("token with a wrong password = %s", r.body)
	}
	tok := laptop.must(201, "POST", "/api/v1/tokens", map[string]string{"name": "cli", "password": password}).json["token"].(string)

	// What a token may not do, even with the password.
	script := newClient(t, srv)
	script.bearer = tok
	script.must(200, "GET", "/api/v1/me", nil)
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/tokens", map[string]string{"name": "more", "password": password}},
		{"POST", "/api/v1/me/password", map[string]string{"current_password": password, "new_password": "a token chose this"}},
		{"DELETE", "/api/v1/me/sessions", map[string]string{"password": password}},
		{"POST", "/api/v1/me/mfa/totp", map[string]string{"password": password}},
		{"POST", "/api/v1/me/passkeys/register/begin", map[string]string{"password": password}},
	} {
		if r := script.do(req.method, req.path, req.body); r.status != 403 || r.json["session_required"] != true {
			t.Errorf("%s %s with a token = %d %s; want 403 session_required", req.method, req.path, r.status, r.body)
		}
	}
	if n := len(laptop.must(200, "GET", "/api/v1/tokens", nil).json["items"].([]any)); n != 1 {
		t.Errorf("tokens = %d; want the one (a token made none)", n)
	}

	// Sign out everywhere else: the password, then every other session
	// ends; this one and the token stay.
	phone := newClient(t, srv)
	phone.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	tablet := newClient(t, srv)
	tablet.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	if r := laptop.must(403, "DELETE", "/api/v1/me/sessions", nil); r.json["password_required"] != true {
		t.Errorf("sign out everywhere else without a body = %s; want password_required", r.body)
	}
	laptop.must(403, "DELETE", "/api/v1/me/sessions", map[string]string{"password": "not the password"})
	phone.must(200, "GET", "/api/v1/me", nil)
	if r := laptop.must(200, "DELETE", "/api/v1/me/sessions", map[string]string{"password": password}); r.json["ended"] != float64(2) {
		t.Errorf("sign out everywhere else = %s; want ended 2", r.body)
	}
	phone.must(401, "GET", "/api/v1/me", nil)
	tablet.must(401, "GET", "/api/v1/me", nil)
	laptop.must(200, "GET", "/api/v1/me", nil)
	script.must(200, "GET", "/api/v1/me", nil)

	// Turning on a second factor needs the password, and ends the other
	// sessions and every token: they were got without it.
	phone.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	laptop.must(403, "POST", "/api/v1/me/mfa/totp", map[string]string{"password": "not the password"})
	m := enrolTOTP(t, laptop)
	phone.must(401, "GET", "/api/v1/me", nil)
	script.must(401, "GET", "/api/v1/me", nil)
	laptop.must(200, "GET", "/api/v1/me", nil)
	var enabled map[string]any
	for _, e := range laptop.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		if ev := e.(map[string]any); ev["type"] == "mfa.enabled" {
			enabled = ev["details"].(map[string]any)
		}
	}
	if enabled["other_sessions_ended"] != "1" || enabled["tokens_revoked"] != "1" {
		t.Errorf("mfa.enabled details = %v; want 1 other session ended, 1 token revoked", enabled)
	}

	// From now on a token needs the code too.
	if r := laptop.must(403, "POST", "/api/v1/tokens", map[string]string{"name": "cli", "password": password}); r.json["mfa_required"] != true {
		t.Errorf("token without a code, TOTP on = %s; want mfa_required", r.body)
	}
	laptop.must(201, "POST", "/api/v1/tokens", map[string]string{"name": "cli", "password": password, "code": m.nextRecovery(t)})
}
