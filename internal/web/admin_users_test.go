package web_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// invitedAccount invites email through the account page and signs the
// new account in, in a browser of its own.
func invitedAccount(t *testing.T, srv *httptest.Server, admin *browser, name, email string) *browser {
	t.Helper()
	r := admin.post("/account/invites", form("email", email))
	m := regexp.MustCompile(`/signup\?invite=(sli_[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no invitation link shown:\n%s", excerpt(r.body))
	}
	b := newBrowser(t, srv)
	signUp(t, b, name, email, "invite", m[1])
	signIn(t, b, email, password)
	return b
}

var accountRowRe = regexp.MustCompile(`(?s)<li class="row admin-account" id="account-([^"]+)">(.*?)</li>`)

// accountAction returns the account id of email's row on the accounts
// page when that row has a form for verb ("disable", "enable",
// "sessions/end"), and "" when it has none.
func accountAction(t *testing.T, body, email, verb string) string {
	t.Helper()
	for _, row := range accountRowRe.FindAllStringSubmatch(body, -1) {
		if !regexp.MustCompile(`[ >]` + regexp.QuoteMeta(email) + `[ <(]`).MatchString(row[2]) {
			continue
		}
		if strings.Contains(row[2], `action="/admin/users/`+row[1]+`/`+verb+`"`) {
			return row[1]
		}
		return ""
	}
	t.Fatalf("the accounts page has no row for %s", email)
	return ""
}

// TestAdminUsersPage drives the accounts page: the list, disable with its
// confirmation, the refusals shown in words, enable, ending one account's
// sessions and everyone's (ASVS V7.4.2, V7.4.5).
func TestAdminUsersPage(t *testing.T) {
	t.Parallel()
	srv, admin := newAccount(t)
	grace := invitedAccount(t, srv, admin, "Grace Hopper", "grace@example.com")

	// Only the admin has the page and its link.
	wantNotContains(t, grace.get("/library"), `href="/admin/users"`)
	wantStatus(t, grace.get("/admin/users"), http.StatusNotFound)
	r := admin.get("/library")
	wantContains(t, r, `href="/admin/users"`)

	r = admin.get("/admin/users")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Accounts · Safelight</title>", `aria-current="page"`, "2 accounts",
		"Ada Lovelace", "ada@example.com", "Grace Hopper", "grace@example.com", ">You<", ">Admin<",
		"1 active session", "End every session…", "End every session on this instance", `action="/admin/sessions/end"`,
		"Disable grace@example.com? They are signed out everywhere now, their access tokens are revoked for good",
		"tokens are not sessions")
	wantNotContains(t, r, "$argon2id", "photo.jpg")
	graceID := accountAction(t, r.body, "grace@example.com", "disable")
	if graceID == "" {
		t.Fatal("no Disable form for grace")
	}
	if id := accountAction(t, r.body, "ada@example.com", "disable"); id != "" {
		t.Error("the admin is offered to disable their own account")
	}

	// Everyone else gets 404 for every form.
	for _, path := range []string{"/admin/users/" + graceID + "/disable", "/admin/users/" + graceID + "/enable",
		"/admin/users/" + graceID + "/sessions/end", "/admin/sessions/end"} {
		wantStatus(t, grace.post(path, nil), http.StatusNotFound)
	}
	wantStatus(t, grace.get("/library"), http.StatusOK) // none of it did anything

	// Disable: grace is signed out at once and told why at sign-in.
	wantRedirect(t, admin.post("/admin/users/"+graceID+"/disable", nil), "/admin/users")
	r = admin.get("/admin/users")
	wantContains(t, r, "The account was disabled", ">Disabled<", "1 disabled", `action="/admin/users/`+graceID+`/enable"`)
	wantNotContains(t, admin.get("/admin/users"), "The account was disabled") // the notice shows once
	wantRedirect(t, grace.get("/library"), "/login?next=%2Flibrary")
	r = grace.post("/login", form("email", "grace@example.com", "password", password))
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "This account is disabled; contact the administrator of this instance.")
	r = grace.post("/login", form("email", "grace@example.com", "password", "not grace's password"))
	wantStatus(t, r, http.StatusUnauthorized)
	wantNotContains(t, r, "disabled")

	// Refusals, in words.
	adaID := regexp.MustCompile(`id="account-([^"]+)">\s*<span class="row-icon">.*?</span>\s*<div class="row-main">\s*<p class="row-title">Ada Lovelace`).FindStringSubmatch(admin.get("/admin/users").body)
	if adaID == nil {
		t.Fatal("no row for the admin")
	}
	r = admin.post("/admin/users/"+adaID[1]+"/disable", nil)
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "You cannot disable your own account; another administrator can.")
	r = admin.post("/admin/users/not-an-id/disable", nil)
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Not a valid account id.")
	wantStatus(t, admin.post("/admin/users/0197a000-0000-7000-8000-000000000000/enable", nil), http.StatusNotFound)

	// Enable: grace signs in again.
	wantRedirect(t, admin.post("/admin/users/"+graceID+"/enable", nil), "/admin/users")
	wantContains(t, admin.get("/admin/users"), "The account was enabled")
	signIn(t, grace, "grace@example.com", password)

	// End grace's sessions: her browser is signed out, she can sign in.
	r = admin.get("/admin/users")
	wantContains(t, r, "Sign grace@example.com out of every browser now?", "Their access tokens keep working")
	if accountAction(t, r.body, "grace@example.com", "sessions/end") != graceID {
		t.Fatal("no End sessions form for grace")
	}
	wantRedirect(t, admin.post("/admin/users/"+graceID+"/sessions/end", nil), "/admin/users")
	wantContains(t, admin.get("/admin/users"), "The account was signed out of every browser.")
	wantRedirect(t, grace.get("/library"), "/login?next=%2Flibrary")
	signIn(t, grace, "grace@example.com", password)

	// End every session: everyone but the admin in this browser.
	adminPhone := newBrowser(t, srv)
	signIn(t, adminPhone, "ada@example.com", password)
	wantRedirect(t, admin.post("/admin/sessions/end", nil), "/admin/users")
	wantContains(t, admin.get("/admin/users"), "Everyone was signed out, except you in this browser.")
	wantRedirect(t, grace.get("/library"), "/login?next=%2Flibrary")
	wantRedirect(t, adminPhone.get("/library"), "/login?next=%2Flibrary")
	wantStatus(t, admin.get("/library"), http.StatusOK)
}
