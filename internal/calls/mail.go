package calls

import (
	"context"
	"fmt"
	"strings"
	"time"

	"safelight/internal/mail"
)

// mailer sends the notices of calls: invitations to an organization or
// a jury, changed terms, originals requests and deadline reminders.
// Deliveries run after the answer; reminders are also shown in the app
// (the entrant's entries page), so a lost mail loses no information.
type mailer struct {
	*mail.Background
	publicURL string
}

// SetMail turns on the e-mails of calls.
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
// optional e-mail — a "deadline reminder" — may be sent to an account:
// only while its holder's consent to them is live (package privacy).
// Without it none is sent; the entries page shows the reminder either
// way. Set before serving.
func (s *Service) SetOptionalMailConsent(allowed mail.Consent) {
	s.optionalMail = allowed
}

func (s *Service) send(ctx context.Context, what string, msg mail.Message) {
	if s.mail != nil {
		s.mail.Send(ctx, what, msg)
	}
}

func (s *Service) url(path string) string {
	if s.mail == nil {
		return path
	}
	return s.mail.publicURL + path
}

// mailOrgInvite tells an address it has a role in an organization. It
// goes whether or not the address has an account.
func (s *Service) mailOrgInvite(ctx context.Context, g OrgGrant, m OrgMember) {
	text := fmt.Sprintf("%s added you to the organization “%s” on Safelight, as a %s.\n\n"+
		"Sign in with this address (%s), or create an account with it, and confirm the address when asked:\n%s\n\n"+
		"If you did not expect this, you can ignore this message.\n",
		g.User.Name, g.Org.Name, m.Role, m.Email, s.url("/orgs/"+g.Org.ID))
	s.send(ctx, "organization invitation", mail.Message{To: m.Email, Subject: "You were added to " + g.Org.Name + " on Safelight", Text: text})
}

// mailJuror invites a juror to a round.
func (s *Service) mailJuror(ctx context.Context, g OrgGrant, c Call, r Round, email string) {
	blind := "The round is blind: you will not see who made the entries."
	if !r.Blind {
		blind = "The round is not blind."
	}
	text := fmt.Sprintf("%s invited you to judge “%s” of the call “%s” (%s) on Safelight.\n\n%s\n"+
		"If you know an entrant, recuse yourself from their entry.\n\n"+
		"Sign in with this address (%s) and confirm it when asked:\n%s\n",
		g.User.Name, r.Name, c.Title, g.Org.Name, blind, email, s.url("/jury/"+r.ID))
	s.send(ctx, "jury invitation", mail.Message{To: email, Subject: "Jury invitation: " + c.Title, Text: text})
}

// noticeNewTerms tells the photographers of submitted entries that the
// call's terms changed and their entries wait for a new acceptance.
func (s *Service) noticeNewTerms(ctx context.Context, c Call, t Terms) {
	es, err := s.store.EntriesOfCall(ctx, c.ID, []EntryState{EntrySubmitted})
	if err != nil {
		s.log.ErrorContext(ctx, "new terms notice not sent", "err", err)
		return
	}
	told := map[string]bool{}
	for _, e := range es {
		if told[e.UserID] {
			continue
		}
		told[e.UserID] = true
		u, err := s.accounts.User(ctx, e.UserID)
		if err != nil {
			continue
		}
		text := fmt.Sprintf("The organizer of “%s” changed the call's terms (version %d).\n\n"+
			"Your entries are not judged until you read and accept the new terms. Nothing changes for them otherwise;\n"+
			"you can also withdraw them until the deadline.\n\n%s\n", c.Title, t.Version, s.url("/entries"))
		s.send(ctx, "terms changed", mail.Message{To: u.Email, Subject: "The terms of " + c.Title + " changed", Text: text})
	}
}

// mailOriginalsRequest tells a photographer an organization asks for
// original files.
func (s *Service) mailOriginalsRequest(ctx context.Context, g CallGrant, e Entry, n int) {
	u, err := s.accounts.User(ctx, e.UserID)
	if err != nil {
		return
	}
	text := fmt.Sprintf("%s asks for the original files of %d image(s) of your entry “%s” in “%s”.\n\n"+
		"Nothing is sent unless you approve, image by image:\n%s\n", g.Org.Name, n, e.Title, g.Call.Title, s.url("/entries"))
	s.send(ctx, "originals request", mail.Message{To: u.Email, Subject: "Originals requested: " + e.Title, Text: text})
}

// SendReminders mails the photographers of drafts in open calls whose
// deadline is within Config.ReminderBefore, once per draft (a
// conditional update decides which replica sends it), if they asked for
// such e-mails (SetOptionalMailConsent). A draft whose photographer did
// not is left unmarked: should they ask before the deadline, the next
// run reminds them. It is the periodic task "call_reminders".
func (s *Service) SendReminders(ctx context.Context) error {
	now := s.now().UTC()
	drafts, err := s.store.DraftsToRemind(ctx, now, now.Add(s.cfg.ReminderBefore))
	if err != nil {
		return fmt.Errorf("calls: reminders: %w", err)
	}
	for _, e := range drafts {
		if !s.optionalMail.Allows(ctx, s.log, e.UserID) {
			continue
		}
		first, err := s.store.MarkReminded(ctx, e.ID, now)
		if err != nil {
			return fmt.Errorf("calls: reminders: %w", err)
		}
		if !first {
			continue
		}
		c, err := s.store.CallByID(ctx, e.CallID)
		if err != nil {
			continue
		}
		u, err := s.accounts.User(ctx, e.UserID)
		if err != nil {
			continue
		}
		title := e.Title
		if title == "" {
			title = "untitled"
		}
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		text := fmt.Sprintf("Your entry “%s” to “%s” is a draft: it is not submitted.\n\n"+
			"The deadline is %s. Finish and submit it here:\n%s\n",
			title, c.Title, c.Deadline.In(loc).Format("Monday 2 January 2006, 15:04 MST"), s.url("/entries/"+e.ID))
		s.send(ctx, "deadline reminder", mail.Message{To: u.Email, Subject: "Deadline soon: " + c.Title, Text: text})
	}
	return nil
}

// ReminderDue reports whether e, a draft, is within the reminder window
// of c's deadline at now: the entries page shows the reminder in the app.
func (s *Service) ReminderDue(e Entry, c Call, now time.Time) bool {
	return e.State == EntryDraft && c.Effective(now) == StateOpen && c.Deadline.Sub(now) <= s.cfg.ReminderBefore
}
