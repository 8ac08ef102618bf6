package httpx_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"safelight/internal/access"
	"safelight/internal/httpx"
)

// TestRequestLogNamesTheCaller: each request's log line says who called
// (user id and how they signed in) once the router knows, and nobody for
// anonymous requests (ASVS 16.2.1).
func TestRequestLogNamesTheCaller(t *testing.T) {
	for _, tt := range []struct {
		name     string
		p        *access.Principal
		wantUser string
		wantVia  string
	}{
		{"session", &access.Principal{UserID: "u-1", Via: access.ViaSession, SessionID: "s"}, "u-1", "session"},
		{"token", &access.Principal{UserID: "u-2", Via: access.ViaToken, TokenID: "t"}, "u-2", "token"},
		{"anonymous", nil, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			rt := httpx.NewRouter(fixedAuth{tt.p}, "/login", log)
			rt.API("GET /api/x", access.Public, func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(204); return nil })
			rec := httptest.NewRecorder()
			httpx.Middleware(rt, httpx.SecurityOptions{}, log).ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
			var line map[string]any
			for l := range strings.Lines(buf.String()) {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("log line %q: %v", l, err)
				}
				if m["msg"] == "request" {
					line = m
				}
			}
			if line == nil {
				t.Fatalf("no request log line in %s", buf.String())
			}
			user, _ := line["user"].(string)
			via, _ := line["via"].(string)
			if user != tt.wantUser || via != tt.wantVia || line["status"] != float64(204) {
				t.Errorf("request line = %v; want user %q via %q, status 204", line, tt.wantUser, tt.wantVia)
			}
		})
	}
}

// TestNoReferrerPrefixes: paths that carry a secret answer with
// Referrer-Policy no-referrer, refusals of the cross-origin protection
// included; other paths keep same-origin.
func TestNoReferrerPrefixes(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := httpx.NewRouter(fixedAuth{nil}, "/login", log)
	rt.API("GET /s/{token}", access.Public, func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(200); return nil })
	rt.API("POST /s/{token}", access.Public, func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(200); return nil })
	rt.API("GET /other", access.Public, func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(200); return nil })
	h := httpx.Middleware(rt, httpx.SecurityOptions{NoReferrerPrefixes: []string{"/s/"}}, log)
	for _, tt := range []struct {
		method, path, site string
		status             int
		want               string
	}{
		{"GET", "/s/slk_x", "", 200, "no-referrer"},
		{"POST", "/s/slk_x", "cross-site", 403, "no-referrer"},
		{"GET", "/other", "", 200, "same-origin"},
	} {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.site != "" {
			req.Header.Set("Sec-Fetch-Site", tt.site)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status || rec.Header().Get("Referrer-Policy") != tt.want {
			t.Errorf("%s %s = %d, Referrer-Policy %q; want %d, %q", tt.method, tt.path, rec.Code, rec.Header().Get("Referrer-Policy"), tt.status, tt.want)
		}
	}
}
