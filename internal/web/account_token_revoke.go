package web

import (
	"errors"
	"net/http"

	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// revokeAccountToken deletes one of the caller's tokens.
func (p *Pages) revokeAccountToken(w http.ResponseWriter, r *http.Request) error {
	err := p.opts.Auth.RevokeToken(r.Context(), principal(r).UserID, r.PathValue("id"), client(r))
	if errors.Is(err, auth.ErrNotFound) {
		return httpx.NotFound()
	} else if err != nil {
		return err
	}
	return p.redirectWithFlash(w, r, "/account", "token-revoked")
}
