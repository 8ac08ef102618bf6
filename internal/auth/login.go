package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// LoginRequest is a password sign-in.
type LoginRequest struct {
	Email    string
	Password string
	// DeviceToken is the device cookie the browser presented, if any.
	DeviceToken string
	Client      Client
	// OTP is a TOTP or recovery code, needed when the account has a
	// second factor; without it Login returns a *MFARequiredError.
	OTP string
	// StartPending asks, when a second factor is needed and OTP is empty,
	// for a pending sign-in to finish with CompleteLogin (two-step forms).
	StartPending bool
}

// LoginResult is a successful sign-in.
type LoginResult struct {
	User         User
	Session      Session
	SessionToken string // secret; goes into the session cookie only
	// DeviceToken is set when the browser should store a new device
	// cookie (it had none valid for this account).
	DeviceToken string
}

// Login checks the credentials and opens a new session with a fresh token
// (never reusing one the browser brought along). Wrong e-mail and wrong
// password give the same error, in about the same time.
func (s *Service) Login(ctx context.Context, req LoginRequest) (LoginResult, error) {
	c := req.Client
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		return LoginResult{}, ErrInvalidCredentials
	}
	if wait, err := s.blocked(ctx, addressKey(c.IP), ThrottleAddressMax); err != nil {
		return LoginResult{}, fmt.Errorf("auth: login: %w", err)
	} else if wait > 0 {
		s.record(ctx, audit.Event{Type: audit.LoginThrottled, IP: c.IP, UserAgent: c.UserAgent, Details: map[string]string{"limit": "address"}})
		return LoginResult{}, &ThrottledError{RetryAfter: wait}
	}

	u, err := s.store.UserByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return LoginResult{}, fmt.Errorf("auth: login: %w", err)
	}

	// A browser that signed in to this account before keeps working
	// while the account is under attack.
	var device Device
	trusted := false
	if req.DeviceToken != "" && known {
		if d, err := s.store.DeviceByHash(ctx, hashSecret(req.DeviceToken)); err == nil && d.UserID == u.ID {
			device, trusted = d, true
		}
	}
	limitKey, limitName := accountKey(email), "account"
	if trusted {
		limitKey, limitName = deviceKey(device.ID), "device"
	}
	if wait, err := s.blocked(ctx, limitKey, ThrottleAccountMax); err != nil {
		return LoginResult{}, fmt.Errorf("auth: login: %w", err)
	} else if wait > 0 {
		s.record(ctx, audit.Event{Type: audit.LoginThrottled, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent, Details: map[string]string{"limit": limitName}})
		return LoginResult{}, &ThrottledError{RetryAfter: wait}
	}

	hash := s.dummyHash
	if known {
		hash = u.PasswordHash
	}
	ok, rehash, err := VerifyPassword(hash, req.Password, s.cfg.Password)
	if err != nil {
		return LoginResult{}, fmt.Errorf("auth: login: %w", err)
	}
	if !ok || !known {
		s.addFailure(ctx, addressKey(c.IP))
		s.addFailure(ctx, accountKey(email))
		if trusted {
			s.addFailure(ctx, deviceKey(device.ID))
		}
		reason := "bad_password"
		if !known {
			reason = "unknown_account"
		}
		s.record(ctx, audit.Event{Type: audit.LoginFailed, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent, Details: map[string]string{"reason": reason}})
		return LoginResult{}, ErrInvalidCredentials
	}
	if u.Disabled() { // said only to who knows the password, before any code is asked for
		return LoginResult{}, s.refuseDisabled(ctx, u, c)
	}

	now := s.now().UTC()
	if rehash {
		if h, err := HashPassword(req.Password, s.cfg.Password); err == nil {
			if err := s.store.SetPasswordHash(ctx, u.ID, h, now); err != nil {
				s.log.ErrorContext(ctx, "password rehash not stored", "err", err)
			} else {
				s.record(ctx, audit.Event{Type: audit.PasswordRehashed, SubjectID: u.ID})
			}
		}
	}
	method := ""
	if on, err := s.mfaEnabled(ctx, u.ID); err != nil {
		return LoginResult{}, fmt.Errorf("auth: login: %w", err)
	} else if on {
		if strings.TrimSpace(req.OTP) == "" {
			e := &MFARequiredError{}
			if e.Passkey, err = s.hasPasskeys(ctx, u.ID); err != nil {
				return LoginResult{}, fmt.Errorf("auth: login: %w", err)
			}
			if req.StartPending {
				if u, err = s.store.UserByID(ctx, u.ID); err != nil { // the hash as it is now, after any rehash
					return LoginResult{}, fmt.Errorf("auth: login: %w", err)
				}
				if e.PendingToken, err = s.startPending(ctx, u, device.ID, c); err != nil {
					return LoginResult{}, err
				}
			}
			return LoginResult{}, e
		}
		method, err = s.verifySecondFactor(ctx, u, req.OTP, "login", c)
		if err != nil {
			return LoginResult{}, fmt.Errorf("auth: login: %w", err)
		}
		if method == "" {
			// Counted like a wrong password, so codes cannot be guessed.
			s.addFailure(ctx, addressKey(c.IP))
			s.addFailure(ctx, accountKey(email))
			if trusted {
				s.addFailure(ctx, deviceKey(device.ID))
			}
			return LoginResult{}, ErrInvalidOTP
		}
	}
	return s.finishLogin(ctx, u, device, trusted, method, c)
}

// finishLogin ends a successful sign-in: it clears the account's failure
// count, makes a device cookie for a browser not known yet, and opens the
// session. method names the second factor used, or "".
func (s *Service) finishLogin(ctx context.Context, u User, device Device, trusted bool, method string, c Client) (LoginResult, error) {
	if u.Disabled() { // every sign-in path ends here: codes, passkeys, passwordless
		return LoginResult{}, s.refuseDisabled(ctx, u, c)
	}
	now := s.now().UTC()
	var err error
	if err := s.store.ClearLoginFailures(ctx, accountKey(u.Email)); err != nil {
		s.log.ErrorContext(ctx, "login failures not cleared", "err", err)
	}
	res := LoginResult{User: u}
	if !trusted {
		secret, h := newSecret(devicePrefix)
		if err := s.store.CreateDevice(ctx, Device{ID: newID(), UserID: u.ID, Hash: h, CreatedAt: now}); err != nil {
			return LoginResult{}, fmt.Errorf("auth: login: %w", err)
		}
		res.DeviceToken = secret
	}
	res.Session, res.SessionToken, err = s.newSession(ctx, u.ID, c)
	if err != nil {
		return LoginResult{}, err
	}
	details := map[string]string{"session_id": res.Session.ID}
	if method != "" {
		details["second_factor"] = method
	}
	s.record(ctx, audit.Event{Type: audit.LoginSucceeded, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: details})
	return res, nil
}

func (s *Service) newSession(ctx context.Context, userID string, c Client) (Session, string, error) {
	secret, hash := newSecret(sessionPrefix)
	now := s.now().UTC()
	ss := Session{
		ID: newID(), UserID: userID, TokenHash: hash,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionMaxAge),
		IP: c.IP, UserAgent: truncate(c.UserAgent, 512),
	}
	if err := s.store.CreateSession(ctx, ss); err != nil {
		return Session{}, "", fmt.Errorf("auth: new session: %w", err)
	}
	return ss, secret, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// AuthenticateSession resolves a session cookie's token. An unknown,
// expired or idle session yields ErrUnauthenticated; expired ones are
// deleted on the spot.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*access.Principal, error) {
	if !strings.HasPrefix(token, sessionPrefix) {
		return nil, ErrUnauthenticated
	}
	ss, err := s.store.SessionByHash(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthenticated
	} else if err != nil {
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	now := s.now()
	if !now.Before(ss.ExpiresAt) || now.Sub(ss.LastSeenAt) >= s.cfg.SessionIdle {
		if err := s.store.DeleteSession(ctx, ss.UserID, ss.ID); err != nil && !errors.Is(err, ErrNotFound) {
			s.log.ErrorContext(ctx, "expired session not deleted", "err", err)
		}
		return nil, ErrUnauthenticated
	}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, ss.ID, now.UTC()); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("auth: touch session: %w", err)
		}
	}
	u, err := s.store.UserByID(ctx, ss.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthenticated
	} else if err != nil {
		return nil, fmt.Errorf("auth: session user: %w", err)
	}
	if u.Disabled() { // disabling deleted the sessions too; this is the second line
		return nil, ErrUnauthenticated
	}
	p := &access.Principal{UserID: u.ID, Roles: u.Roles, Via: access.ViaSession, SessionID: ss.ID}
	if err := s.markEnrollment(ctx, p, u); err != nil {
		return nil, err
	}
	return p, nil
}

// AuthenticateToken resolves a personal access token (Bearer).
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*access.Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, ErrUnauthenticated
	}
	t, err := s.store.TokenByHash(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthenticated
	} else if err != nil {
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	now := s.now()
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.store.TouchToken(ctx, t.ID, now.UTC()); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("auth: touch token: %w", err)
		}
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthenticated
	} else if err != nil {
		return nil, fmt.Errorf("auth: token user: %w", err)
	}
	if u.Disabled() { // disabling deleted the tokens too; this is the second line
		return nil, ErrUnauthenticated
	}
	p := &access.Principal{UserID: u.ID, Roles: u.Roles, Via: access.ViaToken, TokenID: t.ID}
	if err := s.markEnrollment(ctx, p, u); err != nil {
		return nil, err
	}
	return p, nil
}

// Logout ends the caller's current session.
func (s *Service) Logout(ctx context.Context, p *access.Principal, c Client) error {
	if p.SessionID == "" {
		return nil // token callers have no session to end
	}
	if err := s.store.DeleteSession(ctx, p.UserID, p.SessionID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("auth: logout: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.Logout, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"session_id": p.SessionID}})
	return nil
}

// EndReplacedSession ends the session whose token a browser still held
// when it signed in again: signing in issues a new session and ends the
// old one (ASVS V7.2.4), whoever it belonged to. An unknown or expired
// token is nothing to end.
func (s *Service) EndReplacedSession(ctx context.Context, token string, c Client) error {
	if !strings.HasPrefix(token, sessionPrefix) {
		return nil
	}
	ss, err := s.store.SessionByHash(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("auth: end replaced session: %w", err)
	}
	if err := s.store.DeleteSession(ctx, ss.UserID, ss.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("auth: end replaced session: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.Logout, ActorID: ss.UserID, SubjectID: ss.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"session_id": ss.ID, "reason": "signed in again"}})
	return nil
}

// Sessions lists the user's sessions, most recently used first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]Session, error) {
	ss, err := s.store.SessionsOf(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("auth: sessions: %w", err)
	}
	now := s.now()
	live := ss[:0]
	for _, x := range ss {
		if now.Before(x.ExpiresAt) && now.Sub(x.LastSeenAt) < s.cfg.SessionIdle {
			live = append(live, x)
		}
	}
	return live, nil
}

// RevokeSession ends one of p's sessions. Ending another session than
// the caller's own needs re-authentication with one factor (r); ending
// the caller's own is signing out and needs none. ErrNotFound when the
// session is not theirs.
func (s *Service) RevokeSession(ctx context.Context, p *access.Principal, sessionID string, r Reauth, c Client) error {
	userID := p.UserID
	if sessionID != p.SessionID {
		if _, err := s.confirmOneFactor(ctx, p, r, c); err != nil {
			return err
		}
	}
	if err := s.store.DeleteSession(ctx, userID, sessionID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("auth: revoke session: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.SessionRevoked, ActorID: userID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"session_id": sessionID}})
	return nil
}

// SweepSessions deletes expired and idle sessions; run periodically.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	now := s.now().UTC()
	if _, err := s.SweepPendingLogins(ctx); err != nil {
		s.log.ErrorContext(ctx, "expired pending sign-ins not deleted", "err", err)
	}
	if _, err := s.SweepWebAuthnCeremonies(ctx); err != nil {
		s.log.ErrorContext(ctx, "expired passkey ceremonies not deleted", "err", err)
	}
	return s.store.DeleteExpiredSessions(ctx, now, now.Add(-s.cfg.SessionIdle))
}

// ErrInvalidTokenName is returned for an empty or over-long token name.
var ErrInvalidTokenName = errors.New("give the token a name of at most 100 characters")

// CreateToken makes a personal access token for the API after
// re-authentication with every factor the account has (see Reauth): a
// token signs in on its own, without a second factor, so making one needs
// the same proof as signing in. Only a signed-in session may make one;
// a token cannot make more (ErrSessionRequired). The secret is returned
// once and stored only as a hash.
func (s *Service) CreateToken(ctx context.Context, p *access.Principal, name string, r Reauth, c Client) (Token, string, error) {
	n, err := checkName(name)
	if err != nil || len([]rune(n)) > 100 {
		return Token{}, "", ErrInvalidTokenName
	}
	if p.Via != access.ViaSession {
		return Token{}, "", ErrSessionRequired
	}
	if _, err := s.confirmIdentity(ctx, p, r, false, c); err != nil {
		return Token{}, "", err
	}
	userID := p.UserID
	secret, hash := newSecret(tokenPrefix)
	t := Token{ID: newID(), UserID: userID, Name: n, Hash: hash, CreatedAt: s.now().UTC()}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return Token{}, "", fmt.Errorf("auth: create token: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.TokenCreated, ActorID: userID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"token_id": t.ID, "name": t.Name}})
	return t, secret, nil
}

// Tokens lists the user's tokens (without secrets).
func (s *Service) Tokens(ctx context.Context, userID string) ([]Token, error) {
	ts, err := s.store.TokensOf(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("auth: tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken deletes one of userID's tokens; it stops working at once.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID string, c Client) error {
	if err := s.store.DeleteToken(ctx, userID, tokenID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.TokenRevoked, ActorID: userID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"token_id": tokenID}})
	return nil
}
