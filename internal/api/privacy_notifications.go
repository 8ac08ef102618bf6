package api

import (
	"errors"
	"net/http"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

// The consent to optional e-mail notifications: its text (public, like
// the terms of use) and giving it. Withdrawing it is the ledger's one
// withdraw action, POST /api/v1/me/consents/{id}/withdraw.
func (s *Server) registerNotifications(rt *httpx.Router) {
	rt.API("GET /api/v1/privacy/optional-consents", access.Public, s.optionalConsents)
	rt.API("POST /api/v1/me/consents", access.Authenticated, s.giveConsent)
}

// optionalConsents lists the consents a person may give beyond the
// contract, each with the text shown and the hash to accept it with.
func (s *Server) optionalConsents(w http.ResponseWriter, r *http.Request) error {
	if s.Notifications == nil {
		return httpx.NotFound()
	}
	type item struct {
		Kind       string   `json:"kind"`
		Text       string   `json:"text"`
		TextSHA256 string   `json:"text_sha256"`
		Mail       []string `json:"mail"` // the e-mail kinds it covers
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": []item{{
		Kind: privacy.ConsentEmailNotifications, Text: privacy.NotificationsText,
		TextSHA256: privacy.NotificationsTextSHA256(), Mail: privacy.OptionalMail,
	}}})
}

// giveConsent records the caller's consent to the optional e-mails:
// 201 with the new record, or 200 with the live one when it was given
// already (nothing new is recorded).
func (s *Server) giveConsent(w http.ResponseWriter, r *http.Request) error {
	if s.Notifications == nil {
		return httpx.NotFound()
	}
	var req struct {
		Kind             string `json:"kind"`
		AcceptTextSHA256 string `json:"accept_text_sha256"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Kind != privacy.ConsentEmailNotifications {
		return httpx.BadRequest(privacy.ErrConsentKind)
	}
	c, created, err := s.Notifications.Give(r.Context(), principal(r).UserID, req.AcceptTextSHA256, privacy.NotificationsByAPI)
	if errors.Is(err, privacy.ErrNotificationsText) {
		he := httpx.BadRequest(err)
		he.Fields = map[string]any{"text_sha256": privacy.NotificationsTextSHA256()}
		return he
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, consentJSON{ID: c.ID, Kind: c.Kind, TermsVersion: c.TermsVersion, TermsSHA256: c.TermsSHA256,
		Scope: nonNil(c.Scope), Method: c.Method, At: ts(c.At), WithdrawnAt: ts(c.WithdrawnAt), ReceiptURL: "/api/v1/me/consents/" + c.ID + "/receipt"})
}
