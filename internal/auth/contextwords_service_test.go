package auth_test

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"safelight/internal/access"
	"safelight/internal/auth"
)

// wantPolicyError fails unless err is a *auth.PasswordPolicyError whose
// reason contains want.
func wantPolicyError(t *testing.T, what string, err error, want string) {
	t.Helper()
	var pe *auth.PasswordPolicyError
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, want) {
		t.Errorf("%s = %v; want a PasswordPolicyError containing %q", what, err, want)
	}
}

// resetLink asks for a password reset of email and returns the token of
// the link mailed.
func resetLink(t *testing.T, e *env, m *recordingMailer, email string) string {
	t.Helper()
	if err := e.svc.RequestPasswordReset(t.Context(), email, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	return newestLink(t, e, m, "reset-password")
}

const (
	contextReason  = "too easy to guess from your name, e-mail address or this site's name"
	breachedReason = "appeared in a data breach"
)

// TestNewPasswordsAvoidContextWords is ASVS V6.2.11 through the Service:
// sign-up, user create, password change and reset all refuse a password
// made of the site's and the account's words, and accept a good one.
func TestNewPasswordsAvoidContextWords(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.PublicURL = "https://photos.example.org" })
	ctx := t.Context()

	_, err := e.svc.SignUp(ctx, auth.SignUpRequest{Email: "ann.smith@example.net", Name: "Annabel Smith", Password: "AnnabelSmith1987"})
	wantPolicyError(t, "SignUp(name and a year)", err, contextReason)
	_, err = e.svc.SignUp(ctx, auth.SignUpRequest{Email: "ann.smith@example.net", Name: "Annabel Smith", Password: "Photos.Example.org!"})
	wantPolicyError(t, "SignUp(host name)", err, contextReason)
	u, err := e.svc.SignUp(ctx, auth.SignUpRequest{Email: "ann.smith@example.net", Name: "Annabel Smith", Password: goodPassword})
	if err != nil {
		t.Fatalf("SignUp(good password) = %v", err)
	}

	_, err = e.svc.CreateUser(ctx, "bob.jones@example.net", "Robert Jones", "Safelight-admin-1", nil)
	wantPolicyError(t, "CreateUser(product name)", err, contextReason)
	if _, err := e.svc.CreateUser(ctx, "bob.jones@example.net", "Robert Jones", "safelight under a red lamp", nil); err != nil {
		t.Errorf("CreateUser(product name in a good password) = %v; want nil", err)
	}

	p := &access.Principal{UserID: u.ID, Via: access.ViaSession, SessionID: "s"}
	err = e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword}, "ann.smith@example.net", auth.Client{})
	wantPolicyError(t, "ChangePassword(own e-mail address)", err, contextReason)
	err = e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword}, "SMITH annabel 2024!", auth.Client{})
	wantPolicyError(t, "ChangePassword(own name)", err, contextReason)
	if err := e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword}, "annabel's tangerine umbrella", auth.Client{}); err != nil {
		t.Errorf("ChangePassword(good password with the name in it) = %v; want nil", err)
	}
}

// TestResetPasswordContextWords: at reset, the site's words and the
// account's own are refused before the link is spent, so it still works.
func TestResetPasswordContextWords(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.PublicURL = "https://photos.example.org" })
	m := withMail(t, e)
	ctx := t.Context()
	if _, err := e.svc.SignUp(ctx, auth.SignUpRequest{Email: "ann.smith@example.net", Name: "Annabel Smith", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	token := resetLink(t, e, m, "ann.smith@example.net")

	wantPolicyError(t, "ResetPassword(site name)", e.svc.ResetPassword(ctx, token, "safelight-photos-1", auth.Client{}), contextReason)
	wantPolicyError(t, "ResetPassword(own name)", e.svc.ResetPassword(ctx, token, "annabel.smith.2024", auth.Client{}), contextReason)
	if _, err := e.login("ann.smith@example.net", goodPassword, "", "192.0.2.1"); err != nil {
		t.Errorf("login with the old password = %v; want it unchanged", err)
	}
	if err := e.svc.ResetPassword(ctx, token, "new darkroom lamp 77", auth.Client{}); err != nil {
		t.Errorf("ResetPassword(good password) = %v; want nil", err)
	}
}

// TestNewPasswordsAvoidBreachedPasswords is ASVS V6.2.12 through the
// Service: with an operator's Pwned Passwords file, every way of setting
// a password refuses one found in it.
func TestNewPasswordsAvoidBreachedPasswords(t *testing.T) {
	breached := []string{"violet darkroom lamp 43", "amber glow in the dark", "fixer and stop bath"}
	var lines []string
	for _, p := range breached {
		lines = append(lines, fmt.Sprintf("%X:%d", sha1.Sum([]byte(p)), len(p)))
	}
	for i := range 500 { // filler, so that the search has some depth
		lines = append(lines, fmt.Sprintf("%X:1", sha1.Sum(fmt.Appendf(nil, "filler %d", i))))
	}
	slices.Sort(lines) // "ordered by hash"
	path := filepath.Join(t.TempDir(), "pwned.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := auth.OpenBreachedPasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { list.Close() })

	e := newEnv(t, func(c *auth.Config) { c.BreachedPasswords = list })
	m := withMail(t, e)
	ctx := t.Context()
	_, err = e.svc.SignUp(ctx, auth.SignUpRequest{Email: "ann@example.net", Name: "Ann", Password: breached[0]})
	wantPolicyError(t, "SignUp(breached)", err, breachedReason)
	u, err := e.svc.SignUp(ctx, auth.SignUpRequest{Email: "ann@example.net", Name: "Ann", Password: goodPassword})
	if err != nil {
		t.Fatalf("SignUp(not breached) = %v", err)
	}
	_, err = e.svc.CreateUser(ctx, "bob@example.net", "Bob", breached[1], nil)
	wantPolicyError(t, "CreateUser(breached)", err, breachedReason)

	p := &access.Principal{UserID: u.ID, Via: access.ViaSession, SessionID: "s"}
	err = e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword}, breached[2], auth.Client{})
	wantPolicyError(t, "ChangePassword(breached)", err, breachedReason)

	resetToken := resetLink(t, e, m, "ann@example.net")
	wantPolicyError(t, "ResetPassword(breached)", e.svc.ResetPassword(ctx, resetToken, breached[0], auth.Client{}), breachedReason)
	if err := e.svc.ResetPassword(ctx, resetToken, "new darkroom lamp 77", auth.Client{}); err != nil {
		t.Errorf("ResetPassword(not breached) after a refused one = %v; want nil (the link still works)", err)
	}
}
