package httpauth_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/httpauth"
	"safelight/internal/sqlstore"
)

// FuzzAuthenticate sends requests with arbitrary Cookie and Authorization
// headers to Authenticator.Authenticate, backed by a real auth.Service on
// SQLite that knows one session and one personal access token. In the
// headers, {SESSION} and {TOKEN} stand for those secrets, so that the
// fuzzer explores near-valid credentials. Properties:
//   - it never panics and, with a healthy store, never returns an error;
//   - a Principal comes only from a credential that is really present: via
//     a token only on a Bearer-enabled route with an Authorization header
//     holding the token; via a session only when no Authorization header
//     decides (absent, or Bearer not allowed) and the session cookie under
//     its exact name (with the __Host- prefix when Secure) holds the token;
//   - an Authorization header on a Bearer route is judged alone: a wrong
//     one never falls back to the cookie;
//   - the canonical forms of both credentials are accepted.
func FuzzAuthenticate(f *testing.F) {
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
	const password = "violet darkroom lamp 42"
	u, err := svc.SignUp(ctx, auth.SignUpRequest{Email: "owner@example.com", Name: "Owner", Password: password})
	if err != nil {
		f.Fatal(err)
	}
	login, err := svc.Login(ctx, auth.LoginRequest{Email: "owner@example.com", Password: password})
	if err != nil {
		f.Fatal(err)
	}
	tok, pat, err := svc.CreateToken(ctx, &access.Principal{UserID: u.ID, Via: access.ViaSession}, "fuzz", auth.Reauth{Password: password}, auth.Client{})
	if err != nil {
		f.Fatal(err)
	}
	expand := strings.NewReplacer("{SESSION}", login.SessionToken, "{TOKEN}", pat).Replace

	for _, s := range []struct {
		cookie, authorization string
		bearer, secure        bool
	}{
		{"safelight_session={SESSION}", "", false, false},
		{"__Host-safelight_session={SESSION}", "", true, true},
		{"safelight_session={SESSION}", "", true, true},
		{"", "Bearer {TOKEN}", true, false},
		{"", "bearer  {TOKEN} ", true, true},
		{"", "Bearer {TOKEN}", false, false},
		{"safelight_session={SESSION}", "Bearer {TOKEN}", true, false},
		{"safelight_session={SESSION}", "Basic Zm9vOmJhcg==", true, false},
		{"safelight_session={SESSION}", "Bearer {SESSION}", true, false},
		{"safelight_session={TOKEN}", "Bearer", true, false},
		{"safelight_session=x; safelight_session={SESSION}", "", false, false},
		{"safelight_session=\"{SESSION}\"", "", false, false},
		{"Safelight_Session={SESSION}", "", false, false},
		{"safelight_device={SESSION}; safelight_session=", "", false, false},
		{"safelight_session={SESSION}\x00", "Bearer\t{TOKEN}", true, false},
	} {
		f.Add(s.cookie, s.authorization, s.bearer, s.secure)
	}
	f.Fuzz(func(t *testing.T, cookieIn, authzIn string, allowBearer, secure bool) {
		cookie, authz := expand(cookieIn), expand(authzIn)
		r := httptest.NewRequest("GET", "/api/v1/assets", nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		a := &httpauth.Authenticator{Auth: svc, Cookies: httpauth.Cookies{Secure: secure}}
		p, err := a.Authenticate(r, allowBearer)
		if err != nil {
			t.Fatalf("Authenticate(Cookie %q, Authorization %q) error %v; want nil with a healthy store", cookie, authz, err)
		}
		headerDecides := allowBearer && authz != ""
		name := a.Cookies.SessionName()

		// The canonical forms must work.
		switch {
		case headerDecides && authz == "Bearer "+pat:
			if p == nil || p.TokenID != tok.ID {
				t.Errorf("Authenticate(Authorization %q) = %+v; want the token's Principal", authz, p)
			}
		case !headerDecides && cookie == name+"="+login.SessionToken:
			if p == nil || p.SessionID != login.Session.ID {
				t.Errorf("Authenticate(Cookie %q) = %+v; want the session's Principal", cookie, p)
			}
		}
		if p == nil {
			return
		}
		if p.UserID != u.ID {
			t.Fatalf("Authenticate() = %+v; want the only account %s", p, u.ID)
		}
		switch {
		case headerDecides:
			if p.Via != access.ViaToken || p.TokenID != tok.ID || !strings.Contains(authz, pat) {
				t.Errorf("Authenticate(Cookie %q, Authorization %q, bearer) = %+v; want a token Principal only from the header", cookie, authz, p)
			}
		default:
			c, err := r.Cookie(name)
			if p.Via != access.ViaSession || p.SessionID != login.Session.ID || err != nil || c.Value != login.SessionToken {
				t.Errorf("Authenticate(Cookie %q, Authorization %q, bearer %v, secure %v) = %+v; want a session Principal only from cookie %s",
					cookie, authz, allowBearer, secure, p, name)
			}
		}
	})
}
