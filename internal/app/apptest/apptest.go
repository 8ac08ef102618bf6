// Package apptest starts real Safelight instances for tests: the same
// wiring as "safelight serve", on a temporary data directory, behind
// httptest. Tests across packages use it so that every end-to-end test
// runs against what ships.
package apptest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"safelight/internal/app"
	"safelight/internal/config"
)

// Start builds an instance from command-line style options (after a fresh
// --data directory and --listen 127.0.0.1:0; later options win) and serves
// it on httptest. Both are closed when the test ends.
func Start(t testing.TB, options ...string) (*app.App, *httptest.Server) {
	t.Helper()
	args := append([]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0"}, options...)
	cfg, err := config.Load("safelight serve", args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StartJobs(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}
