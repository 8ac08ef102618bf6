package web

import "net/http"

// showHome sends visitors to their library, or to sign-in.
func (p *Pages) showHome(w http.ResponseWriter, r *http.Request) error {
	to := "/login"
	if principal(r) != nil {
		to = afterSignIn
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
