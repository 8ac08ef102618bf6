package web

import (
	"errors"
	"net/http"
	"strings"

	"safelight/internal/auth"
	"safelight/internal/sharing"
)

// shareURL is the project page with its share dialog open.
func shareURL(id string) string { return projectURL(id) + "?share=1" }

// inviteProjectMember invites an address with a role and a download
// policy. The answer is the same whether or not the address has an
// account.
func (p *Pages) inviteProjectMember(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role"), Download: r.PostFormValue("download")}
	_, err := p.opts.Sharing.Invite(r.Context(), g, f.Email, sharing.Role(f.Role), sharing.Download(f.Download), client(r))
	switch {
	case errors.Is(err, auth.ErrInvalidEmail), errors.Is(err, sharing.ErrInviteSelf), errors.Is(err, sharing.ErrAlreadyMember):
		f.EmailError = sentence(err.Error())
	case errors.Is(err, sharing.ErrInvalidRole):
		f.RoleError = sentence(err.Error())
	case errors.Is(err, sharing.ErrInvalidDownload):
		f.DownloadError = sentence(err.Error())
	case errors.Is(err, sharing.ErrForbidden) && g.CanEdit():
		// An editor may not give more than their own download policy.
		f.DownloadError = "You can't give more downloads than you have yourself."
	case err != nil:
		return projectError(err)
	default:
		return p.redirectWithFlash(w, r, shareURL(g.Project.ID), "member-invited")
	}
	return p.renderProject(w, r, g, http.StatusBadRequest, "", func(d *projectData) {
		d.Invite, d.ShareOpen = f, true
	})
}

// updateProjectMember changes a member's role and download policy.
func (p *Pages) updateProjectMember(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("member_id")
	role, download := sharing.Role(r.PostFormValue("role")), sharing.Download(r.PostFormValue("download"))
	_, err := p.opts.Sharing.UpdateMember(r.Context(), g, id, &role, &download, client(r))
	switch {
	case errors.Is(err, sharing.ErrInvalidRole), errors.Is(err, sharing.ErrInvalidDownload),
		errors.Is(err, sharing.ErrForbidden) && g.CanEdit():
		msg := sentence(err.Error())
		if errors.Is(err, sharing.ErrForbidden) {
			msg = "You can't give more downloads than you have yourself."
		}
		return p.renderProject(w, r, g, http.StatusBadRequest, "", func(d *projectData) {
			d.ShareOpen = true
			for i := range d.Members {
				if d.Members[i].ID == id {
					d.Members[i].Error = msg
				}
			}
		})
	case err != nil:
		return projectError(err)
	}
	return p.redirectWithFlash(w, r, shareURL(g.Project.ID), "member-changed")
}

// removeProjectMember ends a member's access everywhere at once.
func (p *Pages) removeProjectMember(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := p.opts.Sharing.RemoveMember(r.Context(), g, r.PathValue("member_id"), client(r)); err != nil {
		return projectError(err)
	}
	return p.redirectWithFlash(w, r, shareURL(g.Project.ID), "member-removed")
}
