package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
)

// updateAccountPassword changes the caller's password after
// re-authentication. Every other session and every access token of the
// account ends; this session stays.
func (p *Pages) updateAccountPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	reauth, next := reauthFrom(r, "current_password"), r.PostFormValue("new_password")
	if reauth.Password == "" || next == "" {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) {
			if reauth.Password == "" {
				d.PasswordForm.PasswordError = "Enter your current password."
			}
			if next == "" {
				d.NewPasswordError = "Choose a new password."
			}
		})
	}
	err := p.opts.Auth.ChangePassword(r.Context(), principal(r), reauth, next, client(r))
	if err == nil {
		return p.redirectWithFlash(w, r, "/account", "password-changed")
	}
	var pe *auth.PasswordPolicyError
	if errors.As(err, &pe) {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) { d.NewPasswordError = sentence(pe.Error()) })
	}
	var f reauthFields
	status, ok := reauthProblem(w, err, &f)
	if !ok {
		return err
	}
	return p.renderAccount(w, r, status, "", func(d *accountData) {
		d.PasswordForm.PasswordError, d.PasswordForm.OTPError, d.PasswordForm.PasskeyError = f.PasswordError, f.OTPError, f.PasskeyError
	})
}
