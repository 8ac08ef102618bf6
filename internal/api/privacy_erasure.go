package api

import (
	"errors"
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

// registerErasure adds the erasure routes (Art. 17). Asking and
// cancelling need a signed-in session (AccountSecurity): a personal
// access token cannot erase an account, nor stop its holder's request.
func (s *Server) registerErasure(rt *httpx.Router) {
	rt.API("DELETE /api/v1/me", access.AccountSecurity, s.requestErasure)
	rt.API("GET /api/v1/me/erasure", access.Authenticated, s.erasureStatus)
	rt.API("POST /api/v1/me/erasure/cancel", access.AccountSecurity, s.cancelErasure)
}

type erasureJSON struct {
	Scheduled   bool       `json:"scheduled"`
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	EraseAt     *time.Time `json:"erase_at,omitempty"`
}

func toErasureJSON(e privacy.Erasure) erasureJSON {
	return erasureJSON{Scheduled: true, RequestedAt: &e.RequestedAt, EraseAt: &e.EraseAt}
}

// requestErasure schedules the erasure of the caller's account after the
// re-authentication in the body (reauthRequest: password, and the second
// factor when the account has one): 202 with erase_at.
func (s *Server) requestErasure(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeOptionalReauth(w, r) // none: 403 password_required
	if err != nil {
		return err
	}
	e, err := s.Erasure.Request(r.Context(), principal(r), req.reauth(), client(r))
	if err != nil {
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusAccepted, toErasureJSON(e))
}

func (s *Server) erasureStatus(w http.ResponseWriter, r *http.Request) error {
	e, ok, err := s.Erasure.Scheduled(r.Context(), principal(r).UserID)
	if err != nil {
		return err
	}
	if !ok {
		return httpx.WriteJSON(w, http.StatusOK, erasureJSON{})
	}
	return httpx.WriteJSON(w, http.StatusOK, toErasureJSON(e))
}

func (s *Server) cancelErasure(w http.ResponseWriter, r *http.Request) error {
	if err := s.Erasure.Cancel(r.Context(), principal(r), client(r)); err != nil {
		if errors.Is(err, privacy.ErrNoErasure) {
			return &httpx.Error{Status: http.StatusNotFound, Message: err.Error(), Cause: err}
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
