package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/auth"
)

// reauthFields is the part of a form that proves the caller's identity
// before a sensitive change (templates/partials/reauth.html).
type reauthFields struct {
	Name          string // id prefix, unique on the page
	PasswordField string // form field of the password; "" is "password"
	PasswordLabel string // "" is "Current password"
	Code          bool   // ask for a TOTP or recovery code (TOTP is on)
	Passkey       bool   // confirm with a passkey (passkeys are the only second factor)

	PasswordError, OTPError, PasskeyError string
}

// newReauthFields asks for what the account's factors need.
func newReauthFields(name string, st auth.MFAStatus, passkeysOn bool) reauthFields {
	return reauthFields{Name: name, Code: st.TOTPEnabled, Passkey: !st.TOTPEnabled && passkeysOn && st.Passkeys > 0}
}

// reauthFrom reads the proof of identity a form sent; passwordField names
// the password's field.
func reauthFrom(r *http.Request, passwordField string) auth.Reauth {
	return auth.Reauth{
		Password:         r.PostFormValue(passwordField),
		Code:             r.PostFormValue("code"),
		PasskeyHandle:    r.PostFormValue("passkey_handle"),
		PasskeyAssertion: []byte(r.PostFormValue("passkey_credential")),
	}
}

// reauthProblem says which field a failed re-authentication belongs to,
// and the status to answer with; ok is false for other errors.
func reauthProblem(w http.ResponseWriter, err error, f *reauthFields) (status int, ok bool) {
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(max(int(te.RetryAfter.Round(time.Second)/time.Second), 1)))
		f.PasswordError = sentence(te.Error())
		return http.StatusTooManyRequests, true
	case errors.Is(err, auth.ErrWrongPassword), errors.Is(err, auth.ErrReauthRequired):
		f.PasswordError = sentence(err.Error())
	case errors.Is(err, auth.ErrInvalidOTP), errors.Is(err, auth.ErrMFARequired):
		f.OTPError = sentence(err.Error())
	case errors.Is(err, auth.ErrPasskeyRequired), errors.Is(err, auth.ErrPasskeyInvalid):
		f.PasskeyError = sentence(err.Error())
	default:
		return 0, false
	}
	return http.StatusForbidden, true
}
