package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/httpx"
	"safelight/internal/library"
)

// registerCalls adds the routes of calls for entries: organizations,
// calls and their terms, entries, juries and results. Package calls
// decides every grant; the handlers translate. Only what a published
// call shows the world is public (the call, its terms, its cover and its
// results page); there a signed-in caller is still recognized, so that a
// member sees their role and a manager their draft.
func (s *Server) registerCalls(rt *httpx.Router) {
	rt.API("POST /api/v1/orgs", access.Authenticated, s.createOrg)
	rt.API("GET /api/v1/orgs", access.Authenticated, s.listOrgs)
	rt.API("GET /api/v1/orgs/{org}", access.Authenticated, s.org(s.getOrg))
	rt.API("GET /api/v1/orgs/{org}/members", access.Authenticated, s.org(s.listOrgMembers))
	rt.API("POST /api/v1/orgs/{org}/members", access.Authenticated, s.org(s.addOrgMember))
	rt.API("PATCH /api/v1/orgs/{org}/members/{member}", access.Authenticated, s.org(s.updateOrgMember))
	rt.API("DELETE /api/v1/orgs/{org}/members/{member}", access.Authenticated, s.org(s.removeOrgMember))
	rt.API("GET /api/v1/orgs/{org}/calls", access.Authenticated, s.org(s.listOrgCalls))
	rt.API("POST /api/v1/orgs/{org}/calls", access.Authenticated, s.org(s.createCall))

	rt.API("GET /api/v1/calls", access.Public, s.listPublicCalls)
	rt.API("GET /api/v1/calls/{id}", access.Public, s.call(s.getCall))
	rt.API("GET /api/v1/calls/{id}/cover", access.Public, s.call(s.getCover))
	rt.API("GET /api/v1/calls/{id}/terms", access.Public, s.call(s.listTerms))
	rt.API("GET /api/v1/calls/{id}/terms/{version}", access.Public, s.call(s.getTerms))
	rt.API("GET /api/v1/calls/{id}/results", access.Public, s.call(s.publicResults))
	rt.API("GET /api/v1/calls/{id}/results/entries/{entry}/images/{image}/{kind}", access.Public, s.call(s.resultImage))
	rt.API("POST /api/v1/calls/{id}/entries", access.Authenticated, s.call(s.createEntry))

	rt.API("PATCH /api/v1/calls/{id}", access.Authenticated, s.orgCall(s.updateCall))
	rt.API("POST /api/v1/calls/{id}/publish", access.Authenticated, s.orgCall(s.publishCall))
	rt.API("PUT /api/v1/calls/{id}/cover", access.Authenticated, s.orgCall(s.putCover))
	rt.API("GET /api/v1/calls/{id}/totals", access.Authenticated, s.orgCall(s.callTotals))
	rt.API("GET /api/v1/calls/{id}/entries", access.Authenticated, s.orgCall(s.listCallEntries))
	rt.API("GET /api/v1/calls/{id}/export.csv", access.Authenticated, s.orgCall(s.exportCallCSV))
	rt.API("POST /api/v1/calls/{id}/rounds", access.Authenticated, s.orgCall(s.createRound))
	rt.API("GET /api/v1/calls/{id}/rounds", access.Authenticated, s.orgCall(s.listRounds))
	rt.API("PUT /api/v1/calls/{id}/entries/{entry}/award", access.Authenticated, s.orgCall(s.setAward))
	rt.API("POST /api/v1/calls/{id}/results/publish", access.Authenticated, s.orgCall(s.publishResults))
	rt.API("POST /api/v1/calls/{id}/entries/{entry}/originals-requests", access.Authenticated, s.orgCall(s.requestOriginals))
	rt.API("GET /api/v1/calls/{id}/originals-requests", access.Authenticated, s.orgCall(s.listOriginalsRequests))
	rt.API("GET /api/v1/calls/{id}/originals-requests/{request}/original", access.Authenticated, s.orgCall(s.downloadOriginal))

	s.registerEntries(rt)
	s.registerRounds(rt)
}

// callsError maps the errors of package calls to answers with their safe
// messages. What the caller may not see is 404, whatever the reason.
func callsError(err error) error {
	var re *calls.RequirementError
	switch {
	case errors.As(err, &re):
		problems := re.Problems
		if problems == nil {
			problems = []calls.ImageProblem{}
		}
		return &httpx.Error{Status: http.StatusUnprocessableEntity, Message: re.Error(), Cause: err,
			Fields: map[string]any{"problems": problems}}
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, library.ErrNotFound), errors.Is(err, library.ErrNotReady):
		return httpx.NotFound()
	case errors.Is(err, calls.ErrForbidden):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err}
	case errors.Is(err, calls.ErrDeadlinePassed), errors.Is(err, calls.ErrNotOpenYet), errors.Is(err, calls.ErrWrongState),
		errors.Is(err, calls.ErrRoundClosed), errors.Is(err, calls.ErrAlreadyDecided), errors.Is(err, calls.ErrEntrySubmitted),
		errors.Is(err, calls.ErrAlreadyMember), errors.Is(err, calls.ErrLastOwner), errors.Is(err, calls.ErrTooManyEntries),
		errors.Is(err, calls.ErrNoVoting), errors.Is(err, calls.ErrRecused), errors.Is(err, calls.ErrPreviousRound),
		errors.Is(err, calls.ErrNoCandidates), errors.Is(err, calls.ErrNotFinalist), errors.Is(err, calls.ErrUnverifiedEmail),
		errors.Is(err, calls.ErrTermsNotAccepted), errors.Is(err, calls.ErrStaleTerms):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	case errors.Is(err, calls.ErrInvalidOrgName), errors.Is(err, calls.ErrInvalidRole), errors.Is(err, calls.ErrInvalidTitle),
		errors.Is(err, calls.ErrInvalidText), errors.Is(err, calls.ErrInvalidTerms), errors.Is(err, calls.ErrInvalidRight),
		errors.Is(err, calls.ErrInvalidShared), errors.Is(err, calls.ErrInvalidSchedule), errors.Is(err, calls.ErrDeadlinePast),
		errors.Is(err, calls.ErrInvalidCategories), errors.Is(err, calls.ErrInvalidLimits), errors.Is(err, calls.ErrInvalidRequire),
		errors.Is(err, calls.ErrInvalidVisibility), errors.Is(err, calls.ErrImageCount), errors.Is(err, calls.ErrInvalidCategory),
		errors.Is(err, calls.ErrDuplicateImage), errors.Is(err, calls.ErrNotOwnAsset), errors.Is(err, calls.ErrInvalidRound),
		errors.Is(err, calls.ErrNoJurors), errors.Is(err, calls.ErrInvalidScore), errors.Is(err, calls.ErrInvalidAward),
		errors.Is(err, calls.ErrInvalidShortlist), errors.Is(err, calls.ErrInvalidCover), errors.Is(err, auth.ErrInvalidEmail):
		return httpx.BadRequest(err)
	}
	return err
}

// termsError is callsError for answers that may refuse an acceptance of
// the terms: those carry the current version and its hash, so that a
// client can show the text to accept.
func termsError(err error, t calls.Terms) error {
	he := callsError(err)
	var e *httpx.Error
	if (errors.Is(err, calls.ErrTermsNotAccepted) || errors.Is(err, calls.ErrStaleTerms)) && errors.As(he, &e) && t.SHA256 != "" {
		e.Fields = map[string]any{"terms_sha256": t.SHA256, "terms_version": t.Version}
	}
	return he
}

// publicCaller is the caller of a public route as package calls should
// know them: nil when anonymous, and nil too for an account that must
// enrol a second factor first (it may not use its roles until then).
func publicCaller(r *http.Request) *access.Principal {
	p := principal(r)
	if p == nil || p.MFAEnrollmentRequired {
		return nil
	}
	return p
}

// ts writes a time as RFC 3339 in UTC; the zero time is "" (omitted).
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// nonNil keeps empty lists as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Organizations.

type orgJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

type orgMemberJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at,omitempty"`
}

func toOrgMemberJSON(m calls.OrgMember) orgMemberJSON {
	return orgMemberJSON{ID: m.ID, Email: m.Email, Role: string(m.Role), CreatedAt: ts(m.CreatedAt)}
}

// orgHandler runs with the caller's role in the organization.
type orgHandler func(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error

// org resolves the caller's grant on {org}; a non-member is 404.
func (s *Server) org(h orgHandler) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := s.Calls.OrgFor(r.Context(), principal(r), r.PathValue("org"))
		if err != nil {
			return callsError(err)
		}
		return h(w, r, g)
	}
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	o, err := s.Calls.CreateOrg(r.Context(), principal(r), req.Name)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, orgJSON{ID: o.ID, Name: o.Name, Role: string(calls.RoleOwner)})
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Calls.Orgs(r.Context(), principal(r))
	if err != nil {
		return callsError(err)
	}
	items := make([]orgJSON, 0, len(gs))
	for _, g := range gs {
		items = append(items, orgJSON{ID: g.Org.ID, Name: g.Org.Name, Role: string(g.Member.Role)})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	return httpx.WriteJSON(w, http.StatusOK, orgJSON{ID: g.Org.ID, Name: g.Org.Name, Role: string(g.Member.Role)})
}

func (s *Server) listOrgMembers(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	ms, err := s.Calls.Members(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	items := make([]orgMemberJSON, 0, len(ms))
	for _, m := range ms {
		items = append(items, toOrgMemberJSON(m))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) addOrgMember(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	var req struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	m, err := s.Calls.AddMember(r.Context(), g, req.Email, calls.OrgRole(req.Role))
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, toOrgMemberJSON(m))
}

func (s *Server) updateOrgMember(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("member")
	if err := s.Calls.UpdateMember(r.Context(), g, id, calls.OrgRole(req.Role)); err != nil {
		return callsError(err)
	}
	ms, err := s.Calls.Members(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	for _, m := range ms {
		if m.ID == id {
			return httpx.WriteJSON(w, http.StatusOK, toOrgMemberJSON(m))
		}
	}
	return httpx.NotFound()
}

func (s *Server) removeOrgMember(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error {
	if err := s.Calls.RemoveMember(r.Context(), g, r.PathValue("member")); err != nil {
		return callsError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Calls.

type limitsJSON struct {
	EntriesPerEntrant int   `json:"entries_per_entrant"`
	ImagesPerEntry    int   `json:"images_per_entry"`
	MaxFileBytes      int64 `json:"max_file_bytes"`
}

type requirementsJSON struct {
	Formats      []string `json:"formats"`
	MinLongEdge  int      `json:"min_long_edge"`
	ColorProfile bool     `json:"color_profile"`
	Orientation  string   `json:"orientation"`
}

type termsJSON struct {
	Version     int      `json:"version"`
	SHA256      string   `json:"sha256"`
	Text        string   `json:"text"`
	Body        string   `json:"body"`
	Rights      []string `json:"rights"`
	SharedData  []string `json:"shared_data"`
	CreatedAt   string   `json:"created_at,omitempty"`
	PublishedAt string   `json:"published_at,omitempty"`
}

func toTermsJSON(t calls.Terms) termsJSON {
	return termsJSON{Version: t.Version, SHA256: t.SHA256, Text: t.Text, Body: t.Body, Rights: nonNil(t.Rights),
		SharedData: nonNil(t.SharedData), CreatedAt: ts(t.CreatedAt), PublishedAt: ts(t.PublishedAt)}
}

type callJSON struct {
	ID           string           `json:"id"`
	Org          orgJSON          `json:"org"`
	Title        string           `json:"title"`
	Description  string           `json:"description"`
	OpensAt      string           `json:"opens_at,omitempty"`
	Deadline     string           `json:"deadline,omitempty"`
	TimeZone     string           `json:"timezone"`
	State        string           `json:"state"` // effective: an open call past its deadline is closed
	Visibility   string           `json:"visibility"`
	Categories   []string         `json:"categories"`
	Limits       limitsJSON       `json:"limits"`
	Requirements requirementsJSON `json:"requirements"`
	HasCover     bool             `json:"has_cover"`
	PublishedAt  string           `json:"published_at,omitempty"`
	ResultsAt    string           `json:"results_at,omitempty"`
	Terms        termsJSON        `json:"terms"`
	Role         string           `json:"role,omitempty"`
}

func (s *Server) toCallJSON(g calls.CallGrant) callJSON {
	c := g.Call
	j := callJSON{ID: c.ID, Org: orgJSON{ID: g.Org.ID, Name: g.Org.Name}, Title: c.Title, Description: c.Description,
		OpensAt: ts(c.OpensAt), Deadline: ts(c.Deadline), TimeZone: c.TimeZone, State: string(c.Effective(s.Calls.Now())),
		Visibility: string(c.Visibility), Categories: nonNil(c.Categories),
		Limits: limitsJSON{EntriesPerEntrant: c.Limits.EntriesPerEntrant, ImagesPerEntry: c.Limits.ImagesPerEntry, MaxFileBytes: c.Limits.MaxFileBytes},
		Requirements: requirementsJSON{Formats: nonNil(c.Requirements.Formats), MinLongEdge: c.Requirements.MinLongEdge,
			ColorProfile: c.Requirements.ColorProfile, Orientation: string(c.Requirements.Orientation)},
		HasCover: c.CoverRef != "", PublishedAt: ts(c.PublishedAt), ResultsAt: ts(c.ResultsAt), Terms: toTermsJSON(g.Terms)}
	if g.Member != nil {
		j.Role = string(g.Member.Role)
	}
	return j
}

// callGrantHandler runs with the caller's view of the call.
type callGrantHandler func(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error

// call resolves the caller's view of call {id}: anyone's for a published
// call, the organization's for a draft.
func (s *Server) call(h callGrantHandler) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := s.Calls.CallFor(r.Context(), publicCaller(r), r.PathValue("id"))
		if err != nil {
			return callsError(err)
		}
		return h(w, r, g)
	}
}

// orgCall is call for the organization's own routes: to anyone who is
// not a member they do not exist (404); a member whose role does not
// allow the action gets 403 from package calls.
func (s *Server) orgCall(h callGrantHandler) httpx.HandlerFunc {
	return s.call(func(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
		if g.Member == nil {
			return httpx.NotFound()
		}
		return h(w, r, g)
	})
}

// callRequest is a call as a manager sends it: every field optional
// (title and deadline are required to create one). Limits and
// requirements change field by field.
type callRequest struct {
	Title       *string   `json:"title"`
	Description *string   `json:"description"`
	OpensAt     *string   `json:"opens_at"`
	Deadline    *string   `json:"deadline"`
	TimeZone    *string   `json:"timezone"`
	Categories  *[]string `json:"categories"`
	Limits      *struct {
		EntriesPerEntrant *int   `json:"entries_per_entrant"`
		ImagesPerEntry    *int   `json:"images_per_entry"`
		MaxFileBytes      *int64 `json:"max_file_bytes"`
	} `json:"limits"`
	Requirements *struct {
		Formats      *[]string `json:"formats"`
		MinLongEdge  *int      `json:"min_long_edge"`
		ColorProfile *bool     `json:"color_profile"`
		Orientation  *string   `json:"orientation"`
	} `json:"requirements"`
	Visibility *string   `json:"visibility"`
	Terms      *string   `json:"terms"`
	Rights     *[]string `json:"rights"`
	SharedData *[]string `json:"shared_data"`
}

// input turns req into a calls.CallInput over the call's current values
// c and terms t (the defaults for a new call).
func (req callRequest) input(c calls.Call, t calls.Terms) (calls.CallInput, error) {
	in := calls.CallInput{Title: req.Title, Description: req.Description, TimeZone: req.TimeZone, Categories: req.Categories}
	tz := c.TimeZone
	if req.TimeZone != nil {
		tz = *req.TimeZone
	}
	when := func(s *string) (*time.Time, error) {
		if s == nil {
			return nil, nil
		}
		if strings.TrimSpace(*s) == "" {
			return &time.Time{}, nil
		}
		v, err := calls.ParseTime(*s, tz)
		return &v, err
	}
	var err error
	if in.OpensAt, err = when(req.OpensAt); err != nil {
		return in, err
	}
	if in.Deadline, err = when(req.Deadline); err != nil {
		return in, err
	}
	if in.Deadline != nil && in.Deadline.IsZero() {
		return in, calls.ErrInvalidSchedule
	}
	if l := req.Limits; l != nil {
		v := c.Limits
		if l.EntriesPerEntrant != nil {
			v.EntriesPerEntrant = *l.EntriesPerEntrant
		}
		if l.ImagesPerEntry != nil {
			v.ImagesPerEntry = *l.ImagesPerEntry
		}
		if l.MaxFileBytes != nil {
			v.MaxFileBytes = *l.MaxFileBytes
		}
		in.Limits = &v
	}
	if q := req.Requirements; q != nil {
		v := c.Requirements
		if q.Formats != nil {
			v.Formats = *q.Formats
		}
		if q.MinLongEdge != nil {
			v.MinLongEdge = *q.MinLongEdge
		}
		if q.ColorProfile != nil {
			v.ColorProfile = *q.ColorProfile
		}
		if q.Orientation != nil {
			v.Orientation = calls.Orientation(*q.Orientation)
		}
		in.Requirements = &v
	}
	if req.Visibility != nil {
		v := calls.Visibility(*req.Visibility)
		in.Visibility = &v
	}
	if req.Terms != nil || req.Rights != nil || req.SharedData != nil {
		ti := calls.TermsInput{Body: t.Body, Rights: t.Rights, SharedData: t.SharedData}
		if req.Terms != nil {
			ti.Body = *req.Terms
		}
		if req.Rights != nil {
			ti.Rights = *req.Rights
		}
		if req.SharedData != nil {
			ti.SharedData = *req.SharedData
		}
		in.Terms = &ti
	}
	return in, nil
}

func (s *Server) createCall(w http.ResponseWriter, r *http.Request, og calls.OrgGrant) error {
	var req callRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	defaults := calls.Call{TimeZone: "UTC", Limits: calls.DefaultLimits, Requirements: calls.DefaultRequirements}
	in, err := req.input(defaults, calls.Terms{})
	if err != nil {
		return callsError(err)
	}
	c, err := s.Calls.CreateCall(r.Context(), og, in)
	if err != nil {
		return callsError(err)
	}
	g, err := s.Calls.CallFor(r.Context(), principal(r), c.ID)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, s.toCallJSON(g))
}

// callsJSON writes the calls the caller may see, each as their grant
// shows it.
func (s *Server) callsJSON(r *http.Request, p *access.Principal, cs []calls.Call) ([]callJSON, error) {
	items := make([]callJSON, 0, len(cs))
	for _, c := range cs {
		g, err := s.Calls.CallFor(r.Context(), p, c.ID)
		if errors.Is(err, calls.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		items = append(items, s.toCallJSON(g))
	}
	return items, nil
}

func (s *Server) listOrgCalls(w http.ResponseWriter, r *http.Request, og calls.OrgGrant) error {
	cs, err := s.Calls.CallsOf(r.Context(), og)
	if err != nil {
		return callsError(err)
	}
	items, err := s.callsJSON(r, principal(r), cs)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) listPublicCalls(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Calls.PublicCalls(r.Context())
	if err != nil {
		return callsError(err)
	}
	items, err := s.callsJSON(r, publicCaller(r), cs)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	return httpx.WriteJSON(w, http.StatusOK, s.toCallJSON(g))
}

func (s *Server) updateCall(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	var req callRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	in, err := req.input(g.Call, g.Terms)
	if err != nil {
		return callsError(err)
	}
	if _, err := s.Calls.UpdateCall(r.Context(), g, in); err != nil {
		return callsError(err)
	}
	return s.writeCall(w, r, http.StatusOK, g.Call.ID)
}

// writeCall answers with the call as the caller sees it now.
func (s *Server) writeCall(w http.ResponseWriter, r *http.Request, status int, id string) error {
	g, err := s.Calls.CallFor(r.Context(), principal(r), id)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, status, s.toCallJSON(g))
}

func (s *Server) publishCall(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if _, err := s.Calls.Publish(r.Context(), g); err != nil {
		return callsError(err)
	}
	return s.writeCall(w, r, http.StatusOK, g.Call.ID)
}

func (s *Server) publishResults(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if _, err := s.Calls.PublishResults(r.Context(), g); err != nil {
		return callsError(err)
	}
	return s.writeCall(w, r, http.StatusOK, g.Call.ID)
}

// putCover takes the cover image as the request body.
func (s *Server) putCover(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "image/") {
		return httpx.Errorf(http.StatusUnsupportedMediaType, "send the cover as the request body with an image/* content type")
	}
	if err := s.Calls.SetCover(r.Context(), g, r.Body); err != nil {
		return callsError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getCover serves the cover: a metadata-free JPEG the server made.
func (s *Server) getCover(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	rc, err := s.Calls.OpenCover(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "private, no-cache")
	_, err = io.Copy(w, rc)
	return err
}

func (s *Server) listTerms(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	versions, err := s.Calls.TermsVersions(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	items := make([]termsJSON, 0, len(versions))
	for _, t := range versions {
		items = append(items, toTermsJSON(t))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getTerms(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		return httpx.NotFound()
	}
	t, err := s.Calls.Terms(r.Context(), g, v)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toTermsJSON(t))
}

func (s *Server) callTotals(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	t, err := s.Calls.Totals(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"entries": t.Entries, "drafts": t.Drafts, "withdrawn": t.Withdrawn,
		"entrants": t.Entrants, "images": t.Images, "by_category": t.ByCategory, "stale_terms": t.StaleTerms})
}

type entrySummaryJSON struct {
	ID           string `json:"id"`
	Number       int    `json:"number"`
	Title        string `json:"title"`
	Category     string `json:"category"`
	Images       int    `json:"images"`
	SubmittedAt  string `json:"submitted_at,omitempty"`
	TermsVersion int    `json:"terms_version"`
	Award        string `json:"award,omitempty"`
	Name         string `json:"name,omitempty"`
	Email        string `json:"email,omitempty"`
	Finalist     bool   `json:"finalist"`
}

func (s *Server) listCallEntries(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	sums, err := s.Calls.EntrySummaries(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	items := make([]entrySummaryJSON, 0, len(sums))
	for _, e := range sums {
		items = append(items, entrySummaryJSON{ID: e.ID, Number: e.Number, Title: e.Title, Category: e.Category, Images: e.Images,
			SubmittedAt: ts(e.SubmittedAt), TermsVersion: e.TermsVersion, Award: e.Award, Name: e.Name, Email: e.Email, Finalist: e.Finalist})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// exportCallCSV writes the call's entries and scores; built in memory
// first, so that a failure answers an error rather than half a file.
func (s *Server) exportCallCSV(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	var buf bytes.Buffer
	if err := s.Calls.ExportCSV(r.Context(), g, &buf); err != nil {
		return callsError(err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", attachment("call-"+g.Call.ID+"-entries.csv"))
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) setAward(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	var req struct {
		Award *string `json:"award"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Award == nil {
		return httpx.Errorf(http.StatusBadRequest, "missing field %q", "award")
	}
	award := *req.Award
	if award == "none" {
		award = calls.AwardNone
	}
	if err := s.Calls.SetAward(r.Context(), g, r.PathValue("entry"), award); err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"entry_id": r.PathValue("entry"), "award": award})
}

// Results.

type juryImageJSON struct {
	ID         string `json:"id"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	ThumbURL   string `json:"thumb_url,omitempty"`
	PreviewURL string `json:"preview_url,omitempty"`
}

func toJuryImagesJSON(ims []calls.JuryImage, base string) []juryImageJSON {
	out := make([]juryImageJSON, 0, len(ims))
	for _, im := range ims {
		u := base + "/images/" + im.ID
		out = append(out, juryImageJSON{ID: im.ID, Width: im.Width, Height: im.Height, ThumbURL: u + "/thumb", PreviewURL: u + "/preview"})
	}
	return out
}

func (s *Server) publicResults(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	ws, err := s.Calls.PublicResults(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	type winnerJSON struct {
		EntryID  string          `json:"entry_id"`
		Award    string          `json:"award"`
		Title    string          `json:"title"`
		Category string          `json:"category"`
		Name     string          `json:"name"`
		Images   []juryImageJSON `json:"images"`
	}
	items := make([]winnerJSON, 0, len(ws))
	for _, x := range ws {
		base := "/api/v1/calls/" + g.Call.ID + "/results/entries/" + x.EntryID
		items = append(items, winnerJSON{EntryID: x.EntryID, Award: x.Award, Title: x.Title, Category: x.Category, Name: x.Name,
			Images: toJuryImagesJSON(x.Images, base)})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// juryKind reads the rendition in a jury or results image path.
func juryKind(s string) (library.Kind, bool) {
	switch library.Kind(s) {
	case library.Thumb, library.Preview:
		return library.Kind(s), true
	}
	return "", false
}

func (s *Server) resultImage(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	kind, ok := juryKind(r.PathValue("kind"))
	if !ok {
		return httpx.NotFound()
	}
	c, err := s.Calls.OpenResultImage(r.Context(), g, r.PathValue("entry"), r.PathValue("image"), kind)
	if err != nil {
		return callsError(err)
	}
	writeJuryCopy(w, r, c, r.PathValue("image"))
	return nil
}

// writeJuryCopy serves a jury copy: a JPEG the server made without any
// metadata, sandboxed, never stored by a cache (a withdrawn entry must
// vanish at once), under a name that says nothing of its photographer.
func writeJuryCopy(w http.ResponseWriter, r *http.Request, c calls.JuryCopy, imageID string) {
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "entry-image-" + imageID + ".jpg"}))
	h.Set("ETag", c.ETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(c.Data))
}

// Originals requests, the organization's side.

type originalsRequestJSON struct {
	ID          string `json:"id"`
	CallID      string `json:"call_id"`
	EntryID     string `json:"entry_id"`
	ImageID     string `json:"image_id"`
	Message     string `json:"message"`
	State       string `json:"state"`
	RequestedAt string `json:"requested_at,omitempty"`
	DecidedAt   string `json:"decided_at,omitempty"`
}

func toOriginalsRequestJSON(q calls.OriginalsRequest) originalsRequestJSON {
	return originalsRequestJSON{ID: q.ID, CallID: q.CallID, EntryID: q.EntryID, ImageID: q.ImageID, Message: q.Message,
		State: q.State, RequestedAt: ts(q.RequestedAt), DecidedAt: ts(q.DecidedAt)}
}

func (s *Server) requestOriginals(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	var req struct {
		ImageIDs []string `json:"image_ids"`
		Message  string   `json:"message"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	qs, err := s.Calls.RequestOriginals(r.Context(), g, r.PathValue("entry"), req.ImageIDs, req.Message)
	if err != nil {
		return callsError(err)
	}
	items := make([]originalsRequestJSON, 0, len(qs))
	for _, q := range qs {
		items = append(items, toOriginalsRequestJSON(q))
	}
	return httpx.WriteJSON(w, http.StatusCreated, map[string]any{"items": items})
}

func (s *Server) listOriginalsRequests(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	qs, err := s.Calls.OriginalsRequests(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	items := make([]originalsRequestJSON, 0, len(qs))
	for _, q := range qs {
		items = append(items, toOriginalsRequestJSON(q))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// downloadOriginal serves an approved original as an attachment under a
// neutral name; the download is in the photographer's access log.
func (s *Server) downloadOriginal(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	c, err := s.Calls.OpenOriginal(r.Context(), g, r.PathValue("request"))
	if err != nil {
		return callsError(err)
	}
	defer c.Close()
	setContentHeaders(w, c, true)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("ETag", `"`+c.ETag+`"`)
	http.ServeContent(w, r, "", c.ModTime, c)
	return nil
}
