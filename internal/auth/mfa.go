package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// Multi-factor authentication: TOTP (RFC 6238 with what every
// authenticator app supports: SHA-1, 6 digits, 30-second steps) and
// one-time recovery codes.
//
// Secrets: the TOTP secret is sealed to its owner with the SecretSealer
// (the account's age identity, itself wrapped by the root key), so a copy
// of the database alone reveals no secret, and destroying the owner's keys
// destroys it too. Recovery codes carry 120 random bits, so, like session
// tokens, only their SHA-256 is stored.
//
// Replay: the store keeps the highest time step accepted per account and
// moves it forward only with a conditional UPDATE, so a code (and any code
// of an earlier step) is accepted once, whichever replica sees it.

// MFAPolicy says which accounts must use a second factor. Accounts that
// hold any instance role (all roles are staff roles) always must.
type MFAPolicy string

const (
	MFAOptional MFAPolicy = "optional" // the default; "" means the same
	MFARequired MFAPolicy = "required" // every account
)

// TOTP parameters: what authenticator apps support.
const (
	totpPeriod = 30 // seconds
	totpSkew   = 1  // steps accepted either side of the current one
)

// PendingLoginTTL is how long a sign-in that passed the password step
// waits for its code.
const PendingLoginTTL = 5 * time.Minute

// maxPendingFailures ends a pending sign-in after this many wrong codes;
// the login throttle counts them as well.
const maxPendingFailures = 5

// recoveryCodeCount is how many recovery codes an account gets at once.
const recoveryCodeCount = 10

// pendingPrefix marks pending sign-in tokens (see sessionPrefix).
const pendingPrefix = "slm_"

// Errors of the MFA operations; their messages are safe to show.
var (
	ErrMFARequired         = errors.New("enter the code from your authenticator app, or a recovery code")
	ErrInvalidOTP          = errors.New("the code is not correct, has expired or was already used")
	ErrMFAAlreadyOn        = errors.New("two-step sign-in is already on; turn it off first to set it up again")
	ErrMFANotOn            = errors.New("two-step sign-in is not on")
	ErrNoPendingEnrollment = errors.New("start setting up two-step sign-in first")
	ErrPendingLoginInvalid = errors.New("this sign-in has expired; enter your password again")
	ErrMFANotConfigured    = errors.New("auth: multi-factor authentication is not configured")
)

// MFARequiredError is what Login returns when the password was right and
// a second factor is needed. PendingToken is set when the request asked
// for a pending sign-in (LoginRequest.StartPending): pass it with the code
// to CompleteLogin. It matches ErrMFARequired.
type MFARequiredError struct {
	PendingToken string // secret; goes into a short-lived cookie only
	// Passkey is set when the account has passkeys, which can finish the
	// pending sign-in (BeginPasskeyLogin) instead of a code.
	Passkey bool
}

func (e *MFARequiredError) Error() string        { return ErrMFARequired.Error() }
func (e *MFARequiredError) Is(target error) bool { return target == ErrMFARequired }

// TOTPFactor is an account's TOTP enrolment.
type TOTPFactor struct {
	UserID       string
	SecretSealed []byte    // the base32 secret, sealed to UserID
	ConfirmedAt  time.Time // zero while pending
	LastStep     int64     // highest accepted time step
	CreatedAt    time.Time
}

// Confirmed reports whether the enrolment was completed with a code.
func (f TOTPFactor) Confirmed() bool { return !f.ConfirmedAt.IsZero() }

// PendingLogin is a sign-in that passed the password step and waits for
// a second factor. Only the hash of its token is stored.
type PendingLogin struct {
	ID        string
	UserID    string
	TokenHash []byte
	// PasswordStamp identifies the password hash at the time: a changed
	// password, however it changed, no longer matches.
	PasswordStamp []byte
	DeviceID      string // the known device it came from, or ""
	CreatedAt     time.Time
	ExpiresAt     time.Time
	Failures      int
	IP            string
	UserAgent     string
}

// MFAStore is the persistence of second factors; implemented by package
// sqlstore. Methods return errors wrapping ErrNotFound where documented.
type MFAStore interface {
	// PutPendingTOTP stores a new, unconfirmed TOTP enrolment for f.UserID,
	// replacing an unconfirmed one. ErrMFAAlreadyOn if a confirmed one
	// exists.
	PutPendingTOTP(ctx context.Context, f TOTPFactor) error
	// TOTPOf returns the user's enrolment, confirmed or not. ErrNotFound.
	TOTPOf(ctx context.Context, userID string) (TOTPFactor, error)
	// ConfirmTOTP marks the pending enrolment confirmed with the time step
	// of its first code, and replaces the recovery codes with codeHashes,
	// in one transaction. ErrNotFound when there is no pending enrolment.
	ConfirmTOTP(ctx context.Context, userID string, step int64, codeHashes [][]byte, at time.Time) error
	// AdvanceTOTPStep records step as used if it is later than the last
	// one used, atomically across processes. ErrInvalidOTP otherwise (the
	// code, or a later one, was used already); ErrNotFound without a
	// confirmed enrolment.
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) error
	// DeleteMFA removes the user's TOTP enrolment and recovery codes.
	DeleteMFA(ctx context.Context, userID string) error
	// ReplaceRecoveryCodes replaces all of the user's recovery codes.
	ReplaceRecoveryCodes(ctx context.Context, userID string, codeHashes [][]byte, at time.Time) error
	// UseRecoveryCode marks the user's unused code with this hash used.
	// ErrNotFound when there is no such unused code (never existed, or
	// used already: each works once, across processes).
	UseRecoveryCode(ctx context.Context, userID string, codeHash []byte, at time.Time) error
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)

	CreatePendingLogin(ctx context.Context, p PendingLogin) error
	PendingLoginByHash(ctx context.Context, hash []byte) (PendingLogin, error) // ErrNotFound
	// AddPendingLoginFailure counts a wrong code and returns the new count.
	// ErrNotFound when the row is gone.
	AddPendingLoginFailure(ctx context.Context, id string) (int, error)
	// DeletePendingLogin removes the row; ErrNotFound when it is gone
	// already, so that of two concurrent completions only one succeeds.
	DeletePendingLogin(ctx context.Context, id string) error
	// DeleteExpiredPendingLogins removes rows that expired before now.
	DeleteExpiredPendingLogins(ctx context.Context, now time.Time) (int, error)
}

// SecretSealer encrypts small secrets to an account and decrypts them;
// implemented by *keys.Sealer. Keys never leave it.
type SecretSealer interface {
	SealValue(ctx context.Context, ownerID string, plaintext []byte) ([]byte, error)
	OpenValue(ctx context.Context, ownerID string, sealed []byte) ([]byte, error)
}

// mfaSetup is what UseMFA configures.
type mfaSetup struct {
	store  MFAStore
	sealer SecretSealer
	issuer string
}

// UseMFA turns on second factors: store keeps them, sealer encrypts TOTP
// secrets to their owner, and issuer is the name authenticator apps show
// for this instance. Call it once, before the Service is used.
func (s *Service) UseMFA(store MFAStore, sealer SecretSealer, issuer string) {
	s.mfa = &mfaSetup{store: store, sealer: sealer, issuer: issuer}
}

// MFARequiredFor reports whether the account u must use a second factor:
// under the "required" policy every account must, and so must every
// account holding an instance role (admin or any staff role) whatever the
// policy, unless the operator relaxed that for a local evaluation
// (Config.StaffMFA optional).
func (s *Service) MFARequiredFor(u User) bool {
	return s.cfg.MFA == MFARequired || (len(u.Roles) > 0 && s.cfg.StaffMFA != MFAOptional)
}

// markEnrollment sets p.MFAEnrollmentRequired when u must use a second
// factor but has none yet.
func (s *Service) markEnrollment(ctx context.Context, p *access.Principal, u User) error {
	if !s.MFARequiredFor(u) {
		return nil
	}
	on, err := s.mfaEnabled(ctx, u.ID)
	if err != nil {
		return err
	}
	p.MFAEnrollmentRequired = !on
	return nil
}

// mfaEnabled reports whether userID has a second factor: a confirmed
// TOTP enrolment or a passkey.
func (s *Service) mfaEnabled(ctx context.Context, userID string) (bool, error) {
	if on, err := s.totpEnabled(ctx, userID); err != nil || on {
		return on, err
	}
	return s.hasPasskeys(ctx, userID)
}

// totpEnabled reports whether userID has a confirmed TOTP enrolment.
func (s *Service) totpEnabled(ctx context.Context, userID string) (bool, error) {
	if s.mfa == nil {
		return false, nil
	}
	f, err := s.mfa.store.TOTPOf(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("auth: mfa status: %w", err)
	}
	return f.Confirmed(), nil
}

// MFAStatus is what an account's second factors look like.
type MFAStatus struct {
	TOTPEnabled       bool
	TOTPPending       bool // enrolment started, not confirmed
	RecoveryCodesLeft int
	Required          bool // the account must use a second factor
	Passkeys          int  // registered passkeys, each a second factor
}

// MFAStatus returns the status of userID's second factors.
func (s *Service) MFAStatus(ctx context.Context, userID string) (MFAStatus, error) {
	if s.mfa == nil {
		return MFAStatus{}, ErrMFANotConfigured
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return MFAStatus{}, fmt.Errorf("auth: mfa status: %w", err)
	}
	st := MFAStatus{Required: s.MFARequiredFor(u)}
	if s.passkeys != nil {
		pks, err := s.passkeys.store.PasskeysOf(ctx, userID)
		if err != nil {
			return MFAStatus{}, fmt.Errorf("auth: mfa status: %w", err)
		}
		st.Passkeys = len(pks)
	}
	f, err := s.mfa.store.TOTPOf(ctx, userID)
	switch {
	case errors.Is(err, ErrNotFound):
		return st, nil
	case err != nil:
		return MFAStatus{}, fmt.Errorf("auth: mfa status: %w", err)
	}
	st.TOTPEnabled, st.TOTPPending = f.Confirmed(), !f.Confirmed()
	if st.TOTPEnabled {
		if st.RecoveryCodesLeft, err = s.mfa.store.RecoveryCodesLeft(ctx, userID); err != nil {
			return MFAStatus{}, fmt.Errorf("auth: mfa status: %w", err)
		}
	}
	return st, nil
}

// TOTPEnrollment is a TOTP secret to give to an authenticator app.
type TOTPEnrollment struct {
	Secret string // base32, for typing in by hand
	URL    string // otpauth:// URL, for the QR code
}

// BeginTOTP starts (or restarts) a TOTP enrolment for p's account after
// re-authentication (the password, and a passkey when the account has
// passkeys): otherwise a stolen session could add the thief's
// authenticator. The secret is stored sealed and stays pending until
// ConfirmTOTP.
func (s *Service) BeginTOTP(ctx context.Context, p *access.Principal, r Reauth, c Client) (TOTPEnrollment, error) {
	if s.mfa == nil {
		return TOTPEnrollment{}, ErrMFANotConfigured
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: begin totp: %w", err)
	}
	if on, err := s.totpEnabled(ctx, u.ID); err != nil {
		return TOTPEnrollment{}, err
	} else if on {
		return TOTPEnrollment{}, ErrMFAAlreadyOn
	}
	if _, err := s.confirmIdentity(ctx, p, r, false, c); err != nil {
		return TOTPEnrollment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.mfa.issuer, AccountName: u.Email, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: begin totp: %w", err)
	}
	sealed, err := s.mfa.sealer.SealValue(ctx, u.ID, []byte(key.Secret()))
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: begin totp: %w", err)
	}
	if err := s.mfa.store.PutPendingTOTP(ctx, TOTPFactor{UserID: u.ID, SecretSealed: sealed, CreatedAt: s.now().UTC()}); err != nil {
		if errors.Is(err, ErrMFAAlreadyOn) {
			return TOTPEnrollment{}, ErrMFAAlreadyOn
		}
		return TOTPEnrollment{}, fmt.Errorf("auth: begin totp: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.MFAEnrollStarted, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"factor": "totp"}})
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL()}, nil
}

// PendingTOTP returns the enrolment waiting for confirmation, so a page
// can show its QR code again. ErrNoPendingEnrollment when there is none.
func (s *Service) PendingTOTP(ctx context.Context, userID string) (TOTPEnrollment, error) {
	if s.mfa == nil {
		return TOTPEnrollment{}, ErrMFANotConfigured
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: pending totp: %w", err)
	}
	f, err := s.mfa.store.TOTPOf(ctx, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && f.Confirmed()) {
		return TOTPEnrollment{}, ErrNoPendingEnrollment
	} else if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: pending totp: %w", err)
	}
	secret, err := s.mfa.sealer.OpenValue(ctx, userID, f.SecretSealed)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: pending totp: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.mfa.issuer, AccountName: u.Email, Period: totpPeriod,
		Secret: mustBase32(string(secret)), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("auth: pending totp: %w", err)
	}
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL()}, nil
}

func mustBase32(s string) []byte {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil // totp.Generate then makes a new secret; the confirm step would fail, never pass
	}
	return b
}

// ConfirmTOTP completes the enrolment with a first code from the app and
// returns ten new recovery codes, shown once. From then on, sign-in needs
// a code.
func (s *Service) ConfirmTOTP(ctx context.Context, p *access.Principal, code string, c Client) ([]string, error) {
	if s.mfa == nil {
		return nil, ErrMFANotConfigured
	}
	f, err := s.mfa.store.TOTPOf(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && f.Confirmed()) {
		return nil, ErrNoPendingEnrollment
	} else if err != nil {
		return nil, fmt.Errorf("auth: confirm totp: %w", err)
	}
	step, ok, err := s.matchTOTP(ctx, f, normalizeOTP(code))
	if err != nil {
		return nil, err
	}
	if !ok {
		s.record(ctx, audit.Event{Type: audit.MFAFailed, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"during": "enrolment"}})
		return nil, ErrInvalidOTP
	}
	codes, hashes := newRecoveryCodes()
	if err := s.mfa.store.ConfirmTOTP(ctx, p.UserID, step, hashes, s.now().UTC()); errors.Is(err, ErrNotFound) {
		return nil, ErrNoPendingEnrollment
	} else if err != nil {
		return nil, fmt.Errorf("auth: confirm totp: %w", err)
	}
	sessions, tokens, endErr := s.factorsChanged(ctx, p.UserID, p.SessionID)
	s.record(ctx, audit.Event{Type: audit.MFAEnabled, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: factorChangeDetails(map[string]string{"factor": "totp"}, sessions, tokens)})
	if endErr != nil {
		return nil, endErr
	}
	return codes, nil
}

// DisableMFA turns the second factor off after re-authentication: the
// current password and a current code (TOTP or recovery). An account the
// policy requires to use MFA is then held to enrolment again.
func (s *Service) DisableMFA(ctx context.Context, p *access.Principal, password, code string, c Client) error {
	u, err := s.reauthenticate(ctx, p, password, code, true, c)
	if err != nil {
		return err
	}
	if err := s.mfa.store.DeleteMFA(ctx, u.ID); err != nil {
		return fmt.Errorf("auth: disable mfa: %w", err)
	}
	sessions, tokens, endErr := s.factorsChanged(ctx, u.ID, p.SessionID)
	s.record(ctx, audit.Event{Type: audit.MFADisabled, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: factorChangeDetails(map[string]string{"factor": "totp"}, sessions, tokens)})
	return endErr
}

// RegenerateRecoveryCodes replaces the account's recovery codes after
// re-authentication (password and a current code) and returns the new
// ones, shown once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p *access.Principal, password, code string, c Client) ([]string, error) {
	u, err := s.reauthenticate(ctx, p, password, code, true, c)
	if err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	if err := s.mfa.store.ReplaceRecoveryCodes(ctx, u.ID, hashes, s.now().UTC()); err != nil {
		return nil, fmt.Errorf("auth: recovery codes: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.RecoveryCodesRegenerated, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent})
	return codes, nil
}

// reauthenticate is confirmIdentity with a password and a code.
func (s *Service) reauthenticate(ctx context.Context, p *access.Principal, password, code string, needMFA bool, c Client) (User, error) {
	if s.mfa == nil {
		return User{}, ErrMFANotConfigured
	}
	return s.confirmIdentity(ctx, p, Reauth{Password: password, Code: code}, needMFA, c)
}

// verifySecondFactor checks code, a TOTP code or a recovery code, for u
// and uses it up; it returns which kind it was ("totp",
// "recovery_code"), or "" for a wrong code, which is recorded as an MFA
// failure (the caller counts it against the throttle).
func (s *Service) verifySecondFactor(ctx context.Context, u User, code, during string, c Client) (string, error) {
	code = normalizeOTP(code)
	ok, method, err := s.useSecondFactor(ctx, u.ID, code)
	if err != nil {
		return "", err
	}
	if !ok {
		s.record(ctx, audit.Event{Type: audit.MFAFailed, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"during": during}})
		return "", nil
	}
	if method == "recovery_code" {
		left, err := s.mfa.store.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			s.log.ErrorContext(ctx, "recovery codes not counted", "err", err)
		}
		s.record(ctx, audit.Event{Type: audit.RecoveryCodeUsed, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"during": during, "codes_left": fmt.Sprint(left)}})
	}
	return method, nil
}

// useSecondFactor checks and consumes a normalized code.
func (s *Service) useSecondFactor(ctx context.Context, userID, code string) (ok bool, method string, err error) {
	switch {
	case isTOTPCode(code):
		f, err := s.mfa.store.TOTPOf(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return false, "", nil
		} else if err != nil {
			return false, "", fmt.Errorf("auth: check code: %w", err)
		}
		if !f.Confirmed() {
			return false, "", nil
		}
		step, ok, err := s.matchTOTP(ctx, f, code)
		if err != nil || !ok {
			return false, "", err
		}
		// The same code, or one of an earlier step, was used already?
		// Decided by the database, so two replicas cannot both accept it.
		switch err := s.mfa.store.AdvanceTOTPStep(ctx, userID, step); {
		case errors.Is(err, ErrInvalidOTP), errors.Is(err, ErrNotFound):
			return false, "", nil
		case err != nil:
			return false, "", fmt.Errorf("auth: check code: %w", err)
		}
		return true, "totp", nil
	case isRecoveryCode(code):
		err := s.mfa.store.UseRecoveryCode(ctx, userID, hashSecret(code), s.now().UTC())
		if errors.Is(err, ErrNotFound) {
			return false, "", nil
		} else if err != nil {
			return false, "", fmt.Errorf("auth: check recovery code: %w", err)
		}
		return true, "recovery_code", nil
	}
	return false, "", nil
}

// matchTOTP finds the time step, within the allowed skew, whose code is
// code. It does not check for reuse.
func (s *Service) matchTOTP(ctx context.Context, f TOTPFactor, code string) (int64, bool, error) {
	if !isTOTPCode(code) {
		return 0, false, nil
	}
	secret, err := s.mfa.sealer.OpenValue(ctx, f.UserID, f.SecretSealed)
	if err != nil {
		return 0, false, fmt.Errorf("auth: open totp secret: %w", err)
	}
	defer clear(secret)
	now := s.now().Unix() / totpPeriod
	var matched int64
	found := false
	for step := now - totpSkew; step <= now+totpSkew; step++ { // every candidate, for even timing
		want, err := hotp.GenerateCodeCustom(string(secret), uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false, fmt.Errorf("auth: totp code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched, found = step, true
		}
	}
	return matched, found, nil
}

// normalizeOTP removes what people type around a code: spaces and dashes,
// and lower case in recovery codes.
func normalizeOTP(code string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

func isTOTPCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Recovery codes: 24 characters of RFC 4648 base32 (120 bits), shown in
// six groups of four. At 120 bits an unsalted SHA-256 is safe to store
// (ASVS V6.5.2 asks for a salted password hash only below 112). The
// alphabet has no 0, 1, 8 or 9 to confuse.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func isRecoveryCode(code string) bool {
	if len(code) != 24 {
		return false
	}
	_, err := recoveryEncoding.DecodeString(code)
	return err == nil
}

// newRecoveryCodes returns fresh codes for display and their hashes for
// the store.
func newRecoveryCodes() ([]string, [][]byte) {
	codes := make([]string, recoveryCodeCount)
	hashes := make([][]byte, recoveryCodeCount)
	for i := range codes {
		var b [15]byte
		rand.Read(b[:])
		raw := recoveryEncoding.EncodeToString(b[:])
		hashes[i] = hashSecret(raw)
		groups := make([]string, 0, 6)
		for g := 0; g < len(raw); g += 4 {
			groups = append(groups, raw[g:g+4])
		}
		codes[i] = strings.ToLower(strings.Join(groups, "-"))
	}
	return codes, hashes
}

// passwordStamp identifies a password hash (which has its own random
// salt) without storing it again.
func passwordStamp(hash string) []byte {
	h := sha256.Sum256([]byte("safelight password stamp\x00" + hash))
	return h[:]
}

// startPending records a sign-in that passed the password step and
// returns its secret token.
func (s *Service) startPending(ctx context.Context, u User, deviceID string, c Client) (string, error) {
	secret, hash := newSecret(pendingPrefix)
	now := s.now().UTC()
	pl := PendingLogin{ID: newID(), UserID: u.ID, TokenHash: hash, PasswordStamp: passwordStamp(u.PasswordHash), DeviceID: deviceID,
		CreatedAt: now, ExpiresAt: now.Add(PendingLoginTTL), IP: c.IP, UserAgent: truncate(c.UserAgent, 512)}
	if err := s.mfa.store.CreatePendingLogin(ctx, pl); err != nil {
		return "", fmt.Errorf("auth: pending login: %w", err)
	}
	return secret, nil
}

// CompleteLogin finishes a pending sign-in (see LoginRequest.StartPending)
// with a TOTP or recovery code. ErrPendingLoginInvalid when the pending
// sign-in is unknown, expired, used, or the password changed since;
// ErrInvalidOTP for a wrong code (counted by the login throttle; after a
// few the pending sign-in ends); a *ThrottledError while throttled.
func (s *Service) CompleteLogin(ctx context.Context, pendingToken, code string, deviceToken string, c Client) (LoginResult, error) {
	if s.mfa == nil {
		return LoginResult{}, ErrPendingLoginInvalid
	}
	return s.completePending(ctx, pendingToken, deviceToken, c, func(_ PendingLogin, u User) (string, error) {
		return s.verifySecondFactor(ctx, u, code, "login", c)
	}, ErrInvalidOTP)
}

// livePending finds the pending sign-in of pendingToken and its account,
// deleting it when it has expired or the password changed since.
func (s *Service) livePending(ctx context.Context, pendingToken string) (PendingLogin, User, error) {
	if s.mfa == nil || !strings.HasPrefix(pendingToken, pendingPrefix) {
		return PendingLogin{}, User{}, ErrPendingLoginInvalid
	}
	pl, err := s.mfa.store.PendingLoginByHash(ctx, hashSecret(pendingToken))
	if errors.Is(err, ErrNotFound) {
		return PendingLogin{}, User{}, ErrPendingLoginInvalid
	} else if err != nil {
		return PendingLogin{}, User{}, fmt.Errorf("auth: complete login: %w", err)
	}
	drop := func() {
		if err := s.mfa.store.DeletePendingLogin(ctx, pl.ID); err != nil && !errors.Is(err, ErrNotFound) {
			s.log.ErrorContext(ctx, "pending login not deleted", "err", err)
		}
	}
	if !s.now().Before(pl.ExpiresAt) {
		drop()
		return PendingLogin{}, User{}, ErrPendingLoginInvalid
	}
	u, err := s.store.UserByID(ctx, pl.UserID)
	if errors.Is(err, ErrNotFound) {
		drop()
		return PendingLogin{}, User{}, ErrPendingLoginInvalid
	} else if err != nil {
		return PendingLogin{}, User{}, fmt.Errorf("auth: complete login: %w", err)
	}
	if subtle.ConstantTimeCompare(pl.PasswordStamp, passwordStamp(u.PasswordHash)) != 1 {
		drop() // the password changed (or was reset) since the password step
		return PendingLogin{}, User{}, ErrPendingLoginInvalid
	}
	return pl, u, nil
}

// completePending finishes a pending sign-in whose second factor verify
// checks and uses up: it returns the method name, or "" for a wrong
// answer, which is counted against the throttle and answered with wrong.
func (s *Service) completePending(ctx context.Context, pendingToken, deviceToken string, c Client,
	verify func(PendingLogin, User) (string, error), wrong error) (LoginResult, error) {
	pl, u, err := s.livePending(ctx, pendingToken)
	if err != nil {
		return LoginResult{}, err
	}
	if wait, err := s.blocked(ctx, addressKey(c.IP), ThrottleAddressMax); err != nil {
		return LoginResult{}, fmt.Errorf("auth: complete login: %w", err)
	} else if wait > 0 {
		return LoginResult{}, &ThrottledError{RetryAfter: wait}
	}
	limitKey := accountKey(u.Email)
	if pl.DeviceID != "" {
		limitKey = deviceKey(pl.DeviceID)
	}
	if wait, err := s.blocked(ctx, limitKey, ThrottleAccountMax); err != nil {
		return LoginResult{}, fmt.Errorf("auth: complete login: %w", err)
	} else if wait > 0 {
		return LoginResult{}, &ThrottledError{RetryAfter: wait}
	}
	method, err := verify(pl, u)
	if err != nil {
		return LoginResult{}, err
	}
	if method == "" {
		s.addFailure(ctx, addressKey(c.IP))
		s.addFailure(ctx, accountKey(u.Email))
		if pl.DeviceID != "" {
			s.addFailure(ctx, deviceKey(pl.DeviceID))
		}
		if n, err := s.mfa.store.AddPendingLoginFailure(ctx, pl.ID); err == nil && n >= maxPendingFailures {
			if err := s.mfa.store.DeletePendingLogin(ctx, pl.ID); err != nil && !errors.Is(err, ErrNotFound) {
				s.log.ErrorContext(ctx, "pending login not deleted", "err", err)
			}
		}
		return LoginResult{}, wrong
	}
	// Single use: of two completions racing, only the one that deletes
	// the row goes on.
	if err := s.mfa.store.DeletePendingLogin(ctx, pl.ID); errors.Is(err, ErrNotFound) {
		return LoginResult{}, ErrPendingLoginInvalid
	} else if err != nil {
		return LoginResult{}, fmt.Errorf("auth: complete login: %w", err)
	}
	var device Device
	trusted := false
	if pl.DeviceID != "" && deviceToken != "" {
		if d, err := s.store.DeviceByHash(ctx, hashSecret(deviceToken)); err == nil && d.UserID == u.ID && d.ID == pl.DeviceID {
			device, trusted = d, true
		}
	}
	return s.finishLogin(ctx, u, device, trusted, method, c)
}

// SweepPendingLogins deletes pending sign-ins that have expired.
func (s *Service) SweepPendingLogins(ctx context.Context) (int, error) {
	if s.mfa == nil {
		return 0, nil
	}
	return s.mfa.store.DeleteExpiredPendingLogins(ctx, s.now().UTC())
}
