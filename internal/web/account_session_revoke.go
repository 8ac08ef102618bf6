package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// revokeAccountSession signs one of the caller's sessions out. Ending the
// current one is signing out; ending another needs the password.
func (p *Pages) revokeAccountSession(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	pr, id := principal(r), r.PathValue("id")
	err := p.opts.Auth.RevokeSession(r.Context(), pr, id, reauthFrom(r, "password"), client(r))
	if errors.Is(err, auth.ErrNotFound) {
		return httpx.NotFound()
	} else if err != nil {
		return p.devicesReauthFailed(w, r, err)
	}
	if id == pr.SessionID {
		p.opts.Cookies.ClearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return p.redirectWithFlash(w, r, "/account", "session-revoked")
}

// revokeOtherAccountSessions signs out every session but this one, after
// the password.
func (p *Pages) revokeOtherAccountSessions(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := p.opts.Auth.RevokeOtherSessions(r.Context(), principal(r), reauthFrom(r, "password"), client(r)); err != nil {
		return p.devicesReauthFailed(w, r, err)
	}
	return p.redirectWithFlash(w, r, "/account", "sessions-revoked")
}

func (p *Pages) devicesReauthFailed(w http.ResponseWriter, r *http.Request, err error) error {
	var f reauthFields
	status, ok := reauthProblem(w, err, &f)
	if !ok {
		return err
	}
	return p.renderAccount(w, r, status, "", func(d *accountData) { d.DevicesForm.PasswordError = f.PasswordError })
}
