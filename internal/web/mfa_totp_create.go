package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
)

// createMFATOTP starts a TOTP enrolment, after re-authentication, and
// shows its QR code with the form for the first code.
func (p *Pages) createMFATOTP(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	e, err := p.opts.Auth.BeginTOTP(r.Context(), principal(r), reauthFrom(r, "password"), client(r))
	if errors.Is(err, auth.ErrMFAAlreadyOn) {
		return p.renderMFA(w, r, http.StatusConflict, sentence(err.Error()), nil)
	} else if err != nil {
		return p.reauthFailed(w, r, "start", err)
	}
	setup, err := newTOTPSetup(e)
	if err != nil {
		return err
	}
	return p.renderMFA(w, r, http.StatusOK, "", func(d *mfaData) { d.Pending, d.Setup = true, setup })
}
