package auth_test

import (
	"errors"
	"testing"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/auth/webauthntest"
)

// TestPasskeyOnlyAccountReauthenticatesWithAPasskey: an account whose
// only second factor is passkeys proves itself with the password and a
// passkey before a sensitive change, as it does when signing in.
func TestPasskeyOnlyAccountReauthenticatesWithAPasskey(t *testing.T) {
	e := passkeyEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	e.addPasskey(t, webauthntest.New(rpOrigin), u, "Laptop")
	p := &access.Principal{UserID: u.ID, Via: access.ViaSession}
	ctx := t.Context()

	if err := e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword}, "a newer passphrase 1", auth.Client{}); !errors.Is(err, auth.ErrPasskeyRequired) {
		t.Errorf("ChangePassword without a passkey = %v; want ErrPasskeyRequired", err)
	}
	if _, _, err := e.svc.CreateToken(ctx, p, "cli", auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrPasskeyRequired) {
		t.Errorf("CreateToken without a passkey = %v; want ErrPasskeyRequired", err)
	}
	if _, err := e.svc.BeginTOTP(ctx, p, auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrPasskeyRequired) {
		t.Errorf("BeginTOTP without a passkey = %v; want ErrPasskeyRequired", err)
	}
	// An assertion made for another ceremony kind, or garbage, is refused.
	if err := e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword, PasskeyHandle: "nope", PasskeyAssertion: []byte("{}")}, "a newer passphrase 1", auth.Client{}); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("ChangePassword with a bad assertion = %v; want ErrPasskeyInvalid", err)
	}
	if err := e.svc.ChangePassword(ctx, p, e.reauth(t, u), "a newer passphrase 1", auth.Client{}); err != nil {
		t.Fatalf("ChangePassword with the password and a passkey = %v", err)
	}
	if _, err := e.login("ann@example.com", "a newer passphrase 1", "", "192.0.2.1"); !errors.Is(err, auth.ErrMFARequired) {
		t.Errorf("login with the new password = %v; want the passkey step", err)
	}
}

// TestSecondFactorChangesEndOtherAccess: turning TOTP on or off, adding or
// removing a passkey end every other session and every token; the
// caller's session stays (ASVS 7.4.3).
func TestSecondFactorChangesEndOtherAccess(t *testing.T) {
	e := mfaEnv(t, nil)
	e.signUp(t, "ann@example.com")
	here, _ := e.login("ann@example.com", goodPassword, "", "192.0.2.1")
	p, err := e.svc.AuthenticateSession(t.Context(), here.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := e.svc.User(t.Context(), p.UserID)
	there, _ := e.login("ann@example.com", goodPassword, "", "192.0.2.2")
	_, token, err := e.svc.CreateToken(t.Context(), p, "cli", auth.Reauth{Password: goodPassword}, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	_, codes := e.enrolAs(t, p, u)
	if _, err := e.svc.AuthenticateSession(t.Context(), there.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("other session after TOTP on = %v; want ended", err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("token after TOTP on = %v; want revoked", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), here.SessionToken); err != nil {
		t.Errorf("own session after TOTP on = %v; want kept", err)
	}

	there, err = e.svc.Login(t.Context(), auth.LoginRequest{Email: "ann@example.com", Password: goodPassword, OTP: codes[0], Client: auth.Client{IP: "192.0.2.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DisableMFA(t.Context(), p, goodPassword, codes[1], auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), there.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("other session after TOTP off = %v; want ended", err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), here.SessionToken); err != nil {
		t.Errorf("own session after TOTP off = %v; want kept", err)
	}
}

// TestRevokeOtherSessions: "sign out everywhere else" takes one factor
// and leaves this session and the tokens.
func TestRevokeOtherSessions(t *testing.T) {
	e := newEnv(t, nil)
	e.signUp(t, "ann@example.com")
	here, _ := e.login("ann@example.com", goodPassword, "", "192.0.2.1")
	p, _ := e.svc.AuthenticateSession(t.Context(), here.SessionToken)
	a, _ := e.login("ann@example.com", goodPassword, "", "192.0.2.2")
	b, _ := e.login("ann@example.com", goodPassword, "", "192.0.2.3")
	_, token, err := e.svc.CreateToken(t.Context(), p, "cli", auth.Reauth{Password: goodPassword}, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RevokeOtherSessions(t.Context(), p, auth.Reauth{Password: "not the password"}, auth.Client{}); !errors.Is(err, auth.ErrWrongPassword) {
		t.Errorf("RevokeOtherSessions(wrong password) = %v; want ErrWrongPassword", err)
	}
	n, err := e.svc.RevokeOtherSessions(t.Context(), p, auth.Reauth{Password: goodPassword}, auth.Client{})
	if err != nil || n != 2 {
		t.Fatalf("RevokeOtherSessions = %d, %v; want 2", n, err)
	}
	for _, r := range []auth.LoginResult{a, b} {
		if _, err := e.svc.AuthenticateSession(t.Context(), r.SessionToken); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("other session = %v; want ended", err)
		}
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), here.SessionToken); err != nil {
		t.Errorf("own session = %v; want kept", err)
	}
	if _, err := e.svc.AuthenticateToken(t.Context(), token); err != nil {
		t.Errorf("token = %v; want kept (tokens are not sessions)", err)
	}
}
