package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"
)

// Security is how the connection to the SMTP server is protected.
type Security string

const (
	// StartTLS connects in clear and upgrades with STARTTLS before
	// anything else is said (submission, usually port 587). A server that
	// does not offer STARTTLS is refused, never talked to in clear.
	StartTLS Security = "starttls"
	// ImplicitTLS speaks TLS from the first byte (usually port 465).
	ImplicitTLS Security = "tls"
	// NoTLS is plain SMTP, accepted only to a loopback address (a local
	// relay such as Postfix on the same machine).
	NoTLS Security = "none"
)

// SMTPConfig describes the mail server and the sender.
type SMTPConfig struct {
	Host     string // host name or IP address, without the port
	Port     int
	Security Security
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN, which is only ever sent over TLS.
	Username string
	Password string
	// From is the sender: "safelight@example.com" or
	// "Safelight <safelight@example.com>".
	From string
	// Timeout bounds one whole delivery: connecting, TLS, and the SMTP
	// conversation. Zero means 30 seconds.
	Timeout time.Duration
	// TLSConfig, when set, is used for TLS (its ServerName defaults to
	// Host); nil means the system's roots and Go's defaults.
	TLSConfig *tls.Config
	// HelloName is the name sent in EHLO; empty means "localhost".
	HelloName string
}

// SMTP sends mail through an SMTP server, one connection per message.
// Safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
}

// NewSMTP checks cfg and returns an SMTP mailer. Nothing is dialled yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || strings.ContainsAny(cfg.Host, " /:") && net.ParseIP(cfg.Host) == nil {
		return nil, fmt.Errorf("mail: smtp host %q is not a host name or IP address", cfg.Host)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: smtp port %d is not from 1 to 65535", cfg.Port)
	}
	switch cfg.Security {
	case StartTLS, ImplicitTLS:
	case NoTLS:
		if !IsLoopback(cfg.Host) {
			return nil, fmt.Errorf("mail: smtp security none (plain text) is allowed only to a loopback address, not %q; use starttls or tls", cfg.Host)
		}
		if cfg.Username != "" {
			return nil, errors.New("mail: smtp authentication needs TLS; use smtp security starttls or tls")
		}
	default:
		return nil, fmt.Errorf("mail: smtp security %q is not starttls, tls or none", cfg.Security)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("mail: an smtp password is set without a user name")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address %q is not valid: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	return &SMTP{cfg: cfg, from: from}, nil
}

// IsLoopback reports whether host names only this machine.
func IsLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *SMTP) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if s.cfg.TLSConfig != nil {
		c = s.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	return c
}

// Send delivers m to the server. Errors name the server and the step that
// failed (connect, TLS, STARTTLS, AUTH, MAIL, RCPT, DATA) and never hold
// the password or the message body.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := m.check()
	if err != nil {
		return err
	}
	body, err := s.compose(m, to, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	fail := func(step string, err error) error {
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("%w (timed out after %v)", err, s.cfg.Timeout)
		case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return fmt.Errorf("mail: smtp server %s: %s: %w", addr, step, err)
	}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail("connect", err)
	}
	defer conn.Close()
	// The whole conversation ends with the context: the deadline bounds
	// every read and write, and cancellation closes the connection.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	if s.cfg.Security == ImplicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fail("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fail("EHLO", err)
	}
	if s.cfg.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fail("STARTTLS", errors.New("the server does not offer STARTTLS; nothing was sent in clear (use smtp security tls if it expects TLS from the first byte)"))
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fail("STARTTLS", err)
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fail("AUTH", errors.New("the server does not offer authentication"))
		}
		// smtp.PlainAuth itself refuses to send the password unless the
		// connection is TLS (or to localhost, which NewSMTP rules out
		// without TLS).
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fail(fmt.Sprintf("AUTH as %q", s.cfg.Username), err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fail("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fail("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return fail("DATA", err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted at the end of DATA; a failed QUIT
		// does not undo that.
		return nil
	}
	return nil
}

// compose writes the message in RFC 5322 form: UTF-8 text in
// quoted-printable, the subject in RFC 2047 encoding when it is not ASCII.
func (s *SMTP) compose(m Message, to string, now time.Time) ([]byte, error) {
	var id [16]byte
	rand.Read(id[:])
	domain := "localhost"
	if _, d, ok := strings.Cut(s.from.Address, "@"); ok {
		domain = d
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", s.from.String())
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(m.Text)); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	return b.Bytes(), nil
}
