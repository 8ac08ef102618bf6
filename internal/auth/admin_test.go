package auth_test

import (
	"errors"
	"slices"
	"testing"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/auth/webauthntest"
	"safelight/internal/sqlstore"
)

// signedIn signs email in with its password and returns the session's
// principal and token.
func (e *env) signedIn(t *testing.T, email string) (*access.Principal, string) {
	t.Helper()
	res, err := e.login(email, goodPassword, "", "192.0.2.7")
	if err != nil {
		t.Fatalf("Login(%s) = %v", email, err)
	}
	p, err := e.svc.AuthenticateSession(t.Context(), res.SessionToken)
	if err != nil {
		t.Fatalf("AuthenticateSession(%s) = %v", email, err)
	}
	return p, res.SessionToken
}

// tokenOf makes a personal access token for u from its session p.
func (e *env) tokenOf(t *testing.T, p *access.Principal, u auth.User) string {
	t.Helper()
	_, secret, err := e.svc.CreateToken(t.Context(), p, "script", e.reauth(t, u), auth.Client{})
	if err != nil {
		t.Fatalf("CreateToken = %v", err)
	}
	return secret
}

// auditEvent returns the newest event of type typ about userID.
func auditEvent(t *testing.T, e *env, userID string, typ audit.Type) (audit.Event, bool) {
	t.Helper()
	ev, err := e.store.AuditEventsAbout(t.Context(), userID, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ev {
		if x.Type == typ {
			return x, true
		}
	}
	return audit.Event{}, false
}

var admin1 = auth.Client{IP: "198.51.100.1", UserAgent: "admin browser"}

// TestDisableUser: disabling ends the account's sessions and tokens at
// once and refuses it at sign-in with a clear answer, but only to who
// knows the password; enabling gives the account back (ASVS V7.4.2).
func TestDisableUser(t *testing.T) {
	e := mfaEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	root, bob := e.signUp(t, "root@example.com"), e.signUp(t, "bob@example.com")
	rootP, _ := e.signedIn(t, "root@example.com")
	bobP, bobSession := e.signedIn(t, "bob@example.com")
	_, bobPhone := e.signedIn(t, "bob@example.com")
	bobToken := e.tokenOf(t, bobP, bob)

	for _, tt := range []struct {
		name   string
		caller *access.Principal
		id     string
		want   error
	}{
		{"not an admin", bobP, root.ID, auth.ErrNotFound},
		{"anonymous", nil, bob.ID, auth.ErrNotFound},
		{"malformed id", rootP, "../bob", auth.ErrInvalidAccountID},
		{"unknown id", rootP, sqlstore.NewID(), auth.ErrNotFound},
		{"self", rootP, root.ID, auth.ErrDisableSelf},
	} {
		if _, err := e.svc.DisableUser(t.Context(), tt.caller, tt.id, admin1); !errors.Is(err, tt.want) {
			t.Errorf("DisableUser(%s) = %v; want %v", tt.name, err, tt.want)
		}
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), bobSession); err != nil {
		t.Fatalf("a refused DisableUser ended bob's session: %v", err)
	}

	// Rows as they were, to put back below.
	bobSessions, _ := e.store.SessionsOf(t.Context(), bob.ID)
	bobTokens, _ := e.store.TokensOf(t.Context(), bob.ID)

	ended, err := e.svc.DisableUser(t.Context(), rootP, bob.ID, admin1)
	if err != nil || ended != (auth.Ended{Sessions: 2, Tokens: 1}) {
		t.Fatalf("DisableUser(bob) = %+v, %v; want 2 sessions and 1 token ended", ended, err)
	}
	for name, tok := range map[string]string{"session": bobSession, "other session": bobPhone} {
		if _, err := e.svc.AuthenticateSession(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("bob's %s after disabling = %v; want ErrUnauthenticated", name, err)
		}
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), bobToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("bob's token after disabling = %v; want ErrUnauthenticated", err)
	}
	// A session or token that still exists (a sign-in racing the disable)
	// is refused too, on the user row every request reads anyway.
	for _, ss := range bobSessions {
		if err := e.store.CreateSession(t.Context(), ss); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range bobTokens {
		if err := e.store.CreateToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), bobSession); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a session of a disabled account that survived = %v; want ErrUnauthenticated", err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), bobToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a token of a disabled account that survived = %v; want ErrUnauthenticated", err)
	}
	ev, ok := auditEvent(t, e, bob.ID, audit.UserDisabled)
	if !ok || ev.ActorID != root.ID || ev.SubjectID != bob.ID || ev.IP != admin1.IP ||
		ev.Details["sessions_ended"] != "2" || ev.Details["tokens_revoked"] != "1" {
		t.Errorf("user.disabled event = %+v, %v; want actor root, subject bob, 2 sessions, 1 token", ev, ok)
	}

	// The right password is told the account is disabled, as often as it
	// tries, without being throttled; a wrong one learns nothing new.
	for i := range auth.ThrottleAccountMax + 2 {
		if _, err := e.login("bob@example.com", goodPassword, "", "192.0.2.8"); !errors.Is(err, auth.ErrAccountDisabled) {
			t.Fatalf("login #%d of a disabled account, right password = %v; want ErrAccountDisabled", i, err)
		}
	}
	if _, err := e.login("bob@example.com", "not bob's password", "", "192.0.2.8"); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("login of a disabled account, wrong password = %v; want ErrInvalidCredentials", err)
	}
	if ev, ok := auditEvent(t, e, bob.ID, audit.LoginFailed); !ok || ev.Details["reason"] != "bad_password" {
		t.Errorf("newest login failure = %+v; want bad_password", ev)
	}
	if ev, _ := e.store.AuditEventsAbout(t.Context(), bob.ID, 2); len(ev) < 2 || ev[1].Details["reason"] != "account_disabled" {
		t.Errorf("refused sign-in of a disabled account not recorded as account_disabled: %+v", ev)
	}

	// A second disable sweeps what survived; enable gives the account
	// back (its tokens stay gone, its old sessions too).
	if ended, err := e.svc.DisableUser(t.Context(), rootP, bob.ID, admin1); err != nil || ended != (auth.Ended{Sessions: 2, Tokens: 1}) {
		t.Errorf("second DisableUser = %+v, %v; want the 2 surviving sessions and 1 token ended", ended, err)
	}
	if err := e.svc.EnableUser(t.Context(), bobP, bob.ID, admin1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EnableUser by a non-admin = %v; want ErrNotFound", err)
	}
	if err := e.svc.EnableUser(t.Context(), rootP, sqlstore.NewID(), admin1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EnableUser(unknown) = %v; want ErrNotFound", err)
	}
	if err := e.svc.EnableUser(t.Context(), rootP, bob.ID, admin1); err != nil {
		t.Fatalf("EnableUser = %v", err)
	}
	if ev, ok := auditEvent(t, e, bob.ID, audit.UserEnabled); !ok || ev.ActorID != root.ID {
		t.Errorf("user.enabled event = %+v, %v; want actor root", ev, ok)
	}
	if _, err := e.login("bob@example.com", goodPassword, "", "192.0.2.8"); err != nil {
		t.Errorf("login after enabling = %v; want success (and not throttled)", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), bobSession); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a session ended by disabling came back: %v", err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), bobToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a token revoked by disabling came back: %v", err)
	}
}

// TestDisableLastAdmin: the instance keeps an active admin, also against
// an admin whose principal was made before they were disabled.
func TestDisableLastAdmin(t *testing.T) {
	e := mfaEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	root := e.signUp(t, "root@example.com")
	ops, err := e.svc.CreateUser(t.Context(), "ops@example.com", "Ops", goodPassword, []access.Role{access.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	rootP, _ := e.signedIn(t, "root@example.com")
	opsP, _ := e.signedIn(t, "ops@example.com")
	if _, err := e.svc.DisableUser(t.Context(), opsP, root.ID, admin1); err != nil {
		t.Fatalf("DisableUser(one of two admins) = %v", err)
	}
	if _, err := e.svc.DisableUser(t.Context(), rootP, ops.ID, admin1); !errors.Is(err, auth.ErrLastAdmin) {
		t.Errorf("DisableUser(last active admin) = %v; want ErrLastAdmin", err)
	}
	e.signedIn(t, "ops@example.com") // the last admin still signs in
}

// TestDisabledAccountPasskeys: a disabled account cannot sign in with a
// passkey either, as a second factor or alone; only a valid assertion
// learns that it is disabled.
func TestDisabledAccountPasskeys(t *testing.T) {
	e := passkeyEnv(t, nil)
	root, ann := e.signUp(t, "root@example.com"), e.signUp(t, "ann@example.com")
	a := webauthntest.New(rpOrigin)
	_, c := e.addPasskey(t, a, ann, "Laptop")
	pending := e.pendingFor(t, "ann@example.com") // begun before the account was disabled
	rootP := &access.Principal{UserID: root.ID, Roles: []access.Role{access.RoleAdmin}, Via: access.ViaSession}
	if ended, err := e.svc.DisableUser(t.Context(), rootP, ann.ID, admin1); err != nil || ended.PendingLogins != 1 {
		t.Fatalf("DisableUser = %+v, %v; want the pending sign-in ended", ended, err)
	}
	if _, err := e.svc.BeginPasskeyLogin(t.Context(), pending); !errors.Is(err, auth.ErrPendingLoginInvalid) {
		t.Errorf("BeginPasskeyLogin with a pending sign-in from before disabling = %v; want ErrPendingLoginInvalid", err)
	}
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, c)) }); !errors.Is(err, auth.ErrAccountDisabled) {
		t.Errorf("passwordless sign-in of a disabled account = %v; want ErrAccountDisabled", err)
	}
	stranger := &webauthntest.Credential{ID: []byte("unknown credential"), UserHandle: []byte(ann.ID), RPID: c.RPID, Key: c.Key}
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, stranger)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("passwordless with an unknown credential for a disabled account = %v; want ErrPasskeyInvalid", err)
	}
	if err := e.svc.EnableUser(t.Context(), rootP, ann.ID, admin1); err != nil {
		t.Fatal(err)
	}
	if res, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, c)) }); err != nil || res.User.ID != ann.ID {
		t.Errorf("passwordless after enabling = %v; want Ann signed in", err)
	}
	if _, err := e.secondStep(t, e.pendingFor(t, "ann@example.com"), func(o []byte) []byte { return must(a.Get(o, c)) }); err != nil {
		t.Errorf("password and passkey after enabling = %v", err)
	}
}

// TestEndUserSessions: an admin signs one account out everywhere; its
// tokens, which are not sessions, keep working (ASVS V7.4.5).
func TestEndUserSessions(t *testing.T) {
	e := mfaEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	root, bob := e.signUp(t, "root@example.com"), e.signUp(t, "bob@example.com")
	rootP, rootSession := e.signedIn(t, "root@example.com")
	_, rootOther := e.signedIn(t, "root@example.com")
	bobP, bobSession := e.signedIn(t, "bob@example.com")
	_, bobPhone := e.signedIn(t, "bob@example.com")
	bobToken := e.tokenOf(t, bobP, bob)

	if _, err := e.svc.EndUserSessions(t.Context(), bobP, root.ID, admin1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EndUserSessions by a non-admin = %v; want ErrNotFound", err)
	}
	if _, err := e.svc.EndUserSessions(t.Context(), rootP, sqlstore.NewID(), admin1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EndUserSessions(unknown) = %v; want ErrNotFound", err)
	}
	if _, err := e.svc.EndUserSessions(t.Context(), rootP, "x", admin1); !errors.Is(err, auth.ErrInvalidAccountID) {
		t.Errorf("EndUserSessions(malformed) = %v; want ErrInvalidAccountID", err)
	}
	n, err := e.svc.EndUserSessions(t.Context(), rootP, bob.ID, admin1)
	if err != nil || n != 2 {
		t.Fatalf("EndUserSessions(bob) = %d, %v; want 2", n, err)
	}
	for _, tok := range []string{bobSession, bobPhone} {
		if _, err := e.svc.AuthenticateSession(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("bob's session after EndUserSessions = %v; want ErrUnauthenticated", err)
		}
	}
	if p, err := e.svc.AuthenticateToken(t.Context(), bobToken); err != nil || p.UserID != bob.ID {
		t.Errorf("bob's token after EndUserSessions = %v; want it working", err)
	}
	if _, err := e.login("bob@example.com", goodPassword, "", "192.0.2.8"); err != nil {
		t.Errorf("bob signing in again = %v", err)
	}
	if ev, ok := auditEvent(t, e, bob.ID, audit.SessionRevokedByAdmin); !ok || ev.ActorID != root.ID || ev.Details["sessions_ended"] != "2" {
		t.Errorf("session.revoked_by_admin event = %+v, %v; want actor root, 2 sessions", ev, ok)
	}

	// On the admin's own account, the session making the request stays.
	if n, err := e.svc.EndUserSessions(t.Context(), rootP, root.ID, admin1); err != nil || n != 1 {
		t.Errorf("EndUserSessions(own account) = %d, %v; want 1 (the other browser)", n, err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), rootSession); err != nil {
		t.Errorf("the admin's own session ended: %v", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), rootOther); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("the admin's other session = %v; want ErrUnauthenticated", err)
	}
}

// TestEndAllSessions: every session of the instance ends but the admin's
// own (ASVS V7.4.5).
func TestEndAllSessions(t *testing.T) {
	e := mfaEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	root, bob := e.signUp(t, "root@example.com"), e.signUp(t, "bob@example.com")
	e.signUp(t, "cy@example.com")
	rootP, rootSession := e.signedIn(t, "root@example.com")
	_, rootOther := e.signedIn(t, "root@example.com")
	bobP, bobSession := e.signedIn(t, "bob@example.com")
	_, cySession := e.signedIn(t, "cy@example.com")
	bobToken := e.tokenOf(t, bobP, bob)

	if _, err := e.svc.EndAllSessions(t.Context(), bobP, admin1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EndAllSessions by a non-admin = %v; want ErrNotFound", err)
	}
	n, err := e.svc.EndAllSessions(t.Context(), rootP, admin1)
	if err != nil || n != 3 {
		t.Fatalf("EndAllSessions = %d, %v; want 3", n, err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), rootSession); err != nil {
		t.Errorf("the admin's own session ended: %v", err)
	}
	for _, tok := range []string{rootOther, bobSession, cySession} {
		if _, err := e.svc.AuthenticateSession(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("a session after EndAllSessions = %v; want ErrUnauthenticated", err)
		}
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), bobToken); err != nil {
		t.Errorf("a token after EndAllSessions = %v; want it working", err)
	}
	if ev, ok := auditEvent(t, e, root.ID, audit.SessionsRevokedAll); !ok || ev.Details["sessions_ended"] != "3" || ev.SubjectID != "" {
		t.Errorf("session.revoked_all event = %+v, %v; want actor root, 3 sessions", ev, ok)
	}
}

// TestAccounts: the admin's list of accounts.
func TestAccounts(t *testing.T) {
	e := mfaEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	root, bob := e.signUp(t, "root@example.com"), e.signUp(t, "bob@example.com")
	rootP, _ := e.signedIn(t, "root@example.com")
	bobP, _ := e.signedIn(t, "bob@example.com")
	e.signedIn(t, "bob@example.com")
	if _, err := e.svc.Accounts(t.Context(), bobP); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("Accounts by a non-admin = %v; want ErrNotFound", err)
	}
	// Sessions idle past the limit are not counted.
	e.now = e.now.Add(e.svc.Config().SessionIdle / 2)
	e.signedIn(t, "root@example.com")
	e.now = e.now.Add(e.svc.Config().SessionIdle/2 + 1)
	list, err := e.svc.Accounts(t.Context(), rootP)
	if err != nil || len(list) != 2 {
		t.Fatalf("Accounts = %+v, %v; want 2", list, err)
	}
	if list[0].User.ID != root.ID || !slices.Equal(list[0].User.Roles, []access.Role{access.RoleAdmin}) || list[0].LiveSessions != 1 ||
		list[1].User.ID != bob.ID || list[1].LiveSessions != 0 || list[1].User.PasswordHash != "" {
		t.Errorf("Accounts = %+v", list)
	}
}
