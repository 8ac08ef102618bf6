package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// emailChangeAccepted is the one answer to a change request, whether or
// not the new address has an account (see auth.RequestEmailChange).
const emailChangeAccepted = "a link to confirm the new address is on its way to it; nothing changes until it is opened (within 24 hours)"

// requestEmailChange mails a confirmation link to the new address and a
// notice to the current one, after the same proof as signing in.
func (s *Server) requestEmailChange(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email      string          `json:"email"`
		Password   string          `json:"password"`
		Code       string          `json:"code"`       // needed when TOTP is on
		Handle     string          `json:"handle"`     // with credential: a passkey assertion, needed
		Credential json.RawMessage `json:"credential"` // when passkeys are the only second factor
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("email", req.Email, "password", req.Password); err != nil {
		return err
	}
	reauth := auth.Reauth{Password: req.Password, Code: req.Code, PasskeyHandle: req.Handle, PasskeyAssertion: req.Credential}
	err := s.Auth.RequestEmailChange(r.Context(), principal(r), req.Email, reauth, client(r))
	switch {
	case errors.Is(err, auth.ErrEmailUnchanged):
		return httpx.BadRequest(err)
	case errors.Is(err, auth.ErrMailNotConfigured):
		return &httpx.Error{Status: http.StatusServiceUnavailable, Message: err.Error(), Cause: err}
	case err != nil:
		return reauthError(w, err)
	}
	return httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": emailChangeAccepted})
}

// confirmEmailChange changes the address with the mailed token; the token
// is the credential. Every other session of the account ends.
func (s *Server) confirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("token", req.Token); err != nil {
		return err
	}
	err := s.Auth.ConfirmEmailChange(r.Context(), principal(r), req.Token, client(r))
	switch {
	case errors.Is(err, auth.ErrEmailChangeTaken), errors.Is(err, auth.ErrEmailChangeAccount):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	case err != nil:
		return mailTokenError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
