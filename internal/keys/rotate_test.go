package keys

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"safelight/internal/blob"
)

// rewrapMem is memKeys and memCheck with the compare-and-swap updates of
// RewrapStore. beforeUpdate, when set, runs before each owner key update
// (used to erase an owner in the middle of a rewrap).
type rewrapMem struct {
	*memKeys
	memCheck
	beforeUpdate func(OwnerKey)
}

func (m *rewrapMem) OwnerKeysWrappedBefore(_ context.Context, rootVersion, limit int) ([]OwnerKey, error) {
	m.memKeys.mu.Lock()
	defer m.memKeys.mu.Unlock()
	var out []OwnerKey
	for _, rows := range m.rows {
		for _, r := range rows {
			if r.RootVersion < rootVersion {
				r.Wrapped = bytes.Clone(r.Wrapped)
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b OwnerKey) int {
		return strings.Compare(a.OwnerID, b.OwnerID)*2 + (a.Version - b.Version)
	})
	return out[:min(limit, len(out))], nil
}

func (m *rewrapMem) RewrapOwnerKey(_ context.Context, k OwnerKey, old []byte) (bool, error) {
	if m.beforeUpdate != nil {
		m.beforeUpdate(k)
	}
	m.memKeys.mu.Lock()
	defer m.memKeys.mu.Unlock()
	for i, r := range m.rows[k.OwnerID] {
		if r.Version == k.Version && bytes.Equal(r.Wrapped, old) {
			r.Wrapped, r.RootVersion = bytes.Clone(k.Wrapped), k.RootVersion
			m.rows[k.OwnerID][i] = r
			return true, nil
		}
	}
	return false, nil
}

func (m *rewrapMem) ReplaceRootKeyCheck(_ context.Context, old, wrapped []byte) (bool, error) {
	m.memCheck.mu.Lock()
	defer m.memCheck.mu.Unlock()
	if !bytes.Equal(m.v, old) {
		return false, nil
	}
	m.v = bytes.Clone(wrapped)
	return true, nil
}

func (m *rewrapMem) erase(ownerID string) {
	m.memKeys.mu.Lock()
	defer m.memKeys.mu.Unlock()
	delete(m.rows, ownerID)
}

func TestAddRootKeyVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "root.key")
	k1, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	w1, _ := k1.Wrap([]byte("one"), []byte("aad"))

	v, err := AddRootKeyVersion(path)
	if err != nil || v != 2 {
		t.Fatalf("AddRootKeyVersion = %d, %v; want 2", v, err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.HasPrefix(after, before) || bytes.Count(after, []byte("\n")) != 3 || !bytes.Contains(after, []byte("\nkey 2 ")) {
		t.Errorf("file after rotation:\n%s\nwant the old content with one line \"key 2 …\" added", after)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rotation = %04o; want 0600", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".root-key-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	k2, err := LoadRootKeyFile(path)
	if err != nil || k2.Version() != 2 {
		t.Fatalf("load after rotation = %v, %v; want version 2", k2, err)
	}
	if got, err := k2.Unwrap(w1, []byte("aad")); err != nil || string(got) != "one" {
		t.Errorf("a version 1 value after rotation = %q, %v", got, err)
	}
	w2, _ := k2.Wrap([]byte("two"), []byte("aad"))
	if v, ok := WrappedVersion(w2); !ok || v != 2 {
		t.Errorf("WrappedVersion(new value) = %d, %v; want 2", v, ok)
	}
	if v, ok := WrappedVersion(w1); !ok || v != 1 {
		t.Errorf("WrappedVersion(old value) = %d, %v; want 1", v, ok)
	}
	if _, ok := WrappedVersion([]byte("not wrapped")); ok {
		t.Error("WrappedVersion(garbage) reported a version")
	}
}

// TestAddRootKeyVersionRefuses: a file that loading would refuse is not
// rotated either, and is left byte for byte as it was.
func TestAddRootKeyVersionRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := AddRootKeyVersion(filepath.Join(dir, "missing.key")); err == nil {
		t.Error("rotation of a missing file succeeded")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("rotation of a missing file left %v", left)
	}
	for name, tc := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		"loose mode": {rootKeyFileHeader + "\nkey 1 " + strings.Repeat("A", 43) + "=\n", 0o644},
		"malformed":  {rootKeyFileHeader + "\nkey one AAAA\n", 0o600},
		"no header":  {"key 1 " + strings.Repeat("A", 43) + "=\n", 0o600},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "root.key")
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tc.mode)
			if _, err := AddRootKeyVersion(path); err == nil {
				t.Fatal("rotation succeeded")
			}
			if got, _ := os.ReadFile(path); string(got) != tc.content {
				t.Errorf("file changed to %q", got)
			}
		})
	}
}

// TestAddRootKeyVersionConcurrent: rotations of one file at once each add
// their own version; none is lost.
func TestAddRootKeyVersionConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	if err := CreateRootKeyFile(path); err != nil {
		t.Fatal(err)
	}
	const n = 8
	got := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := AddRootKeyVersion(path)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	slices.Sort(got)
	if want := []int{2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("versions added = %v; want %v", got, want)
	}
	k, err := LoadRootKeyFile(path)
	if err != nil || k.Version() != n+1 {
		t.Errorf("after %d rotations: %v, %v; want version %d", n, k, err, n+1)
	}
}

// onlyVersions loads the root key file at path keeping only the versions
// keep accepts: a file without an old version (as if it had leaked and
// been thrown away), or with the old version alone (a copy of the file
// from before the rotation).
func onlyVersions(t *testing.T, path string, keep func(int) bool) *FileRootKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseRootKeyFile(data)
	if err != nil {
		t.Fatal(err)
	}
	for v := range parsed {
		if !keep(v) {
			delete(parsed, v)
		}
	}
	k, err := newFileRootKey(filepath.Join(t.TempDir(), "newer-only.key"), parsed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRewrap: after a rotation and Rewrap, the database needs only the
// new version: a key file without the old one opens every owner's blobs
// and passes the root key check. Rewrap run again does nothing.
func TestRewrap(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	st := &rewrapMem{memKeys: e.store}
	if err := VerifyRootKey(ctx, e.root, st); err != nil {
		t.Fatal(err)
	}
	refs := map[string][]byte{}
	for _, owner := range []string{"ann", "bo", "cy"} {
		refs[owner] = []byte("photo of " + owner)
		ref := e.put(t, owner, refs[owner])
		refs[owner+" ref"] = []byte(ref)
	}
	if _, err := Rewrap(ctx, e.root, st); err != nil {
		t.Fatalf("Rewrap with nothing to do = %v", err)
	}
	if _, err := AddRootKeyVersion(e.root.Path()); err != nil {
		t.Fatal(err)
	}
	// Before the new file is loaded the old key has nothing newer to wrap with.
	if rep, err := Rewrap(ctx, e.root, st); err != nil || rep.OwnerKeys != 0 || rep.Check {
		t.Errorf("Rewrap with the version-1 key = %+v, %v; want nothing done", rep, err)
	}
	root2, err := LoadRootKeyFile(e.root.Path())
	if err != nil {
		t.Fatal(err)
	}
	// A key file that is not this database's changes nothing.
	stranger, err := LoadOrCreateRootKeyFile(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Rewrap(ctx, stranger, st); !errors.Is(err, ErrWrongRootKey) {
		t.Errorf("Rewrap with another instance's key = %v; want ErrWrongRootKey", err)
	}
	if rows, _ := st.OwnerKeysWrappedBefore(ctx, 2, 100); len(rows) != 3 {
		t.Fatalf("rows under version 1 after the refused Rewrap = %d; want 3", len(rows))
	}

	rep, err := Rewrap(ctx, root2, st)
	if err != nil || rep.OwnerKeys != 3 || !rep.Check || rep.RootVersion != 2 {
		t.Fatalf("Rewrap = %+v, %v; want 3 owner keys and the check at version 2", rep, err)
	}
	if rows, _ := st.OwnerKeysWrappedBefore(ctx, 2, 100); len(rows) != 0 {
		t.Errorf("rows still under version 1: %+v", rows)
	}
	if again, err := Rewrap(ctx, root2, st); err != nil || again.OwnerKeys != 0 || again.Check {
		t.Errorf("Rewrap again = %+v, %v; want nothing done", again, err)
	}

	onlyNew := onlyVersions(t, e.root.Path(), func(v int) bool { return v >= 2 })
	if err := VerifyRootKey(ctx, onlyNew, st); err != nil {
		t.Errorf("root key check with version 2 only: %v", err)
	}
	sealer := NewSealer(NewKeyring(onlyNew, st), e.blobs)
	for _, owner := range []string{"ann", "bo", "cy"} {
		rc, err := sealer.Open(ctx, owner, blob.Ref(refs[owner+" ref"]))
		var got []byte
		if err == nil {
			got, err = io.ReadAll(rc)
			rc.Close()
		}
		if err != nil || !bytes.Equal(got, refs[owner]) {
			t.Errorf("%s's blob with version 2 only = %q, %v", owner, got, err)
		}
	}
	// And the version 1 key alone opens nothing any more.
	onlyOld := onlyVersions(t, e.root.Path(), func(v int) bool { return v == 1 })
	if _, err := NewKeyring(onlyOld, st).ExportIdentity(ctx, "ann"); !errors.Is(err, ErrUnwrap) {
		t.Errorf("ann's key with the old version only = %v; want ErrUnwrap", err)
	}
	if err := VerifyRootKey(ctx, onlyOld, st); !errors.Is(err, ErrWrongRootKey) {
		t.Errorf("root key check with the old version only = %v; want ErrWrongRootKey", err)
	}
}

// TestRewrapSkipsErasedOwner: an owner erased while Rewrap runs is
// skipped, not an error, and not brought back.
func TestRewrapSkipsErasedOwner(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	st := &rewrapMem{memKeys: e.store}
	for _, owner := range []string{"ann", "bo"} {
		e.put(t, owner, []byte("x"))
	}
	if _, err := AddRootKeyVersion(e.root.Path()); err != nil {
		t.Fatal(err)
	}
	root2, _ := LoadRootKeyFile(e.root.Path())
	st.beforeUpdate = func(k OwnerKey) {
		if k.OwnerID == "ann" {
			st.erase("ann")
		}
	}
	rep, err := Rewrap(ctx, root2, st)
	if err != nil || rep.OwnerKeys != 1 {
		t.Errorf("Rewrap with ann erased meanwhile = %+v, %v; want bo's key only", rep, err)
	}
	if n := e.store.count("ann"); n != 0 {
		t.Errorf("ann has %d keys after the rewrap; want none", n)
	}
}

// TestRetireRootKeyVersions: only the newest version stays, byte for byte;
// what older versions wrapped no longer opens.
func TestRetireRootKeyVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	if err := CreateRootKeyFile(path); err != nil {
		t.Fatal(err)
	}
	k1, _ := LoadRootKeyFile(path)
	w1, _ := k1.Wrap([]byte("old"), nil)
	for range 2 {
		if _, err := AddRootKeyVersion(path); err != nil {
			t.Fatal(err)
		}
	}
	k3, _ := LoadRootKeyFile(path)
	w3, _ := k3.Wrap([]byte("new"), nil)
	before, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(before), "\n")

	removed, err := RetireRootKeyVersions(path)
	if err != nil || !slices.Equal(removed, []int{1, 2}) {
		t.Fatalf("RetireRootKeyVersions = %v, %v; want [1 2]", removed, err)
	}
	after, _ := os.ReadFile(path)
	if string(after) != lines[0]+lines[3] {
		t.Errorf("file after retiring:\n%s\nwant the header and the version 3 line as they were", after)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o; want 0600", fi.Mode().Perm())
	}
	k, err := LoadRootKeyFile(path)
	if err != nil || k.Version() != 3 {
		t.Fatalf("load after retiring = %v, %v", k, err)
	}
	if got, err := k.Unwrap(w3, nil); err != nil || string(got) != "new" {
		t.Errorf("version 3 value = %q, %v", got, err)
	}
	if _, err := k.Unwrap(w1, nil); !errors.Is(err, ErrUnwrap) {
		t.Errorf("version 1 value after retiring = %v; want ErrUnwrap", err)
	}
	if removed, err := RetireRootKeyVersions(path); removed != nil || err != nil {
		t.Errorf("retiring again = %v, %v; want nothing", removed, err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, after) {
		t.Error("retiring with nothing to retire changed the file")
	}
}
