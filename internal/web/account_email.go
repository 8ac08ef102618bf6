package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
)

// Changing the sign-in address (GDPR Art. 16): a form behind /account,
// which mails a link to the new address (auth.RequestEmailChange), and the
// page of that link (auth.ConfirmEmailChange).

// accountEmailData is what the change form shows.
type accountEmailData struct {
	Email      string // the current address
	EmailValue string
	EmailError string
	Form       reauthFields
	Sent       bool
	FormError  string
}

// confirmEmailChangeData is what the page of a change link shows.
type confirmEmailChangeData struct {
	Token   string
	Error   string
	Changed bool
}

func init() {
	flashes["email-change-sent"] = "A link to confirm the new address is on its way to it. Nothing changes until it is opened."
	pageSamples["account_email"] = accountEmailData{Email: "x", EmailValue: "x", EmailError: "x", Form: reauthFields{Name: "email", Code: true, PasswordError: "x", OTPError: "x"}, FormError: "x"}
	pageSamples["confirm_email_change"] = confirmEmailChangeData{Token: "x", Error: "x"}
}

// showAccountEmail is the form that asks for the new address and the
// proof a sign-in needs.
func (p *Pages) showAccountEmail(w http.ResponseWriter, r *http.Request) error {
	return p.renderAccountEmail(w, r, http.StatusOK, func(d *accountEmailData) {
		d.EmailValue = strings.TrimSpace(r.URL.Query().Get("email"))
	})
}

func (p *Pages) renderAccountEmail(w http.ResponseWriter, r *http.Request, status int, edit func(*accountEmailData)) error {
	pr := principal(r)
	u, err := p.opts.Auth.User(r.Context(), pr.UserID)
	if err != nil {
		return err
	}
	st, err := p.opts.Auth.MFAStatus(r.Context(), pr.UserID)
	if err != nil {
		return err
	}
	d := accountEmailData{Email: u.Email, Form: newReauthFields("email", st, p.opts.Auth.PasskeysEnabled())}
	if edit != nil {
		edit(&d)
	}
	// Page "account": the passkey script confirms with a passkey here too.
	return p.render(w, status, "account_email", p.newView(r, "account", "Change your e-mail address", d))
}

// submitAccountEmail asks for the change; the answer is the same whether
// or not the new address has an account.
func (p *Pages) submitAccountEmail(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	addr := r.PostFormValue("email")
	err := p.opts.Auth.RequestEmailChange(r.Context(), principal(r), addr, reauthFrom(r, "password"), client(r))
	if err == nil {
		return p.redirectWithFlash(w, r, "/account", "email-change-sent")
	}
	var f reauthFields
	status, ok := reauthProblem(w, err, &f)
	switch {
	case ok:
	case errors.Is(err, auth.ErrInvalidEmail), errors.Is(err, auth.ErrEmailUnchanged):
		status = http.StatusBadRequest
	case errors.Is(err, auth.ErrMailNotConfigured), errors.Is(err, auth.ErrSessionRequired):
		status = http.StatusServiceUnavailable
		if errors.Is(err, auth.ErrSessionRequired) {
			status = http.StatusForbidden
		}
	default:
		return err
	}
	return p.renderAccountEmail(w, r, status, func(d *accountEmailData) {
		d.EmailValue = addr
		d.Form.PasswordError, d.Form.OTPError, d.Form.PasskeyError = f.PasswordError, f.OTPError, f.PasskeyError
		if !ok {
			if errors.Is(err, auth.ErrInvalidEmail) || errors.Is(err, auth.ErrEmailUnchanged) {
				d.EmailError = sentence(err.Error())
			} else {
				d.FormError = sentence(err.Error())
			}
		}
	})
}

// showConfirmEmailChange is the page of a mailed change link. It changes
// nothing by itself (mail scanners open links): the visitor confirms with
// a button.
func (p *Pages) showConfirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	d := confirmEmailChangeData{Token: strings.TrimSpace(r.URL.Query().Get("token"))}
	if d.Token == "" {
		d.Error = sentence(auth.ErrTokenInvalid.Error())
	}
	v := p.newView(r, "confirm-email-change", "Confirm your new e-mail address", d)
	v.Script = "token-url.js"
	return p.render(w, http.StatusOK, "confirm_email_change", v)
}

// submitConfirmEmailChange changes the address.
func (p *Pages) submitConfirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	d := confirmEmailChangeData{}
	err := p.opts.Auth.ConfirmEmailChange(r.Context(), principal(r), r.PostFormValue("token"), client(r))
	status := http.StatusBadRequest
	switch {
	case err == nil:
		d.Changed = true
		return p.render(w, http.StatusOK, "confirm_email_change", p.newView(r, "confirm-email-change", "E-mail address changed", d))
	case errors.Is(err, auth.ErrEmailChangeTaken), errors.Is(err, auth.ErrEmailChangeAccount):
		status = http.StatusConflict
	case errors.Is(err, auth.ErrTokenInvalid), errors.Is(err, auth.ErrTokenUsed), errors.Is(err, auth.ErrTokenExpired):
	default:
		return err
	}
	d.Error = sentence(err.Error())
	return p.render(w, status, "confirm_email_change", p.newView(r, "confirm-email-change", "Confirm your new e-mail address", d))
}
