package web

import (
	"net/http"

	"safelight/internal/auth"
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
	return signupData{Policy: string(pol), Invite: invite, MinPasswordLen: auth.MinPasswordLen}, nil
}

// showSignup shows the sign-up form, or says why there is none.
func (p *Pages) showSignup(w http.ResponseWriter, r *http.Request) error {
	d, err := p.newSignupData(r, r.URL.Query().Get("invite"))
	if err != nil {
		return err
	}
	return p.render(w, http.StatusOK, "signup", p.newView(r, "signup", "Create account", d))
}
