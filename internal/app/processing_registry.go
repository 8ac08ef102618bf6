package app

import (
	"strings"

	"golang.org/x/crypto/acme/autocert"

	"safelight/internal/blob/s3"
	"safelight/internal/config"
	"safelight/internal/privacy"
	"safelight/internal/sharing"
)

// processingRegistry builds the instance's records of processing (GDPR
// Art. 30) from the same configuration the services were given, so that
// the periods and processors it shows are the ones in force.
func processingRegistry(cfg config.Config) privacy.Registry {
	s := privacy.RegistrySettings{
		Contact:        cfg.PrivacyContact,
		PublicURL:      strings.TrimSuffix(cfg.PublicURL, "/"),
		TrashRetention: cfg.TrashRetention,
		SessionIdle:    cfg.SessionIdle,
		SessionMaxAge:  cfg.SessionMaxAge,
		// As New gives them to package sharing.
		LinkTTL:    min(sharing.DefaultConfig().LinkTTL, cfg.ReviewLinkMaxAge),
		MaxLinkTTL: cfg.ReviewLinkMaxAge,
		SMTPHost:   cfg.SMTPHost,
	}
	grace := cfg.ErasureGrace
	s.ErasureGrace = &grace
	auditRetention := cfg.AuditRetention
	s.AuditRetention = &auditRetention
	if strings.HasPrefix(cfg.Blobs, "s3://") {
		if c, err := s3.ParseURL(cfg.Blobs); err == nil {
			s.S3Endpoint = c.Endpoint
		} else {
			s.S3Endpoint = "s3" // Load validated it; never left out
		}
	}
	if len(cfg.ACMEDomainList()) > 0 {
		s.ACMEDirectory = cfg.ACMEDirectory
		if s.ACMEDirectory == "" {
			s.ACMEDirectory = autocert.DefaultACMEDirectory // as tls.go uses it
		}
	}
	return privacy.BuildRegistry(s)
}
