package web

import (
	"errors"
	"net/http"
	"time"

	"safelight/internal/library"
	"safelight/internal/sharing"
)

// projectsData is what the projects page shows: the caller's projects,
// those shared with them, their notifications, and the form for a new
// project (with what was typed and why it was refused, after a refusal).
type projectsData struct {
	Owned         []projectCard
	Shared        []projectCard
	Notifications []notificationRow

	Name, Description string
	NameError         string
	DescError         string
}

// projectCard is one project of the list.
type projectCard struct {
	ID          string
	Name        string
	Description string
	CoverURL    string // a thumbnail through the project's own grant, or ""
	Count       string // "12 photos"
	Owner       bool
	Role        string // "Owner", "Reviewer", …
	Ability     string // what the caller may do, one sentence
	SharedBy    string // the owner's name, for projects shared with the caller
}

// notificationRow is one in-app notification.
type notificationRow struct {
	Text      string
	ProjectID string
	Unread    bool
	When      string
	At        string
	ISO       string
}

// showProjects lists the caller's projects and those shared with them,
// and their notifications, which count as read once shown here.
func (p *Pages) showProjects(w http.ResponseWriter, r *http.Request) error {
	return p.renderProjects(w, r, http.StatusOK, p.takeFlash(w, r), projectsData{})
}

// renderProjects fills d with the lists and renders the page; d carries
// the new-project form's values and errors.
func (p *Pages) renderProjects(w http.ResponseWriter, r *http.Request, status int, flash string, d projectsData) error {
	ctx := r.Context()
	pr := principal(r)
	owned, shared, err := p.opts.Sharing.Projects(ctx, pr)
	if err != nil {
		return err
	}
	for _, pj := range owned {
		g, err := p.opts.Sharing.ProjectFor(ctx, pr, pj.ID)
		if err != nil {
			continue // deleted meanwhile
		}
		// The owner's own listing: nothing goes into the access log.
		as, err := p.opts.Sharing.Assets(ctx, g)
		if err != nil {
			return projectError(err)
		}
		c := projectCard{ID: pj.ID, Name: pj.Name, Description: pj.Description, Count: photoCount(len(as)),
			Owner: true, Role: roleName(g), Ability: grantSentence(g)}
		c.CoverURL = coverURL(pj, as)
		d.Owned = append(d.Owned, c)
	}
	for _, pj := range shared {
		g, err := p.opts.Sharing.ProjectFor(ctx, pr, pj.ID)
		if err != nil {
			continue // removed meanwhile
		}
		// Listing a shared project's photos would count as seeing them in
		// its owner's access log: the card takes only a count and a cover.
		c := projectCard{ID: pj.ID, Name: pj.Name, Description: pj.Description, Role: roleName(g), Ability: grantSentence(g)}
		n, cover, err := p.opts.Sharing.Summary(ctx, g)
		if err != nil {
			return projectError(err)
		}
		c.Count = photoCount(n)
		if cover != "" {
			c.CoverURL = projectThumbURL(pj.ID, cover)
		}
		if u, err := p.opts.Auth.User(ctx, pj.OwnerID); err == nil {
			c.SharedBy = u.Name
		}
		d.Shared = append(d.Shared, c)
	}

	ns, err := p.opts.Sharing.Notifications(ctx, pr.UserID)
	if err != nil {
		return err
	}
	now := time.Now()
	unread := false
	for _, n := range ns {
		row := notificationRow{Text: n.Text, ProjectID: n.ProjectID, Unread: n.ReadAt.IsZero(),
			When: ago(n.CreatedAt, now), At: exact(n.CreatedAt), ISO: n.CreatedAt.UTC().Format(time.RFC3339)}
		unread = unread || row.Unread
		d.Notifications = append(d.Notifications, row)
	}
	if unread {
		// Shown now: read. This page still marks them new, once.
		if err := p.opts.Sharing.MarkNotificationsRead(ctx, pr.UserID); err != nil {
			return err
		}
	}

	v := p.newView(r, "projects", "Projects", d)
	v.Nav = "projects"
	v.Flash = flash
	v.Unread = 0 // read now
	return p.render(w, status, "projects", v)
}

// coverURL is the thumbnail a project shows in the list: its cover, or
// else its first photo that has one.
func coverURL(pj sharing.Project, as []sharing.SharedAsset) string {
	first := ""
	for _, a := range as {
		if a.Status != library.StatusReady {
			continue
		}
		if a.ID == pj.CoverID {
			return projectThumbURL(pj.ID, a.ID)
		}
		if first == "" {
			first = a.ID
		}
	}
	if first == "" {
		return ""
	}
	return projectThumbURL(pj.ID, first)
}

func projectThumbURL(projectID, assetID string) string {
	return "/api/v1/projects/" + projectID + "/assets/" + assetID + "/thumb"
}

// createProject makes a project and opens it.
func (p *Pages) createProject(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	name, desc := r.PostFormValue("name"), r.PostFormValue("description")
	pj, err := p.opts.Sharing.CreateProject(r.Context(), principal(r), name, desc)
	switch {
	case errors.Is(err, sharing.ErrInvalidName):
		return p.renderProjects(w, r, http.StatusBadRequest, "", projectsData{Name: name, Description: desc, NameError: sentence(err.Error())})
	case errors.Is(err, sharing.ErrInvalidDesc):
		return p.renderProjects(w, r, http.StatusBadRequest, "", projectsData{Name: name, Description: desc, DescError: sentence(err.Error())})
	case err != nil:
		return err
	}
	return p.redirectWithFlash(w, r, projectURL(pj.ID), "project-created")
}
