package api

import (
	"errors"
	"net/http"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// registerMFA adds the second-factor routes. Enrolment is open to callers
// who must enrol before anything else (access.MFAEnrolment); turning MFA
// off and new recovery codes need MFA on, so they are ordinary routes.
func (s *Server) registerMFA(rt *httpx.Router) {
	rt.API("GET /api/v1/me/mfa", access.MFAEnrolment, s.mfaStatus)
	rt.API("POST /api/v1/me/mfa/totp", access.MFAEnrolment, s.beginTOTP)
	rt.API("POST /api/v1/me/mfa/totp/confirm", access.MFAEnrolment, s.confirmTOTP)
	rt.API("DELETE /api/v1/me/mfa/totp", access.Authenticated, s.disableTOTP)
	rt.API("POST /api/v1/me/mfa/recovery-codes", access.Authenticated, s.regenerateRecoveryCodes)
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
	e, err := s.Auth.BeginTOTP(r.Context(), principal(r), client(r))
	if err != nil {
		return mfaError(err)
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

// reauthRequest is the re-authentication a sensitive change asks for.
type reauthRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// reauthError answers a failed re-authentication of a signed-in caller:
// 403, never 401, which clients read as "signed out".
func reauthError(w http.ResponseWriter, err error) error {
	switch {
	case errors.Is(err, auth.ErrMFARequired), errors.Is(err, auth.ErrInvalidOTP):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err, Fields: map[string]any{"mfa_required": true}}
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
