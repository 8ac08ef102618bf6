package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/secret"
)

// SignupPolicy says who may create an account.
type SignupPolicy string

const (
	// SignupAuto is open until the first account exists, then invite-only.
	SignupAuto   SignupPolicy = ""
	SignupOpen   SignupPolicy = "open"
	SignupInvite SignupPolicy = "invite"
	SignupClosed SignupPolicy = "closed"
)

// Config holds the account rules of an instance.
type Config struct {
	SessionIdle   time.Duration // a session unused this long ends
	SessionMaxAge time.Duration // absolute lifetime of a session
	Signup        SignupPolicy
	Password      PasswordParams
	InviteTTL     time.Duration // how long an invitation stays valid
	MFA           MFAPolicy     // who must use a second factor (see mfa.go); "" is MFAOptional
	// StaffMFA is MFARequired (or "", the same) or MFAOptional: whether
	// accounts holding an instance role must use a second factor. Optional
	// is for evaluating an instance locally only (config --staff-mfa).
	StaffMFA MFAPolicy
	// PublicURL is the instance's URL; its host name gives context words
	// that new passwords may not be made of (contextwords.go).
	PublicURL string
	// BreachedPasswords, when set, refuses new passwords found in the
	// operator's offline breach list (breached.go); the caller closes it.
	BreachedPasswords *BreachedPasswords
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		SessionIdle:   72 * time.Hour,
		SessionMaxAge: 30 * 24 * time.Hour,
		Password:      DefaultPasswordParams,
		InviteTTL:     7 * 24 * time.Hour,
	}
}

// Client describes where a request came from, for sessions and audit.
type Client struct {
	IP        string
	UserAgent string
}

// Token prefixes make leaked secrets recognizable to secret scanners.
const (
	sessionPrefix = "sls_"
	tokenPrefix   = "slp_"
	devicePrefix  = "sld_"
	invitePrefix  = "sli_"
)

// touchEvery bounds how often a session's or token's last use is written.
const touchEvery = time.Minute

// Service runs sign-up, login, sessions, tokens and invitations.
// Safe for concurrent use.
type Service struct {
	store Store
	audit *audit.Recorder
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	// dummyHash is verified when an e-mail is unknown, so that a wrong
	// e-mail costs as much time as a wrong password.
	dummyHash string
	mail      *mailer       // nil until SetMail; see email.go
	mfa       *mfaSetup     // second factors; nil until UseMFA
	passkeys  *passkeySetup // WebAuthn; nil until UsePasskeys
	staff     *staffSetup   // staff operations; nil until UseStaff (staff.go)
	// signedUp is called after each account SignUp creates (OnSignUp).
	signedUp func(ctx context.Context, u User, how string)
}

// NewService returns a Service. It fails only if cfg.Password is invalid.
func NewService(store Store, rec *audit.Recorder, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Password.Validate(); err != nil {
		return nil, err
	}
	dummy, err := HashPassword("safelight dummy password for timing", cfg.Password)
	if err != nil {
		return nil, err
	}
	return &Service{store: store, audit: rec, cfg: cfg, log: log.With("component", "auth"), now: time.Now, dummyHash: dummy}, nil
}

// SetClock replaces the clock; for tests of expiry.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Config returns the rules the service runs with.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) record(ctx context.Context, e audit.Event) {
	// Failing to store an audit event is logged by the recorder; the
	// user's action has already happened and is not undone.
	_ = s.audit.Record(ctx, e)
}

// NormalizeEmail trims and lower-cases an address and checks its form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if len(e) > 254 || !strings.Contains(e, "@") {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", ErrInvalidEmail
	}
	return e, nil
}

func checkName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > 200 || !utf8.ValidString(n) {
		return "", ErrInvalidName
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return "", ErrInvalidName
		}
	}
	return n, nil
}

// newSecret returns a prefixed 256-bit random secret and its SHA-256
// (package secret).
func newSecret(prefix string) (string, []byte) { return secret.New(prefix) }

func hashSecret(s string) []byte { return secret.Hash(s) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// EffectiveSignupPolicy resolves SignupAuto against the current accounts.
func (s *Service) EffectiveSignupPolicy(ctx context.Context) (SignupPolicy, error) {
	if s.cfg.Signup != SignupAuto {
		return s.cfg.Signup, nil
	}
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("auth: signup policy: %w", err)
	}
	if n == 0 {
		return SignupOpen, nil
	}
	return SignupInvite, nil
}

// SignUpRequest is what a visitor submits to create an account.
type SignUpRequest struct {
	Email    string
	Name     string
	Password string
	Invite   string // invitation token, when sign-up is invite-only
	Client   Client
	// How says how the visitor was shown the terms of use and the privacy
	// notice (form, API), for the records made at sign-up (OnSignUp).
	How string
}

// SignUp creates an account under the instance's sign-up policy. The first
// account becomes instance admin. It does not sign the visitor in.
//
// So that sign-up does not reveal which addresses have accounts, an
// address already in use gets the same answer as a new one: a User with
// a fresh, unused id. The owner of the address finds a security event in
// their account instead.
func (s *Service) SignUp(ctx context.Context, req SignUpRequest) (User, error) {
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		return User{}, err
	}
	name, err := checkName(req.Name)
	if err != nil {
		return User{}, err
	}
	if err := s.checkNewPassword(req.Password, User{Email: email, Name: name}); err != nil {
		return User{}, err
	}
	policy, err := s.EffectiveSignupPolicy(ctx)
	if err != nil {
		return User{}, err
	}
	var inviteHash []byte
	switch policy {
	case SignupClosed:
		return User{}, ErrSignupClosed
	case SignupInvite:
		if req.Invite == "" {
			return User{}, ErrInviteRequired
		}
		inviteHash = hashSecret(req.Invite)
	}
	hash, err := HashPassword(req.Password, s.cfg.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u, err := s.store.CreateUser(ctx, NewUser{
		User:         User{ID: newID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now},
		FirstIsAdmin: true,
		InviteHash:   inviteHash,
	})
	switch {
	case errors.Is(err, ErrEmailTaken):
		if existing, err := s.store.UserByEmail(ctx, email); err == nil {
			s.record(ctx, audit.Event{Type: audit.SignupDuplicate, SubjectID: existing.ID, IP: req.Client.IP, UserAgent: req.Client.UserAgent})
			s.mailDuplicateSignup(ctx, existing)
		}
		return User{ID: newID(), Email: email, Name: name, CreatedAt: now, UpdatedAt: now}, nil
	case errors.Is(err, ErrInviteInvalid):
		return User{}, ErrInviteInvalid
	case err != nil:
		return User{}, fmt.Errorf("auth: sign up: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.UserSignup, ActorID: u.ID, SubjectID: u.ID, IP: req.Client.IP, UserAgent: req.Client.UserAgent,
		Details: map[string]string{"policy": string(policy), "roles": rolesString(u.Roles)}})
	if f := s.signedUp; f != nil {
		// Only for an account really created: never for the decoy above.
		f(ctx, u, req.How)
	}
	s.mailAfterSignup(ctx, u)
	return u, nil
}

// OnSignUp has f called after each account SignUp creates (package
// privacy records what the person agreed to). Set before serving.
func (s *Service) OnSignUp(f func(ctx context.Context, u User, how string)) { s.signedUp = f }

func rolesString(rs []access.Role) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

// CreateUser makes an account regardless of the sign-up policy; it is for
// administrators (the `safelight user create` command). Unlike SignUp it
// reports ErrEmailTaken.
func (s *Service) CreateUser(ctx context.Context, email, name, password string, roles []access.Role) (User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if name, err = checkName(name); err != nil {
		return User{}, err
	}
	if err := s.checkNewPassword(password, User{Email: email, Name: name}); err != nil {
		return User{}, err
	}
	for _, r := range roles {
		if !r.Valid() {
			return User{}, fmt.Errorf("auth: unknown role %q", r)
		}
	}
	hash, err := HashPassword(password, s.cfg.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u, err := s.store.CreateUser(ctx, NewUser{
		User: User{ID: newID(), Email: email, Name: name, PasswordHash: hash, Roles: roles, CreatedAt: now, UpdatedAt: now},
	})
	if err != nil {
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.UserCreated, SubjectID: u.ID, Details: map[string]string{"roles": rolesString(u.Roles), "via": "cli"}})
	return u, nil
}

// User returns the account id.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return User{}, fmt.Errorf("auth: user: %w", err)
	}
	return u, nil
}

// UpdateName changes the display name of userID.
func (s *Service) UpdateName(ctx context.Context, userID, name string, c Client) (User, error) {
	n, err := checkName(name)
	if err != nil {
		return User{}, err
	}
	if err := s.store.SetUserName(ctx, userID, n, s.now().UTC()); err != nil {
		return User{}, fmt.Errorf("auth: update name: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.ProfileChanged, ActorID: userID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"field": "name"}})
	return s.User(ctx, userID)
}

// ChangePassword replaces the caller's password after re-authentication
// with every factor the account has (r.Password is the current password;
// see Reauth), then ends every other session and revokes the account's
// personal access tokens. A refused new password uses up no code.
func (s *Service) ChangePassword(ctx context.Context, p *access.Principal, r Reauth, next string, c Client) error {
	if err := s.checkNewPasswordOf(ctx, p.UserID, next); err != nil {
		// Still check the current password first, so that the answer
		// does not tell a session thief that a new password is refused
		// before proving they know the old one.
		if _, perr := s.checkReauthPassword(ctx, p, r.Password); perr != nil {
			return perr
		}
		return err
	}
	u, err := s.confirmIdentity(ctx, p, r, false, c)
	if err != nil {
		return err
	}
	hash, err := HashPassword(next, s.cfg.Password)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, u.ID, hash, s.now().UTC()); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	sessions, tokens, endErr := s.factorsChanged(ctx, u.ID, p.SessionID)
	s.record(ctx, audit.Event{Type: audit.PasswordChanged, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: factorChangeDetails(nil, sessions, tokens)})
	return endErr
}

// ErrWrongPassword is returned when a signed-in user confirms an action
// with a wrong current password.
var ErrWrongPassword = errors.New("the current password is not correct")

// CreateInvite lets email sign up while sign-up is invite-only. It returns
// the invitation and its secret token, which is shown once.
func (s *Service) CreateInvite(ctx context.Context, adminID, email string, c Client) (Invite, string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Invite{}, "", err
	}
	secret, hash := newSecret(invitePrefix)
	now := s.now().UTC()
	inv := Invite{ID: newID(), Email: email, Hash: hash, CreatedBy: adminID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.InviteTTL)}
	if err := s.store.CreateInvite(ctx, inv); err != nil {
		return Invite{}, "", fmt.Errorf("auth: create invite: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.InviteCreated, ActorID: adminID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"invite_id": inv.ID}})
	return inv, secret, nil
}
