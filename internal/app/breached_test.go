package app_test

import (
	"crypto/sha1"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/config"
)

// writePwnedPasswords writes a Pwned Passwords SHA-1 file, ordered by
// hash with CRLF line ends as HIBP's downloader writes it, holding
// passwords and some filler, and returns its path.
func writePwnedPasswords(t *testing.T, passwords ...string) string {
	t.Helper()
	var lines []string
	for _, p := range passwords {
		lines = append(lines, fmt.Sprintf("%X:%d", sha1.Sum([]byte(p)), 1000+len(p)))
	}
	for i := range 1000 {
		lines = append(lines, fmt.Sprintf("%X:%d", sha1.Sum(fmt.Appendf(nil, "filler %d", i)), i+1))
	}
	slices.Sort(lines)
	path := filepath.Join(t.TempDir(), "pwned-passwords-sha1-ordered-by-hash.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNewPasswordPolicyEndToEnd is ASVS V6.2.11 and V6.2.12 through the
// served API: with --breached-passwords and a public URL, sign-up refuses a
// password from the operator's breach list and one made of the site's
// host name, with reasons the user can act on, and accepts a good one.
func TestNewPasswordPolicyEndToEnd(t *testing.T) {
	const breached = "amber glow in the dark room"
	_, srv := newServer(t, "--public-url", "https://photos.example.test", "--signup", "open",
		"--breached-passwords", writePwnedPasswords(t, breached))
	c := newClient(t, srv)

	tests := []struct {
		password string
		want     string
	}{
		{breached, "appeared in a data breach"},
		{"Photos.Example.test 1", "too easy to guess from your name, e-mail address or this site's name"},
		{"ann.adams@example.org", "too easy to guess"},
		{"safelight-ann-adams!", "too easy to guess"},
	}
	for _, tt := range tests {
		r := c.do("POST", "/api/v1/auth/signup", map[string]string{"email": "ann.adams@example.org", "password": tt.password, "name": "Ann Adams"})
		if r.status != 400 || !strings.Contains(string(r.body), tt.want) {
			t.Errorf("sign-up with %q = %d %s; want 400 containing %q", tt.password, r.status, r.body, tt.want)
		}
	}
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann.adams@example.org", "password": password, "name": "Ann Adams"})
}

// TestBreachedPasswordsFileMustBeRight: a missing, empty or unsorted
// --breached-passwords file stops the start with an error naming it,
// rather than running without the check the operator asked for.
func TestBreachedPasswordsFileMustBeRight(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	unsorted := filepath.Join(dir, "unsorted.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range 500 {
		lines = append(lines, fmt.Sprintf("%X:%d", sha1.Sum(fmt.Appendf(nil, "password %d", i)), 500-i))
	}
	if err := os.WriteFile(unsorted, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.txt"), "no such file"},
		{"empty", empty, "is empty"},
		{"ordered by prevalence", unsorted, "ordered by hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--data", t.TempDir(), "--listen", "127.0.0.1:0"}, apptest.ModeOptions(t)...)
			args = append(args, "--breached-passwords", tt.path)
			cfg, err := config.Load("safelight serve", args, func(string) string { return "" }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			a, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.Close()
				t.Fatalf("app.New with --breached-passwords %s = nil error; want one", tt.name)
			}
			if !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("app.New with --breached-passwords %s = %v; want an error naming %s and containing %q", tt.name, err, tt.path, tt.want)
			}
		})
	}
}
