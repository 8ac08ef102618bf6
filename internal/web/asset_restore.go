package web

import "net/http"

// restoreAsset takes one of the caller's photos out of the trash.
func (p *Pages) restoreAsset(w http.ResponseWriter, r *http.Request) error {
	if _, err := p.opts.Library.Restore(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return libraryError(err)
	}
	return p.redirectWithFlash(w, r, "/trash", "asset-restored")
}
