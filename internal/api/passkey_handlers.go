package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
	"safelight/internal/ratelimit"
)

// registerPasskeys adds the passkey routes. Registering one is open to
// callers who must enrol before anything else, since a passkey is a
// second factor; every change needs a signed-in session. The sign-in
// routes are public and share the sign-in rate limit.
func (s *Server) registerPasskeys(rt *httpx.Router) {
	rt.API("GET /api/v1/me/passkeys", access.MFAEnrolment, s.listPasskeys)
	rt.API("POST /api/v1/me/passkeys/register/begin", access.MFASetup, s.beginPasskeyRegistration)
	rt.API("POST /api/v1/me/passkeys/register/finish", access.MFASetup, s.finishPasskeyRegistration)
	rt.API("PATCH /api/v1/me/passkeys/{id}", access.AccountSecurity, s.renamePasskey)
	rt.API("DELETE /api/v1/me/passkeys/{id}", access.AccountSecurity, s.removePasskey)
	rt.API("POST /api/v1/me/passkeys/reauth/begin", access.AccountSecurity, s.beginPasskeyReauth)

	rt.API("POST /api/v1/auth/login/passkey/begin", access.Public, s.limitByAddress(ratelimit.Login, s.beginPasskeyLogin))
	rt.API("POST /api/v1/auth/login/passkey/finish", access.Public, s.limitByAddress(ratelimit.Login, s.finishPasskeyLogin))
	rt.API("POST /api/v1/auth/passkey/begin", access.Public, s.limitByAddress(ratelimit.Login, s.beginPasswordless))
	rt.API("POST /api/v1/auth/passkey/finish", access.Public, s.limitByAddress(ratelimit.Login, s.finishPasswordless))
}

// passkeyError maps the passkey errors of package auth to answers.
func passkeyError(err error) error {
	switch {
	case errors.Is(err, auth.ErrPasskeysNotConfigured):
		return &httpx.Error{Status: http.StatusNotFound, Message: err.Error(), Cause: err}
	case errors.Is(err, auth.ErrPasskeyInvalid), errors.Is(err, auth.ErrCeremonyInvalid):
		return &httpx.Error{Status: http.StatusBadRequest, Message: err.Error(), Cause: err}
	case errors.Is(err, auth.ErrInvalidPasskeyName):
		return httpx.BadRequest(err)
	case errors.Is(err, auth.ErrPasskeyExists), errors.Is(err, auth.ErrTooManyPasskeys):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	}
	return mfaError(err)
}

// loginPasskeyError answers a failed passkey sign-in: 401, like a wrong
// password or code.
func loginPasskeyError(w http.ResponseWriter, err error) error {
	switch {
	case errors.Is(err, auth.ErrPasskeysNotConfigured):
		return &httpx.Error{Status: http.StatusNotFound, Message: err.Error(), Cause: err}
	case errors.Is(err, auth.ErrPasskeyInvalid), errors.Is(err, auth.ErrCeremonyInvalid), errors.Is(err, auth.ErrPendingLoginInvalid):
		return &httpx.Error{Status: http.StatusUnauthorized, Message: err.Error(), Cause: err}
	}
	err = authError(err)
	retryAfter(w, err)
	return err
}

type passkeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Synced     bool       `json:"synced"` // backed up by its provider (BS flag)
}

func toPasskeyJSON(p auth.Passkey) passkeyJSON {
	j := passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, Synced: p.BackupState}
	if !p.LastUsedAt.IsZero() {
		j.LastUsedAt = &p.LastUsedAt
	}
	return j
}

// ceremonyJSON is what a begin answers: the options for
// navigator.credentials.create or .get (under "publicKey") and the
// handle to send back with the answer.
func ceremonyJSON(o auth.PasskeyOptions) (map[string]any, error) {
	raw, err := json.Marshal(o.Options)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["handle"] = o.Handle
	return m, nil
}

func (s *Server) writeCeremony(w http.ResponseWriter, o auth.PasskeyOptions) error {
	m, err := ceremonyJSON(o)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, m)
}

func (s *Server) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	pks, err := s.Auth.Passkeys(r.Context(), principal(r).UserID)
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, 0, len(pks))
	for _, p := range pks {
		out = append(out, toPasskeyJSON(p))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"passkeys": out})
}

func (s *Server) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	var req reauthRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("password", req.Password); err != nil {
		return err
	}
	o, err := s.Auth.BeginPasskeyRegistration(r.Context(), principal(r), req.reauth(), client(r))
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrPasskeysNotConfigured), errors.Is(err, auth.ErrTooManyPasskeys):
		return passkeyError(err)
	default:
		return reauthError(w, err)
	}
	return s.writeCeremony(w, o)
}

// credentialRequest is a finish: the handle from begin and the browser's
// PublicKeyCredential (toJSON form: base64url fields).
type credentialRequest struct {
	Handle     string          `json:"handle"`
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

func (s *Server) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	var req credentialRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("handle", req.Handle, "name", req.Name, "credential", string(req.Credential)); err != nil {
		return err
	}
	p, err := s.Auth.FinishPasskeyRegistration(r.Context(), principal(r), req.Handle, req.Name, req.Credential, client(r))
	if err != nil {
		return passkeyError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, toPasskeyJSON(p))
}

func (s *Server) renamePasskey(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.Auth.RenamePasskey(r.Context(), principal(r), r.PathValue("id"), req.Name, client(r)); err != nil {
		return passkeyError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) beginPasskeyReauth(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Auth.BeginPasskeyReauth(r.Context(), principal(r))
	if err != nil {
		return passkeyError(err)
	}
	return s.writeCeremony(w, o)
}

func (s *Server) removePasskey(w http.ResponseWriter, r *http.Request) error {
	var req reauthRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("password", req.Password); err != nil {
		return err
	}
	err := s.Auth.RemovePasskey(r.Context(), principal(r), r.PathValue("id"), req.reauth(), client(r))
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrNotFound), errors.Is(err, auth.ErrPasskeysNotConfigured):
		return passkeyError(err)
	default:
		return reauthError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// beginPasskeyLogin starts the second step of the sign-in that
// POST /api/v1/auth/login left pending (its cookie).
func (s *Server) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Auth.BeginPasskeyLogin(r.Context(), s.Cookies.Pending(r))
	if err != nil {
		return loginPasskeyError(w, err)
	}
	return s.writeCeremony(w, o)
}

func (s *Server) finishPasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	var req credentialRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("handle", req.Handle, "credential", string(req.Credential)); err != nil {
		return err
	}
	res, err := s.Auth.FinishPasskeyLogin(r.Context(), s.Cookies.Pending(r), req.Handle, req.Credential, s.Cookies.Device(r), client(r))
	if err != nil {
		if errors.Is(err, auth.ErrPendingLoginInvalid) {
			s.Cookies.ClearPending(w)
		}
		return loginPasskeyError(w, err)
	}
	s.Cookies.ClearPending(w)
	return s.signedIn(w, r, res)
}

func (s *Server) beginPasswordless(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Auth.BeginPasswordlessLogin(r.Context())
	if err != nil {
		return loginPasskeyError(w, err)
	}
	return s.writeCeremony(w, o)
}

func (s *Server) finishPasswordless(w http.ResponseWriter, r *http.Request) error {
	var req credentialRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("handle", req.Handle, "credential", string(req.Credential)); err != nil {
		return err
	}
	res, err := s.Auth.FinishPasswordlessLogin(r.Context(), req.Handle, req.Credential, s.Cookies.Device(r), client(r))
	if err != nil {
		return loginPasskeyError(w, err)
	}
	return s.signedIn(w, r, res)
}

// signedIn sets the cookies of a new session and answers with the user.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, res auth.LoginResult) error {
	if err := s.Cookies.SignedIn(w, r, s.Auth, res, client(r)); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, toUserJSON(res.User))
}
