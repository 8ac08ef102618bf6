package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
)

// updateAccountPassword changes the caller's password after checking the
// current one. Every other session of the account ends; this one stays.
func (p *Pages) updateAccountPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	current, next := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	fail := func(status int, currentErr, newErr string) error {
		return p.renderAccount(w, r, status, "", func(d *accountData) {
			d.CurrentPasswordError, d.NewPasswordError = currentErr, newErr
		})
	}
	failCode := func(err error) error {
		return p.renderAccount(w, r, http.StatusForbidden, "", func(d *accountData) { d.PasswordOTPError = sentence(err.Error()) })
	}
	if current == "" || next == "" {
		var c, n string
		if current == "" {
			c = "Enter your current password."
		}
		if next == "" {
			n = "Choose a new password."
		}
		return fail(http.StatusBadRequest, c, n)
	}
	err := p.opts.Auth.ChangePasswordWithCode(r.Context(), principal(r), current, next, r.PostFormValue("code"), client(r))
	var pe *auth.PasswordPolicyError
	var te *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrMFARequired), errors.Is(err, auth.ErrInvalidOTP):
		return failCode(err)
	case errors.As(err, &te):
		return fail(http.StatusTooManyRequests, sentence(te.Error()), "")
	case errors.Is(err, auth.ErrWrongPassword):
		return fail(http.StatusForbidden, sentence(err.Error()), "")
	case errors.As(err, &pe):
		return fail(http.StatusBadRequest, "", sentence(pe.Error()))
	case err != nil:
		return err
	}
	return p.redirectWithFlash(w, r, "/account", "password-changed")
}
