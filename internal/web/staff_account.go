package web

import (
	"errors"
	"fmt"
	"net/http"

	"safelight/internal/auth"
)

// One account as support sees it (/staff/accounts/{id}): who it is, how
// much it holds in numbers, and the two things support may do — disable
// it, giving the reason, and remove its second factors after checking the
// holder's identity, saying how. The holder sees each in their security
// activity, the reason and the identity check included.

type staffAccountData struct {
	ID, Name, Email, Joined string
	Staff, Disabled         bool
	Counts                  []staffCount
	Done                    string // what the last action did
	Error                   string // why the last action was refused
	IdentityCheck, Reason   string // the refused form's values
}

type staffCount struct{ Label, Value string }

// staffDone are the notices after a support action (Post/Redirect/Get).
var staffDone = map[string]string{
	"mfa-reset": "Second factors removed. The holder signs in with their password and sets up two-step sign-in again.",
	"disabled":  "Account disabled. It is signed out everywhere and cannot sign in until an administrator enables it.",
}

func (p *Pages) showStaffAccount(w http.ResponseWriter, r *http.Request) error {
	return p.renderStaffAccount(w, r, http.StatusOK, func(d *staffAccountData) { d.Done = staffDone[r.URL.Query().Get("done")] })
}

func (p *Pages) renderStaffAccount(w http.ResponseWriter, r *http.Request, status int, edit func(*staffAccountData)) error {
	noReferrer(w)
	a, err := p.opts.Auth.StaffAccount(r.Context(), principal(r), r.PathValue("id"), client(r))
	if err != nil {
		return staffPageError(err)
	}
	u, c := a.User, a.Counts
	d := staffAccountData{ID: u.ID, Name: u.Name, Email: u.Email, Joined: dateOnly(u.CreatedAt), Staff: len(u.Roles) > 0, Disabled: u.Disabled()}
	mfa := "None"
	switch {
	case c.TOTP && c.Passkeys > 0:
		mfa = fmt.Sprintf("Authenticator app and %s", countText(c.Passkeys, "passkey", ""))
	case c.TOTP:
		mfa = "Authenticator app"
	case c.Passkeys > 0:
		mfa = countText(c.Passkeys, "passkey", "")
	}
	d.Counts = []staffCount{
		{"Photos", fmt.Sprintf("%d (%d in the trash)", c.Assets, c.TrashedAssets)},
		{"Storage", humanBytes(c.Bytes)},
		{"Projects", fmt.Sprint(c.Projects)},
		{"Review links", fmt.Sprint(c.ReviewLinks)},
		{"Entries to calls", fmt.Sprint(c.Entries)},
		{"Sessions", countText(a.LiveSessions, "active session", "None")},
		{"Access tokens", countText(a.Tokens, "access token", "None")},
		{"Second factors", mfa},
	}
	if edit != nil {
		edit(&d)
	}
	v := p.newView(r, "staff_account", u.Email, d)
	v.Nav = "staff"
	return p.render(w, status, "staff_account", v)
}

// staffRefusal shows the account page again with why support's action was
// refused, keeping what was typed.
func (p *Pages) staffRefusal(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, auth.ErrIdentityCheckRequired), errors.Is(err, auth.ErrReasonRequired), errors.Is(err, auth.ErrStaffTarget):
		status := http.StatusBadRequest
		if errors.Is(err, auth.ErrStaffTarget) {
			status = http.StatusForbidden
		}
		return p.renderStaffAccount(w, r, status, func(d *staffAccountData) {
			d.Error = sentence(err.Error())
			d.IdentityCheck, d.Reason = r.PostForm.Get("identity_check"), r.PostForm.Get("reason")
		})
	}
	return staffPageError(err)
}

func (p *Pages) resetStaffAccountMFA(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := p.opts.Auth.ResetMFA(r.Context(), principal(r), id, r.PostForm.Get("identity_check"), client(r)); err != nil {
		return p.staffRefusal(w, r, err)
	}
	http.Redirect(w, r, "/staff/accounts/"+id+"?done=mfa-reset", http.StatusSeeOther)
	return nil
}

func (p *Pages) disableStaffAccount(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := p.opts.Auth.SupportDisable(r.Context(), principal(r), id, r.PostForm.Get("reason"), client(r)); err != nil {
		return p.staffRefusal(w, r, err)
	}
	http.Redirect(w, r, "/staff/accounts/"+id+"?done=disabled", http.StatusSeeOther)
	return nil
}
