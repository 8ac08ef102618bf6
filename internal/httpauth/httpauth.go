// Package httpauth carries credentials between HTTP and package auth:
// session and device cookies, and Bearer personal access tokens.
package httpauth

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/ratelimit"
)

// Cookies names and writes Safelight's cookies. With Secure set (the
// public URL is https) the cookies carry the __Host- prefix, which makes
// browsers insist on Secure, Path=/ and no Domain, so no sibling host can
// set or shadow them. On plain-HTTP localhost they cannot, since browsers
// refuse Secure cookies over http from other hosts.
type Cookies struct {
	Secure bool
	// SessionMaxAge bounds the session cookie's life; the server-side
	// session decides the real end.
	SessionMaxAge time.Duration
}

// SessionName is the session cookie's name.
func (c Cookies) SessionName() string {
	if c.Secure {
		return "__Host-safelight_session"
	}
	return "safelight_session"
}

// DeviceName is the device cookie's name (see auth.Device).
func (c Cookies) DeviceName() string {
	if c.Secure {
		return "__Host-safelight_device"
	}
	return "safelight_device"
}

func (c Cookies) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	}
}

// SetSession stores a new session token in the browser.
func (c Cookies) SetSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, c.cookie(c.SessionName(), token, c.SessionMaxAge))
}

// Session returns the session token the browser sent, or "".
func (c Cookies) Session(r *http.Request) string {
	if ck, err := r.Cookie(c.SessionName()); err == nil {
		return ck.Value
	}
	return ""
}

// SignedIn puts the new session of a completed sign-in in the browser and
// ends the session the browser brought along, if any: one browser, one
// session (ASVS V7.2.4). Failing to end the old one does not undo the
// sign-in; it is logged by the caller's error path only if it matters.
func (c Cookies) SignedIn(w http.ResponseWriter, r *http.Request, svc *auth.Service, res auth.LoginResult, cl auth.Client) error {
	if old := c.Session(r); old != "" && old != res.SessionToken {
		if err := svc.EndReplacedSession(r.Context(), old, cl); err != nil {
			return err
		}
	}
	c.SetSession(w, res.SessionToken)
	if res.DeviceToken != "" {
		c.SetDevice(w, res.DeviceToken)
	}
	return nil
}

// ClearSession removes the session cookie.
func (c Cookies) ClearSession(w http.ResponseWriter) {
	ck := c.cookie(c.SessionName(), "", 0)
	ck.MaxAge = -1
	http.SetCookie(w, ck)
}

// SetDevice stores a device token for a year.
func (c Cookies) SetDevice(w http.ResponseWriter, token string) {
	http.SetCookie(w, c.cookie(c.DeviceName(), token, 365*24*time.Hour))
}

// Device returns the device token the browser sent, or "".
func (c Cookies) Device(r *http.Request) string {
	if ck, err := r.Cookie(c.DeviceName()); err == nil {
		return ck.Value
	}
	return ""
}

// PendingName names the cookie that carries a pending sign-in's token
// between the password step and the second factor (a code or a passkey).
func (c Cookies) PendingName() string {
	if c.Secure {
		return "__Host-safelight_pending"
	}
	return "safelight_pending"
}

// SetPending stores a pending sign-in token for as long as it is valid on
// the server (auth.PendingLoginTTL); the server decides the real end.
func (c Cookies) SetPending(w http.ResponseWriter, token string) {
	http.SetCookie(w, c.cookie(c.PendingName(), token, auth.PendingLoginTTL))
}

// ClearPending removes the pending sign-in cookie.
func (c Cookies) ClearPending(w http.ResponseWriter) {
	ck := c.cookie(c.PendingName(), "", 0)
	ck.MaxAge = -1
	http.SetCookie(w, ck)
}

// Pending returns the pending sign-in token the browser sent, or "".
func (c Cookies) Pending(r *http.Request) string {
	if ck, err := r.Cookie(c.PendingName()); err == nil {
		return ck.Value
	}
	return ""
}

// Authenticator implements httpx.Authenticator on top of auth.Service.
type Authenticator struct {
	Auth    *auth.Service
	Cookies Cookies
	// Limits, when set, bounds wrong bearer tokens per client address
	// (ratelimit.BadCredentials): past the limit, requests presenting a
	// bearer token are refused before the token is looked at.
	Limits *ratelimit.Limiter
	// ClientIP gives the request's client address (httpx.ClientIP).
	ClientIP func(*http.Request) string
	// Audit, when set, records wrong bearer tokens (audit.TokenInvalid,
	// once per address and EventWindow) and the first refusal of a
	// window of the wrong-token limit (audit.RateLimited).
	Audit *audit.Recorder
}

// Authenticate returns the caller of r, or nil when r carries no valid
// credentials. A Bearer header is honoured only when allowBearer is set
// (API routes); a request with both a Bearer header and a cookie is judged
// by the header alone.
func (a *Authenticator) Authenticate(r *http.Request, allowBearer bool) (*access.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" && allowBearer {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, nil
		}
		token = strings.TrimSpace(token)
		if a.Limits == nil {
			p, err := a.Auth.AuthenticateToken(r.Context(), token)
			if errors.Is(err, auth.ErrUnauthenticated) {
				a.recordWrongToken(r, "", token)
			}
			return orAnonymous(p, err)
		}
		ip := a.ClientIP(r)
		subject := ratelimit.Address(ip)
		if err := a.Limits.Check(r.Context(), ratelimit.BadCredentials, subject); err != nil {
			a.recordLimited(r, ip, err)
			return nil, err
		}
		p, err := a.Auth.AuthenticateToken(r.Context(), token)
		if errors.Is(err, auth.ErrUnauthenticated) {
			a.recordWrongToken(r, ip, token)
			if err := a.Limits.Allow(r.Context(), ratelimit.BadCredentials, subject); err != nil {
				a.recordLimited(r, ip, err)
				return nil, err
			}
		}
		return orAnonymous(p, err)
	}
	ck, err := r.Cookie(a.Cookies.SessionName())
	if err != nil {
		return nil, nil
	}
	return orAnonymous(a.Auth.AuthenticateSession(r.Context(), ck.Value))
}

// recordWrongToken records a bearer token that matched no token
// (audit.TokenInvalid), once per client address and EventWindow. The event
// names the token's type marker only: the rest is the secret, or for a
// wrong guess, something like it.
func (a *Authenticator) recordWrongToken(r *http.Request, ip, token string) {
	if a.Audit == nil {
		return
	}
	if ip == "" && a.ClientIP != nil {
		ip = a.ClientIP(r)
	}
	c := ClientOf(r, ip)
	ev := SecurityEvents{Audit: a.Audit, Limits: a.Limits}
	ev.Record(r.Context(), ratelimit.Address(ip), audit.Event{Type: audit.TokenInvalid, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"token_prefix": tokenMarker(token)}})
}

// recordLimited records a refusal by the wrong-token limit
// (audit.RateLimited), once per address and EventWindow. The refusal comes
// from Check, before the token is looked at, so LimitedError.First (set
// only by a counting Allow) cannot mark the first one here.
func (a *Authenticator) recordLimited(r *http.Request, ip string, err error) {
	var le *ratelimit.LimitedError
	if a.Audit == nil || !errors.As(err, &le) {
		return
	}
	c := ClientOf(r, ip)
	ev := SecurityEvents{Audit: a.Audit, Limits: a.Limits}
	ev.Record(r.Context(), ratelimit.Address(ip), audit.Event{Type: audit.RateLimited, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"rule": le.Rule}})
}

// tokenMarker returns the type marker that starts every Safelight secret
// ("slp_" for a personal access token, "sls_" for a session…) when token
// begins with one, and "none" otherwise. Nothing after the marker is ever
// returned, and a token of another form gives nothing of itself away: it
// may be a password pasted into the wrong place.
func tokenMarker(token string) string {
	if len(token) > 4 && token[0] == 's' && token[1] == 'l' && 'a' <= token[2] && token[2] <= 'z' && token[3] == '_' {
		return token[:4]
	}
	return "none"
}

func orAnonymous(p *access.Principal, err error) (*access.Principal, error) {
	if errors.Is(err, auth.ErrUnauthenticated) {
		return nil, nil
	}
	return p, err
}

// ClientOf describes r's origin for sessions and audit events.
func ClientOf(r *http.Request, ip string) auth.Client {
	return auth.Client{IP: ip, UserAgent: r.UserAgent()}
}

// LimitedEvent is the security event for err when it is the first refusal
// of a rate-limit window (ratelimit.LimitedError.First); later refusals in
// the window, and other errors, give none. userID is the account the limit
// counted, or "" for a per-address limit.
func LimitedEvent(err error, userID string, c auth.Client) (audit.Event, bool) {
	var le *ratelimit.LimitedError
	if !errors.As(err, &le) || !le.First {
		return audit.Event{}, false
	}
	return audit.Event{Type: audit.RateLimited, ActorID: userID, SubjectID: userID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"rule": le.Rule}}, true
}
