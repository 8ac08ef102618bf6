package api

import (
	"net/http"

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
				return err
			}
		}
		return h(w, r)
	}
}

// limitByAccount is limitByAddress per signed-in account.
func (s *Server) limitByAccount(rule string, h httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Limits != nil {
			if err := s.Limits.Allow(r.Context(), rule, ratelimit.Account(principal(r).UserID)); err != nil {
				return err
			}
		}
		return h(w, r)
	}
}
