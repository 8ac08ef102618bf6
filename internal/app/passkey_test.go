package app_test

import (
	"encoding/json"
	"testing"

	"safelight/internal/auth/webauthntest"
)

// passkeyOrigin is the public URL the passkey tests run the instance
// with: the RP ID is its host, and the software authenticator answers as
// a browser on it.
const passkeyOrigin = "http://localhost:8080"

// addPasskeyAPI registers a new credential of a on c's account, after
// re-authentication with the password and, when the account has passkeys
// already (held is one of them), an assertion by held.
func addPasskeyAPI(t *testing.T, c *client, a *webauthntest.Authenticator, name string, held *webauthntest.Credential) (string, *webauthntest.Credential) {
	t.Helper()
	reauth := map[string]any{"password": password}
	if held != nil {
		rb := c.must(200, "POST", "/api/v1/me/passkeys/reauth/begin", nil)
		answer, err := a.Get(rb.body, held)
		if err != nil {
			t.Fatal(err)
		}
		reauth["handle"], reauth["credential"] = rb.json["handle"], json.RawMessage(answer)
	}
	begin := c.must(200, "POST", "/api/v1/me/passkeys/register/begin", reauth)
	pk := begin.json["publicKey"].(map[string]any)
	if pk["attestation"] != "none" || pk["authenticatorSelection"].(map[string]any)["residentKey"] != "required" ||
		pk["authenticatorSelection"].(map[string]any)["userVerification"] != "preferred" || pk["rp"].(map[string]any)["id"] != "localhost" {
		t.Errorf("registration options = %s; want attestation none, resident key required, UV preferred, RP localhost", begin.body)
	}
	cred, vc, err := a.Create(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	r := c.must(201, "POST", "/api/v1/me/passkeys/register/finish", map[string]any{
		"handle": begin.json["handle"], "name": name, "credential": json.RawMessage(cred)})
	if r.json["name"] != name || r.json["id"] == "" || r.json["created_at"] == nil {
		t.Errorf("register finish = %s", r.body)
	}
	return r.json["id"].(string), vc
}

// assert runs a begin/finish pair with cred's assertion and returns the
// finish answer.
func assertWith(t *testing.T, c *client, prefix string, a *webauthntest.Authenticator, cred *webauthntest.Credential, want int) response {
	t.Helper()
	begin := c.must(200, "POST", prefix+"/begin", nil)
	answer, err := a.Get(begin.body, cred)
	if err != nil {
		t.Fatal(err)
	}
	return c.must(want, "POST", prefix+"/finish", map[string]any{"handle": begin.json["handle"], "credential": json.RawMessage(answer)})
}

func TestPasskeysEndToEnd(t *testing.T) {
	_, srv := newServer(t, "--public-url", passkeyOrigin, "--signup", "open")
	a := webauthntest.New(passkeyOrigin)

	// The admin must enrol a second factor; a passkey alone satisfies it.
	ann := signUpAndLoginWithoutMFA(t, srv, "ann@example.com")
	ann.must(403, "GET", "/api/v1/assets", nil)
	laptopID, laptop := addPasskeyAPI(t, ann, a, "Laptop", nil)
	// Adding another needs the first: a passkey signs in on its own.
	if r := ann.must(403, "POST", "/api/v1/me/passkeys/register/begin", map[string]string{"password": password}); r.json["passkey_required"] != true {
		t.Errorf("register another passkey without an assertion = %s; want passkey_required", r.body)
	}
	phoneID, phone := addPasskeyAPI(t, ann, a, "Phone", laptop)
	ann.must(200, "GET", "/api/v1/assets", nil)
	if st := ann.must(200, "GET", "/api/v1/me/mfa", nil); st.json["passkeys"] != float64(2) || st.json["mfa_enrollment_required"] != false {
		t.Errorf("GET /me/mfa = %s; want 2 passkeys, enrolled", st.body)
	}

	// List, rename, remove (re-authenticated with the password).
	ann.must(204, "PATCH", "/api/v1/me/passkeys/"+laptopID, map[string]string{"name": "Work laptop"})
	ann.must(400, "PATCH", "/api/v1/me/passkeys/"+laptopID, map[string]string{"name": ""})
	ann.must(404, "PATCH", "/api/v1/me/passkeys/nope", map[string]string{"name": "x"})
	list := ann.must(200, "GET", "/api/v1/me/passkeys", nil).json["passkeys"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "Work laptop" || list[1].(map[string]any)["name"] != "Phone" {
		t.Errorf("GET /me/passkeys = %v; want Work laptop, Phone", list)
	}
	ann.must(403, "DELETE", "/api/v1/me/passkeys/"+phoneID, map[string]string{"password": "not the password at all"})
	ann.must(400, "DELETE", "/api/v1/me/passkeys/"+phoneID, map[string]string{})

	// Second factor after the password, through the pending sign-in.
	c := newClient(t, srv)
	r := c.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	if r.json["mfa_required"] != true || r.json["passkey"] != true {
		t.Errorf("login without a second factor = %s; want mfa_required and passkey", r.body)
	}
	c.must(401, "GET", "/api/v1/me", nil)
	assertWith(t, c, "/api/v1/auth/login/passkey", a, laptop, 200)
	c.must(200, "GET", "/api/v1/assets", nil)
	// The pending sign-in is used up.
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login/passkey/begin", nil)

	// Another account's passkey does not finish Ann's sign-in.
	bob := signUpAndLoginWithoutMFA(t, srv, "bob@example.com")
	_, bobs := addPasskeyAPI(t, bob, a, "Bob's key", nil)
	c = newClient(t, srv)
	c.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	assertWith(t, c, "/api/v1/auth/login/passkey", a, bobs, 401)
	c.must(401, "GET", "/api/v1/me", nil)

	// Passwordless: the passkey is both factors.
	c = newClient(t, srv)
	r = assertWith(t, c, "/api/v1/auth/passkey", a, phone, 200)
	if r.json["email"] != "ann@example.com" {
		t.Errorf("passwordless sign-in = %s; want Ann", r.body)
	}
	c.must(200, "GET", "/api/v1/assets", nil)
	r = assertWith(t, newClient(t, srv), "/api/v1/auth/passkey", a, bobs, 200)
	if r.json["email"] != "bob@example.com" {
		t.Errorf("passwordless sign-in with Bob's key = %s; want Bob", r.body)
	}

	// Replayed challenge, wrong origin, a counter going back.
	c = newClient(t, srv)
	begin := c.must(200, "POST", "/api/v1/auth/passkey/begin", nil)
	answer, _ := a.Get(begin.body, phone)
	body := map[string]any{"handle": begin.json["handle"], "credential": json.RawMessage(answer)}
	c.must(200, "POST", "/api/v1/auth/passkey/finish", body)
	newClient(t, srv).must(401, "POST", "/api/v1/auth/passkey/finish", body)
	assertWith(t, newClient(t, srv), "/api/v1/auth/passkey", &webauthntest.Authenticator{Origin: "http://evil.localhost:8080"}, phone, 401)
	begin = c.must(200, "POST", "/api/v1/auth/passkey/begin", nil)
	answer, _ = a.GetWithCount(begin.body, laptop, 1)
	newClient(t, srv).must(401, "POST", "/api/v1/auth/passkey/finish", map[string]any{"handle": begin.json["handle"], "credential": json.RawMessage(answer)})

	// Removal: the password and, without TOTP, a passkey assertion.
	if r := ann.must(403, "DELETE", "/api/v1/me/passkeys/"+phoneID, map[string]string{"password": password}); r.json["passkey_required"] != true {
		t.Errorf("DELETE without a passkey assertion = %s; want passkey_required", r.body)
	}
	begin = ann.must(200, "POST", "/api/v1/me/passkeys/reauth/begin", nil)
	answer, _ = a.GetWithCount(begin.body, laptop, 100) // past the uses above and the forged count
	ann.must(204, "DELETE", "/api/v1/me/passkeys/"+phoneID, map[string]any{"password": password, "handle": begin.json["handle"], "credential": json.RawMessage(answer)})
	assertWith(t, newClient(t, srv), "/api/v1/auth/passkey", a, phone, 401)

	types := map[string]bool{}
	for _, e := range ann.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		types[e.(map[string]any)["type"].(string)] = true
	}
	for _, want := range []string{"mfa.passkey_added", "mfa.passkey_renamed", "mfa.passkey_removed", "mfa.passkey_used",
		"mfa.passkey_failed", "mfa.passkey_clone_suspected"} {
		if !types[want] {
			t.Errorf("security events lack %s (have %v)", want, types)
		}
	}
}
