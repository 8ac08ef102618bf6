package storetest

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/sqlstore"
)

// testTOTP: pending enrolments are replaced, confirmed ones are not; a
// time step is accepted once, and only forward, even under concurrency.
func testTOTP(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	if _, err := s.TOTPOf(ctx, a.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("TOTPOf(none) = %v; want ErrNotFound", err)
	}
	if err := s.PutPendingTOTP(ctx, auth.TOTPFactor{UserID: a.ID, SecretSealed: []byte("sealed-1"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPendingTOTP(ctx, auth.TOTPFactor{UserID: a.ID, SecretSealed: []byte("sealed-2"), CreatedAt: t0.Add(time.Minute)}); err != nil {
		t.Fatalf("PutPendingTOTP over a pending one = %v", err)
	}
	f, err := s.TOTPOf(ctx, a.ID)
	if err != nil || string(f.SecretSealed) != "sealed-2" || f.Confirmed() || !f.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("TOTPOf(pending) = %+v, %v; want sealed-2, unconfirmed", f, err)
	}
	if err := s.AdvanceTOTPStep(ctx, a.ID, 100); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("AdvanceTOTPStep(unconfirmed) = %v; want ErrNotFound", err)
	}
	if err := s.ConfirmTOTP(ctx, b.ID, 100, nil, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("ConfirmTOTP(no enrolment) = %v; want ErrNotFound", err)
	}
	codes := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	if err := s.ConfirmTOTP(ctx, a.ID, 100, codes, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmTOTP(ctx, a.ID, 101, codes, t0.Add(2*time.Minute)); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("ConfirmTOTP twice = %v; want ErrNotFound", err)
	}
	f, err = s.TOTPOf(ctx, a.ID)
	if err != nil || !f.Confirmed() || f.LastStep != 100 || !f.ConfirmedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("TOTPOf(confirmed) = %+v, %v; want confirmed at step 100", f, err)
	}
	if err := s.PutPendingTOTP(ctx, auth.TOTPFactor{UserID: a.ID, SecretSealed: []byte("sealed-3"), CreatedAt: t0}); !errors.Is(err, auth.ErrMFAAlreadyOn) {
		t.Errorf("PutPendingTOTP over a confirmed one = %v; want ErrMFAAlreadyOn", err)
	}
	if f, _ := s.TOTPOf(ctx, a.ID); string(f.SecretSealed) != "sealed-2" {
		t.Errorf("confirmed secret replaced by %q", f.SecretSealed)
	}

	for _, tt := range []struct {
		step int64
		ok   bool
	}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
		err := s.AdvanceTOTPStep(ctx, a.ID, tt.step)
		if tt.ok && err != nil || !tt.ok && !errors.Is(err, auth.ErrInvalidOTP) {
			t.Errorf("AdvanceTOTPStep(%d) = %v; want ok=%v (ErrInvalidOTP when not)", tt.step, err, tt.ok)
		}
	}
	// Replicas racing with the same code: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			switch err := s.AdvanceTOTPStep(ctx, a.ID, 200); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, auth.ErrInvalidOTP):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("16 concurrent uses of one step: %d accepted; want 1", wins.Load())
	}

	if err := s.DeleteMFA(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TOTPOf(ctx, a.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("TOTPOf after DeleteMFA = %v; want ErrNotFound", err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, a.ID); err != nil || n != 0 {
		t.Errorf("RecoveryCodesLeft after DeleteMFA = %d, %v; want 0", n, err)
	}
}

// testRecoveryCodes: each code works once, for its own account only, and
// replacing them retires the old ones.
func testRecoveryCodes(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	c1, c2, c3 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	if err := s.ReplaceRecoveryCodes(ctx, a.ID, [][]byte{c1, c2}, t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RecoveryCodesLeft(ctx, a.ID); err != nil || n != 2 {
		t.Errorf("RecoveryCodesLeft = %d, %v; want 2", n, err)
	}
	if err := s.UseRecoveryCode(ctx, b.ID, c1, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UseRecoveryCode(another account's code) = %v; want ErrNotFound", err)
	}
	if err := s.UseRecoveryCode(ctx, a.ID, c1, t0); err != nil {
		t.Fatalf("UseRecoveryCode = %v", err)
	}
	if err := s.UseRecoveryCode(ctx, a.ID, c1, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UseRecoveryCode twice = %v; want ErrNotFound", err)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, a.ID); n != 1 {
		t.Errorf("RecoveryCodesLeft after one use = %d; want 1", n)
	}
	if err := s.ReplaceRecoveryCodes(ctx, a.ID, [][]byte{c3}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.UseRecoveryCode(ctx, a.ID, c2, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UseRecoveryCode(replaced code) = %v; want ErrNotFound", err)
	}
	// Concurrent uses of one code: exactly one succeeds.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.UseRecoveryCode(ctx, a.ID, c3, t0); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, auth.ErrNotFound) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("8 concurrent uses of one recovery code: %d accepted; want 1", wins.Load())
	}
}

// testPendingLogins: found by hash, failures counted, deleted once,
// expired ones swept.
func testPendingLogins(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	p := auth.PendingLogin{ID: "p1", UserID: a.ID, TokenHash: bytes.Repeat([]byte{7}, 32), PasswordStamp: []byte("stamp"),
		DeviceID: "d1", CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute), IP: "192.0.2.1", UserAgent: "UA"}
	if err := s.CreatePendingLogin(ctx, p); err != nil {
		t.Fatal(err)
	}
	old := p
	old.ID, old.TokenHash, old.ExpiresAt = "p0", bytes.Repeat([]byte{8}, 32), t0.Add(-time.Minute)
	if err := s.CreatePendingLogin(ctx, old); err != nil {
		t.Fatal(err)
	}
	got, err := s.PendingLoginByHash(ctx, p.TokenHash)
	if err != nil || got.ID != "p1" || got.UserID != a.ID || string(got.PasswordStamp) != "stamp" || got.DeviceID != "d1" ||
		!got.ExpiresAt.Equal(p.ExpiresAt) || got.Failures != 0 || got.IP != p.IP || got.UserAgent != p.UserAgent {
		t.Errorf("PendingLoginByHash = %+v, %v; want %+v", got, err, p)
	}
	if _, err := s.PendingLoginByHash(ctx, []byte("x")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("PendingLoginByHash(missing) = %v; want ErrNotFound", err)
	}
	for i := 1; i <= 2; i++ {
		if n, err := s.AddPendingLoginFailure(ctx, "p1"); err != nil || n != i {
			t.Errorf("AddPendingLoginFailure #%d = %d, %v", i, n, err)
		}
	}
	if n, err := s.DeleteExpiredPendingLogins(ctx, t0); err != nil || n != 1 {
		t.Errorf("DeleteExpiredPendingLogins = %d, %v; want 1", n, err)
	}
	if err := s.DeletePendingLogin(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePendingLogin(ctx, "p1"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeletePendingLogin twice = %v; want ErrNotFound", err)
	}
	if _, err := s.AddPendingLoginFailure(ctx, "p1"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("AddPendingLoginFailure(deleted) = %v; want ErrNotFound", err)
	}
}
