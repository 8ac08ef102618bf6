package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safelight/internal/auth"
)

// submitLogin checks the credentials, sets the session cookie and sends
// the visitor on to a safe next page. Failures show the form again with
// the e-mail kept and a status that says what happened: 400 for missing
// fields, 401 for wrong credentials, 429 while throttled.
func (p *Pages) submitLogin(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	d := loginData{
		Email:      strings.TrimSpace(r.PostFormValue("email")),
		Next:       safeNext(r.PostFormValue("next")),
		SignupOpen: p.signupOpen(r.Context()),
	}
	password := r.PostFormValue("password")
	if d.Email == "" {
		d.EmailError = "Enter your e-mail address."
	}
	if password == "" {
		d.PasswordError = "Enter your password."
	}
	if d.EmailError != "" || d.PasswordError != "" {
		return p.render(w, http.StatusBadRequest, "login", p.newView(r, "login", "Sign in", d))
	}

	res, err := p.opts.Auth.Login(r.Context(), auth.LoginRequest{Email: d.Email, Password: password,
		DeviceToken: p.opts.Cookies.Device(r), Client: client(r), StartPending: true})
	var te *auth.ThrottledError
	var mfa *auth.MFARequiredError
	switch {
	case errors.As(err, &mfa):
		// The password was right; the code comes on its own page. The
		// half-signed-in state lives on the server (see auth.PendingLogin).
		p.setPending(w, mfa.PendingToken)
		// Whether to offer "Use a passkey" rides along in the URL: it only
		// decides what the page shows; the pending sign-in decides what
		// may finish it.
		q := url.Values{}
		if d.Next != "" {
			q.Set("next", d.Next)
		}
		if mfa.Passkey {
			q.Set("passkey", "1")
		}
		to := "/login/code"
		if len(q) > 0 {
			to += "?" + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(max(int(te.RetryAfter.Round(time.Second)/time.Second), 1)))
		d.Error = sentence(te.Error())
		return p.render(w, http.StatusTooManyRequests, "login", p.newView(r, "login", "Sign in", d))
	case errors.Is(err, auth.ErrInvalidCredentials):
		d.Error = sentence(err.Error())
		return p.render(w, http.StatusUnauthorized, "login", p.newView(r, "login", "Sign in", d))
	case errors.Is(err, auth.ErrAccountDisabled): // the password was right
		d.Error = sentence(err.Error())
		return p.render(w, http.StatusForbidden, "login", p.newView(r, "login", "Sign in", d))
	case err != nil:
		return err
	}
	if err := p.opts.Cookies.SignedIn(w, r, p.opts.Auth, res, client(r)); err != nil {
		return err
	}
	http.Redirect(w, r, nextOr(d.Next), http.StatusSeeOther)
	return nil
}
