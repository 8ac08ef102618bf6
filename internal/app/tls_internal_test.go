package app

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safelight/internal/config"
)

// lockedBuffer is a bytes.Buffer safe for a logger and a test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCertFilesReload replaces the certificate files under a server's
// GetCertificate, as a renewal does, and moves a fake clock: the new pair
// is served after the next check (at most a minute later), and a change
// that cannot be used keeps the previous certificate.
func TestCertFilesReload(t *testing.T) {
	ca := NewTestCA(t)
	dir := t.TempDir()
	certPath, keyPath := ca.IssueFiles(t, dir, "live", "a.example.test")

	var offset atomic.Int64
	start := time.Now()
	clock := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	advance := func(d time.Duration) { offset.Add(int64(d)) }
	var logs lockedBuffer
	f, err := openCertFiles(certPath, keyPath, "a.example.test", slog.New(slog.NewTextHandler(&logs, nil)), clock)
	if err != nil {
		t.Fatal(err)
	}
	serving := func() string {
		t.Helper()
		c, err := f.getCertificate(&tls.ClientHelloInfo{ServerName: "x.example.test"})
		if err != nil || c == nil {
			t.Fatalf("getCertificate() = %v, %v; want a certificate", c, err)
		}
		return c.Leaf.Subject.CommonName
	}
	// replace writes new files next to the old and renames them over, as
	// certbot and careful operators do; a nil PEM leaves that file alone.
	// The modification time moves a second per step, so that a coarse file
	// system clock cannot hide a change.
	step := 0
	replace := func(certPEM, keyPEM []byte) {
		t.Helper()
		step++
		mtime := time.Now().Add(time.Duration(step) * time.Second)
		for _, w := range []struct {
			path string
			b    []byte
		}{{certPath, certPEM}, {keyPath, keyPEM}} {
			if w.b == nil {
				continue
			}
			if err := os.WriteFile(w.path+".new", w.b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(w.path+".new", w.path); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(w.path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	day := 24 * time.Hour
	issue := func(name string) ([]byte, []byte) {
		return ca.Issue(t, []string{name}, start.Add(-day), start.Add(day))
	}

	if got := serving(); got != "a.example.test" {
		t.Fatalf("serving %q at start; want a.example.test", got)
	}

	bCert, bKey := issue("b.example.test")
	replace(bCert, bKey)
	advance(59 * time.Second)
	if got := serving(); got != "a.example.test" {
		t.Errorf("serving %q 59 s after start; want a.example.test still (checks at most once a minute)", got)
	}
	advance(2 * time.Second)
	if got := serving(); got != "b.example.test" {
		t.Errorf("serving %q after the files changed and a minute passed; want b.example.test", got)
	}
	if !strings.Contains(logs.String(), "new certificate in use") {
		t.Errorf("log = %q; want the change reported", logs.String())
	}

	// A real handshake sees the new certificate.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tln := tls.NewListener(ln, &tls.Config{GetCertificate: f.getCertificate, MinVersion: tls.VersionTLS12})
	go func() {
		for {
			c, err := tln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool, ServerName: "b.example.test"})
	if err != nil {
		t.Fatalf("handshake after reload: %v", err)
	}
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "b.example.test" {
		t.Errorf("peer certificate after reload = %q; want b.example.test", cn)
	}
	conn.Close()

	// The certificate renewed first, its key not yet: the pair does not
	// match, so b stays in use; once the key follows, c is served.
	cCert, cKey := issue("c.example.test")
	replace(cCert, nil)
	advance(time.Minute)
	if got := serving(); got != "b.example.test" {
		t.Errorf("serving %q with a certificate whose key is not there yet; want b.example.test kept", got)
	}
	if !strings.Contains(logs.String(), "do not belong together") {
		t.Errorf("log = %q; want the mismatch explained", logs.String())
	}
	replace(nil, cKey)
	advance(time.Minute)
	if got := serving(); got != "c.example.test" {
		t.Errorf("serving %q once the key followed; want c.example.test", got)
	}

	// An expired pair copied in by mistake, then files gone: c stays.
	eCert, eKey := ca.Issue(t, []string{"e.example.test"}, start.Add(-3*day), start.Add(-day))
	replace(eCert, eKey)
	advance(time.Minute)
	if got := serving(); got != "c.example.test" {
		t.Errorf("serving %q after an expired pair was copied in; want c.example.test kept", got)
	}
	if !strings.Contains(logs.String(), "expired on") {
		t.Errorf("log = %q; want the expiry explained", logs.String())
	}
	os.Remove(certPath)
	advance(time.Minute)
	if got := serving(); got != "c.example.test" {
		t.Errorf("serving %q after the certificate file was removed; want c.example.test kept", got)
	}
	if !strings.Contains(logs.String(), "cannot check the certificate files") {
		t.Errorf("log = %q; want the missing file reported", logs.String())
	}

	for _, secret := range [][]byte{bKey, cKey, eKey} {
		if strings.Contains(logs.String(), "PRIVATE KEY") || strings.Contains(logs.String(), string(secret[40:80])) {
			t.Fatalf("log holds key material:\n%s", logs.String())
		}
	}
}

// TestTLSConfigGoDefaults: TLS 1.2 and up, Go's own choice of cipher
// suites and curves (none hand-picked), HTTP/2 and the ACME ALPN protocol
// offered when ACME is on.
func TestTLSConfigGoDefaults(t *testing.T) {
	ca := NewTestCA(t)
	certPath, keyPath := ca.IssueFiles(t, t.TempDir(), "server", "localhost")
	data := t.TempDir()
	for _, args := range [][]string{
		{"--tls-cert", certPath, "--tls-key", keyPath},
		{"--acme-domains", "photos.example.test", "--acme-directory", "http://127.0.0.1:1/directory"},
	} {
		cfg, err := config.Load("safelight serve", append([]string{"--data", data}, args...), nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := newTLSServing(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("newTLSServing(%q) error = %v", args, err)
		}
		c := ts.config
		if c.MinVersion != tls.VersionTLS12 || c.MaxVersion != 0 || c.CipherSuites != nil || c.CurvePreferences != nil || c.GetCertificate == nil {
			t.Errorf("newTLSServing(%q).config = {MinVersion: %x, MaxVersion: %x, CipherSuites: %v, CurvePreferences: %v}; want TLS 1.2 minimum and Go's defaults",
				args, c.MinVersion, c.MaxVersion, c.CipherSuites, c.CurvePreferences)
		}
		if args[0] == "--acme-domains" && (!slices.Contains(c.NextProtos, "acme-tls/1") || !slices.Contains(c.NextProtos, "h2")) {
			t.Errorf("ACME NextProtos = %q; want h2 and acme-tls/1", c.NextProtos)
		}
	}
}

func TestRedirectToHTTPS(t *testing.T) {
	h := redirectToHTTPS("https://photos.example.test:8443")
	tests := []struct {
		method, target, host string
		want                 string
	}{
		{"GET", "/", "photos.example.test", "https://photos.example.test:8443/"},
		{"GET", "/assets/1?sort=new&q=two%20words", "photos.example.test", "https://photos.example.test:8443/assets/1?sort=new&q=two%20words"},
		{"POST", "/login", "photos.example.test", "https://photos.example.test:8443/login"},
		{"GET", "/apiary", "photos.example.test", "https://photos.example.test:8443/apiary"},                   // a page, not the API
		{"GET", "/login", "evil.example", "https://photos.example.test:8443/login"},                            // Host is not echoed
		{"GET", "http://evil.example/x?y", "evil.example", "https://photos.example.test:8443/x?y"},             // absolute form
		{"GET", "//evil.example/x", "photos.example.test", "https://photos.example.test:8443//evil.example/x"}, // stays on our host
		{"OPTIONS", "*", "photos.example.test", "https://photos.example.test:8443/"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		r.Host = tt.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != tt.want {
			t.Errorf("%s %s (Host %s) = %d, Location %q; want 308 to %q", tt.method, tt.target, tt.host, w.Code, w.Header().Get("Location"), tt.want)
		}
	}
	// API requests are refused, never redirected (ASVS V4.1.2).
	for _, target := range []string{"/api", "/api/", "/api/v1/auth/login", "/api/v1/assets/x/original?y=1"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", target, nil))
		if w.Code != http.StatusForbidden || w.Header().Get("Location") != "" {
			t.Errorf("POST %s = %d, Location %q; want 403 without a redirect", target, w.Code, w.Header().Get("Location"))
		}
	}
}
