package app_test

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"safelight/internal/access"
)

// End-to-end tests of instance administration of accounts through the
// HTTP API of a real instance: ASVS V7.4.2 (disabling an account ends its
// sessions) and V7.4.5 (admins end one account's sessions, or everyone's).

const disabledMessage = "this account is disabled; contact the administrator of this instance"

// accountItem returns the admin list's item for email.
func accountItem(t *testing.T, admin *client, email string) map[string]any {
	t.Helper()
	for _, x := range admin.must(200, "GET", "/api/v1/admin/users", nil).json["items"].([]any) {
		if it := x.(map[string]any); it["email"] == email {
			return it
		}
	}
	t.Fatalf("GET /api/v1/admin/users lacks %s", email)
	return nil
}

// accountWithToken invites email, signs it in and makes it a personal
// access token; it returns the session client, a client using the token
// alone, and the account id.
func accountWithToken(t *testing.T, srv *httptest.Server, admin *client, email string) (session, token *client, id string) {
	t.Helper()
	session = inviteAndLogin(t, srv, admin, email)
	id = session.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	tok := session.must(201, "POST", "/api/v1/tokens", withReauth(t, session, email, map[string]string{"name": "backup script"})).json["token"].(string)
	token = newClient(t, srv)
	token.bearer = tok
	token.must(200, "GET", "/api/v1/me", nil)
	return session, token, id
}

// TestAdminDisablesAccount: disabling ends the account's session and
// token at once (the next request answers 401); signing in with the right
// password answers 403 with a clear message, a wrong one the usual 401;
// a reset sends no mail but answers the same; enabling gives the account
// back (ASVS V7.4.2).
func TestAdminDisablesAccount(t *testing.T) {
	a, srv := newServer(t)
	root := signUpAndLogin(t, srv, "root@example.com")
	bob, bobToken, bobID := accountWithToken(t, srv, root, "bob@example.com")

	it := accountItem(t, root, "bob@example.com")
	if it["id"] != bobID || it["disabled"] != false || it["disabled_at"] != nil || it["live_sessions"] != 1.0 || it["tokens"] != 1.0 {
		t.Errorf("bob in the admin list = %v; want active, 1 live session, 1 token", it)
	}
	for _, secret := range []string{"password", "password_hash", "token"} {
		if _, ok := it[secret]; ok {
			t.Errorf("the admin list shows %q", secret)
		}
	}

	r := root.must(200, "POST", "/api/v1/admin/users/"+bobID+"/disable", nil)
	ended, _ := r.json["ended"].(map[string]any)
	if r.json["disabled"] != true || ended["sessions"] != 1.0 || ended["tokens"] != 1.0 {
		t.Errorf("disable answer = %s; want disabled, 1 session and 1 token ended", r.body)
	}
	// At once: the very next request with either answers 401.
	bob.must(401, "GET", "/api/v1/me", nil)
	bobToken.must(401, "GET", "/api/v1/me", nil)
	if it := accountItem(t, root, "bob@example.com"); it["disabled"] != true || it["disabled_at"] == nil || it["live_sessions"] != 0.0 || it["tokens"] != 0.0 {
		t.Errorf("bob in the admin list after disabling = %v", it)
	}

	// The right password learns the account is disabled; a wrong one
	// gets exactly what a wrong password of any account gets.
	anon := newClient(t, srv)
	r = anon.must(403, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	if r.json["error"] != disabledMessage {
		t.Errorf("login to a disabled account = %s; want %q", r.body, disabledMessage)
	}
	if cookies := r.header.Values("Set-Cookie"); strings.Contains(strings.Join(cookies, ";"), "safelight_session=sls_") {
		t.Errorf("a refused login set a session cookie: %v", cookies)
	}
	wrong := anon.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": "not bob's password"})
	unknown := anon.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.com", "password": "not bob's password"})
	if string(wrong.body) != string(unknown.body) {
		t.Errorf("wrong password of a disabled account = %s; unknown account = %s; want the same", wrong.body, unknown.body)
	}

	// A password reset answers as always but mails nothing.
	before := len(outboxTo(t, a, "bob@example.com", resetSubject))
	known := anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "bob@example.com"})
	nobody := anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "nobody@example.com"})
	if string(known.body) != string(nobody.body) {
		t.Errorf("reset answers differ: disabled account %s, no account %s", known.body, nobody.body)
	}
	if n := len(outboxTo(t, a, "bob@example.com", resetSubject)); n != before {
		t.Errorf("a reset of a disabled account sent mail (%d → %d messages)", before, n)
	}

	// The admin's own record of it.
	if ev := string(root.must(200, "GET", "/api/v1/me/security-events", nil).body); !strings.Contains(ev, `"type":"user.disabled"`) {
		t.Errorf("the admin's security events lack user.disabled: %s", ev)
	}

	root.must(200, "POST", "/api/v1/admin/users/"+bobID+"/enable", nil)
	again := newClient(t, srv)
	again.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	again.must(200, "GET", "/api/v1/me", nil)
	bob.must(401, "GET", "/api/v1/me", nil)      // ended for good
	bobToken.must(401, "GET", "/api/v1/me", nil) // revoked for good
	if it := accountItem(t, root, "bob@example.com"); it["disabled"] != false || it["disabled_at"] != nil {
		t.Errorf("bob after enabling = %v; want active", it)
	}
	if ev := string(again.must(200, "GET", "/api/v1/me/security-events", nil).body); !strings.Contains(ev, `"type":"user.disabled"`) ||
		!strings.Contains(ev, `"type":"user.enabled"`) {
		t.Errorf("bob's security events lack user.disabled / user.enabled: %s", ev)
	}
}

// TestAdminEndsSessions: ending one account's sessions signs it out at
// once but leaves its token working (tokens are not sessions); ending
// every session keeps the admin's own (ASVS V7.4.5).
func TestAdminEndsSessions(t *testing.T) {
	_, srv := newServer(t)
	root := signUpAndLogin(t, srv, "root@example.com")
	rootPhone := newClient(t, srv)
	rootPhone.must(200, "POST", "/api/v1/auth/login", loginBody(t, srv, "root@example.com", password))
	bob, bobToken, bobID := accountWithToken(t, srv, root, "bob@example.com")
	bobPhone := newClient(t, srv)
	bobPhone.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})

	r := root.must(200, "DELETE", "/api/v1/admin/users/"+bobID+"/sessions", nil)
	if r.json["ended"] != 2.0 {
		t.Errorf("end bob's sessions = %s; want {ended: 2}", r.body)
	}
	bob.must(401, "GET", "/api/v1/me", nil)
	bobPhone.must(401, "GET", "/api/v1/me", nil)
	bobToken.must(200, "GET", "/api/v1/me", nil)
	rootPhone.must(200, "GET", "/api/v1/me", nil)

	bobAgain := newClient(t, srv)
	bobAgain.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	r = root.must(200, "DELETE", "/api/v1/admin/sessions", nil)
	if r.json["ended"] != 2.0 {
		t.Errorf("end every session = %s; want {ended: 2} (root's phone and bob)", r.body)
	}
	root.must(200, "GET", "/api/v1/admin/users", nil) // the admin's own session stays
	rootPhone.must(401, "GET", "/api/v1/me", nil)
	bobAgain.must(401, "GET", "/api/v1/me", nil)
	bobToken.must(200, "GET", "/api/v1/me", nil)
	if ev := string(root.must(200, "GET", "/api/v1/me/security-events", nil).body); !strings.Contains(ev, `"type":"session.revoked_all"`) ||
		!strings.Contains(ev, `"type":"session.revoked_by_admin"`) {
		t.Errorf("the admin's security events lack the session revocations: %s", ev)
	}
}

// TestAdminRoutesRefused: the admin routes are hidden from everyone
// else; bad input is 400, an unknown account 404; an admin cannot disable
// themselves, and the instance always keeps an active admin.
func TestAdminRoutesRefused(t *testing.T) {
	a, srv := newServer(t)
	root := signUpAndLogin(t, srv, "root@example.com")
	rootID := root.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	bob, bobToken, bobID := accountWithToken(t, srv, root, "bob@example.com")
	anon := newClient(t, srv)

	routes := []struct{ method, path string }{
		{"GET", "/api/v1/admin/users"},
		{"POST", "/api/v1/admin/users/" + rootID + "/disable"},
		{"POST", "/api/v1/admin/users/" + bobID + "/disable"},
		{"POST", "/api/v1/admin/users/" + bobID + "/enable"},
		{"DELETE", "/api/v1/admin/users/" + rootID + "/sessions"},
		{"DELETE", "/api/v1/admin/sessions"},
	}
	for _, rt := range routes {
		for name, c := range map[string]*client{"bob's session": bob, "bob's token": bobToken} {
			if r := c.do(rt.method, rt.path, nil); r.status != 404 {
				t.Errorf("%s: %s %s = %d; want 404", name, rt.method, rt.path, r.status)
			}
		}
		if r := anon.do(rt.method, rt.path, nil); r.status != 401 {
			t.Errorf("anonymous %s %s = %d; want 401", rt.method, rt.path, r.status)
		}
	}
	root.must(200, "GET", "/api/v1/me", nil) // none of it touched root
	bob.must(200, "GET", "/api/v1/me", nil)

	for _, tt := range []struct {
		method, path string
		status       int
		message      string
	}{
		{"POST", "/api/v1/admin/users/" + rootID + "/disable", 400, "you cannot disable your own account"},
		{"POST", "/api/v1/admin/users/not-an-id/disable", 400, "not a valid account id"},
		{"DELETE", "/api/v1/admin/users/not-an-id/sessions", 400, "not a valid account id"},
		{"POST", "/api/v1/admin/users/0197a000-0000-7000-8000-000000000000/disable", 404, "not found"},
		{"POST", "/api/v1/admin/users/0197a000-0000-7000-8000-000000000000/enable", 404, "not found"},
		{"DELETE", "/api/v1/admin/users/0197a000-0000-7000-8000-000000000000/sessions", 404, "not found"},
	} {
		r := root.must(tt.status, tt.method, tt.path, nil)
		if msg, _ := r.json["error"].(string); !strings.HasPrefix(msg, tt.message) {
			t.Errorf("%s %s = %s; want %q", tt.method, tt.path, r.body, tt.message)
		}
	}
	root.must(200, "GET", "/api/v1/me", nil)

	// Two admins disabling each other at the same moment: at most one
	// succeeds (the other is refused, 409, or finds itself disabled, 401),
	// and an admin remains who can run the instance.
	if _, err := a.Auth.CreateUser(t.Context(), "ops@example.com", "Ops", password, []access.Role{access.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	ops := newClient(t, srv)
	ops.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ops@example.com", "password": password})
	enrolIfRequired(t, ops, "ops@example.com")
	opsID := ops.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	admins := map[string]*client{rootID: root, opsID: ops}
	emails := map[string]string{rootID: "root@example.com", opsID: "ops@example.com"}
	for round := range 3 {
		var wg sync.WaitGroup
		status := map[string]int{}
		var mu sync.Mutex
		for id, c := range admins {
			other := rootID
			if id == rootID {
				other = opsID
			}
			wg.Go(func() {
				r := c.do("POST", "/api/v1/admin/users/"+other+"/disable", nil)
				mu.Lock()
				status[id] = r.status
				mu.Unlock()
			})
		}
		wg.Wait()
		winner := ""
		for id, st := range status {
			switch st {
			case 200:
				if winner != "" {
					t.Fatalf("round %d: both admins disabled each other: %v", round, status)
				}
				winner = id
			case 409, 401:
			default:
				t.Fatalf("round %d: disable answered %d; want 200, 409 or 401", round, st)
			}
		}
		if winner == "" {
			t.Fatalf("round %d: neither admin was disabled: %v", round, status)
		}
		admins[winner].must(200, "GET", "/api/v1/admin/users", nil)
		loser := opsID
		if winner == opsID {
			loser = rootID
		}
		admins[winner].must(200, "POST", "/api/v1/admin/users/"+loser+"/enable", nil)
		// The loser's sessions ended; it signs in again.
		c := newClient(t, srv)
		c.must(200, "POST", "/api/v1/auth/login", loginBody(t, srv, emails[loser], password))
		admins[loser] = c
	}
}
