package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
	"safelight/internal/privacy"
)

// submitSignup creates an account. Whatever happened to the address (new,
// or already in use) success looks the same, a redirect to sign-in, so the
// page never tells a visitor which addresses have accounts.
func (p *Pages) submitSignup(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	d, err := p.newSignupData(r, r.PostFormValue("invite"))
	if err != nil {
		return err
	}
	d.Name = strings.TrimSpace(r.PostFormValue("name"))
	d.Email = strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	again := func(status int) error {
		return p.render(w, status, "signup", p.newView(r, "signup", "Create account", d))
	}
	if d.Name == "" {
		d.NameError = "Enter your name."
	}
	if d.Email == "" {
		d.EmailError = "Enter your e-mail address."
	}
	if password == "" {
		d.PasswordError = "Choose a password."
	}
	// The optional e-mails: only when the box was ticked beside the text
	// the visitor read (privacy by default); a text changed since is
	// shown again rather than recorded.
	ctx := r.Context()
	if d.Notifications = r.PostFormValue("email_notifications") != "" && d.NotificationsSHA != ""; d.Notifications {
		if sha := r.PostFormValue("notifications_sha256"); sha != d.NotificationsSHA {
			d.NotificationsError = "The text beside the box changed since the page was loaded. Read it again, then create your account."
		} else {
			ctx = privacy.WithNotificationsAtSignup(ctx, sha, privacy.NotificationsBySignupForm)
		}
	}
	if d.NameError != "" || d.EmailError != "" || d.PasswordError != "" || d.NotificationsError != "" {
		return again(http.StatusBadRequest)
	}

	_, err = p.opts.Auth.SignUp(ctx, auth.SignUpRequest{Email: d.Email, Name: d.Name, Password: password,
		Invite: d.Invite, Client: client(r), How: privacy.SignupForm})
	var pe *auth.PasswordPolicyError
	switch {
	case err == nil:
		http.Redirect(w, r, "/login?signed_up=1", http.StatusSeeOther)
		return nil
	case errors.As(err, &pe):
		d.PasswordError = sentence(pe.Error())
		return again(http.StatusBadRequest)
	case errors.Is(err, auth.ErrInvalidName):
		d.NameError = sentence(err.Error())
		return again(http.StatusBadRequest)
	case errors.Is(err, auth.ErrInvalidEmail):
		d.EmailError = sentence(err.Error())
		return again(http.StatusBadRequest)
	case errors.Is(err, auth.ErrInviteInvalid):
		d.Error = sentence(err.Error())
		return again(http.StatusBadRequest)
	case errors.Is(err, auth.ErrSignupClosed), errors.Is(err, auth.ErrInviteRequired):
		d.Error = sentence(err.Error())
		return again(http.StatusForbidden)
	}
	return err
}
