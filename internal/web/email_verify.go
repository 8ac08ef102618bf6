package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
)

// verifyData is what the page of a verification link shows.
type verifyData struct {
	Token    string
	Error    string
	Verified bool
}

// showVerifyEmail is the page of a mailed verification link. It changes
// nothing by itself (mail scanners open links): the visitor confirms with
// a button.
func (p *Pages) showVerifyEmail(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	d := verifyData{Token: strings.TrimSpace(r.URL.Query().Get("token"))}
	if d.Token == "" {
		d.Error = sentence(auth.ErrTokenInvalid.Error())
	}
	v := p.newView(r, "verify-email", "Confirm your e-mail address", d)
	v.Script = "token-url.js"
	return p.render(w, http.StatusOK, "verify_email", v)
}

// submitVerifyEmail marks the address verified.
func (p *Pages) submitVerifyEmail(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	d := verifyData{}
	err := p.opts.Auth.VerifyEmail(r.Context(), r.PostFormValue("token"), client(r))
	switch {
	case err == nil:
		d.Verified = true
		return p.render(w, http.StatusOK, "verify_email", p.newView(r, "verify-email", "E-mail address confirmed", d))
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenUsed), errors.Is(err, auth.ErrTokenExpired):
		d.Error = sentence(err.Error())
		return p.render(w, http.StatusBadRequest, "verify_email", p.newView(r, "verify-email", "Confirm your e-mail address", d))
	}
	return err
}
