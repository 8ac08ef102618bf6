package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// The accounts page: the instance admin lists the accounts, disables and
// enables them (ASVS V7.4.2) and ends the sessions of one account or of
// everyone (ASVS V7.4.5). It shows nothing of anyone's photos: staff never
// see image content. Its forms follow Post/Redirect/Get; a refused action
// shows the page again with the reason.

// adminUsersData is what the accounts page shows.
type adminUsersData struct {
	Error    string // why the last action was refused
	Accounts []adminAccountRow
	Summary  string // "3 accounts · 1 disabled"
}

type adminAccountRow struct {
	ID           string
	Name         string
	Email        string
	Admin        bool
	Self         bool // the admin looking at the page
	Disabled     bool
	DisabledWhen string
	DisabledAt   string
	Verified     bool
	Joined       string
	Sessions     string // "2 active sessions"
	Tokens       string // "1 access token"
	// CanEndSessions is set when there are sessions to end: for the
	// admin's own account, others than the one looking at the page.
	CanEndSessions bool
}

// showAdminUsers lists every account of the instance to its admin.
func (p *Pages) showAdminUsers(w http.ResponseWriter, r *http.Request) error {
	return p.renderAdminUsers(w, r, http.StatusOK, p.takeFlash(w, r), "")
}

// renderAdminUsers renders the accounts page with status, a notice and a
// refusal (either may be empty).
func (p *Pages) renderAdminUsers(w http.ResponseWriter, r *http.Request, status int, flash, refusal string) error {
	noReferrer(w)
	pr := principal(r)
	list, err := p.opts.Auth.Accounts(r.Context(), pr)
	if err != nil {
		return err
	}
	now := time.Now()
	d := adminUsersData{Error: refusal}
	disabled := 0
	for _, a := range list {
		u := a.User
		row := adminAccountRow{ID: u.ID, Name: u.Name, Email: u.Email, Admin: slices.Contains(u.Roles, access.RoleAdmin), Self: u.ID == pr.UserID,
			Disabled: u.Disabled(), Verified: !u.EmailVerifiedAt.IsZero(), Joined: dateOnly(u.CreatedAt),
			Sessions: countText(a.LiveSessions, "active session", "No active sessions"),
			Tokens:   countText(a.Tokens, "access token", "No access tokens")}
		row.CanEndSessions = a.LiveSessions > 0 && !(row.Self && a.LiveSessions == 1)
		if u.Disabled() {
			disabled++
			row.DisabledWhen, row.DisabledAt = ago(u.DisabledAt, now), exact(u.DisabledAt)
		}
		d.Accounts = append(d.Accounts, row)
	}
	d.Summary = countText(len(list), "account", "No accounts")
	if disabled > 0 {
		d.Summary += fmt.Sprintf(" · %d disabled", disabled)
	}
	v := p.newView(r, "admin_users", "Accounts", d)
	v.Nav = "admin"
	v.Flash = flash
	return p.render(w, status, "admin_users", v)
}

// countText says "1 thing", "3 things", or none when n is 0.
func countText(n int, thing, none string) string {
	switch n {
	case 0:
		return none
	case 1:
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// adminRefusal answers a refused admin action: the reasons an admin can
// act on show the page again with the reason; an unknown account is 404.
func (p *Pages) adminRefusal(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, auth.ErrInvalidAccountID), errors.Is(err, auth.ErrDisableSelf):
		return p.renderAdminUsers(w, r, http.StatusBadRequest, "", sentence(err.Error()))
	case errors.Is(err, auth.ErrLastAdmin):
		return p.renderAdminUsers(w, r, http.StatusConflict, "", sentence(err.Error()))
	case errors.Is(err, auth.ErrNotFound):
		return httpx.NotFound()
	}
	return err
}

// registerAdminUsers adds the accounts page and its forms; instance
// admins only (others get 404).
func (p *Pages) registerAdminUsers(rt *httpx.Router) {
	rt.Page("GET /admin/users", access.Admin, p.showAdminUsers)
	rt.Page("POST /admin/users/{id}/disable", access.Admin, p.disableAdminUser)
	rt.Page("POST /admin/users/{id}/enable", access.Admin, p.enableAdminUser)
	rt.Page("POST /admin/users/{id}/sessions/end", access.Admin, p.endAdminUserSessions)
	rt.Page("POST /admin/sessions/end", access.Admin, p.endAllSessions)
}
