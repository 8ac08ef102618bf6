// Package mail sends Safelight's e-mail: password-reset links, address
// verification links and security notices. Messages are plain text.
//
// Two Mailers exist: SMTP, which hands messages to a mail server, and
// Outbox, for instances without one, which keeps them in the database for
// the instance admin to read in the UI. The package imports only the
// standard library and its own small store interface.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
)

// Message is one plain-text e-mail to one recipient.
type Message struct {
	To      string // a bare address: "ann@example.com"
	Subject string // one line
	Text    string // the body, plain text; lines end with "\n"
}

// Mailer sends messages. Send returns once the message has been accepted
// for delivery (by the SMTP server, or stored in the outbox); a nil error
// never means it reached the inbox. Implementations are safe for
// concurrent use.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalidMessage is wrapped by Send for a message that cannot be sent as
// it is: no valid recipient, or a line break in the subject (header
// injection).
var ErrInvalidMessage = errors.New("mail: invalid message")

// check validates m and returns its recipient address.
func (m Message) check() (string, error) {
	a, err := mail.ParseAddress(m.To)
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(m.To) {
		return "", fmt.Errorf("%w: recipient is not a bare e-mail address", ErrInvalidMessage)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return "", fmt.Errorf("%w: subject holds a line break", ErrInvalidMessage)
	}
	if m.Subject == "" {
		return "", fmt.Errorf("%w: empty subject", ErrInvalidMessage)
	}
	return a.Address, nil
}

// MaskAddress shortens an address for logs: "ann@example.com" becomes
// "a***@example.com", so that a log line says which domain a message went
// to without naming the person.
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// Discard is the Mailer of an instance with no mail server: it sends
// nothing and logs, without the content, that a message was dropped.
// Password-reset and verification mails then do not arrive; the operator
// is told at start to set up SMTP.
type Discard struct{ Log *slog.Logger }

// Send drops m after checking it.
func (d Discard) Send(ctx context.Context, m Message) error {
	to, err := m.check()
	if err != nil {
		return err
	}
	d.Log.WarnContext(ctx, "e-mail is off (no --smtp-host): a message to "+MaskAddress(to)+" was not sent", "component", "mail")
	return nil
}
