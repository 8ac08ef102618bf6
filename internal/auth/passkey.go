package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// Passkeys (WebAuthn, github.com/go-webauthn/webauthn) as a second factor
// after the password, and as a sign-in of their own ("passwordless"),
// which needs user verification and then counts as both factors.
//
// Ceremony state (the challenge and what the library needs to check the
// answer) lives in the database under the SHA-256 of a random handle that
// the client carries between begin and finish, so any replica can finish
// what another began. Taking it deletes it (single use), and it lasts
// CeremonyTTL.
//
// Signature counters: an authenticator that counts (most hardware keys)
// must present a higher count every time; a lower or equal one means two
// copies of the key exist, so the assertion is refused and recorded
// (audit.PasskeyCloneSuspected). Synced passkeys always send 0, which is
// accepted while the stored count is 0 too.

// CeremonyTTL is how long a begun WebAuthn ceremony can be finished.
const CeremonyTTL = 5 * time.Minute

// ceremonyPrefix marks ceremony handles (see sessionPrefix).
const ceremonyPrefix = "slw_"

// maxPasskeys bounds the passkeys of one account.
const maxPasskeys = 20

// Ceremony kinds.
const (
	ceremonyRegister     = "register"
	ceremonySecondStep   = "second_factor" // bound to a pending sign-in
	ceremonyPasswordless = "passwordless"
	ceremonyReauth       = "reauthentication" // a signed-in owner confirming a change
)

// Errors of the passkey operations; their messages are safe to show.
var (
	ErrPasskeyInvalid        = errors.New("the passkey could not be verified; try again")
	ErrCeremonyInvalid       = errors.New("this passkey request has expired or was used; start again")
	ErrPasskeyExists         = errors.New("this passkey is registered already")
	ErrInvalidPasskeyName    = errors.New("give the passkey a name of at most 100 characters")
	ErrPasskeyRequired       = errors.New("confirm with one of your passkeys")
	ErrTooManyPasskeys       = errors.New("an account can have at most 20 passkeys; remove one first")
	ErrPasskeysNotConfigured = errors.New("passkeys are not available on this instance")
	// ErrPasskeysNeedDomain is what UsePasskeys returns for a public URL
	// whose host is an IP address: WebAuthn works only on domain names.
	ErrPasskeysNeedDomain = errors.New("auth: passkeys need a public URL with a domain name, not an IP address")
	// ErrPasskeyCounter is what a PasskeyStore returns when the signature
	// counter would not move forward.
	ErrPasskeyCounter = errors.New("auth: passkey signature counter did not increase")
)

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID                string // ours
	UserID            string
	Name              string
	CredentialID      []byte // the authenticator's; unique across accounts
	PublicKey         []byte // COSE
	AAGUID            []byte
	AttestationFormat string
	Transports        []string
	SignCount         uint32
	UserVerified      bool
	BackupEligible    bool
	BackupState       bool
	CreatedAt         time.Time
	LastUsedAt        time.Time // zero until first used
}

// WebAuthnCeremony is a begun registration or assertion. Only the hash
// of its handle is stored.
type WebAuthnCeremony struct {
	Hash      []byte
	Kind      string
	UserID    string // "" for a passwordless sign-in
	PendingID string // the pending sign-in a second-factor assertion finishes
	Session   []byte // webauthn.SessionData as JSON
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PasskeyStore is the persistence of passkeys and ceremonies; implemented
// by package sqlstore.
type PasskeyStore interface {
	// CreatePasskey adds p. ErrPasskeyExists when its credential id is
	// registered already, to any account.
	CreatePasskey(ctx context.Context, p Passkey) error
	// PasskeysOf lists the user's passkeys, oldest first.
	PasskeysOf(ctx context.Context, userID string) ([]Passkey, error)
	// PasskeyByCredentialID finds a passkey by the authenticator's
	// credential id. ErrNotFound.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error)
	// RenamePasskey renames one of the user's passkeys. ErrNotFound when
	// it is not theirs.
	RenamePasskey(ctx context.Context, userID, id, name string) error
	// DeletePasskey removes one of the user's passkeys. ErrNotFound.
	DeletePasskey(ctx context.Context, userID, id string) error
	// RecordPasskeyUse stores the counter and backup state of a verified
	// assertion, only if signCount is above the stored one (or both are
	// 0), atomically across processes; ErrPasskeyCounter otherwise.
	RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool, at time.Time) error

	CreateWebAuthnCeremony(ctx context.Context, c WebAuthnCeremony) error
	// TakeWebAuthnCeremony deletes and returns the ceremony with this
	// hash; ErrNotFound when there is none (never was, or taken already).
	TakeWebAuthnCeremony(ctx context.Context, hash []byte) (WebAuthnCeremony, error)
	DeleteExpiredWebAuthnCeremonies(ctx context.Context, now time.Time) (int, error)
}

// passkeySetup is what UsePasskeys configures.
type passkeySetup struct {
	store PasskeyStore
	wa    *webauthn.WebAuthn
}

// UsePasskeys turns on passkeys for the relying party at publicURL: its
// host is the RP ID and the URL's origin the only accepted origin. Call
// it once, after UseMFA and before the Service is used.
func (s *Service) UsePasskeys(store PasskeyStore, publicURL, displayName string) error {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth: passkeys: public URL %q has no host", publicURL)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return ErrPasskeysNeedDomain
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         displayName,
		RPOrigins:             []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return fmt.Errorf("auth: passkeys: %w", err)
	}
	s.passkeys = &passkeySetup{store: store, wa: wa}
	return nil
}

// PasskeysEnabled reports whether UsePasskeys turned passkeys on.
func (s *Service) PasskeysEnabled() bool { return s.passkeys != nil }

// waUser adapts an account and its passkeys to the library.
type waUser struct {
	u     User
	creds []webauthn.Credential
}

func (w waUser) WebAuthnID() []byte                         { return []byte(w.u.ID) }
func (w waUser) WebAuthnName() string                       { return w.u.Email }
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }
func (w waUser) WebAuthnDisplayName() string {
	if w.u.Name != "" {
		return w.u.Name
	}
	return w.u.Email
}

func toCredential(p Passkey) webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: p.CredentialID, PublicKey: p.PublicKey, AttestationFormat: p.AttestationFormat, Transport: tr,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: p.UserVerified, BackupEligible: p.BackupEligible, BackupState: p.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount},
	}
}

// webauthnUser loads u's passkeys for the library.
func (s *Service) webauthnUser(ctx context.Context, u User) (waUser, []Passkey, error) {
	pks, err := s.passkeys.store.PasskeysOf(ctx, u.ID)
	if err != nil {
		return waUser{}, nil, fmt.Errorf("auth: passkeys of %s: %w", u.ID, err)
	}
	w := waUser{u: u}
	for _, p := range pks {
		w.creds = append(w.creds, toCredential(p))
	}
	return w, pks, nil
}

// hasPasskeys reports whether userID has at least one passkey.
func (s *Service) hasPasskeys(ctx context.Context, userID string) (bool, error) {
	if s.passkeys == nil {
		return false, nil
	}
	pks, err := s.passkeys.store.PasskeysOf(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("auth: passkeys of %s: %w", userID, err)
	}
	return len(pks) > 0, nil
}

// saveCeremony stores the library's session data and returns the handle.
func (s *Service) saveCeremony(ctx context.Context, kind, userID, pendingID string, sd *webauthn.SessionData) (string, error) {
	raw, err := json.Marshal(sd)
	if err != nil {
		return "", fmt.Errorf("auth: ceremony: %w", err)
	}
	handle, hash := newSecret(ceremonyPrefix)
	now := s.now().UTC()
	if err := s.passkeys.store.CreateWebAuthnCeremony(ctx, WebAuthnCeremony{Hash: hash, Kind: kind, UserID: userID, PendingID: pendingID,
		Session: raw, CreatedAt: now, ExpiresAt: now.Add(CeremonyTTL)}); err != nil {
		return "", fmt.Errorf("auth: ceremony: %w", err)
	}
	return handle, nil
}

// takeCeremony uses up the ceremony behind handle; ErrCeremonyInvalid
// when it is unknown, used, expired or of another kind.
func (s *Service) takeCeremony(ctx context.Context, handle, kind string) (WebAuthnCeremony, webauthn.SessionData, error) {
	if !strings.HasPrefix(handle, ceremonyPrefix) {
		return WebAuthnCeremony{}, webauthn.SessionData{}, ErrCeremonyInvalid
	}
	c, err := s.passkeys.store.TakeWebAuthnCeremony(ctx, hashSecret(handle))
	if errors.Is(err, ErrNotFound) {
		return WebAuthnCeremony{}, webauthn.SessionData{}, ErrCeremonyInvalid
	} else if err != nil {
		return WebAuthnCeremony{}, webauthn.SessionData{}, fmt.Errorf("auth: ceremony: %w", err)
	}
	if c.Kind != kind || !s.now().Before(c.ExpiresAt) {
		return WebAuthnCeremony{}, webauthn.SessionData{}, ErrCeremonyInvalid
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Session, &sd); err != nil {
		return WebAuthnCeremony{}, webauthn.SessionData{}, fmt.Errorf("auth: ceremony: %w", err)
	}
	// The library checks sd.Expires against the real clock; ours (which
	// tests move) decided above.
	sd.Expires = time.Time{}
	return c, sd, nil
}

// PasskeyOptions is a begun ceremony: Options goes to the browser
// (navigator.credentials.create or .get, after base64url decoding), and
// Handle comes back with the answer.
type PasskeyOptions struct {
	Handle  string
	Options any // *protocol.CredentialCreation or *protocol.CredentialAssertion
}

// BeginPasskeyRegistration starts adding a passkey to the caller's
// account, after re-authentication with every factor the account has
// (see Reauth): a passkey signs in on its own, so adding one is adding a
// way in.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, p *access.Principal, r Reauth, c Client) (PasskeyOptions, error) {
	if s.passkeys == nil {
		return PasskeyOptions{}, ErrPasskeysNotConfigured
	}
	u, err := s.confirmIdentity(ctx, p, r, false, c)
	if err != nil {
		return PasskeyOptions{}, err
	}
	w, pks, err := s.webauthnUser(ctx, u)
	if err != nil {
		return PasskeyOptions{}, err
	}
	if len(pks) >= maxPasskeys {
		return PasskeyOptions{}, ErrTooManyPasskeys
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range w.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := s.passkeys.wa.BeginRegistration(w, webauthn.WithExclusions(exclude))
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("auth: begin passkey: %w", err)
	}
	handle, err := s.saveCeremony(ctx, ceremonyRegister, u.ID, "", sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return PasskeyOptions{Handle: handle, Options: creation}, nil
}

// FinishPasskeyRegistration checks the authenticator's answer
// (credentialJSON, the PublicKeyCredential as JSON with base64url fields)
// and stores the passkey under name.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, p *access.Principal, handle, name string, credentialJSON []byte, c Client) (Passkey, error) {
	if s.passkeys == nil {
		return Passkey{}, ErrPasskeysNotConfigured
	}
	n, err := checkName(name)
	if err != nil || n == "" || len([]rune(n)) > 100 {
		return Passkey{}, ErrInvalidPasskeyName
	}
	cer, sd, err := s.takeCeremony(ctx, handle, ceremonyRegister)
	if err != nil {
		return Passkey{}, err
	}
	if cer.UserID != p.UserID {
		return Passkey{}, ErrCeremonyInvalid
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return Passkey{}, fmt.Errorf("auth: finish passkey: %w", err)
	}
	w, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return Passkey{}, err
	}
	fail := func(reason string, cause error) error {
		s.log.InfoContext(ctx, "passkey registration refused", "reason", reason, "err", cause)
		s.record(ctx, audit.Event{Type: audit.PasskeyFailed, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"during": "registration", "reason": reason}})
		return ErrPasskeyInvalid
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credentialJSON)
	if err != nil {
		return Passkey{}, fail("malformed", err)
	}
	cred, err := s.passkeys.wa.CreateCredential(w, sd, parsed)
	if err != nil {
		return Passkey{}, fail("not_verified", err)
	}
	pk := Passkey{ID: newID(), UserID: u.ID, Name: n, CredentialID: cred.ID, PublicKey: cred.PublicKey, AAGUID: cred.Authenticator.AAGUID,
		AttestationFormat: cred.AttestationFormat, SignCount: cred.Authenticator.SignCount, UserVerified: cred.Flags.UserVerified,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, CreatedAt: s.now().UTC()}
	for _, t := range cred.Transport {
		pk.Transports = append(pk.Transports, string(t))
	}
	if err := s.passkeys.store.CreatePasskey(ctx, pk); errors.Is(err, ErrPasskeyExists) {
		return Passkey{}, ErrPasskeyExists
	} else if err != nil {
		return Passkey{}, fmt.Errorf("auth: finish passkey: %w", err)
	}
	sessions, tokens, endErr := s.factorsChanged(ctx, u.ID, p.SessionID)
	s.record(ctx, audit.Event{Type: audit.PasskeyAdded, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: factorChangeDetails(map[string]string{"passkey_id": pk.ID, "name": pk.Name}, sessions, tokens)})
	return pk, endErr
}

// Passkeys lists the user's passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, userID string) ([]Passkey, error) {
	if s.passkeys == nil {
		return nil, nil
	}
	pks, err := s.passkeys.store.PasskeysOf(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("auth: passkeys: %w", err)
	}
	return pks, nil
}

// RenamePasskey renames one of the caller's passkeys. ErrNotFound when
// it is not theirs.
func (s *Service) RenamePasskey(ctx context.Context, p *access.Principal, id, name string, c Client) error {
	if s.passkeys == nil {
		return ErrPasskeysNotConfigured
	}
	n, err := checkName(name)
	if err != nil || n == "" || len([]rune(n)) > 100 {
		return ErrInvalidPasskeyName
	}
	if err := s.passkeys.store.RenamePasskey(ctx, p.UserID, id, n); errors.Is(err, ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return fmt.Errorf("auth: rename passkey: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.PasskeyRenamed, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"passkey_id": id, "name": n}})
	return nil
}

// BeginPasskeyReauth starts an assertion with which the signed-in
// caller confirms a sensitive change (RemovePasskey) when their second
// factor is a passkey.
func (s *Service) BeginPasskeyReauth(ctx context.Context, p *access.Principal) (PasskeyOptions, error) {
	if s.passkeys == nil {
		return PasskeyOptions{}, ErrPasskeysNotConfigured
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("auth: begin passkey reauthentication: %w", err)
	}
	w, pks, err := s.webauthnUser(ctx, u)
	if err != nil {
		return PasskeyOptions{}, err
	}
	if len(pks) == 0 {
		return PasskeyOptions{}, ErrNotFound
	}
	assertion, sd, err := s.passkeys.wa.BeginLogin(w)
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("auth: begin passkey reauthentication: %w", err)
	}
	handle, err := s.saveCeremony(ctx, ceremonyReauth, u.ID, "", sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return PasskeyOptions{Handle: handle, Options: assertion}, nil
}

// RemovePasskey deletes one of the caller's passkeys after
// re-authentication with the password and the current second factor: a
// TOTP or recovery code when TOTP is on, otherwise an assertion by one of
// the account's passkeys (Reauth.PasskeyHandle from BeginPasskeyReauth,
// and PasskeyAssertion). Wrong answers count as login failures.
// ErrNotFound when the passkey is not theirs; ErrPasskeyRequired without
// an assertion. Other sessions and the account's tokens end.
func (s *Service) RemovePasskey(ctx context.Context, p *access.Principal, id string, r Reauth, c Client) error {
	if s.passkeys == nil {
		return ErrPasskeysNotConfigured
	}
	u, err := s.confirmIdentity(ctx, p, r, false, c)
	if err != nil {
		return err
	}
	if err := s.passkeys.store.DeletePasskey(ctx, u.ID, id); errors.Is(err, ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return fmt.Errorf("auth: remove passkey: %w", err)
	}
	sessions, tokens, endErr := s.factorsChanged(ctx, u.ID, p.SessionID)
	s.record(ctx, audit.Event{Type: audit.PasskeyRemoved, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: factorChangeDetails(map[string]string{"passkey_id": id}, sessions, tokens)})
	return endErr
}

// BeginPasskeyLogin starts the second step of a pending sign-in (see
// LoginRequest.StartPending) with one of the account's passkeys.
func (s *Service) BeginPasskeyLogin(ctx context.Context, pendingToken string) (PasskeyOptions, error) {
	if s.passkeys == nil {
		return PasskeyOptions{}, ErrPasskeysNotConfigured
	}
	pl, u, err := s.livePending(ctx, pendingToken)
	if err != nil {
		return PasskeyOptions{}, err
	}
	w, pks, err := s.webauthnUser(ctx, u)
	if err != nil {
		return PasskeyOptions{}, err
	}
	if len(pks) == 0 {
		return PasskeyOptions{}, ErrPasskeyInvalid
	}
	assertion, sd, err := s.passkeys.wa.BeginLogin(w)
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("auth: begin passkey login: %w", err)
	}
	handle, err := s.saveCeremony(ctx, ceremonySecondStep, u.ID, pl.ID, sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return PasskeyOptions{Handle: handle, Options: assertion}, nil
}

// FinishPasskeyLogin completes a pending sign-in with a passkey
// assertion; like CompleteLogin otherwise (failures are counted by the
// login throttle and end the pending sign-in after a few).
func (s *Service) FinishPasskeyLogin(ctx context.Context, pendingToken, handle string, credentialJSON []byte, deviceToken string, c Client) (LoginResult, error) {
	if s.passkeys == nil {
		return LoginResult{}, ErrPendingLoginInvalid
	}
	return s.completePending(ctx, pendingToken, deviceToken, c, func(pl PendingLogin, u User) (string, error) {
		cer, sd, err := s.takeCeremony(ctx, handle, ceremonySecondStep)
		if errors.Is(err, ErrCeremonyInvalid) || (err == nil && (cer.PendingID != pl.ID || cer.UserID != u.ID)) {
			s.passkeyFailed(ctx, u.ID, "second_factor", "ceremony", c)
			return "", nil
		} else if err != nil {
			return "", err
		}
		if _, err := s.verifyAssertion(ctx, u, sd, credentialJSON, "second_factor", c); errors.Is(err, ErrPasskeyInvalid) {
			return "", nil
		} else if err != nil {
			return "", err
		}
		return "passkey", nil
	}, ErrPasskeyInvalid)
}

// BeginPasswordlessLogin starts a sign-in with a discoverable passkey
// alone; the browser lets the person pick one. User verification is
// required, so the passkey counts as both factors.
func (s *Service) BeginPasswordlessLogin(ctx context.Context) (PasskeyOptions, error) {
	if s.passkeys == nil {
		return PasskeyOptions{}, ErrPasskeysNotConfigured
	}
	assertion, sd, err := s.passkeys.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("auth: begin passwordless: %w", err)
	}
	handle, err := s.saveCeremony(ctx, ceremonyPasswordless, "", "", sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return PasskeyOptions{Handle: handle, Options: assertion}, nil
}

// FinishPasswordlessLogin signs in with a discoverable passkey's
// assertion. ErrPasskeyInvalid for anything wrong (unknown credential,
// bad signature, counter regression, expired or reused challenge), each
// counted by the login throttle; a *ThrottledError while throttled.
func (s *Service) FinishPasswordlessLogin(ctx context.Context, handle string, credentialJSON []byte, deviceToken string, c Client) (LoginResult, error) {
	if s.passkeys == nil {
		return LoginResult{}, ErrPasskeysNotConfigured
	}
	if wait, err := s.blocked(ctx, addressKey(c.IP), ThrottleAddressMax); err != nil {
		return LoginResult{}, fmt.Errorf("auth: passwordless: %w", err)
	} else if wait > 0 {
		s.record(ctx, audit.Event{Type: audit.LoginThrottled, IP: c.IP, UserAgent: c.UserAgent, Details: map[string]string{"limit": "address"}})
		return LoginResult{}, &ThrottledError{RetryAfter: wait}
	}
	failAddr := func(reason string) (LoginResult, error) {
		s.addFailure(ctx, addressKey(c.IP))
		s.passkeyFailed(ctx, "", "passwordless", reason, c)
		return LoginResult{}, ErrPasskeyInvalid
	}
	_, sd, err := s.takeCeremony(ctx, handle, ceremonyPasswordless)
	if errors.Is(err, ErrCeremonyInvalid) {
		return failAddr("ceremony")
	} else if err != nil {
		return LoginResult{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credentialJSON)
	if err != nil {
		return failAddr("malformed")
	}
	pk, err := s.passkeys.store.PasskeyByCredentialID(ctx, parsed.RawID)
	if errors.Is(err, ErrNotFound) {
		return failAddr("unknown_credential")
	} else if err != nil {
		return LoginResult{}, fmt.Errorf("auth: passwordless: %w", err)
	}
	// The credential and the user handle must name the same account.
	if subtle.ConstantTimeCompare(parsed.Response.UserHandle, []byte(pk.UserID)) != 1 {
		return failAddr("user_handle")
	}
	u, err := s.store.UserByID(ctx, pk.UserID)
	if errors.Is(err, ErrNotFound) {
		return failAddr("unknown_credential")
	} else if err != nil {
		return LoginResult{}, fmt.Errorf("auth: passwordless: %w", err)
	}
	var device Device
	trusted := false
	if deviceToken != "" {
		if d, err := s.store.DeviceByHash(ctx, hashSecret(deviceToken)); err == nil && d.UserID == u.ID {
			device, trusted = d, true
		}
	}
	limitKey := accountKey(u.Email)
	if trusted {
		limitKey = deviceKey(device.ID)
	}
	if wait, err := s.blocked(ctx, limitKey, ThrottleAccountMax); err != nil {
		return LoginResult{}, fmt.Errorf("auth: passwordless: %w", err)
	} else if wait > 0 {
		return LoginResult{}, &ThrottledError{RetryAfter: wait}
	}
	if _, err := s.verifyParsedAssertion(ctx, u, sd, parsed, "passwordless", c); errors.Is(err, ErrPasskeyInvalid) {
		s.addFailure(ctx, addressKey(c.IP))
		s.addFailure(ctx, accountKey(u.Email))
		if trusted {
			s.addFailure(ctx, deviceKey(device.ID))
		}
		return LoginResult{}, ErrPasskeyInvalid
	} else if err != nil {
		return LoginResult{}, err
	}
	return s.finishLogin(ctx, u, device, trusted, "passkey_passwordless", c)
}

// verifyAssertion parses and checks an assertion by one of u's passkeys.
func (s *Service) verifyAssertion(ctx context.Context, u User, sd webauthn.SessionData, credentialJSON []byte, during string, c Client) (Passkey, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credentialJSON)
	if err != nil {
		s.passkeyFailed(ctx, u.ID, during, "malformed", c)
		return Passkey{}, ErrPasskeyInvalid
	}
	return s.verifyParsedAssertion(ctx, u, sd, parsed, during, c)
}

// verifyParsedAssertion checks the signature, challenge, origin, RP ID,
// flags and counter against u's own passkeys only, so a credential of
// another account is refused, and records the use. ErrPasskeyInvalid
// for any refusal, after recording it.
func (s *Service) verifyParsedAssertion(ctx context.Context, u User, sd webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData, during string, c Client) (Passkey, error) {
	w, pks, err := s.webauthnUser(ctx, u)
	if err != nil {
		return Passkey{}, err
	}
	var pk Passkey
	found := false
	for _, p := range pks {
		if bytes.Equal(p.CredentialID, parsed.RawID) {
			pk, found = p, true
		}
	}
	if !found {
		s.passkeyFailed(ctx, u.ID, during, "not_this_account", c)
		return Passkey{}, ErrPasskeyInvalid
	}
	var cred *webauthn.Credential
	if len(sd.UserID) == 0 { // a discoverable (passwordless) ceremony names no user in advance
		_, cred, err = s.passkeys.wa.ValidatePasskeyLogin(func(_, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(userHandle, w.WebAuthnID()) {
				return nil, ErrPasskeyInvalid
			}
			return w, nil
		}, sd, parsed)
	} else {
		cred, err = s.passkeys.wa.ValidateLogin(w, sd, parsed)
	}
	if err != nil {
		s.log.InfoContext(ctx, "passkey assertion refused", "err", err)
		s.passkeyFailed(ctx, u.ID, during, "not_verified", c)
		return Passkey{}, ErrPasskeyInvalid
	}
	if cred.Authenticator.CloneWarning {
		s.record(ctx, audit.Event{Type: audit.PasskeyCloneSuspected, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"passkey_id": pk.ID, "during": during}})
		s.passkeyFailed(ctx, u.ID, during, "sign_count", c)
		return Passkey{}, ErrPasskeyInvalid
	}
	switch err := s.passkeys.store.RecordPasskeyUse(ctx, pk.ID, cred.Authenticator.SignCount, cred.Flags.BackupState, s.now().UTC()); {
	case errors.Is(err, ErrPasskeyCounter):
		// Another replica accepted the same or a later count meanwhile.
		s.record(ctx, audit.Event{Type: audit.PasskeyCloneSuspected, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"passkey_id": pk.ID, "during": during}})
		s.passkeyFailed(ctx, u.ID, during, "sign_count", c)
		return Passkey{}, ErrPasskeyInvalid
	case err != nil:
		return Passkey{}, fmt.Errorf("auth: passkey use: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.PasskeyUsed, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"passkey_id": pk.ID, "during": during}})
	return pk, nil
}

func (s *Service) passkeyFailed(ctx context.Context, userID, during, reason string, c Client) {
	s.record(ctx, audit.Event{Type: audit.PasskeyFailed, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"during": during, "reason": reason}})
}

// SweepWebAuthnCeremonies deletes ceremonies that have expired.
func (s *Service) SweepWebAuthnCeremonies(ctx context.Context) (int, error) {
	if s.passkeys == nil {
		return 0, nil
	}
	return s.passkeys.store.DeleteExpiredWebAuthnCeremonies(ctx, s.now().UTC())
}

// CredentialIDString is the base64url form browsers use for a
// credential id; for display and tests.
func CredentialIDString(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }
