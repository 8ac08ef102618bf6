package keys

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"safelight/internal/blob"
)

// ageCLI returns the age binary named by SAFELIGHT_TEST_AGE_CLI, skipping
// the test when the variable is unset (CI sets it).
func ageCLI(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SAFELIGHT_TEST_AGE_CLI")
	if path == "" {
		t.Skip("SAFELIGHT_TEST_AGE_CLI is not set: skipping the interoperability test with the age CLI (set it to the age binary, e.g. SAFELIGHT_TEST_AGE_CLI=$(which age))")
	}
	return path
}

func runAge(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("age %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// TestInteropAgeCLIDecrypts checks the promise that an owner can decrypt
// their stored blobs with the standard age CLI and their exported identity.
func TestInteropAgeCLIDecrypts(t *testing.T) {
	bin := ageCLI(t)
	e := newEnv(t)
	dir := t.TempDir()
	ctx := context.Background()

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("hello from safelight\n")},
		{"one chunk", randomBytes(chunk)},
		{"chunk plus one", randomBytes(chunk + 1)},
		{"multi MiB", randomBytes(2<<20 + 333)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := e.put(t, "owner-cli", tc.data)
			sealed := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".age")
			if err := os.WriteFile(sealed, e.raw(t, ref), 0o600); err != nil {
				t.Fatal(err)
			}
			identity, err := e.keyring.ExportIdentity(ctx, "owner-cli")
			if err != nil {
				t.Fatal(err)
			}
			idFile := filepath.Join(dir, "identity.txt")
			if err := os.WriteFile(idFile, []byte(identity+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			got := runAge(t, bin, "-d", "-i", idFile, sealed)
			if !bytes.Equal(got, tc.data) {
				t.Errorf("age -d output = %d bytes; want the %d bytes put", len(got), len(tc.data))
			}

			// Another owner's identity must not decrypt it.
			recipientString(t, e.keyring, "owner-other")
			otherID, err := e.keyring.ExportIdentity(ctx, "owner-other")
			if err != nil {
				t.Fatal(err)
			}
			otherFile := filepath.Join(dir, "other.txt")
			if err := os.WriteFile(otherFile, []byte(otherID+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, "-d", "-i", otherFile, sealed).Output(); err == nil {
				t.Errorf("age -d with another owner's identity succeeded with %d bytes; want failure", len(out))
			}
		})
	}
}

// TestInteropAgeCLIEncrypts checks the other direction: a file the age CLI
// encrypted to an owner's recipient opens with Open and OpenSeekable.
func TestInteropAgeCLIEncrypts(t *testing.T) {
	bin := ageCLI(t)
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	plain := randomBytes(3*chunk + 17)
	in := filepath.Join(dir, "plain")
	if err := os.WriteFile(in, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	rcpt := recipientString(t, e.keyring, "owner-cli")
	sealed := runAge(t, bin, "-r", rcpt, in)

	ref := blob.NewRef("test")
	if _, err := e.blobs.Put(ctx, ref, bytes.NewReader(sealed)); err != nil {
		t.Fatal(err)
	}
	if got, err := readAllOpen(t, e.sealer, "owner-cli", ref); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Open(age CLI output) = %d bytes, %v; want the plaintext", len(got), err)
	}
	f, err := e.sealer.OpenSeekable(ctx, "owner-cli", ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 40)
	if _, err := f.ReadAt(buf, chunk-20); err != nil || !bytes.Equal(buf, plain[chunk-20:chunk+20]) {
		t.Errorf("OpenSeekable(age CLI output).ReadAt across a chunk boundary = %v; want the plaintext", err)
	}
	// The exported identity parses as the age CLI's identity file format.
	identity, err := e.keyring.ExportIdentity(ctx, "owner-cli")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := age.ParseIdentities(strings.NewReader(identity)); err != nil {
		t.Errorf("ParseIdentities(ExportIdentity) = %v", err)
	}
}
