package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"safelight/internal/access"
	"safelight/internal/httpx"
)

// TestOnDeniedSeesRefusalsOfSignedInCallers: the hook hears of a policy
// refusal (with the policy) and of a handler's 404 (with the route and its
// path values), only for signed-in callers, and after the same answer as
// without a hook.
func TestOnDeniedSeesRefusalsOfSignedInCallers(t *testing.T) {
	type heard struct {
		pattern, id, policy, user string
		status                    int
	}
	serve := func(p *access.Principal, hook bool, method, path string) (int, string, []heard) {
		var got []heard
		rt := newRouter(p)
		if hook {
			rt.OnDenied(func(r *http.Request, d httpx.Denial) {
				got = append(got, heard{r.Pattern, r.PathValue("id"), d.Policy, d.Caller.UserID, d.Status})
			})
		}
		rt.API("GET /admin/things", access.Admin, func(http.ResponseWriter, *http.Request) error { return nil })
		rt.API("GET /things/{id}", access.Authenticated, func(w http.ResponseWriter, r *http.Request) error {
			if r.PathValue("id") == "mine" {
				return httpx.WriteJSON(w, 200, map[string]string{"ok": "yes"})
			}
			return httpx.NotFound()
		})
		rt.API("GET /conflict", access.Authenticated, func(http.ResponseWriter, *http.Request) error {
			return httpx.Errorf(409, "taken")
		})
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code, rec.Body.String(), got
	}
	user := &access.Principal{UserID: "u1"}
	tests := []struct {
		name   string
		p      *access.Principal
		path   string
		status int
		want   []heard
	}{
		{"admin route, non-admin", user, "/admin/things", 404, []heard{{"GET /admin/things", "", "role:admin", "u1", 404}}},
		{"handler 404", user, "/things/theirs", 404, []heard{{"GET /things/{id}", "theirs", "", "u1", 404}}},
		{"allowed", user, "/things/mine", 200, nil},
		{"other refusal", user, "/conflict", 409, nil},
		{"anonymous", nil, "/things/theirs", 401, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, got := serve(tt.p, true, "GET", tt.path)
			plainStatus, plainBody, _ := serve(tt.p, false, "GET", tt.path)
			if status != tt.status || status != plainStatus || body != plainBody {
				t.Errorf("GET %s = %d %q; without the hook %d %q; want %d both", tt.path, status, body, plainStatus, plainBody, tt.status)
			}
			if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
				t.Errorf("OnDenied heard %+v; want %+v", got, tt.want)
			}
		})
	}
}
