package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"safelight/internal/access"
	"safelight/internal/api"
	"safelight/internal/httpx"
)

type noAuth struct{}

func (noAuth) Authenticate(*http.Request, bool) (*access.Principal, error) { return nil, nil }

// TestOpenAPIDocumentsEveryRoute fails when an API route is registered but
// missing from openapi.yaml (path and method).
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	rt := httpx.NewRouter(noAuth{}, "/login", slog.New(slog.NewTextHandler(io.Discard, nil)))
	(&api.Server{}).Register(rt)
	spec := api.OpenAPISpec()
	for _, r := range rt.Routes() {
		method, path, ok := strings.Cut(r.Pattern, " ")
		if !ok {
			continue // catch-alls
		}
		block := pathBlock(spec, path)
		if block == "" {
			t.Errorf("openapi.yaml does not document path %s", path)
			continue
		}
		if !strings.Contains(block, "\n    "+strings.ToLower(method)+":") {
			t.Errorf("openapi.yaml documents %s without %s", path, method)
		}
	}
}

// pathBlock returns the YAML under "  PATH:" up to the next path.
func pathBlock(spec, path string) string {
	re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(path) + `:\n((?:    .*\n|\n)*)`)
	m := re.FindStringSubmatch(spec)
	if m == nil {
		return ""
	}
	return "\n" + m[1]
}
