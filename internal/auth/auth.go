// Package auth owns accounts and how callers prove who they are: sign-up,
// passwords, login throttling, sessions, personal access tokens and
// invitations. It decides nothing about what a caller may do; that is
// package access.
package auth

import (
	"context"
	"errors"
	"time"

	"safelight/internal/access"
)

// Errors returned by Store implementations and by Service. Messages of
// the exported sentinels are safe to show to users.
var (
	ErrNotFound           = errors.New("not found")
	ErrEmailTaken         = errors.New("an account with this e-mail exists")
	ErrInvalidCredentials = errors.New("e-mail or password is incorrect")
	ErrUnauthenticated    = errors.New("sign-in required")
	ErrSignupClosed       = errors.New("sign-up is closed on this instance")
	ErrInviteRequired     = errors.New("sign-up on this instance needs an invitation")
	ErrInviteInvalid      = errors.New("this invitation is not valid or has expired")
	ErrInvalidEmail       = errors.New("enter a valid e-mail address")
	ErrInvalidName        = errors.New("enter a name of at most 200 characters")
)

// User is an account.
type User struct {
	ID           string
	Email        string // normalized: trimmed, lower case
	Name         string
	PasswordHash string // PHC-encoded argon2id; never leaves this package's callers' hands to clients
	Roles        []access.Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// EmailVerifiedAt is when the owner proved they read Email (a
	// verification or password-reset link); zero until then.
	EmailVerifiedAt time.Time
	// DisabledAt is when an instance admin disabled the account; zero
	// while it is active. A disabled account cannot sign in (admin.go).
	DisabledAt time.Time
	// RestrictedAt is when the account's holder restricted the processing
	// of its data (GDPR Art. 18, restriction.go); zero while not.
	RestrictedAt time.Time
}

// Session is a signed-in browser. Only the hash of its token is stored.
type Session struct {
	ID         string
	UserID     string
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	IP         string
	UserAgent  string
}

// Token is a personal access token for the API. Only its hash is stored.
type Token struct {
	ID         string
	UserID     string
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
}

// Invite lets one e-mail address sign up while sign-up is invite-only.
type Invite struct {
	ID        string
	Email     string
	Hash      []byte
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Device is a browser that has signed in successfully before. Presenting
// its cookie lets the real user through while an attacker keeps the
// account's failure counter high (OWASP "device cookies").
type Device struct {
	ID        string
	UserID    string
	Hash      []byte
	CreatedAt time.Time
}

// NewUser describes an account to create.
type NewUser struct {
	User User
	// FirstIsAdmin makes the account instance admin if, at the moment of
	// insertion, no other account exists. Decided atomically.
	FirstIsAdmin bool
	// InviteHash, when set, must name an unused, unexpired invitation for
	// User.Email; it is consumed in the same transaction.
	InviteHash []byte
}

// Store is the persistence auth needs; implemented by package sqlstore.
// Methods return errors wrapping the sentinels above where documented.
type Store interface {
	// CreateUser inserts u (with its roles). ErrEmailTaken if the e-mail
	// is in use, ErrInviteInvalid if an InviteHash does not match.
	CreateUser(ctx context.Context, u NewUser) (User, error)
	UserByID(ctx context.Context, id string) (User, error)       // ErrNotFound
	UserByEmail(ctx context.Context, email string) (User, error) // ErrNotFound
	CountUsers(ctx context.Context) (int, error)
	SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error
	SetUserName(ctx context.Context, userID, name string, at time.Time) error

	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, hash []byte) (Session, error) // ErrNotFound
	TouchSession(ctx context.Context, id string, at time.Time) error
	SessionsOf(ctx context.Context, userID string) ([]Session, error) // newest first
	// DeleteSession removes the user's session id; ErrNotFound if there is
	// no such session of that user.
	DeleteSession(ctx context.Context, userID, id string) error
	// DeleteSessionsExcept removes every session of userID but keepID
	// (which may be empty) and returns how many went.
	DeleteSessionsExcept(ctx context.Context, userID, keepID string) (int, error)
	// DeleteExpiredSessions removes sessions past their absolute end or
	// idle since before idleBefore.
	DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error)

	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error) // ErrNotFound
	TouchToken(ctx context.Context, id string, at time.Time) error
	TokensOf(ctx context.Context, userID string) ([]Token, error) // newest first
	DeleteToken(ctx context.Context, userID, id string) error     // ErrNotFound
	// DeleteTokensOf removes every token of userID and returns how many went.
	DeleteTokensOf(ctx context.Context, userID string) (int, error)

	CreateInvite(ctx context.Context, inv Invite) error

	CreateDevice(ctx context.Context, d Device) error
	DeviceByHash(ctx context.Context, hash []byte) (Device, error) // ErrNotFound

	// AddLoginFailure counts one failure against key and returns the
	// count within the current window, starting a new window when the
	// last one began before at-window. Atomic across processes.
	AddLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, time.Time, error)
	// LoginFailures returns the count and window start for key; zero
	// values when there is none.
	LoginFailures(ctx context.Context, key string) (int, time.Time, error)
	ClearLoginFailures(ctx context.Context, key string) error

	AccountAdminStore // disabling accounts, ending their sessions (admin.go)
	RestrictionStore  // restriction of processing (restriction.go)
}
