package storetest

import (
	"errors"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/sqlstore"
)

// testChangeEmail: the address changes and is verified; an address of
// another account is refused by the unique index and changes nothing.
func testChangeEmail(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	ann := mkUser(t, s, "ann@example.com")
	mkUser(t, s, "bob@example.com")
	at := t0.Add(time.Hour)
	if err := s.ChangeEmail(ctx, ann.ID, "bob@example.com", at); !errors.Is(err, auth.ErrEmailTaken) {
		t.Fatalf("ChangeEmail(taken) = %v; want ErrEmailTaken", err)
	}
	if got, err := s.UserByID(ctx, ann.ID); err != nil || got.Email != "ann@example.com" || !got.EmailVerifiedAt.IsZero() {
		t.Fatalf("after refused change: %+v, %v; want the old address, unverified", got, err)
	}
	if err := s.ChangeEmail(ctx, ann.ID, "ann@new.example", at); err != nil {
		t.Fatalf("ChangeEmail = %v", err)
	}
	got, err := s.UserByEmail(ctx, "ann@new.example")
	if err != nil || got.ID != ann.ID || !got.EmailVerifiedAt.Equal(at) {
		t.Errorf("UserByEmail(new) = %+v, %v; want ann, verified at %v", got, err, at)
	}
	if _, err := s.UserByEmail(ctx, "ann@example.com"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UserByEmail(old) = %v; want ErrNotFound", err)
	}
	if err := s.ChangeEmail(ctx, "nope", "x@example.com", at); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("ChangeEmail(missing account) = %v; want ErrNotFound", err)
	}
}
