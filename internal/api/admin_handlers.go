package api

import (
	"errors"
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// registerAdmin adds the routes an instance admin runs accounts with:
// the list, disable and enable (ASVS V7.4.2), and ending the sessions of
// one account or of everyone (ASVS V7.4.5). Other callers get 404.
func (s *Server) registerAdmin(rt *httpx.Router) {
	rt.API("GET /api/v1/admin/users", access.Admin, s.listAccounts)
	rt.API("POST /api/v1/admin/users/{id}/disable", access.Admin, s.disableAccount)
	rt.API("POST /api/v1/admin/users/{id}/enable", access.Admin, s.enableAccount)
	rt.API("DELETE /api/v1/admin/users/{id}/sessions", access.Admin, s.endAccountSessions)
	rt.API("DELETE /api/v1/admin/sessions", access.Admin, s.endAllSessions)
}

// accountJSON is an account as the admin sees it: no secrets, no content.
type accountJSON struct {
	ID            string        `json:"id"`
	Email         string        `json:"email"`
	Name          string        `json:"name"`
	Roles         []access.Role `json:"roles"`
	CreatedAt     time.Time     `json:"created_at"`
	EmailVerified bool          `json:"email_verified"`
	Disabled      bool          `json:"disabled"`
	DisabledAt    *time.Time    `json:"disabled_at"` // null while active
	LiveSessions  int           `json:"live_sessions"`
	Tokens        int           `json:"tokens"`
}

func toAccountJSON(a auth.AccountSummary) accountJSON {
	u := a.User
	j := accountJSON{ID: u.ID, Email: u.Email, Name: u.Name, Roles: u.Roles, CreatedAt: u.CreatedAt,
		EmailVerified: !u.EmailVerifiedAt.IsZero(), Disabled: u.Disabled(), LiveSessions: a.LiveSessions, Tokens: a.Tokens}
	if j.Roles == nil {
		j.Roles = []access.Role{}
	}
	if u.Disabled() {
		j.DisabledAt = &u.DisabledAt
	}
	return j
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Auth.Accounts(r.Context(), principal(r))
	if err != nil {
		return adminError(err)
	}
	items := make([]accountJSON, len(list))
	for i, a := range list {
		items[i] = toAccountJSON(a)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// disableAccount disables the account; its sessions, tokens and pending
// sign-ins end at once.
func (s *Server) disableAccount(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ended, err := s.Auth.DisableUser(r.Context(), principal(r), id, client(r))
	if err != nil {
		return adminError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "disabled": true,
		"ended": map[string]int{"sessions": ended.Sessions, "tokens": ended.Tokens, "pending_logins": ended.PendingLogins}})
}

func (s *Server) enableAccount(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.Auth.EnableUser(r.Context(), principal(r), id, client(r)); err != nil {
		return adminError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "disabled": false})
}

// endAccountSessions signs one account out everywhere; its tokens keep
// working.
func (s *Server) endAccountSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Auth.EndUserSessions(r.Context(), principal(r), r.PathValue("id"), client(r))
	if err != nil {
		return adminError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]int{"ended": n})
}

// endAllSessions signs every account out but the caller's own session.
func (s *Server) endAllSessions(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Auth.EndAllSessions(r.Context(), principal(r), client(r))
	if err != nil {
		return adminError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]int{"ended": n})
}

// adminError maps the administration errors to answers with their
// messages: a malformed id or disabling oneself is 400, disabling the
// last admin 409 (it works once another admin is active), an unknown
// account 404.
func adminError(err error) error {
	switch {
	case errors.Is(err, auth.ErrInvalidAccountID), errors.Is(err, auth.ErrDisableSelf):
		return httpx.BadRequest(err)
	case errors.Is(err, auth.ErrLastAdmin):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	}
	return authError(err)
}
