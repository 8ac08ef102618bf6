package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// revokeAccountSession signs one of the caller's sessions out. Ending the
// current one is signing out.
func (p *Pages) revokeAccountSession(w http.ResponseWriter, r *http.Request) error {
	pr, id := principal(r), r.PathValue("id")
	if err := p.opts.Auth.RevokeSession(r.Context(), pr.UserID, id, client(r)); errors.Is(err, auth.ErrNotFound) {
		return httpx.NotFound()
	} else if err != nil {
		return err
	}
	if id == pr.SessionID {
		p.opts.Cookies.ClearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return p.redirectWithFlash(w, r, "/account", "session-revoked")
}
