package web

import "net/http"

// submitLogout ends the current session and returns to sign-in. It is
// public so that a visitor whose session already ended still gets a clean
// answer and a cleared cookie.
func (p *Pages) submitLogout(w http.ResponseWriter, r *http.Request) error {
	if pr := principal(r); pr != nil {
		if err := p.opts.Auth.Logout(r.Context(), pr, client(r)); err != nil {
			return err
		}
	}
	p.opts.Cookies.ClearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
