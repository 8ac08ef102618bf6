package keys

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"safelight/internal/blob"
	"safelight/internal/blob/disk"
)

// memKeys is an in-memory Store with a unique (OwnerID, Version) constraint.
// If afterRead is set, OwnerKeys calls it after reading (used to force
// concurrent first uses to interleave).
type memKeys struct {
	mu        sync.Mutex
	rows      map[string][]OwnerKey
	afterRead func()
}

func newMemKeys() *memKeys { return &memKeys{rows: make(map[string][]OwnerKey)} }

func (m *memKeys) InsertOwnerKey(ctx context.Context, k OwnerKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows[k.OwnerID] {
		if r.Version == k.Version {
			return fmt.Errorf("memkeys: insert %s v%d: %w", k.OwnerID, k.Version, ErrOwnerKeyExists)
		}
	}
	k.Wrapped = bytes.Clone(k.Wrapped)
	m.rows[k.OwnerID] = append(m.rows[k.OwnerID], k)
	return nil
}

func (m *memKeys) OwnerKeys(ctx context.Context, ownerID string) ([]OwnerKey, error) {
	m.mu.Lock()
	rows := make([]OwnerKey, 0, len(m.rows[ownerID]))
	for _, r := range m.rows[ownerID] {
		r.Wrapped = bytes.Clone(r.Wrapped)
		rows = append(rows, r)
	}
	m.mu.Unlock()
	slices.SortFunc(rows, func(a, b OwnerKey) int { return cmp.Compare(b.Version, a.Version) })
	if m.afterRead != nil {
		m.afterRead()
	}
	return rows, nil
}

func (m *memKeys) count(ownerID string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows[ownerID])
}

// env is a full key hierarchy over real crypto: a root key file in a temp
// dir, an in-memory key store and a blob store.
type env struct {
	root    *FileRootKey
	store   *memKeys
	keyring *Keyring
	blobs   blob.Store
	blobDir string // directory holding the blob store's files
	sealer  *Sealer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	root, err := LoadOrCreateRootKeyFile(filepath.Join(t.TempDir(), "keys", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	store := newMemKeys()
	blobs, blobDir := newTestBlobStore(t)
	kr := NewKeyring(root, store)
	return &env{root: root, store: store, keyring: kr, blobs: blobs, blobDir: blobDir, sealer: NewSealer(kr, blobs)}
}

// newTestBlobStore returns the blob store the tests run on, the real disk
// store, and its directory (so tests can inspect every file at rest).
func newTestBlobStore(t testing.TB) (blob.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := disk.New(dir)
	if err != nil {
		t.Fatalf("disk.New(%s) = %v", dir, err)
	}
	return s, dir
}

// raw returns the stored (sealed) bytes of ref, read through the blob store.
func (e *env) raw(t *testing.T, ref blob.Ref) []byte {
	t.Helper()
	rc, err := e.blobs.Get(context.Background(), ref)
	if err != nil {
		t.Fatalf("blobs.Get(%s) = %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading raw blob %s: %v", ref, err)
	}
	return b
}

// replace stores data under ref in place of what is there.
func (e *env) replace(t *testing.T, ref blob.Ref, data []byte) {
	t.Helper()
	ctx := context.Background()
	if err := e.blobs.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := e.blobs.Put(ctx, ref, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

// put seals data for owner under a fresh ref.
func (e *env) put(t *testing.T, owner string, data []byte) blob.Ref {
	t.Helper()
	ref := blob.NewRef("test")
	n, err := e.sealer.Put(context.Background(), owner, ref, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%s, %d bytes) = %v", owner, len(data), err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put(%s, %d bytes) = %d; want %d", owner, len(data), n, len(data))
	}
	return ref
}
