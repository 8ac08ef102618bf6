package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
)

// confirmMFATOTP completes the enrolment with the first code from the app
// and shows the recovery codes, in this answer only (pages are no-store).
func (p *Pages) confirmMFATOTP(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		return p.renderMFA(w, r, http.StatusBadRequest, "", func(d *mfaData) {
			d.CodeError = "Enter the 6-digit code your app shows."
		})
	}
	codes, err := p.opts.Auth.ConfirmTOTP(r.Context(), principal(r), code, client(r))
	switch {
	case errors.Is(err, auth.ErrInvalidOTP):
		return p.renderMFA(w, r, http.StatusBadRequest, "", func(d *mfaData) { d.CodeError = sentence(err.Error()) })
	case errors.Is(err, auth.ErrNoPendingEnrollment):
		return p.renderMFA(w, r, http.StatusConflict, sentence(err.Error()), nil)
	case err != nil:
		return err
	}
	return p.renderMFA(w, r, http.StatusOK, "", func(d *mfaData) {
		d.Enabled, d.Pending, d.MustEnroll, d.RecoveryCodes, d.CodesLeft = true, false, false, codes, len(codes)
	})
}
