package web_test

// Tests for ASVS rows of docs/security.md that the templates met but no
// test showed.

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"
)

// passwordField is an <input> that holds a password, with the form it is
// in.
type passwordField struct {
	attrs      map[string]string
	formAction string
	formAttrs  map[string]string
}

func attrsOf(n *html.Node) map[string]string {
	m := map[string]string{}
	for _, a := range n.Attr {
		m[strings.ToLower(a.Key)] = a.Val
	}
	return m
}

// parseFields parses a page and returns its password-like inputs (those
// of type password and those whose name says password) and the scripts it
// loads.
func parseFields(t *testing.T, r response) (fields []passwordField, scripts []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s %s: HTML does not parse: %v", r.method, r.path, err)
	}
	var walk func(n *html.Node, form *html.Node)
	walk = func(n *html.Node, form *html.Node) {
		if n.Type == html.ElementNode {
			a := attrsOf(n)
			switch n.Data {
			case "form":
				form = n
			case "script":
				if a["src"] != "" {
					scripts = append(scripts, a["src"])
				}
			case "link":
				if a["rel"] == "modulepreload" {
					scripts = append(scripts, a["href"])
				}
			case "input":
				if strings.EqualFold(a["type"], "password") || strings.Contains(strings.ToLower(a["name"]), "password") {
					f := passwordField{attrs: a, formAttrs: map[string]string{}}
					if form != nil {
						f.formAttrs = attrsOf(form)
						f.formAction = f.formAttrs["action"]
					}
					fields = append(fields, f)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
	}
	walk(doc, nil)
	return fields, scripts
}

// wantAutocomplete is what a password field must ask browsers and
// password managers for: a new password where one is chosen (sign-up,
// reset, the new password of a change), the current one everywhere else.
func wantAutocomplete(f passwordField) string {
	action, _, _ := strings.Cut(f.formAction, "?")
	if f.attrs["name"] == "new_password" || action == "/signup" || action == "/reset-password" {
		return "new-password"
	}
	return "current-password"
}

// TestPasswordFieldsTypeAndAutocomplete (V6.2.6, V6.2.7): on the sign-in,
// sign-up, account (password change), reset and two-step pages, shown
// fresh and again after a refused submission, every password field is
// type="password" with autocomplete current-password or new-password as
// fits it, never autocomplete=off (on the field or its form), never filled
// in with what was typed, and no script those pages load listens for
// paste. The sign-in form offers the address as the username.
func TestPasswordFieldsTypeAndAutocomplete(t *testing.T) {
	t.Parallel()
	a, srv := newServer(t, "--signup", "open")
	anon := newBrowser(t, srv)
	scriptsSeen := map[string]bool{}
	// check asserts the rules on every password field of r, and that r has
	// at least current and fresh fields asking for the current and a new
	// password; typed is what the visitor had typed, which must not come
	// back.
	check := func(r response, current, fresh int, typed ...string) {
		t.Helper()
		where := r.method + " " + r.path
		fields, scripts := parseFields(t, r)
		counts := map[string]int{}
		for _, f := range fields {
			id := f.attrs["id"]
			if typ := f.attrs["type"]; typ != "password" {
				t.Errorf("%s: field #%s (name %q) is type=%q; want password", where, id, f.attrs["name"], typ)
			}
			want := wantAutocomplete(f)
			if got := f.attrs["autocomplete"]; got != want {
				t.Errorf("%s: field #%s in form %q has autocomplete=%q; want %q", where, id, f.formAction, got, want)
			}
			counts[f.attrs["autocomplete"]]++
			if strings.EqualFold(f.formAttrs["autocomplete"], "off") {
				t.Errorf("%s: the form %q of field #%s turns autocomplete off", where, f.formAction, id)
			}
			if v, ok := f.attrs["value"]; ok && v != "" {
				t.Errorf("%s: field #%s comes filled in", where, id)
			}
			for _, attr := range []string{"readonly", "disabled", "onpaste", "oncopy", "ondrop"} {
				if _, ok := f.attrs[attr]; ok {
					t.Errorf("%s: field #%s has %s", where, id, attr)
				}
			}
		}
		if counts["current-password"] < current || counts["new-password"] < fresh {
			t.Errorf("%s: %d current-password and %d new-password fields; want at least %d and %d", where,
				counts["current-password"], counts["new-password"], current, fresh)
		}
		for _, s := range typed {
			if strings.Contains(r.body, s) {
				t.Errorf("%s: the page shows what was typed in a password field", where)
			}
		}
		for _, src := range scripts {
			scriptsSeen[src] = true
		}
	}

	login := anon.get("/login")
	check(login, 1, 0)
	if !regexp.MustCompile(`<input[^>]*name="email"[^>]*autocomplete="username"`).MatchString(login.body) {
		t.Error("the sign-in form's address field is not autocomplete=username: password managers cannot pair it")
	}
	check(anon.get("/signup"), 0, 1)
	const typedShort = "Qx7vKp2w" // too short: refused
	r := anon.post("/signup", form("name", "Ada", "email", "ada@example.com", "password", typedShort))
	wantStatus(t, r, http.StatusBadRequest)
	check(r, 0, 1, typedShort)

	// The first account is the admin; an ordinary one shows the pages.
	signUp(t, anon, "Ada Lovelace", "ada@example.com")
	b := newBrowser(t, srv)
	signUp(t, b, "Bea Baker", "bea@example.com")
	const typedWrong = "not-Beas-passphrase-77"
	r = b.post("/login", form("email", "bea@example.com", "password", typedWrong))
	wantStatus(t, r, http.StatusUnauthorized)
	check(r, 1, 0, typedWrong)
	signIn(t, b, "bea@example.com", password)

	check(b.get("/account"), 1, 1)
	r = b.post("/account/password", form("current_password", typedWrong, "new_password", newPassword))
	if r.status < 400 {
		t.Fatalf("password change with a wrong current password = %d; want the form again with an error", r.status)
	}
	check(r, 1, 1, typedWrong, newPassword)

	// Two-step sign-in: turning it on, then the re-authentication of
	// new recovery codes and of turning it off.
	check(b.get("/account/mfa"), 1, 0)
	r = b.post("/account/mfa/totp", form("password", password))
	wantStatus(t, r, http.StatusOK)
	m := secretRe.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("enrolment page shows no secret: %s", excerpt(r.body))
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.post("/account/mfa/totp/confirm", form("code", code)), http.StatusOK)
	check(b.get("/account/mfa"), 2, 0)
	r = b.post("/account/mfa/disable", form("password", typedWrong, "code", "000000"))
	if r.status < 400 {
		t.Fatalf("turning two-step sign-in off with a wrong password = %d; want the form again with an error", r.status)
	}
	check(r, 2, 0, typedWrong)

	// The page of a mailed reset link.
	wantRedirect(t, anon.post("/forgot-password", form("email", "bea@example.com")), "/forgot-password?sent=1")
	if err := a.Auth.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms, err := a.Outbox.Messages(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, msg := range ms {
		if l := regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(msg.Text); msg.To == "bea@example.com" && l != nil {
			token = l[1]
		}
	}
	if token == "" {
		t.Fatal("no reset link to bea@example.com in the outbox")
	}
	check(anon.get("/reset-password?token="+token), 0, 1)
	r = anon.post("/reset-password", form("token", token, "password", typedShort))
	wantStatus(t, r, http.StatusBadRequest)
	check(r, 0, 1, typedShort)

	// V6.2.7: nothing these pages run blocks pasting into a field.
	for src := range scriptsSeen {
		if !strings.HasPrefix(src, "/static/") {
			t.Errorf("a page loads %q; want only same-origin /static/ scripts", src)
			continue
		}
		s := anon.do(http.MethodGet, src, nil, nil)
		wantStatus(t, s, http.StatusOK)
		if strings.Contains(strings.ToLower(s.body), "paste") {
			t.Errorf("%s mentions paste: pasting into password fields must not be blocked", src)
		}
	}
}
