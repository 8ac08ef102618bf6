package web

import (
	"net/http"

	"safelight/internal/auth"
	"safelight/internal/privacy"
)

// signupData is what the sign-up page shows.
type signupData struct {
	// Policy is the effective sign-up policy: "open", "invite" or "closed".
	Policy string
	Invite string // invitation token from the link, carried in a hidden field
	Name   string
	Email  string
	// Field problems, shown beside the fields; Error is about the whole form.
	NameError, EmailError, PasswordError string
	Error                                string
	MinPasswordLen                       int

	// The optional e-mails: the box (unticked unless the visitor ticked
	// it), the text beside it and its hash; none without Notifications.
	Notifications      bool
	NotificationsText  []string
	NotificationsSHA   string
	NotificationsError string
}

// ShowForm reports whether the visitor can fill in the form: sign-up is
// open, or it needs an invitation and the visitor brought one.
func (d signupData) ShowForm() bool {
	return d.Policy == string(auth.SignupOpen) || (d.Policy == string(auth.SignupInvite) && d.Invite != "")
}

func (p *Pages) newSignupData(r *http.Request, invite string) (signupData, error) {
	pol, err := p.opts.Auth.EffectiveSignupPolicy(r.Context())
	if err != nil {
		return signupData{}, err
	}
	d := signupData{Policy: string(pol), Invite: invite, MinPasswordLen: auth.MinPasswordLen}
	if p.opts.Notifications != nil {
		d.NotificationsText, d.NotificationsSHA = notificationsParagraphs(), privacy.NotificationsTextSHA256()
	}
	return d, nil
}

// showSignup shows the sign-up form, or says why there is none.
func (p *Pages) showSignup(w http.ResponseWriter, r *http.Request) error {
	d, err := p.newSignupData(r, r.URL.Query().Get("invite"))
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, "signup", p.newView(r, "signup", "Create account", d))
}
