package app

import (
	"context"
	"log/slog"
	"net/url"
	"strings"

	"safelight/internal/auth"
	"safelight/internal/config"
	"safelight/internal/privacy"
)

// privacyInstance names the operator in consent receipts: the public
// URL's host, and the contact the operator configured.
func privacyInstance(cfg config.Config) privacy.Instance {
	in := privacy.Instance{PublicURL: strings.TrimSuffix(cfg.PublicURL, "/"), Contact: privacyContact(cfg)}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		in.Name = u.Hostname()
	} else {
		in.Name = in.PublicURL
	}
	return in
}

// privacyContact is the controller's contact the operator configured.
func privacyContact(cfg config.Config) string { return cfg.PrivacyContact }

// recordSignups records, for every account sign-up creates, the terms of
// use and the privacy notice in the versions shown. A failure is logged:
// the account exists by then, and the sign-up's answer must not differ
// from a decoy's (an address in use).
func (a *App) recordSignups(cfg config.Config, log *slog.Logger) {
	a.Ledger = privacy.NewLedger(a.store, privacy.ProcessingText(processingRegistry(cfg)), log)
	a.Auth.OnSignUp(func(ctx context.Context, u auth.User, how string) {
		if err := a.Ledger.RecordSignup(ctx, u.ID, how); err != nil {
			log.ErrorContext(ctx, "sign-up records not written", "user_id", u.ID, "err", err)
		}
		// The optional e-mails, only when the visitor ticked the box.
		if err := a.Notifications.RecordSignup(ctx, u.ID); err != nil {
			log.ErrorContext(ctx, "e-mail notifications consent not written", "user_id", u.ID, "err", err)
		}
	})
}
