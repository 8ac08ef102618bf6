package api

import (
	"net/http"

	"safelight/internal/access"
	"safelight/internal/calls"
	"safelight/internal/httpx"
)

// registerEntries adds the photographer's side of calls: their entries,
// their consents and the originals requests made to them. Each resource
// is the caller's own; anyone else's is 404.
func (s *Server) registerEntries(rt *httpx.Router) {
	rt.API("GET /api/v1/me/entries", access.Authenticated, s.myEntries)
	rt.API("GET /api/v1/entries/{id}", access.Authenticated, s.getEntry)
	rt.API("PATCH /api/v1/entries/{id}", access.Authenticated, s.updateEntry)
	rt.API("POST /api/v1/entries/{id}/submit", access.Authenticated, s.submitEntry)
	rt.API("DELETE /api/v1/entries/{id}", access.Authenticated, s.withdrawEntry)
	rt.API("GET /api/v1/me/consents", access.Authenticated, s.myConsents)
	rt.API("POST /api/v1/me/consents/{id}/withdraw", access.Authenticated, s.withdrawConsent)
	rt.API("GET /api/v1/me/originals-requests", access.Authenticated, s.myOriginalsRequests)
	rt.API("POST /api/v1/me/originals-requests/{id}", access.Authenticated, s.decideOriginals)
}

type entryImageJSON struct {
	ID       string `json:"id"`
	AssetID  string `json:"asset_id"`
	Position int    `json:"position"`
	ThumbURL string `json:"thumb_url"` // the photographer's own library thumbnail
}

// entryJSON is an entry as its photographer sees it. terms_version is
// the version they accepted; current_terms_* is what a new acceptance
// must name. problems lists the images that do not meet the call's
// requirements now (a draft is checked as it would be at submission).
type entryJSON struct {
	ID                  string               `json:"id"`
	CallID              string               `json:"call_id"`
	CallTitle           string               `json:"call_title"`
	Deadline            string               `json:"deadline,omitempty"`
	Number              int                  `json:"number"`
	Title               string               `json:"title"`
	Statement           string               `json:"statement"`
	Category            string               `json:"category"`
	State               string               `json:"state"`
	TermsVersion        int                  `json:"terms_version"`
	CurrentTermsVersion int                  `json:"current_terms_version"`
	CurrentTermsSHA256  string               `json:"current_terms_sha256"`
	NeedsConsent        bool                 `json:"needs_consent"`
	Editable            bool                 `json:"editable"`
	Award               string               `json:"award,omitempty"`
	Images              []entryImageJSON     `json:"images"`
	Problems            []calls.ImageProblem `json:"problems"`
	CreatedAt           string               `json:"created_at,omitempty"`
	UpdatedAt           string               `json:"updated_at,omitempty"`
	SubmittedAt         string               `json:"submitted_at,omitempty"`
	WithdrawnAt         string               `json:"withdrawn_at,omitempty"`
}

func toEntryJSON(v calls.EntryView) entryJSON {
	j := entryJSON{ID: v.ID, CallID: v.CallID, CallTitle: v.Call.Title, Deadline: ts(v.Call.Deadline), Number: v.Number,
		Title: v.Title, Statement: v.Statement, Category: v.Category, State: string(v.State), TermsVersion: v.TermsVersion,
		CurrentTermsVersion: v.Terms.Version, CurrentTermsSHA256: v.Terms.SHA256, NeedsConsent: v.NeedsConsent,
		Editable: v.Editable, Award: v.Award, Images: make([]entryImageJSON, 0, len(v.Images)),
		Problems: nonNil(calls.CheckRequirements(v.Call, v.Assets)), CreatedAt: ts(v.CreatedAt), UpdatedAt: ts(v.UpdatedAt),
		SubmittedAt: ts(v.SubmittedAt), WithdrawnAt: ts(v.WithdrawnAt)}
	if v.Terms.PublishedAt.IsZero() {
		j.CurrentTermsSHA256 = "" // nothing to accept yet
	}
	for _, im := range v.Images {
		j.Images = append(j.Images, entryImageJSON{ID: im.ID, AssetID: im.AssetID, Position: im.Position,
			ThumbURL: "/api/v1/assets/" + im.AssetID + "/thumb"})
	}
	return j
}

type entryRequest struct {
	Title     *string   `json:"title"`
	Statement *string   `json:"statement"`
	Category  *string   `json:"category"`
	AssetIDs  *[]string `json:"asset_ids"`
}

func (req entryRequest) input() calls.EntryInput {
	return calls.EntryInput{Title: req.Title, Statement: req.Statement, Category: req.Category, AssetIDs: req.AssetIDs}
}

// createEntry starts an entry: a draft ({"draft": true}), or submitted at
// once with the acceptance of the current terms (accept_terms_sha256).
func (s *Server) createEntry(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	var req struct {
		entryRequest
		AcceptTermsSHA256 string `json:"accept_terms_sha256"`
		Draft             bool   `json:"draft"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	var acc *calls.Acceptance
	switch {
	case req.Draft && req.AcceptTermsSHA256 != "":
		return httpx.Errorf(http.StatusBadRequest, "send draft or accept_terms_sha256, not both")
	case !req.Draft:
		acc = &calls.Acceptance{TermsSHA256: req.AcceptTermsSHA256, Method: calls.MethodAPI}
	}
	e, err := s.Calls.CreateEntry(r.Context(), principal(r), g, req.input(), acc)
	if err != nil {
		return termsError(err, g.Terms)
	}
	return httpx.WriteJSON(w, http.StatusCreated, map[string]any{"id": e.ID, "state": e.State, "number": e.Number})
}

func (s *Server) myEntries(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.Calls.MyEntries(r.Context(), principal(r))
	if err != nil {
		return callsError(err)
	}
	items := make([]entryJSON, 0, len(vs))
	for _, v := range vs {
		items = append(items, toEntryJSON(v))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// writeEntry answers with the caller's entry id as it is now.
func (s *Server) writeEntry(w http.ResponseWriter, r *http.Request, id string) error {
	v, err := s.Calls.Entry(r.Context(), principal(r), id)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toEntryJSON(v))
}

func (s *Server) getEntry(w http.ResponseWriter, r *http.Request) error {
	return s.writeEntry(w, r, r.PathValue("id"))
}

// entryTermsError is termsError for an entry's answers: the current
// terms come from the entry's call.
func (s *Server) entryTermsError(r *http.Request, id string, err error) error {
	var t calls.Terms
	if v, verr := s.Calls.Entry(r.Context(), principal(r), id); verr == nil {
		t = v.Terms
	}
	return termsError(err, t)
}

// updateEntry is the autosave: fields left out stay.
func (s *Server) updateEntry(w http.ResponseWriter, r *http.Request) error {
	var req entryRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.Calls.UpdateEntry(r.Context(), principal(r), id, req.input()); err != nil {
		return s.entryTermsError(r, id, err)
	}
	return s.writeEntry(w, r, id)
}

// submitEntry submits a draft, or records a submitted entry's acceptance
// of terms that changed since.
func (s *Server) submitEntry(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		AcceptTermsSHA256 string `json:"accept_terms_sha256"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	acc := calls.Acceptance{TermsSHA256: req.AcceptTermsSHA256, Method: calls.MethodAPI}
	if _, err := s.Calls.Submit(r.Context(), principal(r), id, acc); err != nil {
		return s.entryTermsError(r, id, err)
	}
	return s.writeEntry(w, r, id)
}

func (s *Server) withdrawEntry(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calls.Withdraw(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return callsError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type consentJSON struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	CallID       string   `json:"call_id"`
	EntryID      string   `json:"entry_id"`
	AssetID      string   `json:"asset_id,omitempty"`
	TermsVersion int      `json:"terms_version"`
	TermsSHA256  string   `json:"terms_sha256"`
	Scope        []string `json:"scope"`
	Method       string   `json:"method"`
	At           string   `json:"at"`
	WithdrawnAt  string   `json:"withdrawn_at,omitempty"`
	ReceiptURL   string   `json:"receipt_url"` // the Kantara v1.1 receipt
}

func (s *Server) myConsents(w http.ResponseWriter, r *http.Request) error {
	// The whole ledger: sign-up records and the consents of calls.
	var cs []calls.Consent
	var err error
	if s.Ledger != nil {
		cs, err = s.Ledger.Consents(r.Context(), principal(r).UserID)
	} else {
		cs, err = s.Calls.Consents(r.Context(), principal(r))
	}
	if err != nil {
		return callsError(err)
	}
	items := make([]consentJSON, 0, len(cs))
	for _, c := range cs {
		items = append(items, consentJSON{ID: c.ID, Kind: c.Kind, CallID: c.CallID, EntryID: c.EntryID, AssetID: c.AssetID,
			TermsVersion: c.TermsVersion, TermsSHA256: c.TermsSHA256, Scope: nonNil(c.Scope), Method: c.Method, At: ts(c.At),
			WithdrawnAt: ts(c.WithdrawnAt), ReceiptURL: "/api/v1/me/consents/" + c.ID + "/receipt"})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) withdrawConsent(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calls.WithdrawConsent(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return callsError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// myRequestJSON is an originals request as its photographer sees it.
type myRequestJSON struct {
	ID          string `json:"id"`
	CallID      string `json:"call_id"`
	CallTitle   string `json:"call_title"`
	OrgName     string `json:"org_name"`
	EntryID     string `json:"entry_id"`
	EntryTitle  string `json:"entry_title"`
	ImageID     string `json:"image_id"`
	AssetID     string `json:"asset_id"`
	Message     string `json:"message"`
	State       string `json:"state"`
	RequestedAt string `json:"requested_at,omitempty"`
	DecidedAt   string `json:"decided_at,omitempty"`
}

func toMyRequestJSON(v calls.RequestView) myRequestJSON {
	return myRequestJSON{ID: v.ID, CallID: v.CallID, CallTitle: v.Call.Title, OrgName: v.Org.Name, EntryID: v.EntryID,
		EntryTitle: v.Entry.Title, ImageID: v.ImageID, AssetID: v.AssetID, Message: v.Message, State: v.State,
		RequestedAt: ts(v.RequestedAt), DecidedAt: ts(v.DecidedAt)}
}

func (s *Server) myOriginalsRequests(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.Calls.MyOriginalsRequests(r.Context(), principal(r))
	if err != nil {
		return callsError(err)
	}
	items := make([]myRequestJSON, 0, len(vs))
	for _, v := range vs {
		items = append(items, toMyRequestJSON(v))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// decideOriginals approves or declines one request made to the caller;
// an approval is an originals-release consent for that image.
func (s *Server) decideOriginals(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Approve *bool `json:"approve"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Approve == nil {
		return httpx.Errorf(http.StatusBadRequest, "missing field %q", "approve")
	}
	id := r.PathValue("id")
	if _, err := s.Calls.DecideOriginals(r.Context(), principal(r), id, *req.Approve, calls.MethodAPIOK); err != nil {
		return callsError(err)
	}
	vs, err := s.Calls.MyOriginalsRequests(r.Context(), principal(r))
	if err != nil {
		return callsError(err)
	}
	for _, v := range vs {
		if v.ID == id {
			return httpx.WriteJSON(w, http.StatusOK, toMyRequestJSON(v))
		}
	}
	return httpx.NotFound()
}
