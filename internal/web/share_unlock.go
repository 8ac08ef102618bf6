package web

import (
	"errors"
	"net/http"

	"safelight/internal/httpx"
	"safelight/internal/ratelimit"
	"safelight/internal/sharing"
)

// submitShareUnlock checks a link's password and, when it is right, sets
// the unlock cookie for that link (and only it) and goes back to the
// link. Wrong passwords answer 401 and count, per address, against the
// bad-credentials limit; past it, every try is refused with 429 before
// the password is looked at.
func (p *Pages) submitShareUnlock(w http.ResponseWriter, r *http.Request) error {
	shareHeaders(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := r.PathValue("token")
	if p.opts.Limits != nil {
		if err := p.opts.Limits.Check(r.Context(), ratelimit.BadCredentials, ratelimit.Address(httpx.ClientIP(r))); err != nil {
			return err
		}
	}
	password := r.PostFormValue("password")
	if password == "" {
		return p.renderShareUnlock(w, r, http.StatusBadRequest, "Enter the password.")
	}
	secret, exp, err := p.opts.Sharing.Unlock(r.Context(), token, password)
	switch {
	case errors.Is(err, sharing.ErrWrongPassword):
		if err := p.countBadCredential(r); err != nil {
			return err
		}
		return p.renderShareUnlock(w, r, http.StatusUnauthorized, "The password is not correct. Check it with the person who sent you the link.")
	case errors.Is(err, sharing.ErrNotFound):
		if err := p.countBadCredential(r); err != nil {
			return err
		}
		return httpx.NotFound()
	case err != nil:
		return err
	}
	if secret != "" { // a link without a password needs no unlock
		p.opts.Cookies.SetLinkUnlock(w, token, secret, exp)
	}
	http.Redirect(w, r, "/s/"+token, http.StatusSeeOther)
	return nil
}
