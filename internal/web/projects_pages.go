package web

import (
	"errors"
	"net/http"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/sharing"
)

// The project pages: the list of the caller's projects and of those
// shared with them (projects_list.go), a project with the review grid,
// the share dialog and the owner's settings (projects_show.go and the
// form handlers beside it), and the owner's access log
// (projects_access.go). Forms follow Post/Redirect/Get; a refused form
// shows the page again with the reason beside the field.

// registerProjects adds the project pages. Every one needs a signed-in
// caller; package sharing decides per request what their grant on the
// project allows, and no grant is the page that does not exist.
func (p *Pages) registerProjects(rt *httpx.Router) {
	if p.opts.Sharing == nil {
		return
	}
	rt.Page("GET /projects", access.Authenticated, p.showProjects)
	rt.Page("POST /projects", access.Authenticated, p.createProject)
	rt.Page("GET /projects/{id}", access.Authenticated, p.withGrant(p.showProject))
	rt.Page("GET /projects/{id}/access", access.Authenticated, p.withGrant(p.showProjectAccess))
	rt.Page("POST /projects/{id}/settings", access.Authenticated, p.withGrant(p.updateProjectSettings))
	rt.Page("POST /projects/{id}/delete", access.Authenticated, p.withGrant(p.deleteProject))
	rt.Page("POST /projects/{id}/members", access.Authenticated, p.withGrant(p.inviteProjectMember))
	rt.Page("POST /projects/{id}/members/{member_id}", access.Authenticated, p.withGrant(p.updateProjectMember))
	rt.Page("POST /projects/{id}/members/{member_id}/remove", access.Authenticated, p.withGrant(p.removeProjectMember))
	rt.Page("POST /projects/{id}/links", access.Authenticated, p.withGrant(p.createProjectLink))
	rt.Page("POST /projects/{id}/links/{link_id}/password", access.Authenticated, p.withGrant(p.setProjectLinkPassword))
	rt.Page("POST /projects/{id}/links/{link_id}/revoke", access.Authenticated, p.withGrant(p.revokeProjectLink))
}

// grantPage is a project page handler: it runs with the caller's grant.
type grantPage func(w http.ResponseWriter, r *http.Request, g sharing.Grant) error

// withGrant resolves the caller's grant on {id} before h. Another
// owner's project, a removed member's, a malformed id: all are the page
// that does not exist, the same answer as a project that never was.
func (p *Pages) withGrant(h grantPage) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := p.opts.Sharing.ProjectFor(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return projectError(err)
		}
		return h(w, r, g)
	}
}

// projectError maps sharing's refusals that are not about one field of a
// form to error pages with safe messages.
func projectError(err error) error {
	switch {
	case errors.Is(err, sharing.ErrNotFound), errors.Is(err, library.ErrNotFound):
		return httpx.NotFound()
	case errors.Is(err, sharing.ErrForbidden):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err}
	}
	return err
}

func projectURL(id string) string { return "/projects/" + id }

// The notices after the project forms (see flash.go; the keys join its
// fixed list).
var projectFlashes = map[string]string{
	"project-created":       "The project was created. Add photos from your library: select them and choose “Add to project”.",
	"project-saved":         "The project settings were saved.",
	"project-deleted":       "The project was deleted. Its photos are still in your library.",
	"member-invited":        "The invitation was sent. They see the project once they sign in with that address and confirm it.",
	"member-changed":        "Their access was changed. It applies at once.",
	"member-removed":        "They were removed. They can no longer open the project or any of its photos.",
	"link-revoked":          "The link was revoked. Nobody can open it any more.",
	"link-password-changed": "The link's password was changed. Everyone who opened the link has to enter the new one.",
	"link-password-removed": "The link's password was removed. Anyone with the link can open it.",
}

func init() {
	for k, v := range projectFlashes {
		flashes[k] = v
	}
	// The templates of these pages are checked at start like the others
	// (see pageSamples in web.go).
	pageSamples["projects"] = projectsData{
		Owned:         []projectCard{{CoverURL: "/x", Owner: true}, {}},
		Shared:        []projectCard{{}},
		Notifications: []notificationRow{{Unread: true, ProjectID: "x"}, {}},
		NameError:     "x", DescError: "x",
	}
	pageSamples["project"] = projectSample()
	pageSamples["project_access"] = projectAccessData{Rows: []projectAccessRow{{ThumbURL: "/x"}, {}}}
}
