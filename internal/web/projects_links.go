package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"safelight/internal/media"
	"safelight/internal/sharing"
)

// createProjectLink makes a review link and shows its address in this
// answer only: the server keeps only a hash of its token.
func (p *Pages) createProjectLink(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if !g.Owner {
		return projectError(sharing.ErrForbidden)
	}
	f := linkForm{Download: r.PostFormValue("download"), Expires: strings.TrimSpace(r.PostFormValue("expires")),
		Watermark: r.PostFormValue("watermark")}
	refuse := func(set func(*linkForm)) error {
		set(&f)
		return p.renderProject(w, r, g, http.StatusBadRequest, "", func(d *projectData) { d.Link, d.ShareOpen = f, true })
	}
	o := sharing.LinkOptions{Password: r.PostFormValue("password"), Download: sharing.Download(f.Download), Watermark: strings.TrimSpace(f.Watermark)}
	if f.Expires != "" {
		exp, ok := linkExpiry(f.Expires, time.Now(), p.opts.Sharing.Config().MaxLinkTTL)
		if !ok {
			return refuse(func(f *linkForm) { f.ExpiresError = "Choose a date such as 2026-12-28." })
		}
		o.ExpiresAt = exp
	}
	l, token, err := p.opts.Sharing.CreateLink(r.Context(), g, o, client(r))
	switch {
	case errors.Is(err, sharing.ErrInvalidLinkPassword):
		return refuse(func(f *linkForm) { f.PasswordError = sentence(err.Error()) })
	case errors.Is(err, sharing.ErrExpiryPast), errors.Is(err, sharing.ErrExpiryTooLate):
		return refuse(func(f *linkForm) { f.ExpiresError = sentence(err.Error()) })
	case errors.Is(err, sharing.ErrInvalidWatermark), errors.Is(err, media.ErrWatermarkText):
		return refuse(func(f *linkForm) { f.WatermarkError = sentence(err.Error()) })
	case errors.Is(err, sharing.ErrInvalidDownload):
		return refuse(func(f *linkForm) { f.DownloadErr = sentence(err.Error()) })
	case err != nil:
		return projectError(err)
	}
	return p.renderProject(w, r, g, http.StatusOK, "", func(d *projectData) {
		d.ShareOpen = true
		d.NewLink = &shownSecret{Label: "Review link", Secret: p.opts.PublicURL + "/s/" + token}
		d.NewLinkSay = linkSentence(l, time.Now())
	})
}

// linkExpiry reads the expiry field (a date, yyyy-mm-dd): the link lasts
// to the end of that day in UTC, or to the longest life the instance
// allows when that day is its last.
func linkExpiry(v string, now time.Time, max time.Duration) (time.Time, bool) {
	day, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false
	}
	end := day.Add(24*time.Hour - time.Minute)
	if limit := now.Add(max); end.After(limit) && day.Format(time.DateOnly) == limit.UTC().Format(time.DateOnly) {
		end = limit.Add(-time.Minute)
	}
	return end, true
}

// setProjectLinkPassword sets, changes or removes a link's password;
// everyone who unlocked it before has to enter the new one.
func (p *Pages) setProjectLinkPassword(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if !g.Owner {
		return projectError(sharing.ErrForbidden)
	}
	id := r.PathValue("link_id")
	pw := r.PostFormValue("password")
	remove := r.PostFormValue("action") == "remove"
	if remove {
		pw = ""
	} else if pw == "" {
		return p.refuseLinkPassword(w, r, g, id, "Type the new password, or choose “Remove password”.")
	}
	err := p.opts.Sharing.SetLinkPassword(r.Context(), g, id, pw, client(r))
	switch {
	case errors.Is(err, sharing.ErrInvalidLinkPassword):
		return p.refuseLinkPassword(w, r, g, id, sentence(err.Error()))
	case err != nil:
		return projectError(err)
	}
	if remove {
		return p.redirectWithFlash(w, r, shareURL(g.Project.ID), "link-password-removed")
	}
	return p.redirectWithFlash(w, r, shareURL(g.Project.ID), "link-password-changed")
}

func (p *Pages) refuseLinkPassword(w http.ResponseWriter, r *http.Request, g sharing.Grant, id, msg string) error {
	return p.renderProject(w, r, g, http.StatusBadRequest, "", func(d *projectData) {
		d.ShareOpen = true
		for i := range d.Links {
			if d.Links[i].ID == id {
				d.Links[i].PasswordError = msg
			}
		}
	})
}

// revokeProjectLink ends a link on every endpoint at once.
func (p *Pages) revokeProjectLink(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := p.opts.Sharing.RevokeLink(r.Context(), g, r.PathValue("link_id"), client(r)); err != nil {
		return projectError(err)
	}
	return p.redirectWithFlash(w, r, shareURL(g.Project.ID), "link-revoked")
}
