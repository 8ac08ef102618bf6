package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"safelight/internal/audit"
	"safelight/internal/mail"
)

// E-mail: password reset, address verification and the notice sent when
// someone signs up with an address that has an account.
//
// Links carry a 256-bit random token with a recognizable prefix (slr_ for
// a reset, slv_ for a verification); only its SHA-256 is stored. A token
// works once, until it expires, and a newer one of the same kind replaces
// every older one of the account.
//
// Mail is sent in the background, after the answer: whether an address has
// an account changes only what happens there, never how long the request
// takes or what it answers.

// TokenPurpose says what an e-mailed token is for.
type TokenPurpose string

const (
	PurposePasswordReset TokenPurpose = "password_reset"
	PurposeVerifyEmail   TokenPurpose = "verify_email"
)

// Lifetimes and cooldowns of e-mailed links.
const (
	ResetTokenTTL  = 30 * time.Minute
	VerifyTokenTTL = 24 * time.Hour
	// ResetCooldown: a reset asked for again within this time of the last
	// one sends nothing (the earlier link still works), so nobody can fill
	// an inbox by pressing the button.
	ResetCooldown = time.Minute
	// VerifyResendCooldown is how long a user waits between verification
	// e-mails.
	VerifyResendCooldown = 2 * time.Minute
	// duplicateNoticeWindow: at most one "someone tried to sign up with
	// your address" mail per account in this time.
	duplicateNoticeWindow = time.Hour
	// mailTimeout bounds one background delivery, token and mail.
	mailTimeout = 2 * time.Minute
)

const (
	resetPrefix  = "slr_"
	verifyPrefix = "slv_"
)

// Errors of e-mailed links; their messages are safe to show.
var (
	ErrTokenInvalid         = errors.New("this link is not valid; it may have been replaced by a newer one, so use the latest e-mail or ask for a new link")
	ErrTokenUsed            = errors.New("this link has been used already; ask for a new one if you need it")
	ErrTokenExpired         = errors.New("this link has expired; ask for a new one")
	ErrEmailAlreadyVerified = errors.New("your e-mail address is verified already")
)

// CooldownError says an e-mail was sent too recently to send another.
type CooldownError struct {
	RetryAfter time.Duration
}

func (e *CooldownError) Error() string {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	return fmt.Sprintf("an e-mail was sent a moment ago; check your inbox (and spam folder), or try again in %d second%s", secs, plural(secs))
}

// EmailToken is a single-use token sent by e-mail. Only its hash is stored.
type EmailToken struct {
	ID        string
	UserID    string
	Purpose   TokenPurpose
	Hash      []byte
	Email     string // the address the link was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// EmailStore is the persistence of e-mailed tokens and address
// verification; implemented by package sqlstore.
type EmailStore interface {
	// CreateEmailToken stores t and, in the same transaction, deletes
	// every other token of t.UserID for t.Purpose: only the newest link
	// works.
	CreateEmailToken(ctx context.Context, t EmailToken) error
	// LatestEmailToken returns the newest token of userID for purpose;
	// ErrNotFound when there is none.
	LatestEmailToken(ctx context.Context, userID string, purpose TokenPurpose) (EmailToken, error)
	// UseEmailToken marks the token with hash and purpose used at at and
	// returns it, atomically, so that a token works once however many
	// requests race. ErrTokenInvalid when there is no such token,
	// ErrTokenUsed when it was used, ErrTokenExpired when it expired at
	// or before at.
	UseEmailToken(ctx context.Context, purpose TokenPurpose, hash []byte, at time.Time) (EmailToken, error)
	// EmailTokenByHash returns the token with hash and purpose, used or
	// not, without changing it; ErrTokenInvalid when there is none.
	EmailTokenByHash(ctx context.Context, purpose TokenPurpose, hash []byte) (EmailToken, error)
	// SetEmailVerified records that the owner of userID read email, if
	// email is still the account's address and it was not verified
	// before (the first time is kept). ErrNotFound when the account has
	// another address or does not exist.
	SetEmailVerified(ctx context.Context, userID, email string, at time.Time) error
}

// MailOptions turn on e-mail in a Service.
type MailOptions struct {
	Mailer    mail.Mailer
	Store     EmailStore
	PublicURL string // scheme and host, for links; no trailing slash
}

// mailer is the e-mail side of a Service; nil until SetMail.
type mailer struct {
	MailOptions
	pending pending
}

// SetMail turns on password reset, address verification and the
// duplicate sign-up notice. Call it before the Service serves requests.
// Without it those mails are not sent and links never work.
func (s *Service) SetMail(o MailOptions) {
	o.PublicURL = strings.TrimSuffix(o.PublicURL, "/")
	s.mail = &mailer{MailOptions: o}
}

// pending counts background deliveries, so that FlushMail can wait.
type pending struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (p *pending) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.idle = make(chan struct{})
	}
	p.n++
}

func (p *pending) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n--
	if p.n == 0 {
		close(p.idle)
	}
}

func (p *pending) wait(ctx context.Context) error {
	p.mu.Lock()
	if p.n == 0 {
		p.mu.Unlock()
		return nil
	}
	idle := p.idle
	p.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FlushMail waits until every mail queued before the call has been handed
// to the mailer (or failed, which is logged), or until ctx ends. Shutdown
// and tests call it.
func (s *Service) FlushMail(ctx context.Context) error {
	if s.mail == nil {
		return nil
	}
	return s.mail.pending.wait(ctx)
}

// background runs fn after the request, with its own deadline; a failure
// is logged, never shown (the answer has gone already).
func (s *Service) background(ctx context.Context, what string, fn func(ctx context.Context, m *mailer) error) {
	m := s.mail
	if m == nil {
		s.log.WarnContext(ctx, what+" mail not sent: e-mail is not configured")
		return
	}
	m.pending.add()
	go func() {
		defer m.pending.done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
		defer cancel()
		if err := fn(ctx, m); err != nil {
			s.log.ErrorContext(ctx, what+" mail not sent", "err", err)
		}
	}()
}

func (s *Service) emailStore() (EmailStore, error) {
	if s.mail == nil {
		return nil, ErrTokenInvalid // no link was ever sent by this instance
	}
	return s.mail.Store, nil
}

// RequestPasswordReset mails a password-reset link to email if an account
// uses it. The answer is the same, in about the same time, whether or not
// one does: the lookup and the token are made either way, and storing the
// token and sending the mail happen in the background. Only a malformed
// address is an error (ErrInvalidEmail), which reveals nothing.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, c Client) error {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return ErrInvalidEmail
	}
	secret, hash := newSecret(resetPrefix)
	u, err := s.store.UserByEmail(ctx, addr)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("auth: password reset: %w", err)
	}
	known := err == nil
	ev := audit.Event{Type: audit.PasswordResetRequested, IP: c.IP, UserAgent: c.UserAgent}
	if known {
		ev.SubjectID = u.ID
	} else {
		// Never the typed address: it names no account.
		ev.Details = map[string]string{"account": "unknown"}
	}
	if known && u.Disabled() {
		// Same answer, no mail: a reset does not enable an account.
		ev.Details = map[string]string{"account": "disabled"}
	}
	s.record(ctx, ev)
	if !known || u.Disabled() {
		return nil
	}
	now := s.now().UTC()
	s.background(ctx, "password reset", func(ctx context.Context, m *mailer) error {
		if last, err := m.Store.LatestEmailToken(ctx, u.ID, PurposePasswordReset); err == nil && now.Sub(last.CreatedAt) < ResetCooldown {
			s.log.InfoContext(ctx, "password reset mail not sent again so soon", "user_id", u.ID)
			return nil
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		t := EmailToken{ID: newID(), UserID: u.ID, Purpose: PurposePasswordReset, Hash: hash, Email: u.Email,
			CreatedAt: now, ExpiresAt: now.Add(ResetTokenTTL)}
		if err := m.Store.CreateEmailToken(ctx, t); err != nil {
			return err
		}
		return m.Mailer.Send(ctx, resetMessage(u, m.PublicURL+"/reset-password?token="+secret))
	})
	return nil
}

// ResetPassword sets a new password with a reset token. The password must
// pass checkNewPassword; it is checked before the token is spent, so a
// refused password leaves the link working, except for the account's own
// context words, which are known only once the token has named the
// account: a password made of those uses up the link. Every session and personal
// access token of the account ends (pending sign-ins die with the old password hash). It does not sign
// in: the user signs in as usual, second factor included.
func (s *Service) ResetPassword(ctx context.Context, token, password string, c Client) error {
	store, err := s.emailStore()
	if err != nil {
		return err
	}
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, resetPrefix) {
		return ErrTokenInvalid
	}
	if err := s.checkNewPassword(password, User{}); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.Password)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	// The account's own words can be checked only once the link names the
	// account: look first, without spending it, so that a refused
	// password leaves the link working.
	if peek, err := store.EmailTokenByHash(ctx, PurposePasswordReset, hashSecret(token)); err == nil && peek.UsedAt.IsZero() && now.Before(peek.ExpiresAt) {
		if owner, err := s.store.UserByID(ctx, peek.UserID); err == nil {
			if err := checkContextWords(password, s.contextWords(owner)); err != nil {
				return err
			}
		}
	}
	t, err := store.UseEmailToken(ctx, PurposePasswordReset, hashSecret(token), now)
	if err != nil {
		return tokenError("reset password", err)
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) {
		return ErrTokenInvalid
	} else if err != nil {
		return fmt.Errorf("auth: reset password: %w", err)
	}
	if u.Email != t.Email {
		return ErrTokenInvalid // the account's address changed after the mail went out
	}
	if err := s.store.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
		return fmt.Errorf("auth: reset password: %w", err)
	}
	n, tokens, err := s.factorsChanged(ctx, u.ID, "")
	if err != nil {
		return fmt.Errorf("auth: reset password: %w", err)
	}
	// The link reached the owner: the address works, and the lock an
	// attacker may have put on the account by failing to sign in can go.
	if err := store.SetEmailVerified(ctx, u.ID, u.Email, now); err != nil && !errors.Is(err, ErrNotFound) {
		s.log.ErrorContext(ctx, "e-mail not marked verified after reset", "err", err)
	}
	if err := s.store.ClearLoginFailures(ctx, accountKey(u.Email)); err != nil {
		s.log.ErrorContext(ctx, "login failures not cleared after reset", "err", err)
	}
	s.record(ctx, audit.Event{Type: audit.PasswordResetCompleted, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"sessions_ended": fmt.Sprint(n), "tokens_revoked": fmt.Sprint(tokens)}})
	return nil
}

// tokenError passes the token sentinels through and wraps anything else.
func tokenError(op string, err error) error {
	for _, e := range []error{ErrTokenInvalid, ErrTokenUsed, ErrTokenExpired} {
		if errors.Is(err, e) {
			return e
		}
	}
	return fmt.Errorf("auth: %s: %w", op, err)
}

// VerifyEmail marks an account's address verified with the token from its
// verification mail.
func (s *Service) VerifyEmail(ctx context.Context, token string, c Client) error {
	store, err := s.emailStore()
	if err != nil {
		return err
	}
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, verifyPrefix) {
		return ErrTokenInvalid
	}
	now := s.now().UTC()
	t, err := store.UseEmailToken(ctx, PurposeVerifyEmail, hashSecret(token), now)
	if err != nil {
		return tokenError("verify e-mail", err)
	}
	if err := store.SetEmailVerified(ctx, t.UserID, t.Email, now); errors.Is(err, ErrNotFound) {
		return ErrTokenInvalid // the account is gone or has another address now
	} else if err != nil {
		return fmt.Errorf("auth: verify e-mail: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.EmailVerified, SubjectID: t.UserID, IP: c.IP, UserAgent: c.UserAgent})
	return nil
}

// ResendVerification mails userID a new verification link, replacing the
// old one. ErrEmailAlreadyVerified when there is nothing to verify; a
// *CooldownError when the last one went out less than
// VerifyResendCooldown ago.
func (s *Service) ResendVerification(ctx context.Context, userID string) error {
	store, err := s.emailStore()
	if err != nil {
		return errors.New("auth: resend verification: e-mail is not configured")
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("auth: resend verification: %w", err)
	}
	if !u.EmailVerifiedAt.IsZero() {
		return ErrEmailAlreadyVerified
	}
	now := s.now().UTC()
	last, err := store.LatestEmailToken(ctx, u.ID, PurposeVerifyEmail)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("auth: resend verification: %w", err)
	}
	if err == nil {
		if wait := last.CreatedAt.Add(VerifyResendCooldown).Sub(now); wait > 0 {
			return &CooldownError{RetryAfter: wait}
		}
	}
	return s.queueVerification(ctx, u, now)
}

// queueVerification stores a new verification token for u now (so that a
// cooldown sees it at once) and mails the link in the background.
func (s *Service) queueVerification(ctx context.Context, u User, now time.Time) error {
	if s.mail == nil {
		return nil
	}
	secret, hash := newSecret(verifyPrefix)
	t := EmailToken{ID: newID(), UserID: u.ID, Purpose: PurposeVerifyEmail, Hash: hash, Email: u.Email,
		CreatedAt: now, ExpiresAt: now.Add(VerifyTokenTTL)}
	if err := s.mail.Store.CreateEmailToken(ctx, t); err != nil {
		return fmt.Errorf("auth: verification token: %w", err)
	}
	s.background(ctx, "verification", func(ctx context.Context, m *mailer) error {
		return m.Mailer.Send(ctx, verifyMessage(u, m.PublicURL+"/verify-email?token="+secret))
	})
	return nil
}

// mailAfterSignup sends a new account its verification link. Called by
// SignUp; token and mail are made in the background, like the duplicate
// notice, so that a new and a taken address take the same time. A failure
// is logged; the account exists either way.
func (s *Service) mailAfterSignup(ctx context.Context, u User) {
	now := s.now().UTC()
	s.background(ctx, "verification", func(ctx context.Context, m *mailer) error {
		secret, hash := newSecret(verifyPrefix)
		t := EmailToken{ID: newID(), UserID: u.ID, Purpose: PurposeVerifyEmail, Hash: hash, Email: u.Email,
			CreatedAt: now, ExpiresAt: now.Add(VerifyTokenTTL)}
		if err := m.Store.CreateEmailToken(ctx, t); err != nil {
			return err
		}
		return m.Mailer.Send(ctx, verifyMessage(u, m.PublicURL+"/verify-email?token="+secret))
	})
}

// mailDuplicateSignup tells the owner of an address that someone tried to
// sign up with it, at most once per duplicateNoticeWindow (counted with the
// throttle counters, so replicas agree). Called by SignUp, which answers
// as for a new account.
func (s *Service) mailDuplicateSignup(ctx context.Context, existing User) {
	now := s.now().UTC()
	s.background(ctx, "duplicate sign-up notice", func(ctx context.Context, m *mailer) error {
		n, _, err := s.store.AddLoginFailure(ctx, "notice:signup:"+existing.ID, now, duplicateNoticeWindow)
		if err != nil {
			return err
		}
		if n > 1 {
			return nil // told already within the window
		}
		return m.Mailer.Send(ctx, duplicateSignupMessage(existing, m.PublicURL))
	})
}

func resetMessage(u User, link string) mail.Message {
	return mail.Message{To: u.Email, Subject: "Reset your Safelight password", Text: fmt.Sprintf(`Hello %s,

Someone, hopefully you, asked to reset the password of your Safelight
account (%s).

To choose a new password, open this link within %d minutes:

%s

The link works once. Every device signed in to your account will be
signed out. If you set up two-step sign-in, you will still need it.

If you did not ask for this, ignore this e-mail: your password stays as
it is.
`, u.Name, u.Email, int(ResetTokenTTL/time.Minute), link)}
}

func verifyMessage(u User, link string) mail.Message {
	return mail.Message{To: u.Email, Subject: "Confirm your e-mail address for Safelight", Text: fmt.Sprintf(`Hello %s,

Please confirm that %s is your e-mail address, so that Safelight
can reach you, for example to reset a forgotten password.

Open this link within %d hours:

%s

If you did not create a Safelight account, ignore this e-mail.
`, u.Name, u.Email, int(VerifyTokenTTL/time.Hour), link)}
}

func duplicateSignupMessage(u User, publicURL string) mail.Message {
	return mail.Message{To: u.Email, Subject: "Someone tried to create a Safelight account with your address", Text: fmt.Sprintf(`Hello %s,

Someone tried to create a new Safelight account with your e-mail address
(%s). You already have an account, so none was created and
yours was not changed.

If it was you: sign in at %s/login
If you forgot your password, reset it at %s/forgot-password

If it was not you, you need not do anything.
`, u.Name, u.Email, publicURL, publicURL)}
}
