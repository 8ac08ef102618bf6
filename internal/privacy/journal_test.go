package privacy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"safelight/internal/blob"
	"safelight/internal/blob/disk"
	"safelight/internal/keys"
	"safelight/internal/privacy"
)

func newRootKey(t *testing.T) keys.RootKey {
	t.Helper()
	k, err := keys.LoadOrCreateRootKeyFile(filepath.Join(t.TempDir(), "keys", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newBlobs(t *testing.T) blob.Store {
	t.Helper()
	s, err := disk.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJournalRoundTrip: entries come back oldest first, as appended, ids
// only, each in its own object of the journal namespace.
func TestJournalRoundTrip(t *testing.T) {
	ctx := t.Context()
	blobs := newBlobs(t)
	j := privacy.NewJournal(blobs, newRootKey(t))
	if es, err := j.Entries(ctx); err != nil || len(es) != 0 {
		t.Fatalf("Entries(empty) = %v, %v; want none", es, err)
	}
	at := time.Date(2026, 11, 28, 20, 0, 0, 123456000, time.UTC)
	var want []privacy.JournalEntry
	for i, id := range []string{"user-1", "user-2", "user-3"} {
		e, err := j.Append(ctx, privacy.JournalEntry{UserID: id, ErasedAt: at.Add(time.Duration(i) * time.Minute), KeyVersions: []int{1, i + 1}})
		if err != nil {
			t.Fatalf("Append(%s) = %v", id, err)
		}
		if !e.Ref.Valid() || e.Ref[:len(privacy.JournalNamespace)+1] != privacy.JournalNamespace+"/" {
			t.Errorf("Append(%s).Ref = %q; want a ref in %q", id, e.Ref, privacy.JournalNamespace)
		}
		want = append(want, e)
	}
	got, err := j.Entries(ctx)
	if err != nil || len(got) != len(want) {
		t.Fatalf("Entries = %+v, %v; want %d entries", got, err, len(want))
	}
	for i := range want {
		if got[i].Ref != want[i].Ref || got[i].UserID != want[i].UserID || !got[i].ErasedAt.Equal(want[i].ErasedAt) ||
			!slices.Equal(got[i].KeyVersions, want[i].KeyVersions) {
			t.Errorf("Entries[%d] = %+v; want %+v", i, got[i], want[i])
		}
	}
}

// TestJournalRefusesForgedEntries: an entry altered, written without the
// root key, moved to another ref, or made by another instance stops the
// listing, so a replay never erases an account on a forged entry.
func TestJournalRefusesForgedEntries(t *testing.T) {
	ctx := t.Context()
	readRaw := func(t *testing.T, s blob.Store, ref blob.Ref) []byte {
		rc, err := s.Get(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return b
	}
	cases := []struct {
		name   string
		forge  func(t *testing.T, blobs blob.Store, e privacy.JournalEntry)
		signer keys.RootKey // journal that writes the entry; nil: the reader's
	}{
		{"altered user id", func(t *testing.T, blobs blob.Store, e privacy.JournalEntry) {
			raw := bytes.Replace(readRaw(t, blobs, e.Ref), []byte("victim"), []byte("victor"), 1)
			if err := blobs.Delete(ctx, e.Ref); err != nil {
				t.Fatal(err)
			}
			if _, err := blobs.Put(ctx, e.Ref, bytes.NewReader(raw)); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"moved to another ref", func(t *testing.T, blobs blob.Store, e privacy.JournalEntry) {
			raw := readRaw(t, blobs, e.Ref)
			if err := blobs.Delete(ctx, e.Ref); err != nil {
				t.Fatal(err)
			}
			if _, err := blobs.Put(ctx, blob.NewRef(privacy.JournalNamespace), bytes.NewReader(raw)); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"not JSON", func(t *testing.T, blobs blob.Store, e privacy.JournalEntry) {
			if _, err := blobs.Put(ctx, blob.NewRef(privacy.JournalNamespace), bytes.NewReader([]byte(`{"user_id":"x"}`))); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"another instance's root key", func(*testing.T, blob.Store, privacy.JournalEntry) {}, newRootKey(t)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blobs, root := newBlobs(t), newRootKey(t)
			signer := root
			if tc.signer != nil {
				signer = tc.signer
			}
			e, err := privacy.NewJournal(blobs, signer).Append(ctx, privacy.JournalEntry{UserID: "victim", ErasedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			tc.forge(t, blobs, e)
			if es, err := privacy.NewJournal(blobs, root).Entries(ctx); !errors.Is(err, privacy.ErrJournalTampered) {
				t.Errorf("Entries = %+v, %v; want ErrJournalTampered", es, err)
			}
		})
	}
}

// TestJournalRetag: after a root key rotation every entry is tagged again
// with the new version, keeps its content and order, and is there once.
func TestJournalRetag(t *testing.T) {
	ctx := t.Context()
	blobs := newBlobs(t)
	path := filepath.Join(t.TempDir(), "root.key")
	k1, err := keys.LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)
	for i, id := range []string{"user-1", "user-2", "user-3"} {
		if _, err := privacy.NewJournal(blobs, k1).Append(ctx, privacy.JournalEntry{UserID: id, ErasedAt: at.Add(time.Duration(i) * time.Hour), KeyVersions: []int{i + 1}}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := privacy.NewJournal(blobs, k1).Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := privacy.NewJournal(blobs, k1).Retag(ctx); n != 0 || err != nil {
		t.Errorf("Retag with nothing newer = %d, %v; want 0", n, err)
	}
	if _, err := keys.AddRootKeyVersion(path); err != nil {
		t.Fatal(err)
	}
	k2, err := keys.LoadRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j := privacy.NewJournal(blobs, k2)
	if n, err := j.Retag(ctx); n != 3 || err != nil {
		t.Fatalf("Retag = %d, %v; want 3", n, err)
	}
	if n, err := j.Retag(ctx); n != 0 || err != nil {
		t.Errorf("Retag again = %d, %v; want 0", n, err)
	}
	after, err := j.Entries(ctx)
	if err != nil || len(after) != len(before) {
		t.Fatalf("Entries after Retag = %+v, %v; want %d", after, err, len(before))
	}
	for i := range before {
		if after[i].UserID != before[i].UserID || !after[i].ErasedAt.Equal(before[i].ErasedAt) || !slices.Equal(after[i].KeyVersions, before[i].KeyVersions) {
			t.Errorf("entry %d after Retag = %+v; want %+v", i, after[i], before[i])
		}
		if after[i].Ref == before[i].Ref {
			t.Errorf("entry %d kept its ref %s; a blob is never rewritten in place", i, after[i].Ref)
		}
	}
	n := 0
	for info, err := range blobs.List(ctx, privacy.JournalNamespace+"/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		rc, err := blobs.Get(ctx, info.Ref)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(rc)
		rc.Close()
		var obj struct{ Tag []byte }
		if err := json.Unmarshal(raw, &obj); err != nil {
			t.Fatal(err)
		}
		if v, ok := keys.WrappedVersion(obj.Tag); !ok || v != 2 {
			t.Errorf("%s is tagged with root key version %d; want 2", info.Ref, v)
		}
	}
	if n != 3 {
		t.Errorf("%d journal objects after Retag; want 3 (the old ones removed)", n)
	}
}
