package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/audit"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/media"
	"safelight/internal/ratelimit"
)

// multipartSlack is what multipart framing may add to the file itself.
const multipartSlack = 64 << 10

type gpsJSON struct {
	Lat float64  `json:"lat"`
	Lon float64  `json:"lon"`
	Alt *float64 `json:"alt,omitempty"`
}

type assetJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	FailureReason string     `json:"failure_reason,omitempty"`
	Format        string     `json:"format"`
	Width         int        `json:"width"`
	Height        int        `json:"height"`
	Size          int64      `json:"size"`
	Filename      string     `json:"filename"`
	SHA256        string     `json:"sha256"`
	TakenAt       string     `json:"taken_at,omitempty"`
	Camera        string     `json:"camera,omitempty"`
	CameraMake    string     `json:"camera_make,omitempty"`
	CameraModel   string     `json:"camera_model,omitempty"`
	Lens          string     `json:"lens,omitempty"`
	FocalLengthMM float64    `json:"focal_length_mm,omitempty"`
	Aperture      float64    `json:"aperture,omitempty"`
	ShutterSpeed  string     `json:"shutter_speed,omitempty"`
	ExposureSecs  float64    `json:"exposure_seconds,omitempty"`
	ISO           int        `json:"iso,omitempty"`
	ColorProfile  string     `json:"color_profile,omitempty"`
	Creator       string     `json:"creator,omitempty"`
	Copyright     string     `json:"copyright,omitempty"`
	Credit        string     `json:"credit,omitempty"`
	Caption       string     `json:"caption,omitempty"`
	Keywords      []string   `json:"keywords"`
	GPS           *gpsJSON   `json:"gps,omitempty"`
	ThumbURL      string     `json:"thumb_url"`
	PreviewURL    string     `json:"preview_url"`
	OriginalURL   string     `json:"original_url"`
	ThumbWidth    int        `json:"thumb_width,omitempty"`
	ThumbHeight   int        `json:"thumb_height,omitempty"`
	PreviewWidth  int        `json:"preview_width,omitempty"`
	PreviewHeight int        `json:"preview_height,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	TrashedAt     *time.Time `json:"trashed_at,omitempty"`
	Duplicate     bool       `json:"duplicate,omitempty"`
}

// formatTakenAt writes a capture time as RFC 3339 with its offset when
// the camera recorded one, and as a bare local date-time otherwise.
func formatTakenAt(a library.Asset) string {
	switch {
	case a.TakenAt.IsZero():
		return ""
	case a.TakenAtHasOffset:
		return a.TakenAt.Format(time.RFC3339)
	}
	return a.TakenAt.Format("2006-01-02T15:04:05")
}

// toAssetJSON renders an asset for its owner.
func toAssetJSON(a library.Asset) assetJSON {
	base := "/api/v1/assets/" + a.ID
	j := assetJSON{
		ID: a.ID, Status: string(a.Status), FailureReason: a.FailureReason, Format: string(a.Format),
		Width: a.Width, Height: a.Height, Size: a.Size,
		Filename: a.Private.Filename, SHA256: a.Private.SHA256, TakenAt: formatTakenAt(a),
		Camera: a.Camera(), CameraMake: a.CameraMake, CameraModel: a.CameraModel,
		Lens: a.Lens, FocalLengthMM: a.FocalLengthMM, Aperture: a.FNumber, ShutterSpeed: a.ExposureText,
		ExposureSecs: a.ExposureSeconds, ISO: a.ISO, ColorProfile: a.ColorProfile,
		Creator: a.Private.Creator, Copyright: a.Private.Copyright, Credit: a.Private.Credit,
		Caption: a.Private.Caption, Keywords: a.Private.Keywords,
		ThumbURL: base + "/thumb", PreviewURL: base + "/preview", OriginalURL: base + "/original",
		ThumbWidth: a.ThumbWidth, ThumbHeight: a.ThumbHeight, PreviewWidth: a.PreviewWidth, PreviewHeight: a.PreviewHeight,
		CreatedAt: a.CreatedAt,
	}
	if j.Keywords == nil {
		j.Keywords = []string{}
	}
	if g := a.Private.GPS; g != nil {
		j.GPS = &gpsJSON{Lat: g.Latitude, Lon: g.Longitude, Alt: g.Altitude}
	}
	if !a.TrashedAt.IsZero() {
		t := a.TrashedAt
		j.TrashedAt = &t
	}
	return j
}

// libraryError maps the library's errors to answers with safe messages.
func libraryError(err error) error {
	var tl *library.TooLargeError
	var mbe *http.MaxBytesError
	var re *media.RefusedError
	switch {
	case errors.As(err, &tl):
		return &httpx.Error{Status: http.StatusRequestEntityTooLarge, Message: tl.Error(), Cause: err}
	case errors.As(err, &mbe):
		return &httpx.Error{Status: http.StatusRequestEntityTooLarge, Message: "the request is larger than the upload limit", Cause: err}
	case errors.As(err, &re):
		status := http.StatusUnsupportedMediaType
		if errors.Is(err, media.ErrTooManyPixels) || errors.Is(err, media.ErrUndecodable) {
			status = http.StatusUnprocessableEntity
		}
		return &httpx.Error{Status: status, Message: re.Error(), Cause: err}
	case errors.Is(err, library.ErrEmpty), errors.Is(err, library.ErrNoFile), errors.Is(err, library.ErrBadCursor):
		return httpx.BadRequest(err)
	case errors.Is(err, library.ErrRestricted):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	case errors.Is(err, library.ErrNotFound), errors.Is(err, library.ErrNotReady):
		return httpx.NotFound()
	}
	return err
}

// refusalReason names, for the security log, why the client's input was
// refused; "" for an error that is not the client's (ours: log it, do not
// count it against them).
func refusalReason(err error) string {
	var tl *library.TooLargeError
	var mbe *http.MaxBytesError
	var re *media.RefusedError
	switch {
	case errors.As(err, &tl), errors.As(err, &mbe):
		return "too_large"
	case errors.Is(err, media.ErrTooManyPixels):
		return "too_many_pixels"
	case errors.Is(err, media.ErrUndecodable):
		return "undecodable"
	case errors.As(err, &re):
		return "unsupported_type"
	case errors.Is(err, library.ErrEmpty):
		return "empty"
	case errors.Is(err, library.ErrNoFile):
		return "no_file"
	}
	return ""
}

// refuseUpload records an upload refused for the client's input
// (audit.UploadRefused: reason, and the size the request announced; once
// per account and httpauth.EventWindow) and returns answer.
func (s *Server) refuseUpload(r *http.Request, reason string, answer error) error {
	uid := principal(r).UserID
	c := client(r)
	d := map[string]string{"reason": reason}
	if r.ContentLength >= 0 {
		d["size"] = strconv.FormatInt(r.ContentLength, 10)
	}
	httpauth.SecurityEvents{Audit: s.Audit, Limits: s.Limits}.Record(r.Context(), ratelimit.Account(uid),
		audit.Event{Type: audit.UploadRefused, ActorID: uid, SubjectID: uid, IP: c.IP, UserAgent: c.UserAgent, Details: d})
	return answer
}

func (s *Server) uploadAsset(w http.ResponseWriter, r *http.Request) error {
	limit := s.Library.Config().MaxUploadBytes
	if r.ContentLength > limit+multipartSlack {
		// Refused before reading a byte of the body.
		return s.refuseUpload(r, "too_large", libraryError(&library.TooLargeError{Limit: limit}))
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return s.refuseUpload(r, "not_multipart", httpx.Errorf(http.StatusBadRequest, `send multipart/form-data with the image in the field "file"`))
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return s.refuseUpload(r, "no_file", libraryError(library.ErrNoFile))
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return s.refuseUpload(r, "too_large", libraryError(&library.TooLargeError{Limit: limit}))
			}
			return s.refuseUpload(r, "malformed_multipart", httpx.Errorf(http.StatusBadRequest, "malformed multipart body"))
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		a, dup, err := s.Library.Ingest(r.Context(), principal(r), library.Upload{Filename: part.FileName(), Body: part, SizeHint: r.ContentLength})
		part.Close()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = &library.TooLargeError{Limit: limit}
			}
			reason := refusalReason(err)
			err = libraryError(err)
			var he *httpx.Error
			if errors.As(err, &he) && he.Status < 500 {
				s.observeUpload("refused", 0)
				if reason != "" {
					return s.refuseUpload(r, reason, err)
				}
			} else {
				s.observeUpload("failed", 0)
			}
			return err
		}
		j := toAssetJSON(a)
		status := http.StatusCreated
		if dup {
			j.Duplicate, status = true, http.StatusOK
			s.observeUpload("duplicate", 0)
		} else {
			s.observeUpload("created", a.Size)
		}
		return httpx.WriteJSON(w, status, j)
	}
}

func (s *Server) listAssets(trash bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > library.MaxPageSize {
				return httpx.Errorf(http.StatusBadRequest, "limit must be a number from 1 to %d", library.MaxPageSize)
			}
			limit = n
		}
		page, err := s.Library.List(r.Context(), principal(r), trash, r.URL.Query().Get("cursor"), limit)
		if err != nil {
			return libraryError(err)
		}
		items := make([]assetJSON, len(page.Items))
		for i, a := range page.Items {
			items[i] = toAssetJSON(a)
		}
		return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": page.NextCursor})
	}
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return libraryError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toAssetJSON(a))
}

// serveContent answers with an asset's image bytes. The type is the one
// the server detected at ingest, never the client's; the media is
// sandboxed; caches must revalidate (so that revoked access ends at once)
// and may keep only a private copy.
func (s *Server) serveContent(kind library.Kind) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.Library.Open(r.Context(), principal(r), r.PathValue("id"), kind)
		if err != nil {
			return libraryError(err)
		}
		defer c.Close()
		setContentHeaders(w, c, kind == library.Original)
		w.Header().Set("ETag", `"`+c.ETag+`"`)
		http.ServeContent(w, r, "", c.ModTime, c)
		return nil
	}
}

// setContentHeaders sets what every rendition answer carries: its type,
// a sandbox CSP (an image never runs as a page), no shared caching, and,
// for downloads, the attachment name.
func setContentHeaders(w http.ResponseWriter, c *library.Content, download bool) {
	h := w.Header()
	h.Set("Content-Type", c.ContentType)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "private, no-cache")
	if download {
		h.Set("Content-Disposition", attachment(c.Filename))
	}
}

// attachment builds an RFC 6266 Content-Disposition: an ASCII fallback
// name, and the real name in RFC 5987 encoding when it is not plain ASCII.
func attachment(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' || r == ';' || r == '%' {
			return '_'
		}
		return r
	}, name)
	v := mime.FormatMediaType("attachment", map[string]string{"filename": fallback})
	if fallback != name {
		v += "; filename*=UTF-8''" + encodeRFC5987(name)
	}
	return v
}

func encodeRFC5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func (s *Server) trashAsset(w http.ResponseWriter, r *http.Request) error {
	if err := s.Library.Trash(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return libraryError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) restoreAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.Restore(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return libraryError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toAssetJSON(a))
}

func (s *Server) emptyTrash(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Library.EmptyTrash(r.Context(), principal(r)); err != nil {
		return libraryError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type accessJSON struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Via    string    `json:"via"`
	Action string    `json:"action"`
}

func (s *Server) accessLog(w http.ResponseWriter, r *http.Request) error {
	evs, err := s.Library.AccessLog(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return libraryError(err)
	}
	items := make([]accessJSON, len(evs))
	for i, e := range evs {
		items[i] = accessJSON{At: e.At, Actor: e.ActorLabel, Via: e.Via, Action: e.Action}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) librarySettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Library.Settings(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"keep_copyright": st.KeepCopyright})
}

func (s *Server) updateLibrarySettings(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		KeepCopyright *bool `json:"keep_copyright"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.KeepCopyright == nil {
		return httpx.Errorf(http.StatusBadRequest, `missing field "keep_copyright"`)
	}
	if err := s.Library.SetSettings(r.Context(), principal(r), library.Settings{KeepCopyright: *req.KeepCopyright}); err != nil {
		return err
	}
	return s.librarySettings(w, r)
}
