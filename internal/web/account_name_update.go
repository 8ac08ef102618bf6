package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
)

// updateAccountName changes the caller's display name.
func (p *Pages) updateAccountName(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := r.PostFormValue("name")
	_, err := p.opts.Auth.UpdateName(r.Context(), principal(r).UserID, name, client(r))
	if errors.Is(err, auth.ErrInvalidName) {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) {
			d.NameValue, d.NameError = name, sentence(err.Error())
		})
	} else if err != nil {
		return err
	}
	return p.redirectWithFlash(w, r, "/account", "name-saved")
}
