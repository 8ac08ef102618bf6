package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

// The consent to optional e-mail notifications in the privacy center:
// the text, and a button to give it or, while it is live, to withdraw
// it. Withdrawing is the ledger's one withdraw action
// (calls.Service.WithdrawConsent, as POST /api/v1/me/consents/{id}/withdraw).
func (p *Pages) registerNotifications(rt *httpx.Router) {
	rt.Page("POST /account/privacy/notifications", access.Authenticated, p.giveNotifications)
	rt.Page("POST /account/privacy/consents/{id}/withdraw", access.Authenticated, p.withdrawPrivacyConsent)
}

// notificationsRow is the privacy center's section on the optional
// e-mails.
type notificationsRow struct {
	Paragraphs []string // the text the consent is given to
	SHA256     string   // its hash, sent back with the form
	ConsentID  string   // the live consent, "" when none
	Given      string   // when it was given
	Error      string
}

// notificationsParagraphs splits the consent's text as the terms page
// does.
func notificationsParagraphs() []string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(privacy.NotificationsText), "\n\n") {
		out = append(out, strings.TrimSpace(para))
	}
	return out
}

// notificationsSection fills the section for userID; nil when the
// instance runs without the consent.
func (p *Pages) notificationsSection(ctx context.Context, userID string) (*notificationsRow, error) {
	if p.opts.Notifications == nil {
		return nil, nil
	}
	row := &notificationsRow{Paragraphs: notificationsParagraphs(), SHA256: privacy.NotificationsTextSHA256()}
	c, ok, err := p.opts.Notifications.Live(ctx, userID)
	if err != nil {
		return nil, err
	}
	if ok {
		row.ConsentID, row.Given = c.ID, c.At.UTC().Format(time.DateTime+" UTC")
	}
	return row, nil
}

func (p *Pages) giveNotifications(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if p.opts.Notifications == nil {
		return httpx.NotFound()
	}
	_, _, err := p.opts.Notifications.Give(r.Context(), principal(r).UserID, r.PostFormValue("text_sha256"), privacy.NotificationsByPrivacyCenter)
	if errors.Is(err, privacy.ErrNotificationsText) {
		return p.renderPrivacyCenter(w, r, http.StatusBadRequest, func(d *privacyCenterData) {
			if d.Notifications != nil {
				d.Notifications.Error = "The text changed since the page was loaded. Read it again; nothing was recorded."
			}
		})
	}
	if err != nil {
		return err
	}
	return p.redirectWithFlash(w, r, "/account/privacy#notifications", "privacy-notifications-given")
}

// withdrawPrivacyConsent withdraws one of the caller's consents from the
// privacy center, and comes back to it.
func (p *Pages) withdrawPrivacyConsent(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := p.opts.Calls.WithdrawConsent(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return callError(err)
	}
	return p.redirectWithFlash(w, r, "/account/privacy#consents", "privacy-consent-withdrawn")
}

func init() {
	flashes["privacy-notifications-given"] = "Thank you: you will get e-mails when reviewers finish and before call deadlines. You can stop them here at any time."
	flashes["privacy-consent-withdrawn"] = "Your consent was withdrawn. Nothing more is done under it from now on."
}
