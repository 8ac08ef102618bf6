package sharing

import (
	"context"
	"fmt"
	"strings"

	"safelight/internal/mail"
)

// mailer sends the sharing notices: an invitation to a project, and a
// reviewer's "done" to the owner. Deliveries run after the answer.
type mailer struct {
	*mail.Background
	publicURL string
}

// SetMail turns on the sharing e-mails. Without it they are not sent (the
// in-app notification stays).
func (s *Service) SetMail(m mail.Mailer, publicURL string) {
	s.mail = &mailer{Background: mail.NewBackground(m, s.log), publicURL: strings.TrimSuffix(publicURL, "/")}
}

// FlushMail waits until queued mail has been handed to the mailer, or
// ctx ends.
func (s *Service) FlushMail(ctx context.Context) error {
	if s.mail == nil {
		return nil
	}
	return s.mail.Flush(ctx)
}

// SetOptionalMailConsent has allowed decide, before each one, whether an
// optional e-mail — "review done" — may be sent to an account: only
// while its holder's consent to them is live (package privacy). Without
// it none is sent; the in-app notification goes either way. Set before
// serving.
func (s *Service) SetOptionalMailConsent(allowed mail.Consent) {
	s.optionalMail = allowed
}

func (s *Service) send(ctx context.Context, what string, msg mail.Message) {
	if s.mail != nil {
		s.mail.Send(ctx, what, msg)
	}
}

// mailInvite tells an invited address that a project was shared with it.
// It goes whether or not the address has an account, so the owner learns
// nothing from it.
func (s *Service) mailInvite(ctx context.Context, p Project, ownerName string, m Member) {
	if s.mail == nil {
		return
	}
	text := fmt.Sprintf("%s shared the project “%s” with you on Safelight, as a %s.\n\n"+
		"Open it here:\n%s/projects/%s\n\n"+
		"Sign in with this address (%s), or create an account with it, and confirm the address when asked:\n"+
		"the project appears under Projects once the address is confirmed.\n\n"+
		"If you did not expect this, you can ignore this message.\n",
		ownerName, p.Name, m.Role, s.mail.publicURL, p.ID, m.Email)
	s.send(ctx, "project invitation", mail.Message{To: m.Email, Subject: "A project was shared with you on Safelight", Text: text})
}

// mailDone tells the owner that a reviewer finished, if the owner asked
// for such e-mails (an optional one: the in-app notification is made
// either way).
func (s *Service) mailDone(ctx context.Context, p Project, ownerEmail, who string) {
	if s.mail == nil || ownerEmail == "" || !s.optionalMail.Allows(ctx, s.log, p.OwnerID) {
		return
	}
	text := fmt.Sprintf("%s finished reviewing “%s”.\n\nSee their marks and comments:\n%s/projects/%s\n", who, p.Name, s.mail.publicURL, p.ID)
	s.send(ctx, "review done", mail.Message{To: ownerEmail, Subject: "Review finished: " + oneLine(p.Name), Text: text})
}

// oneLine keeps a subject on one line (the mailer refuses line breaks).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
