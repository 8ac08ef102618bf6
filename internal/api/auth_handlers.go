package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

type userJSON struct {
	ID            string        `json:"id"`
	Email         string        `json:"email"`
	EmailVerified bool          `json:"email_verified"`
	Name          string        `json:"name"`
	Roles         []access.Role `json:"roles"`
}

func toUserJSON(u auth.User) userJSON {
	roles := u.Roles
	if roles == nil {
		roles = []access.Role{}
	}
	return userJSON{ID: u.ID, Email: u.Email, EmailVerified: !u.EmailVerifiedAt.IsZero(), Name: u.Name, Roles: roles}
}

// signup creates an account. It answers 201 with the same shape whether or
// not the address was already in use, and does not sign in.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
		Invite   string `json:"invite"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("email", req.Email, "password", req.Password, "name", req.Name); err != nil {
		return err
	}
	u, err := s.Auth.SignUp(r.Context(), auth.SignUpRequest{Email: req.Email, Name: req.Name, Password: req.Password, Invite: req.Invite, Client: client(r), How: privacy.SignupAPI})
	if err != nil {
		return authError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, map[string]string{"id": u.ID, "email": u.Email, "name": u.Name})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("email", req.Email, "password", req.Password); err != nil {
		return err
	}
	// Without a code, a second factor can still come as a passkey: the
	// pending sign-in (cookie) is what /auth/login/passkey/* finish.
	res, err := s.Auth.Login(r.Context(), auth.LoginRequest{Email: req.Email, Password: req.Password,
		DeviceToken: s.Cookies.Device(r), Client: client(r), OTP: req.OTP, StartPending: req.OTP == ""})
	if err != nil {
		var me *auth.MFARequiredError
		if errors.As(err, &me) && me.PendingToken != "" {
			s.Cookies.SetPending(w, me.PendingToken)
		}
		err = mfaError(err) // 401 with mfa_required, or authError's answer
		retryAfter(w, err)
		return err
	}
	return s.signedIn(w, r, res)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Auth.Logout(r.Context(), principal(r), client(r)); err != nil {
		return err
	}
	s.Cookies.ClearSession(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Auth.User(r.Context(), principal(r).UserID)
	if err != nil {
		return authError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name *string `json:"name"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return httpx.Errorf(http.StatusBadRequest, "nothing to change: send {\"name\": …}")
	}
	u, err := s.Auth.UpdateName(r.Context(), principal(r).UserID, *req.Name, client(r))
	if err != nil {
		return authError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Current    string          `json:"current_password"`
		New        string          `json:"new_password"`
		OTP        string          `json:"otp"`        // needed when TOTP is on
		Handle     string          `json:"handle"`     // with credential: a passkey assertion, needed
		Credential json.RawMessage `json:"credential"` // when passkeys are the only second factor
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("current_password", req.Current, "new_password", req.New); err != nil {
		return err
	}
	reauth := auth.Reauth{Password: req.Current, Code: req.OTP, PasskeyHandle: req.Handle, PasskeyAssertion: req.Credential}
	if err := s.Auth.ChangePassword(r.Context(), principal(r), reauth, req.New, client(r)); err != nil {
		return reauthError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sessionJSON struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	ss, err := s.Auth.Sessions(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	items := make([]sessionJSON, len(ss))
	for i, x := range ss {
		items[i] = sessionJSON{ID: x.ID, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			IP: x.IP, UserAgent: x.UserAgent, Current: x.ID == p.SessionID}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// revokeSession ends one session: the caller's own (signing out) without
// more, another after re-authentication with one factor ({"password"} or
// a passkey assertion).
func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	req, err := decodeOptionalReauth(w, r)
	if err != nil {
		return err
	}
	if err := s.Auth.RevokeSession(r.Context(), p, r.PathValue("id"), req.reauth(), client(r)); errors.Is(err, auth.ErrNotFound) {
		return authError(err)
	} else if err != nil {
		return reauthError(w, err)
	}
	if r.PathValue("id") == p.SessionID {
		s.Cookies.ClearSession(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeOtherSessions signs out everywhere but here, after
// re-authentication with one factor.
func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeOptionalReauth(w, r)
	if err != nil {
		return err
	}
	n, err := s.Auth.RevokeOtherSessions(r.Context(), principal(r), req.reauth(), client(r))
	if err != nil {
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]int{"ended": n})
}

type eventJSON struct {
	At        time.Time         `json:"at"`
	Type      string            `json:"type"`
	IP        string            `json:"ip,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
}

func (s *Server) securityEvents(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.Audit.About(r.Context(), principal(r).UserID, 100)
	if err != nil {
		return err
	}
	items := make([]eventJSON, len(ev))
	for i, e := range ev {
		items[i] = eventJSON{At: e.At, Type: string(e.Type), IP: e.IP, UserAgent: e.UserAgent, Details: e.Details}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Token      string     `json:"token,omitempty"` // only in the answer that creates it
}

func toTokenJSON(t auth.Token) tokenJSON {
	j := tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		j.LastUsedAt = &t.LastUsedAt
	}
	return j
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
		reauthRequest
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("name", req.Name, "password", req.Password); err != nil {
		return err
	}
	t, secret, err := s.Auth.CreateToken(r.Context(), principal(r), req.Name, req.reauth(), client(r))
	if errors.Is(err, auth.ErrInvalidTokenName) {
		return authError(err)
	} else if err != nil {
		return reauthError(w, err)
	}
	j := toTokenJSON(t)
	j.Token = secret
	return httpx.WriteJSON(w, http.StatusCreated, j)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Auth.Tokens(r.Context(), principal(r).UserID)
	if err != nil {
		return err
	}
	items := make([]tokenJSON, len(ts))
	for i, t := range ts {
		items[i] = toTokenJSON(t)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Auth.RevokeToken(r.Context(), principal(r).UserID, r.PathValue("id"), client(r)); err != nil {
		return authError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("email", req.Email); err != nil {
		return err
	}
	inv, secret, err := s.Auth.CreateInvite(r.Context(), principal(r).UserID, req.Email, client(r))
	if err != nil {
		return authError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, map[string]any{
		"id": inv.ID, "email": inv.Email, "expires_at": inv.ExpiresAt, "token": secret,
		"url": s.PublicURL + "/signup?invite=" + secret,
	})
}
