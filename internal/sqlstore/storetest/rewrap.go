package storetest

import (
	"bytes"
	"testing"

	"safelight/internal/audit"
	"safelight/internal/keys"
	"safelight/internal/sqlstore"
)

// testRewrapOwnerKeys: a root key rotation finds the rows still wrapped
// with older versions, a few at a time, and replaces one only while it
// holds what was read.
func testRewrapOwnerKeys(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	for _, k := range []keys.OwnerKey{
		{OwnerID: "b", Version: 1, RootVersion: 1, Wrapped: []byte("b1")},
		{OwnerID: "a", Version: 2, RootVersion: 1, Wrapped: []byte("a2")},
		{OwnerID: "a", Version: 1, RootVersion: 1, Wrapped: []byte("a1")},
		{OwnerID: "c", Version: 1, RootVersion: 2, Wrapped: []byte("c1")},
		{OwnerID: "d", Version: 1, RootVersion: 3, Wrapped: []byte("d1")},
	} {
		k.CreatedAt = t0
		if err := s.InsertOwnerKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ks []keys.OwnerKey) string {
		var b bytes.Buffer
		for _, k := range ks {
			b.Write(k.Wrapped)
			b.WriteByte(' ')
		}
		return b.String()
	}
	if got, err := s.OwnerKeysWrappedBefore(ctx, 3, 100); err != nil || ids(got) != "a1 a2 b1 c1 " {
		t.Errorf("wrapped before 3 = %q, %v; want a1 a2 b1 c1 in order", ids(got), err)
	}
	if got, err := s.OwnerKeysWrappedBefore(ctx, 2, 2); err != nil || ids(got) != "a1 a2 " {
		t.Errorf("wrapped before 2, limit 2 = %q, %v; want a1 a2", ids(got), err)
	}
	if got, err := s.OwnerKeysWrappedBefore(ctx, 1, 100); err != nil || len(got) != 0 {
		t.Errorf("wrapped before 1 = %q, %v; want none", ids(got), err)
	}

	a1 := keys.OwnerKey{OwnerID: "a", Version: 1, RootVersion: 3, Wrapped: []byte("a1 again")}
	if ok, err := s.RewrapOwnerKey(ctx, a1, []byte("not what it holds")); ok || err != nil {
		t.Errorf("rewrap with a stale value = %v, %v; want false", ok, err)
	}
	if ok, err := s.RewrapOwnerKey(ctx, a1, []byte("a1")); !ok || err != nil {
		t.Errorf("rewrap = %v, %v; want true", ok, err)
	}
	if ok, err := s.RewrapOwnerKey(ctx, a1, []byte("a1")); ok || err != nil {
		t.Errorf("the same rewrap again = %v, %v; want false (the row changed)", ok, err)
	}
	gone := keys.OwnerKey{OwnerID: "z", Version: 1, RootVersion: 3, Wrapped: []byte("z")}
	if ok, err := s.RewrapOwnerKey(ctx, gone, []byte("z")); ok || err != nil {
		t.Errorf("rewrap of a missing row = %v, %v; want false", ok, err)
	}
	ks, err := s.OwnerKeys(ctx, "a")
	if err != nil || len(ks) != 2 || ks[1].RootVersion != 3 || string(ks[1].Wrapped) != "a1 again" || !ks[1].CreatedAt.Equal(t0) ||
		ks[0].RootVersion != 1 || string(ks[0].Wrapped) != "a2" {
		t.Errorf("owner a after rewrapping version 1 = %+v, %v", ks, err)
	}
	if got, _ := s.OwnerKeysWrappedBefore(ctx, 3, 100); ids(got) != "a2 b1 c1 " {
		t.Errorf("wrapped before 3 after one rewrap = %q; want a2 b1 c1", ids(got))
	}
}

func testReplaceRootKeyCheck(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	if ok, err := s.ReplaceRootKeyCheck(ctx, []byte("x"), []byte("y")); ok || err != nil {
		t.Errorf("replace with no check stored = %v, %v; want false", ok, err)
	}
	if _, err := s.SetRootKeyCheck(ctx, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReplaceRootKeyCheck(ctx, []byte("stale"), []byte("second")); ok || err != nil {
		t.Errorf("replace of a stale value = %v, %v; want false", ok, err)
	}
	if ok, err := s.ReplaceRootKeyCheck(ctx, []byte("first"), []byte("second")); !ok || err != nil {
		t.Errorf("replace = %v, %v; want true", ok, err)
	}
	if v, err := s.RootKeyCheck(ctx); err != nil || string(v) != "second" {
		t.Errorf("check after replace = %q, %v", v, err)
	}
}

// testResignAuditCheckpoint: a checkpoint takes a new key version and
// signature only while it holds the signature that was read; the
// statement it signs stays.
func testResignAuditCheckpoint(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	hash := bytes.Repeat([]byte{1}, 32)
	for _, seq := range []int64{3, 6} {
		if _, err := s.AddAuditCheckpoint(ctx, audit.Checkpoint{Seq: seq, Hash: hash, At: t0, KeyVersion: 1, Signature: []byte{byte(seq)}}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.ResignAuditCheckpoint(ctx, 3, []byte("stale"), 2, []byte("new")); ok || err != nil {
		t.Errorf("resign with a stale signature = %v, %v; want false", ok, err)
	}
	if ok, err := s.ResignAuditCheckpoint(ctx, 3, []byte{3}, 2, []byte("new")); !ok || err != nil {
		t.Errorf("resign = %v, %v; want true", ok, err)
	}
	if ok, err := s.ResignAuditCheckpoint(ctx, 9, []byte{9}, 2, []byte("new")); ok || err != nil {
		t.Errorf("resign of a missing checkpoint = %v, %v; want false", ok, err)
	}
	cps, err := s.AuditCheckpoints(ctx)
	if err != nil || len(cps) != 2 {
		t.Fatalf("checkpoints = %+v, %v", cps, err)
	}
	if c := cps[0]; c.Seq != 3 || c.KeyVersion != 2 || string(c.Signature) != "new" || !bytes.Equal(c.Hash, hash) || !c.At.Equal(t0) {
		t.Errorf("checkpoint 3 after resign = %+v", c)
	}
	if c := cps[1]; c.KeyVersion != 1 || !bytes.Equal(c.Signature, []byte{6}) {
		t.Errorf("checkpoint 6 changed: %+v", c)
	}
}
