package web

import "net/http"

// disableAdminUser disables an account: it is signed out everywhere, its
// access tokens are revoked, and it cannot sign in until enabled again.
func (p *Pages) disableAdminUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := p.opts.Auth.DisableUser(r.Context(), principal(r), r.PathValue("id"), client(r)); err != nil {
		return p.adminRefusal(w, r, err)
	}
	return p.redirectWithFlash(w, r, "/admin/users", "account-disabled")
}
