package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
)

// forgotData is what the "forgot password" page shows.
type forgotData struct {
	Email      string
	EmailError string
	Sent       bool // the request went through; the same whether or not the address has an account
}

// resetData is what the page of a reset link shows.
type resetData struct {
	Token          string // from the link; moved out of the address bar by token-url.js
	Error          string // the link is not valid, used or expired: no form then
	PasswordError  string
	MinPasswordLen int
}

// noReferrer keeps a page's address (which may hold a token) out of the
// Referer header of anything the page loads or links to.
func noReferrer(w http.ResponseWriter) { w.Header().Set("Referrer-Policy", "no-referrer") }

// showForgotPassword asks for the address to send a reset link to, or,
// after the request, says that a link is on its way if an account uses it.
func (p *Pages) showForgotPassword(w http.ResponseWriter, r *http.Request) error {
	d := forgotData{Sent: r.URL.Query().Get("sent") == "1"}
	return p.render(w, http.StatusOK, "forgot_password", p.newView(r, "forgot-password", "Forgot password", d))
}

// submitForgotPassword asks for a reset link. Whatever happened to the
// address, success looks the same.
func (p *Pages) submitForgotPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	d := forgotData{Email: strings.TrimSpace(r.PostFormValue("email"))}
	if d.Email == "" {
		d.EmailError = "Enter your e-mail address."
		return p.render(w, http.StatusBadRequest, "forgot_password", p.newView(r, "forgot-password", "Forgot password", d))
	}
	err := p.opts.Auth.RequestPasswordReset(r.Context(), d.Email, client(r))
	if errors.Is(err, auth.ErrInvalidEmail) {
		d.EmailError = sentence(err.Error())
		return p.render(w, http.StatusBadRequest, "forgot_password", p.newView(r, "forgot-password", "Forgot password", d))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/forgot-password?sent=1", http.StatusSeeOther)
	return nil
}

// showResetPassword is the page of a mailed reset link: a form for the new
// password. The token rides in a hidden field; a script takes it out of
// the address bar and history, and no Referer ever carries it.
func (p *Pages) showResetPassword(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	d := resetData{Token: strings.TrimSpace(r.URL.Query().Get("token")), MinPasswordLen: auth.MinPasswordLen}
	if d.Token == "" {
		d.Error = sentence(auth.ErrTokenInvalid.Error())
	}
	v := p.newView(r, "reset-password", "Choose a new password", d)
	v.Script = "token-url.js"
	return p.render(w, http.StatusOK, "reset_password", v)
}

// submitResetPassword sets the new password, then sends the visitor to
// sign in with it (a reset never signs in by itself).
func (p *Pages) submitResetPassword(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	d := resetData{Token: strings.TrimSpace(r.PostFormValue("token")), MinPasswordLen: auth.MinPasswordLen}
	password := r.PostFormValue("password")
	again := func(status int) error {
		return p.render(w, status, "reset_password", p.newView(r, "reset-password", "Choose a new password", d))
	}
	if password == "" {
		d.PasswordError = "Choose a password."
		return again(http.StatusBadRequest)
	}
	err := p.opts.Auth.ResetPassword(r.Context(), d.Token, password, client(r))
	var pe *auth.PasswordPolicyError
	switch {
	case err == nil:
		http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
		return nil
	case errors.As(err, &pe):
		d.PasswordError = sentence(pe.Error())
		return again(http.StatusBadRequest)
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenUsed), errors.Is(err, auth.ErrTokenExpired):
		d.Error, d.Token = sentence(err.Error()), ""
		return again(http.StatusBadRequest)
	}
	return err
}
