package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

// registerPrivacyExport adds access and portability exports (GDPR Art.
// 15, 20): ask for one, follow it, download it once.
//
// The download link is a bearer secret in the path, and paths end up in
// logs, so it is not enough alone: the route also needs the same
// signed-in account (session or token) that owns the export. A link that
// was used, has expired, is unknown or is someone else's answers 404 with
// one message for all (never 410, which would confirm that it existed).
func (s *Server) registerPrivacyExport(rt *httpx.Router) {
	rt.API("POST /api/v1/me/export", access.Authenticated, s.requestExport)
	rt.API("GET /api/v1/me/export/{id}", access.Authenticated, s.exportStatus)
	rt.API("GET /api/v1/exports/{token}", access.Authenticated, s.downloadExport)
}

type exportJSON struct {
	ID          string     `json:"id"`
	State       string     `json:"state"`
	Size        int64      `json:"size,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	DownloadURL string     `json:"download_url,omitempty"`
}

func (s *Server) exportJSON(st privacy.ExportStatus) exportJSON {
	j := exportJSON{ID: st.ID, State: string(st.State), Size: st.Size, CreatedAt: st.CreatedAt}
	if !st.ExpiresAt.IsZero() {
		t := st.ExpiresAt
		j.ExpiresAt = &t
	}
	if st.Link != "" {
		j.DownloadURL = s.PublicURL + "/api/v1/exports/" + st.Link
	}
	return j
}

// requestExport answers 202 with the export asked for now, or with the
// one already pending or building (one job per user), and then starts a
// build in the background.
func (s *Server) requestExport(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Exports.Request(r.Context(), principal(r))
	if err != nil {
		return err
	}
	if err := httpx.WriteJSON(w, http.StatusAccepted, s.exportJSON(privacy.ExportStatus{Export: e})); err != nil {
		return err
	}
	s.Exports.Kick()
	return nil
}

// exportStatus answers the caller's export; once ready, with a fresh
// single-use download link (any earlier one stops working).
func (s *Server) exportStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Exports.Status(r.Context(), principal(r), r.PathValue("id"))
	if errors.Is(err, privacy.ErrExportNotFound) {
		return httpx.NotFound()
	} else if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, s.exportJSON(st))
}

// downloadExport spends the link and streams the ZIP as an attachment.
// The sealed blob is deleted once the answer is over, whether or not the
// client got all of it: a broken download means asking for a new export.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Exports.Download(r.Context(), principal(r), r.PathValue("token"))
	if errors.Is(err, privacy.ErrLinkNotValid) {
		return &httpx.Error{Status: http.StatusNotFound, Message: err.Error(), Cause: err}
	} else if err != nil {
		return err
	}
	defer d.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="safelight-export-`+d.ReadyAt.UTC().Format("2006-01-02")+`.zip"`)
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, d); err != nil {
		panic(http.ErrAbortHandler) // the client must see the transfer fail, not a short ZIP
	}
	return nil
}
