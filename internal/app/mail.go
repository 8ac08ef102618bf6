package app

import (
	"context"
	"time"

	"safelight/internal/auth"
	"safelight/internal/config"
	"safelight/internal/mail"
)

// setUpMail chooses how Safelight sends e-mail: through the SMTP server of
// --smtp-host; without one, on a development instance (public URL on
// loopback), into the development outbox that the instance admin reads at
// /admin/outbox; otherwise not at all.
//
// The outbox is never used on a reachable instance: it holds reset links
// in clear, and an admin who could read other people's reset links could
// take over their accounts — and so reach their images, which no staff
// role may. The outbox is made either way, so that its page shows what
// was kept.
func (a *App) setUpMail(cfg config.Config) error {
	a.Outbox = mail.NewOutbox(a.store, a.log)
	var m mail.Mailer
	switch {
	case cfg.SMTPHost != "":
		s, err := mail.NewSMTP(mail.SMTPConfig{
			Host: cfg.SMTPHost, Port: cfg.SMTPPort, Security: mail.Security(cfg.SMTPSecurity),
			Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.MailFrom,
			Timeout: 30 * time.Second,
		})
		if err != nil {
			return err
		}
		m = s
		a.log.Info("e-mail goes through SMTP", "smtp_host", cfg.SMTPHost, "smtp_port", cfg.SMTPPort, "smtp_security", cfg.SMTPSecurity)
	case cfg.PublicURLIsLoopback():
		m = a.Outbox
		a.log.Info("no --smtp-host on a development instance: e-mail is kept in the development outbox; the instance admin reads it at /admin/outbox")
	default:
		m = mail.Discard{Log: a.log}
		a.log.Warn("no --smtp-host: e-mail is off, so password-reset and address-verification mails are not sent; set --smtp-host and --mail-from " +
			"(the development outbox is used only on a loopback public URL, since it would show other people's reset links to the admin)")
	}
	a.Auth.SetMail(auth.MailOptions{Mailer: m, Store: a.store, PublicURL: cfg.PublicURL})
	a.mailer = m
	return nil
}

// flushMail lets mail being sent finish, up to the shutdown timeout.
func (a *App) flushMail() {
	if a.Auth == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(a.cfg.ShutdownTimeout, time.Second))
	defer cancel()
	if err := a.Auth.FlushMail(ctx); err != nil {
		a.log.Warn("e-mail still being sent at shutdown was abandoned", "err", err)
	}
	if a.Sharing != nil {
		if err := a.Sharing.FlushMail(ctx); err != nil {
			a.log.Warn("sharing e-mail still being sent at shutdown was abandoned", "err", err)
		}
	}
}
