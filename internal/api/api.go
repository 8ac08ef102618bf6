// Package api is the JSON API under /api/v1: thin handlers that decode
// requests, call the domain services and encode answers. Each handler is
// registered with its access policy in Register.
package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/mail"
	"safelight/internal/privacy"
	"safelight/internal/ratelimit"
	"safelight/internal/sharing"
)

// Server holds what the handlers need.
type Server struct {
	Auth      *auth.Service
	Audit     *audit.Recorder
	Library   *library.Service
	Cookies   httpauth.Cookies
	PublicURL string // no trailing slash
	// Ready reports whether the backends (database, blob store) answer.
	Ready func(ctx context.Context) error
	// Uploads, when set, is told the outcome of every upload (metrics).
	Uploads UploadObserver
	// Limits, when set, applies the abuse limits (sign-up, sign-in and
	// password reset per address, uploads per account).
	Limits *ratelimit.Limiter
	// Outbox, when set, is the development outbox the admin may read.
	Outbox *mail.Outbox
	// Sharing runs projects and review links.
	Sharing *sharing.Service
	// Calls runs organizations, calls for entries, juries and results.
	Calls *calls.Service
	// Erasure schedules and cancels account erasures (Art. 17).
	Erasure *privacy.Eraser
	// Instance names the operator in consent receipts.
	Instance privacy.Instance
	// Ledger lists every consent record of an account.
	Ledger *privacy.Ledger
	// Notifications gives the consent to the optional e-mails
	// (privacy_notifications.go); nil leaves its routes answering 404.
	Notifications *privacy.Notifications
	// Processing is the instance's records of processing, served at
	// GET /api/v1/privacy/processing (privacy_processing.go).
	Processing *privacy.Registry
	// Exports runs access and portability exports (Art. 15, 20).
	Exports *privacy.Exports
	// Watermark draws text on a preview read from r (package media); nil
	// serves previews as they are.
	Watermark func(r io.Reader, text string) ([]byte, error)
}

// UploadObserver counts uploads by outcome: created, duplicate, refused
// (the client's input) or failed (ours).
type UploadObserver interface {
	ObserveUpload(outcome string, size int64)
}

func (s *Server) observeUpload(outcome string, size int64) {
	if s.Uploads != nil {
		s.Uploads.ObserveUpload(outcome, size)
	}
}

// Register adds every API route, each with its policy, to rt.
func (s *Server) Register(rt *httpx.Router) {
	rt.API("GET /healthz", access.Public, s.healthz)
	rt.API("GET /readyz", access.Public, s.readyz)
	rt.API("GET /api/v1/openapi.yaml", access.Public, s.openAPI)

	rt.API("POST /api/v1/auth/signup", access.Public, s.limitByAddress(ratelimit.Signup, s.signup))
	rt.API("POST /api/v1/auth/login", access.Public, s.limitByAddress(ratelimit.Login, s.login))
	rt.API("POST /api/v1/auth/password-reset", access.Public, s.limitByAddress(ratelimit.PasswordReset, s.requestPasswordReset))
	rt.API("POST /api/v1/auth/password-reset/confirm", access.Public, s.confirmPasswordReset)
	rt.API("POST /api/v1/auth/verify-email", access.Public, s.verifyEmail)
	rt.API("POST /api/v1/auth/email-change/confirm", access.Public, s.confirmEmailChange)
	rt.API("POST /api/v1/me/verify-email/resend", access.Authenticated, s.resendVerification)
	rt.API("GET /api/v1/admin/outbox", access.Admin, s.listOutbox)
	s.registerAdmin(rt)
	s.registerStaff(rt) // staff.go: support, dpo, security
	rt.API("POST /api/v1/auth/logout", access.MFAEnrolment, s.logout)

	rt.API("GET /api/v1/me", access.MFAEnrolment, s.me)
	rt.API("PATCH /api/v1/me", access.Authenticated, s.updateMe)
	rt.API("POST /api/v1/me/password", access.AccountSecurity, s.changePassword)
	rt.API("POST /api/v1/me/email", access.AccountSecurity, s.requestEmailChange)
	rt.API("GET /api/v1/me/sessions", access.Authenticated, s.listSessions)
	rt.API("DELETE /api/v1/me/sessions", access.AccountSecurity, s.revokeOtherSessions)
	rt.API("DELETE /api/v1/me/sessions/{id}", access.AccountSecurity, s.revokeSession)
	rt.API("GET /api/v1/me/security-events", access.Authenticated, s.securityEvents)
	s.registerMFA(rt)
	s.registerPasskeys(rt)

	rt.API("POST /api/v1/tokens", access.AccountSecurity, s.createToken)
	rt.API("GET /api/v1/tokens", access.Authenticated, s.listTokens)
	rt.API("DELETE /api/v1/tokens/{id}", access.Authenticated, s.revokeToken)

	rt.API("POST /api/v1/invites", access.Admin, s.createInvite)

	rt.API("POST /api/v1/assets", access.Authenticated, s.limitByAccount(ratelimit.Upload, s.uploadAsset))
	rt.API("GET /api/v1/assets", access.Authenticated, s.listAssets(false))
	rt.API("GET /api/v1/assets/{id}", access.Authenticated, s.getAsset)
	rt.API("GET /api/v1/assets/{id}/original", access.Authenticated, s.serveContent(library.Original))
	rt.API("GET /api/v1/assets/{id}/thumb", access.Authenticated, s.serveContent(library.Thumb))
	rt.API("GET /api/v1/assets/{id}/preview", access.Authenticated, s.serveContent(library.Preview))
	rt.API("GET /api/v1/assets/{id}/access-log", access.Authenticated, s.accessLog)
	rt.API("DELETE /api/v1/assets/{id}", access.Authenticated, s.trashAsset)
	rt.API("POST /api/v1/assets/{id}/restore", access.Authenticated, s.restoreAsset)
	rt.API("GET /api/v1/trash", access.Authenticated, s.listAssets(true))
	rt.API("DELETE /api/v1/trash", access.Authenticated, s.emptyTrash)
	rt.API("GET /api/v1/me/library-settings", access.Authenticated, s.librarySettings)
	rt.API("PATCH /api/v1/me/library-settings", access.Authenticated, s.updateLibrarySettings)

	s.registerProjects(rt)
	s.registerLinks(rt)
	s.registerExports(rt)
	s.registerCalls(rt)
	s.registerPrivacyProcessing(rt)
	s.registerReceipts(rt)
	s.registerNotifications(rt)
	s.registerErasure(rt)
	s.registerRestriction(rt)
	s.registerPrivacyExport(rt)

	// Unknown API paths answer JSON, not the HTML 404 page.
	rt.API("/api/", access.Public, func(http.ResponseWriter, *http.Request) error { return httpx.NotFound() })
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		return &httpx.Error{Status: http.StatusServiceUnavailable, Message: "not ready", Cause: err}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// client describes the request's origin for auth and audit.
func client(r *http.Request) auth.Client {
	return httpauth.ClientOf(r, httpx.ClientIP(r))
}

// principal returns the caller; routes with a non-public policy always
// have one.
func principal(r *http.Request) *access.Principal { return access.PrincipalFrom(r.Context()) }

// authError maps auth's errors to HTTP answers with their safe messages.
func authError(err error) error {
	var pe *auth.PasswordPolicyError
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &pe):
		return httpx.BadRequest(err)
	case errors.As(err, &te):
		secs := int(te.RetryAfter.Round(time.Second) / time.Second)
		return &httpx.Error{Status: http.StatusTooManyRequests, Message: te.Error(), Cause: err,
			Fields: map[string]any{"retry_after_seconds": secs}}
	case errors.Is(err, auth.ErrInvalidEmail), errors.Is(err, auth.ErrInvalidName),
		errors.Is(err, auth.ErrInvalidTokenName), errors.Is(err, auth.ErrInviteInvalid):
		return httpx.BadRequest(err)
	case errors.Is(err, auth.ErrInvalidCredentials):
		return &httpx.Error{Status: http.StatusUnauthorized, Message: err.Error(), Cause: err}
	case errors.Is(err, auth.ErrSignupClosed), errors.Is(err, auth.ErrInviteRequired), errors.Is(err, auth.ErrWrongPassword),
		errors.Is(err, auth.ErrAccountDisabled):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err}
	case errors.Is(err, auth.ErrNotFound):
		return httpx.NotFound()
	}
	return err
}

func retryAfter(w http.ResponseWriter, err error) {
	var he *httpx.Error
	if errors.As(err, &he) && he.Status == http.StatusTooManyRequests {
		if secs, ok := he.Fields["retry_after_seconds"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		}
	}
}

func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return httpx.Errorf(http.StatusBadRequest, "missing field %q", fields[i])
		}
	}
	return nil
}
