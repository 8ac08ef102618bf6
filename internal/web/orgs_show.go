package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/auth"
	"safelight/internal/calls"
)

// orgData is one organization as a member sees it: every member sees the
// members and the calls; owners and managers also the forms.
type orgData struct {
	ID        string
	Name      string
	Role      string
	Ability   string
	Owner     bool // change roles, remove anyone
	Manages   bool // add jurors and viewers, create calls
	Members   []orgMemberRow
	Calls     []orgCallRow
	Add       orgMemberForm
	AddRoles  []option // what the caller may give
	RoleNames []option // every role, for the owner's per-member select
	NewCall   newCallForm
	Zones     []option
}

type orgMemberRow struct {
	ID        string
	Email     string
	Role      string // value
	RoleName  string
	Since     string
	Self      bool
	CanChange bool // the owner's role select
	CanRemove bool
	Error     string
}

type orgMemberForm struct {
	Email, Role           string
	EmailError, RoleError string
}

type orgCallRow struct {
	ID        string
	Title     string
	State     string // effective state, a word for CSS
	StateName string
	Deadline  string // in the call's zone
	Entries   string // "12 entries", for managers and viewers; "" for others
	Manage    bool   // the caller may open its management page
	Public    bool   // published: its public page exists
}

type newCallForm struct {
	Title, Deadline, TimeZone string
	TitleError, DeadlineError string
}

// showOrg shows an organization to its members.
func (p *Pages) showOrg(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	return p.renderOrg(w, r, g, http.StatusOK, p.takeFlash(w, r), nil)
}

// renderOrg loads what g may see of the organization, lets edit adjust
// the data for the form just submitted, and renders the page.
func (p *Pages) renderOrg(w http.ResponseWriter, r *http.Request, g calls.OrgGrant, status int, flash string, edit func(*orgData)) error {
	ctx := r.Context()
	role := g.Member.Role
	d := orgData{ID: g.Org.ID, Name: g.Org.Name, Role: orgRoleName(role), Ability: orgRoleAbility(role),
		Owner: role == calls.RoleOwner, Manages: g.Manages(),
		Add:     orgMemberForm{Role: string(calls.RoleJuror)},
		NewCall: newCallForm{TimeZone: "UTC"}, Zones: orgZoneOptions("UTC")}
	for _, rl := range []calls.OrgRole{calls.RoleOwner, calls.RoleManager, calls.RoleJuror, calls.RoleViewer} {
		o := option{Value: string(rl), Label: orgRoleName(rl)}
		d.RoleNames = append(d.RoleNames, o)
		if d.Owner || !rl.Manages() {
			d.AddRoles = append(d.AddRoles, o)
		}
	}
	now := time.Now()
	ms, err := p.opts.Calls.Members(ctx, g)
	if err != nil {
		return orgsError(err)
	}
	for _, m := range ms {
		self := m.ID == g.Member.ID
		d.Members = append(d.Members, orgMemberRow{ID: m.ID, Email: m.Email, Role: string(m.Role), RoleName: orgRoleName(m.Role),
			Since: "Added " + shortDate(m.CreatedAt, now), Self: self, CanChange: d.Owner,
			CanRemove: self || d.Owner || d.Manages && !m.Role.Manages()})
	}
	cs, err := p.opts.Calls.CallsOf(ctx, g)
	if err != nil {
		return orgsError(err)
	}
	for _, c := range cs {
		st := c.Effective(now)
		row := orgCallRow{ID: c.ID, Title: c.Title, State: string(st), StateName: orgCallStates[st],
			Deadline: orgTime(c.Deadline, c.TimeZone), Public: c.State != calls.StateDraft,
			Manage: d.Manages || role == calls.RoleViewer}
		if row.Manage {
			// Totals are counts, never content: managers and viewers.
			cg, err := p.opts.Calls.CallFor(ctx, principal(r), c.ID)
			if err == nil {
				if t, err := p.opts.Calls.Totals(ctx, cg); err == nil {
					row.Entries = orgEntryCount(t.Entries)
				}
			}
		}
		d.Calls = append(d.Calls, row)
	}
	if edit != nil {
		edit(&d)
	}
	d.Zones = orgZoneOptions(d.NewCall.TimeZone)
	v := p.newView(r, "org", g.Org.Name, d)
	v.Nav = "orgs"
	v.Flash = flash
	v.Script = "manage.js"
	return p.render(w, status, "org", v)
}

func orgEntryCount(n int) string {
	switch n {
	case 0:
		return "No entries yet"
	case 1:
		return "1 entry"
	}
	return strconv.Itoa(n) + " entries"
}

// addOrgMember gives an address a role. As for project members, the
// answer does not say whether the address has an account.
func (p *Pages) addOrgMember(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := orgMemberForm{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role")}
	_, err := p.opts.Calls.AddMember(r.Context(), g, f.Email, calls.OrgRole(f.Role))
	switch {
	case errors.Is(err, auth.ErrInvalidEmail), errors.Is(err, calls.ErrAlreadyMember):
		f.EmailError = orgRefusal(err)
	case errors.Is(err, calls.ErrInvalidRole):
		f.RoleError = orgRefusal(err)
	case errors.Is(err, calls.ErrForbidden) && g.Manages():
		f.RoleError = "Managers add jurors and viewers; only an owner adds owners and managers."
	case err != nil:
		return orgsError(err)
	default:
		return p.redirectWithFlash(w, r, orgURL(g.Org.ID)+"#members", "org-member-added")
	}
	return p.renderOrg(w, r, g, http.StatusBadRequest, "", func(d *orgData) { d.Add = f })
}

// updateOrgMember changes a member's role; owners only.
func (p *Pages) updateOrgMember(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("member")
	err := p.opts.Calls.UpdateMember(r.Context(), g, id, calls.OrgRole(r.PostFormValue("role")))
	switch {
	case errors.Is(err, calls.ErrInvalidRole), errors.Is(err, calls.ErrLastOwner):
		return p.renderOrg(w, r, g, http.StatusBadRequest, "", func(d *orgData) { d.memberError(id, err) })
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, orgURL(g.Org.ID)+"#members", "org-member-changed")
}

// removeOrgMember ends a member's role at once; a member may also leave.
func (p *Pages) removeOrgMember(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("member")
	err := p.opts.Calls.RemoveMember(r.Context(), g, id)
	switch {
	case errors.Is(err, calls.ErrLastOwner):
		return p.renderOrg(w, r, g, http.StatusConflict, "", func(d *orgData) { d.memberError(id, err) })
	case err != nil:
		return orgsError(err)
	case id == g.Member.ID:
		return p.redirectWithFlash(w, r, "/orgs", "org-left")
	}
	return p.redirectWithFlash(w, r, orgURL(g.Org.ID)+"#members", "org-member-removed")
}

func (d *orgData) memberError(id string, err error) {
	for i := range d.Members {
		if d.Members[i].ID == id {
			d.Members[i].Error = orgRefusal(err)
		}
	}
}

// createOrgCall starts a draft call from its title and deadline (read in
// the chosen time zone) and opens its management page for the rest.
func (p *Pages) createOrgCall(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newCallForm{Title: r.PostFormValue("title"), Deadline: r.PostFormValue("deadline"), TimeZone: r.PostFormValue("timezone")}
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	refuse := func(set func(*newCallForm)) error {
		return p.renderOrg(w, r, g, http.StatusBadRequest, "", func(d *orgData) {
			set(&f)
			d.NewCall = f
		})
	}
	in := calls.CallInput{Title: &f.Title, TimeZone: &f.TimeZone}
	if strings.TrimSpace(f.Deadline) != "" {
		dl, err := calls.ParseTime(f.Deadline, f.TimeZone)
		if err != nil {
			return refuse(func(f *newCallForm) { f.DeadlineError = "Give the deadline as a date and time, in a valid time zone." })
		}
		in.Deadline = &dl
	}
	c, err := p.opts.Calls.CreateCall(r.Context(), g, in)
	switch {
	case errors.Is(err, calls.ErrInvalidTitle):
		return refuse(func(f *newCallForm) { f.TitleError = orgRefusal(err) })
	case errors.Is(err, calls.ErrInvalidSchedule) && in.Deadline == nil:
		return refuse(func(f *newCallForm) { f.DeadlineError = "Give the call a deadline." })
	case errors.Is(err, calls.ErrInvalidSchedule), errors.Is(err, calls.ErrDeadlinePast):
		return refuse(func(f *newCallForm) { f.DeadlineError = orgRefusal(err) })
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, callManageURL(c.ID), "call-created")
}

// orgSample is the data New checks the organization template with.
func orgSample() orgData {
	return orgData{ID: "x", Owner: true, Manages: true,
		Members:  []orgMemberRow{{ID: "m", Self: true, CanChange: true, CanRemove: true, Error: "x"}, {ID: "n"}},
		Calls:    []orgCallRow{{ID: "c", Entries: "x", Manage: true, Public: true}, {ID: "d"}},
		Add:      orgMemberForm{EmailError: "x", RoleError: "x"},
		AddRoles: []option{{"juror", "Juror"}}, RoleNames: []option{{"juror", "Juror"}},
		NewCall: newCallForm{TitleError: "x", DeadlineError: "x"}, Zones: orgZoneOptions("UTC"),
	}
}
