package web

import "net/http"

// endAdminUserSessions signs one account out everywhere (of the admin's
// own account, every other browser). Its access tokens keep working.
func (p *Pages) endAdminUserSessions(w http.ResponseWriter, r *http.Request) error {
	if _, err := p.opts.Auth.EndUserSessions(r.Context(), principal(r), r.PathValue("id"), client(r)); err != nil {
		return p.adminRefusal(w, r, err)
	}
	return p.redirectWithFlash(w, r, "/admin/users", "account-sessions-ended")
}

// endAllSessions signs every account out, except the admin in this
// browser. Access tokens keep working.
func (p *Pages) endAllSessions(w http.ResponseWriter, r *http.Request) error {
	if _, err := p.opts.Auth.EndAllSessions(r.Context(), principal(r), client(r)); err != nil {
		return p.adminRefusal(w, r, err)
	}
	return p.redirectWithFlash(w, r, "/admin/users", "all-sessions-ended")
}
