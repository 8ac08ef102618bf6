package web

import (
	"errors"
	"net/http"

	"safelight/internal/sharing"
)

// updateProjectSettings saves the owner's settings: name, description,
// and whether members and link holders see camera details.
func (p *Pages) updateProjectSettings(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if !g.Owner {
		return projectError(sharing.ErrForbidden)
	}
	name, desc := r.PostFormValue("name"), r.PostFormValue("description")
	camera := r.PostFormValue("show_camera") == "on"
	_, err := p.opts.Sharing.UpdateProject(r.Context(), g, sharing.ProjectInput{Name: &name, Description: &desc, ShowCamera: &camera})
	refuse := func(set func(*settingsForm)) error {
		return p.renderProject(w, r, g, http.StatusBadRequest, "", func(d *projectData) {
			d.Settings = settingsForm{Name: name, Description: desc, ShowCamera: camera}
			set(&d.Settings)
			d.SettingsOpen = true
		})
	}
	switch {
	case errors.Is(err, sharing.ErrInvalidName):
		return refuse(func(f *settingsForm) { f.NameError = sentence(err.Error()) })
	case errors.Is(err, sharing.ErrInvalidDesc):
		return refuse(func(f *settingsForm) { f.DescError = sentence(err.Error()) })
	case err != nil:
		return projectError(err)
	}
	return p.redirectWithFlash(w, r, projectURL(g.Project.ID), "project-saved")
}

// deleteProject deletes the project, its members, links and reviews;
// the photos stay in the owner's library.
func (p *Pages) deleteProject(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := p.opts.Sharing.DeleteProject(r.Context(), g, client(r)); err != nil {
		return projectError(err)
	}
	return p.redirectWithFlash(w, r, "/projects", "project-deleted")
}
