package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"safelight/internal/access"
	"safelight/internal/httpx"
)

// publicRoutes is every route anonymous visitors may use. A route missing
// here that declares access.Public fails the test, so opening a route to
// the world is always a conscious, reviewed change.
var publicRoutes = map[string]bool{
	"GET /healthz":             true,
	"GET /readyz":              true,
	"GET /api/v1/openapi.yaml": true,
	"POST /api/v1/auth/signup": true,
	"POST /api/v1/auth/login":  true,
	"/api/":                    true, // JSON 404 for unknown API paths
	"GET /{$}":                 true, // sends to /library or /login
	"GET /login":               true,
	"POST /login":              true,
	"GET /signup":              true,
	"POST /signup":             true,
	"POST /logout":             true, // a no-op for anonymous visitors
	"GET /login/code":          true, // second sign-in step; needs a pending sign-in cookie
	"POST /login/code":         true,
	// Passkey sign-in: the second step needs the pending sign-in cookie;
	// passwordless needs a registered passkey's signature.
	"POST /api/v1/auth/login/passkey/begin":  true,
	"POST /api/v1/auth/login/passkey/finish": true,
	"POST /api/v1/auth/passkey/begin":        true,
	"POST /api/v1/auth/passkey/finish":       true,
	"/":                                      true, // the 404 page
	"GET /static/":                           true,
	// Password reset and e-mail verification: the mailed token is the credential.
	"POST /api/v1/auth/password-reset":         true,
	"POST /api/v1/auth/password-reset/confirm": true,
	"POST /api/v1/auth/verify-email":           true,
	"POST /api/v1/auth/email-change/confirm":   true,
	"GET /confirm-email-change":                true,
	"POST /confirm-email-change":               true,
	"GET /forgot-password":                     true,
	"POST /forgot-password":                    true,
	"GET /reset-password":                      true,
	"POST /reset-password":                     true,
	"GET /verify-email":                        true,
	"POST /verify-email":                       true,
	// Review links: the link's token in the path is the credential (and
	// its password unlock, when it has one), checked on every route.
	"GET /api/v1/links/{token}":                             true,
	"POST /api/v1/links/{token}/unlock":                     true,
	"POST /api/v1/links/{token}/guest":                      true,
	"GET /api/v1/links/{token}/assets/{asset_id}/thumb":     true,
	"GET /api/v1/links/{token}/assets/{asset_id}/preview":   true,
	"GET /api/v1/links/{token}/assets/{asset_id}/original":  true,
	"PUT /api/v1/links/{token}/assets/{asset_id}/review":    true,
	"POST /api/v1/links/{token}/assets/{asset_id}/comments": true,
	"POST /api/v1/links/{token}/done":                       true,
	"GET /api/v1/links/{token}/zip":                         true,
	// The guest pages of review links: the same token, the same checks.
	"GET /s/{token}":         true,
	"POST /s/{token}/unlock": true,
	"POST /s/{token}/guest":  true,
	// Calls for entries: what a published call shows the world (drafts
	// answer 404 to all but their organization; results and their images
	// only once published, and only where the terms grant publication).
	"GET /api/v1/calls":                      true,
	"GET /api/v1/calls/{id}":                 true,
	"GET /api/v1/calls/{id}/cover":           true,
	"GET /api/v1/calls/{id}/terms":           true,
	"GET /api/v1/calls/{id}/terms/{version}": true,
	"GET /api/v1/calls/{id}/results":         true,
	// The public copies of the awarded images.
	"GET /api/v1/calls/{id}/results/entries/{entry}/images/{image}/{kind}": true,
	// The public pages of calls (internal/web/calls_public.go), the same
	// rules as their API.
	"GET /calls":                      true,
	"GET /calls/{id}":                 true,
	"GET /calls/{id}/terms":           true,
	"GET /calls/{id}/terms/{version}": true,
	"GET /calls/{id}/results":         true,
	// The records of processing (GDPR Art. 30), readable by anyone whose
	// data the instance may hold, before signing up.
	"GET /api/v1/privacy/processing": true,
	"GET /privacy":                   true,
	"GET /terms":                     true,

	// The text of the optional e-mails consent, public like /terms.
	"GET /api/v1/privacy/optional-consents": true,
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

// concrete turns a pattern into a method and a request path.
func concrete(pattern string) (string, string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = placeholder.ReplaceAllString(path, "0197a000-0000-7000-8000-000000000000")
	return method, path
}

func TestEveryRouteDeclaresAPolicy(t *testing.T) {
	a, srv := newServer(t)
	routes := a.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes registered; the route table is not what this test expects", len(routes))
	}
	anon := newClient(t, srv)
	user := signUpAndLogin(t, srv, "admin@example.com") // the first account: admin
	// A second, ordinary account through an invitation.
	inv := user.must(201, "POST", "/api/v1/invites", map[string]string{"email": "bob@example.com"})
	bob := newClient(t, srv)
	bob.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "bob@example.com", "password": password, "name": "Bob", "invite": inv.json["token"].(string)})
	bob.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})

	for _, r := range routes {
		t.Run(r.Pattern, func(t *testing.T) {
			if !r.Policy.Valid() {
				t.Fatalf("route %q has no access policy", r.Pattern)
			}
			if r.Policy.IsPublic() {
				if !publicRoutes[r.Pattern] {
					t.Fatalf("route %q is public (%s) but not in the reviewed list of public routes", r.Pattern, r.Kind)
				}
				return
			}
			method, path := concrete(r.Pattern)
			res := anon.do(method, path, nil)
			switch {
			case r.Kind == httpx.Page && method == http.MethodGet:
				if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/login?next=") {
					t.Errorf("anonymous %s %s = %d Location %q; want 303 to /login", method, path, res.status, res.header.Get("Location"))
				}
			default:
				if res.status != http.StatusUnauthorized {
					t.Errorf("anonymous %s %s = %d; want 401", method, path, res.status)
				}
			}
			// Routes of a role (admin, support, dpo, security, any staff)
			// do not exist for an account without one.
			if access.Check(r.Policy, &access.Principal{UserID: "bob", Via: access.ViaSession, SessionID: "s"}) == access.Hidden {
				if res := bob.do(method, path, nil); res.status != http.StatusNotFound {
					t.Errorf("account without a role: %s %s = %d; want 404", method, path, res.status)
				}
			}
		})
	}
}
