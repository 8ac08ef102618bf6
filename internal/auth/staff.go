package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// Staff work on accounts: what the support, dpo and security roles may do
// (access.RoleSupport, RoleDPO, RoleSecurity). The matrix is least
// privilege: support finds accounts, sees how much they hold (counts,
// never names of files, metadata or images), disables them and resets
// their second factors after checking the holder's identity; security
// reads the audit log; dpo keeps the breach register (staff_breaches.go).
// An admin is none of these by being admin.
//
// Nothing here reaches content: no method returns an asset, a project, a
// link or an entry, and the counts are numbers. Every action on an
// account is an audit event with the account as subject, so its holder
// sees it in their security activity, in words.
//
// Support may not act on staff accounts (any role) nor on its own: a
// second factor of a staff account is reset by an admin, so that a
// talked-into reset cannot climb to a role.

// Errors of staff operations; their messages are safe to show.
var (
	ErrIdentityCheckRequired = errors.New("describe the identity check you made (at least 15 characters, at most 250)")
	ErrReasonRequired        = errors.New("give the reason (at least 10 characters, at most 250)")
	ErrStaffTarget           = errors.New("accounts of staff, and your own, are managed by an administrator")
	ErrSearchTooShort        = errors.New("type at least 3 characters of an e-mail address or name")
	ErrStaffNotConfigured    = errors.New("auth: staff operations are not configured")
)

// AccountCounts is how much an account holds, as support sees it: numbers
// only.
type AccountCounts struct {
	Assets        int   // in the library, trash included
	TrashedAssets int   //
	Bytes         int64 // size of the originals
	Projects      int   // owned
	ReviewLinks   int   // of owned projects
	Entries       int   // to calls
	Passkeys      int
	TOTP          bool // a confirmed authenticator app
}

// StaffAccount is one account as support sees it.
type StaffAccount struct {
	AccountSummary
	Counts AccountCounts
}

// AuditFilter selects audit events for the security role. Zero fields
// select everything; Limit is capped at 500 (default 100).
type AuditFilter struct {
	Type      audit.Type
	ActorID   string
	SubjectID string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	Limit     int
}

// StaffStore is the persistence of staff work; implemented by package
// sqlstore.
type StaffStore interface {
	// AccountCounts counts what userID holds. ErrNotFound when there is no
	// such account.
	AccountCounts(ctx context.Context, userID string) (AccountCounts, error)
	// AuditLog returns the events f selects, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]audit.Event, error)
	// DataSubjectRequests lists the exports not yet downloaded (pending,
	// building, ready) and the scheduled erasures, oldest request first.
	DataSubjectRequests(ctx context.Context) ([]DataSubjectRequest, error)
	BreachStore
}

// DataSubjectRequest is a request of a data subject the dpo follows: an
// export (Art. 15, 20) or an erasure (Art. 17). People make them
// themselves; the dpo's list is read-only.
type DataSubjectRequest struct {
	Kind        string // "export" or "erasure"
	AccountID   string
	Email       string
	State       string // an export's state; "scheduled" for an erasure
	RequestedAt time.Time
	DueAt       time.Time // when an erasure runs; zero for an export
}

// staffSetup is what UseStaff configures.
type staffSetup struct {
	store StaffStore
}

// UseStaff turns on the staff operations, kept in store.
func (s *Service) UseStaff(store StaffStore) { s.staff = &staffSetup{store: store} }

func (s *Service) staffStore() (StaffStore, error) {
	if s.staff == nil {
		return nil, ErrStaffNotConfigured
	}
	return s.staff.store, nil
}

// checkRole refuses a caller without role r as if the resource did not
// exist; routes check the policy first, this is the second line.
func checkRole(p *access.Principal, r access.Role) error {
	if !p.Has(r) {
		return ErrNotFound
	}
	return nil
}

// staffText trims a free-text note and checks its length in runes.
func staffText(s string, min int, err error) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < min || n > 250 || !utf8.ValidString(s) {
		return "", err
	}
	return s, nil
}

// FindAccounts lists, for support, the accounts whose e-mail address or
// name contains query (case-insensitive), oldest first, at most 50.
func (s *Service) FindAccounts(ctx context.Context, p *access.Principal, query string) ([]AccountSummary, error) {
	if err := checkRole(p, access.RoleSupport); err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	if utf8.RuneCountInString(q) < 3 {
		return nil, ErrSearchTooShort
	}
	now := s.now().UTC()
	all, err := s.store.ListAccounts(ctx, now, now.Add(-s.cfg.SessionIdle))
	if err != nil {
		return nil, fmt.Errorf("auth: find accounts: %w", err)
	}
	var found []AccountSummary
	for _, a := range all {
		if strings.Contains(a.User.Email, q) || strings.Contains(strings.ToLower(a.User.Name), q) {
			found = append(found, a)
			if len(found) == 50 {
				break
			}
		}
	}
	return found, nil
}

// StaffAccount returns the account userID with its counts, for support;
// the holder sees that support looked (StaffAccountViewed).
func (s *Service) StaffAccount(ctx context.Context, p *access.Principal, userID string, c Client) (StaffAccount, error) {
	if err := checkRole(p, access.RoleSupport); err != nil {
		return StaffAccount{}, err
	}
	st, err := s.staffStore()
	if err != nil {
		return StaffAccount{}, err
	}
	if err := checkAccountID(userID); err != nil {
		return StaffAccount{}, err
	}
	now := s.now().UTC()
	all, err := s.store.ListAccounts(ctx, now, now.Add(-s.cfg.SessionIdle))
	if err != nil {
		return StaffAccount{}, fmt.Errorf("auth: staff account: %w", err)
	}
	i := slices.IndexFunc(all, func(a AccountSummary) bool { return a.User.ID == userID })
	if i < 0 {
		return StaffAccount{}, ErrNotFound
	}
	counts, err := st.AccountCounts(ctx, userID)
	if err != nil {
		return StaffAccount{}, fmt.Errorf("auth: staff account counts: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.StaffAccountViewed, ActorID: p.UserID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"staff_role": string(access.RoleSupport)}})
	return StaffAccount{AccountSummary: all[i], Counts: counts}, nil
}

// supportTarget loads the account support wants to act on and refuses
// staff accounts and the caller's own.
func (s *Service) supportTarget(ctx context.Context, p *access.Principal, userID string) (User, error) {
	if err := checkRole(p, access.RoleSupport); err != nil {
		return User{}, err
	}
	if err := checkAccountID(userID); err != nil {
		return User{}, err
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrNotFound
	} else if err != nil {
		return User{}, fmt.Errorf("auth: staff target: %w", err)
	}
	if len(u.Roles) > 0 || u.ID == p.UserID {
		return User{}, ErrStaffTarget
	}
	return u, nil
}

// SupportDisable disables the account userID for support, for the reason
// given (shown to the holder): as an admin's disabling, its sessions,
// tokens and pending sign-ins end at once.
func (s *Service) SupportDisable(ctx context.Context, p *access.Principal, userID, reason string, c Client) (Ended, error) {
	u, err := s.supportTarget(ctx, p, userID)
	if err != nil {
		return Ended{}, err
	}
	if reason, err = staffText(reason, 10, ErrReasonRequired); err != nil {
		return Ended{}, err
	}
	ended, err := s.store.DisableUser(ctx, u.ID, s.now().UTC())
	if errors.Is(err, ErrNotFound) {
		return Ended{}, ErrNotFound
	} else if err != nil {
		return Ended{}, fmt.Errorf("auth: support disable: %w", err)
	}
	d := endedDetails(ended, true)
	d["staff_role"], d["reason"] = string(access.RoleSupport), reason
	s.record(ctx, audit.Event{Type: audit.StaffAccountDisabled, ActorID: p.UserID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent, Details: d})
	return ended, nil
}

// MFAReset counts what a reset removed.
type MFAReset struct {
	TOTP     bool // an authenticator app (and its recovery codes)
	Passkeys int
	Ended
}

// ResetMFA removes every second factor of the account userID for support,
// who has checked the holder's identity and says how (identityCheck, kept
// in the audit event the holder sees): the authenticator app with its
// recovery codes, and every passkey. Its sessions and personal access
// tokens end too, since whoever held the lost factor may hold them; the
// holder signs in with the password and enrols again.
func (s *Service) ResetMFA(ctx context.Context, p *access.Principal, userID, identityCheck string, c Client) (MFAReset, error) {
	u, err := s.supportTarget(ctx, p, userID)
	if err != nil {
		return MFAReset{}, err
	}
	if identityCheck, err = staffText(identityCheck, 15, ErrIdentityCheckRequired); err != nil {
		return MFAReset{}, err
	}
	if s.mfa == nil {
		return MFAReset{}, ErrMFANotConfigured
	}
	var r MFAReset
	if _, err := s.mfa.store.TOTPOf(ctx, u.ID); err == nil {
		r.TOTP = true
	} else if !errors.Is(err, ErrNotFound) {
		return MFAReset{}, fmt.Errorf("auth: reset mfa: %w", err)
	}
	if err := s.mfa.store.DeleteMFA(ctx, u.ID); err != nil {
		return MFAReset{}, fmt.Errorf("auth: reset mfa: %w", err)
	}
	if s.passkeys != nil {
		pks, err := s.passkeys.store.PasskeysOf(ctx, u.ID)
		if err != nil {
			return MFAReset{}, fmt.Errorf("auth: reset mfa: %w", err)
		}
		for _, pk := range pks {
			if err := s.passkeys.store.DeletePasskey(ctx, u.ID, pk.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return MFAReset{}, fmt.Errorf("auth: reset mfa: %w", err)
			}
			r.Passkeys++
		}
	}
	r.Sessions, r.Tokens, err = s.factorsChanged(ctx, u.ID, "")
	s.record(ctx, audit.Event{Type: audit.StaffMFAReset, ActorID: p.UserID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"staff_role": string(access.RoleSupport), "identity_check": identityCheck,
			"totp_removed": fmt.Sprint(r.TOTP), "passkeys_removed": fmt.Sprint(r.Passkeys),
			"sessions_ended": fmt.Sprint(r.Sessions), "tokens_revoked": fmt.Sprint(r.Tokens)}})
	return r, err
}

// AuditLog returns the audit events f selects, for the security role.
// Reading the events of one account is itself recorded, with that account
// as subject.
func (s *Service) AuditLog(ctx context.Context, p *access.Principal, f AuditFilter, c Client) ([]audit.Event, error) {
	if err := checkRole(p, access.RoleSecurity); err != nil {
		return nil, err
	}
	st, err := s.staffStore()
	if err != nil {
		return nil, err
	}
	for _, id := range []string{f.ActorID, f.SubjectID} {
		if id != "" {
			if err := checkAccountID(id); err != nil {
				return nil, err
			}
		}
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = min(max(f.Limit, 100), 500)
	}
	ev, err := st.AuditLog(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("auth: audit log: %w", err)
	}
	for _, id := range slices.Compact([]string{f.SubjectID, f.ActorID}) {
		if id != "" {
			s.record(ctx, audit.Event{Type: audit.StaffAuditViewed, ActorID: p.UserID, SubjectID: id, IP: c.IP, UserAgent: c.UserAgent,
				Details: map[string]string{"staff_role": string(access.RoleSecurity)}})
		}
	}
	return ev, nil
}

// DataSubjectRequests lists, for the dpo, the exports and erasures in
// progress.
func (s *Service) DataSubjectRequests(ctx context.Context, p *access.Principal) ([]DataSubjectRequest, error) {
	if err := checkRole(p, access.RoleDPO); err != nil {
		return nil, err
	}
	st, err := s.staffStore()
	if err != nil {
		return nil, err
	}
	list, err := st.DataSubjectRequests(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: data-subject requests: %w", err)
	}
	return list, nil
}
