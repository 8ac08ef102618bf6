package web

import (
	"context"
	"net/http"

	"safelight/internal/auth"
)

// loginData is what the sign-in page shows.
type loginData struct {
	Email         string // kept after a failed attempt; the password never is
	Next          string // a safe local path, or ""
	Error         string // form-level problem (wrong credentials, throttled)
	EmailError    string
	PasswordError string
	SignedUp      bool // arrived from a successful sign-up
	PasswordReset bool // arrived from a successful password reset
	SignupOpen    bool // offer the sign-up link
}

// showLogin shows the sign-in form. A visitor who is signed in already
// goes straight on.
func (p *Pages) showLogin(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	if principal(r) != nil {
		http.Redirect(w, r, nextOr(next), http.StatusSeeOther)
		return nil
	}
	d := loginData{Next: next, SignedUp: q.Get("signed_up") == "1", PasswordReset: q.Get("reset") == "1", SignupOpen: p.signupOpen(r.Context())}
	return p.render(w, http.StatusOK, "login", p.newView(r, "login", "Sign in", d))
}

// signupOpen reports whether anyone may create an account right now. An
// error counts as closed: the link is a convenience.
func (p *Pages) signupOpen(ctx context.Context) bool {
	pol, err := p.opts.Auth.EffectiveSignupPolicy(ctx)
	if err != nil {
		p.log.ErrorContext(ctx, "signup policy", "err", err)
		return false
	}
	return pol == auth.SignupOpen
}
