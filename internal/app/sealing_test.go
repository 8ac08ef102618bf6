package app_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"safelight/internal/blob"
	"safelight/internal/keys"
)

// TestSealingOnRealStores runs the sealing layer as the server wires it:
// owner keys in the database wrapped by the root key file, blobs in the
// blob store (SQLite and disk, or PostgreSQL and S3).
func TestSealingOnRealStores(t *testing.T) {
	dir := t.TempDir()
	a, _ := newServer(t, "--data", dir)
	ctx := t.Context()
	plain := bytes.Repeat([]byte("SAFELIGHT-PLAINTEXT-MARKER-0123456789 "), 50_000) // ~1.9 MB
	ref := blob.NewRef("orig")
	if _, err := a.Sealer.Put(ctx, "owner-a", ref, bytes.NewReader(plain)); err != nil {
		t.Fatal(err)
	}
	rc, err := a.Sealer.Open(ctx, "owner-a", ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip = %d bytes, %v; want %d bytes", len(got), err, len(plain))
	}
	if rc, err := a.Sealer.Open(ctx, "owner-b", ref); err == nil {
		_, err = io.ReadAll(rc)
		if !errors.Is(err, keys.ErrCannotDecrypt) {
			t.Errorf("another owner read the blob: %v", err)
		}
	}
	// No plaintext anywhere under the data directory (blobs, database and
	// its WAL, keys) nor in the blob store, wherever it is.
	marker := []byte("PLAINTEXT-MARKER")
	forEachStored(t, a, dir, func(name string, b []byte) {
		if bytes.Contains(b, marker) {
			t.Errorf("plaintext found in %s", name)
		}
	})
	// The wrapped identity in the database is not an age secret key.
	ks, err := a.Store().OwnerKeys(ctx, "owner-a")
	if err != nil || len(ks) != 1 || strings.Contains(string(ks[0].Wrapped), "AGE-SECRET-KEY") {
		t.Errorf("owner keys = %d, %v; want one wrapped key", len(ks), err)
	}
}

// TestOwnerKeyFirstUseRace: concurrent first uses through the database end with
// one key for the owner, and every blob opens with it.
func TestOwnerKeyFirstUseRace(t *testing.T) {
	a, _ := newServer(t)
	ctx := t.Context()
	refs := make([]blob.Ref, 8)
	var wg sync.WaitGroup
	for i := range refs {
		refs[i] = blob.NewRef("orig")
		wg.Go(func() {
			if _, err := a.Sealer.Put(ctx, "racer", refs[i], strings.NewReader("data")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	ks, err := a.Store().OwnerKeys(ctx, "racer")
	if err != nil || len(ks) != 1 {
		t.Fatalf("owner keys after 8 concurrent first uses = %d, %v; want 1", len(ks), err)
	}
	for _, r := range refs {
		rc, err := a.Sealer.Open(ctx, "racer", r)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(rc); err != nil || string(b) != "data" {
			t.Errorf("Open(%s) = %q, %v", r, b, err)
		}
		rc.Close()
	}
}
