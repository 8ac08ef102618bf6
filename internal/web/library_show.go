package web

import "net/http"

// libraryData is what the library page shows. It is empty until uploads
// exist; the grid fills the #library-grid region.
type libraryData struct{}

// showLibrary shows the caller's library.
func (p *Pages) showLibrary(w http.ResponseWriter, r *http.Request) error {
	v := p.newView(r, "library", "Library", libraryData{})
	v.Nav = "library"
	v.Flash = p.takeFlash(w, r)
	return p.render(w, http.StatusOK, "library", v)
}
