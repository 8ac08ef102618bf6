package auth_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/keys"
)

// mfaEnv is an env with second factors turned on, sealing secrets with a
// real keyring.
func mfaEnv(t *testing.T, mutate func(*auth.Config)) *env {
	t.Helper()
	e := newEnv(t, mutate)
	root, err := keys.LoadOrCreateRootKeyFile(filepath.Join(t.TempDir(), "keys", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.UseMFA(e.store, keys.NewSealer(keys.NewKeyring(root, e.store), nil), "Safelight (test)")
	return e
}

// enrol turns TOTP on for u at e.now and returns the secret and the
// recovery codes.
func (e *env) enrol(t *testing.T, u auth.User) (string, []string) {
	t.Helper()
	return e.enrolAs(t, &access.Principal{UserID: u.ID, Via: access.ViaSession}, u)
}

// enrolAs is enrol by the signed-in caller p (whose session stays; the
// account's others end).
func (e *env) enrolAs(t *testing.T, p *access.Principal, u auth.User) (string, []string) {
	t.Helper()
	en, err := e.svc.BeginTOTP(t.Context(), p, e.reauth(t, u), auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(en.URL, "issuer=Safelight") || !strings.Contains(en.URL, "algorithm=SHA1") || !strings.Contains(en.URL, "digits=6") || !strings.Contains(en.URL, "period=30") {
		t.Errorf("otpauth URL = %s; want SHA1, 6 digits, 30 s, issuer", en.URL)
	}
	codes, err := e.svc.ConfirmTOTP(t.Context(), p, e.code(t, en.Secret, 0), auth.Client{})
	if err != nil {
		t.Fatalf("ConfirmTOTP = %v", err)
	}
	return en.Secret, codes
}

// code is the TOTP code of the step `steps` away from e.now.
func (e *env) code(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, e.now.Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) loginOTP(t *testing.T, email, otp string) error {
	t.Helper()
	_, err := e.svc.Login(t.Context(), auth.LoginRequest{Email: email, Password: goodPassword, OTP: otp, Client: auth.Client{IP: "192.0.2.9"}})
	return err
}

func TestTOTPCodes(t *testing.T) {
	e := mfaEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	secret, _ := e.enrol(t, u)

	if err := e.loginOTP(t, "ann@example.com", ""); !errors.Is(err, auth.ErrMFARequired) {
		t.Fatalf("Login without a code = %v; want ErrMFARequired", err)
	}
	// The confirm step's code is used: replay in its own window refused.
	if err := e.loginOTP(t, "ann@example.com", e.code(t, secret, 0)); !errors.Is(err, auth.ErrInvalidOTP) {
		t.Errorf("Login replaying the enrolment code = %v; want ErrInvalidOTP", err)
	}
	e.now = e.now.Add(5 * time.Minute)
	tests := []struct {
		name  string
		steps int
		ok    bool
	}{
		{"two steps early", -2, false},
		{"wrong code", 99, false},
		{"one step early", -1, true},
		{"same code again (replay)", -1, false},
		{"current step", 0, true},
		{"current step again (replay)", 0, false},
		{"one step late", 1, true},
		{"two steps late", 2, false},
		{"expired: an earlier step after a later one", 0, false},
	}
	for _, tt := range tests {
		code := e.code(t, secret, tt.steps)
		if tt.steps == 99 {
			code = "000000"
			if code == e.code(t, secret, 0) {
				code = "000001"
			}
		}
		err := e.loginOTP(t, "ann@example.com", code)
		if tt.ok != (err == nil) || !tt.ok && !errors.Is(err, auth.ErrInvalidOTP) {
			t.Errorf("%s: Login = %v; want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	e := mfaEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	_, codes := e.enrol(t, u)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes; want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		// 24 base32 characters = 120 bits (ASVS V6.5.2: unsalted hashes
		// only from 112 bits), in six groups of four.
		if len(c) != 29 || strings.Count(c, "-") != 5 || seen[c] {
			t.Errorf("recovery code %q: want 6 groups of 4, all different", c)
		}
		seen[c] = true
	}
	if err := e.loginOTP(t, "ann@example.com", strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))); err != nil {
		t.Fatalf("Login with a recovery code = %v", err)
	}
	if err := e.loginOTP(t, "ann@example.com", codes[0]); !errors.Is(err, auth.ErrInvalidOTP) {
		t.Errorf("Login with a used recovery code = %v; want ErrInvalidOTP", err)
	}
	st, err := e.svc.MFAStatus(t.Context(), u.ID)
	if err != nil || !st.TOTPEnabled || st.RecoveryCodesLeft != 9 || !st.Required {
		t.Errorf("MFAStatus = %+v, %v; want enabled, 9 left, required (admin)", st, err)
	}
}

func TestPendingLogin(t *testing.T) {
	e := mfaEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	secret, codes := e.enrol(t, u)
	start := func() string {
		t.Helper()
		_, err := e.svc.Login(t.Context(), auth.LoginRequest{Email: "ann@example.com", Password: goodPassword, StartPending: true})
		var mr *auth.MFARequiredError
		if !errors.As(err, &mr) || !strings.HasPrefix(mr.PendingToken, "slm_") {
			t.Fatalf("Login(StartPending) = %v; want MFARequiredError with a token", err)
		}
		return mr.PendingToken
	}
	complete := func(token, code string) error {
		_, err := e.svc.CompleteLogin(t.Context(), token, code, "", auth.Client{IP: "192.0.2.9"})
		return err
	}

	t.Run("completes once", func(t *testing.T) {
		tok := start()
		if err := complete(tok, "000000"); !errors.Is(err, auth.ErrInvalidOTP) {
			t.Errorf("wrong code = %v; want ErrInvalidOTP", err)
		}
		e.now = e.now.Add(time.Minute)
		if err := complete(tok, e.code(t, secret, 0)); err != nil {
			t.Fatalf("CompleteLogin = %v", err)
		}
		if err := complete(tok, codes[1]); !errors.Is(err, auth.ErrPendingLoginInvalid) {
			t.Errorf("second CompleteLogin = %v; want ErrPendingLoginInvalid", err)
		}
	})
	t.Run("expires after five minutes", func(t *testing.T) {
		tok := start()
		e.now = e.now.Add(auth.PendingLoginTTL)
		if err := complete(tok, codes[2]); !errors.Is(err, auth.ErrPendingLoginInvalid) {
			t.Errorf("CompleteLogin after 5 min = %v; want ErrPendingLoginInvalid", err)
		}
	})
	t.Run("dies when the password changes", func(t *testing.T) {
		tok := start()
		// As a password reset would: a new hash, straight into the store.
		h, err := auth.HashPassword("another fine passphrase", cheap)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.SetPasswordHash(t.Context(), u.ID, h, e.now); err != nil {
			t.Fatal(err)
		}
		if err := complete(tok, codes[3]); !errors.Is(err, auth.ErrPendingLoginInvalid) {
			t.Errorf("CompleteLogin after a password change = %v; want ErrPendingLoginInvalid", err)
		}
		// And the new password alone does not sign in: MFA survives a reset.
		_, err = e.svc.Login(t.Context(), auth.LoginRequest{Email: "ann@example.com", Password: "another fine passphrase"})
		if !errors.Is(err, auth.ErrMFARequired) {
			t.Errorf("Login after a reset without a code = %v; want ErrMFARequired", err)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		if err := complete("slm_nothing", codes[4]); !errors.Is(err, auth.ErrPendingLoginInvalid) {
			t.Errorf("CompleteLogin(unknown) = %v; want ErrPendingLoginInvalid", err)
		}
	})
}

func TestWrongCodesCountAsLoginFailures(t *testing.T) {
	e := mfaEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	_, codes := e.enrol(t, u)
	var err error
	for i := 0; i < auth.ThrottleAccountMax; i++ {
		if err = e.loginOTP(t, "ann@example.com", "000000"); !errors.Is(err, auth.ErrInvalidOTP) {
			t.Fatalf("wrong code #%d = %v; want ErrInvalidOTP", i+1, err)
		}
	}
	var te *auth.ThrottledError
	if err := e.loginOTP(t, "ann@example.com", codes[0]); !errors.As(err, &te) {
		t.Errorf("after %d wrong codes, a right one = %v; want ThrottledError", auth.ThrottleAccountMax, err)
	}
}

func TestMFAEnrollmentRequired(t *testing.T) {
	tests := []struct {
		name   string
		policy auth.MFAPolicy
		admin  bool
		want   bool
	}{
		{"optional, ordinary account", auth.MFAOptional, false, false},
		{"optional, admin", auth.MFAOptional, true, true},
		{"required, ordinary account", auth.MFARequired, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mfaEnv(t, func(c *auth.Config) { c.MFA = tt.policy; c.Signup = auth.SignupOpen })
			admin := e.signUp(t, "admin@example.com")
			u := admin
			if !tt.admin {
				u = e.signUp(t, "bob@example.com")
			}
			email := u.Email
			res, err := e.svc.Login(t.Context(), auth.LoginRequest{Email: email, Password: goodPassword})
			if err != nil {
				t.Fatalf("Login = %v; an account without MFA signs in with its password", err)
			}
			p, err := e.svc.AuthenticateSession(t.Context(), res.SessionToken)
			if err != nil || p.MFAEnrollmentRequired != tt.want {
				t.Fatalf("principal = %+v, %v; want MFAEnrollmentRequired=%v", p, err, tt.want)
			}
			if !tt.want {
				return
			}
			e.enrolAs(t, p, u)
			if p, err := e.svc.AuthenticateSession(t.Context(), res.SessionToken); err != nil || p.MFAEnrollmentRequired {
				t.Errorf("after enrolment principal = %+v, %v; want no restriction", p, err)
			}
		})
	}
}

func TestReauthentication(t *testing.T) {
	e := mfaEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	p := &access.Principal{UserID: u.ID}
	ctx := t.Context()
	if err := e.svc.DisableMFA(ctx, p, goodPassword, "123456", auth.Client{}); !errors.Is(err, auth.ErrMFANotOn) {
		t.Errorf("DisableMFA without MFA = %v; want ErrMFANotOn", err)
	}
	_, codes := e.enrol(t, u)
	if err := e.svc.ChangePassword(ctx, p, auth.Reauth{Password: goodPassword}, "a newer passphrase 1", auth.Client{}); !errors.Is(err, auth.ErrMFARequired) {
		t.Errorf("ChangePassword without a code = %v; want ErrMFARequired", err)
	}
	if err := e.svc.DisableMFA(ctx, p, "wrong password!!", codes[0], auth.Client{}); !errors.Is(err, auth.ErrWrongPassword) {
		t.Errorf("DisableMFA with a wrong password = %v; want ErrWrongPassword", err)
	}
	if err := e.svc.DisableMFA(ctx, p, goodPassword, "000000", auth.Client{}); !errors.Is(err, auth.ErrInvalidOTP) {
		t.Errorf("DisableMFA with a wrong code = %v; want ErrInvalidOTP", err)
	}
	fresh, err := e.svc.RegenerateRecoveryCodes(ctx, p, goodPassword, codes[0], auth.Client{})
	if err != nil || len(fresh) != 10 {
		t.Fatalf("RegenerateRecoveryCodes = %d codes, %v", len(fresh), err)
	}
	if err := e.svc.DisableMFA(ctx, p, goodPassword, codes[1], auth.Client{}); !errors.Is(err, auth.ErrInvalidOTP) {
		t.Errorf("DisableMFA with a replaced recovery code = %v; want ErrInvalidOTP", err)
	}
	if err := e.svc.DisableMFA(ctx, p, goodPassword, fresh[0], auth.Client{}); err != nil {
		t.Fatalf("DisableMFA = %v", err)
	}
	if err := e.loginOTP(t, "ann@example.com", ""); err != nil {
		t.Errorf("Login after disabling = %v; want the password alone to do", err)
	}
}
