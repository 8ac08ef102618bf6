package auth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/auth/webauthntest"
)

const rpOrigin = "https://photos.example.com"

// passkeyEnv is an mfaEnv with passkeys for rpOrigin.
func passkeyEnv(t *testing.T, mutate func(*auth.Config)) *env {
	t.Helper()
	e := mfaEnv(t, func(c *auth.Config) {
		c.Signup = auth.SignupOpen
		if mutate != nil {
			mutate(c)
		}
	})
	if err := e.svc.UsePasskeys(e.store, rpOrigin, "Safelight (test)"); err != nil {
		t.Fatal(err)
	}
	return e
}

func optionsJSON(t *testing.T, o auth.PasskeyOptions) []byte {
	t.Helper()
	b, err := json.Marshal(o.Options)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addPasskey registers a new credential of a for u under name.
func (e *env) addPasskey(t *testing.T, a *webauthntest.Authenticator, u auth.User, name string) (auth.Passkey, *webauthntest.Credential) {
	t.Helper()
	return e.addPasskeyAs(t, a, &access.Principal{UserID: u.ID, Via: access.ViaSession}, u, name)
}

// addPasskeyAs is addPasskey by the signed-in caller p (whose session
// stays; the account's others end).
func (e *env) addPasskeyAs(t *testing.T, a *webauthntest.Authenticator, p *access.Principal, u auth.User, name string) (auth.Passkey, *webauthntest.Credential) {
	t.Helper()
	o, err := e.svc.BeginPasskeyRegistration(t.Context(), p, e.reauth(t, u), auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	cred, c, err := a.Create(optionsJSON(t, o))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := e.svc.FinishPasskeyRegistration(t.Context(), p, o.Handle, name, cred, auth.Client{})
	if err != nil {
		t.Fatalf("FinishPasskeyRegistration(%s) = %v", name, err)
	}
	if e.passkeys == nil {
		e.passkeys = map[string]heldPasskey{}
	}
	if _, ok := e.passkeys[u.ID]; !ok {
		e.passkeys[u.ID] = heldPasskey{a, c}
	}
	return pk, c
}

// heldPasskey is a passkey a test holds: its authenticator and credential.
type heldPasskey struct {
	a *webauthntest.Authenticator
	c *webauthntest.Credential
}

// reauth is the proof of identity u gives for a sensitive change: the
// password and, while u has passkeys and no TOTP, an assertion by the
// first passkey the test added. (Tests with TOTP on pass codes themselves.)
func (e *env) reauth(t *testing.T, u auth.User) auth.Reauth {
	t.Helper()
	r := auth.Reauth{Password: goodPassword}
	st, err := e.svc.MFAStatus(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.TOTPEnabled || st.Passkeys == 0 {
		return r
	}
	held, ok := e.passkeys[u.ID]
	if !ok {
		t.Fatalf("%s has passkeys the test does not hold", u.Email)
	}
	o, err := e.svc.BeginPasskeyReauth(t.Context(), &access.Principal{UserID: u.ID, Via: access.ViaSession})
	if err != nil {
		t.Fatal(err)
	}
	r.PasskeyHandle, r.PasskeyAssertion = o.Handle, must(held.a.Get(optionsJSON(t, o), held.c))
	return r
}

// pendingFor passes the password step for email and returns the pending
// sign-in token.
func (e *env) pendingFor(t *testing.T, email string) string {
	t.Helper()
	_, err := e.svc.Login(t.Context(), auth.LoginRequest{Email: email, Password: goodPassword, StartPending: true, Client: auth.Client{IP: "192.0.2.9"}})
	var me *auth.MFARequiredError
	if !errors.As(err, &me) || me.PendingToken == "" || !me.Passkey {
		t.Fatalf("Login(password) = %v; want MFARequiredError with a pending token and Passkey set", err)
	}
	return me.PendingToken
}

// secondStep finishes pending with an assertion made by answer.
func (e *env) secondStep(t *testing.T, pending string, answer func(opts []byte) []byte) (auth.LoginResult, error) {
	t.Helper()
	o, err := e.svc.BeginPasskeyLogin(t.Context(), pending)
	if err != nil {
		t.Fatalf("BeginPasskeyLogin = %v", err)
	}
	return e.svc.FinishPasskeyLogin(t.Context(), pending, o.Handle, answer(optionsJSON(t, o)), "", auth.Client{IP: "192.0.2.9"})
}

func (e *env) passwordless(t *testing.T, answer func(opts []byte) []byte) (auth.LoginResult, error) {
	t.Helper()
	o, err := e.svc.BeginPasswordlessLogin(t.Context())
	if err != nil {
		t.Fatalf("BeginPasswordlessLogin = %v", err)
	}
	return e.svc.FinishPasswordlessLogin(t.Context(), o.Handle, answer(optionsJSON(t, o)), "", auth.Client{IP: "192.0.2.9"})
}

// must unwraps the software authenticator's answer; it fails only on a
// bug in the test itself.
func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func auditTypes(t *testing.T, e *env, userID string) []audit.Type {
	t.Helper()
	ev, err := e.store.AuditEventsAbout(t.Context(), userID, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Type
	for _, x := range ev {
		out = append(out, x.Type)
	}
	return out
}

func TestPasskeyManagement(t *testing.T) {
	e := passkeyEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	a := webauthntest.New(rpOrigin)
	p := &access.Principal{UserID: u.ID}
	first, firstCred := e.addPasskey(t, a, u, "Laptop")
	second, _ := e.addPasskey(t, a, u, "Phone")
	got, err := e.svc.Passkeys(t.Context(), u.ID)
	if err != nil || len(got) != 2 || got[0].Name != "Laptop" || got[1].Name != "Phone" {
		t.Fatalf("Passkeys = %+v, %v; want Laptop, Phone", got, err)
	}
	if st, _ := e.svc.MFAStatus(t.Context(), u.ID); st.Passkeys != 2 || st.TOTPEnabled {
		t.Errorf("MFAStatus = %+v; want 2 passkeys, no TOTP", st)
	}
	if err := e.svc.RenamePasskey(t.Context(), p, first.ID, "Work laptop", auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RenamePasskey(t.Context(), p, first.ID, "  ", auth.Client{}); !errors.Is(err, auth.ErrInvalidPasskeyName) {
		t.Errorf("RenamePasskey(blank) = %v; want ErrInvalidPasskeyName", err)
	}
	other := e.signUp(t, "bob@example.com")
	if err := e.svc.RenamePasskey(t.Context(), &access.Principal{UserID: other.ID}, first.ID, "Mine", auth.Client{}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("RenamePasskey(another's) = %v; want ErrNotFound", err)
	}
	// Removal re-authenticates: the password and the second factor, a
	// passkey while there is no TOTP...
	reauth := func(c *webauthntest.Credential) (string, []byte) {
		o, err := e.svc.BeginPasskeyReauth(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		return o.Handle, must(a.Get(optionsJSON(t, o), c))
	}
	h, cred := reauth(firstCred)
	if err := e.svc.RemovePasskey(t.Context(), p, second.ID, auth.Reauth{Password: "wrong password", PasskeyHandle: h, PasskeyAssertion: cred}, auth.Client{}); !errors.Is(err, auth.ErrWrongPassword) {
		t.Errorf("RemovePasskey(wrong password) = %v; want ErrWrongPassword", err)
	}
	if err := e.svc.RemovePasskey(t.Context(), p, second.ID, auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrPasskeyRequired) {
		t.Errorf("RemovePasskey(no passkey assertion) = %v; want ErrPasskeyRequired", err)
	}
	h, cred = reauth(firstCred)
	if err := e.svc.RemovePasskey(t.Context(), &access.Principal{UserID: other.ID}, second.ID, auth.Reauth{Password: goodPassword, PasskeyHandle: h, PasskeyAssertion: cred}, auth.Client{}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("RemovePasskey(Bob removing Ann's) = %v; want ErrNotFound", err)
	}
	h, cred = reauth(firstCred)
	if err := e.svc.RemovePasskey(t.Context(), p, "nope", auth.Reauth{Password: goodPassword, PasskeyHandle: h, PasskeyAssertion: cred}, auth.Client{}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("RemovePasskey(unknown id) = %v; want ErrNotFound", err)
	}
	h, cred = reauth(firstCred)
	if err := e.svc.RemovePasskey(t.Context(), p, second.ID, auth.Reauth{Password: goodPassword, PasskeyHandle: h, PasskeyAssertion: cred}, auth.Client{}); err != nil {
		t.Fatalf("RemovePasskey(password and passkey) = %v", err)
	}
	// ... and a code once TOTP is on.
	third, _ := e.addPasskey(t, a, u, "Key")
	secret, _ := e.enrol(t, u)
	e.now = e.now.Add(time.Minute)
	if err := e.svc.RemovePasskey(t.Context(), p, third.ID, auth.Reauth{Password: goodPassword}, auth.Client{}); !errors.Is(err, auth.ErrMFARequired) {
		t.Errorf("RemovePasskey(no code, TOTP on) = %v; want ErrMFARequired", err)
	}
	if err := e.svc.RemovePasskey(t.Context(), p, third.ID, auth.Reauth{Password: goodPassword, Code: e.code(t, secret, 0)}, auth.Client{}); err != nil {
		t.Fatalf("RemovePasskey(password and code) = %v", err)
	}
	got, _ = e.svc.Passkeys(t.Context(), u.ID)
	if len(got) != 1 || got[0].Name != "Work laptop" {
		t.Errorf("Passkeys after removal = %+v; want only Work laptop", got)
	}
	types := auditTypes(t, e, u.ID)
	for _, want := range []audit.Type{audit.PasskeyAdded, audit.PasskeyRenamed, audit.PasskeyRemoved} {
		if !slices.Contains(types, want) {
			t.Errorf("audit has no %s: %v", want, types)
		}
	}
}

func TestPasskeyRegistrationRefusals(t *testing.T) {
	e := passkeyEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	p := &access.Principal{UserID: u.ID}
	begin := func() auth.PasskeyOptions {
		o, err := e.svc.BeginPasskeyRegistration(t.Context(), p, e.reauth(t, u), auth.Client{})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	// Wrong origin: a phishing site relaying the ceremony.
	o := begin()
	cred, _, _ := (&webauthntest.Authenticator{Origin: "https://photos.example.com.evil.test"}).Create(optionsJSON(t, o))
	if _, err := e.svc.FinishPasskeyRegistration(t.Context(), p, o.Handle, "x", cred, auth.Client{}); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasskeyRegistration(wrong origin) = %v; want ErrPasskeyInvalid", err)
	}
	// The challenge was used by that attempt.
	cred, _, _ = webauthntest.New(rpOrigin).Create(optionsJSON(t, o))
	if _, err := e.svc.FinishPasskeyRegistration(t.Context(), p, o.Handle, "x", cred, auth.Client{}); !errors.Is(err, auth.ErrCeremonyInvalid) {
		t.Errorf("FinishPasskeyRegistration(used challenge) = %v; want ErrCeremonyInvalid", err)
	}
	// Expired.
	o = begin()
	cred, _, _ = webauthntest.New(rpOrigin).Create(optionsJSON(t, o))
	e.now = e.now.Add(auth.CeremonyTTL)
	if _, err := e.svc.FinishPasskeyRegistration(t.Context(), p, o.Handle, "x", cred, auth.Client{}); !errors.Is(err, auth.ErrCeremonyInvalid) {
		t.Errorf("FinishPasskeyRegistration(expired) = %v; want ErrCeremonyInvalid", err)
	}
	// Another account's ceremony.
	o = begin()
	cred, _, _ = webauthntest.New(rpOrigin).Create(optionsJSON(t, o))
	bob := e.signUp(t, "bob@example.com")
	if _, err := e.svc.FinishPasskeyRegistration(t.Context(), &access.Principal{UserID: bob.ID}, o.Handle, "x", cred, auth.Client{}); !errors.Is(err, auth.ErrCeremonyInvalid) {
		t.Errorf("FinishPasskeyRegistration(another's ceremony) = %v; want ErrCeremonyInvalid", err)
	}
	if pks, _ := e.svc.Passkeys(t.Context(), u.ID); len(pks) != 0 {
		t.Errorf("Passkeys = %+v; want none registered", pks)
	}
}

func TestPasskeySecondFactor(t *testing.T) {
	e := passkeyEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	bob := e.signUp(t, "bob@example.com")
	a := webauthntest.New(rpOrigin)
	_, mine := e.addPasskey(t, a, u, "Laptop")
	_, bobs := e.addPasskey(t, a, bob, "Bob's")

	// A passkey alone turns on two-step sign-in.
	if err := e.loginOTP(t, "ann@example.com", ""); !errors.Is(err, auth.ErrMFARequired) {
		t.Fatalf("Login(password only) = %v; want ErrMFARequired", err)
	}
	pending := e.pendingFor(t, "ann@example.com")
	// Bob's credential, validly signed, for Ann's sign-in.
	if _, err := e.secondStep(t, pending, func(o []byte) []byte { return must(a.Get(o, bobs)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasskeyLogin(another user's credential) = %v; want ErrPasskeyInvalid", err)
	}
	// Wrong origin.
	evil := &webauthntest.Authenticator{Origin: "https://evil.test"}
	if _, err := e.secondStep(t, pending, func(o []byte) []byte { return must(evil.Get(o, mine)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasskeyLogin(wrong origin) = %v; want ErrPasskeyInvalid", err)
	}
	// Replay: the same challenge answered twice.
	o, err := e.svc.BeginPasskeyLogin(t.Context(), pending)
	if err != nil {
		t.Fatal(err)
	}
	answer := must(a.Get(optionsJSON(t, o), mine))
	res, err := e.svc.FinishPasskeyLogin(t.Context(), pending, o.Handle, answer, "", auth.Client{IP: "192.0.2.9"})
	if err != nil || res.SessionToken == "" {
		t.Fatalf("FinishPasskeyLogin = %v; want a session", err)
	}
	pending = e.pendingFor(t, "ann@example.com")
	if _, err := e.svc.FinishPasskeyLogin(t.Context(), pending, o.Handle, answer, "", auth.Client{IP: "192.0.2.9"}); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasskeyLogin(replayed challenge) = %v; want ErrPasskeyInvalid", err)
	}
	// Expired challenge.
	o, _ = e.svc.BeginPasskeyLogin(t.Context(), pending)
	e.now = e.now.Add(auth.CeremonyTTL)
	if _, err := e.svc.FinishPasskeyLogin(t.Context(), pending, o.Handle, must(a.Get(optionsJSON(t, o), mine)), "", auth.Client{}); err == nil {
		t.Errorf("FinishPasskeyLogin(expired) succeeded")
	}
	// A ceremony of one pending sign-in does not finish another.
	p1, p2 := e.pendingFor(t, "ann@example.com"), e.pendingFor(t, "ann@example.com")
	o, _ = e.svc.BeginPasskeyLogin(t.Context(), p1)
	if _, err := e.svc.FinishPasskeyLogin(t.Context(), p2, o.Handle, must(a.Get(optionsJSON(t, o), mine)), "", auth.Client{}); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasskeyLogin(other pending sign-in's ceremony) = %v; want ErrPasskeyInvalid", err)
	}
	if !slices.Contains(auditTypes(t, e, u.ID), audit.PasskeyFailed) || !slices.Contains(auditTypes(t, e, u.ID), audit.PasskeyUsed) {
		t.Errorf("audit = %v; want passkey used and failed", auditTypes(t, e, u.ID))
	}
}

func TestPasswordlessLogin(t *testing.T) {
	e := passkeyEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	a := webauthntest.New(rpOrigin)
	_, c := e.addPasskey(t, a, u, "Laptop")
	res, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, c)) })
	if err != nil || res.User.ID != u.ID || res.SessionToken == "" {
		t.Fatalf("FinishPasswordlessLogin = %+v, %v; want Ann signed in", res.User, err)
	}
	if _, err := e.svc.AuthenticateSession(t.Context(), res.SessionToken); err != nil {
		t.Errorf("AuthenticateSession = %v", err)
	}

	// Sign count regression: a clone of the key.
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(a.GetWithCount(o, c, 1)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(counter went back) = %v; want ErrPasskeyInvalid", err)
	}
	if !slices.Contains(auditTypes(t, e, u.ID), audit.PasskeyCloneSuspected) {
		t.Errorf("audit = %v; want %s", auditTypes(t, e, u.ID), audit.PasskeyCloneSuspected)
	}
	// Without user verification it is only one factor: refused.
	c.NoUV = true
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, c)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(no user verification) = %v; want ErrPasskeyInvalid", err)
	}
	c.NoUV = false
	// A credential this instance does not know.
	stranger := &webauthntest.Credential{ID: []byte("unknown credential"), UserHandle: []byte(u.ID), RPID: c.RPID, Key: c.Key}
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, stranger)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(unknown credential) = %v; want ErrPasskeyInvalid", err)
	}
	// Another user's handle on Ann's credential.
	bob := e.signUp(t, "bob@example.com")
	forged := *c
	forged.UserHandle = []byte(bob.ID)
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(a.Get(o, &forged)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(user handle of another account) = %v; want ErrPasskeyInvalid", err)
	}
	// Wrong origin, expired and replayed challenges.
	evil := &webauthntest.Authenticator{Origin: "https://evil.test"}
	if _, err := e.passwordless(t, func(o []byte) []byte { return must(evil.Get(o, c)) }); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(wrong origin) = %v; want ErrPasskeyInvalid", err)
	}
	o, _ := e.svc.BeginPasswordlessLogin(t.Context())
	answer := must(a.Get(optionsJSON(t, o), c))
	if _, err := e.svc.FinishPasswordlessLogin(t.Context(), o.Handle, answer, "", auth.Client{}); err != nil {
		t.Fatalf("FinishPasswordlessLogin = %v", err)
	}
	if _, err := e.svc.FinishPasswordlessLogin(t.Context(), o.Handle, answer, "", auth.Client{}); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(replayed) = %v; want ErrPasskeyInvalid", err)
	}
	o, _ = e.svc.BeginPasswordlessLogin(t.Context())
	e.now = e.now.Add(auth.CeremonyTTL + time.Second)
	if _, err := e.svc.FinishPasswordlessLogin(t.Context(), o.Handle, must(a.Get(optionsJSON(t, o), c)), "", auth.Client{}); !errors.Is(err, auth.ErrPasskeyInvalid) {
		t.Errorf("FinishPasswordlessLogin(expired) = %v; want ErrPasskeyInvalid", err)
	}
}

func TestPasskeyFailuresAreThrottled(t *testing.T) {
	e := passkeyEnv(t, nil)
	u := e.signUp(t, "ann@example.com")
	a := webauthntest.New(rpOrigin)
	_, c := e.addPasskey(t, a, u, "Laptop")
	evil := &webauthntest.Authenticator{Origin: "https://evil.test"}
	var throttled bool
	for range 60 {
		_, err := e.passwordless(t, func(o []byte) []byte { return must(evil.Get(o, c)) })
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("60 failed passkey sign-ins from one address were never throttled")
	}
}

func TestPasskeyCountsForMFAPolicy(t *testing.T) {
	e := passkeyEnv(t, func(c *auth.Config) { c.MFA = auth.MFARequired })
	u := e.signUp(t, "ann@example.com")
	res, err := e.svc.Login(t.Context(), auth.LoginRequest{Email: "ann@example.com", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.AuthenticateSession(t.Context(), res.SessionToken)
	if err != nil || !p.MFAEnrollmentRequired {
		t.Fatalf("before a passkey: MFAEnrollmentRequired = %v, %v; want true", p, err)
	}
	e.addPasskeyAs(t, webauthntest.New(rpOrigin), p, u, "Laptop")
	p, err = e.svc.AuthenticateSession(t.Context(), res.SessionToken)
	if err != nil || p.MFAEnrollmentRequired {
		t.Errorf("with only a passkey: MFAEnrollmentRequired = %v, %v; want false", p, err)
	}
}
