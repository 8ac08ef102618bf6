package app_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"safelight/internal/access"
	"safelight/internal/httpx"
)

// mfaAccount is what a test keeps of an account's second factor.
type mfaAccount struct {
	secret   string
	recovery []string // unused recovery codes
}

// code returns the TOTP code of the step at now+offset.
func (m *mfaAccount) code(t *testing.T, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(m.secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextRecovery pops an unused recovery code. Tests that sign in again use
// these: each works once, whatever the clock says.
func (m *mfaAccount) nextRecovery(t *testing.T) string {
	t.Helper()
	if len(m.recovery) == 0 {
		t.Fatal("no recovery codes left")
	}
	c := m.recovery[0]
	m.recovery = m.recovery[1:]
	return c
}

// enrolTOTP turns on TOTP for c's account through the API, as an
// authenticator app would, and returns the secret and recovery codes.
func enrolTOTP(t *testing.T, c *client) *mfaAccount {
	t.Helper()
	return enrolTOTPWith(t, c, password)
}

// enrolTOTPWith is enrolTOTP for an account whose password is pw.
func enrolTOTPWith(t *testing.T, c *client, pw string) *mfaAccount {
	t.Helper()
	r := c.must(201, "POST", "/api/v1/me/mfa/totp", map[string]string{"password": pw})
	secret, _ := r.json["secret"].(string)
	if secret == "" || !strings.HasPrefix(r.json["otpauth_url"].(string), "otpauth://totp/") {
		t.Fatalf("enrol answer = %s", r.body)
	}
	m := &mfaAccount{secret: secret}
	r = c.must(200, "POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": m.code(t, 0)})
	for _, x := range r.json["recovery_codes"].([]any) {
		m.recovery = append(m.recovery, x.(string))
	}
	if len(m.recovery) != 10 {
		t.Fatalf("recovery codes = %v; want 10", m.recovery)
	}
	return m
}

// mfaOf remembers the second factor of accounts that test helpers
// enrolled, by server and e-mail.
var mfaOf = map[string]*mfaAccount{}

// enrolIfRequired enrols TOTP for an account that the instance requires
// to have it (the first account is the admin): helpers of tests about
// other things use it so that those accounts can work.
func enrolIfRequired(t *testing.T, c *client, email string) {
	t.Helper()
	if st := c.must(200, "GET", "/api/v1/me/mfa", nil); st.json["mfa_enrollment_required"] == true {
		mfaOf[c.base+" "+email] = enrolTOTP(t, c)
	}
}

// loginBody is a login request for email, with a recovery code when a
// helper enrolled the account.
func loginBody(t *testing.T, srv *httptest.Server, email, pw string) map[string]string {
	t.Helper()
	body := map[string]string{"email": email, "password": pw}
	if m := mfaOf[srv.URL+" "+email]; m != nil {
		body["otp"] = m.nextRecovery(t)
	}
	return body
}

func TestMFAEnrolmentAndLogin(t *testing.T) {
	_, srv := newServer(t)
	// The first account is the admin: it can sign in with its password,
	// but must enrol before anything else.
	c := signUpAndLoginWithoutMFA(t, srv, "ann@example.com")
	r := c.must(403, "GET", "/api/v1/assets", nil)
	if r.json["mfa_enrollment_required"] != true {
		t.Errorf("admin without MFA: GET /api/v1/assets = %s; want mfa_enrollment_required", r.body)
	}
	c.must(200, "GET", "/api/v1/me", nil)
	st := c.must(200, "GET", "/api/v1/me/mfa", nil)
	if st.json["required"] != true || st.json["totp_enabled"] != false {
		t.Errorf("GET /me/mfa = %s; want required, not enabled", st.body)
	}

	// Enrolment: the secret is pending until a right code confirms it.
	r = c.must(201, "POST", "/api/v1/me/mfa/totp", map[string]string{"password": password})
	m := &mfaAccount{secret: r.json["secret"].(string)}
	if st := c.must(200, "GET", "/api/v1/me/mfa", nil); st.json["totp_pending"] != true {
		t.Errorf("GET /me/mfa after enrol = %s; want pending", st.body)
	}
	c.must(403, "GET", "/api/v1/assets", nil)
	c.must(400, "POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": "000000"})
	r = c.must(200, "POST", "/api/v1/me/mfa/totp/confirm", map[string]string{"code": m.code(t, 0)})
	for _, x := range r.json["recovery_codes"].([]any) {
		m.recovery = append(m.recovery, x.(string))
	}
	if len(m.recovery) != 10 || len(slices.Compact(slices.Sorted(slices.Values(m.recovery)))) != 10 {
		t.Fatalf("recovery codes = %v; want 10 different", m.recovery)
	}
	c.must(200, "GET", "/api/v1/assets", nil) // enrolled: the session works
	c.must(409, "POST", "/api/v1/me/mfa/totp", map[string]string{"password": password})

	// Login needs a code now.
	login := map[string]string{"email": "ann@example.com", "password": password}
	anon := newClient(t, srv)
	r = anon.must(401, "POST", "/api/v1/auth/login", login)
	if r.json["mfa_required"] != true {
		t.Errorf("login without otp = %s; want mfa_required", r.body)
	}
	anon.must(401, "GET", "/api/v1/me", nil)
	login["otp"] = "123456"
	if r := anon.must(401, "POST", "/api/v1/auth/login", login); r.json["mfa_required"] != true {
		t.Errorf("login with a wrong otp = %s", r.body)
	}
	// The code of the next step (±1 skew) works once; the same code again
	// is a replay.
	login["otp"] = m.code(t, 30*time.Second)
	anon.must(200, "POST", "/api/v1/auth/login", login)
	anon.must(200, "GET", "/api/v1/assets", nil)
	again := newClient(t, srv)
	again.must(401, "POST", "/api/v1/auth/login", login)
	// The confirm step's code was used too: an earlier step is refused.
	login["otp"] = m.code(t, 0)
	again.must(401, "POST", "/api/v1/auth/login", login)
	// A recovery code works once, with any spacing and case.
	rc := m.nextRecovery(t)
	login["otp"] = " " + strings.ToUpper(rc) + " "
	again.must(200, "POST", "/api/v1/auth/login", login)
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login", login)

	// Password change needs a code too.
	c.must(403, "POST", "/api/v1/me/password", map[string]string{"current_password": password, "new_password": "a brand new passphrase 7"})
	c.must(204, "POST", "/api/v1/me/password", map[string]string{"current_password": password, "new_password": "a brand new passphrase 7",
		"otp": m.nextRecovery(t)})
	const pw2 = "a brand new passphrase 7"

	// New recovery codes need the password and a code; old ones die.
	c.must(403, "POST", "/api/v1/me/mfa/recovery-codes", map[string]string{"password": password, "code": m.recovery[0]})
	c.must(403, "POST", "/api/v1/me/mfa/recovery-codes", map[string]string{"password": pw2, "code": "999999"})
	old := m.recovery
	r = c.must(200, "POST", "/api/v1/me/mfa/recovery-codes", map[string]string{"password": pw2, "code": m.nextRecovery(t)})
	m.recovery = nil
	for _, x := range r.json["recovery_codes"].([]any) {
		m.recovery = append(m.recovery, x.(string))
	}
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": pw2, "otp": old[len(old)-1]})

	// Disabling needs re-authentication; the admin is then held to
	// enrolment again.
	c.must(403, "DELETE", "/api/v1/me/mfa/totp", map[string]string{"password": "wrong password here", "code": m.recovery[0]})
	c.must(204, "DELETE", "/api/v1/me/mfa/totp", map[string]string{"password": pw2, "code": m.nextRecovery(t)})
	if r := c.must(403, "GET", "/api/v1/assets", nil); r.json["mfa_enrollment_required"] != true {
		t.Errorf("after disabling, admin GET /api/v1/assets = %s", r.body)
	}
	if st := c.must(200, "GET", "/api/v1/me/mfa", nil); st.json["totp_enabled"] != false {
		t.Errorf("GET /me/mfa after disable = %s", st.body)
	}
	// And signs in with the password alone (restricted).
	newClient(t, srv).must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": pw2})

	// Enrolling again (a new phone) works; the security activity shows it all.
	enrolTOTPWith(t, c, pw2)
	types := map[string]bool{}
	for _, e := range c.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		types[e.(map[string]any)["type"].(string)] = true
	}
	for _, want := range []string{"mfa.enrol_started", "mfa.enabled", "mfa.disabled", "mfa.failed", "mfa.recovery_code_used", "mfa.recovery_codes_regenerated"} {
		if !types[want] {
			t.Errorf("security events lack %s (have %v)", want, types)
		}
	}
}

func TestMFAWrongCodesAreThrottled(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLoginWithoutMFA(t, srv, "ann@example.com")
	m := enrolTOTP(t, c)
	attacker := newClient(t, srv)
	login := map[string]string{"email": "ann@example.com", "password": password, "otp": "000000"}
	locked := false
	for range 12 {
		if r := attacker.do("POST", "/api/v1/auth/login", login); r.status == http.StatusTooManyRequests {
			locked = true
			break
		}
	}
	if !locked {
		t.Fatal("12 wrong codes with the right password were never throttled")
	}
	login["otp"] = m.nextRecovery(t)
	attacker.must(429, "POST", "/api/v1/auth/login", login)
}

func TestMFAPolicyRequired(t *testing.T) {
	_, srv := newServer(t, "--mfa-policy", "required", "--signup", "open")
	admin := signUpAndLogin(t, srv, "admin@example.com")
	admin.must(200, "GET", "/api/v1/assets", nil)
	// An ordinary account is held to enrolment as well under "required".
	bob := newClient(t, srv)
	bob.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "bob@example.com", "password": password, "name": "Bob"})
	bob.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	if r := bob.must(403, "GET", "/api/v1/assets", nil); r.json["mfa_enrollment_required"] != true {
		t.Errorf("required policy: GET /api/v1/assets = %s", r.body)
	}
	enrolTOTP(t, bob)
	bob.must(200, "GET", "/api/v1/assets", nil)
}

func TestMFAOptionalForOrdinaryAccounts(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	signUpAndLogin(t, srv, "admin@example.com")
	bob := newClient(t, srv)
	bob.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "bob@example.com", "password": password, "name": "Bob"})
	bob.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	bob.must(200, "GET", "/api/v1/assets", nil)
	if st := bob.must(200, "GET", "/api/v1/me/mfa", nil); st.json["required"] != false {
		t.Errorf("ordinary account under optional policy: %s", st.body)
	}
}

// mfaExemptRoutes is every non-public route an account that must enrol
// MFA may still use. Like publicRoutes, growing it is a reviewed change.
var mfaExemptRoutes = map[string]bool{
	"POST /api/v1/auth/logout":         true,
	"GET /api/v1/me":                   true,
	"GET /api/v1/me/mfa":               true,
	"POST /api/v1/me/mfa/totp":         true,
	"POST /api/v1/me/mfa/totp/confirm": true,
	// A passkey is a second factor too: listing and registering them.
	"GET /api/v1/me/passkeys":                  true,
	"POST /api/v1/me/passkeys/register/begin":  true,
	"POST /api/v1/me/passkeys/register/finish": true,
	"GET /account/mfa":                         true,
	"POST /account/mfa/totp":                   true,
	"POST /account/mfa/totp/confirm":           true,
}

// TestEveryRouteRefusesAnAdminWithoutMFA walks the route table: an admin
// who has not enrolled a second factor is refused everywhere but the
// reviewed exemptions (403 with mfa_enrollment_required for the API, a
// redirect to enrolment for pages), and nothing is exempt by accident.
func TestEveryRouteRefusesAnAdminWithoutMFA(t *testing.T) {
	a, srv := newServer(t)
	admin := signUpAndLoginWithoutMFA(t, srv, "admin@example.com")
	for _, r := range a.Routes() {
		t.Run(r.Pattern, func(t *testing.T) {
			if r.Policy.IsPublic() {
				return
			}
			if r.Policy == access.MFAEnrolment || r.Policy == access.MFASetup {
				if !mfaExemptRoutes[r.Pattern] {
					t.Fatalf("route %q lets callers who must enrol MFA in, but is not in the reviewed list", r.Pattern)
				}
				return
			}
			if mfaExemptRoutes[r.Pattern] {
				t.Fatalf("route %q is in the exempt list but declares %s", r.Pattern, r.Policy.Name())
			}
			method, path := concrete(r.Pattern)
			res := admin.do(method, path, nil)
			switch {
			case access.Check(r.Policy, &access.Principal{UserID: "a", Roles: []access.Role{access.RoleAdmin}, Via: access.ViaSession, SessionID: "s"}) == access.Hidden:
				// A staff role the admin does not hold: the route does not
				// exist for them, enrolled or not.
				if res.status != http.StatusNotFound {
					t.Errorf("%s %s = %d; want 404 (a role the admin does not hold)", method, path, res.status)
				}
			case r.Kind == httpx.Page && method == http.MethodGet:
				if res.status != http.StatusSeeOther || res.header.Get("Location") != "/account/mfa" {
					t.Errorf("%s %s = %d Location %q; want 303 to /account/mfa", method, path, res.status, res.header.Get("Location"))
				}
			case r.Kind == httpx.Page:
				if res.status != http.StatusForbidden {
					t.Errorf("%s %s = %d; want 403", method, path, res.status)
				}
			default:
				if res.status != http.StatusForbidden || res.json["mfa_enrollment_required"] != true {
					t.Errorf("%s %s = %d %s; want 403 with mfa_enrollment_required", method, path, res.status, res.body)
				}
			}
		})
	}
	// The exempt routes do answer.
	admin.must(200, "GET", "/api/v1/me", nil)
	if r := admin.do("GET", "/account/mfa", nil); r.status != 200 {
		t.Errorf("GET /account/mfa = %d; want 200", r.status)
	}
	admin.must(204, "POST", "/api/v1/auth/logout", nil)
}

// signUpAndLoginWithoutMFA signs up and in without enrolling anything.
func signUpAndLoginWithoutMFA(t *testing.T, srv *httptest.Server, email string) *client {
	t.Helper()
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": email, "password": password, "name": "Ann Adams"})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	return c
}
