package disk_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"safelight/internal/blob"
	"safelight/internal/blob/blobtest"
	"safelight/internal/blob/disk"
)

func TestStore(t *testing.T) {
	blobtest.Test(t, func(t *testing.T) blob.Store { return newStore(t, t.TempDir()) })
}

func newStore(t *testing.T, dir string) *disk.Store {
	t.Helper()
	s, err := disk.New(dir)
	if err != nil {
		t.Fatalf("New(%s): %v", dir, err)
	}
	return s
}

// blobPath is where the package documentation says ref lives.
func blobPath(root string, ref blob.Ref) string {
	ns, hex, _ := strings.Cut(string(ref), "/")
	return filepath.Join(root, ns, hex[:2], hex[2:])
}

func put(t *testing.T, s blob.Store, ref blob.Ref, data string) {
	t.Helper()
	if n, err := s.Put(t.Context(), ref, strings.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("Put(%s) = %d, %v; want %d, nil", ref, n, err, len(data))
	}
}

func get(t *testing.T, s blob.Store, ref blob.Ref) string {
	t.Helper()
	rc, err := s.Get(t.Context(), ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%s): read: %v", ref, err)
	}
	return string(b)
}

func listRefs(t *testing.T, s blob.Store) []blob.Ref {
	t.Helper()
	var refs []blob.Ref
	for info, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		refs = append(refs, info.Ref)
	}
	return refs
}

// tree returns the paths under root, relative to it, with their modes.
func tree(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		modes[filepath.ToSlash(rel)] = fi.Mode()
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return modes
}

func TestNewCreatesPrivateRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "blobs")
	newStore(t, root)
	fi, err := os.Stat(root)
	if err != nil {
		t.Fatalf("New(%s) did not create it: %v", root, err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("New(%s) made mode %v; want a directory with mode 0700", root, fi.Mode())
	}
}

func TestNewRejectsBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file, filepath.Join(file, "sub")} {
		if s, err := disk.New(dir); err == nil {
			t.Errorf("New(%q) = %v, nil; want an error", dir, s)
		}
	}
}

func TestLayoutAndModes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	s := newStore(t, root)
	refs := []blob.Ref{blob.NewRef("orig"), blob.NewRef("orig"), blob.NewRef("thumb"), blob.NewRef("tmp")}
	for _, ref := range refs {
		put(t, s, ref, "sealed bytes of "+string(ref))
	}

	// Every blob is at its documented path, inside the root, as a 0600
	// file; every directory is 0700; nothing else is left.
	want := map[string]fs.FileMode{".": fs.ModeDir | 0o700, ".tmp": fs.ModeDir | 0o700}
	for _, ref := range refs {
		p := blobPath(root, ref)
		rel, err := filepath.Rel(root, p)
		if err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("path of %s is %s, not inside %s", ref, p, root)
		}
		rel = filepath.ToSlash(rel)
		want[rel] = 0o600
		for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
			want[d] = fs.ModeDir | 0o700
		}
		if got := get(t, s, ref); got != "sealed bytes of "+string(ref) {
			t.Errorf("Get(%s) = %q; want %q", ref, got, "sealed bytes of "+string(ref))
		}
	}
	got := tree(t, root)
	for p, mode := range got {
		if want[p] != mode {
			t.Errorf("%s has mode %v; want %v", p, mode, want[p])
		}
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("%s is missing", p)
		}
	}
}

func TestInvalidRefStaysInsideRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "blobs")
	s := newStore(t, root)
	victim := filepath.Join(parent, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := tree(t, parent)

	ctx := t.Context()
	for _, ref := range []blob.Ref{"../victim", "../x", "orig/../../victim", "/tmp/x", "../blobs/.tmp/x", "..", "."} {
		if _, err := s.Put(ctx, ref, strings.NewReader("x")); !errors.Is(err, blob.ErrInvalidRef) {
			t.Errorf("Put(%q) error = %v; want ErrInvalidRef", ref, err)
		}
		if err := s.Delete(ctx, ref); !errors.Is(err, blob.ErrInvalidRef) {
			t.Errorf("Delete(%q) = %v; want ErrInvalidRef", ref, err)
		}
		if _, err := s.Stat(ctx, ref); !errors.Is(err, blob.ErrInvalidRef) {
			t.Errorf("Stat(%q) error = %v; want ErrInvalidRef", ref, err)
		}
	}
	after := tree(t, parent)
	if !mapsEqual(before, after) {
		t.Errorf("file tree changed by operations on invalid refs:\nbefore %v\nafter  %v", before, after)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep me" {
		t.Errorf("ReadFile(victim) = %q, %v; want %q, nil", b, err, "keep me")
	}
}

func mapsEqual(a, b map[string]fs.FileMode) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestStaleTempFilesRemoved(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	kept := blob.NewRef("orig")
	put(t, s, kept, "kept")

	// A crash mid-write leaves a partial temporary file; a crash between
	// link and remove leaves a second name for a stored blob.
	tmp := filepath.Join(root, ".tmp")
	partial := filepath.Join(tmp, "put-123")
	if err := os.WriteFile(partial, []byte("half a bl"), 0o600); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(tmp, "put-456")
	if err := os.Link(blobPath(root, kept), linked); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-disk.StaleTemp - time.Minute)
	for _, p := range []string{partial, linked} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// A Put in progress in another process keeps writing its temporary
	// file; a second Store opening the same root must leave it alone.
	inProgress := filepath.Join(tmp, "put-789")
	if err := os.WriteFile(inProgress, []byte("still writing"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := listRefs(t, s); !slices.Equal(got, []blob.Ref{kept}) {
		t.Errorf("List with temporary files present = %v; want %v", got, []blob.Ref{kept})
	}

	s = newStore(t, root) // as after a restart, or a second process
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "put-789" {
		t.Errorf("New left %v in %s; want only the fresh put-789", entries, tmp)
	}
	if got := listRefs(t, s); !slices.Equal(got, []blob.Ref{kept}) {
		t.Errorf("List after restart = %v; want %v", got, []blob.Ref{kept})
	}
	if got := get(t, s, kept); got != "kept" {
		t.Errorf("Get(%s) after restart = %q; want %q", kept, got, "kept")
	}
}

func TestPutLeavesNoTempFiles(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	ctx := t.Context()
	existing := blob.NewRef("orig")
	put(t, s, existing, "existing")

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	boom := errors.New("boom")
	tests := []struct {
		name string
		ctx  context.Context
		ref  blob.Ref
		r    io.Reader
		want error
	}{
		{"Success", ctx, blob.NewRef("orig"), strings.NewReader("new"), nil},
		{"Exists", ctx, existing, strings.NewReader("other"), blob.ErrExists},
		{"ReadError", ctx, blob.NewRef("orig"), io.MultiReader(strings.NewReader("part"), iotest.ErrReader(boom)), boom},
		{"Canceled", canceled, blob.NewRef("orig"), strings.NewReader("new"), context.Canceled},
	}
	for _, tt := range tests {
		_, err := s.Put(tt.ctx, tt.ref, tt.r)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Put(%s) error = %v; want %v", tt.name, tt.ref, err, tt.want)
		}
		entries, err := os.ReadDir(filepath.Join(root, ".tmp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("%s: Put left %d temporary files; want none", tt.name, len(entries))
		}
	}
}

func TestListSkipsForeignFiles(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	ref := blob.NewRef("orig")
	put(t, s, ref, "real")
	_, hex, _ := strings.Cut(string(ref), "/")

	// Things an operator or another program might leave in the tree.
	foreign := []string{
		"lost+found/x",
		"README",
		"orig/README",
		"orig/" + hex[:2] + "/README",
		"orig/" + hex[:2] + "/" + strings.ToUpper(hex[2:]),
		"orig/" + hex[:2] + "/" + hex[2:] + ".bak",
		"orig/" + hex[:3] + "/" + hex[3:], // wrong fan-out width
		"orig/zz/" + hex[2:],
		"Orig/" + hex[:2] + "/" + hex[2:],
		"abcdefghijklmnopq/" + hex[:2] + "/" + hex[2:],
	}
	for _, p := range foreign {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("foreign"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := listRefs(t, s); !slices.Equal(got, []blob.Ref{ref}) {
		t.Errorf("List = %v; want %v", got, []blob.Ref{ref})
	}
}

func TestGetOutlivesDelete(t *testing.T) {
	s := newStore(t, t.TempDir())
	ref := blob.NewRef("orig")
	put(t, s, ref, "still readable")
	rc, err := s.Get(t.Context(), ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	defer rc.Close()
	if err := s.Delete(t.Context(), ref); err != nil {
		t.Fatalf("Delete(%s): %v", ref, err)
	}
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != "still readable" {
		t.Errorf("reading a blob opened before Delete = %q, %v; want %q, nil", b, err, "still readable")
	}
}
