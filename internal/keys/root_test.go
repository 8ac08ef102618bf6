package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// rootKeyB64 returns the base64 key of version v as written in the file.
func rootKeyB64(t *testing.T, path string, v int) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("key %d ", v)
	for line := range strings.Lines(string(data)) {
		if s, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), prefix); ok {
			return s
		}
	}
	t.Fatalf("no key version %d in %s", v, path)
	return ""
}

// assertNoKeyMaterial fails if s contains the key in any common encoding.
func assertNoKeyMaterial(t *testing.T, what, s, keyB64 string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{
		keyB64,
		keyB64[:16],
		hex.EncodeToString(raw),
		strings.Trim(fmt.Sprint(raw[:8]), "[]"),
		string(raw[:12]),
	} {
		if strings.Contains(s, enc) {
			t.Errorf("%s contains key material: %q", what, s)
		}
	}
}

func TestLoadOrCreateRootKeyFileCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "root.key")

	k1, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateRootKeyFile(new) = %v", err)
	}
	if k1.Version() != 1 {
		t.Errorf("Version() = %d; want 1", k1.Version())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("key dir mode = %04o; want 0700", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o; want 0600", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "root.key" {
		t.Errorf("key dir holds %v; want only root.key (no temporary files left)", entries)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "safelight-root-key v1\nkey 1 ") {
		t.Errorf("key file does not start with the header and key 1")
	}
	if raw, err := base64.StdEncoding.DecodeString(rootKeyB64(t, path, 1)); err != nil || len(raw) != 32 {
		t.Errorf("key 1 decodes to %d bytes (err %v); want 32", len(raw), err)
	}

	// A fresh load of the same file is the same key.
	k2, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateRootKeyFile(existing) = %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, data) {
		t.Errorf("loading an existing key file changed it")
	}
	aad := []byte("context")
	w, err := k1.Wrap([]byte("secret value"), aad)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k2.Unwrap(w, aad)
	if err != nil || string(got) != "secret value" {
		t.Errorf("reloaded Unwrap = %q, %v; want %q", got, err, "secret value")
	}

	// A different file is a different key.
	other, err := LoadOrCreateRootKeyFile(filepath.Join(t.TempDir(), "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Unwrap(w, aad); !errors.Is(err, ErrUnwrap) {
		t.Errorf("Unwrap with another instance's key = %v; want ErrUnwrap", err)
	}
}

func TestLoadOrCreateRootKeyFileConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "root.key")
	const n = 8
	ks := make([]*FileRootKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ks[i], errs[i] = LoadOrCreateRootKeyFile(path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("LoadOrCreateRootKeyFile #%d = %v", i, err)
		}
	}
	w, err := ks[0].Wrap([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range ks {
		if _, err := k.Unwrap(w, nil); err != nil {
			t.Errorf("instance %d cannot unwrap instance 0's value: %v; concurrent creators must share one key", i, err)
		}
	}
}

func TestLoadRootKeyFileRefusesLoosePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "root.key")
	if _, err := LoadOrCreateRootKeyFile(path); err != nil {
		t.Fatal(err)
	}
	keyB64 := rootKeyB64(t, path, 1)
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o644, false},
		{0o640, false},
		{0o604, false},
		{0o660, false},
		{0o620, false},
		{0o602, false},
		{0o700, true},
		{0o610, false},
	} {
		t.Run(fmt.Sprintf("%04o", tc.mode), func(t *testing.T) {
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			k, err := LoadOrCreateRootKeyFile(path)
			if tc.ok {
				if err != nil {
					t.Errorf("LoadOrCreateRootKeyFile(mode %04o) = %v; want success", tc.mode, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadOrCreateRootKeyFile(mode %04o) = %v, nil; want error", tc.mode, k)
			}
			if !strings.Contains(err.Error(), "mode") {
				t.Errorf("error %q does not explain the mode problem", err)
			}
			assertNoKeyMaterial(t, "error", err.Error(), keyB64)
		})
	}
}

func TestLoadRootKeyFileRefusesMalformed(t *testing.T) {
	const good = "safelight-root-key v1\nkey 1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
	const k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	const k2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	const short = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="    // 31 bytes
	const long = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"     // 33 bytes
	const unpadded = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"  // no padding
	const urlsafe = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh_-"  // wrong alphabet
	const badChars = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH!8=" // invalid char
	const nonCanon = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=" // non-zero trailing bits
	const header = "safelight-root-key v1\n"

	// The good file must load, or the cases below prove nothing.
	goodPath := filepath.Join(t.TempDir(), "root.key")
	if err := os.WriteFile(goodPath, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateRootKeyFile(goodPath); err != nil {
		t.Fatalf("LoadOrCreateRootKeyFile(good file) = %v", err)
	}

	for _, tc := range []struct{ name, content string }{
		{"empty", ""},
		{"header only", header},
		{"no final newline", strings.TrimSuffix(good, "\n")},
		{"wrong header", "safelight-root-key v2\nkey 1 " + k1 + "\n"},
		{"no header", "key 1 " + k1 + "\n"},
		{"header with trailing space", "safelight-root-key v1 \nkey 1 " + k1 + "\n"},
		{"blank line", header + "\nkey 1 " + k1 + "\n"},
		{"trailing blank line", good + "\n"},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n")},
		{"comment", header + "# note\nkey 1 " + k1 + "\n"},
		{"missing version", header + "key " + k1 + "\n"},
		{"version zero", header + "key 0 " + k1 + "\n"},
		{"negative version", header + "key -1 " + k1 + "\n"},
		{"version with plus", header + "key +1 " + k1 + "\n"},
		{"version with leading zero", header + "key 01 " + k1 + "\n"},
		{"version not a number", header + "key one " + k1 + "\n"},
		{"version too big", header + "key 99999999999999999999 " + k1 + "\n"},
		{"version beyond 31 bits", header + "key 2147483648 " + k1 + "\n"},
		{"duplicate version", header + "key 1 " + k1 + "\nkey 1 " + k2 + "\n"},
		{"decreasing versions", header + "key 2 " + k2 + "\nkey 1 " + k1 + "\n"},
		{"short key", header + "key 1 " + short + "\n"},
		{"long key", header + "key 1 " + long + "\n"},
		{"unpadded key", header + "key 1 " + unpadded + "\n"},
		{"url-safe alphabet", header + "key 1 " + urlsafe + "\n"},
		{"bad characters", header + "key 1 " + badChars + "\n"},
		{"non-canonical base64", header + "key 1 " + nonCanon + "\n"},
		{"extra field", header + "key 1 " + k1 + " extra\n"},
		{"double space", header + "key 1  " + k1 + "\n"},
		{"raw key bytes", header + "key 1 " + strings.Repeat("\x01", 32) + "\n"},
		{"second line garbage", good + "garbage " + k2 + "\n"},
		{"too large", header + strings.Repeat("key 1 "+k1+"\n", 2000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "root.key")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			k, err := LoadOrCreateRootKeyFile(path)
			if err == nil {
				t.Fatalf("LoadOrCreateRootKeyFile(%q) = %v, nil; want error", tc.name, k)
			}
			for _, key := range []string{k1, k2} {
				assertNoKeyMaterial(t, "error", err.Error(), key)
			}
			after, err := os.ReadFile(path)
			if err != nil || string(after) != tc.content {
				t.Errorf("a refused key file was changed or removed (err %v)", err)
			}
		})
	}
}

func TestLoadRootKeyFileRefusesNonRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadOrCreateRootKeyFile(path); err == nil {
		t.Errorf("LoadOrCreateRootKeyFile(directory) = %v, nil; want error", k)
	}
}

func TestRootKeyFileVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "root.key")
	k1, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("aad")
	w1, err := k1.Wrap([]byte("one"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.BigEndian.Uint32(w1[1:5]); w1[0] != 0x01 || v != 1 {
		t.Errorf("wrapped prefix = %#x, version %d; want format 0x01, version 1", w1[0], v)
	}

	// What "keys rotate" will do: append a newer version.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	const k2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	if _, err := f.WriteString("key 2 " + k2 + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	k2r, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateRootKeyFile(two versions) = %v", err)
	}
	if k2r.Version() != 2 {
		t.Errorf("Version() = %d; want 2", k2r.Version())
	}
	if got, err := k2r.Unwrap(w1, aad); err != nil || string(got) != "one" {
		t.Errorf("Unwrap(version 1 value) after rotation = %q, %v; want %q", got, err, "one")
	}
	w2, err := k2r.Wrap([]byte("two"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.BigEndian.Uint32(w2[1:5]); v != 2 {
		t.Errorf("Wrap after rotation used version %d; want 2", v)
	}
	if got, err := k2r.Unwrap(w2, aad); err != nil || string(got) != "two" {
		t.Errorf("Unwrap(version 2 value) = %q, %v; want %q", got, err, "two")
	}
	// The old instance knows only version 1.
	if _, err := k1.Unwrap(w2, aad); !errors.Is(err, ErrUnwrap) {
		t.Errorf("version-1-only Unwrap(version 2 value) = %v; want ErrUnwrap", err)
	}
	// Relabelling a version 2 value as version 1 fails (the version is authenticated).
	relabel := bytes.Clone(w2)
	binary.BigEndian.PutUint32(relabel[1:5], 1)
	if _, err := k2r.Unwrap(relabel, aad); !errors.Is(err, ErrUnwrap) {
		t.Errorf("Unwrap(relabelled version) = %v; want ErrUnwrap", err)
	}
}

func TestRootKeyUnwrapRejectsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	k, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("safelight owner-key v1\x00owner\x001")
	plain := []byte("AGE-SECRET-KEY-1 pretend secret")
	w, err := k.Wrap(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Unwrap(w, aad); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unwrap(untouched) = %q, %v; want %q", got, err, plain)
	}
	if bytes.Contains(w, plain) || bytes.Contains(w, plain[:16]) {
		t.Errorf("wrapped value contains the plaintext")
	}
	w2, _ := k.Wrap(plain, aad)
	if bytes.Equal(w, w2) {
		t.Errorf("two Wraps of the same value are identical; want a random nonce each time")
	}

	check := func(name string, wrapped, aad []byte) {
		t.Helper()
		got, err := k.Unwrap(wrapped, aad)
		if !errors.Is(err, ErrUnwrap) {
			t.Errorf("Unwrap(%s) = %q, %v; want ErrUnwrap", name, got, err)
		}
		if err != nil {
			assertNoKeyMaterial(t, "error", err.Error(), rootKeyB64(t, path, 1))
		}
	}
	for i := range w {
		bad := bytes.Clone(w)
		bad[i] ^= 0x01
		check(fmt.Sprintf("bit flipped in byte %d", i), bad, aad)
	}
	for n := range len(w) {
		check(fmt.Sprintf("truncated to %d bytes", n), w[:n], aad)
	}
	check("extra byte", append(bytes.Clone(w), 0), aad)
	check("wrong aad", w, []byte("safelight owner-key v1\x00other\x001"))
	check("nil aad", w, nil)
	check("aad with extra byte", w, append(bytes.Clone(aad), 0))
	check("nil value", nil, aad)
}

func TestFileRootKeyFormatHidesKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	k, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keyB64 := rootKeyB64(t, path, 1)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		out := fmt.Sprintf(verb, k)
		assertNoKeyMaterial(t, "fmt "+verb, out, keyB64)
		if !strings.Contains(out, "FileRootKey") {
			t.Errorf("Sprintf(%s, key) = %q; want the safe description", verb, out)
		}
	}
}
