package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/export"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/sharing"
)

// registerExports adds the owner's Lightroom exports and the ZIP
// downloads of members and link holders.
func (s *Server) registerExports(rt *httpx.Router) {
	rt.API("GET /api/v1/projects/{id}/export/xmp", access.Authenticated, s.project(s.exportXMP))
	rt.API("GET /api/v1/projects/{id}/export/list", access.Authenticated, s.project(s.exportList))
	rt.API("GET /api/v1/projects/{id}/export/csv", access.Authenticated, s.project(s.exportCSV))
	rt.API("GET /api/v1/projects/{id}/zip", access.Authenticated, s.project(s.downloadZip))
	rt.API("GET /api/v1/links/{token}/zip", access.Public, s.link(s.downloadZip))
	rt.API("GET /api/v1/projects/{id}/access-log", access.Authenticated, s.project(s.projectAccessLog))
}

// projectAccessLog lists who saw the project's photos through a grant,
// with the grant and the photo; owner only.
func (s *Server) projectAccessLog(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	evs, err := s.Sharing.AccessLog(r.Context(), g, 1000)
	if err != nil {
		return sharingError(err)
	}
	type entry struct {
		accessJSON
		AssetID string `json:"asset_id"`
	}
	items := make([]entry, len(evs))
	for i, e := range evs {
		items[i] = entry{accessJSON: accessJSON{At: e.At, Actor: e.ActorLabel, Via: e.Via, Action: e.Action}, AssetID: e.AssetID}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// selection reads a Selection from the query: reviewer, min_rating,
// label, flag, ids (comma-separated).
func selection(r *http.Request) (sharing.Selection, error) {
	q := r.URL.Query()
	sel := sharing.Selection{Reviewer: q.Get("reviewer"), Label: q.Get("label"), Flag: q.Get("flag"), IDs: ids(q.Get("ids"))}
	if v := q.Get("min_rating"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 5 {
			return sel, httpx.Errorf(http.StatusBadRequest, "min_rating must be a whole number from 0 to 5")
		}
		sel.MinRating = n
	}
	return sel, nil
}

func ids(v string) []string {
	var out []string
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) exportItems(r *http.Request, g sharing.Grant) ([]export.Item, error) {
	sel, err := selection(r)
	if err != nil {
		return nil, err
	}
	items, err := s.Sharing.ExportItems(r.Context(), g, sel)
	if err != nil {
		return nil, sharingError(err)
	}
	return items, nil
}

// exportXMP streams a ZIP of XMP sidecars carrying the selection's
// verdicts, for Lightroom's "Read Metadata from Files".
func (s *Server) exportXMP(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	items, err := s.exportItems(r, g)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := it.Validate(); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", attachment(sharing.ArchiveName(g.Project, "-xmp.zip")))
	zw := export.NewZipWriter(w)
	if err := export.WriteSidecars(zw, items, time.Now()); err != nil {
		panic(http.ErrAbortHandler) // a broken archive, never a cut-off one that looks whole
	}
	if err := zw.Close(); err != nil {
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exportList answers the selection's file names: by default one line to
// paste into Lightroom's filename filter; format=lines, one per line.
func (s *Server) exportList(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	items, err := s.exportItems(r, g)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Query().Get("format") == "lines" {
		_, err = w.Write(export.FileList(items))
		return err
	}
	_, err = w.Write([]byte(export.LightroomFilter(items) + "\n"))
	return err
}

// exportCSV answers every mark and comment of the selection.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	items, err := s.exportItems(r, g)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", attachment(sharing.ArchiveName(g.Project, "-review.csv")))
	return export.CSV(w, items)
}

// downloadZip streams a ZIP of the selected photos (ids, all when absent)
// at the size the grant allows (size=preview|original; the largest
// allowed when absent). Every file is in the owner's access log.
func (s *Server) downloadZip(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	entries, err := s.Sharing.ZipSelection(r.Context(), g, ids(r.URL.Query().Get("ids")), r.URL.Query().Get("size"))
	if errors.Is(err, sharing.ErrNoDownload) {
		return httpx.NotFound()
	} else if err != nil {
		return sharingError(err)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", attachment(sharing.ArchiveName(g.Project, ".zip")))
	w.Header().Set("Cache-Control", "private, no-store")
	zw := export.NewZipWriter(w)
	for _, e := range entries {
		c, err := s.Sharing.Open(r.Context(), g, e.AssetID, e.Kind, true)
		if err != nil {
			continue // not ready yet, or gone meanwhile: left out
		}
		var body io.Reader = c
		if g.Link != nil && g.Link.Watermark != "" && e.Kind == library.Preview {
			data, werr := s.watermark(c, g.Link.Watermark)
			if werr != nil {
				c.Close()
				panic(http.ErrAbortHandler)
			}
			body = bytes.NewReader(data)
		}
		err = zw.Add(c.Filename, c.ModTime, body)
		c.Close()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
	}
	if err := zw.Close(); err != nil {
		panic(http.ErrAbortHandler)
	}
	return nil
}
