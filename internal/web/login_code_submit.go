package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/auth"
)

// submitLoginCode finishes a pending sign-in with a TOTP or recovery
// code: 401 and the form again for a wrong code, 429 while throttled, and
// back to the password step when the pending sign-in is gone (expired,
// used, or the password changed since).
func (p *Pages) submitLoginCode(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	d := loginCodeData{Next: safeNext(r.PostFormValue("next")), Passkey: r.PostFormValue("passkey") == "1"}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		d.Error = "Enter the code from your authenticator app, or a recovery code."
		return p.render(w, http.StatusBadRequest, "login_code", p.newView(r, "login", "Two-step sign-in", d))
	}
	res, err := p.opts.Auth.CompleteLogin(r.Context(), p.pendingToken(r), code, p.opts.Cookies.Device(r), client(r))
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(max(int(te.RetryAfter.Round(time.Second)/time.Second), 1)))
		d.Error = sentence(te.Error())
		return p.render(w, http.StatusTooManyRequests, "login_code", p.newView(r, "login", "Two-step sign-in", d))
	case errors.Is(err, auth.ErrInvalidOTP):
		d.Error = sentence(err.Error())
		return p.render(w, http.StatusUnauthorized, "login_code", p.newView(r, "login", "Two-step sign-in", d))
	case errors.Is(err, auth.ErrPendingLoginInvalid):
		p.clearPending(w)
		ld := loginData{Next: d.Next, Error: sentence(err.Error()), SignupOpen: p.signupOpen(r.Context())}
		return p.render(w, http.StatusUnauthorized, "login", p.newView(r, "login", "Sign in", ld))
	case err != nil:
		return err
	}
	p.clearPending(w)
	if err := p.opts.Cookies.SignedIn(w, r, p.opts.Auth, res, client(r)); err != nil {
		return err
	}
	http.Redirect(w, r, nextOr(d.Next), http.StatusSeeOther)
	return nil
}
