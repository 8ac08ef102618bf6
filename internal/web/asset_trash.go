package web

import "net/http"

// trashAsset moves one of the caller's photos to the trash.
func (p *Pages) trashAsset(w http.ResponseWriter, r *http.Request) error {
	if err := p.opts.Library.Trash(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return libraryError(err)
	}
	return p.redirectWithFlash(w, r, "/library", "asset-trashed")
}
