package web

import (
	"errors"
	"net/http"

	"safelight/internal/calls"
)

// orgsData is the caller's organizations, with their role in each, and
// the form for a new one (with what was typed and why it was refused).
type orgsData struct {
	Orgs      []orgCard
	Rounds    int // jury rounds the caller is invited to: a pointer to /jury
	Name      string
	NameError string
}

// orgCard is one organization of the list.
type orgCard struct {
	ID      string
	Name    string
	Role    string // "Owner", "Juror", …
	Ability string
}

// showOrgs lists the caller's organizations.
func (p *Pages) showOrgs(w http.ResponseWriter, r *http.Request) error {
	return p.renderOrgs(w, r, http.StatusOK, p.takeFlash(w, r), orgsData{})
}

func (p *Pages) renderOrgs(w http.ResponseWriter, r *http.Request, status int, flash string, d orgsData) error {
	ctx := r.Context()
	gs, err := p.opts.Calls.Orgs(ctx, principal(r))
	if err != nil {
		return err
	}
	for _, g := range gs {
		d.Orgs = append(d.Orgs, orgCard{ID: g.Org.ID, Name: g.Org.Name, Role: orgRoleName(g.Member.Role), Ability: orgRoleAbility(g.Member.Role)})
	}
	rs, err := p.opts.Calls.MyRounds(ctx, principal(r))
	if err != nil {
		return err
	}
	d.Rounds = len(rs)
	v := p.newView(r, "orgs", "Organizations", d)
	v.Nav = "orgs"
	v.Flash = flash
	return p.render(w, status, "orgs", v)
}

// createOrg makes an organization with the caller as its owner, and opens
// it. The owner's role is tied to their address, so it must be verified.
func (p *Pages) createOrg(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := r.PostFormValue("name")
	o, err := p.opts.Calls.CreateOrg(r.Context(), principal(r), name)
	switch {
	case errors.Is(err, calls.ErrInvalidOrgName), errors.Is(err, calls.ErrUnverifiedEmail):
		return p.renderOrgs(w, r, http.StatusBadRequest, "", orgsData{Name: name, NameError: orgRefusal(err)})
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, orgURL(o.ID), "org-created")
}
