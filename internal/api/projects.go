package api

import (
	"errors"
	"io"
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/media"
	"safelight/internal/sharing"
)

// registerProjects adds the project routes: every one needs a signed-in
// caller, and sharing decides per request what their grant on the project
// allows; anything else is 404.
func (s *Server) registerProjects(rt *httpx.Router) {
	rt.API("POST /api/v1/projects", access.Authenticated, s.createProject)
	rt.API("GET /api/v1/projects", access.Authenticated, s.listProjects)
	rt.API("GET /api/v1/projects/{id}", access.Authenticated, s.project(s.getProject))
	rt.API("PATCH /api/v1/projects/{id}", access.Authenticated, s.project(s.updateProject))
	rt.API("DELETE /api/v1/projects/{id}", access.Authenticated, s.project(s.deleteProject))
	rt.API("POST /api/v1/projects/{id}/assets", access.Authenticated, s.project(s.addProjectAssets))
	rt.API("GET /api/v1/projects/{id}/assets", access.Authenticated, s.project(s.listProjectAssets))
	rt.API("PUT /api/v1/projects/{id}/order", access.Authenticated, s.project(s.reorderProject))
	rt.API("DELETE /api/v1/projects/{id}/assets/{asset_id}", access.Authenticated, s.project(s.removeProjectAsset))
	rt.API("GET /api/v1/projects/{id}/assets/{asset_id}/thumb", access.Authenticated, s.project(s.serveShared(library.Thumb)))
	rt.API("GET /api/v1/projects/{id}/assets/{asset_id}/preview", access.Authenticated, s.project(s.serveShared(library.Preview)))
	rt.API("GET /api/v1/projects/{id}/assets/{asset_id}/original", access.Authenticated, s.project(s.serveShared(library.Original)))
	rt.API("PUT /api/v1/projects/{id}/assets/{asset_id}/review", access.Authenticated, s.project(s.putMark))
	rt.API("POST /api/v1/projects/{id}/assets/{asset_id}/comments", access.Authenticated, s.project(s.addComment))
	rt.API("POST /api/v1/projects/{id}/done", access.Authenticated, s.project(s.finishReview))
	rt.API("GET /api/v1/projects/{id}/reviewers", access.Authenticated, s.project(s.listReviewers))
	rt.API("GET /api/v1/projects/{id}/members", access.Authenticated, s.project(s.listMembers))
	rt.API("POST /api/v1/projects/{id}/members", access.Authenticated, s.project(s.inviteMember))
	rt.API("PATCH /api/v1/projects/{id}/members/{member_id}", access.Authenticated, s.project(s.updateMember))
	rt.API("DELETE /api/v1/projects/{id}/members/{member_id}", access.Authenticated, s.project(s.removeMember))
	rt.API("GET /api/v1/projects/{id}/links", access.Authenticated, s.project(s.listLinks))
	rt.API("POST /api/v1/projects/{id}/links", access.Authenticated, s.project(s.createLink))
	rt.API("PUT /api/v1/projects/{id}/links/{link_id}/password", access.Authenticated, s.project(s.setLinkPassword))
	rt.API("DELETE /api/v1/projects/{id}/links/{link_id}", access.Authenticated, s.project(s.revokeLink))
	rt.API("GET /api/v1/me/notifications", access.Authenticated, s.listNotifications)
	rt.API("POST /api/v1/me/notifications/read", access.Authenticated, s.readNotifications)
}

// grantHandler is a project handler: it runs with the caller's grant.
type grantHandler func(w http.ResponseWriter, r *http.Request, g sharing.Grant) error

// project resolves the caller's grant on {id} before h; no grant is 404.
func (s *Server) project(h grantHandler) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := s.Sharing.ProjectFor(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return sharingError(err)
		}
		return h(w, r, g)
	}
}

// sharingError maps sharing's errors to answers with safe messages.
func sharingError(err error) error {
	switch {
	case errors.Is(err, sharing.ErrNotFound), errors.Is(err, library.ErrNotFound):
		return httpx.NotFound()
	case errors.Is(err, library.ErrNotReady):
		return libraryError(err)
	case errors.Is(err, sharing.ErrForbidden), errors.Is(err, sharing.ErrInviteSelf):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err}
	case errors.Is(err, sharing.ErrAlreadyMember):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	case errors.Is(err, sharing.ErrPasswordNeeded):
		return &httpx.Error{Status: http.StatusUnauthorized, Message: err.Error(), Cause: err, Fields: map[string]any{"password_required": true}}
	case errors.Is(err, sharing.ErrWrongPassword):
		return &httpx.Error{Status: http.StatusUnauthorized, Message: err.Error(), Cause: err, Fields: map[string]any{"password_required": true}}
	case errors.Is(err, sharing.ErrGuestNeeded):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err, Fields: map[string]any{"guest_required": true}}
	case errors.Is(err, sharing.ErrInvalidName), errors.Is(err, sharing.ErrInvalidDesc), errors.Is(err, sharing.ErrInvalidRole),
		errors.Is(err, sharing.ErrInvalidDownload), errors.Is(err, sharing.ErrInvalidRating), errors.Is(err, sharing.ErrInvalidLabel),
		errors.Is(err, sharing.ErrInvalidFlag), errors.Is(err, sharing.ErrInvalidComment), errors.Is(err, sharing.ErrInvalidWatermark),
		errors.Is(err, sharing.ErrExpiryTooLate), errors.Is(err, sharing.ErrExpiryPast), errors.Is(err, sharing.ErrNotOwnAsset),
		errors.Is(err, sharing.ErrInvalidGuest), errors.Is(err, sharing.ErrInvalidLinkPassword), errors.Is(err, auth.ErrInvalidEmail),
		errors.Is(err, media.ErrWatermarkText):
		return httpx.BadRequest(err)
	}
	return err
}

type projectJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CoverID     string    `json:"cover_id,omitempty"`
	ShowCamera  bool      `json:"show_camera_details"`
	Owner       bool      `json:"owner"`
	Role        string    `json:"role"`
	Download    string    `json:"download"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toProjectJSON(p sharing.Project, owner bool, role sharing.Role, download sharing.Download) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, Description: p.Description, CoverID: p.CoverID, ShowCamera: p.ShowCamera,
		Owner: owner, Role: string(role), Download: string(download), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func grantProjectJSON(g sharing.Grant) projectJSON {
	role := g.Role
	if g.Owner {
		role = "owner"
	}
	return toProjectJSON(g.Project, g.Owner, role, g.Download)
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := s.Sharing.CreateProject(r.Context(), principal(r), req.Name, req.Description)
	if err != nil {
		return sharingError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, toProjectJSON(p, true, "owner", sharing.DownloadOriginal))
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	owned, shared, err := s.Sharing.Projects(r.Context(), principal(r))
	if err != nil {
		return err
	}
	o := make([]projectJSON, 0, len(owned))
	for _, p := range owned {
		o = append(o, toProjectJSON(p, true, "owner", sharing.DownloadOriginal))
	}
	sh := make([]projectJSON, 0, len(shared))
	for _, p := range shared {
		if g, err := s.Sharing.ProjectFor(r.Context(), principal(r), p.ID); err == nil {
			sh = append(sh, grantProjectJSON(g))
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"owned": o, "shared": sh})
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	return httpx.WriteJSON(w, http.StatusOK, grantProjectJSON(g))
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		CoverID     *string `json:"cover_id"`
		ShowCamera  *bool   `json:"show_camera_details"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := s.Sharing.UpdateProject(r.Context(), g, sharing.ProjectInput{Name: req.Name, Description: req.Description, CoverID: req.CoverID, ShowCamera: req.ShowCamera})
	if err != nil {
		return sharingError(err)
	}
	g.Project = p
	return httpx.WriteJSON(w, http.StatusOK, grantProjectJSON(g))
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := s.Sharing.DeleteProject(r.Context(), g, client(r)); err != nil {
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addProjectAssets(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		AssetIDs []string `json:"asset_ids"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	n, err := s.Sharing.AddAssets(r.Context(), g, req.AssetIDs)
	if err != nil {
		return sharingError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]int{"added": n})
}

func (s *Server) reorderProject(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		AssetIDs []string `json:"asset_ids"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.Sharing.Reorder(r.Context(), g, req.AssetIDs); err != nil {
		if errors.Is(err, sharing.ErrNotFound) {
			return httpx.Errorf(http.StatusBadRequest, "asset_ids must list exactly the project's assets")
		}
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeProjectAsset(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := s.Sharing.RemoveAsset(r.Context(), g, r.PathValue("asset_id")); err != nil {
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sharedAssetJSON is an asset of a project as a grant sees it: what
// sharing.redact left, the caller's own marks (the owner: everyone's),
// and the comments.
type sharedAssetJSON struct {
	assetJSON
	Marks    []markJSON    `json:"marks"`
	Comments []commentJSON `json:"comments"`
}

type markJSON struct {
	Reviewer  string    `json:"reviewer"` // "user:<id>" or "guest:<id>"
	Rating    int       `json:"rating"`
	Label     string    `json:"label,omitempty"`
	Flag      string    `json:"flag,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

type commentJSON struct {
	ID        string    `json:"id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func toMarkJSON(m sharing.Mark) markJSON {
	return markJSON{Reviewer: m.Reviewer.Kind + ":" + m.Reviewer.ID, Rating: m.Rating, Label: m.Label, Flag: m.Flag, UpdatedAt: m.UpdatedAt}
}

func toCommentJSON(c sharing.Comment) commentJSON {
	return commentJSON{ID: c.ID, Author: c.Author.Kind + ":" + c.Author.ID, Body: c.Body, CreatedAt: c.CreatedAt}
}

// toSharedAssetJSON writes a project asset with content URLs under base
// (the project's or the link's).
func toSharedAssetJSON(a sharing.SharedAsset, base string, g sharing.Grant) sharedAssetJSON {
	j := sharedAssetJSON{assetJSON: toAssetJSON(a.Asset), Marks: []markJSON{}, Comments: []commentJSON{}}
	if !g.Owner {
		j.Filename, j.SHA256 = "", ""
	}
	u := base + "/assets/" + a.ID
	j.ThumbURL, j.PreviewURL, j.OriginalURL = u+"/thumb", u+"/preview", ""
	if g.Owner || g.Download.Allows("original") {
		j.OriginalURL = u + "/original"
	}
	for _, m := range a.Marks {
		j.Marks = append(j.Marks, toMarkJSON(m))
	}
	for _, c := range a.Comments {
		j.Comments = append(j.Comments, toCommentJSON(c))
	}
	return j
}

func (s *Server) listProjectAssets(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	as, err := s.Sharing.Assets(r.Context(), g)
	if err != nil {
		return sharingError(err)
	}
	items := make([]sharedAssetJSON, 0, len(as))
	for _, a := range as {
		items = append(items, toSharedAssetJSON(a, "/api/v1/projects/"+g.Project.ID, g))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// serveShared serves a rendition of a project asset; ?download=1 asks
// for an attachment (the grant's download policy decides).
func (s *Server) serveShared(kind library.Kind) grantHandler {
	return func(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
		download := r.URL.Query().Get("download") == "1" || kind == library.Original
		c, err := s.Sharing.Open(r.Context(), g, r.PathValue("asset_id"), kind, download)
		if err != nil {
			return sharingError(err)
		}
		defer c.Close()
		return s.writeContent(w, r, c, kind, download, g)
	}
}

// writeContent sends an opened rendition, drawing the link's watermark
// on previews when it has one.
func (s *Server) writeContent(w http.ResponseWriter, r *http.Request, c *library.Content, kind library.Kind, download bool, g sharing.Grant) error {
	setContentHeaders(w, c, download)
	h := w.Header()
	if g.Link != nil && g.Link.Watermark != "" && kind == library.Preview {
		data, err := s.watermark(c, g.Link.Watermark)
		if err != nil {
			return err
		}
		h.Set("Content-Length", itoa(len(data)))
		_, err = w.Write(data)
		return err
	}
	h.Set("ETag", `"`+c.ETag+`"`)
	http.ServeContent(w, r, "", c.ModTime, c)
	return nil
}

// watermark draws text on a preview; a link that asks for a watermark is
// never served without one.
func (s *Server) watermark(r io.Reader, text string) ([]byte, error) {
	if s.Watermark == nil {
		return nil, errors.New("api: a link asks for a watermark, but none is configured")
	}
	return s.Watermark(r, text)
}

type markRequest struct {
	Name   string  `json:"name"`  // a link's guest, the first time
	Email  string  `json:"email"` // a link's guest, the first time
	Rating *int    `json:"rating"`
	Label  *string `json:"label"`
	Flag   *string `json:"flag"`
}

func (s *Server) putMark(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req markRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := s.Sharing.PutMark(r.Context(), g, r.PathValue("asset_id"), sharing.MarkInput{Rating: req.Rating, Label: req.Label, Flag: req.Flag})
	if err != nil {
		return sharingError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toMarkJSON(m))
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		Body string `json:"body"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.Sharing.AddComment(r.Context(), g, r.PathValue("asset_id"), req.Body)
	if err != nil {
		return sharingError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, toCommentJSON(c))
}

func (s *Server) finishReview(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if _, err := s.Sharing.FinishReview(r.Context(), g); err != nil {
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listReviewers(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	rs, err := s.Sharing.Reviewers(r.Context(), g)
	if err != nil {
		return sharingError(err)
	}
	type reviewerJSON struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Email  string `json:"email,omitempty"`
		Via    string `json:"via"`
		DoneAt string `json:"done_at,omitempty"`
	}
	items := make([]reviewerJSON, 0, len(rs))
	for _, x := range rs {
		items = append(items, reviewerJSON{ID: x.Reviewer.Kind + ":" + x.Reviewer.ID, Name: x.Name, Email: x.Email, Via: x.Via, DoneAt: x.DoneAt})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

type memberJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Download  string    `json:"download"`
	CreatedAt time.Time `json:"created_at"`
}

func toMemberJSON(m sharing.Member) memberJSON {
	return memberJSON{ID: m.ID, Email: m.Email, Role: string(m.Role), Download: string(m.Download), CreatedAt: m.CreatedAt}
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	ms, err := s.Sharing.Members(r.Context(), g)
	if err != nil {
		return sharingError(err)
	}
	items := make([]memberJSON, 0, len(ms))
	for _, m := range ms {
		items = append(items, toMemberJSON(m))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) inviteMember(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		Email    string `json:"email"`
		Role     string `json:"role"`
		Download string `json:"download"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Download == "" {
		req.Download = string(sharing.DownloadNone)
	}
	m, err := s.Sharing.Invite(r.Context(), g, req.Email, sharing.Role(req.Role), sharing.Download(req.Download), client(r))
	if err != nil {
		return sharingError(err)
	}
	// user_id is the member's id: whether the address has an account is
	// not the owner's to learn.
	j := toMemberJSON(m)
	return httpx.WriteJSON(w, http.StatusCreated, map[string]any{"user_id": m.ID, "member": j})
}

func (s *Server) updateMember(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		Role     *sharing.Role     `json:"role"`
		Download *sharing.Download `json:"download"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := s.Sharing.UpdateMember(r.Context(), g, r.PathValue("member_id"), req.Role, req.Download, client(r))
	if err != nil {
		return sharingError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toMemberJSON(m))
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := s.Sharing.RemoveMember(r.Context(), g, r.PathValue("member_id"), client(r)); err != nil {
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type linkJSON struct {
	ID          string     `json:"id"`
	Download    string     `json:"download"`
	Password    bool       `json:"password"`
	Watermark   string     `json:"watermark,omitempty"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Token       string     `json:"token,omitempty"` // only in the answer that creates it
	URL         string     `json:"url,omitempty"`
	Unavailable string     `json:"state"` // "active", "expired", "revoked"
}

func (s *Server) toLinkJSON(l sharing.Link, now time.Time) linkJSON {
	j := linkJSON{ID: l.ID, Download: string(l.Download), Password: l.PasswordHash != "", Watermark: l.Watermark,
		ExpiresAt: l.ExpiresAt, CreatedAt: l.CreatedAt, Unavailable: "active"}
	switch {
	case !l.RevokedAt.IsZero():
		t := l.RevokedAt
		j.RevokedAt, j.Unavailable = &t, "revoked"
	case !now.Before(l.ExpiresAt):
		j.Unavailable = "expired"
	}
	return j
}

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	ls, err := s.Sharing.Links(r.Context(), g)
	if err != nil {
		return sharingError(err)
	}
	now := time.Now()
	items := make([]linkJSON, 0, len(ls))
	for _, l := range ls {
		items = append(items, s.toLinkJSON(l, now))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) createLink(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		Password  string     `json:"password"`
		ExpiresAt *time.Time `json:"expires_at"`
		Download  string     `json:"download"`
		Watermark string     `json:"watermark"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Download == "" {
		req.Download = string(sharing.DownloadNone)
	}
	o := sharing.LinkOptions{Password: req.Password, Download: sharing.Download(req.Download), Watermark: req.Watermark}
	if req.ExpiresAt != nil {
		o.ExpiresAt = *req.ExpiresAt
	}
	l, token, err := s.Sharing.CreateLink(r.Context(), g, o, client(r))
	if err != nil {
		return sharingError(err)
	}
	j := s.toLinkJSON(l, time.Now())
	j.Token, j.URL = token, s.PublicURL+"/s/"+token
	return httpx.WriteJSON(w, http.StatusCreated, j)
}

func (s *Server) setLinkPassword(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.Sharing.SetLinkPassword(r.Context(), g, r.PathValue("link_id"), req.Password, client(r)); err != nil {
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) revokeLink(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	if err := s.Sharing.RevokeLink(r.Context(), g, r.PathValue("link_id"), client(r)); err != nil {
		return sharingError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.Sharing.Notifications(r.Context(), principal(r).UserID)
	if err != nil {
		return err
	}
	type notificationJSON struct {
		ID        string     `json:"id"`
		Kind      string     `json:"kind"`
		ProjectID string     `json:"project_id,omitempty"`
		Text      string     `json:"text"`
		CreatedAt time.Time  `json:"created_at"`
		ReadAt    *time.Time `json:"read_at,omitempty"`
	}
	items := make([]notificationJSON, 0, len(ns))
	for _, n := range ns {
		j := notificationJSON{ID: n.ID, Kind: n.Kind, ProjectID: n.ProjectID, Text: n.Text, CreatedAt: n.CreatedAt}
		if !n.ReadAt.IsZero() {
			t := n.ReadAt
			j.ReadAt = &t
		}
		items = append(items, j)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	if err := s.Sharing.MarkNotificationsRead(r.Context(), principal(r).UserID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
