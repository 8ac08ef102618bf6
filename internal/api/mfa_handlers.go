package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// registerMFA adds the second-factor routes. Enrolment is open to callers
// who must enrol before anything else (access.MFASetup); every change
// needs a signed-in session, never a personal access token.
func (s *Server) registerMFA(rt *httpx.Router) {
	rt.API("GET /api/v1/me/mfa", access.MFAEnrolment, s.mfaStatus)
	rt.API("POST /api/v1/me/mfa/totp", access.MFASetup, s.beginTOTP)
	rt.API("POST /api/v1/me/mfa/totp/confirm", access.MFASetup, s.confirmTOTP)
	rt.API("DELETE /api/v1/me/mfa/totp", access.AccountSecurity, s.disableTOTP)
	rt.API("POST /api/v1/me/mfa/recovery-codes", access.AccountSecurity, s.regenerateRecoveryCodes)
}

// mfaError maps the second-factor errors of package auth to answers;
// anything else goes on to authError.
func mfaError(err error) error {
	var me *auth.MFARequiredError
	switch {
	case errors.As(err, &me) && me.Passkey:
		return &httpx.Error{Status: http.StatusUnauthorized, Message: auth.ErrMFARequired.Error(), Cause: err,
			Fields: map[string]any{"mfa_required": true, "passkey": true}}
	case errors.Is(err, auth.ErrMFARequired):
		return &httpx.Error{Status: http.StatusUnauthorized, Message: auth.ErrMFARequired.Error(), Cause: err,
			Fields: map[string]any{"mfa_required": true}}
	case errors.Is(err, auth.ErrInvalidOTP):
		return &httpx.Error{Status: http.StatusUnauthorized, Message: err.Error(), Cause: err,
			Fields: map[string]any{"mfa_required": true}}
	case errors.Is(err, auth.ErrMFAAlreadyOn):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	case errors.Is(err, auth.ErrMFANotOn), errors.Is(err, auth.ErrNoPendingEnrollment):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	}
	return authError(err)
}

func (s *Server) mfaStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Auth.MFAStatus(r.Context(), principal(r).UserID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"totp_enabled":            st.TOTPEnabled,
		"totp_pending":            st.TOTPPending,
		"recovery_codes_left":     st.RecoveryCodesLeft,
		"required":                st.Required,
		"mfa_enrollment_required": principal(r).MFAEnrollmentRequired,
		"passkeys":                st.Passkeys,
	})
}

func (s *Server) beginTOTP(w http.ResponseWriter, r *http.Request) error {
	var req reauthRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("password", req.Password); err != nil {
		return err
	}
	e, err := s.Auth.BeginTOTP(r.Context(), principal(r), req.reauth(), client(r))
	if err != nil {
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, map[string]string{"secret": e.Secret, "otpauth_url": e.URL})
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("code", req.Code); err != nil {
		return err
	}
	codes, err := s.Auth.ConfirmTOTP(r.Context(), principal(r), req.Code, client(r))
	if err != nil {
		if errors.Is(err, auth.ErrInvalidOTP) {
			return &httpx.Error{Status: http.StatusBadRequest, Message: err.Error(), Cause: err}
		}
		return mfaError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

// reauthRequest is the re-authentication a sensitive change asks for
// (see auth.Reauth): the current password, and the current second
// factor — a code when TOTP is on, or else a passkey assertion (handle
// from POST /api/v1/me/passkeys/reauth/begin, and the credential).
type reauthRequest struct {
	Password   string          `json:"password"`
	Code       string          `json:"code"`
	Handle     string          `json:"handle"`
	Credential json.RawMessage `json:"credential"`
}

func (q reauthRequest) reauth() auth.Reauth {
	return auth.Reauth{Password: q.Password, Code: q.Code, PasskeyHandle: q.Handle, PasskeyAssertion: q.Credential}
}

// decodeOptionalReauth reads a reauthRequest body, or none.
func decodeOptionalReauth(w http.ResponseWriter, r *http.Request) (reauthRequest, error) {
	var req reauthRequest
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return req, nil
	}
	return req, httpx.DecodeJSON(w, r, &req)
}

// reauthError answers a failed re-authentication of a signed-in caller:
// 403, never 401, which clients read as "signed out". mfa_required or
// passkey_required say which second factor to bring.
func reauthError(w http.ResponseWriter, err error) error {
	switch {
	case errors.Is(err, auth.ErrMFARequired), errors.Is(err, auth.ErrInvalidOTP):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err, Fields: map[string]any{"mfa_required": true}}
	case errors.Is(err, auth.ErrPasskeyRequired), errors.Is(err, auth.ErrPasskeyInvalid):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err, Fields: map[string]any{"passkey_required": true}}
	case errors.Is(err, auth.ErrReauthRequired):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err, Fields: map[string]any{"password_required": true}}
	case errors.Is(err, auth.ErrSessionRequired):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err, Fields: map[string]any{"session_required": true}}
	}
	err = mfaError(err)
	retryAfter(w, err)
	return err
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	var req reauthRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("password", req.Password, "code", req.Code); err != nil {
		return err
	}
	if err := s.Auth.DisableMFA(r.Context(), principal(r), req.Password, req.Code, client(r)); err != nil {
		return reauthError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	var req reauthRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("password", req.Password, "code", req.Code); err != nil {
		return err
	}
	codes, err := s.Auth.RegenerateRecoveryCodes(r.Context(), principal(r), req.Password, req.Code, client(r))
	if err != nil {
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}
