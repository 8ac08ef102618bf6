package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// TLSEnabled reports whether the server terminates TLS itself, from
// certificate files (--tls-cert, --tls-key) or through ACME (--acme-domains).
// When it does, Listen speaks only TLS and PublicURL is https.
func (c Config) TLSEnabled() bool {
	return c.TLSCert != "" || c.TLSKey != "" || c.ACMEDomains != ""
}

// ACMEDomainList returns ACMEDomains split at commas, trimmed and lower-cased,
// without empty entries. The first is the host of the derived public URL.
func (c Config) ACMEDomainList() []string {
	var out []string
	for _, d := range strings.Split(c.ACMEDomains, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// derivePublicURL is the public URL when none is given: https:// and the
// first ACME domain, or https:// and the listen address when TLS comes
// from files (":443" dropped, since browsers never show it), else
// http:// and the listen address.
func derivePublicURL(c *Config) string {
	if !c.TLSEnabled() {
		return "http://" + c.Listen
	}
	if d := c.ACMEDomainList(); len(d) > 0 {
		return "https://" + d[0]
	}
	return "https://" + strings.TrimSuffix(c.Listen, ":443")
}

// dnsNameRE matches a DNS name of at least two labels: what a public CA
// issues certificates for through http-01 or tls-alpn-01 (no wildcards).
var dnsNameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// checkTLS reports the problems of the TLS options: files and ACME are
// exclusive, a certificate needs its key, the public URL must be https, and
// the ACME and redirect options must make sense together. It does not read
// the certificate files: the server checks them when it starts.
func (c Config) checkTLS() []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	files := c.TLSCert != "" || c.TLSKey != ""
	switch {
	case c.TLSCert != "" && c.TLSKey == "":
		bad("tls-key: must be given with tls-cert (the PEM file of the certificate's private key)")
	case c.TLSKey != "" && c.TLSCert == "":
		bad("tls-cert: must be given with tls-key (the PEM file of the certificate, with its chain)")
	}
	if files && c.ACMEDomains != "" {
		bad("acme-domains: cannot be used with tls-cert and tls-key; choose certificate files or ACME, not both")
	}

	domains := c.ACMEDomainList()
	if c.ACMEDomains != "" && len(domains) == 0 {
		bad("acme-domains: %q names no domain", c.ACMEDomains)
	}
	for _, d := range domains {
		switch {
		case strings.HasPrefix(d, "*."):
			bad("acme-domains: %q is a wildcard; ACME here proves control over each name over HTTP or TLS, which cannot be done for wildcards: list the names", d)
		case net.ParseIP(d) != nil:
			bad("acme-domains: %q is an IP address; want DNS names such as photos.example.com", d)
		case len(d) > 253 || !dnsNameRE.MatchString(d):
			bad("acme-domains: %q is not a DNS name with at least two labels, such as photos.example.com", d)
		}
	}
	if c.ACMEDomains == "" {
		if c.ACMEEmail != "" {
			bad("acme-email: only used with acme-domains")
		}
		if c.ACMEDirectory != "" {
			bad("acme-directory: only used with acme-domains")
		}
	}
	if c.ACMEEmail != "" {
		if a, err := mail.ParseAddress(c.ACMEEmail); err != nil || a.Address != c.ACMEEmail {
			bad("acme-email: %q is not a bare e-mail address such as admin@example.com", c.ACMEEmail)
		}
	}
	if c.ACMEDirectory != "" {
		u, err := url.Parse(c.ACMEDirectory)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			bad("acme-directory: %q is not an absolute https:// URL", c.ACMEDirectory)
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			bad("acme-directory: %q is plain http; only a test CA on loopback may be reached without TLS", c.ACMEDirectory)
		}
	}

	if c.HTTPRedirectListen != "" {
		if !c.TLSEnabled() {
			bad("http-redirect-listen: only used when TLS is on (tls-cert and tls-key, or acme-domains)")
		}
		if _, port, err := net.SplitHostPort(c.HTTPRedirectListen); err != nil {
			bad("http-redirect-listen: %q is not host:port (for example :80)", c.HTTPRedirectListen)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("http-redirect-listen: port %q in %q is not a number from 0 to 65535", port, c.HTTPRedirectListen)
		} else if c.HTTPRedirectListen == c.Listen && port != "0" {
			bad("http-redirect-listen: %q is also the listen address; the redirect needs its own port (usually :80)", c.HTTPRedirectListen)
		}
	}

	if c.TLSEnabled() {
		if u, err := url.Parse(c.PublicURL); err == nil && u.Scheme != "" && u.Scheme != "https" {
			bad("public-url %q: must be https when the server terminates TLS itself (tls-cert or acme-domains); leave it unset to derive it", c.PublicURL)
		} else if err == nil && len(domains) > 0 && !containsFold(domains, strings.TrimSuffix(u.Hostname(), ".")) {
			bad("public-url %q: its host is not among acme-domains %q, so no certificate would cover it", c.PublicURL, c.ACMEDomains)
		}
	}
	return errs
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
