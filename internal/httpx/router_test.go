package httpx_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"safelight/internal/access"
	"safelight/internal/fault"
	"safelight/internal/httpx"
)

type fixedAuth struct{ p *access.Principal }

func (f fixedAuth) Authenticate(*http.Request, bool) (*access.Principal, error) { return f.p, nil }

func newRouter(p *access.Principal) *httpx.Router {
	return httpx.NewRouter(fixedAuth{p}, "/login", slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestRouteWithoutPolicyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a route with the zero Policy did not panic")
		}
	}()
	newRouter(nil).API("GET /x", access.Policy{}, func(http.ResponseWriter, *http.Request) error { return nil })
}

func TestErrorsNeverLeakCauses(t *testing.T) {
	rt := newRouter(&access.Principal{UserID: "u"})
	rt.API("GET /boom", access.Authenticated, func(http.ResponseWriter, *http.Request) error {
		return errors.New("sqlstore: secret internal detail")
	})
	rt.API("GET /safe", access.Authenticated, func(http.ResponseWriter, *http.Request) error {
		return &httpx.Error{Status: 409, Message: "already there", Cause: errors.New("hidden cause")}
	})
	for path, want := range map[string]int{"/boom": 500, "/safe": 409} {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d; want %d", path, rec.Code, want)
		}
		if body := rec.Body.String(); strings.Contains(body, "secret") || strings.Contains(body, "hidden") || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s body = %s; want a JSON error without the cause", path, body)
		}
	}
}

// An unreachable backend is a 503 the client may retry, on both kinds of
// route, and during authentication too: a database outage must not look
// like a logged-out session.
func TestUnavailableBackendIs503(t *testing.T) {
	down := fmt.Errorf("sqlstore: session: %w", fault.Unavailable(errors.New("dial tcp 10.0.0.5:5432: connection refused")))
	rt := httpx.NewRouter(failingAuth{down}, "/login", slog.New(slog.NewTextHandler(io.Discard, nil)))
	rt.API("GET /api/x", access.Authenticated, func(http.ResponseWriter, *http.Request) error { return nil })
	rt.Page("GET /page", access.Authenticated, func(http.ResponseWriter, *http.Request) error { return nil })
	rt.API("GET /healthz", access.Public, func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(200); return nil })
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Errorf("public route while authentication is unavailable = %d; want it served anonymously", rec.Code)
	}
	ok := newRouter(&access.Principal{UserID: "u"})
	ok.API("GET /api/x", access.Authenticated, func(http.ResponseWriter, *http.Request) error { return down })
	for name, h := range map[string]http.Handler{"auth api": rt, "auth page": rt, "handler": ok} {
		path := "/api/x"
		if name == "auth page" {
			path = "/page"
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: GET %s = %d, Retry-After %q; want 503 with Retry-After", name, path, rec.Code, rec.Header().Get("Retry-After"))
		}
		if strings.Contains(rec.Body.String(), "10.0.0.5") {
			t.Errorf("%s: body leaks the cause: %s", name, rec.Body.String())
		}
	}
}

type tooMany struct{}

func (tooMany) Error() string          { return "too many requests (signup); try again in 40 s" }
func (tooMany) RetryAfterSeconds() int { return 40 }

// A rate-limit refusal from anywhere (handler or authentication) is 429
// with its message and Retry-After.
func TestRateLimitedIs429(t *testing.T) {
	for name, rt := range map[string]*httpx.Router{
		"handler": newRouter(nil),
		"auth":    httpx.NewRouter(failingAuth{fmt.Errorf("wrapped: %w", tooMany{})}, "/login", slog.New(slog.NewTextHandler(io.Discard, nil))),
	} {
		rt.API("POST /x", access.Public, func(http.ResponseWriter, *http.Request) error { return fmt.Errorf("wrapped: %w", tooMany{}) })
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil))
		if rec.Code != 429 || rec.Header().Get("Retry-After") != "40" || !strings.Contains(rec.Body.String(), "try again in 40 s") {
			t.Errorf("%s: %d %q %s; want 429, Retry-After 40 and the message", name, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
}

type failingAuth struct{ err error }

func (f failingAuth) Authenticate(*http.Request, bool) (*access.Principal, error) { return nil, f.err }

func TestPolicyEnforcedBeforeHandler(t *testing.T) {
	called := false
	h := func(http.ResponseWriter, *http.Request) error { called = true; return nil }
	for _, tt := range []struct {
		p      *access.Principal
		pol    access.Policy
		kind   string
		status int
	}{
		{nil, access.Authenticated, "api", 401},
		{nil, access.Authenticated, "page", 303},
		{&access.Principal{UserID: "u"}, access.Admin, "api", 404},
		{&access.Principal{UserID: "u"}, access.Admin, "page", 404},
		{&access.Principal{UserID: "u", Via: access.ViaToken, TokenID: "t"}, access.AccountSecurity, "api", 403},
		{&access.Principal{UserID: "u", Via: access.ViaToken, TokenID: "t"}, access.MFASetup, "api", 403},
	} {
		called = false
		rt := newRouter(tt.p)
		if tt.kind == "api" {
			rt.API("GET /x", tt.pol, h)
		} else {
			rt.Page("GET /x", tt.pol, h)
		}
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		if rec.Code != tt.status || called {
			t.Errorf("%s route %s as %+v = %d (handler called %v); want %d, not called", tt.kind, tt.pol.Name(), tt.p, rec.Code, called, tt.status)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, tt := range []struct {
		body, ctype string
		status      int
	}{
		{`{"a":1}`, "application/json", 0},
		{`{"a":1}`, "application/json; charset=utf-8", 0},
		{`{"a":1}`, "text/plain", 415},
		{`{"a":"x"}`, "application/json", 400},
		{`{"b":1}`, "application/json", 400},
		{``, "application/json", 400},
		{" \n {\"a\":1}", "application/json", 0},
		{`null`, "application/json", 400}, // found by FuzzDecodeJSON: passed as {}
		{`[1]`, "application/json", 400},
		{`"a"`, "application/json", 400},
		{`{"a":1}{"a":2}`, "application/json", 400},
		{`{"a":` + strings.Repeat(" ", httpx.MaxJSONBody) + `1}`, "application/json", 413},
	} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.ctype)
		var v struct{ A int }
		err := httpx.DecodeJSON(httptest.NewRecorder(), req, &v)
		var he *httpx.Error
		got := 0
		if errors.As(err, &he) {
			got = he.Status
		} else if err != nil {
			got = -1
		}
		if got != tt.status {
			t.Errorf("DecodeJSON(%.30q, %s) status = %d (%v); want %d", tt.body, tt.ctype, got, err, tt.status)
		}
	}
}
