package app_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TestACMEIssuance obtains certificates for real from Pebble, Let's
// Encrypt's ACME test server, which validates every challenge by
// connecting to the server it names, as Let's Encrypt does (no
// PEBBLE_VA_ALWAYS_VALID): its DNS queries go to a responder in this test
// that answers 127.0.0.1 for the test names.
//
//   - tls-alpn-01 on the TLS listener: the first handshake for test.example
//     gets a certificate for it, issued by Pebble's intermediate and
//     chaining to Pebble's root, and it is kept in DATA/acme; a restart on
//     the same data serves that certificate without asking the CA anything.
//   - http-01 on --http-redirect-listen, when the CA cannot reach the TLS
//     listener: autocert falls back to it and the certificate is issued.
//   - trust of a private CA comes from Go's SSL_CERT_FILE alone: the same
//     directory without it fails, and the log says why.
//
// It needs SAFELIGHT_TEST_PEBBLE, the path of a pebble binary with Pebble's
// test certificates in certs/ beside it, as scripts/pebble.sh builds it.
func TestACMEIssuance(t *testing.T) {
	pebbleBin := os.Getenv("SAFELIGHT_TEST_PEBBLE")
	if pebbleBin == "" {
		t.Skip("SAFELIGHT_TEST_PEBBLE is not set: the path of a Pebble ACME test server binary (scripts/pebble.sh builds one; scripts/test.sh sets it)")
	}
	bin := buildBinary(t)
	certs := pebbleCertsBeside(t, pebbleBin)
	dns := startDNSResponder(t, "test.example", "http01.test.example", "untrusted.test.example")

	// The servers start first, on ports of their own choosing, since Pebble
	// must be told where to validate; none contacts the CA before a
	// handshake asks for a certificate.
	caAddr, mgmtAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	directory := "https://" + caAddr + "/dir"
	trustPebble := []string{"SSL_CERT_FILE=" + certs.minica}
	dataA := t.TempDir()
	a := startServeEnv(t, bin, trustPebble, "--data", dataA,
		"--acme-domains", "test.example", "--acme-email", "ops@example.org", "--acme-directory", directory)
	b := startServeEnv(t, bin, trustPebble, "--data", t.TempDir(),
		"--acme-domains", "http01.test.example", "--acme-directory", directory, "--http-redirect-listen", "127.0.0.1:0")
	untrusting := startServeEnv(t, bin, nil, "--data", t.TempDir(),
		"--acme-domains", "untrusted.test.example", "--acme-directory", directory)
	ca := startPebble(t, pebbleBin, certs, caAddr, mgmtAddr, dns.addr, portOf(t, a.addr), portOf(t, b.redirect))
	root, intermediate := ca.fetchCert(t, "/roots/0"), ca.fetchCert(t, "/intermediates/0")
	roots := x509.NewCertPool()
	roots.AddCert(root)

	// tls-alpn-01: the first handshake for the name waits for the
	// certificate, which verifies against Pebble's root only.
	state, err := handshakeFor(t, a.addr, "test.example", roots)
	if err != nil {
		t.Fatalf("first handshake for test.example: %v; safelight log:\n%s\npebble log:\n%s", err, a.stop(t), ca.log(t))
	}
	leaf := state.PeerCertificates[0]
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "test.example" {
		t.Errorf("certificate names %q; want [test.example]", leaf.DNSNames)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: certPool(state.PeerCertificates[1:]), DNSName: "test.example"})
	if err != nil {
		t.Errorf("the served chain does not verify against Pebble's root: %v", err)
	} else if len(chains[0]) != 3 || !chains[0][1].Equal(intermediate) || !chains[0][2].Equal(root) {
		t.Errorf("chain %v; want leaf ← Pebble's intermediate %q ← Pebble's root %q", chainNames(chains[0]), intermediate.Subject, root.Subject)
	}
	if !state.VerifiedChains[0][0].Equal(leaf) {
		t.Error("the handshake did not verify the certificate it got")
	}
	if n := dns.asked("test.example.", dnsmessage.TypeA); n == 0 {
		t.Error("Pebble never looked up test.example: the challenge was not validated against this server")
	}
	log := ca.log(t)
	if strings.Contains(log, "Skipping real validation") || !regexp.MustCompile(`authz \S+ set VALID`).MatchString(log) {
		t.Errorf("Pebble's log shows no real validation:\n%s", log)
	}
	if n := strings.Count(log, "Issued certificate serial"); n != 1 {
		t.Errorf("Pebble issued %d certificates; want 1", n)
	}

	// The site answers over it.
	res, err := httpsTo(a.addr, roots).Get("https://test.example/healthz")
	if err != nil {
		t.Fatalf("GET https://test.example/healthz: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("GET /healthz = %d, HSTS %q; want 200 with HSTS", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}

	// The certificate and its key are in the cache, private to the server.
	cached := filepath.Join(dataA, "acme", "test.example")
	if fi, err := os.Stat(cached); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("DATA/acme/test.example = %v, %v; want a file only its owner can read", fi, err)
	}
	if key, cert := pemBlocks(t, cached); key == nil || !strings.Contains(key.Type, "PRIVATE KEY") || cert == nil || !bytes.Equal(cert.Bytes, leaf.Raw) {
		t.Errorf("DATA/acme/test.example does not hold the private key and the certificate served")
	}
	if out := a.stop(t); !strings.Contains(out, "certificates from ACME") || strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("safelight log: want ACME announced and no key material:\n%s", out)
	}

	// A restart on the same data serves the cached certificate without a
	// single request to the CA.
	requestsBefore := strings.Count(ca.log(t), "calling handler()")
	a2 := startServeEnv(t, bin, trustPebble, "--data", dataA, "--acme-domains", "test.example", "--acme-directory", directory)
	state, err = handshakeFor(t, a2.addr, "test.example", roots)
	if err != nil {
		t.Fatalf("handshake after restart: %v\n%s", err, a2.stop(t))
	}
	if !state.PeerCertificates[0].Equal(leaf) {
		t.Errorf("after restart the server presents serial %x; want the cached %x", state.PeerCertificates[0].SerialNumber, leaf.SerialNumber)
	}
	if after := strings.Count(ca.log(t), "calling handler()"); after != requestsBefore {
		t.Errorf("the CA got %d requests after the restart; want none (the certificate was cached)", after-requestsBefore)
	}
	a2.stop(t)

	// http-01: Pebble's tls-alpn-01 port is not this server's, so that
	// challenge fails and autocert tries http-01, answered on the redirect
	// listener.
	state, err = handshakeFor(t, b.addr, "http01.test.example", roots)
	if err != nil {
		t.Fatalf("handshake for http01.test.example: %v; safelight log:\n%s\npebble log:\n%s", err, b.stop(t), ca.log(t))
	}
	if got := state.PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != "http01.test.example" {
		t.Errorf("certificate names %q; want [http01.test.example]", got)
	}
	wantHTTP := "Attempting to validate w/ HTTP: http://http01.test.example:" + portOf(t, b.redirect) + "/.well-known/acme-challenge/"
	if log := ca.log(t); !strings.Contains(log, wantHTTP) {
		t.Errorf("Pebble's log has no %q:\n%s", wantHTTP, log)
	}
	b.stop(t)

	// Without SSL_CERT_FILE, Pebble's HTTPS certificate is not trusted:
	// the handshake fails, and the log says which CA and why.
	if _, err := handshakeFor(t, untrusting.addr, "untrusted.test.example", roots); err == nil {
		t.Error("handshake succeeded without trusting Pebble's HTTPS certificate")
	}
	out := untrusting.stop(t)
	line := issuanceError(out)
	for _, want := range []string{"domain=untrusted.test.example", "directory=" + directory, "x509: certificate signed by unknown authority"} {
		if !strings.Contains(line, want) {
			t.Errorf("without SSL_CERT_FILE, the issuance error %q lacks %q; log:\n%s", line, want, out)
		}
	}
}

// issuanceError returns the line of a server log that says a certificate
// could not be obtained, or "".
func issuanceError(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "cannot obtain a certificate from the ACME CA") {
			return line
		}
	}
	return ""
}

// TestACMEDirectoryUnusable: an --acme-directory that is not an https URL
// stops the start; one that cannot be used (nothing listening, or not an
// ACME directory) is found at the first handshake for a listed name, which
// fails, and is logged as an error naming the name, the directory and the
// cause. The start itself contacts no CA, so cached certificates are served
// while the CA is away.
func TestACMEDirectoryUnusable(t *testing.T) {
	bin := buildBinary(t)

	for _, tt := range []struct{ dir, want string }{
		{"ftp://ca.example/dir", "not an absolute https:// URL"},
		{"http://ca.example/dir", "only a test CA on loopback"},
	} {
		cmd := exec.CommandContext(t.Context(), bin, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(),
			"--acme-domains", "photos.example.test", "--acme-directory", tt.dir)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(string(out), "acme-directory") || !strings.Contains(string(out), tt.want) {
			t.Errorf("serve --acme-directory %s = %v, %q; want a non-zero exit saying %q", tt.dir, err, out, tt.want)
		}
	}

	// A typo in the path: an https server that answers 404, trusted
	// through SSL_CERT_DIR (Go's other variable for a private CA; the
	// cause would name x509 if it were not trusted).
	notACME := httptest.NewTLSServer(http.NotFoundHandler())
	defer notACME.Close()
	caDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(caDir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: notACME.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, dir string
		env       []string
		cause     string
	}{
		{"nothing listening", "https://" + freeLoopbackAddr(t) + "/dir", nil, "connection refused"},
		{"not an ACME directory", notACME.URL + "/directroy", []string{"SSL_CERT_DIR=" + caDir}, "404 page not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServeEnv(t, bin, tt.env, "--data", t.TempDir(),
				"--acme-domains", "photos.example.test", "--acme-directory", tt.dir)
			if _, err := handshakeFor(t, srv.addr, "photos.example.test", nil); err == nil {
				t.Error("handshake succeeded with no CA to issue a certificate")
			}
			out := srv.stop(t)
			line := issuanceError(out)
			for _, want := range []string{"domain=photos.example.test", "directory=" + tt.dir, tt.cause} {
				if !strings.Contains(line, want) {
					t.Errorf("the issuance error %q lacks %q; log:\n%s", line, want, out)
				}
			}
		})
	}
}

// pebbleCerts are Pebble's own test certificates: the CA of its HTTPS
// listeners' certificate (trusted here through SSL_CERT_FILE) and that
// certificate with its key. They are public: only for tests.
type pebbleCerts struct {
	minica, cert, key string
}

// pebbleCertsBeside finds them in certs/ beside the pebble binary, where
// scripts/pebble.sh copies them from the module.
func pebbleCertsBeside(t *testing.T, pebbleBin string) pebbleCerts {
	t.Helper()
	dir := filepath.Join(filepath.Dir(pebbleBin), "certs")
	c := pebbleCerts{
		minica: filepath.Join(dir, "pebble.minica.pem"),
		cert:   filepath.Join(dir, "localhost", "cert.pem"),
		key:    filepath.Join(dir, "localhost", "key.pem"),
	}
	for _, f := range []string{c.minica, c.cert, c.key} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("Pebble's test certificates: %v (scripts/pebble.sh puts them in certs/ beside the binary)", err)
		}
	}
	b, _ := os.ReadFile(c.cert)
	if blk, _ := pem.Decode(b); blk != nil {
		if leaf, err := x509.ParseCertificate(blk.Bytes); err == nil && time.Now().After(leaf.NotAfter) {
			t.Fatalf("Pebble's test certificate %s expired on %s; move scripts/pebble.sh to a newer Pebble release", c.cert, leaf.NotAfter.Format(time.DateOnly))
		}
	}
	return c
}

// pebbleServer is a running Pebble.
type pebbleServer struct {
	mgmt    string // https://host:port of the management interface
	client  *http.Client
	logPath string
}

// startPebble runs Pebble with its ACME directory at https://caAddr/dir
// and its management interface on mgmtAddr, resolving names through
// dnsAddr and validating tls-alpn-01 on tlsPort and http-01 on httpPort.
func startPebble(t *testing.T, bin string, certs pebbleCerts, caAddr, mgmtAddr, dnsAddr, tlsPort, httpPort string) *pebbleServer {
	t.Helper()
	dir := t.TempDir()
	var cfg struct {
		Pebble map[string]any `json:"pebble"`
	}
	cfg.Pebble = map[string]any{
		"listenAddress":           caAddr,
		"managementListenAddress": mgmtAddr,
		"certificate":             certs.cert,
		"privateKey":              certs.key,
		"tlsPort":                 mustAtoi(t, tlsPort),
		"httpPort":                mustAtoi(t, httpPort),
		"keyAlgorithm":            "ecdsa",
	}
	cfgJSON, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgPath, cfgJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &pebbleServer{mgmt: "https://" + mgmtAddr, logPath: filepath.Join(dir, "pebble.log")}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	cmd := exec.Command(bin, "-config", cfgPath, "-dnsserver", dnsAddr)
	// No random pause before validating; everything else as Pebble
	// defaults, including its share of rejected nonces.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PEBBLE_VA_NOSLEEP=1"}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })

	minica := x509.NewCertPool()
	b, _ := os.ReadFile(certs.minica)
	minica.AppendCertsFromPEM(b)
	p.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: minica}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := p.client.Get("https://" + caAddr + "/dir")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-exited:
			t.Fatalf("pebble exited; log:\n%s", p.log(t))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble's directory did not answer: %v; log:\n%s", err, p.log(t))
		}
	}
}

func (p *pebbleServer) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fetchCert gets a PEM certificate from the management interface, such
// as /roots/0: what a relying party would be told to trust.
func (p *pebbleServer) fetchCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	res, err := p.client.Get(p.mgmt + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	blk, _ := pem.Decode(b)
	if res.StatusCode != 200 || blk == nil {
		t.Fatalf("GET %s on Pebble's management interface = %d %q; want a PEM certificate", path, res.StatusCode, b)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dnsResponder is an authoritative DNS server over TCP (how Pebble's VA
// asks) that answers A queries for its names with 127.0.0.1, AAAA queries
// with no address, and anything else with NXDOMAIN. It counts the
// questions it gets.
type dnsResponder struct {
	addr  string
	names map[string]bool // fully qualified, lower case

	mu    sync.Mutex
	count map[string]int // "name type" → questions
}

func startDNSResponder(t *testing.T, names ...string) *dnsResponder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	d := &dnsResponder{addr: ln.Addr().String(), names: map[string]bool{}, count: map[string]int{}}
	for _, n := range names {
		d.names[n+"."] = true
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go d.serve(c)
		}
	}()
	return d
}

func (d *dnsResponder) asked(name string, typ dnsmessage.Type) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count[name+" "+typ.String()]
}

// serve answers the messages of one connection, each framed by a two-byte
// length (RFC 1035 4.2.2).
func (d *dnsResponder) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var n uint16
		if binary.Read(r, binary.BigEndian, &n) != nil {
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(r, msg); err != nil {
			return
		}
		out, err := d.answer(msg)
		if err != nil {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(out)))); err != nil {
			return
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func (d *dnsResponder) answer(msg []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(q.Name.String())
	d.mu.Lock()
	d.count[name+" "+q.Type.String()]++
	d.mu.Unlock()

	rcode := dnsmessage.RCodeSuccess
	if !d.names[name] {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RCode: rcode})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if rcode == dnsmessage.RCodeSuccess && q.Type == dnsmessage.TypeA {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		if err := b.AResource(rh, dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// startServeEnv is startTLSServe with the environment variables env
// (besides PATH), such as SSL_CERT_FILE.
func startServeEnv(t *testing.T, bin string, env []string, args ...string) tlsServed {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serving := regexp.MustCompile(`msg=serving .*\baddr=(\S+)`)
	redirect := regexp.MustCompile(`msg="serving http redirect" .*\baddr=(\S+)`)
	ready := make(chan tlsServed, 1)
	logs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var all strings.Builder
		var s tlsServed
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if m := redirect.FindStringSubmatch(sc.Text()); m != nil {
				s.redirect = m[1]
			}
			if m := serving.FindStringSubmatch(sc.Text()); m != nil {
				s.addr = m[1]
				ready <- s
			}
		}
		logs <- all.String()
	}()
	select {
	case s := <-ready:
		s.cmd, s.logs = cmd, logs
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return s
	case out := <-logs:
		cmd.Wait()
		t.Fatalf("server exited before serving; log:\n%s", out)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start; log:\n%s", <-logs)
	}
	panic("unreachable")
}

// handshakeFor connects to addr with SNI name and completes a TLS
// handshake, verifying the certificate against roots (the system's when
// nil). The first one for a name waits while the server obtains its
// certificate.
func handshakeFor(t *testing.T, addr, name string, roots *x509.CertPool) (tls.ConnectionState, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	d := &tls.Dialer{Config: &tls.Config{ServerName: name, RootCAs: roots}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

// httpsTo is an HTTPS client that trusts roots and sends every connection
// to addr, as DNS would for the certificate's name.
func httpsTo(addr string, roots *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
	}
}

// pemBlocks returns the first private key and the first certificate of a
// PEM file, as autocert's cache writes them.
func pemBlocks(t *testing.T, path string) (key, cert *pem.Block) {
	t.Helper()
	rest, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return nil, nil
	}
	for {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			return key, cert
		}
		switch {
		case blk.Type == "CERTIFICATE" && cert == nil:
			cert = blk
		case strings.Contains(blk.Type, "PRIVATE KEY") && key == nil:
			key = blk
		}
	}
}

func certPool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func chainNames(chain []*x509.Certificate) []string {
	var names []string
	for _, c := range chain {
		names = append(names, c.Subject.String())
	}
	return names
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago, for a program that must be told its port before it starts.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return port
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("port %q: %v", s, err)
	}
	return n
}
