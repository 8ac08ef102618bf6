package web

import (
	"net/http"
)

// libraryData is what the library page shows: the first page of the grid
// (or the page after ?cursor=, for browsers without JavaScript).
type libraryData struct {
	Tiles          []tile
	NextCursor     string
	Earlier        bool  // a later page, reached through ?cursor=
	MaxUploadBytes int64 // for the drop target's size check
}

// showLibrary shows the caller's library, newest capture first.
func (p *Pages) showLibrary(w http.ResponseWriter, r *http.Request) error {
	cursor := r.URL.Query().Get("cursor")
	page, err := p.opts.Library.List(r.Context(), principal(r), false, cursor, pageSize)
	if err != nil {
		return libraryError(err)
	}
	if cursor != "" && len(page.Items) == 0 {
		// Past the end (photos were deleted meanwhile): start over.
		http.Redirect(w, r, "/library", http.StatusSeeOther)
		return nil
	}
	d := libraryData{NextCursor: page.NextCursor, Earlier: cursor != "",
		MaxUploadBytes: p.opts.Library.Config().MaxUploadBytes}
	for _, a := range page.Items {
		d.Tiles = append(d.Tiles, tileOf(a))
	}
	v := p.newView(r, "library", "Library", d)
	v.Nav = "library"
	v.Flash = p.takeFlash(w, r)
	v.Script = "library.js"
	return p.render(w, http.StatusOK, "library", v)
}
