package app_test

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"safelight/internal/app"
)

// tlsServed is a "safelight serve" process with TLS on.
type tlsServed struct {
	cmd      *exec.Cmd
	addr     string      // the TLS listener
	redirect string      // the plain-HTTP redirect listener, if any
	logs     chan string // the whole log, once the process has exited
}

// startTLSServe runs "safelight serve" with args on a free loopback port
// and waits until it serves, noting the redirect listener's address.
func startTLSServe(t *testing.T, bin string, args ...string) tlsServed {
	t.Helper()
	return startServeEnv(t, bin, nil, args...)
}

// stop ends the server with SIGTERM and returns its log.
func (s tlsServed) stop(t *testing.T) string {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	err := s.cmd.Wait()
	out := <-s.logs
	if err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, out)
	}
	return out
}

// httpsClient trusts only ca and sends every connection to addr, whatever
// host the URL names, as DNS would for the real name.
func httpsClient(ca *app.TestCA, addr string, tweak func(*tls.Config)) *http.Client {
	tc := &tls.Config{RootCAs: ca.Pool}
	if tweak != nil {
		tweak(tc)
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			TLSClientConfig:   tc,
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
		Timeout: 30 * time.Second,
	}
}

// TestTLSFiles serves the binary with a certificate from a test CA, as
// with --tls-cert and --tls-key from certbot, and checks what a browser
// would meet: the handshake (TLS 1.3 and 1.2; 1.1 refused), HTTP/2, HSTS,
// Secure __Host- cookies, no plain HTTP on the TLS port, and the redirect
// listener.
func TestTLSFiles(t *testing.T) {
	bin := buildBinary(t)
	ca := app.NewTestCA(t)
	certPath, keyPath := ca.IssueFiles(t, t.TempDir(), "photos", "photos.example.test", "localhost", "127.0.0.1")
	srv := startTLSServe(t, bin, "--data", t.TempDir(), "--tls-cert", certPath, "--tls-key", keyPath,
		"--public-url", "https://photos.example.test", "--http-redirect-listen", "127.0.0.1:0")
	const base = "https://photos.example.test"

	// TLS 1.3 by default, HTTP/2, HSTS for a year.
	c := httpsClient(ca, srv.addr, nil)
	res, err := c.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz over TLS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.TLS.Version != tls.VersionTLS13 || res.ProtoMajor != 2 {
		t.Errorf("GET /healthz = %d over %s, TLS %x; want 200 over HTTP/2 and TLS 1.3", res.StatusCode, res.Proto, res.TLS.Version)
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); hsts != "max-age=31536000; includeSubDomains" {
		t.Errorf("Strict-Transport-Security = %q; want one year", hsts)
	}

	// The loopback names in the certificate work too (no SNI for an IP).
	for _, name := range []string{"localhost", "127.0.0.1"} {
		res, err := httpsClient(ca, srv.addr, nil).Get("https://" + name + "/healthz")
		if err != nil {
			t.Errorf("GET https://%s/healthz: %v", name, err)
			continue
		}
		res.Body.Close()
	}

	// TLS 1.2 works; 1.1 and 1.0 are refused in the handshake.
	res, err = httpsClient(ca, srv.addr, func(tc *tls.Config) { tc.MaxVersion = tls.VersionTLS12 }).Get(base + "/healthz")
	if err != nil {
		t.Fatalf("GET over TLS 1.2: %v", err)
	}
	res.Body.Close()
	if res.TLS.Version != tls.VersionTLS12 {
		t.Errorf("TLS 1.2 client got version %x", res.TLS.Version)
	}
	for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS10} {
		conn, err := tls.Dial("tcp", srv.addr, &tls.Config{RootCAs: ca.Pool, ServerName: "photos.example.test", MinVersion: v, MaxVersion: v})
		if err == nil {
			conn.Close()
			t.Errorf("handshake with TLS version %x succeeded; want it refused", v)
		}
	}

	// The TLS port does not speak plain HTTP.
	if res, err := http.Get("http://" + srv.addr + "/healthz"); err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 400 || !strings.Contains(string(body), "HTTPS") {
			t.Errorf("plain HTTP to the TLS port = %d %q; want 400", res.StatusCode, body)
		}
	}

	// Sign up and in over TLS: the session cookie is Secure and __Host-,
	// and the browser's cookie jar sends it back.
	post := func(path, body string) *http.Response {
		t.Helper()
		res, err := c.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := post("/api/v1/auth/signup", `{"email":"ann@example.com","password":"`+password+`","name":"Ann"}`); res.StatusCode != 201 {
		t.Fatalf("signup over TLS = %d", res.StatusCode)
	}
	res = post("/api/v1/auth/login", `{"email":"ann@example.com","password":"`+password+`"}`)
	if res.StatusCode != 200 {
		t.Fatalf("login over TLS = %d", res.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if strings.HasSuffix(ck.Name, "safelight_session") {
			session = ck
		}
	}
	if session == nil || session.Name != "__Host-safelight_session" || !session.Secure || !session.HttpOnly || session.Path != "/" || session.Domain != "" {
		t.Errorf("session cookie = %+v; want __Host-safelight_session, Secure, HttpOnly, Path=/, no Domain", session)
	}
	if res, err := c.Get(base + "/api/v1/me"); err != nil || res.StatusCode != 200 {
		t.Errorf("GET /api/v1/me with the session cookie = %v, %v; want 200", res, err)
	} else {
		res.Body.Close()
	}

	// The redirect listener: 308 to the public URL's host, path and query
	// kept, whatever the method or Host; nothing else on plain HTTP.
	if srv.redirect == "" {
		t.Fatal("no redirect listener in the log")
	}
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/library?sort=new&q=two%20words", base + "/library?sort=new&q=two%20words"},
		{"POST", "/login", base + "/login"},
		{"GET", "/.well-known/acme-challenge/x", base + "/.well-known/acme-challenge/x"}, // no ACME with files
	} {
		req, _ := http.NewRequest(tt.method, "http://"+srv.redirect+tt.path, nil)
		req.Host = "evil.example"
		res, err := plain.Do(req)
		if err != nil {
			t.Fatalf("%s %s on the redirect listener: %v", tt.method, tt.path, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != tt.want {
			t.Errorf("%s %s on the redirect listener = %d, Location %q; want 308 to %q", tt.method, tt.path, res.StatusCode, res.Header.Get("Location"), tt.want)
		}
	}

	// The API is never redirected (ASVS V4.1.2): a client that sent its
	// token over plain HTTP must see an error, not a silent upgrade.
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/me", "/api"} {
		req, _ := http.NewRequest("POST", "http://"+srv.redirect+path, strings.NewReader(`{}`))
		res, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" || !strings.Contains(string(body), "only over https") {
			t.Errorf("POST %s on the redirect listener = %d, Location %q, %s; want 403 and no redirect", path, res.StatusCode, res.Header.Get("Location"), body)
		}
	}

	out := srv.stop(t)
	keyPEM, _ := os.ReadFile(keyPath)
	if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, string(keyPEM[40:80])) {
		t.Errorf("the log holds key material:\n%s", out)
	}
}

// TestTLSBadCertificateStopsStart: what is wrong with the certificate files
// is said at start, naming the file, before anything is opened, with a
// non-zero exit and no key material in the message.
func TestTLSBadCertificateStopsStart(t *testing.T) {
	bin := buildBinary(t)
	ca := app.NewTestCA(t)
	dir := t.TempDir()
	goodCert, goodKey := ca.IssueFiles(t, dir, "good", "localhost")
	_, otherKey := ca.IssueFiles(t, dir, "other", "localhost")
	day := 24 * time.Hour
	expCertPEM, expKeyPEM := ca.Issue(t, []string{"localhost"}, time.Now().Add(-3*day), time.Now().Add(-day))
	expCert, expKey := app.WritePair(t, dir, "expired", expCertPEM, expKeyPEM)
	futCertPEM, futKeyPEM := ca.Issue(t, []string{"localhost"}, time.Now().Add(day), time.Now().Add(3*day))
	futCert, futKey := app.WritePair(t, dir, "future", futCertPEM, futKeyPEM)
	missing := filepath.Join(dir, "missing.key")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"key of another certificate", []string{"--tls-cert", goodCert, "--tls-key", otherKey},
			[]string{goodCert, otherKey, "do not belong together", "not the private key of the certificate"}},
		{"expired", []string{"--tls-cert", expCert, "--tls-key", expKey},
			[]string{expCert, "expired on", "renew it"}},
		{"not yet valid", []string{"--tls-cert", futCert, "--tls-key", futKey},
			[]string{futCert, "not valid before", "clock"}},
		{"unreadable key", []string{"--tls-cert", goodCert, "--tls-key", missing},
			[]string{"tls-key", missing, "no such file"}},
		{"files switched", []string{"--tls-cert", goodKey, "--tls-key", goodCert},
			[]string{goodKey, "cannot be read as a PEM certificate"}},
		{"certificate without key", []string{"--tls-cert", goodCert},
			[]string{"invalid configuration", "tls-key: must be given with tls-cert"}},
		{"files and ACME", []string{"--tls-cert", goodCert, "--tls-key", goodKey, "--acme-domains", "photos.example.test"},
			[]string{"choose certificate files or ACME"}},
		{"http public URL", []string{"--tls-cert", goodCert, "--tls-key", goodKey, "--public-url", "http://localhost:8080"},
			[]string{"public-url", "must be https"}},
	}
	keys := []string{"PRIVATE KEY"}
	for _, k := range []string{goodKey, otherKey, expKey, futKey} {
		b, _ := os.ReadFile(k)
		keys = append(keys, string(b[40:80]))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", data}, tt.args...)...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			start := time.Now()
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 && ee.ExitCode() != 2 || ctx.Err() != nil {
				t.Fatalf("serve %q = %v after %v; want a quick non-zero exit\n%s", tt.args, err, time.Since(start), out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("serve %q said %q; want it to contain %q", tt.args, out, w)
				}
			}
			for _, k := range keys {
				if strings.Contains(string(out), k) {
					t.Errorf("serve %q said %q; it holds key material", tt.args, out)
				}
			}
			if entries, _ := os.ReadDir(data); len(entries) != 0 {
				t.Errorf("serve %q left %d entries in the data directory; want nothing opened before the check", tt.args, len(entries))
			}
		})
	}
}

// TestTLSACMEWiring checks, without a network, how the binary is wired to
// autocert: the cache is DATA/acme (0700) and is used (a certificate put
// there is served, a token put there is answered on the redirect
// listener); the domain list is enforced (a handshake for another name, or
// without a name, fails and the CA is not contacted); a listed name not in
// the cache goes to the CA named by --acme-directory.
//
// Obtaining a certificate for real (account, order, tls-alpn-01 and
// http-01 challenges, finalization) is TestACMEIssuance's, against Pebble;
// here the fake CA answers only "not found", so an issuance attempt is
// seen to start and fail. Renewal is autocert's, tested by
// golang.org/x/crypto.
func TestTLSACMEWiring(t *testing.T) {
	bin := buildBinary(t)
	ca := app.NewTestCA(t)

	var caRequests atomic.Int64
	fakeCA := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caRequests.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"type":"urn:ietf:params:acme:error:malformed","detail":"a test server, not a CA"}`)
	}))
	defer fakeCA.Close()

	// A certificate already obtained for photos.example.test, and an http-01
	// token being answered, in autocert's cache format.
	data := t.TempDir()
	cache := filepath.Join(data, "acme")
	if err := os.MkdirAll(cache, 0o755); err != nil { // too wide: the server narrows it
		t.Fatal(err)
	}
	certPEM, keyPEM := ca.Issue(t, []string{"photos.example.test"}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	if err := os.WriteFile(filepath.Join(cache, "photos.example.test"), append(keyPEM, certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "tok123+http-01"), []byte("tok123.thumbprint"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := startTLSServe(t, bin, "--data", data,
		"--acme-domains", "photos.example.test,new.example.test", "--acme-email", "ops@example.test",
		"--acme-directory", fakeCA.URL+"/directory", "--http-redirect-listen", "127.0.0.1:0")

	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("DATA/acme = %v, %v; want a directory with mode 0700", fi.Mode(), err)
	}

	handshake := func(serverName string) (*tls.Conn, error) {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second},
			Config: &tls.Config{RootCAs: ca.Pool, ServerName: serverName, InsecureSkipVerify: serverName == ""}}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", srv.addr)
		if err != nil {
			return nil, err
		}
		return c.(*tls.Conn), nil
	}

	// Names that are not listed, or no name: refused, the CA untouched.
	for _, name := range []string{"other.example.test", "example.test", ""} {
		if c, err := handshake(name); err == nil {
			c.Close()
			t.Errorf("handshake for %q succeeded; want it refused (not in --acme-domains)", name)
		}
	}
	if n := caRequests.Load(); n != 0 {
		t.Errorf("the CA got %d requests for names not in --acme-domains; want none", n)
	}

	// The cached certificate is served, with HSTS on the derived https URL.
	res, err := httpsClient(ca, srv.addr, nil).Get("https://photos.example.test/healthz")
	if err != nil {
		t.Fatalf("GET https://photos.example.test/healthz with the cached certificate: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" || res.ProtoMajor != 2 {
		t.Errorf("GET /healthz = %d %s, HSTS %q; want 200 over HTTP/2 with HSTS", res.StatusCode, res.Proto, res.Header.Get("Strict-Transport-Security"))
	}
	if n := caRequests.Load(); n != 0 {
		t.Errorf("the CA got %d requests though the certificate was cached; want none", n)
	}

	// The redirect listener answers http-01 challenges through the manager
	// (only for listed names) and redirects the rest.
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(host, path string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+srv.redirect+path, nil)
		req.Host = host
		res, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Location"), string(b)
	}
	if code, _, body := get("photos.example.test", "/.well-known/acme-challenge/tok123"); code != 200 || body != "tok123.thumbprint" {
		t.Errorf("http-01 token on the redirect listener = %d %q; want 200 tok123.thumbprint", code, body)
	}
	if code, _, _ := get("other.example.test", "/.well-known/acme-challenge/tok123"); code != 403 {
		t.Errorf("http-01 token for an unlisted host = %d; want 403", code)
	}
	if code, _, _ := get("photos.example.test", "/.well-known/acme-challenge/unknown"); code != 404 {
		t.Errorf("unknown http-01 token = %d; want 404", code)
	}
	if code, loc, _ := get("photos.example.test", "/gallery?page=2"); code != 308 || loc != "https://photos.example.test/gallery?page=2" {
		t.Errorf("GET /gallery?page=2 on the redirect listener = %d %q; want 308 to https://photos.example.test/gallery?page=2", code, loc)
	}

	// A listed name with nothing cached: autocert makes an account key in
	// the cache and asks the CA given by --acme-directory, which fails here.
	if c, err := handshake("new.example.test"); err == nil {
		c.Close()
		t.Error("handshake for new.example.test succeeded; the fake CA cannot issue")
	}
	if n := caRequests.Load(); n == 0 {
		t.Error("the CA named by --acme-directory was not asked for new.example.test")
	}
	if b, err := os.ReadFile(filepath.Join(cache, "acme_account+key")); err != nil {
		t.Errorf("account key in DATA/acme: %v", err)
	} else if blk, _ := pem.Decode(b); blk == nil || !strings.Contains(blk.Type, "PRIVATE KEY") {
		t.Errorf("DATA/acme/acme_account+key is not a PEM private key")
	}

	out := srv.stop(t)
	if !strings.Contains(out, "certificates from ACME") {
		t.Errorf("the log does not say ACME is on:\n%s", out)
	}
}
