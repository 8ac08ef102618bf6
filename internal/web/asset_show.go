package web

import (
	"net/http"
	"net/url"
	"time"

	"safelight/internal/library"
)

// assetData is what the viewer shows of one photo.
type assetData struct {
	ID      string
	Title   string // the file name
	Summary string // "50 mm · f/2.8 · 1/250 s · ISO 200"
	Status  string
	Reason  string // why processing failed

	Alt                string
	PreviewURL         string
	PreviewW, PreviewH int
	OriginalURL        string // "" once processing failed (the original is gone)

	BackHref       string // the grid, at this photo
	PrevHref       string // "" at the start of the library
	NextHref       string // "" at its end
	InfoOpen       bool
	InfoToggleHref string

	Groups []detailGroup
	Access []accessRow
}

// showAsset shows one photo of the caller's as large as the window
// allows, with previous and next, the details panel (?info=1 opens it),
// download, delete, and who accessed it.
func (p *Pages) showAsset(w http.ResponseWriter, r *http.Request) error {
	ctx, pr, id := r.Context(), principal(r), r.PathValue("id")
	a, err := p.opts.Library.Get(ctx, pr, id)
	if err != nil {
		return libraryError(err)
	}
	prev, next, err := p.opts.Library.Neighbours(ctx, pr, id)
	if err != nil {
		return libraryError(err)
	}
	events, err := p.opts.Library.AccessLog(ctx, pr, id)
	if err != nil {
		return libraryError(err)
	}

	open := r.URL.Query().Get("info") == "1"
	link := func(id string, info bool) string {
		if id == "" {
			return ""
		}
		u := "/library/" + url.PathEscape(id)
		if info {
			u += "?info=1"
		}
		return u
	}
	d := assetData{
		ID: a.ID, Title: a.Private.Filename, Summary: exposureOf(a).summary(), Status: string(a.Status),
		Reason: sentence(a.FailureReason), Alt: altText(a),
		BackHref: "/library#tile-" + a.ID, PrevHref: link(prev, open), NextHref: link(next, open),
		InfoOpen: open, InfoToggleHref: link(a.ID, !open),
		Groups: details(a),
	}
	if d.Title == "" {
		d.Title = "Photo"
	}
	if a.Status == library.StatusReady {
		d.PreviewURL, d.PreviewW, d.PreviewH = previewURL(a.ID), a.PreviewWidth, a.PreviewHeight
	}
	if a.Status != library.StatusFailed {
		d.OriginalURL = originalURL(a.ID)
	}
	now := time.Now()
	for _, e := range events {
		d.Access = append(d.Access, accessRowOf(e, now))
	}
	v := p.newView(r, "asset", d.Title, d)
	v.Nav = "library"
	v.Script = "viewer.js"
	return p.render(w, http.StatusOK, "asset", v)
}
