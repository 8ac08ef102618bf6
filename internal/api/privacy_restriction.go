package api

import (
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// registerRestriction adds the restriction switch (GDPR Art. 18, see
// auth/restriction.go). Switching it on or off needs a signed-in session
// (AccountSecurity); lifting it also needs the re-authentication in the
// body, as it re-opens shares, links and juries to other people.
func (s *Server) registerRestriction(rt *httpx.Router) {
	rt.API("GET /api/v1/me/restriction", access.Authenticated, s.restrictionStatus)
	rt.API("POST /api/v1/me/restriction", access.AccountSecurity, s.restrict)
	rt.API("DELETE /api/v1/me/restriction", access.AccountSecurity, s.liftRestriction)
}

type restrictionJSON struct {
	Restricted bool       `json:"restricted"`
	Since      *time.Time `json:"since,omitempty"`
}

func toRestrictionJSON(u auth.User) restrictionJSON {
	if !u.Restricted() {
		return restrictionJSON{}
	}
	since := u.RestrictedAt.UTC()
	return restrictionJSON{Restricted: true, Since: &since}
}

func (s *Server) restrictionStatus(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Auth.User(r.Context(), principal(r).UserID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, toRestrictionJSON(u))
}

// restrict switches the restriction on: 200 with since (the first time,
// when it was on already).
func (s *Server) restrict(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Auth.Restrict(r.Context(), principal(r), client(r))
	if err != nil {
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toRestrictionJSON(u))
}

// liftRestriction lifts it after the re-authentication in the body
// (reauthRequest; none: 403 password_required).
func (s *Server) liftRestriction(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeOptionalReauth(w, r)
	if err != nil {
		return err
	}
	u, err := s.Auth.LiftRestriction(r.Context(), principal(r), req.reauth(), client(r))
	if err != nil {
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toRestrictionJSON(u))
}
