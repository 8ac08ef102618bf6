// Package config loads the typed configuration of `safelight serve` and
// `safelight migrate` from flags, SAFELIGHT_* environment variables and an
// optional TOML file, in that order of precedence over the defaults, and
// validates it before anything starts.
//
// Every option is declared once, in the option table; flags, environment
// names, file keys, derived defaults and help all come from it. The package
// holds no mutable state: Load may be called concurrently.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the configuration of the server. Load returns it filled in,
// derived defaults applied and validated; a Config built by hand should be
// checked with Validate.
type Config struct {
	// Listen is the host:port to serve HTTP on (--listen).
	Listen string
	// Data is the data directory for embedded mode (--data).
	Data string
	// DB is the metadata store: "sqlite:PATH" or "postgres://…"
	// ("postgresql://…" too). It may hold a password: never log it.
	DB string
	// Blobs is the blob store: "file:PATH" or "s3://bucket?endpoint=…&region=…".
	Blobs string
	// S3AccessKeyID and S3SecretAccessKey authenticate to an s3:// blob
	// store; when unset, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are used.
	S3AccessKeyID     string
	S3SecretAccessKey string
	// RootKeyFile is the path of the instance root key.
	RootKeyFile string
	// Signup is "open", "invite", "closed", or "" meaning open until the
	// first account exists, then invite.
	Signup string
	// MFAPolicy is "optional" (or "", the same) or "required" (every
	// account must use a second factor); accounts with an instance role
	// always must.
	MFAPolicy string
	// StaffMFA is "required" (or "", the same) or "optional": whether
	// accounts holding an instance role (admin, support, dpo, security)
	// must use a second factor. "optional" is for evaluating an instance
	// on one's own machine; the server warns loudly at start and the staff
	// console shows a banner while it is set.
	StaffMFA string
	// BreachedPasswords is the path of an offline Pwned Passwords list
	// (SHA-1, ordered by hash) that new passwords are checked against, or
	// "" for none; app opens it at start (see auth.OpenBreachedPasswords).
	BreachedPasswords string
	// PublicURL is the URL users reach the server at: scheme and host,
	// never a trailing slash after Load.
	PublicURL string
	// InsecureHTTP allows a plain-http PublicURL on a non-loopback host.
	InsecureHTTP bool
	// TrustedProxies lists, comma-separated, the proxies whose
	// X-Forwarded-For is believed; see TrustedProxyPrefixes.
	TrustedProxies string
	// TLSCert and TLSKey are the PEM files of the certificate (with its
	// chain) and of its private key: both or neither. Set, Listen speaks only
	// TLS; the files are checked at start and re-read when they change.
	TLSCert string
	TLSKey  string
	// ACMEDomains lists, comma-separated, the DNS names to obtain
	// certificates for from an ACME CA (cache in DATA/acme); exclusive with
	// TLSCert. See ACMEDomainList.
	ACMEDomains string
	// ACMEEmail is the contact address given to the ACME CA, or "".
	ACMEEmail string
	// ACMEDirectory is the ACME directory URL; "" means Let's Encrypt's
	// production directory.
	ACMEDirectory string
	// HTTPRedirectListen is the host:port of the plain-HTTP listener that
	// answers ACME http-01 challenges and redirects everything else to the
	// https public URL (308), or "" for none.
	HTTPRedirectListen string
	// RateLimits overrides abuse limits: "NAME=MAX/WINDOW,…" (see
	// ratelimit.Parse); empty keeps the defaults.
	RateLimits string
	// SessionIdle ends a session unused for this long.
	SessionIdle time.Duration
	// SessionMaxAge is the absolute lifetime of a session.
	SessionMaxAge time.Duration
	// MaxUploadSize is the largest original accepted.
	MaxUploadSize ByteSize
	// MaxMegapixels is the largest image accepted (width × height / 1e6).
	MaxMegapixels int
	// IngestMemory bounds the originals held in memory at once.
	IngestMemory ByteSize
	// TrashRetention is how long trashed assets stay restorable.
	TrashRetention time.Duration
	// ReviewLinkMaxAge is the longest life an owner may give a review
	// link.
	ReviewLinkMaxAge time.Duration
	// ErasureGrace is how long a requested account erasure waits, and
	// can be cancelled, before it runs; 0 runs it at once.
	ErasureGrace time.Duration
	// AuditRetention is how long security audit events (with their IP
	// addresses and user agents) are kept before the retention task
	// prunes them; 0 keeps them forever.
	AuditRetention time.Duration
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
	// JobWorkers is how many background jobs run at once in this process.
	JobWorkers int
	// MetricsListen is the host:port of the Prometheus listener, or "" for none.
	MetricsListen string
	// SMTPHost is the mail server (host name or IP, no port), or "" to keep
	// every message in the development outbox instead; see mail.go.
	SMTPHost string
	// SMTPPort is the mail server's port (587 for starttls, 465 for tls).
	SMTPPort int
	// SMTPSecurity is "starttls", "tls" or "none" (loopback only).
	SMTPSecurity string
	// SMTPUsername and SMTPPassword authenticate with AUTH PLAIN over TLS,
	// when SMTPUsername is set. SMTPPassword is secret.
	SMTPUsername string
	SMTPPassword string
	// MailFrom is the sender of Safelight's e-mail; required with SMTPHost.
	MailFrom string
	// PrivacyContact is the data controller's contact shown on /privacy:
	// a bare e-mail address or an http(s) URL, or "" (the page then says
	// to ask the operator of the instance).
	PrivacyContact string
	// LogLevel is debug, info, warn or error; see SlogLevel.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// ConfigFile is the TOML file that was read, or "" if none.
	ConfigFile string
}

// maxSecretFile bounds what a *_FILE variable may name, so a mistake such as
// SAFELIGHT_DB_FILE=/dev/zero fails instead of reading forever.
const maxSecretFile = 64 << 10

// Load builds the configuration for cmd (such as "safelight serve") from args
// (without the command words), the environment seen through getenv (nil means
// an empty environment) and the optional config file, then applies derived
// defaults and calls Validate.
//
// Precedence is flags > SAFELIGHT_* environment > config file > defaults. An
// empty environment value counts as unset.
//
// For -h or --help, Load writes the usage to stderr and returns flag.ErrHelp
// itself. Nothing else is written to stderr: other problems are returned as
// errors, which never contain the value of a secret option.
func Load(cmd string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if stderr == nil {
		stderr = io.Discard
	}

	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help is written by us
	fs.Usage = func() {}
	fromFlags := make(map[string]string)
	for i := range options {
		o := &options[i]
		fs.Var(flagValue{o, fromFlags}, o.name, o.usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(stderr, cmd)
			return Config{}, flag.ErrHelp
		}
		return Config{}, fmt.Errorf("%s: %w (run %q for the options)", cmd, err, cmd+" -h")
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("%s: unexpected argument %q: options are flags (run %q for the options)", cmd, fs.Arg(0), cmd+" -h")
	}

	var c Config
	for i := range options {
		if err := options[i].set(&c, options[i].def); err != nil {
			panic(fmt.Sprintf("config: bad default for %s: %v", options[i].name, err))
		}
	}

	fromEnv, err := readEnv(getenv)
	if err != nil {
		return Config{}, err
	}

	path, ok := fromFlags["config"]
	if !ok {
		path = fromEnv["config"]
	}
	if path != "" {
		if err := applyFile(&c, path); err != nil {
			return Config{}, err
		}
	}
	for i := range options {
		o := &options[i]
		if v, ok := fromEnv[o.name]; ok {
			// Parsed already by readEnv; cannot fail here.
			_ = o.set(&c, v)
		}
	}
	for i := range options {
		o := &options[i]
		if v, ok := fromFlags[o.name]; ok {
			// Parsed already by flagValue.Set; cannot fail here.
			_ = o.set(&c, v)
		}
	}

	for i := range options {
		o := &options[i]
		if o.derive == nil {
			continue
		}
		if p := o.field(&c).(*string); *p == "" {
			*p = o.derive(&c)
		}
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	// The AWS SDK's variables are what S3 users already have set; they
	// count as the lowest-precedence source of the credentials.
	if c.S3AccessKeyID == "" {
		c.S3AccessKeyID = getenv("AWS_ACCESS_KEY_ID")
	}
	if c.S3SecretAccessKey == "" {
		c.S3SecretAccessKey = getenv("AWS_SECRET_ACCESS_KEY")
	}

	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: invalid configuration:\n%w", cmd, err)
	}
	return c, nil
}

// flagValue adapts an option to flag.Value. Set checks the value with the
// option's setter at once (so the flag package reports the bad flag) and
// records it in raw, to be applied after the lower-precedence sources.
type flagValue struct {
	opt *option
	raw map[string]string
}

func (v flagValue) String() string { return "" }

func (v flagValue) Set(s string) error {
	if err := v.opt.set(&Config{}, s); err != nil {
		return err
	}
	v.raw[v.opt.name] = s
	return nil
}

func (v flagValue) IsBoolFlag() bool { return v.opt != nil && v.opt.isBool() }

// readEnv returns the non-empty SAFELIGHT_* values by option name, with
// secret options also read from their _FILE variant. Every value is checked
// with the option's setter; all problems are reported together.
func readEnv(getenv func(string) string) (map[string]string, error) {
	vals := make(map[string]string)
	var errs []error
	for i := range options {
		o := &options[i]
		v := getenv(o.env())
		if o.secret {
			if path := getenv(o.fileEnv()); path != "" {
				if v != "" {
					errs = append(errs, fmt.Errorf("%s and %s are both set; set only one", o.env(), o.fileEnv()))
					continue
				}
				s, err := readSecretFile(path)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", o.fileEnv(), err))
					continue
				}
				if err := o.set(&Config{}, s); err != nil {
					errs = append(errs, fmt.Errorf("%s: content of %s: %w", o.fileEnv(), path, err))
					continue
				}
				vals[o.name] = s
				continue
			}
		}
		if v == "" {
			continue
		}
		if err := o.set(&Config{}, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%s: %w", o.env(), o.show(v), err))
			continue
		}
		vals[o.name] = v
	}
	return vals, errors.Join(errs...)
}

// readSecretFile returns the content of path without trailing newlines. Its
// errors describe the file, never its content.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFile)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// applyFile sets c from the TOML file at path. All problems in the file are
// reported together, each naming the file and the key.
func applyFile(c *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var m map[string]any
	if _, err := toml.Decode(string(b), &m); err != nil {
		return fmt.Errorf("config file %s: %w", path, hideSecretSyntaxError(b, err))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var errs []error
	for _, k := range keys {
		o := lookupOption(k)
		switch {
		case o == nil:
			msg := fmt.Sprintf("config file %s: unknown key %q", path, k)
			if s := suggest(k); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, errors.New(msg))
			continue
		case o.noFile:
			errs = append(errs, fmt.Errorf("config file %s: key %q cannot be set inside a config file; use --%s or %s", path, k, o.name, o.env()))
			continue
		}
		s, ok := tomlValue(o, m[k])
		if !ok {
			got := tomlKind(m[k])
			if !o.secret {
				got += fmt.Sprintf(" %v", m[k])
			}
			errs = append(errs, fmt.Errorf("config file %s: key %q: want %s, got %s", path, k, o.want(), got))
			continue
		}
		if err := o.set(c, s); err != nil {
			errs = append(errs, fmt.Errorf("config file %s: key %q: %w, got %s", path, k, err, o.show(s)))
		}
	}
	return errors.Join(errs...)
}

// hideSecretSyntaxError returns err, the TOML parser's error for the file
// content b, unless it is about the value of a secret option: the parser
// quotes what it found ("expected value but found \"wJalrXUtnFEMI\"
// instead"), which for an unquoted password is the password. Such an error
// is replaced by one naming only the line and the key.
func hideSecretSyntaxError(b []byte, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	key := pe.LastKey
	if o := lookupOption(key); o == nil || !o.secret {
		key = tomlLineKey(b, pe.Position.Line)
		if o := lookupOption(key); o == nil || !o.secret {
			return err
		}
	}
	return fmt.Errorf("toml: line %d (key %q): the value is not valid TOML (details not shown: it may hold a password); write it as a quoted string: %s = \"…\"",
		pe.Position.Line, key, key)
}

// tomlKeyRE matches the key at the start of a TOML key/value line: bare,
// "quoted" or 'literal'.
var tomlKeyRE = regexp.MustCompile(`^[ \t]*(?:"([^"\\]*)"|'([^']*)'|([A-Za-z0-9_-]+))[ \t]*=`)

// tomlLineKey returns the key that line n (from 1) of b assigns, or "".
func tomlLineKey(b []byte, n int) string {
	lines := strings.Split(string(b), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	m := tomlKeyRE.FindStringSubmatch(lines[n-1])
	if m == nil {
		return ""
	}
	return m[1] + m[2] + m[3]
}

// tomlValue converts a decoded TOML value to the string the option's setter
// takes, reporting false when the TOML type does not fit: booleans must be
// TOML booleans, everything else TOML strings.
func tomlValue(o *option, v any) (string, bool) {
	if o.isBool() {
		b, ok := v.(bool)
		if !ok {
			return "", false
		}
		if b {
			return "true", true
		}
		return "false", true
	}
	s, ok := v.(string)
	return s, ok
}

// tomlKind names the TOML type of a decoded value for error messages.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case time.Time:
		return "a date-time"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// suggest returns the option name closest to an unknown key, or "" when none
// is close. Keys written env-style (session_idle, SESSION_IDLE) match too.
func suggest(key string) string {
	norm := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	norm = strings.TrimPrefix(norm, "safelight-")
	best, bestDist := "", 0
	for i := range options {
		o := &options[i]
		if o.noFile {
			continue
		}
		d := editDistance(norm, o.name)
		if best == "" || d < bestDist {
			best, bestDist = o.name, d
		}
	}
	if bestDist <= max(2, len(best)/4) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// TrustedProxyPrefixes parses TrustedProxies: networks ("10.0.0.0/8") or
// single addresses ("192.0.2.7", taken as /32 or /128).
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR network", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
