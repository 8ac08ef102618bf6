package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"safelight/internal/config"
)

// certCheckInterval is how often, at most, the certificate files are
// checked for a change (on a handshake, so an idle server does nothing).
const certCheckInterval = time.Minute

// certExpiryWarning is how long before its end a certificate in use is
// logged as about to expire.
const certExpiryWarning = 14 * 24 * time.Hour

// tlsServing is what the server needs to terminate TLS itself: the main
// listener's configuration and the handler of the plain-HTTP redirect
// listener.
type tlsServing struct {
	// config has TLS 1.2 as its minimum and otherwise Go's defaults (cipher
	// suites, curves); its certificate comes from GetCertificate.
	config *tls.Config
	// redirect answers plain HTTP on --http-redirect-listen: ACME http-01
	// challenges when ACME is on, a 308 to the https public URL otherwise.
	redirect     http.Handler
	redirectAddr string // "" for no redirect listener
	log          *slog.Logger
}

// newTLSServing prepares TLS for cfg, which must have TLS enabled. The
// certificate files are read and checked here, so that an unreadable file,
// a key that is not the certificate's or an expired certificate stops the
// start with a clear message instead of failing every handshake later.
// With ACME it makes the cache directory DATA/acme (0700); certificates
// are obtained at the first handshake for each name.
func newTLSServing(cfg config.Config, log *slog.Logger) (*tlsServing, error) {
	log = log.With("component", "tls")
	ts := &tlsServing{
		redirect:     redirectToHTTPS(cfg.PublicURL),
		redirectAddr: cfg.HTTPRedirectListen,
		log:          log,
	}
	if domains := cfg.ACMEDomainList(); len(domains) > 0 {
		m, err := newACMEManager(cfg)
		if err != nil {
			return nil, err
		}
		ts.config = m.TLSConfig() // h2, http/1.1 and acme-tls/1 for tls-alpn-01
		ts.config.GetCertificate = logIssuanceFailures(m.GetCertificate, domains, m.Client.DirectoryURL, log)
		if ts.redirectAddr != "" {
			ts.redirect = challengeHostWithoutPort(m.HTTPHandler(ts.redirect)) // also offers http-01 challenges
		}
		log.Info("certificates from ACME", "domains", strings.Join(domains, ","),
			"directory", m.Client.DirectoryURL, "cache", filepath.Join(cfg.Data, "acme"))
		if _, port, _ := net.SplitHostPort(cfg.Listen); port != "443" && ts.redirectAddr == "" {
			log.Warn("the ACME CA proves control of a domain by connecting to it on port 443 (tls-alpn-01), " +
				"or on port 80 with --http-redirect-listen :80 (http-01); listen is on neither, so issuance works only if a port forward leads here")
		}
	} else {
		files, err := openCertFiles(cfg.TLSCert, cfg.TLSKey, publicHost(cfg.PublicURL), log, time.Now)
		if err != nil {
			return nil, err
		}
		ts.config = &tls.Config{GetCertificate: files.getCertificate}
	}
	ts.config.MinVersion = tls.VersionTLS12
	return ts, nil
}

// newACMEManager returns the autocert manager for cfg: only the listed
// domains (a handshake for any other name fails without contacting the
// CA), its account and certificates cached in DATA/acme.
func newACMEManager(cfg config.Config) (*autocert.Manager, error) {
	dir := filepath.Join(cfg.Data, "acme")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme: cache directory: %w", err)
	}
	// It holds the account key and the certificates' private keys: an
	// existing directory made wider is narrowed.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme: cache directory: %w", err)
	}
	directory := cfg.ACMEDirectory
	if directory == "" {
		directory = autocert.DefaultACMEDirectory
	}
	return &autocert.Manager{
		// Asking for --acme-domains is agreeing to the CA's terms; the
		// README says so.
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: autocert.HostWhitelist(cfg.ACMEDomainList()...),
		Email:      cfg.ACMEEmail,
		Client:     &acme.Client{DirectoryURL: directory},
	}, nil
}

// logIssuanceFailures wraps autocert's GetCertificate so that a certificate
// that cannot be obtained for a listed name (CA unreachable or not trusted,
// a wrong --acme-directory, a refused order or challenge) is logged as an
// error naming the name and the CA. Otherwise the cause would show only as
// net/http's "TLS handshake error" warning, lost among those of scanners
// and of names that are not listed. The CA's own validation handshakes
// (tls-alpn-01) are left to that warning: they fail when no challenge is
// pending, which is not an issuance failure here.
func logIssuanceFailures(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), domains []string, directory string, log *slog.Logger) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := get(hello)
		if err == nil || slices.Equal(hello.SupportedProtos, []string{acme.ALPNProto}) {
			return cert, err
		}
		if name := strings.ToLower(strings.TrimSuffix(hello.ServerName, ".")); slices.Contains(domains, name) {
			log.Error("cannot obtain a certificate from the ACME CA; handshakes for this name fail until it can",
				"domain", name, "directory", directory, "err", err)
		}
		return cert, err
	}
}

// challengeHostWithoutPort drops the port from the Host of an http-01
// challenge request before autocert checks it against --acme-domains. A
// public CA validates on port 80 and sends the bare name; a test CA such as
// Pebble validating on another port sends NAME:PORT, which the host policy
// would refuse. The token is looked up by its path either way.
func challengeHostWithoutPort(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			if host, _, err := net.SplitHostPort(r.Host); err == nil {
				r = r.Clone(r.Context())
				r.Host = host
			}
		}
		h.ServeHTTP(w, r)
	})
}

// redirectToHTTPS answers every request with a 308 to the same path and
// query on the public URL's host, whatever Host the request named.
func redirectToHTTPS(publicURL string) http.Handler {
	host := publicURL
	if u, err := url.Parse(publicURL); err == nil {
		host = u.Host
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// API clients are not redirected: a script that sent a token over
		// plain HTTP must fail loudly, not be silently carried to https
		// (where the leak would go unnoticed). Only browsers' pages move.
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"error":"this API answers only over https: use https://%s%s"}`+"\n", host, "/api/")
			return
		}
		target := r.URL.RequestURI()
		if !strings.HasPrefix(target, "/") { // "OPTIONS *"
			target = "/"
		}
		http.Redirect(w, r, "https://"+host+target, http.StatusPermanentRedirect)
	})
}

// publicHost is the host name of a public URL, for checking that the
// certificate covers it.
func publicHost(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// serveMaybeTLS serves srv on ln, over TLS when srv.TLSConfig is set.
// ServeTLS rather than Serve on a tls.Listener: it also turns HTTP/2 on.
func serveMaybeTLS(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

// startRedirect starts the plain-HTTP redirect listener, if one is
// configured, sending the end of its Serve to errc. It returns the server
// for the caller to close, or nil when there is none (also on a nil ts).
func (ts *tlsServing) startRedirect(errc chan<- error) (*http.Server, error) {
	if ts == nil || ts.redirectAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", ts.redirectAddr)
	if err != nil {
		return nil, fmt.Errorf("http redirect listener: %w", err)
	}
	srv := &http.Server{
		Handler:           ts.redirect,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(ts.log.Handler(), slog.LevelDebug),
	}
	go func() { errc <- srv.Serve(ln) }()
	ts.log.Info("serving http redirect", "addr", ln.Addr().String())
	return srv, nil
}

// certFiles serves the certificate of a pair of PEM files and re-reads
// them when the modification time or size of either changes, checked at
// most once per certCheckInterval during a handshake: a certificate renewed
// in place (certbot's live/ symbolic links, an operator's copy) is in use
// within a minute, with no restart or signal. A changed pair that cannot be
// used (half written, not matching, expired) is logged and the previous
// certificate kept; it is tried again at the next check.
//
// Its methods are safe for concurrent use.
type certFiles struct {
	certPath, keyPath string
	host              string // the public URL's host, for warnings
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamps  [2]fileStamp // of certPath and keyPath, taken before cert was read
	checked time.Time    // last check for a change
}

// fileStamp is what tells that a file changed.
type fileStamp struct {
	modNano int64
	size    int64
}

func stampFile(path string) (fileStamp, error) {
	fi, err := os.Stat(path) // follows symbolic links, as certbot's live/ files are
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime().UnixNano(), fi.Size()}, nil
}

// openCertFiles reads and checks the pair once; its error says what is
// wrong with which file, never any key material.
func openCertFiles(certPath, keyPath, host string, log *slog.Logger, now func() time.Time) (*certFiles, error) {
	f := &certFiles{certPath: certPath, keyPath: keyPath, host: host, log: log, now: now}
	stamps, err := f.stamp()
	if err != nil {
		return nil, err
	}
	t := now()
	cert, err := loadCertPair(certPath, keyPath, t)
	if err != nil {
		return nil, err
	}
	f.cert, f.stamps, f.checked = cert, stamps, t
	f.logCert("certificate loaded", t)
	if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the private key file can be read by other users; make it mode 0600", "file", keyPath, "mode", fi.Mode().Perm().String())
	}
	return f, nil
}

func (f *certFiles) stamp() ([2]fileStamp, error) {
	cs, err := stampFile(f.certPath)
	if err != nil {
		return [2]fileStamp{}, fmt.Errorf("tls-cert: %w", err)
	}
	ks, err := stampFile(f.keyPath)
	if err != nil {
		return [2]fileStamp{}, fmt.Errorf("tls-key: %w", err)
	}
	return [2]fileStamp{cs, ks}, nil
}

// getCertificate is the tls.Config.GetCertificate of the main listener.
// It never fails: a bad change keeps the certificate in use.
func (f *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := f.now(); now.Sub(f.checked) >= certCheckInterval || now.Before(f.checked) {
		f.checked = now
		f.reloadIfChanged(now)
	}
	return f.cert, nil
}

// reloadIfChanged swaps in the files' pair if they changed and it can be
// used. f.mu must be held.
func (f *certFiles) reloadIfChanged(now time.Time) {
	stamps, err := f.stamp()
	if err != nil {
		f.log.Error("cannot check the certificate files; still serving the certificate loaded before", "err", err)
		return
	}
	if stamps == f.stamps {
		return
	}
	cert, err := loadCertPair(f.certPath, f.keyPath, now)
	if err != nil {
		f.log.Error("the certificate files changed but cannot be used; still serving the certificate loaded before, will try again", "err", err)
		return
	}
	f.cert, f.stamps = cert, stamps
	f.logCert("certificate files changed; new certificate in use", now)
}

// logCert logs the certificate in use, and warns when it is about to
// expire or does not name the public URL's host.
func (f *certFiles) logCert(msg string, now time.Time) {
	leaf := f.cert.Leaf
	f.log.Info(msg, "file", f.certPath, "names", strings.Join(certNames(leaf), ","),
		"not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	if left := leaf.NotAfter.Sub(now); left < certExpiryWarning {
		f.log.Warn("the certificate expires soon; renew it (the files are re-read when they change)",
			"file", f.certPath, "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if f.host != "" && leaf.VerifyHostname(f.host) != nil {
		f.log.Warn("the certificate does not name the public URL's host; browsers will refuse it there",
			"host", f.host, "names", strings.Join(certNames(leaf), ","))
	}
}

func certNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

// loadCertPair reads and checks a certificate and its key: both readable
// PEM, the key the certificate's, the certificate valid at now. Errors name
// the files and say what is wrong in words; they never hold key material.
func loadCertPair(certPath, keyPath string, now time.Time) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("tls-cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("tls-key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	clear(keyPEM)
	if err != nil {
		what := "cannot be read as a PEM certificate and its PEM private key"
		if strings.Contains(err.Error(), "does not match") {
			what = "do not belong together: the key in tls-key is not the private key of the certificate in tls-cert"
		}
		return nil, fmt.Errorf("tls-cert %s and tls-key %s %s (%w)", certPath, keyPath, what, err)
	}
	leaf := cert.Leaf
	if leaf == nil { // only when GODEBUG x509keypairleaf=0
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls-cert %s: %w", certPath, err)
		}
		cert.Leaf = leaf
	}
	const day = "2006-01-02 15:04:05 MST"
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("tls-cert %s: the certificate expired on %s; renew it (browsers refuse an expired certificate)",
			certPath, leaf.NotAfter.UTC().Format(day))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("tls-cert %s: the certificate is not valid before %s; check this machine's clock",
			certPath, leaf.NotBefore.UTC().Format(day))
	}
	return &cert, nil
}
