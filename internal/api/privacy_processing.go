package api

import (
	"net/http"

	"safelight/internal/access"
	"safelight/internal/httpx"
)

// registerPrivacyProcessing adds the records of processing (GDPR Art. 30):
// public, since everyone whose data the instance may hold (reviewers and
// guests included) is entitled to read them before signing up.
func (s *Server) registerPrivacyProcessing(rt *httpx.Router) {
	if s.Processing == nil {
		return
	}
	rt.API("GET /api/v1/privacy/processing", access.Public, s.privacyProcessing)
}

// privacyProcessing answers the instance's registry: each purpose with
// its lawful basis, data categories, recipients, retention and the
// processors this instance has configured.
func (s *Server) privacyProcessing(w http.ResponseWriter, r *http.Request) error {
	return httpx.WriteJSON(w, http.StatusOK, s.Processing)
}
