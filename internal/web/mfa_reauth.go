package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
)

// disableMFA turns two-step sign-in off after re-authentication with the
// current password and a current code.
func (p *Pages) disableMFA(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	err := p.opts.Auth.DisableMFA(r.Context(), principal(r), r.PostFormValue("password"), r.PostFormValue("code"), client(r))
	if err != nil {
		return p.reauthFailed(w, r, "disable", err)
	}
	return p.redirectWithFlash(w, r, MFAEnrollmentPath, "mfa-disabled")
}

// regenerateRecoveryCodes replaces the recovery codes after
// re-authentication and shows the new ones once.
func (p *Pages) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	codes, err := p.opts.Auth.RegenerateRecoveryCodes(r.Context(), principal(r), r.PostFormValue("password"), r.PostFormValue("code"), client(r))
	if err != nil {
		return p.reauthFailed(w, r, "regenerate", err)
	}
	return p.renderMFA(w, r, http.StatusOK, "", func(d *mfaData) { d.RecoveryCodes, d.CodesLeft = codes, len(codes) })
}

// reauthFailed shows why a re-authentication failed next to the form.
func (p *Pages) reauthFailed(w http.ResponseWriter, r *http.Request, form string, err error) error {
	if errors.Is(err, auth.ErrMFANotOn) {
		return p.renderMFA(w, r, http.StatusConflict, sentence(err.Error()), nil)
	}
	f := reauthFields{Name: form}
	status, ok := reauthProblem(w, err, &f)
	if !ok {
		return err
	}
	return p.renderMFA(w, r, status, "", func(d *mfaData) { d.Failed = f })
}
