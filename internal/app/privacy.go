package app

import (
	"net/url"
	"strings"

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
