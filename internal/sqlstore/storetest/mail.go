package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/mail"
	"safelight/internal/sqlstore"
)

// testMail covers e-mailed tokens, address verification and the outbox.
func testMail(t *testing.T, s *sqlstore.Store) {
	t.Run("Tokens", func(t *testing.T) { testEmailTokens(t, s) })
	t.Run("Verified", func(t *testing.T) { testEmailVerified(t, s) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, s) })
}

func mkEmailToken(u auth.User, purpose auth.TokenPurpose, hashByte byte, created time.Time, ttl time.Duration) auth.EmailToken {
	return auth.EmailToken{ID: sqlstore.NewID(), UserID: u.ID, Purpose: purpose, Hash: bytes.Repeat([]byte{hashByte}, 32),
		Email: u.Email, CreatedAt: created, ExpiresAt: created.Add(ttl)}
}

func testEmailTokens(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	ann := mkUser(t, s, "ann@example.com")
	bob := mkUser(t, s, "bob@example.com")
	if _, err := s.LatestEmailToken(ctx, ann.ID, auth.PurposePasswordReset); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("LatestEmailToken(none) = %v; want ErrNotFound", err)
	}

	first := mkEmailToken(ann, auth.PurposePasswordReset, 1, t0, 30*time.Minute)
	verify := mkEmailToken(ann, auth.PurposeVerifyEmail, 2, t0, 24*time.Hour)
	bobs := mkEmailToken(bob, auth.PurposePasswordReset, 3, t0, 30*time.Minute)
	for _, tok := range []auth.EmailToken{first, verify, bobs} {
		if err := s.CreateEmailToken(ctx, tok); err != nil {
			t.Fatalf("CreateEmailToken(%s) = %v", tok.Purpose, err)
		}
	}
	got, err := s.LatestEmailToken(ctx, ann.ID, auth.PurposePasswordReset)
	if err != nil || got.ID != first.ID || !got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(first.ExpiresAt) ||
		got.Email != ann.Email || !bytes.Equal(got.Hash, first.Hash) || !got.UsedAt.IsZero() || got.Purpose != auth.PurposePasswordReset {
		t.Errorf("LatestEmailToken = %+v, %v; want %+v", got, err, first)
	}

	// A newer token of the same purpose replaces the older; other
	// purposes and other accounts keep theirs.
	second := mkEmailToken(ann, auth.PurposePasswordReset, 4, t0.Add(time.Minute), 30*time.Minute)
	if err := s.CreateEmailToken(ctx, second); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(2 * time.Minute)
	if _, err := s.UseEmailToken(ctx, auth.PurposePasswordReset, first.Hash, at); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("UseEmailToken(replaced) = %v; want ErrTokenInvalid", err)
	}
	if got, err := s.LatestEmailToken(ctx, ann.ID, auth.PurposePasswordReset); err != nil || got.ID != second.ID {
		t.Errorf("LatestEmailToken after a newer one = %+v, %v; want %s", got, err, second.ID)
	}

	// The purpose is part of the lookup.
	if _, err := s.UseEmailToken(ctx, auth.PurposeVerifyEmail, second.Hash, at); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("UseEmailToken(reset token as verification) = %v; want ErrTokenInvalid", err)
	}

	// Looking does not spend it.
	if got, err := s.EmailTokenByHash(ctx, auth.PurposePasswordReset, second.Hash); err != nil || got.ID != second.ID || got.UserID != ann.ID || !got.UsedAt.IsZero() {
		t.Errorf("EmailTokenByHash = %+v, %v; want %s, unused", got, err, second.ID)
	}
	if _, err := s.EmailTokenByHash(ctx, auth.PurposeVerifyEmail, second.Hash); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("EmailTokenByHash(other purpose) = %v; want ErrTokenInvalid", err)
	}
	used, err := s.UseEmailToken(ctx, auth.PurposePasswordReset, second.Hash, at)
	if err != nil || used.ID != second.ID || used.UserID != ann.ID || !used.UsedAt.Equal(at) {
		t.Fatalf("UseEmailToken = %+v, %v; want %s used at %v", used, err, second.ID, at)
	}
	if _, err := s.UseEmailToken(ctx, auth.PurposePasswordReset, second.Hash, at.Add(time.Second)); !errors.Is(err, auth.ErrTokenUsed) {
		t.Errorf("UseEmailToken twice = %v; want ErrTokenUsed", err)
	}

	// Expiry: usable strictly before ExpiresAt.
	if _, err := s.UseEmailToken(ctx, auth.PurposePasswordReset, bobs.Hash, bobs.ExpiresAt); !errors.Is(err, auth.ErrTokenExpired) {
		t.Errorf("UseEmailToken at expiry = %v; want ErrTokenExpired", err)
	}
	if _, err := s.UseEmailToken(ctx, auth.PurposeVerifyEmail, verify.Hash, verify.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Errorf("UseEmailToken just before expiry = %v; want nil", err)
	}
	if _, err := s.UseEmailToken(ctx, auth.PurposePasswordReset, bytes.Repeat([]byte{9}, 32), at); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("UseEmailToken(unknown) = %v; want ErrTokenInvalid", err)
	}

	// Only one of many racing uses wins.
	race := mkEmailToken(bob, auth.PurposeVerifyEmail, 5, t0, time.Hour)
	if err := s.CreateEmailToken(ctx, race); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := s.UseEmailToken(ctx, auth.PurposeVerifyEmail, race.Hash, t0.Add(time.Minute))
			errs <- err
		}()
	}
	wins := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !errors.Is(err, auth.ErrTokenUsed):
			t.Errorf("racing UseEmailToken = %v; want nil or ErrTokenUsed", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racing uses of one token succeeded; want 1", wins)
	}

	// Tokens go with their account.
	if _, err := s.LatestEmailToken(ctx, bob.ID, auth.PurposeVerifyEmail); err != nil {
		t.Fatal(err)
	}
}

func testEmailVerified(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	u := mkUser(t, s, "cat@example.com")
	if !u.EmailVerifiedAt.IsZero() {
		t.Fatalf("new user EmailVerifiedAt = %v; want zero", u.EmailVerifiedAt)
	}
	if got, _ := s.UserByID(ctx, u.ID); !got.EmailVerifiedAt.IsZero() {
		t.Errorf("stored new user EmailVerifiedAt = %v; want zero", got.EmailVerifiedAt)
	}
	if err := s.SetEmailVerified(ctx, u.ID, "other@example.com", t0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("SetEmailVerified(other address) = %v; want ErrNotFound", err)
	}
	if err := s.SetEmailVerified(ctx, sqlstore.NewID(), u.Email, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("SetEmailVerified(no such user) = %v; want ErrNotFound", err)
	}
	at := t0.Add(time.Hour)
	if err := s.SetEmailVerified(ctx, u.ID, u.Email, at); err != nil {
		t.Fatalf("SetEmailVerified = %v", err)
	}
	// The first verification is kept.
	if err := s.SetEmailVerified(ctx, u.ID, u.Email, at.Add(time.Hour)); err != nil {
		t.Errorf("SetEmailVerified again = %v; want nil", err)
	}
	for name, get := range map[string]func() (auth.User, error){
		"UserByID":    func() (auth.User, error) { return s.UserByID(ctx, u.ID) },
		"UserByEmail": func() (auth.User, error) { return s.UserByEmail(ctx, u.Email) },
	} {
		if got, err := get(); err != nil || !got.EmailVerifiedAt.Equal(at) {
			t.Errorf("%s.EmailVerifiedAt = %v, %v; want %v", name, got.EmailVerifiedAt, err, at)
		}
	}
}

func testOutbox(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	if got, err := s.OutboxMessages(ctx, time.Time{}, 10); err != nil || len(got) != 0 {
		t.Fatalf("OutboxMessages(empty) = %v, %v; want none", got, err)
	}
	var want []mail.OutboxMessage
	for i, subj := range []string{"old", "middle", "new"} {
		m := mail.OutboxMessage{ID: sqlstore.NewID(), To: "ann@example.com", Subject: subj,
			Text: "Line one\nLine two ünïcode\n", CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
		if err := s.AddOutboxMessage(ctx, m); err != nil {
			t.Fatalf("AddOutboxMessage = %v", err)
		}
		want = append([]mail.OutboxMessage{m}, want...) // newest first
	}
	got, err := s.OutboxMessages(ctx, time.Time{}, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("OutboxMessages = %v, %v; want 3", got, err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("OutboxMessages[%d] = %+v; want %+v", i, got[i], want[i])
		}
	}
	if got, _ := s.OutboxMessages(ctx, time.Time{}, 2); len(got) != 2 || got[0].Subject != "new" {
		t.Errorf("OutboxMessages(limit 2) = %+v", got)
	}
	if got, _ := s.OutboxMessages(ctx, t0.Add(time.Hour), 10); len(got) != 2 || got[1].Subject != "middle" {
		t.Errorf("OutboxMessages(since middle) = %+v; want new, middle", got)
	}
	n, err := s.DeleteOutboxBefore(ctx, t0.Add(90*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("DeleteOutboxBefore = %d, %v; want 2", n, err)
	}
	if got, _ := s.OutboxMessages(ctx, time.Time{}, 10); len(got) != 1 || got[0].Subject != "new" {
		t.Errorf("OutboxMessages after delete = %+v; want only new", got)
	}
}
