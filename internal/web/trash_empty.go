package web

import "net/http"

// emptyTrash deletes everything in the caller's trash for good, now. The
// page asks first (a disclosure with the real button inside).
func (p *Pages) emptyTrash(w http.ResponseWriter, r *http.Request) error {
	if _, err := p.opts.Library.EmptyTrash(r.Context(), principal(r)); err != nil {
		return libraryError(err)
	}
	return p.redirectWithFlash(w, r, "/trash", "trash-emptied")
}
