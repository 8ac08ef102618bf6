package web

import "net/http"

// enableAdminUser lets a disabled account sign in again.
func (p *Pages) enableAdminUser(w http.ResponseWriter, r *http.Request) error {
	if err := p.opts.Auth.EnableUser(r.Context(), principal(r), r.PathValue("id"), client(r)); err != nil {
		return p.adminRefusal(w, r, err)
	}
	return p.redirectWithFlash(w, r, "/admin/users", "account-enabled")
}
