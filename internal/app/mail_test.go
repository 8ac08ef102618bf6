package app_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/mail"
)

// outboxTo waits for mail in flight, then returns the development outbox
// messages to addr whose subject starts with subject, newest first.
func outboxTo(t *testing.T, a *app.App, addr, subject string) []mail.OutboxMessage {
	t.Helper()
	if err := a.Auth.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.Sharing.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.Calls.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms, err := a.Outbox.Messages(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.OutboxMessage
	for _, m := range ms {
		if m.To == addr && strings.HasPrefix(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

// linkToken returns the token of the only link with the given path in the
// newest matching message.
func linkToken(t *testing.T, a *app.App, addr, subject, path string) string {
	t.Helper()
	ms := outboxTo(t, a, addr, subject)
	if len(ms) == 0 {
		t.Fatalf("no %q mail to %s in the outbox", subject, addr)
	}
	m := regexp.MustCompile(regexp.QuoteMeta(path) + `\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(ms[0].Text)
	if m == nil {
		t.Fatalf("mail %q has no %s link:\n%s", ms[0].Subject, path, ms[0].Text)
	}
	return m[1]
}

const (
	resetSubject  = "Reset your Safelight password"
	verifySubject = "Confirm your e-mail address"
	newPassword   = "amber stop bath 1971 rinse"
)

// inviteAndLogin makes an ordinary account through an invitation by admin.
func inviteAndLogin(t *testing.T, srv *httptest.Server, admin *client, email string) *client {
	t.Helper()
	inv := admin.must(201, "POST", "/api/v1/invites", map[string]string{"email": email})
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": email, "password": password, "name": "Bob", "invite": inv.json["token"].(string)})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	return c
}

func TestPasswordReset(t *testing.T) {
	a, srv := newServer(t)
	ann := signUpAndLogin(t, srv, "ann@example.com") // the admin, with MFA
	annPhone := newClient(t, srv)
	annPhone.must(200, "POST", "/api/v1/auth/login", loginBody(t, srv, "ann@example.com", password))
	anon := newClient(t, srv)

	// Known and unknown addresses get the same answer, and only the
	// known one gets mail.
	known := anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "Ann@Example.com"})
	unknown := anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "nobody@example.com"})
	if string(known.body) != string(unknown.body) {
		t.Errorf("reset answers differ: known %s, unknown %s", known.body, unknown.body)
	}
	if ms := outboxTo(t, a, "nobody@example.com", ""); len(ms) != 0 {
		t.Errorf("mail sent to an address without an account: %+v", ms)
	}
	anon.must(400, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "not an address"})

	// The admin reads the outbox through the API.
	box := ann.must(200, "GET", "/api/v1/admin/outbox", nil)
	if !strings.Contains(string(box.body), resetSubject) {
		t.Errorf("admin outbox = %s; want the reset mail", box.body)
	}
	token := linkToken(t, a, "ann@example.com", resetSubject, "/reset-password")
	if !strings.HasPrefix(token, "slr_") || len(token) < 4+22 { // ≥ 128 bits of base64url
		t.Errorf("reset token %q is not a prefixed ≥128-bit secret", token)
	}

	// A refused password does not spend the token.
	r := anon.must(400, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "password"})
	if !strings.Contains(r.json["error"].(string), "common") && !strings.Contains(r.json["error"].(string), "characters") {
		t.Errorf("weak password answer = %s", r.body)
	}
	anon.must(204, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": newPassword})
	if c := anon.do("GET", "/api/v1/me", nil); c.status != 401 {
		t.Errorf("the reset signed in: GET /api/v1/me = %d", c.status)
	}

	// Every session ended.
	for name, c := range map[string]*client{"ann": ann, "annPhone": annPhone} {
		if res := c.do("GET", "/api/v1/me", nil); res.status != 401 {
			t.Errorf("%s's old session after reset: GET /api/v1/me = %d; want 401", name, res.status)
		}
	}
	// The token works once.
	r = anon.must(400, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": newPassword + "x"})
	if !strings.Contains(r.json["error"].(string), "used already") {
		t.Errorf("reused token answer = %s; want it to say the link was used", r.body)
	}

	// Sign-in: the old password no longer works; the new one does, and
	// still needs the second factor.
	c := newClient(t, srv)
	c.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	if r := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": newPassword}); r.status != 401 || r.json["mfa_required"] != true {
		t.Errorf("login with the new password and no code = %d %s; want 401 mfa_required", r.status, r.body)
	}
	me := c.must(200, "POST", "/api/v1/auth/login", loginBody(t, srv, "ann@example.com", newPassword))
	if me.json["email_verified"] != true {
		t.Errorf("after a reset, email_verified = %v; want true (the link reached the owner)", me.json["email_verified"])
	}
	events := string(c.must(200, "GET", "/api/v1/me/security-events", nil).body)
	for _, typ := range []string{"password.reset_requested", "password.reset"} {
		if !strings.Contains(events, `"type":"`+typ+`"`) {
			t.Errorf("security events lack %s: %s", typ, events)
		}
	}

	// Expiry, on the service clock: a link is good for 30 minutes.
	base := time.Now()
	a.Auth.SetClock(func() time.Time { return base.Add(2 * time.Minute) }) // past the one-minute cooldown
	anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"})
	expiring := linkToken(t, a, "ann@example.com", resetSubject, "/reset-password")
	if expiring == token {
		t.Fatal("a second request mailed the same token")
	}
	a.Auth.SetClock(func() time.Time { return base.Add(33 * time.Minute) })
	r = anon.must(400, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": expiring, "password": newPassword})
	if !strings.Contains(r.json["error"].(string), "expired") {
		t.Errorf("expired token answer = %s; want it to say expired", r.body)
	}

	// A newer request replaces older links; within a minute of the last
	// one, a request sends nothing new.
	a.Auth.SetClock(func() time.Time { return base.Add(40 * time.Minute) })
	anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"})
	older := linkToken(t, a, "ann@example.com", resetSubject, "/reset-password")
	before := len(outboxTo(t, a, "ann@example.com", resetSubject))
	anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"})
	if n := len(outboxTo(t, a, "ann@example.com", resetSubject)); n != before {
		t.Errorf("a request within the cooldown sent mail (%d → %d messages)", before, n)
	}
	a.Auth.SetClock(func() time.Time { return base.Add(42 * time.Minute) })
	anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"})
	newer := linkToken(t, a, "ann@example.com", resetSubject, "/reset-password")
	r = anon.must(400, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": older, "password": newPassword})
	if !strings.Contains(r.json["error"].(string), "not valid") {
		t.Errorf("replaced token answer = %s; want not valid", r.body)
	}
	anon.must(204, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": newer, "password": password})
	anon.must(400, "POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": "slr_forged", "password": password})
}

func TestEmailVerification(t *testing.T) {
	a, srv := newServer(t)
	ann := signUpAndLogin(t, srv, "ann@example.com")
	if me := ann.must(200, "GET", "/api/v1/me", nil); me.json["email_verified"] != false {
		t.Errorf("new account email_verified = %v; want false", me.json["email_verified"])
	}
	token := linkToken(t, a, "ann@example.com", verifySubject, "/verify-email")
	if !strings.HasPrefix(token, "slv_") {
		t.Errorf("verification token %q lacks its prefix", token)
	}
	anon := newClient(t, srv)
	anon.must(400, "POST", "/api/v1/auth/verify-email", map[string]string{"token": "slv_forged"})
	anon.must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": token})
	if r := anon.must(400, "POST", "/api/v1/auth/verify-email", map[string]string{"token": token}); !strings.Contains(r.json["error"].(string), "used already") {
		t.Errorf("second use = %s", r.body)
	}
	if me := ann.must(200, "GET", "/api/v1/me", nil); me.json["email_verified"] != true {
		t.Errorf("after verification email_verified = %v; want true", me.json["email_verified"])
	}
	ann.must(409, "POST", "/api/v1/me/verify-email/resend", nil)
	if ev := string(ann.must(200, "GET", "/api/v1/me/security-events", nil).body); !strings.Contains(ev, `"type":"email.verified"`) {
		t.Errorf("security events lack email.verified: %s", ev)
	}

	// Resend: refused within the cooldown, then a new link replaces the old.
	bob := inviteAndLogin(t, srv, ann, "bob@example.com")
	first := linkToken(t, a, "bob@example.com", verifySubject, "/verify-email")
	r := bob.must(429, "POST", "/api/v1/me/verify-email/resend", nil)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	base := time.Now()
	a.Auth.SetClock(func() time.Time { return base.Add(3 * time.Minute) })
	bob.must(202, "POST", "/api/v1/me/verify-email/resend", nil)
	second := linkToken(t, a, "bob@example.com", verifySubject, "/verify-email")
	if second == first {
		t.Fatal("resend mailed the same token")
	}
	anon.must(400, "POST", "/api/v1/auth/verify-email", map[string]string{"token": first})
	// Expired after 24 hours.
	a.Auth.SetClock(func() time.Time { return base.Add(3*time.Minute + 24*time.Hour) })
	if r := anon.must(400, "POST", "/api/v1/auth/verify-email", map[string]string{"token": second}); !strings.Contains(r.json["error"].(string), "expired") {
		t.Errorf("expired verification = %s", r.body)
	}
}

func TestDuplicateSignupNotifiesOwner(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	signUpAndLogin(t, srv, "ann@example.com")
	anon := newClient(t, srv)
	fresh := anon.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "cat@example.com", "password": password, "name": "Cat"})
	dup := anon.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Mallory"})
	if len(fresh.json) != len(dup.json) || dup.json["email"] != "ann@example.com" {
		t.Errorf("duplicate sign-up answer %s differs in shape from a new one %s", dup.body, fresh.body)
	}
	const notice = "Someone tried to create a Safelight account"
	ms := outboxTo(t, a, "ann@example.com", notice)
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "/forgot-password") || strings.Contains(ms[0].Text, "token=") {
		t.Fatalf("notice mails = %+v; want one, with the reset page and no token", ms)
	}
	if v := outboxTo(t, a, "cat@example.com", verifySubject); len(v) != 1 {
		t.Errorf("new account got %d verification mails; want 1", len(v))
	}
	// At most one notice an hour.
	anon.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Mallory"})
	if ms := outboxTo(t, a, "ann@example.com", notice); len(ms) != 1 {
		t.Errorf("second duplicate within the hour: %d notices; want 1", len(ms))
	}
}

func TestPasswordResetPages(t *testing.T) {
	a, srv := newServer(t)
	admin := signUpAndLogin(t, srv, "ann@example.com")
	inviteAndLogin(t, srv, admin, "bob@example.com")
	form := func(v url.Values) rawBody {
		return rawBody{ctype: "application/x-www-form-urlencoded", data: []byte(v.Encode())}
	}
	anon := newClient(t, srv)
	if r := anon.must(200, "GET", "/login", nil); !strings.Contains(string(r.body), `href="/forgot-password"`) {
		t.Error("the sign-in page has no forgot-password link")
	}
	anon.must(200, "GET", "/forgot-password", nil)
	for _, addr := range []string{"bob@example.com", "nobody@example.com"} {
		r := anon.must(303, "POST", "/forgot-password", form(url.Values{"email": {addr}}))
		if loc := r.header.Get("Location"); loc != "/forgot-password?sent=1" {
			t.Errorf("POST /forgot-password (%s) → %q", addr, loc)
		}
	}
	if r := anon.must(200, "GET", "/forgot-password?sent=1", nil); !strings.Contains(string(r.body), "on its way") {
		t.Errorf("confirmation page = %s", r.body)
	}

	token := linkToken(t, a, "bob@example.com", resetSubject, "/reset-password")
	r := anon.must(200, "GET", "/reset-password?token="+token, nil)
	if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("reset page Referrer-Policy = %q; want no-referrer", got)
	}
	if body := string(r.body); !strings.Contains(body, `value="`+token+`"`) || !strings.Contains(body, "token-url.js") {
		t.Error("reset page lacks the token field or the script that clears the address bar")
	}
	anon.must(400, "POST", "/reset-password", form(url.Values{"token": {token}, "password": {"short"}}))
	r = anon.must(303, "POST", "/reset-password", form(url.Values{"token": {token}, "password": {newPassword}}))
	if loc := r.header.Get("Location"); loc != "/login?reset=1" {
		t.Errorf("after reset → %q; want /login?reset=1", loc)
	}
	if r := anon.must(400, "POST", "/reset-password", form(url.Values{"token": {token}, "password": {newPassword}})); !strings.Contains(string(r.body), "used already") {
		t.Error("reused link page does not say so")
	}
	newClient(t, srv).must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": newPassword})

	// Verification page: GET changes nothing, the button does.
	vt := linkToken(t, a, "bob@example.com", verifySubject, "/verify-email")
	if r := anon.must(200, "GET", "/verify-email?token="+vt, nil); r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("verify page without Referrer-Policy: no-referrer")
	}
	anon.must(200, "POST", "/verify-email", form(url.Values{"token": {vt}}))
	anon.must(400, "POST", "/verify-email", form(url.Values{"token": {vt}}))

	// The outbox page: the admin only.
	r = admin.must(200, "GET", "/admin/outbox", nil)
	if !strings.Contains(string(r.body), resetSubject) || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("outbox page misses the reset mail or no-referrer")
	}
}

// TestNoOutboxOnAReachableInstance: without an SMTP server, an instance
// reachable from the network sends no mail at all rather than keep reset
// links where the admin could read them (and so take over accounts).
func TestNoOutboxOnAReachableInstance(t *testing.T) {
	a, srv := newServer(t, "--public-url", "https://photos.example.com", "--signup", "open")
	anon := newClient(t, srv)
	anon.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	anon.must(202, "POST", "/api/v1/auth/password-reset", map[string]string{"email": "ann@example.com"})
	if ms := outboxTo(t, a, "ann@example.com", ""); len(ms) != 0 {
		t.Errorf("the outbox kept %d messages on a reachable instance; want none", len(ms))
	}
}
