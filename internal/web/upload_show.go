package web

import "net/http"

// uploadData is what the upload page shows.
type uploadData struct {
	MaxUploadBytes int64
	MaxUpload      string // the same, in words ("200 MB")
}

// showUpload shows the upload page: a drop zone, file and folder pickers,
// and the tray where upload.js shows progress.
func (p *Pages) showUpload(w http.ResponseWriter, r *http.Request) error {
	limit := p.opts.Library.Config().MaxUploadBytes
	v := p.newView(r, "upload", "Upload", uploadData{MaxUploadBytes: limit, MaxUpload: humanBytes(limit)})
	v.Nav = "upload"
	v.Script = "upload-page.js"
	return p.render(w, http.StatusOK, "upload", v)
}
