package app_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/config"
	"safelight/internal/keys"
	"safelight/internal/privacy"
)

// TestRootKeyRotation: "root-key rotate" adds a version to the file and
// "root-key rewrap" moves everything stored to it, so that afterwards a
// key file without the old version opens every image, passes the
// start-up check and verifies the erasure journal: a leaked copy of the
// old version opens nothing in the live instance.
func TestRootKeyRotation(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	// Embedded: the key file in the data directory; scale-out: PostgreSQL,
	// a bucket and a key file of their own.
	base := append([]string{"--data", dir}, apptest.ModeOptions(t)...)
	keyFile := dir + "/keys/root.key"
	if i := slices.Index(base, "--root-key-file"); i >= 0 {
		keyFile = base[i+1]
	}
	with := func(args ...string) []string { return append(args, base...) }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func(extra ...string) *app.App {
		t.Helper()
		cfg, err := config.Load("safelight serve", append(slices.Clone(base), extra...), nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		return a
	}
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := app.Main(ctx, args, strings.NewReader(""), &out, &errOut); code != want {
			t.Fatalf("safelight %s = exit %d (%s%s); want %d", strings.Join(args, " "), code, out.String(), errOut.String(), want)
		}
		return out.String() + errOut.String()
	}

	// An owner with a sealed photo, and an erased account in the journal.
	a := open()
	photo := []byte("sealed photo bytes")
	ref := blob.NewRef("orig")
	if _, err := a.Sealer.Put(ctx, "owner-1", ref, bytes.NewReader(photo)); err != nil {
		t.Fatal(err)
	}
	root1, err := keys.LoadRootKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := privacy.NewJournal(a.Blobs(), root1).Append(ctx, privacy.JournalEntry{UserID: "gone-1", ErasedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := a.Audit.Record(ctx, audit.Event{Type: audit.ConfigChanged, Details: map[string]string{"signup": "open"}}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	run(0, with("audit", "checkpoint")...) // signed with version 1

	run(2, "root-key", "rotate")
	if out := run(1, "root-key", "rotate", dir+"/no-such.key"); !strings.Contains(out, "no-such.key") {
		t.Errorf("rotate of a missing file says %q; want the path named", out)
	}
	if out := run(0, "root-key", "rotate", keyFile); !strings.Contains(out, "version 2") || !strings.Contains(out, "root-key rewrap") {
		t.Errorf("rotate says %q; want the new version and the next step", out)
	}
	// Started with the rotated file before the rewrap, the instance says
	// what is left to do.
	var logs bytes.Buffer
	log = slog.New(slog.NewTextHandler(&logs, nil))
	a = open()
	if v, pending, err := a.RootKeyStatus(ctx); v != 2 || !pending || err != nil {
		t.Errorf("root key status between rotate and rewrap = %d, %v, %v; want version 2, rewrap pending", v, pending, err)
	}
	a.Close()
	if !strings.Contains(logs.String(), "root-key rewrap") {
		t.Errorf("start between rotate and rewrap logged %q; want a reminder to rewrap", logs.String())
	}
	out := run(0, with("root-key", "rewrap")...)
	if !strings.Contains(out, "root key version 2: 1 owner key(s) and 1 erasure journal entry wrapped again, and the root key check") {
		t.Errorf("rewrap says %q", out)
	}
	if out := run(0, with("root-key", "rewrap")...); !strings.Contains(out, "0 owner key(s) and 0 erasure journal entries wrapped again\n") {
		t.Errorf("rewrap again says %q; want nothing done", out)
	}

	// Throw version 1 away, as after a leak of it.
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "key 1 ") || !strings.HasPrefix(lines[2], "key 2 ") {
		t.Fatalf("rotated key file has lines %d; want header, key 1, key 2", len(lines))
	}
	onlyNew := dir + "/only-new.key"
	if err := os.WriteFile(onlyNew, []byte(lines[0]+lines[2]), 0o600); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	a = open("--root-key-file", onlyNew)
	if strings.Contains(logs.String(), "root-key rewrap") {
		t.Errorf("start after the rewrap logged %q; want no reminder", logs.String())
	}
	if v, pending, err := a.RootKeyStatus(ctx); v != 2 || pending || err != nil {
		t.Errorf("root key status after rewrap = %d, %v, %v; want version 2, nothing pending", v, pending, err)
	}
	rc, err := a.Sealer.Open(ctx, "owner-1", ref)
	if err != nil {
		t.Fatalf("open the photo with version 2 only: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, photo) {
		t.Errorf("photo with version 2 only = %q", got)
	}
	root2, err := keys.LoadRootKeyFile(onlyNew)
	if err != nil {
		t.Fatal(err)
	}
	if es, err := privacy.NewJournal(a.Blobs(), root2).Entries(ctx); err != nil || len(es) != 1 || es[0].UserID != "gone-1" {
		t.Errorf("erasure journal with version 2 only = %+v, %v", es, err)
	}
	events, err := a.Store().AuditLog(ctx, auth.AuditFilter{Type: audit.RootKeyRewrapped, Limit: 10})
	if err != nil || len(events) != 1 || events[0].Details["owner_keys"] != "1" || events[0].Details["root_version"] != "2" {
		t.Errorf("audit events of the rewrap = %+v, %v; want one, for 1 owner key at version 2", events, err)
	}

	a.Close()

	// And the old version alone no longer opens the instance.
	onlyOld := dir + "/only-old.key"
	if err := os.WriteFile(onlyOld, []byte(lines[0]+lines[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run(1, append(with("root-key", "rewrap"), "--root-key-file", onlyOld)...); !strings.Contains(out, "not the key this database was set up with") {
		t.Errorf("rewrap with the old version only says %q; want a refusal", out)
	}

	// The audit log's checkpoint is still signed with version 1, so
	// simply dropping it from the file would break "audit verify":
	// retire signs the checkpoints again before it deletes the version.
	run(1, append(with("audit", "verify"), "--root-key-file", onlyNew)...)
	if out := run(0, with("root-key", "retire")...); !strings.Contains(out, "version(s) 1 deleted") {
		t.Errorf("retire says %q", out)
	}
	if after, _ := os.ReadFile(keyFile); string(after) != lines[0]+lines[2] {
		t.Errorf("key file after retire:\n%s\nwant the header and version 2 as they were", after)
	}
	run(0, with("audit", "verify")...)
	if out := run(0, with("root-key", "retire")...); !strings.Contains(out, "nothing to retire") {
		t.Errorf("retire again says %q", out)
	}
	a = open()
	defer a.Close()
	if rc, err := a.Sealer.Open(ctx, "owner-1", ref); err != nil {
		t.Errorf("open the photo after retire: %v", err)
	} else {
		rc.Close()
	}
	events, err = a.Store().AuditLog(ctx, auth.AuditFilter{Type: audit.RootKeyRetired, Limit: 10})
	if err != nil || len(events) != 1 || events[0].Details["removed"] != "1" || events[0].Details["checkpoints"] != "1" {
		t.Errorf("audit events of the retire = %+v, %v; want one, removing 1, one checkpoint signed again", events, err)
	}
}
