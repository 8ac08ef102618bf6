package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"safelight/internal/auth"
)

// createAccountInvite lets an administrator invite one e-mail address. The
// invitation link holds the secret, so it is shown in this answer only.
func (p *Pages) createAccountInvite(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) {
			d.InviteError = "Enter the e-mail address of the person to invite."
		})
	}
	inv, secret, err := p.opts.Auth.CreateInvite(r.Context(), principal(r).UserID, email, client(r))
	if errors.Is(err, auth.ErrInvalidEmail) {
		return p.renderAccount(w, r, http.StatusBadRequest, "", func(d *accountData) {
			d.InviteEmail, d.InviteError = email, sentence(err.Error())
		})
	} else if err != nil {
		return err
	}
	link := p.opts.PublicURL + "/signup?invite=" + url.QueryEscape(secret)
	return p.renderAccount(w, r, http.StatusOK, "", func(d *accountData) {
		d.NewInvite = &shownSecret{Label: inv.Email, Secret: link, Expires: exact(inv.ExpiresAt)}
	})
}
