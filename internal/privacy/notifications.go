package privacy

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"safelight/internal/calls"
)

// Optional e-mail notifications (GDPR Art. 6(1)(a), 7 and 25): some
// e-mails are a convenience, not a need — a reviewer finished, a call's
// deadline nears while an entry is a draft. They are sent only while
// their recipient has a live consent of kind ConsentEmailNotifications
// in the ledger; the app shows the same in-app either way. The consent
// is off until given (an unticked box at sign-up, a button in the
// privacy center, or the API), and withdrawing it stops the next mail.
// Packages sharing and calls ask Allowed before queueing one (wired in
// internal/app); they do not import this package.

// ConsentEmailNotifications is the ledger kind of the consent to the
// optional e-mails.
const ConsentEmailNotifications = "email_notifications"

// OptionalMail are the kinds of e-mail (MailKinds) sent only under the
// consent. Every other kind is needed: account security, an answer to
// something the recipient did, an invitation someone sent them, or a
// decision asked of them about their own entry (changed terms,
// originals requests).
var OptionalMail = []string{"review done", "deadline reminder"}

// NotificationsText is the text shown beside the consent, wherever it is
// given; its SHA-256 is recorded with it.
//
//go:embed notifications_consent.txt
var NotificationsText string

// NotificationsTextSHA256 is the hex SHA-256 of NotificationsText: the
// version of the text a consent was given to.
func NotificationsTextSHA256() string { return sha256Hex(NotificationsText) }

// Ways the consent is given: its method in the ledger.
const (
	NotificationsBySignupForm    = "sign-up form: a box beside the text, unticked until the person ticked it"
	NotificationsByPrivacyCenter = "privacy center: the button beside the text"
	NotificationsByAPI           = "API: POST /api/v1/me/consents with the text's SHA-256"
)

// Errors of Give, safe to show.
var (
	ErrConsentKind = errors.New("the only consent given here is kind " + ConsentEmailNotifications +
		" (optional e-mail notifications); a call's terms are accepted with an entry")
	ErrNotificationsText = errors.New("accept_text_sha256 is not the SHA-256 of the current text of the e-mail notifications consent; " +
		"read the text again (GET /api/v1/privacy/optional-consents) and send its hash")
)

// NotificationStore is what Notifications needs of the ledger's store;
// sqlstore implements it. CreateConsent fails on a second live record of
// this kind for an account (a unique index, migration 0015).
type NotificationStore interface {
	ConsentStore
	WithdrawConsent(ctx context.Context, id string, at time.Time) error
}

// Notifications gives, withdraws and checks the consent to the optional
// e-mails. It is safe for concurrent use.
type Notifications struct {
	store NotificationStore
	log   *slog.Logger
	now   func() time.Time
}

// NewNotifications returns a Notifications over store.
func NewNotifications(store NotificationStore, log *slog.Logger) *Notifications {
	return &Notifications{store: store, log: log.With("component", "privacy"), now: time.Now}
}

// Live returns userID's live (not withdrawn) consent; ok is false when
// there is none.
func (n *Notifications) Live(ctx context.Context, userID string) (c calls.Consent, ok bool, err error) {
	cs, err := n.store.ConsentsOfUser(ctx, userID)
	if err != nil {
		return calls.Consent{}, false, fmt.Errorf("privacy: notifications consent: %w", err)
	}
	for _, c := range cs {
		if c.Kind == ConsentEmailNotifications && c.WithdrawnAt.IsZero() {
			return c, true, nil
		}
	}
	return calls.Consent{}, false, nil
}

// Allowed reports whether an optional e-mail may be sent to userID now:
// only while their consent is live. Packages sharing and calls call it
// before queueing each one.
func (n *Notifications) Allowed(ctx context.Context, userID string) (bool, error) {
	_, ok, err := n.Live(ctx, userID)
	return ok, err
}

// Give records userID's consent to the text whose SHA-256 is textSHA256,
// given as method says. Giving it while one is live records nothing and
// answers that one (created false): the ledger holds one live consent of
// this kind per account, even when two requests race. A hash that is not
// the current text's is ErrNotificationsText, and nothing is recorded.
func (n *Notifications) Give(ctx context.Context, userID, textSHA256, method string) (c calls.Consent, created bool, err error) {
	if textSHA256 != NotificationsTextSHA256() {
		return calls.Consent{}, false, ErrNotificationsText
	}
	if c, ok, err := n.Live(ctx, userID); err != nil || ok {
		return c, false, err
	}
	c = calls.Consent{ID: uuid.Must(uuid.NewV7()).String(), UserID: userID, Kind: ConsentEmailNotifications,
		TermsVersion: 1, TermsSHA256: textSHA256, Scope: append([]string(nil), OptionalMail...), Method: method, At: n.now().UTC()}
	if err := n.store.CreateConsent(ctx, c); err != nil {
		// Another request may have given it since we looked: answer
		// that one rather than fail.
		if live, ok, lerr := n.Live(ctx, userID); lerr == nil && ok {
			return live, false, nil
		}
		return calls.Consent{}, false, fmt.Errorf("privacy: give notifications consent: %w", err)
	}
	return c, true, nil
}

// Withdraw withdraws userID's live consent, if any (false when none was
// live). The next optional e-mail is not sent.
func (n *Notifications) Withdraw(ctx context.Context, userID string) (bool, error) {
	c, ok, err := n.Live(ctx, userID)
	if err != nil || !ok {
		return false, err
	}
	return true, n.WithdrawRecord(ctx, c)
}

// WithdrawRecord withdraws the record c, which the caller has checked is
// its holder's own (calls.Service.HandleWithdrawal: the ledger's one
// withdraw action). Withdrawing a withdrawn record keeps its first time.
func (n *Notifications) WithdrawRecord(ctx context.Context, c calls.Consent) error {
	if c.Kind != ConsentEmailNotifications {
		return fmt.Errorf("privacy: withdraw %s: not a notifications consent", c.ID)
	}
	if err := n.store.WithdrawConsent(ctx, c.ID, n.now().UTC()); err != nil {
		return fmt.Errorf("privacy: withdraw notifications consent: %w", err)
	}
	return nil
}

// signupNotificationsKey carries, through auth's sign-up, that the
// visitor ticked the box (auth does not know about optional consents).
type signupNotificationsKey struct{}

type signupNotifications struct{ textSHA256, method string }

// WithNotificationsAtSignup returns ctx for a sign-up whose visitor
// ticked the box beside the text of hash textSHA256; RecordSignup, run
// for the account the sign-up creates, then gives the consent.
func WithNotificationsAtSignup(ctx context.Context, textSHA256, method string) context.Context {
	return context.WithValue(ctx, signupNotificationsKey{}, signupNotifications{textSHA256, method})
}

// RecordSignup gives userID's consent when ctx carries the visitor's
// choice (WithNotificationsAtSignup) and records nothing otherwise: the
// optional e-mails are off unless asked for. It runs only for accounts
// really created (auth.Service.OnSignUp), never for the decoy answer to
// an address in use.
func (n *Notifications) RecordSignup(ctx context.Context, userID string) error {
	choice, ok := ctx.Value(signupNotificationsKey{}).(signupNotifications)
	if !ok {
		return nil
	}
	_, _, err := n.Give(ctx, userID, choice.textSHA256, choice.method)
	return err
}

// NotificationsReceipt is the receipt of a consent to the optional
// e-mails.
func NotificationsReceipt(in Instance, c calls.Consent, principal string) Receipt {
	r := newReceipt(in, c, principal)
	r.PIIControllers = []ReceiptController{in.controller()}
	r.TermsURL = in.PublicURL + "/account/privacy#notifications"
	r.Services = []ReceiptService{{
		Service: "Optional e-mail notifications of " + in.Name,
		Purposes: []ReceiptPurpose{{
			Purpose: "E-mails for your convenience: when a reviewer of your project finishes, and a reminder before a call's " +
				"deadline while your entry is a draft (" + joinWords(c.Scope) + ")",
			PurposeCategory: []string{"4 - Contact Requested"},
			ConsentType:     "EXPLICIT",
			PIICategory:     []string{"2 - Contact (e-mail address)", "Names of your projects, calls and entries, and of the reviewers who finished"},
			PrimaryPurpose:  true,
			Termination:     "When you withdraw it (privacy center or API) or erase your account; no such e-mail is sent from then on",
		}},
	}}
	return r
}

func joinWords(ws []string) string { return "“" + strings.Join(ws, "”, “") + "”" }
