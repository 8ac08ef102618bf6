package web

import (
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
)

// accountData is what the account page shows. The form handlers fill in
// the fields of the section they answer for (a problem, a kept value, or a
// secret shown once) and render the same page.
type accountData struct {
	Name    string // current display name
	Email   string
	IsAdmin bool

	KeepCopyright bool // library setting: creator, copyright and credit stay in previews

	NameValue string // what the name field holds
	NameError string

	PasswordForm     reauthFields // the current password and second factor
	NewPasswordError string
	MinPasswordLen   int

	MFA auth.MFAStatus // two-step sign-in

	Sessions []sessionRow
	Tokens   []tokenRow
	Events   []eventRow

	TokenName  string
	TokenError string
	TokenForm  reauthFields
	NewToken   *shownSecret // set only on the answer that created it

	// DevicesForm asks for the password before other devices are signed
	// out (one factor is enough to end sessions).
	DevicesForm  reauthFields
	OtherDevices bool // there are sessions besides this one

	InviteEmail string
	InviteError string
	NewInvite   *shownSecret // set only on the answer that created it
}

// shownSecret is a secret the page shows exactly once.
type shownSecret struct {
	Label   string // token name or invited address
	Secret  string // the token, or the invitation link
	Expires string
}

type sessionRow struct {
	ID       string
	Device   string
	IP       string
	LastSeen string
	LastAt   string
	Started  string
	Current  bool
}

type tokenRow struct {
	ID       string
	Name     string
	Created  string
	LastUsed string
	LastAt   string
}

type eventRow struct {
	Label  string
	Detail string
	When   string
	At     string
	ISO    string
	IP     string
	Device string
}

// recentEvents is how many security events the account page lists.
const recentEvents = 20

// showAccount shows the caller's account page.
func (p *Pages) showAccount(w http.ResponseWriter, r *http.Request) error {
	flash := p.takeFlash(w, r)
	return p.renderAccount(w, r, http.StatusOK, flash, nil)
}

// renderAccount loads everything the account page lists, lets edit adjust
// the data for the form that was just submitted, and renders the page with
// status.
func (p *Pages) renderAccount(w http.ResponseWriter, r *http.Request, status int, flash string, edit func(*accountData)) error {
	ctx := r.Context()
	pr := principal(r)
	u, err := p.opts.Auth.User(ctx, pr.UserID)
	if err != nil {
		return err
	}
	d := accountData{Name: u.Name, Email: u.Email, NameValue: u.Name, IsAdmin: pr.Has(access.RoleAdmin),
		MinPasswordLen: auth.MinPasswordLen}
	settings, err := p.opts.Library.Settings(ctx, pr)
	if err != nil {
		return err
	}
	d.KeepCopyright = settings.KeepCopyright
	if d.MFA, err = p.opts.Auth.MFAStatus(ctx, pr.UserID); err != nil {
		return err
	}
	passkeysOn := p.opts.Auth.PasskeysEnabled()
	d.PasswordForm = newReauthFields("current", d.MFA, passkeysOn)
	d.PasswordForm.PasswordField = "current_password"
	d.TokenForm = newReauthFields("token", d.MFA, passkeysOn)
	d.DevicesForm = reauthFields{Name: "devices", PasswordLabel: "Your password, to sign out other devices"}
	now := time.Now()

	sessions, err := p.opts.Auth.Sessions(ctx, pr.UserID)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		row := sessionRow{ID: s.ID, Device: deviceSummary(s.UserAgent), IP: s.IP, LastSeen: ago(s.LastSeenAt, now),
			LastAt: exact(s.LastSeenAt), Started: dateOnly(s.CreatedAt), Current: s.ID == pr.SessionID}
		if row.Current {
			// This device first: it is the one people look for.
			d.Sessions = append([]sessionRow{row}, d.Sessions...)
		} else {
			d.Sessions = append(d.Sessions, row)
			d.OtherDevices = true
		}
	}

	tokens, err := p.opts.Auth.Tokens(ctx, pr.UserID)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		row := tokenRow{ID: t.ID, Name: t.Name, Created: dateOnly(t.CreatedAt), LastUsed: ago(t.LastUsedAt, now)}
		if !t.LastUsedAt.IsZero() {
			row.LastAt = exact(t.LastUsedAt)
		}
		d.Tokens = append(d.Tokens, row)
	}

	events, err := p.opts.Audit.About(ctx, pr.UserID, recentEvents)
	if err != nil {
		return err
	}
	for _, e := range events {
		row := eventRow{Label: eventLabel(e.Type), Detail: eventDetail(e), When: ago(e.At, now), At: exact(e.At),
			ISO: e.At.UTC().Format(time.RFC3339), IP: e.IP}
		if e.UserAgent != "" {
			row.Device = deviceSummary(e.UserAgent)
		}
		d.Events = append(d.Events, row)
	}

	if edit != nil {
		edit(&d)
	}
	v := p.newView(r, "account", "Account", d)
	v.Nav = "account"
	v.Flash = flash
	if d.NewToken != nil || d.NewInvite != nil {
		v.Script = "copy.js"
	}
	return p.render(w, status, "account", v)
}
