package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/blob"
	"safelight/internal/keys"
	"safelight/internal/library"
	"safelight/internal/privacy"
)

// blobFile is where the disk blob store under dir keeps ref.
func blobFile(dir string, ref blob.Ref) string {
	ns, name, _ := strings.Cut(string(ref), "/")
	return filepath.Join(dir, ns, name[:2], name[2:])
}

// copyTree copies the files under src to dst, keeping modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runMain runs the safelight command line and returns its exit code and
// what it printed.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := app.Main(t.Context(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestBackupRestoreReplaysErasures: a backup made while serving, then an
// account erased, then the backup restored into a fresh data directory
// with the instance's root key and its live erasure journal: the erased
// account does not come back (it cannot sign in, and none of its assets
// or blobs exists), while the others' are served. A backup holds neither
// the root key nor the journal; a restore refuses a backup of another
// instance (different root key) and a data directory that is not empty.
func TestBackupRestoreReplaysErasures(t *testing.T) {
	if apptest.ScaleOut() {
		t.Skip(`"safelight backup" and "restore" are for embedded mode (SQLite and a blob directory): scale-out backs up with pg_dump and bucket versioning and then runs "safelight erasure replay", whose replay TestErasureCryptoShreds checks in both modes`)
	}
	ctx := t.Context()
	data := t.TempDir()
	a, srv := newServer(t, "--data", data, "--signup", "open", "--erasure-grace", "0")
	signUpAndLogin(t, srv, "admin@example.com") // the first account: an admin, with TOTP
	ann := signUpAndLogin(t, srv, "ann@example.com")
	bob := signUpAndLogin(t, srv, "bob@example.com")
	bobID := bob.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	annAsset := uploadReady(t, ann, 21)
	bobAsset := uploadReady(t, bob, 22)
	bobRefs, err := a.Store().ErasureBlobRefs(ctx, bobID)
	if err != nil || len(bobRefs) != 3 {
		t.Fatalf("Bob's blobs = %v, %v", bobRefs, err)
	}

	// Backup while serving.
	backup := filepath.Join(t.TempDir(), "backup")
	code, out, errOut := runMain(t, "backup", backup, "--data", data)
	if code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "the root key is not in the backup") {
		t.Errorf("backup said %q; want it to say the root key is not in it", out)
	}
	var m map[string]any
	raw, err := os.ReadFile(filepath.Join(backup, "manifest.json"))
	if err != nil || json.Unmarshal(raw, &m) != nil || m["users"] != float64(3) || m["assets"] != float64(2) || m["root_key_included"] != false {
		t.Errorf("manifest = %s, %v; want 3 users, 2 assets, no root key", raw, err)
	}
	for _, ref := range bobRefs {
		if _, err := os.Stat(blobFile(filepath.Join(backup, "blobs"), ref)); err != nil {
			t.Errorf("Bob's blob %s is not in the backup: %v", ref, err)
		}
	}

	// Bob erases his account; the journal records it, outside the backup.
	bob.must(202, "DELETE", "/api/v1/me", map[string]string{"password": password})
	waitErased(t, a, bobID)
	if code, out, errOut := runMain(t, "backup", filepath.Join(t.TempDir(), "later"), "--data", data); code != 0 {
		t.Fatalf("second backup = %d %s %s", code, out, errOut)
	}
	for _, dir := range []string{backup, filepath.Join(t.TempDir(), "later")} {
		if _, err := os.Stat(filepath.Join(dir, "blobs", privacy.JournalNamespace)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s holds the erasure journal (%v); want it left out", dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "root.key")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s holds the root key (%v); want it left out", dir, err)
		}
	}

	// Restore into a fresh data directory with the instance's root key
	// and its live journal (the operator keeps both outside the backup).
	fresh := t.TempDir()
	copyTree(t, filepath.Join(data, "keys"), filepath.Join(fresh, "keys"))
	copyTree(t, filepath.Join(data, "blobs", privacy.JournalNamespace), filepath.Join(fresh, "blobs", privacy.JournalNamespace))
	code, out, errOut = runMain(t, "restore", backup, "--data", fresh)
	if code != 0 {
		t.Fatalf("restore = %d %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "erasure journal replayed: 1 erased") {
		t.Errorf("restore said %q; want one erased account replayed", out)
	}
	restored, rsrv := newServer(t, "--data", fresh)
	newClient(t, rsrv).must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	if _, err := restored.Store().AssetByID(ctx, bobAsset); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("Bob's asset after restore = %v; want gone", err)
	}
	for _, ref := range bobRefs {
		if _, err := restored.Blobs().Stat(ctx, ref); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Bob's blob %s after restore = %v; want gone", ref, err)
		}
	}
	if ks, _ := restored.Store().OwnerKeys(ctx, bobID); len(ks) != 0 {
		t.Errorf("Bob's keys after restore = %d; want none", len(ks))
	}
	ann2 := newClient(t, rsrv)
	ann2.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	ann2.must(200, "GET", "/api/v1/assets/"+annAsset+"/original", nil)
	ann2.must(404, "GET", "/api/v1/assets/"+bobAsset+"/original", nil)

	// "safelight erasure replay" (what scale-out runs after pg_restore)
	// runs beside the server and finds nothing left to erase.
	if code, out, errOut := runMain(t, "erasure", "replay", "--data", fresh); code != 0 || !strings.Contains(out, "1 erased") {
		t.Errorf("erasure replay = %d %q %q; want 0, 1 erased", code, out, errOut)
	}
	ann2.must(200, "GET", "/api/v1/assets/"+annAsset+"/original", nil)

	// Refused: a data directory that is not empty…
	if code, _, errOut := runMain(t, "restore", backup, "--data", fresh); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore over a restored instance = %d %q; want 1, not empty", code, errOut)
	}
	// …and a backup of another instance: a different root key.
	other := t.TempDir()
	if err := keys.CreateRootKeyFile(filepath.Join(other, "keys", "root.key")); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runMain(t, "restore", backup, "--data", other)
	if code != 1 || !strings.Contains(errOut, "made by another instance") || !strings.Contains(errOut, "different root key") {
		t.Errorf("restore with another root key = %d %q; want 1, another instance, different root key", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(other, "safelight.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused restore wrote the database (%v)", err)
	}
	// A backup goes only into a new or empty directory.
	if code, _, errOut := runMain(t, "backup", backup, "--data", data); code != 1 || !strings.Contains(errOut, "empty directory") {
		t.Errorf("backup into a used directory = %d %q; want 1", code, errOut)
	}
}

// TestBackupNeedsEmbeddedMode: backup and restore say what to use
// instead with PostgreSQL or S3.
func TestBackupNeedsEmbeddedMode(t *testing.T) {
	for _, cmd := range []string{"backup", "restore"} {
		code, _, errOut := runMain(t, cmd, t.TempDir(), "--data", t.TempDir(), "--db", "postgres://safelight@127.0.0.1:1/safelight")
		if code != 1 || !strings.Contains(errOut, "pg_dump") || !strings.Contains(errOut, "safelight erasure replay") {
			t.Errorf("%s on PostgreSQL = %d %q; want 1 and the way to back up there", cmd, code, errOut)
		}
	}
	if code, _, errOut := runMain(t, "backup"); code != 2 || !strings.Contains(errOut, "safelight backup DIR") {
		t.Errorf("backup without DIR = %d %q; want 2 and the usage", code, errOut)
	}
}
