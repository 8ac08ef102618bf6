package api

import (
	"net/http"

	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/ratelimit"
)

// limitByAddress counts each call of h against rule for the client's
// address and refuses (429, Retry-After) calls over the limit before h
// runs.
func (s *Server) limitByAddress(rule string, h httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Limits != nil {
			if err := s.Limits.Allow(r.Context(), rule, ratelimit.Address(httpx.ClientIP(r))); err != nil {
				s.recordLimited(r, "", err)
				return err
			}
		}
		return h(w, r)
	}
}

// recordLimited records the first refusal of a limit window as a security
// event (the account's, when one is known).
func (s *Server) recordLimited(r *http.Request, userID string, err error) {
	if e, first := httpauth.LimitedEvent(err, userID, client(r)); first && s.Audit != nil {
		s.Audit.Record(r.Context(), e)
	}
}

// limitByAccount is limitByAddress per signed-in account.
func (s *Server) limitByAccount(rule string, h httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Limits != nil {
			if err := s.Limits.Allow(r.Context(), rule, ratelimit.Account(principal(r).UserID)); err != nil {
				s.recordLimited(r, principal(r).UserID, err)
				return err
			}
		}
		return h(w, r)
	}
}
