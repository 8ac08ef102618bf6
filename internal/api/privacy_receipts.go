package api

import (
	"net/http"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

func (s *Server) registerReceipts(rt *httpx.Router) {
	rt.API("GET /api/v1/me/consents/{id}/receipt", access.Authenticated, s.consentReceipt)
	rt.API("GET /api/v1/me/access-log", access.Authenticated, s.whoSaw)
}

// consentReceipt answers the Kantara v1.1 receipt of one of the caller's
// consents, as a JSON file to keep.
func (s *Server) consentReceipt(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	c, err := s.Calls.Consent(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return callsError(err)
	}
	u, err := s.Auth.User(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	rc := privacy.InstanceReceipt(s.Instance, c.Consent, u.Email)
	if c.CallID != "" {
		rc = privacy.CallReceipt(s.Instance, c.Consent, u.Email, c.Call, c.Org)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="consent-receipt-`+c.ID+`.json"`)
	return httpx.WriteJSON(w, http.StatusOK, rc)
}

// whoSaw answers who else saw the caller's images, across the whole
// library, newest first (at most 500).
func (s *Server) whoSaw(w http.ResponseWriter, r *http.Request) error {
	evs, err := s.Library.WhoSaw(r.Context(), principal(r).UserID, 500)
	if err != nil {
		return err
	}
	type item struct {
		accessJSON
		AssetID string `json:"asset_id"`
	}
	items := make([]item, len(evs))
	for i, e := range evs {
		items[i] = item{accessJSON{At: e.At, Actor: e.ActorLabel, Via: e.Via, Action: e.Action}, e.AssetID}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
