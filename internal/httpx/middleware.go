package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	nonceKey
	clientIPKey
)

// RequestID returns the id given to the request by Middleware.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Nonce returns the request's CSP nonce, for inline <script nonce=…>.
func Nonce(ctx context.Context) string {
	n, _ := ctx.Value(nonceKey).(string)
	return n
}

// ClientIP returns the client's address as Middleware determined it: the
// direct peer, or, when the peer is a trusted proxy, the address that proxy
// reports in X-Forwarded-For.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey).(string); ok {
		return ip
	}
	return peerIP(r)
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientIP believes X-Forwarded-For only as far as it was written by
// trusted proxies: walking from the right (the entry our own peer added),
// it skips trusted addresses and returns the first other one. Anything to
// its left was written by the client and may be forged.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := peerIP(r)
	if len(trusted) == 0 || !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, part := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(part))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage: stop believing the header here
		}
		if !isTrusted(addr.String(), trusted) {
			return addr.Unmap().String()
		}
		peer = addr.Unmap().String()
	}
	return peer
}

func isTrusted(ip string, trusted []netip.Prefix) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// SecurityOptions configure the headers every response carries.
type SecurityOptions struct {
	// HSTS adds Strict-Transport-Security (one year); set when the public
	// URL is https.
	HSTS bool
	// PageError renders refusals of requests outside /api/ as HTML pages;
	// nil means JSON everywhere.
	PageError PageErrorRenderer
	// TrustedProxies are the load balancers and reverse proxies whose
	// X-Forwarded-For is believed when they are the direct peer.
	TrustedProxies []netip.Prefix
	// NoReferrerPrefixes are path prefixes whose answers, refusals
	// included, send Referrer-Policy: no-referrer (paths that carry a
	// secret, such as review-link tokens).
	NoReferrerPrefixes []string
}

// Middleware wraps h with, from the outside in: panic recovery, request
// ids, access logging, security headers with a per-request CSP nonce, and
// cross-origin (CSRF) protection of every state-changing request.
func Middleware(h http.Handler, opts SecurityOptions, log *slog.Logger) http.Handler {
	log = log.With("component", "http")
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.WarnContext(r.Context(), "cross-origin request refused", "request_id", RequestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		e := Errorf(http.StatusForbidden, "cross-origin request refused")
		if opts.PageError != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Cache-Control", "no-store")
			opts.PageError(w, r, e)
			return
		}
		WriteAPIError(w, e)
	}))
	protected := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRandom(8)
		nonce := newRandom(16)
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), nonceKey, nonce)
		ctx = context.WithValue(ctx, clientIPKey, clientIP(r, opts.TrustedProxies))
		caller := new(requestCaller)
		ctx = context.WithValue(ctx, callerKey, caller)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(ctx, "panic", "request_id", id, "panic", v, "stack", string(debug.Stack()))
				if !sw.wrote {
					WriteAPIError(sw, Errorf(http.StatusInternalServerError, "internal error; the problem was logged"))
				}
			}
			attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", time.Since(start).Milliseconds()}
			if caller.userID != "" {
				attrs = append(attrs, "user", caller.userID, "via", caller.via)
			}
			log.InfoContext(ctx, "request", attrs...)
		}()
		hdr := w.Header()
		hdr.Set("X-Request-Id", id)
		hdr.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; "+
			"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "+
			"frame-ancestors 'none'; form-action 'self'")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		for _, prefix := range opts.NoReferrerPrefixes {
			if strings.HasPrefix(r.URL.Path, prefix) {
				hdr.Set("Referrer-Policy", "no-referrer")
			}
		}
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if opts.HSTS {
			hdr.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		protected.ServeHTTP(sw, r)
	})
}

// requestCaller is filled in by the router once it knows who is calling,
// so that the request's log line says who it was (ASVS 16.2.1).
type requestCaller struct{ userID, via string }

type callerKeyType struct{}

var callerKey callerKeyType

// noteCaller records the authenticated caller of r's request for its log
// line.
func noteCaller(ctx context.Context, userID, via string) {
	if c, ok := ctx.Value(callerKey).(*requestCaller); ok {
		c.userID, c.via = userID, via
	}
}

func newRandom(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	if n == 8 {
		return hex.EncodeToString(b)
	}
	return base64.RawStdEncoding.EncodeToString(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
