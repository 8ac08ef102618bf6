package sqlstore_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"safelight/internal/sqlstore"
	"safelight/internal/sqlstore/storetest"
)

func openSQLite(t *testing.T, path string) *sqlstore.Store {
	t.Helper()
	return storetest.Open(t, "sqlite:"+path)
}

func TestSQLite(t *testing.T) {
	storetest.Test(t, func(t *testing.T) *sqlstore.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "meta.db"))
	})
}

func TestSQLiteAuditChain(t *testing.T) {
	storetest.AuditChain(t, func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "meta.db") })
}

func TestSQLiteMigrateConcurrently(t *testing.T) {
	storetest.MigrateConcurrently(t, "sqlite:"+filepath.Join(t.TempDir(), "meta.db"))
}

func TestSQLitePragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openSQLite(t, path)
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"} {
		got, err := s.Pragma(t.Context(), pragma)
		if err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v; want 0600", fi.Mode().Perm())
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	for _, dsn := range []string{"mysql://user:secret@x", "mysql:x", "sqlite:", "sqlite:/tmp/a?b", "secret"} {
		_, err := sqlstore.Open(t.Context(), dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			t.Errorf("Open(%q) = nil error", dsn)
			continue
		}
		if got := err.Error(); strings.Contains(got, "secret") {
			t.Errorf("Open(%q) error leaks the password: %s", dsn, got)
		}
	}
}
