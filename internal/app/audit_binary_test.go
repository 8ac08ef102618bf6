package app_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	_ "modernc.org/sqlite"
)

// TestBinaryAuditVerify runs "safelight audit verify" and "checkpoint"
// on a real data directory: exit 0 when intact, 1 when broken (naming the
// event), 2 for usage errors; and checks what "serve" adds to the log.
func TestBinaryAuditVerify(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	dbPath := filepath.Join(data, "safelight.db")

	if r := runBinary(t, bin, "", "audit", "verify", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "no database") {
		t.Errorf("audit verify without a database = %d %q; want 1 and a clear message", r.code, r.stderr)
	}
	for _, args := range [][]string{{"audit"}, {"audit", "frobnicate"}, {"audit", "verify", "--no-such-option"}, {"audit", "verify", "extra"}} {
		if r := runBinary(t, bin, "", append(args, "--data", data)...); r.code != 2 {
			t.Errorf("%v = %d %q; want 2 (usage)", args, r.code, r.stderr)
		}
	}
	if r := runBinary(t, bin, password+"\n", "user", "create", "--data", data, "--email", "root@example.com", "--name", "Root", "--admin"); r.code != 0 {
		t.Fatalf("user create = %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, bin, "", "audit", "verify", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "intact: 1 events, 0 checkpoints") || !strings.Contains(r.stdout, "no checkpoint yet") {
		t.Errorf("audit verify = %d %q %q; want 0, one event and no checkpoint", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, bin, "", "audit", "checkpoint", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "checkpoint at event 1 ") {
		t.Errorf("audit checkpoint = %d %q %q", r.code, r.stdout, r.stderr)
	}

	// serve records the (first) security configuration, signs the head at
	// start and once more at a graceful stop; a restart with the same
	// settings records nothing; a changed sign-up policy is recorded.
	serveAndStop := func(args ...string) {
		t.Helper()
		srv := startServeWith(t, bin, nil, append([]string{"--data", data}, args...)...)
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if err := srv.cmd.Wait(); err != nil {
			t.Fatalf("serve: %v\n%s", err, <-srv.logs)
		}
	}
	serveAndStop()
	serveAndStop()
	serveAndStop("--signup", "closed")
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT details FROM audit_events WHERE type = 'config.changed' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for rows.Next() {
		var d string
		rows.Scan(&d)
		changes = append(changes, d)
	}
	rows.Close()
	if len(changes) != 2 || !strings.Contains(changes[0], `"public_url":"(none) → http://`) || !strings.Contains(changes[1], `"signup":"\"\" → closed"`) || strings.Contains(changes[1], "public_url") {
		t.Errorf("config.changed events = %q; want the first start's settings, then only the sign-up change", changes)
	}
	r := runBinary(t, bin, "", "audit", "verify", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "intact: 3 events") || strings.Contains(r.stdout, "not yet signed") {
		t.Errorf("audit verify after serving = %d %q %q; want 3 events, all signed", r.code, r.stdout, r.stderr)
	}

	// Another root key cannot vouch for the log.
	other := filepath.Join(t.TempDir(), "other.key")
	if r := runBinary(t, bin, "", "root-key", "create", other); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := runBinary(t, bin, "", "audit", "verify", "--data", data, "--root-key-file", other); r.code != 1 || !strings.Contains(r.stderr, "not the key") {
		t.Errorf("audit verify with another root key = %d %q; want 1", r.code, r.stderr)
	}

	// Someone with write access to the database edits an event.
	if _, err := db.ExecContext(t.Context(), `UPDATE audit_events SET ip = '203.0.113.9' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, bin, "", "audit", "verify", "--data", data)
	if r.code != 1 || !strings.Contains(r.stderr, "audit log broken: event 2 (id ") || !strings.Contains(r.stderr, "hash does not match") {
		t.Errorf("audit verify after tampering = %d %q %q; want 1 naming event 2", r.code, r.stdout, r.stderr)
	}
}
