package config

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
)

// checkMail checks the mail options: a complete SMTP setup, or none (the
// development outbox). Messages never hold the SMTP password.
func (c Config) checkMail() []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		bad("smtp-port: %d is not a port from 1 to 65535", c.SMTPPort)
	}
	switch c.SMTPSecurity {
	case "starttls", "tls", "none":
	default:
		bad("smtp-security: %q is not starttls, tls or none", c.SMTPSecurity)
	}
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			bad("mail-from: %q is not an e-mail address (for example photos@example.com or \"Safelight <photos@example.com>\")", c.MailFrom)
		}
	}
	if c.SMTPHost == "" {
		if c.SMTPUsername != "" || c.SMTPPassword != "" {
			bad("smtp-username, smtp-password: set, but smtp-host is not; set --smtp-host to send mail through a server")
		}
		return errs
	}
	if strings.ContainsAny(c.SMTPHost, " /:") && net.ParseIP(c.SMTPHost) == nil {
		bad("smtp-host: %q is not a host name or IP address (give the port with --smtp-port)", c.SMTPHost)
	}
	if c.MailFrom == "" {
		bad("mail-from: required with smtp-host: the address Safelight's e-mail comes from, for example photos@example.com")
	}
	if c.SMTPSecurity == "none" {
		if !isLoopback(c.SMTPHost) {
			bad("smtp-security: none sends mail (and its reset links) across the network in clear; it is allowed only to a loopback smtp-host, not %q: use starttls or tls", c.SMTPHost)
		} else if c.SMTPUsername != "" {
			bad("smtp-username: authentication is sent only over TLS; use smtp-security starttls or tls")
		}
	}
	if c.SMTPPassword != "" && c.SMTPUsername == "" {
		bad("smtp-password: set without smtp-username")
	}
	return errs
}
