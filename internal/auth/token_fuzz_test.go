package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/sqlstore"
)

// fuzzSecrets are real secrets of one account on a real SQLite store.
// Fuzz inputs name them with placeholders ({SESSION}, {TOKEN}, {INVITE},
// {DEVICE}), so that the fuzzer can explore strings close to a valid secret
// (one byte more, a prefix cut, case changed) without knowing it.
type fuzzSecrets struct {
	svc                            *auth.Service
	session, token, invite, device string
	sessionID, tokenID, userID     string
}

func (s *fuzzSecrets) expand(in string) string {
	return strings.NewReplacer("{SESSION}", s.session, "{TOKEN}", s.token, "{INVITE}", s.invite, "{DEVICE}", s.device).Replace(in)
}

// newFuzzSecrets opens a store in a temporary directory and creates an
// admin account with a session, a personal access token, a known device
// and an open invitation. Each fuzz worker process runs it once.
func newFuzzSecrets(f *testing.F) *fuzzSecrets {
	f.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(f.TempDir(), "m.db"), log)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	cfg := auth.DefaultConfig()
	cfg.Password = auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
	svc, err := auth.NewService(st, audit.NewRecorder(st, log), cfg, log)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	svc.SetClock(func() time.Time { return now })
	u, err := svc.SignUp(ctx, auth.SignUpRequest{Email: "owner@example.com", Name: "Owner", Password: goodPassword})
	if err != nil {
		f.Fatal(err)
	}
	res, err := svc.Login(ctx, auth.LoginRequest{Email: "owner@example.com", Password: goodPassword, Client: auth.Client{IP: "192.0.2.1"}})
	if err != nil {
		f.Fatal(err)
	}
	tok, pat, err := svc.CreateToken(ctx, &access.Principal{UserID: u.ID, Via: access.ViaSession}, "fuzz", auth.Reauth{Password: goodPassword}, auth.Client{})
	if err != nil {
		f.Fatal(err)
	}
	_, invite, err := svc.CreateInvite(ctx, u.ID, "invited@example.com", auth.Client{})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzSecrets{svc: svc, session: res.SessionToken, token: pat, invite: invite, device: res.DeviceToken,
		sessionID: res.Session.ID, tokenID: tok.ID, userID: u.ID}
}

// FuzzAuthenticateSecret presents arbitrary strings as a session cookie, a
// Bearer token, an invitation and a device cookie. Whatever the string,
// nothing panics, and only the exact secret is accepted: any other string
// is ErrUnauthenticated for sessions and tokens (never a Principal, never
// another error), ErrInviteInvalid for invitations, and an untrusted
// device (the login issues a new device cookie).
func FuzzAuthenticateSecret(f *testing.F) {
	sec := newFuzzSecrets(f)
	for _, s := range []string{
		"{SESSION}", "{TOKEN}", "{INVITE}", "{DEVICE}",
		"{SESSION} ", " {TOKEN}", "{SESSION}\x00", "{TOKEN}=", "x{INVITE}",
		"sls_", "slp_", "sld_", "sli_", "SLS_{SESSION}", "sls_sls_", "",
		"sls_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "slp_\xff\xfe",
		"' OR '1'='1", "sls_%", "slp_*", "\u00a0sls_",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, in string) {
		s := sec.expand(in)

		p, err := sec.svc.AuthenticateSession(ctx, s)
		if s == sec.session {
			if err != nil || p == nil || p.SessionID != sec.sessionID || p.UserID != sec.userID {
				t.Errorf("AuthenticateSession(the session token) = %+v, %v; want its Principal", p, err)
			}
		} else if p != nil || !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("AuthenticateSession(%q) = %+v, %v; want nil, ErrUnauthenticated", s, p, err)
		}

		p, err = sec.svc.AuthenticateToken(ctx, s)
		if s == sec.token {
			if err != nil || p == nil || p.TokenID != sec.tokenID || p.UserID != sec.userID {
				t.Errorf("AuthenticateToken(the token) = %+v, %v; want its Principal", p, err)
			}
		} else if p != nil || !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("AuthenticateToken(%q) = %+v, %v; want nil, ErrUnauthenticated", s, p, err)
		}

		// Using the real invitation would consume it; the seeds show it
		// is looked up, TestSignUpPolicyAuto that it works.
		if s != sec.invite {
			_, err := sec.svc.SignUp(ctx, auth.SignUpRequest{Email: "invited@example.com", Name: "I", Password: goodPassword, Invite: s})
			want := auth.ErrInviteInvalid
			if s == "" {
				want = auth.ErrInviteRequired
			}
			if !errors.Is(err, want) {
				t.Errorf("SignUp(invite %q) = %v; want %v", s, err, want)
			}
		}

		// A device cookie only changes which throttling counter a login
		// uses; a correct login with any other string gets a new device.
		if s != "" && s != sec.device && strings.HasPrefix(s, "sld_") {
			res, err := sec.svc.Login(ctx, auth.LoginRequest{Email: "owner@example.com", Password: goodPassword, DeviceToken: s})
			if err != nil || res.DeviceToken == "" {
				t.Errorf("Login(device %q) = device %q, %v; want a new device token", s, res.DeviceToken, err)
			}
		}
	})
}
