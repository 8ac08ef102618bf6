// Package apptest starts real Safelight instances for tests: the same
// wiring as "safelight serve", on a temporary data directory, behind
// httptest. Tests across packages use it so that every end-to-end test
// runs against what ships.
//
// The mode is chosen by SAFELIGHT_TEST_MODE: "embedded" (the default:
// SQLite and the disk blob store) or "scale-out" (a throwaway PostgreSQL
// database and a fresh S3 bucket from package testsvc, with a root key
// file made beforehand as an operator would). The test command runs the
// end-to-end suites once in each mode.
package apptest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"safelight/internal/app"
	"safelight/internal/config"
	"safelight/internal/keys"
	"safelight/internal/testsvc"
)

// ModeEnv selects the mode of the instances Start makes.
const ModeEnv = "SAFELIGHT_TEST_MODE"

// ScaleOut reports whether instances run on PostgreSQL and S3.
func ScaleOut() bool { return os.Getenv(ModeEnv) == "scale-out" }

// Start builds an instance from command-line style options (after a fresh
// --data directory and --listen 127.0.0.1:0, and in scale-out mode the
// database, bucket and key options; later options win) and serves it on
// httptest. Both are closed when the test ends.
func Start(t testing.TB, options ...string) (*app.App, *httptest.Server) {
	t.Helper()
	args := append([]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0"}, ModeOptions(t)...)
	args = append(args, options...)
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

// ModeOptions returns the options that put an instance in the selected
// mode: none for embedded; for scale-out a new database, a new bucket with
// its credentials, and a new root key file.
func ModeOptions(t testing.TB) []string {
	t.Helper()
	if !ScaleOut() {
		return nil
	}
	db := testsvc.Postgres(t)
	bucket := testsvc.S3(t)
	return append([]string{"--db", db, "--root-key-file", NewRootKey(t)}, BucketOptions(bucket)...)
}

// BucketOptions selects bucket as the blob store.
func BucketOptions(bucket testsvc.S3Target) []string {
	return []string{"--blobs", bucket.URL(), "--s3-access-key-id", bucket.AccessKey, "--s3-secret-access-key", bucket.SecretKey}
}

// NewRootKey writes a fresh root key file and returns its path.
func NewRootKey(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "root.key")
	if err := keys.CreateRootKeyFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}
