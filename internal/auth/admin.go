package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// Instance administration of accounts: an instance admin lists the
// accounts, disables and enables them (ASVS V7.4.2) and ends their
// sessions, or every session of the instance (ASVS V7.4.5).
//
// A disabled account keeps its data, password, second factors and
// passkeys, so enabling it gives it back as it was; meanwhile it cannot
// sign in by any path (password, code, passkey, passwordless) and no
// session or token of it is accepted. Disabling deletes its sessions,
// personal access tokens and pending sign-ins at once, in one transaction:
// the next request with any of them answers 401. Tokens are not given back
// on enabling; the owner makes new ones.

// Errors of the administration operations; their messages are safe to show.
var (
	// ErrAccountDisabled answers a sign-in with the right credentials to a
	// disabled account. A wrong password gets ErrInvalidCredentials, as for
	// any account, so the message tells nothing to who lacks the password.
	ErrAccountDisabled = errors.New("this account is disabled; contact the administrator of this instance")
	// ErrDisableSelf refuses an admin disabling their own account.
	ErrDisableSelf = errors.New("you cannot disable your own account; another administrator can")
	// ErrLastAdmin refuses disabling the only active instance admin, which
	// would leave nobody to run the instance.
	ErrLastAdmin = errors.New("this is the last active administrator of this instance; it cannot be disabled")
	// ErrInvalidAccountID is returned for an account id that is not one
	// Safelight could have made.
	ErrInvalidAccountID = errors.New("not a valid account id")
)

// AccountSummary is one account as the admin's list shows it. Its
// User.PasswordHash is always empty.
type AccountSummary struct {
	User         User
	LiveSessions int // sessions neither expired nor idle
	Tokens       int // personal access tokens
}

// Disabled reports whether the account is disabled.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// Ended counts what an administrative action ended.
type Ended struct {
	Sessions      int
	Tokens        int // personal access tokens; only disabling deletes them
	PendingLogins int // sign-ins waiting for their second factor
}

// AccountAdminStore is the persistence of instance administration; part
// of Store. Each method is one transaction.
type AccountAdminStore interface {
	// ListAccounts returns every account, oldest first, with its roles,
	// the number of its sessions live at now (not expired, seen after
	// idleSince) and of its tokens. PasswordHash is left empty.
	ListAccounts(ctx context.Context, now, idleSince time.Time) ([]AccountSummary, error)
	// DisableUser marks the account disabled at at (an account disabled
	// already keeps its first time) and deletes its sessions, personal
	// access tokens and pending sign-ins, all in one transaction.
	// ErrNotFound when there is no such account; ErrLastAdmin when it is
	// the only active instance admin, decided under a lock so that two
	// admins disabling each other at once cannot both succeed.
	DisableUser(ctx context.Context, userID string, at time.Time) (Ended, error)
	// EnableUser clears the mark. ErrNotFound when there is no such account.
	EnableUser(ctx context.Context, userID string, at time.Time) error
	// EndSessionsOf deletes every session of the account but keepID (which
	// may be empty), and its pending sign-ins. ErrNotFound when there is
	// no such account.
	EndSessionsOf(ctx context.Context, userID, keepID string) (Ended, error)
	// EndAllSessions deletes every session of every account but keepID
	// (which may be empty), and every pending sign-in.
	EndAllSessions(ctx context.Context, keepID string) (Ended, error)
}

// checkAdmin refuses callers who are not instance admins as if the
// account did not exist; routes check the policy first, this is the
// second line.
func checkAdmin(p *access.Principal) error {
	if !p.Has(access.RoleAdmin) {
		return ErrNotFound
	}
	return nil
}

// checkAccountID refuses ids that cannot name an account (all are UUIDs),
// before they reach the store.
func checkAccountID(id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return ErrInvalidAccountID
	}
	return nil
}

// Accounts lists every account of the instance for admin, oldest first.
func (s *Service) Accounts(ctx context.Context, admin *access.Principal) ([]AccountSummary, error) {
	if err := checkAdmin(admin); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	list, err := s.store.ListAccounts(ctx, now, now.Add(-s.cfg.SessionIdle))
	if err != nil {
		return nil, fmt.Errorf("auth: list accounts: %w", err)
	}
	return list, nil
}

// DisableUser disables the account userID for admin: from this moment it
// cannot sign in, and its sessions, personal access tokens and pending
// sign-ins are deleted (the next request with any of them answers 401).
// ErrDisableSelf for the admin's own account, ErrLastAdmin for the only
// active admin, ErrNotFound for no such account.
func (s *Service) DisableUser(ctx context.Context, admin *access.Principal, userID string, c Client) (Ended, error) {
	if err := checkAdmin(admin); err != nil {
		return Ended{}, err
	}
	if err := checkAccountID(userID); err != nil {
		return Ended{}, err
	}
	if userID == admin.UserID {
		return Ended{}, ErrDisableSelf
	}
	ended, err := s.store.DisableUser(ctx, userID, s.now().UTC())
	switch {
	case errors.Is(err, ErrNotFound):
		return Ended{}, ErrNotFound
	case errors.Is(err, ErrLastAdmin):
		return Ended{}, ErrLastAdmin
	case err != nil:
		return Ended{}, fmt.Errorf("auth: disable user: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.UserDisabled, ActorID: admin.UserID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: endedDetails(ended, true)})
	return ended, nil
}

// EnableUser lets the disabled account userID sign in again. Its
// password, second factors and passkeys are as they were; its tokens are
// gone. Enabling an active account changes nothing (and is still
// recorded). ErrNotFound for no such account.
func (s *Service) EnableUser(ctx context.Context, admin *access.Principal, userID string, c Client) error {
	if err := checkAdmin(admin); err != nil {
		return err
	}
	if err := checkAccountID(userID); err != nil {
		return err
	}
	if err := s.store.EnableUser(ctx, userID, s.now().UTC()); errors.Is(err, ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return fmt.Errorf("auth: enable user: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.UserEnabled, ActorID: admin.UserID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent})
	return nil
}

// EndUserSessions signs the account userID out everywhere: every session
// and pending sign-in ends (for the admin's own account, all but the
// session making the request). Personal access tokens are not sessions
// and keep working; disabling the account or revoking them ends those.
// It returns how many sessions ended. ErrNotFound for no such account.
func (s *Service) EndUserSessions(ctx context.Context, admin *access.Principal, userID string, c Client) (int, error) {
	if err := checkAdmin(admin); err != nil {
		return 0, err
	}
	if err := checkAccountID(userID); err != nil {
		return 0, err
	}
	keep := ""
	if userID == admin.UserID {
		keep = admin.SessionID
	}
	ended, err := s.store.EndSessionsOf(ctx, userID, keep)
	if errors.Is(err, ErrNotFound) {
		return 0, ErrNotFound
	} else if err != nil {
		return 0, fmt.Errorf("auth: end sessions: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.SessionRevokedByAdmin, ActorID: admin.UserID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: endedDetails(ended, false)})
	return ended.Sessions, nil
}

// EndAllSessions signs every account of the instance out, the admin's
// other browsers included: every session but the one making the request,
// and every pending sign-in. Tokens keep working. It returns how many
// sessions ended.
func (s *Service) EndAllSessions(ctx context.Context, admin *access.Principal, c Client) (int, error) {
	if err := checkAdmin(admin); err != nil {
		return 0, err
	}
	ended, err := s.store.EndAllSessions(ctx, admin.SessionID)
	if err != nil {
		return 0, fmt.Errorf("auth: end all sessions: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.SessionsRevokedAll, ActorID: admin.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: endedDetails(ended, false)})
	return ended.Sessions, nil
}

func endedDetails(e Ended, tokens bool) map[string]string {
	d := map[string]string{"sessions_ended": fmt.Sprint(e.Sessions), "pending_logins_ended": fmt.Sprint(e.PendingLogins)}
	if tokens {
		d["tokens_revoked"] = fmt.Sprint(e.Tokens)
	}
	return d
}

// refuseDisabled answers a sign-in to the disabled account u whose
// credentials checked out. It is recorded as a failed sign-in but not
// counted by the throttle: the credentials were right.
func (s *Service) refuseDisabled(ctx context.Context, u User, c Client) error {
	s.record(ctx, audit.Event{Type: audit.LoginFailed, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"reason": "account_disabled"}})
	return ErrAccountDisabled
}
