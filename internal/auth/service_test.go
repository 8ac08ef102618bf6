package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/sqlstore"
)

// cheap parameters keep the suite fast; TestLoginRehashes covers the
// defaults.
var cheap = auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

const goodPassword = "violet darkroom lamp 42"

type env struct {
	svc   *auth.Service
	store *sqlstore.Store
	now   time.Time
	// passkeys holds, per account, the authenticator and credential of
	// the last passkey a test added, to re-authenticate with it.
	passkeys map[string]heldPasskey
}

func newEnv(t *testing.T, mutate func(*auth.Config)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "m.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	cfg := auth.DefaultConfig()
	cfg.Password = cheap
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := auth.NewService(st, audit.NewRecorder(st, log), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{svc: svc, store: st, now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	svc.SetClock(func() time.Time { return e.now })
	return e
}

func (e *env) signUp(t *testing.T, email string) auth.User {
	t.Helper()
	u, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: email, Name: "N", Password: goodPassword})
	if err != nil {
		t.Fatalf("SignUp(%s) = %v", email, err)
	}
	return u
}

func (e *env) login(email, password, device, ip string) (auth.LoginResult, error) {
	return e.svc.Login(context.Background(), auth.LoginRequest{Email: email, Password: password, DeviceToken: device, Client: auth.Client{IP: ip}})
}

func TestSignUpPolicyAuto(t *testing.T) {
	e := newEnv(t, nil)
	first := e.signUp(t, "First@Example.com ")
	if first.Email != "first@example.com" || !slices.Contains(first.Roles, access.RoleAdmin) {
		t.Errorf("first account = %+v; want normalized e-mail and admin role", first)
	}
	// After the first account, sign-up needs an invitation.
	_, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: "b@example.com", Name: "B", Password: goodPassword})
	if !errors.Is(err, auth.ErrInviteRequired) {
		t.Fatalf("second sign-up without invite = %v; want ErrInviteRequired", err)
	}
	_, secret, err := e.svc.CreateInvite(t.Context(), first.ID, "b@example.com", auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: "c@example.com", Name: "C", Password: goodPassword, Invite: secret}); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("invite used by another address = %v; want ErrInviteInvalid", err)
	}
	b, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: "b@example.com", Name: "B", Password: goodPassword, Invite: secret})
	if err != nil {
		t.Fatalf("sign-up with invite = %v", err)
	}
	if slices.Contains(b.Roles, access.RoleAdmin) {
		t.Errorf("second account is admin")
	}
	e.now = e.now.Add(8 * 24 * time.Hour)
	_, late, _ := e.svc.CreateInvite(t.Context(), first.ID, "d@example.com", auth.Client{})
	e.now = e.now.Add(8 * 24 * time.Hour)
	if _, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: "d@example.com", Name: "D", Password: goodPassword, Invite: late}); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("expired invite = %v; want ErrInviteInvalid", err)
	}
}

func TestSignUpClosedAndOpen(t *testing.T) {
	closed := newEnv(t, func(c *auth.Config) { c.Signup = auth.SignupClosed })
	if _, err := closed.svc.SignUp(t.Context(), auth.SignUpRequest{Email: "a@example.com", Name: "A", Password: goodPassword}); !errors.Is(err, auth.ErrSignupClosed) {
		t.Errorf("closed sign-up = %v; want ErrSignupClosed", err)
	}
	open := newEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	open.signUp(t, "a@example.com")
	open.signUp(t, "b@example.com")
}

func TestSignUpRejectsBadInput(t *testing.T) {
	e := newEnv(t, nil)
	for _, tt := range []struct {
		email, name, password string
		want                  string
	}{
		{"no-at-sign", "N", goodPassword, "e-mail"},
		{"a@b@c", "N", goodPassword, "e-mail"},
		{"Ann <a@example.com>", "N", goodPassword, "e-mail"},
		{"a@example.com", "", goodPassword, "name"},
		{"a@example.com", "bad\x00name", goodPassword, "name"},
		{"a@example.com", "N", "short", "at least 10"},
		{"a@example.com", "N", "1234567890", "common"},
	} {
		_, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: tt.email, Name: tt.name, Password: tt.password})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SignUp(%q, %q, %q) = %v; want error mentioning %q", tt.email, tt.name, tt.password, err, tt.want)
		}
	}
	if n, _ := e.store.CountUsers(t.Context()); n != 0 {
		t.Errorf("refused sign-ups left %d accounts", n)
	}
}

func TestSignUpDuplicateIsIndistinguishable(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	orig := e.signUp(t, "a@example.com")
	dup, err := e.svc.SignUp(t.Context(), auth.SignUpRequest{Email: "a@example.com", Name: "Mallory", Password: "another long passphrase"})
	if err != nil {
		t.Fatalf("duplicate sign-up = %v; want the same success as a new address", err)
	}
	if dup.ID == orig.ID || dup.ID == "" {
		t.Errorf("duplicate sign-up returned id %q; want a fresh unused id", dup.ID)
	}
	if _, err := e.login("a@example.com", "another long passphrase", "", "192.0.2.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("duplicate sign-up changed the password: login = %v", err)
	}
	ev, _ := e.store.AuditEventsAbout(t.Context(), orig.ID, 10)
	if !slices.ContainsFunc(ev, func(x audit.Event) bool { return x.Type == audit.SignupDuplicate }) {
		t.Errorf("owner of the address got no security event about the attempt: %+v", ev)
	}
}

func TestLoginAndSessions(t *testing.T) {
	e := newEnv(t, nil)
	u := e.signUp(t, "a@example.com")
	if _, err := e.login("a@example.com", "wrong password!", "", "192.0.2.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("wrong password = %v; want ErrInvalidCredentials", err)
	}
	if _, err := e.login("nobody@example.com", goodPassword, "", "192.0.2.1"); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("unknown e-mail = %v; want ErrInvalidCredentials", err)
	}
	r1, err := e.login("A@example.com", goodPassword, "", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.login("a@example.com", goodPassword, r1.DeviceToken, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if r1.SessionToken == r2.SessionToken || r1.Session.ID == r2.Session.ID {
		t.Error("two logins share a session token")
	}
	if r2.DeviceToken != "" {
		t.Error("a known device got a new device token")
	}
	if len(r1.SessionToken) < 40 {
		t.Errorf("session token %d chars; want >= 256 bits", len(r1.SessionToken))
	}
	p, err := e.svc.AuthenticateSession(t.Context(), r1.SessionToken)
	if err != nil || p.UserID != u.ID || p.SessionID != r1.Session.ID || p.Via != access.ViaSession {
		t.Fatalf("AuthenticateSession = %+v, %v", p, err)
	}
	// Only the hash is stored.
	if _, err := e.store.SessionByHash(t.Context(), []byte(r1.SessionToken)); !errors.Is(err, auth.ErrNotFound) {
		t.Error("session found by its raw token; the store must hold only a hash")
	}
	ss, _ := e.svc.Sessions(t.Context(), u.ID)
	if len(ss) != 2 {
		t.Errorf("Sessions = %d; want 2", len(ss))
	}
	if err := e.svc.Logout(t.Context(), p, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), r1.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("session after logout = %v; want ErrUnauthenticated", err)
	}
	other, err := e.svc.CreateUser(t.Context(), "someone-else@example.com", "Someone", goodPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeSession(t.Context(), &access.Principal{UserID: other.ID, Via: access.ViaSession}, r2.Session.ID, auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoking another account's session = %v; want ErrNotFound", err)
	}
	// Ending another session than one's own needs the password.
	me := &access.Principal{UserID: u.ID, Via: access.ViaSession, SessionID: "not this one"}
	if err := e.svc.RevokeSession(t.Context(), me, r2.Session.ID, auth.Reauth{}, auth.Client{}); !errors.Is(err, auth.ErrReauthRequired) {
		t.Errorf("revoking a session without the password = %v; want ErrReauthRequired", err)
	}
	if err := e.svc.RevokeSession(t.Context(), me, r2.Session.ID, auth.Reauth{Password: "not the password"}, auth.Client{}); !errors.Is(err, auth.ErrWrongPassword) {
		t.Errorf("revoking a session with a wrong password = %v; want ErrWrongPassword", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), r2.SessionToken); err != nil {
		t.Errorf("session after refused revocations = %v; want alive", err)
	}
	if err := e.svc.RevokeSession(t.Context(), me, r2.Session.ID, auth.Reauth{Password: goodPassword}, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), r2.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("revoked session = %v; want ErrUnauthenticated", err)
	}
}

func TestSessionTimeouts(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.SessionIdle = time.Hour; c.SessionMaxAge = 3 * time.Hour })
	e.signUp(t, "a@example.com")
	r, err := e.login("a@example.com", goodPassword, "", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	// Activity every 50 minutes keeps it alive until the absolute end.
	for i := 1; i <= 3; i++ {
		e.now = e.now.Add(50 * time.Minute)
		if _, err := e.svc.AuthenticateSession(t.Context(), r.SessionToken); err != nil {
			t.Fatalf("active session after %d×50m = %v", i, err)
		}
	}
	e.now = e.now.Add(31 * time.Minute) // 3h01m after login
	if _, err := e.svc.AuthenticateSession(t.Context(), r.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("session past max age = %v; want ErrUnauthenticated", err)
	}
	r, _ = e.login("a@example.com", goodPassword, "", "192.0.2.1")
	e.now = e.now.Add(61 * time.Minute)
	if _, err := e.svc.AuthenticateSession(t.Context(), r.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("idle session = %v; want ErrUnauthenticated", err)
	}
}

func TestThrottleDoesNotLockOutTheOwner(t *testing.T) {
	e := newEnv(t, nil)
	e.signUp(t, "a@example.com")
	// The owner has signed in before from their browser.
	owner, err := e.login("a@example.com", goodPassword, "", "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	// An attacker from many addresses exhausts the account limit.
	for i := range auth.ThrottleAccountMax {
		ip := "203.0.113." + string(rune('0'+i))
		if _, err := e.login("a@example.com", "guess number "+ip, "", ip); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("guess %d = %v", i, err)
		}
	}
	var te *auth.ThrottledError
	if _, err := e.login("a@example.com", goodPassword, "", "203.0.113.99"); !errors.As(err, &te) {
		t.Fatalf("login from a new browser while throttled = %v; want ThrottledError", err)
	}
	if te.RetryAfter <= 0 || te.RetryAfter > auth.ThrottleWindow {
		t.Errorf("RetryAfter = %v; want within the window", te.RetryAfter)
	}
	// The owner's known browser still gets in.
	if _, err := e.login("a@example.com", goodPassword, owner.DeviceToken, "198.51.100.7"); err != nil {
		t.Errorf("owner's known device while account throttled = %v; want success", err)
	}
	// And the lock ends with its window.
	e.now = e.now.Add(auth.ThrottleWindow + time.Second)
	if _, err := e.login("a@example.com", goodPassword, "", "203.0.113.99"); err != nil {
		t.Errorf("login after the window = %v; want success", err)
	}
}

func TestThrottlePerAddress(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	e.signUp(t, "victim@example.com")
	for i := range auth.ThrottleAddressMax {
		email := "spray" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com"
		if _, err := e.login(email, "whatever password", "", "2001:db8::1"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("attempt %d = %v", i, err)
		}
	}
	// Same /64, different address: still the same client.
	var te *auth.ThrottledError
	if _, err := e.login("victim@example.com", goodPassword, "", "2001:db8::2"); !errors.As(err, &te) {
		t.Errorf("login from the throttled /64 = %v; want ThrottledError", err)
	}
	if _, err := e.login("victim@example.com", goodPassword, "", "192.0.2.50"); err != nil {
		t.Errorf("login from another address = %v; want success", err)
	}
}

func TestLoginRehashes(t *testing.T) {
	e := newEnv(t, nil) // cheap parameters
	u := e.signUp(t, "a@example.com")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := auth.DefaultConfig() // the real, higher defaults
	svc, err := auth.NewService(e.store, audit.NewRecorder(e.store, log), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(t.Context(), auth.LoginRequest{Email: "a@example.com", Password: goodPassword, Client: auth.Client{IP: "192.0.2.1"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.UserByID(t.Context(), u.ID)
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash after login with raised parameters = %q; want m=19456,t=2,p=1", got.PasswordHash)
	}
	if _, err := svc.Login(t.Context(), auth.LoginRequest{Email: "a@example.com", Password: goodPassword, Client: auth.Client{IP: "192.0.2.1"}}); err != nil {
		t.Errorf("login with rehashed password = %v", err)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	a, b := e.signUp(t, "a@example.com"), e.signUp(t, "b@example.com")
	pa := &access.Principal{UserID: a.ID, Via: access.ViaSession, SessionID: "s"}
	if _, _, err := e.svc.CreateToken(t.Context(), pa, "backup script", auth.Reauth{}, auth.Client{}); !errors.Is(err, auth.ErrReauthRequired) {
		t.Errorf("CreateToken without the password = %v; want ErrReauthRequired", err)
	}
	if _, _, err := e.svc.CreateToken(t.Context(), pa, "backup script", auth.Reauth{Password: "not the password"}, auth.Client{}); !errors.Is(err, auth.ErrWrongPassword) {
		t.Errorf("CreateToken with a wrong password = %v; want ErrWrongPassword", err)
	}
	tok, secret, err := e.svc.CreateToken(t.Context(), pa, "backup script", auth.Reauth{Password: goodPassword}, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.AuthenticateToken(t.Context(), secret)
	if err != nil || p.UserID != a.ID || p.Via != access.ViaToken || p.TokenID != tok.ID {
		t.Fatalf("AuthenticateToken = %+v, %v", p, err)
	}
	// A token cannot make more tokens, even with the password.
	if _, _, err := e.svc.CreateToken(t.Context(), p, "more", auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrSessionRequired) {
		t.Errorf("CreateToken by a token = %v; want ErrSessionRequired", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Error("a personal access token was accepted as a session token")
	}
	if err := e.svc.RevokeToken(t.Context(), b.ID, tok.ID, auth.Client{}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoke by another account = %v; want ErrNotFound", err)
	}
	if err := e.svc.RevokeToken(t.Context(), a.ID, tok.ID, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("revoked token = %v; want ErrUnauthenticated", err)
	}
	if _, _, err := e.svc.CreateToken(t.Context(), pa, "", auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrInvalidTokenName) {
		t.Errorf("empty token name = %v", err)
	}
}

func TestChangePasswordEndsOtherSessionsAndTokens(t *testing.T) {
	e := newEnv(t, nil)
	e.signUp(t, "a@example.com")
	r1, _ := e.login("a@example.com", goodPassword, "", "192.0.2.1")
	r2, _ := e.login("a@example.com", goodPassword, "", "192.0.2.2")
	p, _ := e.svc.AuthenticateSession(t.Context(), r1.SessionToken)
	_, token, err := e.svc.CreateToken(t.Context(), p, "script", auth.Reauth{Password: goodPassword}, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ChangePassword(t.Context(), p, auth.Reauth{Password: "not the password"}, "brand new passphrase", auth.Client{}); !errors.Is(err, auth.ErrWrongPassword) {
		t.Errorf("wrong current password = %v; want ErrWrongPassword", err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), token); err != nil {
		t.Errorf("token after a refused password change = %v; want alive", err)
	}
	if err := e.svc.ChangePassword(t.Context(), p, auth.Reauth{Password: goodPassword}, "brand new passphrase", auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("token after password change = %v; want revoked", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), r1.SessionToken); err != nil {
		t.Errorf("current session after password change = %v; want kept", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), r2.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("other session after password change = %v; want ended", err)
	}
	if _, err := e.login("a@example.com", "brand new passphrase", "", "192.0.2.1"); err != nil {
		t.Errorf("login with new password = %v", err)
	}
}

func TestAuditHasNoSecrets(t *testing.T) {
	e := newEnv(t, nil)
	u := e.signUp(t, "a@example.com")
	e.login("a@example.com", "wrong but secret pw", "", "192.0.2.1")
	r, _ := e.login("a@example.com", goodPassword, "", "192.0.2.1")
	_, secret, _ := e.svc.CreateToken(t.Context(), &access.Principal{UserID: u.ID, Via: access.ViaSession}, "t", auth.Reauth{Password: goodPassword}, auth.Client{})
	ev, err := e.store.AuditEventsAbout(t.Context(), u.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	types := map[audit.Type]bool{}
	for _, x := range ev {
		types[x.Type] = true
		if x.At.Location() != time.UTC {
			t.Errorf("event %s at %v; want UTC", x.Type, x.At)
		}
		for k, v := range x.Details {
			for _, s := range []string{goodPassword, "wrong but secret pw", r.SessionToken, secret, r.DeviceToken} {
				if strings.Contains(v, s) {
					t.Errorf("event %s detail %s contains a secret", x.Type, k)
				}
			}
		}
	}
	for _, want := range []audit.Type{audit.UserSignup, audit.LoginFailed, audit.LoginSucceeded, audit.TokenCreated} {
		if !types[want] {
			t.Errorf("no %s event recorded; have %v", want, types)
		}
	}
}
