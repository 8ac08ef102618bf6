package app_test

import (
	"strings"
	"testing"
	"time"
)

const (
	emailChangeLinkSubject   = "Confirm your new e-mail address"
	emailChangeNoticeSubject = "Someone asked to change the e-mail address"
)

// TestEmailChange: rectification of the sign-in address (GDPR Art. 16)
// from request to confirmation, end to end on the real server.
func TestEmailChange(t *testing.T) {
	a, srv := newServer(t)
	ann := signUpAndLogin(t, srv, "ann@example.com") // the admin, with TOTP
	bob := inviteAndLogin(t, srv, ann, "bob@example.com")
	bobPhone := newClient(t, srv)
	bobPhone.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})

	// A wrong password changes nothing and mails nothing.
	bob.must(403, "POST", "/api/v1/me/email", map[string]string{"email": "bob@new.example", "password": "not the password"})
	// With TOTP on, the code is needed too.
	ann.must(403, "POST", "/api/v1/me/email", map[string]string{"email": "ann@new.example", "password": password})
	if ms := outboxTo(t, a, "bob@new.example", ""); len(ms) != 0 {
		t.Fatalf("mail after a refused request: %+v", ms)
	}
	if ms := outboxTo(t, a, "ann@new.example", ""); len(ms) != 0 {
		t.Fatalf("mail after a request without the code: %+v", ms)
	}

	// The right password: a link to the new address, a notice to the old.
	free := bob.must(202, "POST", "/api/v1/me/email", map[string]string{"email": "Bob@New.example", "password": password})
	token := linkToken(t, a, "bob@new.example", emailChangeLinkSubject, "/confirm-email-change")
	if !strings.HasPrefix(token, "slc_") || len(token) < 4+22 {
		t.Errorf("change token %q is not a prefixed ≥128-bit secret", token)
	}
	notice := outboxTo(t, a, "bob@example.com", emailChangeNoticeSubject)
	if len(notice) != 1 || strings.Contains(notice[0].Text, "slc_") || !strings.Contains(notice[0].Text, "b•••@new.example") {
		t.Errorf("notice to the old address = %+v; want one, masked new address, no link", notice)
	}
	ann.must(202, "POST", "/api/v1/me/email", withReauth(t, ann, "ann@example.com", map[string]string{"email": "ann@new.example"}))
	annToken := linkToken(t, a, "ann@new.example", emailChangeLinkSubject, "/confirm-email-change")

	// Until the link is opened, sign-in uses the old address.
	newClient(t, srv).must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@new.example", "password": password})

	// Another account's link is refused to a signed-in account, unspent.
	if r := bob.must(409, "POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": annToken}); !strings.Contains(r.json["error"].(string), "another account") {
		t.Errorf("confirm another account's link = %s", r.body)
	}
	if me := bob.must(200, "GET", "/api/v1/me", nil); me.json["email"] != "bob@example.com" {
		t.Errorf("bob's address after using ann's link = %v", me.json["email"])
	}
	if me := ann.must(200, "GET", "/api/v1/me", nil); me.json["email"] != "ann@example.com" {
		t.Errorf("ann's address after bob used her link = %v", me.json["email"])
	}

	// Confirming changes the address, verifies it, and ends every other session.
	bob.must(204, "POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": token})
	me := bob.must(200, "GET", "/api/v1/me", nil)
	if me.json["email"] != "bob@new.example" || me.json["email_verified"] != true {
		t.Errorf("after confirming: %s; want bob@new.example, verified", me.body)
	}
	bobPhone.must(401, "GET", "/api/v1/me", nil)
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	newClient(t, srv).must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@new.example", "password": password})
	events := string(bob.must(200, "GET", "/api/v1/me/security-events", nil).body)
	for _, want := range []string{`"type":"email.change_requested"`, `"type":"email.changed"`, "bob@example.com", "bob@new.example"} {
		if !strings.Contains(events, want) {
			t.Errorf("bob's security events lack %s: %s", want, events)
		}
	}

	// The link works once.
	anon := newClient(t, srv)
	if r := anon.must(400, "POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": token}); !strings.Contains(r.json["error"].(string), "used already") {
		t.Errorf("reused link = %s", r.body)
	}

	// An address of another account: the same answer, then a refusal.
	taken := bob.must(202, "POST", "/api/v1/me/email", map[string]string{"email": "ann@example.com", "password": password})
	if string(taken.body) != string(free.body) {
		t.Errorf("answers differ: free %s, taken %s", free.body, taken.body)
	}
	takenToken := linkToken(t, a, "ann@example.com", emailChangeLinkSubject, "/confirm-email-change")
	if r := anon.must(409, "POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": takenToken}); !strings.Contains(r.json["error"].(string), "another Safelight account") {
		t.Errorf("confirm a taken address = %s", r.body)
	}
	if me := bob.must(200, "GET", "/api/v1/me", nil); me.json["email"] != "bob@new.example" {
		t.Errorf("bob's address after a refused change = %v", me.json["email"])
	}

	// Expired after 24 hours, on the service clock.
	bob.must(202, "POST", "/api/v1/me/email", map[string]string{"email": "bob@later.example", "password": password})
	late := linkToken(t, a, "bob@later.example", emailChangeLinkSubject, "/confirm-email-change")
	base := time.Now()
	a.Auth.SetClock(func() time.Time { return base.Add(25 * time.Hour) })
	if r := anon.must(400, "POST", "/api/v1/auth/email-change/confirm", map[string]string{"token": late}); !strings.Contains(r.json["error"].(string), "expired") {
		t.Errorf("expired link = %s", r.body)
	}
}

// TestEmailChangePages: the same change through the account page and the
// page of the mailed link.
func TestEmailChangePages(t *testing.T) {
	a, srv := newServer(t)
	ann := signUpAndLogin(t, srv, "ann@example.com")
	bob := inviteAndLogin(t, srv, ann, "bob@example.com")
	if r := bob.must(200, "GET", "/account", nil); !strings.Contains(string(r.body), `href="/account/email"`) {
		t.Error("the account page has no link to change the e-mail address")
	}
	r := bob.must(200, "GET", "/account/email", nil)
	if body := string(r.body); !strings.Contains(body, `name="password"`) || !strings.Contains(body, "no longer apply") {
		t.Error("the change form lacks the password field or the note on memberships")
	}
	if r := bob.must(403, "POST", "/account/email", formBody("email", "bob@new.example", "password", "wrong")); !strings.Contains(string(r.body), "aria-invalid") {
		t.Error("a wrong password is not shown at its field")
	}
	if r := bob.must(400, "POST", "/account/email", formBody("email", "bob@example.com", "password", password)); !strings.Contains(string(r.body), "already your e-mail address") {
		t.Error("the current address is not refused with a clear message")
	}
	if r := bob.must(303, "POST", "/account/email", formBody("email", "bob@new.example", "password", password)); r.header.Get("Location") != "/account" {
		t.Errorf("after asking → %q; want /account", r.header.Get("Location"))
	}
	token := linkToken(t, a, "bob@new.example", emailChangeLinkSubject, "/confirm-email-change")

	anon := newClient(t, srv)
	r = anon.must(200, "GET", "/confirm-email-change?token="+token, nil)
	if body := string(r.body); r.header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(body, `value="`+token+`"`) {
		t.Error("the link page lacks no-referrer or the token field")
	}
	if me := bob.must(200, "GET", "/api/v1/me", nil); me.json["email"] != "bob@example.com" {
		t.Errorf("opening the link page changed the address to %v", me.json["email"])
	}
	if r := anon.must(200, "POST", "/confirm-email-change", formBody("token", token)); !strings.Contains(string(r.body), "E-mail address changed") {
		t.Errorf("confirm page = %s", r.body)
	}
	if r := anon.must(400, "POST", "/confirm-email-change", formBody("token", token)); !strings.Contains(string(r.body), "used already") {
		t.Error("a reused link page does not say so")
	}
	bob.must(401, "GET", "/api/v1/me", nil) // signed out: the link was opened elsewhere
	newClient(t, srv).must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@new.example", "password": password})

	// An address taken by the time the link is opened: a clear page, no change.
	bob = newClient(t, srv)
	bob.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@new.example", "password": password})
	bob.must(303, "POST", "/account/email", formBody("email", "ann@example.com", "password", password))
	taken := linkToken(t, a, "ann@example.com", emailChangeLinkSubject, "/confirm-email-change")
	if r := anon.must(409, "POST", "/confirm-email-change", formBody("token", taken)); !strings.Contains(string(r.body), "another Safelight account") {
		t.Errorf("taken address page = %s", r.body)
	}
}
