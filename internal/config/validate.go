package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"safelight/internal/ratelimit"
)

// Validate reports every problem in c at once, joined with errors.Join, one
// line per problem starting with the option name. Messages never contain the
// value of DB, which may hold a password.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen: %q is not host:port (for example localhost:8080, 0.0.0.0:8080 or :8080)", c.Listen)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		bad("listen: port %q in %q is not a number from 0 to 65535", port, c.Listen)
	} else if strings.ContainsAny(host, " /") {
		bad("listen: host %q in %q is not a host name or IP address", host, c.Listen)
	}

	if c.Data == "" {
		bad("data: must not be empty")
	}

	if c.MaxUploadSize < 1<<10 {
		bad("max-upload-size: %s is too small; want at least 1KiB", c.MaxUploadSize)
	}
	if c.MaxMegapixels < 1 {
		bad("max-megapixels: must be at least 1")
	}
	if c.IngestMemory < c.MaxUploadSize {
		bad("ingest-memory: %s is less than max-upload-size %s; one upload must fit", c.IngestMemory, c.MaxUploadSize)
	}
	if c.TrashRetention <= 0 {
		bad("trash-retention: must be positive")
	}
	if c.PrivacyContact != "" && !validPrivacyContact(c.PrivacyContact) {
		bad("privacy-contact: %q is neither a bare e-mail address (privacy@example.com) nor an http(s) URL (https://example.com/privacy)", c.PrivacyContact)
	}
	if c.ReviewLinkMaxAge < time.Hour {
		bad("review-link-max-age: must be at least 1h")
	}
	if c.ErasureGrace < 0 {
		bad("erasure-grace: must not be negative")
	}
	if c.AuditRetention < 0 {
		bad("audit-retention: must not be negative")
	}

	switch {
	case c.DB == "":
		bad("db: must not be empty; want sqlite:PATH or postgres://…")
	case strings.HasPrefix(c.DB, "sqlite:"):
		if c.DB == "sqlite:" {
			bad("db: sqlite: needs a path, for example sqlite:/var/lib/safelight/safelight.db")
		}
	case strings.HasPrefix(c.DB, "postgres://"), strings.HasPrefix(c.DB, "postgresql://"):
		// url.Parse errors quote the whole URL, password included: not wrapped.
		if _, err := url.Parse(c.DB); err != nil {
			bad("db: not a valid PostgreSQL URL (value not shown: it may hold a password)")
		}
	default:
		bad("db: %s is not supported; want sqlite:PATH or postgres://… (value not shown: it may hold a password)", describeScheme(c.DB))
	}

	switch {
	case c.Blobs == "":
		bad("blobs: must not be empty; want file:PATH or s3://bucket?endpoint=…&region=…")
	case strings.HasPrefix(c.Blobs, "file:"):
		if c.Blobs == "file:" {
			bad("blobs: file: needs a path, for example file:/var/lib/safelight/blobs")
		}
	case strings.HasPrefix(c.Blobs, "s3://"):
		if u, err := url.Parse(c.Blobs); err != nil {
			bad("blobs: %q is not a valid URL", c.Blobs)
		} else if u.Host == "" {
			bad("blobs: %q names no bucket; want s3://bucket?endpoint=…&region=…", c.Blobs)
		}
	default:
		bad("blobs: %q is not supported; want file:PATH or s3://bucket?endpoint=…&region=…", c.Blobs)
	}

	if _, err := c.TrustedProxyPrefixes(); err != nil {
		bad("trusted-proxies: %v", err)
	}
	if _, err := ratelimit.Parse(c.RateLimits); err != nil {
		bad("rate-limits: %v", err)
	}
	if c.JobWorkers < 1 {
		bad("job-workers: must be at least 1")
	}
	if c.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(c.MetricsListen); err != nil {
			bad("metrics-listen: %q is not host:port (for example 127.0.0.1:9090)", c.MetricsListen)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("metrics-listen: port %q in %q is not a number from 0 to 65535", port, c.MetricsListen)
		}
	}

	if c.RootKeyFile == "" {
		bad("root-key-file: must not be empty")
	}

	switch c.Signup {
	case "", "open", "invite", "closed":
	default:
		bad("signup: %q is not open, invite or closed (or empty: open until the first account exists, then invite)", c.Signup)
	}

	switch c.StaffMFA {
	case "", "required", "optional": // "" when built without Load: required
	default:
		bad("staff-mfa: %q is not required or optional", c.StaffMFA)
	}

	switch c.MFAPolicy {
	case "", "optional", "required": // "" when built without Load: the default
	default:
		bad("mfa-policy: %q is not optional or required", c.MFAPolicy)
	}

	if err := c.checkPublicURL(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkTLS()...)
	errs = append(errs, c.checkMail()...)

	if c.SessionIdle <= 0 {
		bad("session-idle: %v must be positive", c.SessionIdle)
	}
	if c.SessionMaxAge <= 0 {
		bad("session-max-age: %v must be positive", c.SessionMaxAge)
	}
	if c.SessionIdle > 0 && c.SessionMaxAge > 0 && c.SessionIdle > c.SessionMaxAge {
		bad("session-idle: %v is longer than session-max-age %v; it must not be", c.SessionIdle, c.SessionMaxAge)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout: %v must be positive", c.ShutdownTimeout)
	}

	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log-format: %q is not text or json", c.LogFormat)
	}

	return errors.Join(errs...)
}

// checkPublicURL checks PublicURL, including the insecure-http rule.
func (c Config) checkPublicURL() error {
	what := fmt.Sprintf("public-url %q", c.PublicURL)
	if c.PublicURL == "http://"+c.Listen || c.PublicURL == derivePublicURL(&c) {
		what = fmt.Sprintf("public-url %q (derived from listen; set --public-url to the URL users reach the server at)", c.PublicURL)
	}
	u, err := url.Parse(c.PublicURL)
	switch {
	case c.PublicURL == "":
		return errors.New("public-url: must not be empty")
	case err != nil:
		return fmt.Errorf("%s: not a valid URL", what)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s: want an absolute http:// or https:// URL", what)
	case u.Hostname() == "":
		return fmt.Errorf("%s: has no host", what)
	case u.User != nil:
		return fmt.Errorf("%s: must not contain a user name or password", what)
	case u.Path != "" && u.Path != "/":
		return fmt.Errorf("%s: must not have a path (%q); serving under a path prefix is not supported", what, u.Path)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("%s: must not have a query", what)
	case u.Fragment != "":
		return fmt.Errorf("%s: must not have a fragment", what)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) && !c.InsecureHTTP {
		return fmt.Errorf("%s: plain http on a host that is not loopback would send session cookies and passwords across the network in clear. "+
			"Serve over https (built in with --tls-cert and --tls-key or --acme-domains, or behind a TLS-terminating proxy with --public-url https://…), "+
			"or set --insecure-http (SAFELIGHT_INSECURE_HTTP=true) to accept this on a lab network", what)
	}
	return nil
}

// PublicURLIsLoopback reports whether the public URL only reaches this
// machine: a development instance.
func (c Config) PublicURLIsLoopback() bool {
	u, err := url.Parse(c.PublicURL)
	return err == nil && isLoopback(u.Hostname())
}

// isLoopback reports whether host (without port) only reaches this machine.
func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// describeScheme names the scheme of a secret URL for an error message
// without revealing anything after it.
func describeScheme(s string) string {
	if m := schemeRE.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("scheme %q", m[1]+"://")
	}
	return "a value without a recognised scheme"
}

// SQLitePath returns the database file path and true when DB is "sqlite:PATH".
func (c Config) SQLitePath() (string, bool) {
	p, ok := strings.CutPrefix(c.DB, "sqlite:")
	if !ok || p == "" {
		return "", false
	}
	return p, true
}

// BlobDir returns the blob directory and true when Blobs is "file:PATH".
func (c Config) BlobDir() (string, bool) {
	p, ok := strings.CutPrefix(c.Blobs, "file:")
	if !ok || p == "" {
		return "", false
	}
	return p, true
}

// SecureCookies reports whether PublicURL is https, in which case session
// cookies are Secure with the __Host- prefix and HSTS is sent.
func (c Config) SecureCookies() bool {
	u, err := url.Parse(c.PublicURL)
	return err == nil && u.Scheme == "https"
}

// SlogLevel returns LogLevel as a slog.Level; unknown levels (which Validate
// rejects) give slog.LevelInfo.
func (c Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// validPrivacyContact reports whether s is a bare e-mail address or an
// absolute http(s) URL: what the /privacy page can turn into a link.
func validPrivacyContact(s string) bool {
	if a, err := mail.ParseAddress(s); err == nil && a.Address == s {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
