package storetest

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/sqlstore"
)

// testPasskeys: passkeys round-trip, belong to one account (credential
// ids unique across accounts), rename and delete only the owner's, and
// the signature counter only moves forward, once, under concurrency.
func testPasskeys(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	p1 := auth.Passkey{ID: "pk-1", UserID: a.ID, Name: "Laptop", CredentialID: []byte("cred-1"), PublicKey: []byte("cose-1"),
		AAGUID: bytes.Repeat([]byte{7}, 16), AttestationFormat: "none", Transports: []string{"internal", "hybrid"},
		SignCount: 5, UserVerified: true, BackupEligible: true, BackupState: true, CreatedAt: t0}
	p2 := auth.Passkey{ID: "pk-2", UserID: a.ID, Name: "Key", CredentialID: []byte("cred-2"), PublicKey: []byte("cose-2"),
		AttestationFormat: "none", CreatedAt: t0.Add(time.Minute)}
	for _, p := range []auth.Passkey{p2, p1} {
		if err := s.CreatePasskey(ctx, p); err != nil {
			t.Fatalf("CreatePasskey(%s) = %v", p.ID, err)
		}
	}
	dup := auth.Passkey{ID: "pk-3", UserID: b.ID, Name: "Stolen", CredentialID: []byte("cred-1"), PublicKey: []byte("x"), CreatedAt: t0}
	if err := s.CreatePasskey(ctx, dup); !errors.Is(err, auth.ErrPasskeyExists) {
		t.Errorf("CreatePasskey(credential id of another account) = %v; want ErrPasskeyExists", err)
	}
	got, err := s.PasskeysOf(ctx, a.ID)
	if err != nil || len(got) != 2 || got[0].ID != "pk-1" || got[1].ID != "pk-2" {
		t.Fatalf("PasskeysOf(a) = %+v, %v; want pk-1, pk-2", got, err)
	}
	g := got[0]
	if g.Name != "Laptop" || !bytes.Equal(g.CredentialID, p1.CredentialID) || !bytes.Equal(g.PublicKey, p1.PublicKey) ||
		!bytes.Equal(g.AAGUID, p1.AAGUID) || !slices.Equal(g.Transports, p1.Transports) || g.SignCount != 5 ||
		!g.UserVerified || !g.BackupEligible || !g.BackupState || !g.CreatedAt.Equal(t0) || !g.LastUsedAt.IsZero() {
		t.Errorf("PasskeysOf(a)[0] = %+v; want %+v", g, p1)
	}
	if got[1].Transports != nil || got[1].BackupEligible || len(got[1].AAGUID) != 0 {
		t.Errorf("PasskeysOf(a)[1] = %+v; want no transports, not backup eligible", got[1])
	}
	if bs, err := s.PasskeysOf(ctx, b.ID); err != nil || len(bs) != 0 {
		t.Errorf("PasskeysOf(b) = %v, %v; want none", bs, err)
	}
	if p, err := s.PasskeyByCredentialID(ctx, []byte("cred-2")); err != nil || p.ID != "pk-2" || p.UserID != a.ID {
		t.Errorf("PasskeyByCredentialID(cred-2) = %+v, %v; want pk-2 of a", p, err)
	}
	if _, err := s.PasskeyByCredentialID(ctx, []byte("nope")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("PasskeyByCredentialID(unknown) = %v; want ErrNotFound", err)
	}

	if err := s.RenamePasskey(ctx, b.ID, "pk-1", "Mine"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("RenamePasskey(another's) = %v; want ErrNotFound", err)
	}
	if err := s.RenamePasskey(ctx, a.ID, "pk-1", "Work laptop"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PasskeyByCredentialID(ctx, []byte("cred-1")); p.Name != "Work laptop" {
		t.Errorf("name after RenamePasskey = %q; want Work laptop", p.Name)
	}

	// The counter: forward only; 0 stays acceptable while it is 0.
	for _, tt := range []struct {
		id    string
		count uint32
		want  error
	}{
		{"pk-1", 5, auth.ErrPasskeyCounter},
		{"pk-1", 4, auth.ErrPasskeyCounter},
		{"pk-1", 0, auth.ErrPasskeyCounter},
		{"pk-1", 6, nil},
		{"pk-2", 0, nil},
		{"pk-2", 0, nil},
		{"gone", 9, auth.ErrPasskeyCounter},
	} {
		if err := s.RecordPasskeyUse(ctx, tt.id, tt.count, false, t0.Add(time.Hour)); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("RecordPasskeyUse(%s, %d) = %v; want %v", tt.id, tt.count, err, tt.want)
		}
	}
	if p, _ := s.PasskeyByCredentialID(ctx, []byte("cred-1")); p.SignCount != 6 || p.BackupState || !p.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after RecordPasskeyUse = %+v; want count 6, backup state off, used at t0+1h", p)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if s.RecordPasskeyUse(ctx, "pk-1", 7, false, t0) == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("concurrent RecordPasskeyUse(7) accepted %d times; want once", ok.Load())
	}

	if err := s.DeletePasskey(ctx, b.ID, "pk-1"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeletePasskey(another's) = %v; want ErrNotFound", err)
	}
	if err := s.DeletePasskey(ctx, a.ID, "pk-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePasskey(ctx, a.ID, "pk-1"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeletePasskey twice = %v; want ErrNotFound", err)
	}
	// The credential id is free again once removed.
	if err := s.CreatePasskey(ctx, dup); err != nil {
		t.Errorf("CreatePasskey(removed credential id) = %v", err)
	}
}

// testWebAuthnCeremonies: a ceremony is taken once, even by concurrent
// takers, and expired ones are swept.
func testWebAuthnCeremonies(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	c := auth.WebAuthnCeremony{Hash: bytes.Repeat([]byte{1}, 32), Kind: "register", UserID: a.ID, PendingID: "pl-1",
		Session: []byte(`{"challenge":"x"}`), CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute)}
	old := auth.WebAuthnCeremony{Hash: bytes.Repeat([]byte{2}, 32), Kind: "passwordless", Session: []byte(`{}`),
		CreatedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(-time.Minute)}
	for _, x := range []auth.WebAuthnCeremony{c, old} {
		if err := s.CreateWebAuthnCeremony(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteExpiredWebAuthnCeremonies(ctx, t0); err != nil || n != 1 {
		t.Errorf("DeleteExpiredWebAuthnCeremonies = %d, %v; want 1", n, err)
	}
	if _, err := s.TakeWebAuthnCeremony(ctx, old.Hash); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("TakeWebAuthnCeremony(swept) = %v; want ErrNotFound", err)
	}
	var taken atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := s.TakeWebAuthnCeremony(ctx, c.Hash)
			if err == nil {
				taken.Add(1)
				if got.Kind != c.Kind || got.UserID != a.ID || got.PendingID != "pl-1" || string(got.Session) != string(c.Session) ||
					!got.ExpiresAt.Equal(c.ExpiresAt) || !got.CreatedAt.Equal(t0) {
					t.Errorf("TakeWebAuthnCeremony = %+v; want %+v", got, c)
				}
			} else if !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("TakeWebAuthnCeremony = %v", err)
			}
		})
	}
	wg.Wait()
	if taken.Load() != 1 {
		t.Errorf("TakeWebAuthnCeremony succeeded %d times; want once", taken.Load())
	}
}
