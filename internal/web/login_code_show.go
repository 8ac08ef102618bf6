package web

import (
	"net/http"
	"net/url"
)

// loginCodeData is what the second step of signing in shows.
type loginCodeData struct {
	Next    string // a safe local path, or ""
	Error   string // wrong code, throttled
	Passkey bool   // the account has passkeys: offer "Use a passkey"
}

// The pending sign-in cookie is httpauth's, shared with the API's
// passkey second step.
func (p *Pages) setPending(w http.ResponseWriter, token string) { p.opts.Cookies.SetPending(w, token) }
func (p *Pages) clearPending(w http.ResponseWriter)             { p.opts.Cookies.ClearPending(w) }
func (p *Pages) pendingToken(r *http.Request) string            { return p.opts.Cookies.Pending(r) }

// showLoginCode asks for the code from the authenticator app (or a
// recovery code) after a correct password. Without a pending sign-in the
// visitor goes back to the password step.
func (p *Pages) showLoginCode(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if principal(r) != nil {
		http.Redirect(w, r, nextOr(next), http.StatusSeeOther)
		return nil
	}
	if p.pendingToken(r) == "" {
		http.Redirect(w, r, loginPath(next), http.StatusSeeOther)
		return nil
	}
	return p.render(w, http.StatusOK, "login_code", p.newView(r, "login", "Two-step sign-in", loginCodeData{Next: next, Passkey: r.URL.Query().Get("passkey") == "1"}))
}

// loginPath is the sign-in page, keeping next.
func loginPath(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}
