package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/keys"
	"safelight/internal/library"
	"safelight/internal/mail"
)

// Config holds the rules of calls on an instance.
type Config struct {
	// ReminderBefore is how long before a deadline the owners of
	// unsubmitted drafts are reminded.
	ReminderBefore time.Duration
	// MaxCoverBytes bounds a call's cover image upload.
	MaxCoverBytes int64
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{ReminderBefore: 72 * time.Hour, MaxCoverBytes: 50 << 20}
}

// Accounts is what calls needs to know about accounts.
type Accounts interface {
	User(ctx context.Context, id string) (auth.User, error)
}

// Service runs organizations, calls, entries, juries and results. Safe
// for concurrent use.
type Service struct {
	store    Store
	library  *library.Service
	sealer   *keys.Sealer
	accounts Accounts
	audit    *audit.Recorder
	cfg      Config
	log      *slog.Logger
	clock    atomic.Pointer[func() time.Time] // time.Now unless SetClock; read through now
	mail     *mailer                          // nil until SetMail
	// optionalMail decides whether an optional e-mail may go to an
	// account; nil sends none (SetOptionalMailConsent, mail.go).
	optionalMail mail.Consent
	// withdrawers withdraw the ledger's records of other packages, by
	// kind (HandleWithdrawal, entries.go).
	withdrawers map[string]func(ctx context.Context, c Consent) error
}

// NewService returns a Service.
func NewService(store Store, lib *library.Service, sealer *keys.Sealer, accounts Accounts, rec *audit.Recorder, cfg Config, log *slog.Logger) *Service {
	s := &Service{store: store, library: lib, sealer: sealer, accounts: accounts, audit: rec, cfg: cfg,
		log: log.With("component", "calls")}
	s.SetClock(time.Now)
	return s
}

// SetClock replaces the clock; for tests of deadlines. It is safe while
// requests and the periodic reminders run.
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time { return (*s.clock.Load())() }

// Now is the service's clock: what deadlines and a call's effective
// state are judged against (handlers show states by it).
func (s *Service) Now() time.Time { return s.now() }

func (s *Service) record(ctx context.Context, e audit.Event) { _ = s.audit.Record(ctx, e) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// validID reports whether id has the form of the ids this package makes,
// so that malformed ones are not found without a query.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// cleanText trims s and checks it is printable text of at most max runes
// (newlines and tabs allowed when multiline).
func cleanText(s string, max int, multiline bool) (string, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", false
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", false
		}
	}
	return s, true
}

// verifiedUser returns the account when it may act on roles given to its
// address: e-mail verified and not disabled.
func (s *Service) verifiedUser(ctx context.Context, userID string) (auth.User, error) {
	u, err := s.accounts.User(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, ErrNotFound
	} else if err != nil {
		return auth.User{}, err
	}
	if u.EmailVerifiedAt.IsZero() || !u.DisabledAt.IsZero() {
		return auth.User{}, ErrNotFound
	}
	return u, nil
}

// OrgGrant is a caller's role in an organization.
type OrgGrant struct {
	Org    Org
	Member OrgMember
	User   auth.User
}

// Manages reports whether g may run the organization's calls.
func (g OrgGrant) Manages() bool { return g.Member.Role.Manages() }

// OrgFor returns p's role in organization id; ErrNotFound for a
// non-member (or an account whose address is not verified).
func (s *Service) OrgFor(ctx context.Context, p *access.Principal, id string) (OrgGrant, error) {
	if p == nil || !validID(id) {
		return OrgGrant{}, ErrNotFound
	}
	u, err := s.verifiedUser(ctx, p.UserID)
	if err != nil {
		return OrgGrant{}, err
	}
	o, err := s.store.OrgByID(ctx, id)
	if err != nil {
		return OrgGrant{}, err
	}
	m, err := s.store.OrgMemberByEmail(ctx, o.ID, u.Email)
	if err != nil {
		return OrgGrant{}, err
	}
	return OrgGrant{Org: o, Member: m, User: u}, nil
}

// CallGrant is a caller's view of one call: as a member of its
// organization (Member set), or as anyone else once it is published.
type CallGrant struct {
	Call   Call
	Terms  Terms // the current version
	Org    Org
	Member *OrgMember // nil for the public and entrants
	User   auth.User  // zero for anonymous callers
}

// Manages reports whether g may run the call.
func (g CallGrant) Manages() bool { return g.Member != nil && g.Member.Role.Manages() }

// refusal is the answer to a management action g may not take: members
// of the organization learn their role does not allow it; anyone else
// must not learn that there is anything to manage.
func (g CallGrant) refusal() error {
	if g.Member == nil {
		return ErrNotFound
	}
	return ErrForbidden
}

// Sees reports whether g may read the call's management views (totals,
// rounds list): managers and viewers.
func (g CallGrant) Sees() bool {
	return g.Member != nil && (g.Member.Role.Manages() || g.Member.Role == RoleViewer)
}

// CallFor returns the view p (nil for anonymous) has of call id. A draft
// is visible to its organization's members only.
func (s *Service) CallFor(ctx context.Context, p *access.Principal, id string) (CallGrant, error) {
	if !validID(id) {
		return CallGrant{}, ErrNotFound
	}
	c, err := s.store.CallByID(ctx, id)
	if err != nil {
		return CallGrant{}, err
	}
	o, err := s.store.OrgByID(ctx, c.OrgID)
	if err != nil {
		return CallGrant{}, err
	}
	g := CallGrant{Call: c, Org: o}
	if p != nil {
		u, err := s.verifiedUser(ctx, p.UserID)
		switch {
		case err == nil:
			g.User = u
			if m, err := s.store.OrgMemberByEmail(ctx, o.ID, u.Email); err == nil {
				g.Member = &m
			} else if !errors.Is(err, ErrNotFound) {
				return CallGrant{}, err
			}
		case errors.Is(err, ErrNotFound):
			// An unverified account: it may read a published call and
			// enter it, as itself; u is loaded again for entries.
			if u2, err := s.accounts.User(ctx, p.UserID); err == nil {
				g.User = u2
			}
		default:
			return CallGrant{}, err
		}
	}
	if c.State == StateDraft && !g.Sees() {
		return CallGrant{}, ErrNotFound
	}
	t, err := s.store.TermsVersion(ctx, c.ID, c.TermsVersion)
	if err != nil {
		return CallGrant{}, fmt.Errorf("calls: terms of %s: %w", c.ID, err)
	}
	g.Terms = t
	return g, nil
}

// manage returns p's grant on call id when p may run it.
func (s *Service) manage(ctx context.Context, p *access.Principal, id string) (CallGrant, error) {
	g, err := s.CallFor(ctx, p, id)
	if err != nil {
		return CallGrant{}, err
	}
	if !g.Manages() {
		// A juror, viewer, entrant or the public: the management views
		// do not exist for them.
		return CallGrant{}, ErrNotFound
	}
	return g, nil
}

// orgChanged records a change to an organization's members or calls.
func (s *Service) orgChanged(ctx context.Context, actorID, orgID, change string, details map[string]string) {
	d := map[string]string{"org_id": orgID, "change": change}
	for k, v := range details {
		d[k] = v
	}
	s.record(ctx, audit.Event{Type: audit.OrgChanged, ActorID: actorID, SubjectID: actorID, Details: d})
}
