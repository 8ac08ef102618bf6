package config

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// option describes one configuration option. The table below is the only
// place an option is written down: flags, environment variables, config-file
// keys, derived defaults and the help text are all generated from it.
type option struct {
	name  string // flag name and config-file key; the env name is derived from it
	arg   string // placeholder shown in help ("host:port"); empty for booleans
	usage string // what the option means, one sentence

	def     string // literal default, applied through the setter before any source
	defHelp string // how help describes the default when def does not say it (derived defaults)

	// secret marks a value that may hold a credential: it can also be read
	// from the file named by SAFELIGHT_<NAME>_FILE, and it is never echoed in
	// error messages.
	secret bool
	// noFile marks an option that cannot be set inside the config file.
	noFile bool

	// field returns a pointer to the option's field in c: *string, *bool or
	// *time.Duration. The pointer's type decides how values are parsed.
	field func(c *Config) any
	// derive, when set, computes the default from the final configuration
	// (after flags, environment and file) if the field is still empty.
	derive func(c *Config) string
}

// options is the option table. It is never modified after initialization.
var options = []option{
	{
		name: "config", arg: "PATH",
		usage:   "optional TOML file of options; its keys are the flag names (listen = \"0.0.0.0:8080\"); relative paths inside it are relative to the working directory",
		defHelp: "none",
		noFile:  true,
		field:   func(c *Config) any { return &c.ConfigFile },
	},
	{
		name: "listen", arg: "host:port",
		usage: "address to serve HTTP on",
		def:   "localhost:8080",
		field: func(c *Config) any { return &c.Listen },
	},
	{
		name: "data", arg: "DIR",
		usage: "data directory (SQLite database, blobs and keys in embedded mode)",
		def:   "./data",
		field: func(c *Config) any { return &c.Data },
	},
	{
		name: "db", arg: "URL",
		usage:   "metadata store: sqlite:PATH or postgres://user:pass@host/db (postgresql:// also accepted)",
		defHelp: "sqlite:DATA/safelight.db",
		secret:  true,
		field:   func(c *Config) any { return &c.DB },
		derive:  func(c *Config) string { return "sqlite:" + filepath.Join(c.Data, "safelight.db") },
	},
	{
		name: "blobs", arg: "URL",
		usage:   "blob store: file:PATH or s3://bucket[/prefix]?endpoint=https://host&region=… (credentials: --s3-access-key-id, --s3-secret-access-key)",
		defHelp: "file:DATA/blobs",
		field:   func(c *Config) any { return &c.Blobs },
		derive:  func(c *Config) string { return "file:" + filepath.Join(c.Data, "blobs") },
	},
	{
		name: "s3-access-key-id", arg: "ID",
		usage:   "access key id for an s3:// blob store",
		defHelp: "AWS_ACCESS_KEY_ID",
		secret:  true,
		field:   func(c *Config) any { return &c.S3AccessKeyID },
	},
	{
		name: "s3-secret-access-key", arg: "KEY",
		usage:   "secret access key for an s3:// blob store",
		defHelp: "AWS_SECRET_ACCESS_KEY",
		secret:  true,
		field:   func(c *Config) any { return &c.S3SecretAccessKey },
	},
	{
		name: "root-key-file", arg: "PATH",
		usage:   "the instance root key; created with mode 0600 on first start if absent",
		defHelp: "DATA/keys/root.key",
		field:   func(c *Config) any { return &c.RootKeyFile },
		derive:  func(c *Config) string { return filepath.Join(c.Data, "keys", "root.key") },
	},
	{
		name: "signup", arg: "MODE",
		usage:   "who may create an account: open, invite or closed",
		defHelp: "open until the first account exists, then invite",
		field:   func(c *Config) any { return &c.Signup },
	},
	{
		name: "mfa-policy", arg: "POLICY",
		usage:   "who must use two-step sign-in (an authenticator app code): optional, or required for every account; admins and staff always must",
		defHelp: "optional",
		field:   func(c *Config) any { return &c.MFAPolicy },
	},
	{
		name: "staff-mfa", arg: "POLICY",
		usage:   "whether admins and staff (support, dpo, security) must use two-step sign-in: required, or optional only to evaluate an instance locally (warned about at start and in the staff console)",
		defHelp: "required",
		field:   func(c *Config) any { return &c.StaffMFA },
	},
	{
		name: "breached-passwords", arg: "PATH",
		usage:   "Have I Been Pwned's Pwned Passwords list, SHA-1 version ordered by hash (HASH:COUNT lines, about 40 GB, from its downloader); new passwords found in it are refused; searched on disk, never loaded, nothing leaves the machine",
		defHelp: "none: only the bundled list of common passwords",
		field:   func(c *Config) any { return &c.BreachedPasswords },
	},
	{
		name: "public-url", arg: "URL",
		usage:   "URL users reach the server at, without a path; https enables Secure __Host- cookies and HSTS",
		defHelp: "http://LISTEN, or with TLS on https:// and the first of --acme-domains or LISTEN",
		field:   func(c *Config) any { return &c.PublicURL },
		derive:  derivePublicURL,
	},
	{
		name:  "insecure-http",
		usage: "allow a plain-http public URL on a host that is not loopback; session cookies then travel in clear (for labs only)",
		def:   "false",
		field: func(c *Config) any { return &c.InsecureHTTP },
	},
	{
		name: "trusted-proxies", arg: "CIDRS",
		usage:   "comma-separated addresses or networks of your load balancers and reverse proxies; only their X-Forwarded-For is believed (e.g. 10.0.0.0/8,192.0.2.7)",
		defHelp: "none: the direct peer's address is the client's",
		field:   func(c *Config) any { return &c.TrustedProxies },
	},
	{
		name: "rate-limits", arg: "RULES",
		usage:   "abuse limits to change, as NAME=MAX/WINDOW,… with NAME signup, login, password-reset (per address), bad-credentials (wrong bearer tokens per address), upload (per account); MAX 0 turns one off",
		defHelp: "signup=10/1h,login=100/15m,password-reset=10/1h,bad-credentials=30/15m,upload=1000/5m",
		field:   func(c *Config) any { return &c.RateLimits },
	},
	{
		name: "tls-cert", arg: "PATH",
		usage:   "serve TLS with this PEM certificate file (leaf first, then its chain); needs --tls-key; re-read when it changes",
		defHelp: "none: plain HTTP, or TLS at a proxy in front",
		field:   func(c *Config) any { return &c.TLSCert },
	},
	{
		name: "tls-key", arg: "PATH",
		usage:   "PEM file of the private key of --tls-cert; re-read when it changes",
		defHelp: "none",
		field:   func(c *Config) any { return &c.TLSKey },
	},
	{
		name: "acme-domains", arg: "NAMES",
		usage:   "comma-separated DNS names to get certificates for from Let's Encrypt (or --acme-directory), accepting its terms; cached in DATA/acme; the CA must reach this server on port 443, or on port 80 through --http-redirect-listen",
		defHelp: "none",
		field:   func(c *Config) any { return &c.ACMEDomains },
	},
	{
		name: "acme-email", arg: "ADDRESS",
		usage:   "contact address given to the ACME CA (expiry and problem notices)",
		defHelp: "none",
		field:   func(c *Config) any { return &c.ACMEEmail },
	},
	{
		name: "acme-directory", arg: "URL",
		usage:   "ACME directory URL, e.g. Let's Encrypt staging https://acme-staging-v02.api.letsencrypt.org/directory for trials",
		defHelp: "Let's Encrypt production, https://acme-v02.api.letsencrypt.org/directory",
		field:   func(c *Config) any { return &c.ACMEDirectory },
	},
	{
		name: "http-redirect-listen", arg: "host:port",
		usage:   "when TLS is on, also serve plain HTTP here (usually :80): ACME http-01 challenges, and a 308 redirect of everything else to the https public URL",
		defHelp: "off",
		field:   func(c *Config) any { return &c.HTTPRedirectListen },
	},
	{
		name: "session-idle", arg: "DURATION",
		usage: "a session unused for this long ends",
		def:   "72h",
		field: func(c *Config) any { return &c.SessionIdle },
	},
	{
		name: "session-max-age", arg: "DURATION",
		usage: "absolute lifetime of a session, however active",
		def:   "720h",
		field: func(c *Config) any { return &c.SessionMaxAge },
	},
	{
		name: "shutdown-timeout", arg: "DURATION",
		usage: "how long to wait for requests and jobs in flight on shutdown",
		def:   "20s",
		field: func(c *Config) any { return &c.ShutdownTimeout },
	},
	{
		name: "max-upload-size", arg: "SIZE",
		usage: "largest original accepted, e.g. 200MiB or 500MB (KiB/MiB/GiB are binary, KB/MB/GB decimal)",
		def:   "200MiB",
		field: func(c *Config) any { return &c.MaxUploadSize },
	},
	{
		name: "max-megapixels", arg: "N",
		usage: "largest image accepted, in megapixels (width × height); bigger ones are refused before decoding",
		def:   "250",
		field: func(c *Config) any { return &c.MaxMegapixels },
	},
	{
		name: "ingest-memory", arg: "SIZE",
		usage: "memory that uploads and preview generation may hold at once; work beyond it waits",
		def:   "1GiB",
		field: func(c *Config) any { return &c.IngestMemory },
	},
	{
		name: "trash-retention", arg: "DURATION",
		usage: "how long deleted images stay restorable in the trash before they are purged",
		def:   "720h",
		field: func(c *Config) any { return &c.TrashRetention },
	},
	{
		name: "review-link-max-age", arg: "DURATION",
		usage: "the longest an owner may keep a review link open (links last 30 days unless the owner chooses)",
		def:   "8760h",
		field: func(c *Config) any { return &c.ReviewLinkMaxAge },
	},
	{
		name: "erasure-grace", arg: "DURATION",
		usage: "how long an account erasure the holder asked for waits, and can be cancelled, before it runs; 0 runs it at once",
		def:   "168h",
		field: func(c *Config) any { return &c.ErasureGrace },
	},
	{
		name: "audit-retention", arg: "DURATION",
		usage: "how long security audit events (with IP addresses and user agents) are kept before they are pruned, up to a signed checkpoint; 0 keeps them forever",
		def:   "8760h",
		field: func(c *Config) any { return &c.AuditRetention },
	},
	{
		name: "job-workers", arg: "N",
		usage: "background jobs (mostly preview generation) this process runs at once; about one per core",
		def:   "2",
		field: func(c *Config) any { return &c.JobWorkers },
	},
	{
		name: "smtp-host", arg: "HOST",
		usage:   "mail server for password-reset and verification e-mail (host name or IP, without the port); unset, e-mail is off, except that a development instance (public URL on loopback) keeps messages in an outbox the admin reads at /admin/outbox",
		defHelp: "none: e-mail off (the development outbox on a loopback public URL)",
		field:   func(c *Config) any { return &c.SMTPHost },
	},
	{
		name: "smtp-port", arg: "PORT",
		usage: "mail server port: usually 587 with starttls, 465 with tls",
		def:   "587",
		field: func(c *Config) any { return &c.SMTPPort },
	},
	{
		name: "smtp-security", arg: "MODE",
		usage: "how the mail server connection is protected: starttls (upgrade, refusing servers that cannot), tls (TLS from the first byte) or none (plain; only to a loopback address)",
		def:   "starttls",
		field: func(c *Config) any { return &c.SMTPSecurity },
	},
	{
		name: "smtp-username", arg: "NAME",
		usage:   "user name for the mail server (AUTH PLAIN, sent only over TLS)",
		defHelp: "none: no authentication",
		field:   func(c *Config) any { return &c.SMTPUsername },
	},
	{
		name: "smtp-password", arg: "PASSWORD",
		usage:   "password for the mail server",
		defHelp: "none",
		secret:  true,
		field:   func(c *Config) any { return &c.SMTPPassword },
	},
	{
		name: "mail-from", arg: "ADDRESS",
		usage:   "sender of Safelight's e-mail, such as \"Safelight <photos@example.com>\"; required with --smtp-host",
		defHelp: "none",
		field:   func(c *Config) any { return &c.MailFrom },
	},
	{
		name: "privacy-contact", arg: "ADDRESS|URL",
		usage:   "the data controller's contact shown on the /privacy page: an e-mail address (privacy@example.com) or an http(s) URL",
		defHelp: "none: the page says to ask the operator of this instance",
		field:   func(c *Config) any { return &c.PrivacyContact },
	},
	{
		name: "metrics-listen", arg: "host:port",
		usage:   "serve Prometheus metrics at /metrics on this separate address (keep it private)",
		defHelp: "off",
		field:   func(c *Config) any { return &c.MetricsListen },
	},
	{
		name: "log-level", arg: "LEVEL",
		usage: "least severe log level written: debug, info, warn or error",
		def:   "info",
		field: func(c *Config) any { return &c.LogLevel },
	},
	{
		name: "log-format", arg: "FORMAT",
		usage: "log format: text or json",
		def:   "text",
		field: func(c *Config) any { return &c.LogFormat },
	},
}

// lookupOption returns the option named name, or nil.
func lookupOption(name string) *option {
	for i := range options {
		if options[i].name == name {
			return &options[i]
		}
	}
	return nil
}

// env returns the environment variable that sets o.
func (o *option) env() string {
	return "SAFELIGHT_" + strings.ToUpper(strings.ReplaceAll(o.name, "-", "_"))
}

// fileEnv returns the environment variable naming a file that holds o's
// value. Only meaningful for secret options.
func (o *option) fileEnv() string { return o.env() + "_FILE" }

func (o *option) isBool() bool {
	_, ok := o.field(&Config{}).(*bool)
	return ok
}

// Errors returned by option.set. They never contain the value, so callers
// decide whether the value may be shown.
var (
	errWantBool     = errors.New("want true or false")
	errWantDuration = errors.New(`want a duration such as "48h", "90m" or "20s"`)
	errWantInteger  = errors.New("want a whole number")
	errWantSize     = errors.New(`want a size such as "200MiB", "500MB" or "1GiB"`)
)

// set parses s according to the field's type and stores it in c. It is the
// single entry point for flags, environment and file values.
func (o *option) set(c *Config, s string) error {
	switch p := o.field(c).(type) {
	case *string:
		*p = s
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errWantBool
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return errWantDuration
		}
		*p = d
	case *ByteSize:
		n, err := ParseByteSize(s)
		if err != nil {
			return err
		}
		*p = n
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return errWantInteger
		}
		*p = n
	default:
		panic(fmt.Sprintf("config: option %s has unsupported field type %T", o.name, p))
	}
	return nil
}

// want describes, for error messages, what a config-file value must be.
func (o *option) want() string {
	switch o.field(&Config{}).(type) {
	case *bool:
		return "a boolean (true or false)"
	case *time.Duration:
		return `a duration string such as "48h"`
	case *ByteSize:
		return `a size string such as "200MiB"`
	case *int:
		return "an integer"
	default:
		return "a string"
	}
}

// show returns s quoted for an error message, or a placeholder when o is
// secret.
func (o *option) show(s string) string {
	if o.secret {
		return "(value not shown: it may hold a password)"
	}
	return strconv.Quote(s)
}

// defaultText returns the default as help shows it.
func (o *option) defaultText() string {
	if o.defHelp != "" {
		return o.defHelp
	}
	return o.def
}

// writeUsage prints the help for cmd, one entry per option in the table.
func writeUsage(w io.Writer, cmd string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [options]\n\n", cmd)
	b.WriteString(`Every option is taken from, in order of precedence: its flag, its SAFELIGHT_*
environment variable, the TOML file named by --config (whose keys are the flag
names: listen = "0.0.0.0:8080", session-idle = "48h", insecure-http = true),
then its default. An empty value counts as unset. Secret options can instead be
read from the file named by their variable with _FILE appended (for example
SAFELIGHT_DB_FILE=/run/secrets/db); setting both is an error.
DATA and LISTEN in defaults stand for the final --data and --listen.

Options:
`)
	for i := range options {
		o := &options[i]
		fmt.Fprintf(&b, "  --%s", o.name)
		if o.arg != "" {
			fmt.Fprintf(&b, " %s", o.arg)
		}
		fmt.Fprintf(&b, "\n        %s\n        env %s", o.usage, o.env())
		if o.secret {
			fmt.Fprintf(&b, " or %s (secret)", o.fileEnv())
		}
		fmt.Fprintf(&b, "; default: %s\n", o.defaultText())
	}
	io.WriteString(w, b.String())
}

// ByteSize is a number of bytes, written with a unit in configuration.
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseByteSize reads "200MiB", "500MB", "1GiB" or a plain number of bytes.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, errWantSize
	}
	return ByteSize(n * mult), nil
}

// String writes the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for i := 3; i >= 0; i-- { // TiB, GiB, MiB, KiB
		u := sizeUnits[i]
		if b != 0 && int64(b)%u.mult == 0 {
			return strconv.FormatInt(int64(b)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
