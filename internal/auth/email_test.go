package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/mail"
)

// recordingMailer keeps what it is asked to send; fail makes Send fail.
type recordingMailer struct {
	mu   sync.Mutex
	sent []mail.Message
	fail error
}

func (m *recordingMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, msg)
	return nil
}

func (m *recordingMailer) messages() []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail.Message(nil), m.sent...)
}

func withMail(t *testing.T, e *env) *recordingMailer {
	t.Helper()
	m := &recordingMailer{}
	e.svc.SetMail(auth.MailOptions{Mailer: m, Store: e.store, PublicURL: "https://photos.example/"})
	return m
}

var linkRE = regexp.MustCompile(`https://photos\.example/(reset-password|verify-email)\?token=(sl[rv]_[A-Za-z0-9_-]{43})\n`)

// newestLink waits for the mail on its way and returns the token of the
// newest link to path (reset-password or verify-email). Not simply the
// last mail: each mail is sent by its own goroutine (Service.background),
// so the verification mail of a sign-up may be handed over after a reset
// mail asked for later.
func newestLink(t *testing.T, e *env, m *recordingMailer, path string) string {
	t.Helper()
	if err := e.svc.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms := m.messages()
	for i := len(ms) - 1; i >= 0; i-- {
		if got := linkRE.FindStringSubmatch(ms[i].Text); got != nil && got[1] == path {
			return got[2]
		}
	}
	t.Fatalf("none of the %d mails sent links to %s", len(ms), path)
	return ""
}

func TestResetTokenIsStoredHashed(t *testing.T) {
	e := newEnv(t, nil)
	m := withMail(t, e)
	u := e.signUp(t, "ann@example.com")
	if err := e.svc.RequestPasswordReset(t.Context(), "ann@example.com", auth.Client{}); err != nil {
		t.Fatal(err)
	}
	token := newestLink(t, e, m, "reset-password")
	stored, err := e.store.LatestEmailToken(t.Context(), u.ID, auth.PurposePasswordReset)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if !bytes.Equal(stored.Hash, sum[:]) || bytes.Contains(stored.Hash, []byte(token)) {
		t.Errorf("stored hash = %x; want SHA-256 of the mailed token", stored.Hash)
	}
	if want := e.now.Add(auth.ResetTokenTTL); !stored.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v; want %v (30 minutes)", stored.ExpiresAt, want)
	}
	if stored.Email != u.Email {
		t.Errorf("token address = %q; want %q", stored.Email, u.Email)
	}
}

func TestResetEdges(t *testing.T) {
	e := newEnv(t, nil)
	m := withMail(t, e)
	e.signUp(t, "ann@example.com")
	ctx := t.Context()
	if err := e.svc.RequestPasswordReset(ctx, "ann@example.com", auth.Client{}); err != nil {
		t.Fatal(err)
	}
	token := newestLink(t, e, m, "reset-password")

	// A verification token is not a reset token, and the reverse.
	_, verify := func() (string, string) {
		for _, msg := range m.messages() {
			if g := linkRE.FindStringSubmatch(msg.Text); g != nil && g[1] == "verify-email" {
				return g[1], g[2]
			}
		}
		t.Fatal("no verification mail after sign-up")
		return "", ""
	}()
	if err := e.svc.ResetPassword(ctx, verify, "new darkroom lamp 77", auth.Client{}); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("ResetPassword(verification token) = %v; want ErrTokenInvalid", err)
	}
	if err := e.svc.VerifyEmail(ctx, token, auth.Client{}); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("VerifyEmail(reset token) = %v; want ErrTokenInvalid", err)
	}
	// A refused password leaves the token working.
	var pe *auth.PasswordPolicyError
	if err := e.svc.ResetPassword(ctx, token, "short", auth.Client{}); !errors.As(err, &pe) {
		t.Errorf("ResetPassword(short) = %v; want a PasswordPolicyError", err)
	}
	if err := e.svc.ResetPassword(ctx, token, "new darkroom lamp 77", auth.Client{}); err != nil {
		t.Errorf("ResetPassword after a refused password = %v; want nil", err)
	}
	if _, err := e.login("ann@example.com", "new darkroom lamp 77", "", "192.0.2.1"); err != nil {
		t.Errorf("login with the new password = %v", err)
	}
}

func TestMailFailureIsNotTheCallersProblem(t *testing.T) {
	e := newEnv(t, nil)
	m := withMail(t, e)
	m.fail = errors.New("smtp server down")
	e.signUp(t, "ann@example.com") // its verification mail fails: logged
	if err := e.svc.RequestPasswordReset(t.Context(), "ann@example.com", auth.Client{}); err != nil {
		t.Errorf("RequestPasswordReset with a failing mailer = %v; want nil (the answer never depends on mail)", err)
	}
	if err := e.svc.FlushMail(t.Context()); err != nil {
		t.Errorf("FlushMail = %v", err)
	}
}

func TestFlushMailWaits(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.Signup = auth.SignupOpen })
	m := withMail(t, e)
	for _, addr := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		e.signUp(t, addr)
	}
	if err := e.svc.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(m.messages()); n != 3 {
		t.Errorf("after FlushMail, %d messages sent; want 3", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	if err := e.svc.FlushMail(ctx); err != nil {
		t.Errorf("FlushMail with nothing pending = %v", err)
	}
}

func TestCooldownErrorMessage(t *testing.T) {
	err := &auth.CooldownError{RetryAfter: 1500 * time.Millisecond}
	if got, want := err.Error(), "try again in 2 seconds"; !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("CooldownError = %q; want it to say %q", got, want)
	}
}
