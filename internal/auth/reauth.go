package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// Re-authentication. A signed-in session proves only that someone holds
// its cookie. Before a change that would let that someone keep the
// account (a new password, a second factor added or removed, a personal
// access token) the caller proves again who they are, with every factor
// the account signs in with: the password and, when on, the current
// second factor (a TOTP or recovery code; or, for accounts whose only
// second factor is passkeys, an assertion by one of them). Ending other
// sessions needs one factor (ASVS 7.5.2). Wrong answers count as sign-in
// failures, so a stolen session cannot be used to guess either.

// Reauth is the proof of identity a sensitive change carries.
type Reauth struct {
	Password string
	// Code is a TOTP or recovery code; needed when TOTP is on.
	Code string
	// PasskeyHandle (from BeginPasskeyReauth) and PasskeyAssertion (the
	// browser's answer, as JSON) are needed when passkeys are the
	// account's only second factor.
	PasskeyHandle    string
	PasskeyAssertion []byte
}

// ErrReauthRequired is returned when a change needs the current password.
var ErrReauthRequired = errors.New("enter your current password to confirm")

// confirmIdentity checks r against every factor p's account signs in
// with and returns the account. With needTOTP, TOTP being on is itself a
// requirement (ErrMFANotOn otherwise).
func (s *Service) confirmIdentity(ctx context.Context, p *access.Principal, r Reauth, needTOTP bool, c Client) (User, error) {
	u, err := s.checkReauthPassword(ctx, p, r.Password)
	if err != nil {
		return User{}, err
	}
	totpOn, err := s.totpEnabled(ctx, u.ID)
	if err != nil {
		return User{}, err
	}
	switch {
	case totpOn:
		if strings.TrimSpace(r.Code) == "" {
			return User{}, ErrMFARequired
		}
		method, err := s.verifySecondFactor(ctx, u, r.Code, "reauthentication", c)
		if err != nil {
			return User{}, err
		}
		if method == "" {
			s.addFailure(ctx, accountKey(u.Email))
			return User{}, ErrInvalidOTP
		}
		return u, nil
	case needTOTP:
		return User{}, ErrMFANotOn
	}
	has, err := s.hasPasskeys(ctx, u.ID)
	if err != nil {
		return User{}, err
	}
	if has {
		if err := s.confirmPasskey(ctx, u, r, c); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// confirmOneFactor checks one factor: a passkey assertion when r carries
// one, otherwise the password.
func (s *Service) confirmOneFactor(ctx context.Context, p *access.Principal, r Reauth, c Client) (User, error) {
	if r.PasskeyHandle == "" && len(r.PasskeyAssertion) == 0 {
		return s.checkReauthPassword(ctx, p, r.Password)
	}
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return User{}, fmt.Errorf("auth: re-authenticate: %w", err)
	}
	if err := s.throttled(ctx, u); err != nil {
		return User{}, err
	}
	if err := s.confirmPasskey(ctx, u, r, c); err != nil {
		return User{}, err
	}
	return u, nil
}

// checkReauthPassword checks p's current password, under the account's
// sign-in throttle.
func (s *Service) checkReauthPassword(ctx context.Context, p *access.Principal, password string) (User, error) {
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return User{}, fmt.Errorf("auth: re-authenticate: %w", err)
	}
	if password == "" {
		return User{}, ErrReauthRequired
	}
	if err := s.throttled(ctx, u); err != nil {
		return User{}, err
	}
	if ok, _, err := VerifyPassword(u.PasswordHash, password, s.cfg.Password); err != nil {
		return User{}, fmt.Errorf("auth: re-authenticate: %w", err)
	} else if !ok {
		s.addFailure(ctx, accountKey(u.Email))
		return User{}, ErrWrongPassword
	}
	return u, nil
}

func (s *Service) throttled(ctx context.Context, u User) error {
	if wait, err := s.blocked(ctx, accountKey(u.Email), ThrottleAccountMax); err != nil {
		return fmt.Errorf("auth: re-authenticate: %w", err)
	} else if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// confirmPasskey checks the passkey assertion in r, made for a ceremony
// BeginPasskeyReauth started for u.
func (s *Service) confirmPasskey(ctx context.Context, u User, r Reauth, c Client) error {
	if s.passkeys == nil {
		return ErrPasskeysNotConfigured
	}
	if r.PasskeyHandle == "" || len(r.PasskeyAssertion) == 0 {
		return ErrPasskeyRequired
	}
	cer, sd, err := s.takeCeremony(ctx, r.PasskeyHandle, ceremonyReauth)
	if err == nil && cer.UserID != u.ID {
		err = ErrCeremonyInvalid
	}
	if err == nil {
		_, err = s.verifyAssertion(ctx, u, sd, r.PasskeyAssertion, "reauthentication", c)
	} else if errors.Is(err, ErrCeremonyInvalid) {
		s.passkeyFailed(ctx, u.ID, "reauthentication", "ceremony", c)
	}
	if errors.Is(err, ErrCeremonyInvalid) || errors.Is(err, ErrPasskeyInvalid) {
		s.addFailure(ctx, accountKey(u.Email))
		return ErrPasskeyInvalid
	}
	return err
}

// factorsChanged ends every other session and every personal access
// token of the account after its sign-in factors changed (password, TOTP,
// passkeys): whoever held one of them got it under the old factors, and
// the change may be the owner taking the account back (ASVS 7.4.3). The
// caller's own session (keepSessionID) stays. It returns the counts for
// the audit event.
func (s *Service) factorsChanged(ctx context.Context, userID, keepSessionID string) (sessions, tokens int, err error) {
	sessions, err = s.store.DeleteSessionsExcept(ctx, userID, keepSessionID)
	if err != nil {
		return 0, 0, fmt.Errorf("auth: end other sessions: %w", err)
	}
	tokens, err = s.store.DeleteTokensOf(ctx, userID)
	if err != nil {
		return sessions, 0, fmt.Errorf("auth: revoke tokens: %w", err)
	}
	return sessions, tokens, nil
}

// factorChangeDetails adds the counts of factorsChanged to an audit event's
// details.
func factorChangeDetails(d map[string]string, sessions, tokens int) map[string]string {
	if d == nil {
		d = map[string]string{}
	}
	d["other_sessions_ended"] = fmt.Sprint(sessions)
	d["tokens_revoked"] = fmt.Sprint(tokens)
	return d
}

// RevokeOtherSessions signs out every session of p's account but the
// caller's own ("sign out everywhere else"), after re-authentication with
// one factor. Personal access tokens are not sessions and stay.
func (s *Service) RevokeOtherSessions(ctx context.Context, p *access.Principal, r Reauth, c Client) (int, error) {
	u, err := s.confirmOneFactor(ctx, p, r, c)
	if err != nil {
		return 0, err
	}
	n, err := s.store.DeleteSessionsExcept(ctx, u.ID, p.SessionID)
	if err != nil {
		return 0, fmt.Errorf("auth: revoke other sessions: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.SessionRevoked, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"scope": "others", "sessions_ended": fmt.Sprint(n)}})
	return n, nil
}

// ErrSessionRequired is returned when a personal access token asks for
// what only a signed-in session may do.
var ErrSessionRequired = errors.New("sign in to do this: a personal access token cannot")
