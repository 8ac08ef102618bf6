package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// Restriction of processing (GDPR Art. 18). The holder of an account can
// freeze what is done with its data — while they contest its accuracy,
// object, or need it kept for a legal claim — and lift it again. This
// file keeps the switch; the packages that process the data honour it
// (User.Restricted): sharing and calls answer 404 to everyone else,
// uploads are refused, and jobs over the data wait.
//
// Restricting needs only the signed-in session: it can only take access
// away. Lifting re-opens shares and links to other people, so it asks for
// the same proof as signing in (Reauth), like every change that widens
// who can reach the account's data.

// RestrictionStore keeps the switch; part of Store.
type RestrictionStore interface {
	// SetRestricted marks the account restricted since at (an account
	// restricted already keeps its first time), or lifts the restriction
	// when at is zero; now is the change's time. ErrNotFound for no such
	// account.
	SetRestricted(ctx context.Context, userID string, at, now time.Time) error
}

// Restricted reports whether the holder restricted the processing of the
// account's data.
func (u User) Restricted() bool { return !u.RestrictedAt.IsZero() }

// ErrRestricted answers an action that would process the data of a
// restricted account, to its holder (everyone else gets ErrNotFound from
// the package that guards the data).
var ErrRestricted = errors.New("processing of your account's data is restricted: lift the restriction in the privacy center first")

// Restrict restricts the processing of p's account's data and returns the
// account as it is now. Restricting twice keeps the first time.
func (s *Service) Restrict(ctx context.Context, p *access.Principal, c Client) (User, error) {
	if p.Via != access.ViaSession {
		return User{}, ErrSessionRequired
	}
	now := s.now().UTC()
	if err := s.store.SetRestricted(ctx, p.UserID, now, now); err != nil {
		return User{}, fmt.Errorf("auth: restrict: %w", err)
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return User{}, fmt.Errorf("auth: restrict: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.AccountRestricted, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent})
	return u, nil
}

// LiftRestriction lifts the restriction of p's account after checking r
// like a sign-in (see ConfirmIdentity), and returns the account as it is
// now. Lifting an account that is not restricted changes nothing.
func (s *Service) LiftRestriction(ctx context.Context, p *access.Principal, r Reauth, c Client) (User, error) {
	if err := s.ConfirmIdentity(ctx, p, r, c); err != nil {
		return User{}, err
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return User{}, fmt.Errorf("auth: lift restriction: %w", err)
	}
	if !u.Restricted() {
		return u, nil
	}
	now := s.now().UTC()
	if err := s.store.SetRestricted(ctx, p.UserID, time.Time{}, now); err != nil {
		return User{}, fmt.Errorf("auth: lift restriction: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.RestrictionLifted, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"since": u.RestrictedAt.Format(time.RFC3339)}})
	u.RestrictedAt = time.Time{}
	return u, nil
}

// UserReader reads accounts by id; Service is one.
type UserReader interface {
	User(ctx context.Context, id string) (User, error)
}

// HolderRestricted reports whether the data of account id must stay from
// everyone but its holder: its holder restricted processing, or the
// account is gone. The packages that hand an account's data to others
// (sharing, calls) ask it where they decide access.
func HolderRestricted(ctx context.Context, users UserReader, id string) (bool, error) {
	u, err := users.User(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	return u.Restricted(), nil
}

// IsRestricted reports whether the account userID is restricted; an
// account that does not exist (erased) is not. For the packages that
// honour the switch without holding a User (library's jobs and uploads).
func (s *Service) IsRestricted(ctx context.Context, userID string) (bool, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return u.Restricted(), nil
}
