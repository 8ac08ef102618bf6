package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"safelight/internal/auth/webauthntest"
)

// apiJSON sends a JSON API request from the browser's cookie jar, as
// passkey.js does, and decodes the answer.
func apiJSON(t *testing.T, b *browser, path string, body any, want int) (response, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body == nil {
		rd = bytes.NewReader(nil)
	} else {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	r := b.send(http.MethodPost, path, rd, http.Header{"Content-Type": {"application/json"}})
	if r.status != want {
		t.Fatalf("POST %s = %d %s; want %d", path, r.status, r.body, want)
	}
	var m map[string]any
	json.Unmarshal([]byte(r.body), &m)
	return r, m
}

// TestPasskeyPages: the two-step page lists passkeys and offers to add
// one, the sign-in and code pages offer them, all with passkey.js; and
// the code page's pending sign-in is finished by the passkey API.
func TestPasskeyPages(t *testing.T) {
	const origin = "http://localhost:8080"
	_, srv := newServer(t, "--public-url", origin)
	b := newBrowser(t, srv)
	signUp(t, b, "Ada Lovelace", "ada@example.com")
	signIn(t, b, "ada@example.com", password)
	r := b.get("/account/mfa")
	wantContains(t, r, `id="passkeys"`, "No passkeys yet", "data-passkey-add", "/static/passkey.js")

	// Register through the API the page's script uses.
	a := webauthntest.New(origin)
	begin, opts := apiJSON(t, b, "/api/v1/me/passkeys/register/begin", map[string]string{"password": password}, 200)
	cred, c, err := a.Create([]byte(begin.body))
	if err != nil {
		t.Fatal(err)
	}
	apiJSON(t, b, "/api/v1/me/passkeys/register/finish", map[string]any{"handle": opts["handle"], "name": "Ada's <laptop>", "credential": json.RawMessage(cred)}, 201)
	r = b.get("/account/mfa")
	wantContains(t, r, "Ada&#39;s &lt;laptop&gt;", "data-passkey-rename", "data-passkey-remove", "a passkey alone")
	wantNotContains(t, r, "No passkeys yet", "must use two-step sign-in")
	wantStatus(t, b.get("/library"), http.StatusOK) // the admin is enrolled with a passkey alone

	// Sign-in page and code page offer passkeys.
	b2 := newBrowser(t, srv)
	wantContains(t, b2.get("/login"), "Sign in with a passkey", "/static/passkey.js")
	r = b2.post("/login", form("email", "ada@example.com", "password", password))
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login/code") {
		t.Fatalf("POST /login = %d %s; want 303 to the code step", r.status, r.location())
	}
	if !strings.Contains(r.location(), "passkey=1") {
		t.Errorf("code step for an account with passkeys = %s; want it to offer them", r.location())
	}
	wantContains(t, b2.get(r.location()), "Use a passkey", "data-passkey-second", "/static/passkey.js")
	// The button is offered only where the account has passkeys.
	wantNotContains(t, b2.get("/login/code"), "Use a passkey")
	begin, opts = apiJSON(t, b2, "/api/v1/auth/login/passkey/begin", nil, 200)
	answer, err := a.Get([]byte(begin.body), c)
	if err != nil {
		t.Fatal(err)
	}
	apiJSON(t, b2, "/api/v1/auth/login/passkey/finish", map[string]any{"handle": opts["handle"], "credential": json.RawMessage(answer)}, 200)
	wantStatus(t, b2.get("/library"), http.StatusOK)
	if b2.cookie("safelight_pending") != "" {
		t.Error("the pending sign-in cookie outlived the sign-in")
	}
}

// TestNoPasskeysOnAnIPAddress: WebAuthn has no IP-address relying
// parties, so such an instance neither offers nor serves passkeys.
func TestNoPasskeysOnAnIPAddress(t *testing.T) {
	_, srv := newServer(t)
	b := newBrowser(t, srv)
	wantNotContains(t, b.get("/login"), "passkey")
	apiJSON(t, b, "/api/v1/auth/passkey/begin", nil, http.StatusNotFound)
}
