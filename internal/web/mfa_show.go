package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"

	"github.com/pquerna/otp"

	"safelight/internal/auth"
)

// MFAEnrollmentPath is the two-step sign-in page: where the router sends
// a caller who must enrol a second factor before anything else.
const MFAEnrollmentPath = "/account/mfa"

// mfaData is what the two-step sign-in page shows. Handlers fill in the
// part they answer for and render the same page.
type mfaData struct {
	Enabled    bool
	Pending    bool // an enrolment waits for its first code
	Required   bool // the account must use a second factor
	MustEnroll bool // ... and has none yet: nothing else works until it does
	CodesLeft  int

	Setup         *totpSetup // the secret to scan, while enrolling
	CodeError     string     // wrong first code
	RecoveryCodes []string   // shown once, after confirming or regenerating

	// Failed is the form whose re-authentication failed ("start",
	// "disable", "regenerate", "add-passkey"), with its errors.
	Failed reauthFields

	PasskeysOn bool           // the instance offers passkeys
	Passkeys   []auth.Passkey // the account's, oldest first

	StartForm      reauthFields // filled in by renderMFA
	AddPasskeyForm reauthFields
	RegenerateForm reauthForm
	DisableForm    reauthForm
}

// reauthForm is a form that asks only for the proof of identity.
type reauthForm struct {
	Action, Label, Class string
	Fields               reauthFields
}

// totpSetup is a pending TOTP secret for the page: a QR code as an
// inline PNG (the CSP allows data: images) and the secret to type in.
type totpSetup struct {
	QR     template.URL
	Secret string
}

// showMFA shows the two-step sign-in page.
func (p *Pages) showMFA(w http.ResponseWriter, r *http.Request) error {
	flash := p.takeFlash(w, r)
	return p.renderMFA(w, r, http.StatusOK, flash, nil)
}

// renderMFA loads the account's second-factor status, lets edit adjust the
// data, and renders the page. A pending enrolment shows its QR code again.
func (p *Pages) renderMFA(w http.ResponseWriter, r *http.Request, status int, flash string, edit func(*mfaData)) error {
	ctx := r.Context()
	pr := principal(r)
	st, err := p.opts.Auth.MFAStatus(ctx, pr.UserID)
	if err != nil {
		return err
	}
	d := mfaData{Enabled: st.TOTPEnabled, Pending: st.TOTPPending, Required: st.Required,
		MustEnroll: pr.MFAEnrollmentRequired && !st.TOTPEnabled, CodesLeft: st.RecoveryCodesLeft}
	if d.PasskeysOn = p.opts.Auth.PasskeysEnabled(); d.PasskeysOn {
		if d.Passkeys, err = p.opts.Auth.Passkeys(ctx, pr.UserID); err != nil {
			return err
		}
	}
	if edit != nil {
		edit(&d)
	}
	d.StartForm = newReauthFields("start", st, d.PasskeysOn)
	d.AddPasskeyForm = newReauthFields("add-passkey", st, d.PasskeysOn)
	d.RegenerateForm = reauthForm{Action: "/account/mfa/recovery-codes", Label: "New recovery codes", Class: "button",
		Fields: newReauthFields("regenerate", st, d.PasskeysOn)}
	d.DisableForm = reauthForm{Action: "/account/mfa/disable", Label: "Turn off", Class: "button button-danger",
		Fields: newReauthFields("disable", st, d.PasskeysOn)}
	for _, f := range []*reauthFields{&d.StartForm, &d.AddPasskeyForm, &d.RegenerateForm.Fields, &d.DisableForm.Fields} {
		if f.Name == d.Failed.Name {
			f.PasswordError, f.OTPError, f.PasskeyError = d.Failed.PasswordError, d.Failed.OTPError, d.Failed.PasskeyError
		}
	}
	if d.Pending && d.Setup == nil && d.RecoveryCodes == nil {
		e, err := p.opts.Auth.PendingTOTP(ctx, pr.UserID)
		if err != nil && !errors.Is(err, auth.ErrNoPendingEnrollment) {
			return err
		}
		if err == nil {
			if d.Setup, err = newTOTPSetup(e); err != nil {
				return err
			}
		}
	}
	v := p.newView(r, "mfa", "Two-step sign-in", d)
	v.Nav = "account"
	v.Flash = flash
	return p.render(w, status, "mfa", v)
}

// newTOTPSetup renders the enrolment's QR code with pquerna/otp.
func newTOTPSetup(e auth.TOTPEnrollment) (*totpSetup, error) {
	key, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		return nil, fmt.Errorf("web: totp key: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("web: totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("web: totp qr code: %w", err)
	}
	// A data: URL we built from our own PNG bytes: safe as an img src.
	return &totpSetup{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), Secret: e.Secret}, nil
}
