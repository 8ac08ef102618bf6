package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
)

// TestStaffConsole: /staff shows each staff member the sections of their
// roles only, and nothing to anyone else; support resets a second factor
// from an account's page (the note is required and reaches the holder),
// the dpo records a breach, security filters the audit log — and the
// holder's account page says each in words.
func TestStaffConsole(t *testing.T) {
	t.Parallel()
	a, srv := newServer(t, "--signup", "open")
	admin := newBrowser(t, srv)
	signUp(t, admin, "Ada Lovelace", "ada@example.com")
	signIn(t, admin, "ada@example.com", password)
	enrolIfRequired(t, admin, "ada@example.com")
	pat := newBrowser(t, srv)
	signUp(t, pat, "Pat Photographer", "pat@example.com")
	signIn(t, pat, "pat@example.com", password)

	staff := map[string]*browser{}
	for _, r := range []access.Role{access.RoleSupport, access.RoleDPO, access.RoleSecurity} {
		email := string(r) + "@staff.example"
		if _, err := a.Auth.CreateUser(t.Context(), email, "Staff "+string(r), password, []access.Role{r}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, srv)
		b.post("/login", form("email", email, "password", password))
		enrolIfRequired(t, b, email) // staff must use a second factor
		wantStatus(t, b.get("/staff"), http.StatusOK)
		staff[string(r)] = b
	}
	sections := map[string]string{"support": "Find an account", "security": "Audit log", "dpo": "Personal data breach register", "admin": `href="/admin/users"`}
	for role, b := range map[string]*browser{"support": staff["support"], "dpo": staff["dpo"], "security": staff["security"], "admin": admin} {
		r := b.get("/staff")
		wantStatus(t, r, http.StatusOK)
		for other, heading := range sections {
			if other == role {
				wantContains(t, r, heading)
			} else {
				wantNotContains(t, r, heading)
			}
		}
		wantNotContains(t, r, "without two-step sign-in")
	}
	wantStatus(t, pat.get("/staff"), http.StatusNotFound)
	wantStatus(t, admin.get("/staff/accounts/0197a000-0000-7000-8000-000000000000"), http.StatusNotFound)

	// Support finds Pat and opens the account: numbers only.
	sup := staff["support"]
	r := sup.get("/staff?q=pat%40")
	m := regexp.MustCompile(`href="/staff/accounts/([0-9a-f-]{36})"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("search shows no account: %s", excerpt(r.body))
	}
	patID := m[1]
	page := "/staff/accounts/" + patID
	r = sup.get(page)
	wantContains(t, r, "pat@example.com", "Photos", "Second factors", "How you checked the holder")
	r = sup.post(page+"/mfa-reset", form("identity_check", "ok"))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Describe the identity check")
	const check = "Call back on the number on file; she named her first upload"
	r = sup.post(page+"/mfa-reset", form("identity_check", check))
	if r.status != http.StatusSeeOther || r.location() != page+"?done=mfa-reset" {
		t.Fatalf("reset = %d %q", r.status, r.location())
	}
	wantContains(t, sup.get(page+"?done=mfa-reset"), "Second factors removed")
	wantStatus(t, staff["dpo"].post(page+"/mfa-reset", form("identity_check", check)), http.StatusNotFound)

	// The dpo records a breach affecting Pat.
	dpo := staff["dpo"]
	when := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	wantStatus(t, dpo.post("/staff/breaches", form("description", "Lost laptop", "detected_at", when)), http.StatusBadRequest)
	f := form("description", "A laptop with a support export was stolen", "detected_at", when, "accounts", patID)
	f.Add("category", "account")
	f.Add("category", "location")
	wantRedirect(t, dpo.post("/staff/breaches", f), "/staff#breaches")
	wantContains(t, dpo.get("/staff"), "A laptop with a support export was stolen", "account, location", "1 accounts affected", "Data-subject requests", "None in progress.")
	wantStatus(t, sup.post("/staff/breaches", f), http.StatusNotFound)

	// Security reads what happened to Pat's account.
	r = staff["security"].get("/staff?subject=" + patID)
	wantContains(t, r, "staff.mfa_reset", "staff.breach_recorded", check,
		"Account listed in the personal data breach register", "Two-step sign-in reset by support after an identity check")
	if strings.Contains(r.body, "Your account") || strings.Contains(r.body, "your identity") {
		t.Error("the security staff's log speaks to the account's holder (\"your …\")")
	}

	// Pat sees all of it, in words. (The reset signed Pat out.)
	wantRedirect(t, pat.get("/account"), "/login?next=%2Faccount")
	signIn(t, pat, "pat@example.com", password)
	r = pat.get("/account")
	wantContains(t, r, "Two-step sign-in reset by support after checking your identity", "How: "+check,
		"Support looked at your account", "listed in the personal data breach register", "Data concerned: account, location",
		"Security staff read your account")
}

// TestStaffConsoleWarnsWhenMFAIsOptional: with --staff-mfa=optional the
// console says loudly that staff sign in without a second factor.
func TestStaffConsoleWarnsWhenMFAIsOptional(t *testing.T) {
	t.Parallel()
	a, srv := newServer(t, "--staff-mfa", "optional", "--signup", "open")
	if _, err := a.Auth.CreateUser(t.Context(), "sec@staff.example", "Sec", password, []access.Role{access.RoleSecurity}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, srv)
	wantRedirect(t, b.post("/login", form("email", "sec@staff.example", "password", password)), "/library")
	r := b.get("/staff")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "This instance lets staff sign in without two-step sign-in (--staff-mfa=optional)", "Audit log")
}
