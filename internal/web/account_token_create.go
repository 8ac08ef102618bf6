package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
)

// createAccountToken makes a personal access token, after
// re-authentication, and shows its secret in this answer only (pages are
// no-store); afterwards only its name is listed.
func (p *Pages) createAccountToken(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) {
			d.TokenError = "Give the token a name, such as the program that will use it."
		})
	}
	t, secret, err := p.opts.Auth.CreateToken(r.Context(), principal(r), name, reauthFrom(r, "password"), client(r))
	if errors.Is(err, auth.ErrInvalidTokenName) {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) {
			d.TokenName, d.TokenError = name, sentence(err.Error())
		})
	} else if err != nil {
		var f reauthFields
		status, ok := reauthProblem(w, err, &f)
		if !ok {
			return err
		}
		return p.renderAccount(w, r, status, "", func(d *accountData) {
			d.TokenName = name
			d.TokenForm.PasswordError, d.TokenForm.OTPError, d.TokenForm.PasskeyError = f.PasswordError, f.OTPError, f.PasskeyError
		})
	}
	return p.renderAccount(w, r, http.StatusOK, "", func(d *accountData) {
		d.NewToken = &shownSecret{Label: t.Name, Secret: secret}
	})
}
