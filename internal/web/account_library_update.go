package web

import (
	"net/http"

	"safelight/internal/library"
)

// updateAccountLibrarySettings stores the caller's library settings. An
// unticked checkbox is not sent at all, so its absence means off.
func (p *Pages) updateAccountLibrarySettings(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	st := library.Settings{KeepCopyright: r.PostFormValue("keep_copyright") != ""}
	if err := p.opts.Library.SetSettings(r.Context(), principal(r), st); err != nil {
		return err
	}
	return p.redirectWithFlash(w, r, "/account#library-settings", "library-settings-saved")
}
