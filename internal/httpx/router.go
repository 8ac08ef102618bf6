package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"safelight/internal/access"
	"safelight/internal/fault"
)

// HandlerFunc is a handler that returns its error to the router's adapter
// instead of writing it itself.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Kind says how a route answers errors and whom it authenticates.
type Kind int

const (
	// API routes answer JSON errors and accept session cookies or
	// personal access tokens (Authorization: Bearer).
	API Kind = iota
	// Page routes answer HTML and accept session cookies only.
	Page
	// Asset routes serve static files to anyone; they are cacheable.
	Asset
)

func (k Kind) String() string {
	switch k {
	case API:
		return "api"
	case Page:
		return "page"
	case Asset:
		return "asset"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Route is one registered route and its declared policy.
type Route struct {
	Pattern string
	Policy  access.Policy
	Kind    Kind
}

// Authenticator finds the caller of a request. It returns nil for an
// anonymous request (no credentials, or credentials that are not valid:
// expired, revoked, unknown), and an error only when it could not decide.
type Authenticator interface {
	Authenticate(r *http.Request, allowBearer bool) (*access.Principal, error)
}

// PageErrorRenderer writes an HTML error page.
type PageErrorRenderer func(w http.ResponseWriter, r *http.Request, e *Error)

// Router is an http.ServeMux on which every route must declare an access
// policy. The router enforces the policy before the handler runs, so a
// handler only ever sees callers its policy admits.
type Router struct {
	mux        *http.ServeMux
	routes     []Route
	authn      Authenticator
	log        *slog.Logger
	renderPage PageErrorRenderer
	signInPath string
	enrollPath string // where page routes send callers who must enrol MFA first
	denied     func(r *http.Request, d Denial)
}

// Denial is a refusal answered to a signed-in caller, as told to the
// function set with OnDenied (the security log's view of it).
type Denial struct {
	Caller *access.Principal
	// Policy names the route policy that refused the caller; "" when the
	// policy let them in and the handler answered 404, which may hide
	// another account's resource.
	Policy string
	Status int // what was answered
}

// NewRouter returns an empty router. signInPath is where page routes send
// anonymous visitors (with ?next=).
func NewRouter(authn Authenticator, signInPath string, log *slog.Logger) *Router {
	return &Router{mux: http.NewServeMux(), authn: authn, log: log.With("component", "http"), signInPath: signInPath,
		renderPage: plainErrorPage}
}

// SetMFAEnrollmentPath sets the page that GET page routes send callers
// to who must enrol a second factor before anything else
// (access.EnrollMFA). Without it they get the 403 page.
func (rt *Router) SetMFAEnrollmentPath(path string) { rt.enrollPath = path }

// SetPageErrorRenderer sets how page routes show errors.
func (rt *Router) SetPageErrorRenderer(f PageErrorRenderer) { rt.renderPage = f }

// OnDenied sets a function told of each refusal of a signed-in caller,
// once the answer is written: a route policy that hides the route (404)
// or asks for a session instead of a token (403), and a handler's 404. It
// sees r with its route pattern and path values, runs on the request's
// goroutine and cannot change the answer; it must return at once, since
// any work it did there could show in the answer's timing (for example,
// whether a hidden resource exists).
func (rt *Router) OnDenied(f func(r *http.Request, d Denial)) { rt.denied = f }

func (rt *Router) deny(r *http.Request, p *access.Principal, policy string, status int) {
	if rt.denied != nil && p != nil {
		rt.denied(r, Denial{Caller: p, Policy: policy, Status: status})
	}
}

// API registers a JSON API route.
func (rt *Router) API(pattern string, pol access.Policy, h HandlerFunc) {
	rt.handle(pattern, pol, API, h)
}

// Page registers an HTML page route.
func (rt *Router) Page(pattern string, pol access.Policy, h HandlerFunc) {
	rt.handle(pattern, pol, Page, h)
}

// Asset registers a public, cacheable static file handler.
func (rt *Router) Asset(pattern string, h http.Handler) {
	rt.register(Route{Pattern: pattern, Policy: access.Public, Kind: Asset}, h)
}

// Routes lists every registered route, in registration order.
func (rt *Router) Routes() []Route { return slices.Clone(rt.routes) }

func (rt *Router) register(r Route, h http.Handler) {
	if !r.Policy.Valid() {
		// A route without a policy is a programming error; fail at start.
		panic(fmt.Sprintf("httpx: route %q registered without an access policy", r.Pattern))
	}
	rt.routes = append(rt.routes, r)
	rt.mux.Handle(r.Pattern, h)
}

func (rt *Router) handle(pattern string, pol access.Policy, kind Kind, h HandlerFunc) {
	rt.register(Route{Pattern: pattern, Policy: pol, Kind: kind}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := rt.authn.Authenticate(r, kind == API)
		if err != nil && pol.IsPublic() && errors.Is(err, fault.ErrUnavailable) {
			// A public route needs no caller: with the database away,
			// serve it anonymously (health checks keep answering).
			rt.log.WarnContext(r.Context(), "authentication unavailable; serving a public route anonymously", "err", err)
			p, err = nil, nil
		}
		if err != nil {
			rt.fail(w, r, kind, err)
			return
		}
		if p != nil {
			noteCaller(r.Context(), p.UserID, string(p.Via))
		}
		switch access.Check(pol, p) {
		case access.Unauthenticated:
			if kind == Page && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				http.Redirect(w, r, rt.signInPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			rt.fail(w, r, kind, &Error{Status: http.StatusUnauthorized, Message: "sign-in required"})
			return
		case access.Hidden:
			rt.fail(w, r, kind, NotFound())
			rt.deny(r, p, pol.Name(), http.StatusNotFound)
			return
		case access.EnrollMFA:
			if kind == Page && rt.enrollPath != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				http.Redirect(w, r, rt.enrollPath, http.StatusSeeOther)
				return
			}
			rt.fail(w, r, kind, &Error{Status: http.StatusForbidden,
				Message: "set up two-step sign-in first: this account must use it",
				Fields:  map[string]any{"mfa_enrollment_required": true}})
			return
		case access.SessionRequired:
			rt.fail(w, r, kind, &Error{Status: http.StatusForbidden,
				Message: "sign in to change this: a personal access token cannot change passwords, second factors, sessions or tokens",
				Fields:  map[string]any{"session_required": true}})
			rt.deny(r, p, pol.Name(), http.StatusForbidden)
			return
		}
		r = r.WithContext(access.WithPrincipal(r.Context(), p))
		if err := h(w, r); err != nil {
			rt.fail(w, r, kind, err)
			if asError(err).Status == http.StatusNotFound {
				rt.deny(r, p, "", http.StatusNotFound)
			}
		}
	}))
}

// ServeHTTP dispatches to the registered routes.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

// fail writes err as the route kind's error response and logs causes of
// server errors with the request id.
func (rt *Router) fail(w http.ResponseWriter, r *http.Request, kind Kind, err error) {
	e := asError(err)
	if e.Status >= 500 {
		rt.log.ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	} else if e.Cause != nil {
		rt.log.DebugContext(r.Context(), "request refused", "request_id", RequestID(r.Context()), "status", e.Status, "err", e.Cause)
	}
	if errors.Is(r.Context().Err(), context.Canceled) {
		return // the client went away; nobody reads the answer
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	if secs, ok := e.Fields["retry_after_seconds"].(int); ok && e.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	if e.Status == http.StatusUnauthorized && kind == API {
		w.Header().Set("WWW-Authenticate", `Bearer realm="safelight"`)
	}
	if kind == Page {
		rt.renderPage(w, r, e)
		return
	}
	WriteAPIError(w, e)
}

// WriteAPIError writes e as {"error": message, ...fields}.
func WriteAPIError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"error": e.Message}
	for k, v := range e.Fields {
		body[k] = v
	}
	w.Header().Set("Cache-Control", "no-store")
	_ = WriteJSON(w, e.Status, body)
}

func plainErrorPage(w http.ResponseWriter, _ *http.Request, e *Error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(e.Status)
	fmt.Fprintln(w, strings.TrimSpace(e.Message))
}
