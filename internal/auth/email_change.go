package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/mail"
)

// Changing the sign-in address (GDPR Art. 16, rectification).
//
// The owner asks with the new address and the proof a sign-in needs
// (ConfirmIdentity). A link (prefix slc_, ChangeEmailTokenTTL, single use,
// only its hash stored) goes to the new address and a notice to the old
// one; nothing changes until the link is opened. The answer is the same
// whether or not the new address already belongs to an account, so the
// form tells nobody which addresses have accounts: the link is sent either
// way and refused when opened, which also covers an address taken between
// the request and the click (the unique index on users.email decides).
//
// Opening the link changes the address, marks it verified and ends every
// other session of the account. Project and organization memberships and
// jury invitations are bound to the verified address: after a change they
// follow the address, not the account.

// PurposeChangeEmail is the token kind of an e-mail change link.
const PurposeChangeEmail TokenPurpose = "change_email"

// ChangeEmailTokenTTL is how long an e-mail change link works.
const ChangeEmailTokenTTL = 24 * time.Hour

const changeEmailPrefix = "slc_"

// Errors of the e-mail change; their messages are safe to show.
var (
	ErrEmailUnchanged     = errors.New("this is already your e-mail address")
	ErrEmailChangeTaken   = errors.New("this address now belongs to another Safelight account, so your address was not changed")
	ErrEmailChangeAccount = errors.New("this link was sent for another account than the one signed in here; sign out, then open the link again")
	ErrMailNotConfigured  = errors.New("this instance cannot send e-mail, so the address cannot be changed here; ask its administrator")
)

// EmailChangeStore changes an account's address; implemented by package
// sqlstore next to EmailStore.
type EmailChangeStore interface {
	// ChangeEmail sets userID's address to email, verified at at.
	// ErrEmailTaken when another account has it, ErrNotFound when the
	// account does not exist.
	ChangeEmail(ctx context.Context, userID, email string, at time.Time) error
}

// RequestEmailChange mails p's account a link that changes its address to
// newEmail, after the same proof as signing in (r). ErrInvalidEmail,
// ErrEmailUnchanged and the re-authentication errors are the only
// refusals; whether newEmail has an account changes nothing in the answer.
func (s *Service) RequestEmailChange(ctx context.Context, p *access.Principal, newEmail string, r Reauth, c Client) error {
	if s.mail == nil {
		return ErrMailNotConfigured
	}
	if _, ok := s.mail.Store.(EmailChangeStore); !ok {
		return ErrMailNotConfigured
	}
	addr, err := NormalizeEmail(newEmail)
	if err != nil {
		return ErrInvalidEmail
	}
	if p.Via != access.ViaSession {
		return ErrSessionRequired
	}
	u, err := s.confirmIdentity(ctx, p, r, false, c)
	if err != nil {
		return err
	}
	if addr == u.Email {
		return ErrEmailUnchanged
	}
	now := s.now().UTC()
	secret, hash := newSecret(changeEmailPrefix)
	t := EmailToken{ID: newID(), UserID: u.ID, Purpose: PurposeChangeEmail, Hash: hash, Email: addr,
		CreatedAt: now, ExpiresAt: now.Add(ChangeEmailTokenTTL)}
	if err := s.mail.Store.CreateEmailToken(ctx, t); err != nil {
		return fmt.Errorf("auth: e-mail change: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.EmailChangeRequested, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"from": u.Email, "to": addr}})
	s.background(ctx, "e-mail change", func(ctx context.Context, m *mailer) error {
		link := m.PublicURL + "/confirm-email-change?token=" + secret
		if err := m.send(ctx, "e-mail change link", mail.Message{To: addr, Subject: "Confirm your new e-mail address for Safelight", Text: fmt.Sprintf(`Hello %s,

Someone, hopefully you, asked to make %s the e-mail address of a
Safelight account. To confirm, open this link within %d hours:

%s

The link works once. Until it is opened, nothing changes. If you did not
ask for this, ignore this e-mail.
`, u.Name, addr, int(ChangeEmailTokenTTL/time.Hour), link)}); err != nil {
			return err
		}
		return m.send(ctx, "e-mail change notice", mail.Message{To: u.Email, Subject: "Someone asked to change the e-mail address of your Safelight account", Text: fmt.Sprintf(`Hello %s,

Someone asked to change the e-mail address of your Safelight account
(%s) to %s. The change happens only when the link sent to the
new address is opened.

If this was you, you need not do anything.

If it was not you, someone may know your password: sign in at
%s/login, change your password and sign out your other devices
(%s/account). Resetting your password also cancels the change.
`, u.Name, u.Email, MaskEmail(addr), m.PublicURL, m.PublicURL)})
	})
	return nil
}

// send hands msg, an e-mail of the given kind (see privacy.MailKinds), to
// the mailer.
func (m *mailer) send(ctx context.Context, kind string, msg mail.Message) error {
	if err := m.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	return nil
}

// ConfirmEmailChange changes the address with the token of a change link.
// p is who opens it, nil when nobody is signed in: a link of another
// account is refused (ErrEmailChangeAccount) without being spent, and the
// caller's own session is the one that stays signed in.
func (s *Service) ConfirmEmailChange(ctx context.Context, p *access.Principal, token string, c Client) error {
	store, err := s.emailStore()
	if err != nil {
		return err
	}
	cs, ok := store.(EmailChangeStore)
	if !ok {
		return ErrTokenInvalid
	}
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, changeEmailPrefix) {
		return ErrTokenInvalid
	}
	hash := hashSecret(token)
	if p != nil && p.UserID != "" {
		if peek, err := store.EmailTokenByHash(ctx, PurposeChangeEmail, hash); err == nil && peek.UserID != p.UserID {
			return ErrEmailChangeAccount
		}
	}
	now := s.now().UTC()
	t, err := store.UseEmailToken(ctx, PurposeChangeEmail, hash, now)
	if err != nil {
		return tokenError("e-mail change", err)
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) {
		return ErrTokenInvalid
	} else if err != nil {
		return fmt.Errorf("auth: e-mail change: %w", err)
	}
	if err := cs.ChangeEmail(ctx, u.ID, t.Email, now); errors.Is(err, ErrEmailTaken) {
		s.record(ctx, audit.Event{Type: audit.EmailChangeRefused, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"reason": "taken"}})
		return ErrEmailChangeTaken
	} else if errors.Is(err, ErrNotFound) {
		return ErrTokenInvalid
	} else if err != nil {
		return fmt.Errorf("auth: e-mail change: %w", err)
	}
	keep := ""
	if p != nil && p.UserID == u.ID && p.Via == access.ViaSession {
		keep = p.SessionID
	}
	n, err := s.store.DeleteSessionsExcept(ctx, u.ID, keep)
	if err != nil {
		return fmt.Errorf("auth: e-mail change: end other sessions: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.EmailChanged, ActorID: u.ID, SubjectID: u.ID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"from": u.Email, "to": t.Email, "other_sessions_ended": fmt.Sprint(n)}})
	return nil
}

// MaskEmail shows enough of an address to recognize it, not to read it
// ("a•••@example.com"), for mail sent to another address than the one
// masked.
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "•••"
	}
	r := []rune(local)
	return string(r[0]) + "•••@" + domain
}
