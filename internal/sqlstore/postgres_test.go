package sqlstore_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/fault"
	"safelight/internal/sqlstore"
	"safelight/internal/sqlstore/storetest"
	"safelight/internal/testsvc"
)

func TestPostgres(t *testing.T) {
	if os.Getenv(testsvc.PostgresEnv) == "" {
		testsvc.Postgres(t) // skips, saying what to set
	}
	storetest.Test(t, func(t *testing.T) *sqlstore.Store {
		return storetest.Open(t, testsvc.Postgres(t))
	})
}

func TestPostgresAuditChain(t *testing.T) {
	testsvc.Postgres(t) // skips, saying what to set
	storetest.AuditChain(t, func(t *testing.T) string { return testsvc.Postgres(t) })
}

func TestPostgresMigrateConcurrently(t *testing.T) {
	storetest.MigrateConcurrently(t, testsvc.Postgres(t))
}

func TestPostgresSQLiteOnlyFeatures(t *testing.T) {
	s := storetest.Open(t, testsvc.Postgres(t))
	if got := s.Dialect(); got != "postgres" {
		t.Errorf("Dialect() = %q; want postgres", got)
	}
	if _, err := s.Pragma(t.Context(), "foreign_keys"); err == nil {
		t.Error("Pragma on PostgreSQL = nil error")
	}
	if _, err := s.JobsDB(t.Context()); err == nil {
		t.Error("JobsDB on PostgreSQL = nil error")
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() = %v", err)
	}
}

func TestOpenPostgresUnreachable(t *testing.T) {
	// Nothing listens on port 1: the connection is refused at once.
	for _, dsn := range []string{
		"postgres://u:secret@127.0.0.1:1/db?sslmode=disable",
		"postgresql://u:secret@127.0.0.1:1/db", // sslmode=prefer: two attempts
	} {
		start := time.Now()
		_, err := sqlstore.Open(t.Context(), dsn, slog.New(slog.DiscardHandler))
		if err == nil {
			t.Fatalf("Open(%s) = nil error", dsn)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "sqlstore: cannot reach PostgreSQL at 127.0.0.1:1: ") {
			t.Errorf("Open(%s) = %q; want it to start %q", dsn, msg, "sqlstore: cannot reach PostgreSQL at 127.0.0.1:1: ")
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("Open(%s) error leaks the password: %s", dsn, msg)
		}
		if !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("Open(%s) = %v; want it to match fault.ErrUnavailable", dsn, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Open(%s) took %v to fail", dsn, d)
		}
	}
}

// TestOpenPostgresSilentServer: a server that accepts the connection but
// never answers is given up on after connect_timeout rather than waited on
// for ever.
func TestOpenPostgresSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	start := time.Now()
	_, err = sqlstore.Open(t.Context(), "postgres://u:secret@"+ln.Addr().String()+"/db?sslmode=disable&connect_timeout=1", slog.New(slog.DiscardHandler))
	if err == nil || !errors.Is(err, fault.ErrUnavailable) || !strings.Contains(err.Error(), "cannot reach PostgreSQL at "+ln.Addr().String()) {
		t.Errorf("Open(silent server) = %v; want cannot reach, unavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open(silent server) took %v; want about connect_timeout=1s", d)
	}
}

func TestOpenPostgresBadURL(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:secret@host:notaport/db",
		"postgres://u:secret@[::1/db",
		"postgresql://u:secret@h/db?sslmode=bogus",
		"postgres://u:secret@h/db?connect_timeout=soon",
		"postgres://u:secret@h/db?password=secret2&target_session_attrs=bogus",
		"postgres://u:secret/with/slash@h:5432/db?sslmode=bogus",
		"postgres://u:sec%zzret@h/db",
	} {
		_, err := sqlstore.Open(t.Context(), dsn, slog.New(slog.DiscardHandler))
		if err == nil {
			t.Errorf("Open(%q) = nil error", dsn)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "sqlstore: invalid PostgreSQL URL ") {
			t.Errorf("Open(%q) = %q; want an invalid URL error", dsn, msg)
		}
		if strings.Contains(msg, "secret") || strings.Contains(msg, "sec%zz") {
			t.Errorf("Open(%q) error leaks the password: %s", dsn, msg)
		}
		if errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("Open(%q) = %v; a bad URL is not an outage", dsn, err)
		}
	}
}

// TestOpenPostgresWrongPassword: a server that answers with a refusal is
// not an outage (retrying will not help), and the message names where.
func TestOpenPostgresWrongPassword(t *testing.T) {
	u, err := url.Parse(testsvc.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "wrong-secret")
	_, err = sqlstore.Open(t.Context(), u.String(), slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("Open(wrong password) = nil error")
	}
	if errors.Is(err, fault.ErrUnavailable) || strings.Contains(err.Error(), "wrong-secret") ||
		!strings.HasPrefix(err.Error(), "sqlstore: connect to PostgreSQL at "+u.Host) {
		t.Errorf("Open(wrong password) = %v", err)
	}
}

// TestPostgresUnavailable cuts the connection to a working server (a proxy
// in between stops) and expects every kind of call to report
// fault.ErrUnavailable, then to work again once the server is back.
func TestPostgresUnavailable(t *testing.T) {
	target, err := url.Parse(testsvc.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, target.Host)
	via := *target
	via.Host = p.addr
	s := storetest.Open(t, via.String())
	ctx := t.Context()
	u, err := s.CreateUser(ctx, auth.NewUser{User: auth.User{ID: sqlstore.NewID(), Email: "a@example.com", Name: "A", PasswordHash: "h"}})
	if err != nil {
		t.Fatal(err)
	}

	p.stop()
	checks := map[string]func() error{
		"Ping":      func() error { return s.Ping(ctx) },
		"UserByID":  func() error { _, err := s.UserByID(ctx, u.ID); return err },
		"CountUser": func() error { _, err := s.CountUsers(ctx); return err },
		"CreateUser": func() error {
			_, err := s.CreateUser(ctx, auth.NewUser{FirstIsAdmin: true, User: auth.User{ID: sqlstore.NewID(), Email: "b@example.com", Name: "B", PasswordHash: "h"}})
			return err
		},
		"SetUserName":   func() error { return s.SetUserName(ctx, u.ID, "x", time.Now()) },
		"SessionsOf":    func() error { _, err := s.SessionsOf(ctx, u.ID); return err },
		"DeleteExpired": func() error { _, err := s.DeleteExpiredSessions(ctx, time.Now(), time.Now()); return err },
		"ListAssets":    func() error { _, err := s.ListAssets(ctx, u.ID, false, nil, 10); return err },
		"Migrate":       func() error { _, err := s.Migrate(ctx); return err },
	}
	for name, call := range checks {
		err := call()
		if !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("%s with the server gone = %v; want fault.ErrUnavailable", name, err)
		}
	}

	p.start()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after the server is back = %v", err)
	}
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Errorf("UserByID after the server is back = %v", err)
	}
}

// proxy forwards TCP connections to a server until stopped, and then
// refuses new ones and cuts the open ones, as a server going down does.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
