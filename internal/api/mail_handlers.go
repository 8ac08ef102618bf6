package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// passwordResetAccepted is the one answer to a reset request, whether or
// not the address has an account.
const passwordResetAccepted = "if an account uses this address, a link to reset its password is on its way; it works for 30 minutes"

// requestPasswordReset mails a reset link. It answers 202 with the same
// body whether or not the address has an account.
func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("email", req.Email); err != nil {
		return err
	}
	if err := s.Auth.RequestPasswordReset(r.Context(), req.Email, client(r)); err != nil {
		return authError(err)
	}
	return httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": passwordResetAccepted})
}

// confirmPasswordReset sets the new password with the mailed token. It
// does not sign in.
func (s *Server) confirmPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("token", req.Token, "password", req.Password); err != nil {
		return err
	}
	if err := s.Auth.ResetPassword(r.Context(), req.Token, req.Password, client(r)); err != nil {
		return mailTokenError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// verifyEmail marks the address of the token's account verified.
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := required("token", req.Token); err != nil {
		return err
	}
	if err := s.Auth.VerifyEmail(r.Context(), req.Token, client(r)); err != nil {
		return mailTokenError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resendVerification mails the caller a new verification link.
func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request) error {
	err := s.Auth.ResendVerification(r.Context(), principal(r).UserID)
	var ce *auth.CooldownError
	switch {
	case errors.As(err, &ce):
		secs := max(int((ce.RetryAfter+time.Second-1)/time.Second), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return &httpx.Error{Status: http.StatusTooManyRequests, Message: ce.Error(), Cause: err,
			Fields: map[string]any{"retry_after_seconds": secs}}
	case errors.Is(err, auth.ErrEmailAlreadyVerified):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	case err != nil:
		return authError(err)
	}
	return httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "a new verification link is on its way"})
}

// mailTokenError maps the e-mailed-link errors to 400 with their message.
func mailTokenError(err error) error {
	if errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrTokenUsed) || errors.Is(err, auth.ErrTokenExpired) {
		return httpx.BadRequest(err)
	}
	return authError(err)
}

type outboxJSON struct {
	ID        string    `json:"id"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// listOutbox shows the development outbox to the instance admin.
func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	items := []outboxJSON{}
	if s.Outbox != nil {
		ms, err := s.Outbox.Messages(r.Context(), 200)
		if err != nil {
			return err
		}
		for _, m := range ms {
			items = append(items, outboxJSON{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, CreatedAt: m.CreatedAt})
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
