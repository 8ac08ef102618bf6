package mail

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The SMTP client is tested against testSMTPServer, a real TCP server in
// this process that speaks enough SMTP (EHLO, STARTTLS, AUTH PLAIN, MAIL,
// RCPT, DATA, QUIT) with a certificate generated for the test. No outside
// mail server can run where these tests run, so this is as close to one as
// they get; it follows RFC 5321 for the commands it knows.

type serverOptions struct {
	implicitTLS  bool // TLS from the first byte
	noStartTLS   bool // do not offer STARTTLS
	user, pass   string
	rejectRcpt   bool
	silent       bool // accept the connection and never greet
	noAuthOffer  bool
	requireTLSTo bool // refuse MAIL before TLS
}

type received struct {
	from, to  string
	data      string
	tls       bool // the message came over TLS
	authUser  string
	authOnTLS bool
}

type testSMTPServer struct {
	t    *testing.T
	ln   net.Listener
	opts serverOptions
	cert tls.Certificate
	pool *x509.CertPool

	mu       sync.Mutex
	messages []received
	commands []string
}

// newTestCert makes a self-signed certificate for 127.0.0.1 and localhost.
func newTestCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func startSMTPServer(t *testing.T, opts serverOptions) *testSMTPServer {
	t.Helper()
	cert, pool := newTestCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSMTPServer{t: t, ln: ln, opts: opts, cert: cert, pool: pool}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s
}

func (s *testSMTPServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *testSMTPServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	isTLS := false
	if s.opts.implicitTLS {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
		if err := tc.Handshake(); err != nil {
			return
		}
		c, isTLS = tc, true
	}
	if s.opts.silent {
		io.Copy(io.Discard, c)
		return
	}
	r := bufio.NewReader(c)
	reply := func(lines ...string) { io.WriteString(c, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 test.invalid ESMTP ready")
	var msg received
	authUser := ""
	authOnTLS := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		s.commands = append(s.commands, verb)
		s.mu.Unlock()
		switch verb {
		case "EHLO":
			ext := []string{"250-test.invalid"}
			if !isTLS && !s.opts.noStartTLS {
				ext = append(ext, "250-STARTTLS")
			}
			if !s.opts.noAuthOffer {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 8BITMIME")
			reply(ext...)
		case "STARTTLS":
			if isTLS || s.opts.noStartTLS {
				reply("502 not now")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, isTLS = tc, true
			r = bufio.NewReader(c)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if mech != "PLAIN" {
				reply("504 unknown mechanism")
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.opts.user || parts[2] != s.opts.pass {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			authUser, authOnTLS = parts[1], isTLS
			reply("235 2.7.0 authenticated")
		case "MAIL":
			if s.opts.user != "" && authUser == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			from, _, _ := strings.Cut(strings.TrimPrefix(arg, "FROM:<"), ">")
			msg = received{from: from, tls: isTLS, authUser: authUser, authOnTLS: authOnTLS}
			reply("250 ok")
		case "RCPT":
			if s.opts.rejectRcpt {
				reply("550 5.1.1 no such user")
				continue
			}
			msg.to = strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">")
			reply("250 ok")
		case "DATA":
			reply("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			msg.data = b.String()
			s.mu.Lock()
			s.messages = append(s.messages, msg)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("500 unknown command")
		}
	}
}

func (s *testSMTPServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *testSMTPServer) saw(verb string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.commands {
		if v == verb {
			return true
		}
	}
	return false
}

func (s *testSMTPServer) config(sec Security) SMTPConfig {
	return SMTPConfig{Host: "127.0.0.1", Port: s.port(), Security: sec, From: "Safelight <safelight@photos.example>",
		TLSConfig: &tls.Config{RootCAs: s.pool}, Timeout: 5 * time.Second}
}

var testMessage = Message{To: "ann@example.com", Subject: "Réinitialiser — reset your password",
	Text: "Hello Ann,\n\nOpen this link: https://photos.example/reset-password?token=slr_" + strings.Repeat("x", 43) + "\n.\nA line with a dot above.\n"}

func send(t *testing.T, cfg SMTPConfig, m Message) error {
	t.Helper()
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP(%+v) = %v", cfg, err)
	}
	return s.Send(t.Context(), m)
}

// checkDelivered parses what the server got as an RFC 5322 message.
func checkDelivered(t *testing.T, got received, m Message) {
	t.Helper()
	if got.from != "safelight@photos.example" || got.to != m.To {
		t.Errorf("envelope = %q → %q; want safelight@photos.example → %s", got.from, got.to, m.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.data))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v\n%s", err, got.data)
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || subj != m.Subject {
		t.Errorf("Subject = %q; want %q", subj, m.Subject)
	}
	if msg.Header.Get("To") != m.To || !strings.Contains(msg.Header.Get("From"), "<safelight@photos.example>") {
		t.Errorf("To, From = %q, %q", msg.Header.Get("To"), msg.Header.Get("From"))
	}
	if _, err := mail.ParseDate(msg.Header.Get("Date")); err != nil {
		t.Errorf("Date %q: %v", msg.Header.Get("Date"), err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != m.Text {
		t.Errorf("body = %q; want %q", got, m.Text)
	}
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	srv := startSMTPServer(t, serverOptions{user: "mailer", pass: "s3cret pass"})
	cfg := srv.config(StartTLS)
	cfg.Username, cfg.Password = "mailer", "s3cret pass"
	if err := send(t, cfg, testMessage); err != nil {
		t.Fatalf("Send = %v", err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages; want 1", len(got))
	}
	if !got[0].tls || !got[0].authOnTLS || got[0].authUser != "mailer" {
		t.Errorf("delivery tls=%v auth=%q authOnTLS=%v; want STARTTLS before AUTH", got[0].tls, got[0].authUser, got[0].authOnTLS)
	}
	checkDelivered(t, got[0], testMessage)
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := startSMTPServer(t, serverOptions{implicitTLS: true})
	if err := send(t, srv.config(ImplicitTLS), testMessage); err != nil {
		t.Fatalf("Send = %v", err)
	}
	got := srv.received()
	if len(got) != 1 || !got[0].tls {
		t.Fatalf("received %+v; want one message over TLS", got)
	}
	checkDelivered(t, got[0], testMessage)
	if srv.saw("STARTTLS") {
		t.Error("client sent STARTTLS on an implicit TLS connection")
	}
}

func TestSMTPPlainToLoopback(t *testing.T) {
	srv := startSMTPServer(t, serverOptions{noStartTLS: true})
	if err := send(t, srv.config(NoTLS), testMessage); err != nil {
		t.Fatalf("Send = %v", err)
	}
	if got := srv.received(); len(got) != 1 || got[0].tls {
		t.Fatalf("received %+v; want one message in clear", got)
	}
}

func TestSMTPErrors(t *testing.T) {
	tests := []struct {
		name     string
		opts     serverOptions
		cfg      func(*SMTPConfig)
		want     []string // in the error
		password string   // never in the error
	}{
		{name: "no STARTTLS offered", opts: serverOptions{noStartTLS: true},
			want: []string{"STARTTLS", "does not offer STARTTLS", "nothing was sent in clear"}},
		{name: "untrusted certificate", opts: serverOptions{},
			cfg:  func(c *SMTPConfig) { c.TLSConfig = nil },
			want: []string{"STARTTLS", "certificate"}},
		{name: "wrong password", opts: serverOptions{user: "mailer", pass: "right"},
			cfg:      func(c *SMTPConfig) { c.Username, c.Password = "mailer", "wrong-password-123" },
			want:     []string{`AUTH as "mailer"`, "535"},
			password: "wrong-password-123"},
		{name: "recipient refused", opts: serverOptions{rejectRcpt: true},
			want: []string{"RCPT TO", "550"}},
		{name: "server silent", opts: serverOptions{silent: true},
			cfg:  func(c *SMTPConfig) { c.Timeout = 300 * time.Millisecond },
			want: []string{"greeting", "timed out after 300ms"}},
		{name: "plain TLS server, starttls configured", opts: serverOptions{implicitTLS: true},
			cfg:  func(c *SMTPConfig) { c.Timeout = 2 * time.Second },
			want: []string{"smtp server 127.0.0.1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTPServer(t, tt.opts)
			cfg := srv.config(StartTLS)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			err := send(t, cfg, testMessage)
			if err == nil {
				t.Fatal("Send = nil; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Send = %v; want it to mention %q", err, w)
				}
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("Send error leaks the password: %v", err)
			}
			if len(srv.received()) != 0 {
				t.Error("a message was delivered")
			}
			if tt.name == "no STARTTLS offered" && srv.saw("MAIL") {
				t.Error("client went on in clear after STARTTLS was missing")
			}
		})
	}
}

func TestSMTPConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	err = send(t, SMTPConfig{Host: "127.0.0.1", Port: port, Security: StartTLS, From: "a@b.example"}, testMessage)
	if err == nil || !strings.Contains(err.Error(), "connect") || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("Send to a closed port = %v; want a connect error naming the server", err)
	}
}

func TestSMTPCanceled(t *testing.T) {
	srv := startSMTPServer(t, serverOptions{silent: true})
	s, err := NewSMTP(srv.config(StartTLS))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err = s.Send(ctx, testMessage)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v; want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v after cancel", d)
	}
}

func TestNewSMTPValidates(t *testing.T) {
	ok := SMTPConfig{Host: "mail.example.com", Port: 587, Security: StartTLS, From: "safelight@example.com"}
	tests := []struct {
		name string
		edit func(*SMTPConfig)
		want string // "" for valid
	}{
		{"valid", func(*SMTPConfig) {}, ""},
		{"valid with name in From", func(c *SMTPConfig) { c.From = "Safelight <s@example.com>" }, ""},
		{"valid plain to loopback", func(c *SMTPConfig) { c.Host, c.Security = "127.0.0.1", NoTLS }, ""},
		{"valid plain to localhost", func(c *SMTPConfig) { c.Host, c.Security = "localhost", NoTLS }, ""},
		{"valid plain to ::1", func(c *SMTPConfig) { c.Host, c.Security = "::1", NoTLS }, ""},
		{"plain to a remote host", func(c *SMTPConfig) { c.Security = NoTLS }, "only to a loopback address"},
		{"auth without TLS", func(c *SMTPConfig) { c.Host, c.Security, c.Username = "localhost", NoTLS, "u" }, "authentication needs TLS"},
		{"password without user", func(c *SMTPConfig) { c.Password = "p" }, "without a user name"},
		{"unknown security", func(c *SMTPConfig) { c.Security = "ssl" }, `"ssl" is not starttls, tls or none`},
		{"port zero", func(c *SMTPConfig) { c.Port = 0 }, "port 0"},
		{"port too big", func(c *SMTPConfig) { c.Port = 70000 }, "port 70000"},
		{"host with port", func(c *SMTPConfig) { c.Host = "mail.example.com:25" }, "not a host name"},
		{"no host", func(c *SMTPConfig) { c.Host = "" }, "not a host name"},
		{"bad From", func(c *SMTPConfig) { c.From = "not an address" }, "sender address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			_, err := NewSMTP(c)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("NewSMTP(%+v) = %v; want nil", c, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("NewSMTP(%+v) = %v; want an error with %q", c, err, tt.want)
			}
		})
	}
}

func TestMessageChecked(t *testing.T) {
	srv := startSMTPServer(t, serverOptions{})
	for _, m := range []Message{
		{To: "ann@example.com", Subject: "Hi\r\nBcc: evil@example.com", Text: "x"},
		{To: "Ann <ann@example.com>", Subject: "Hi", Text: "x"},
		{To: "ann@example.com\r\nBcc: evil@example.com", Subject: "Hi", Text: "x"},
		{To: "not an address", Subject: "Hi", Text: "x"},
		{To: "ann@example.com", Subject: "", Text: "x"},
	} {
		if err := send(t, srv.config(StartTLS), m); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%q, %q) = %v; want ErrInvalidMessage", m.To, m.Subject, err)
		}
	}
	if srv.saw("EHLO") {
		t.Error("an invalid message reached the server")
	}
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"ann@example.com": "a***@example.com",
		"é@example.com":   "é***@example.com",
		"nobody":          "***",
		"@example.com":    "***",
	} {
		if got := MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q; want %q", in, got, want)
		}
	}
}
