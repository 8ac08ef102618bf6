// Package web serves Safelight's HTML pages: sign-up, sign-in, the
// library (grid, viewer, upload, trash) and the account page. Pages are rendered on the server with
// html/template; templates, the stylesheet, the icon sprite and the few
// small scripts are embedded in the binary and parsed once, in New.
//
// Handlers live one per file, named after the noun and the verb they serve
// (login_submit.go, account_token_create.go). Each returns its error to the
// router, whose adapter shows it with RenderError.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/mail"
	"safelight/internal/privacy"
	"safelight/internal/ratelimit"
	"safelight/internal/sharing"
)

//go:embed templates static
var files embed.FS

// Options are what the pages need.
type Options struct {
	Auth      *auth.Service
	Audit     *audit.Recorder
	Library   *library.Service
	Cookies   httpauth.Cookies
	PublicURL string // scheme and host, no trailing slash; used in invitation links
	Log       *slog.Logger
	// Limits, when set, applies the abuse limits to sign-in and sign-up.
	Limits *ratelimit.Limiter
	// Outbox, when set, is the development outbox shown to the admin.
	Outbox *mail.Outbox
	// Sharing runs projects, members and review links; it decides every
	// grant the project and share pages act on.
	Sharing *sharing.Service
	// Calls runs organizations, calls for entries, juries and results.
	Calls *calls.Service
	// Instance names the operator in consent receipts.
	Instance privacy.Instance
	// Ledger lists every consent record of an account (privacy center).
	Ledger *privacy.Ledger
	// Notifications gives and withdraws the consent to the optional
	// e-mails (sign-up form, privacy center); nil hides them.
	Notifications *privacy.Notifications
	// Exports and Erasure run the privacy center's export and erasure.
	Exports *privacy.Exports
	Erasure *privacy.Eraser
	// Processing is the instance's records of processing, shown at
	// /privacy (privacy_page.go).
	Processing *privacy.Registry
	// RootKey reports the root key version this process wraps with and
	// whether stored keys still wait for "safelight root-key rewrap"; the
	// admin sees it among the instance settings. Nil hides it.
	RootKey func(context.Context) (version int, rewrapPending bool, err error)
}

// Pages is the HTML user interface. It is safe for concurrent use.
type Pages struct {
	opts      Options
	log       *slog.Logger
	templates map[string]*template.Template // by page name
	static    fs.FS                         // the embedded static directory
	assets    map[string]string             // static file name → short content hash
	importMap template.HTML                 // JSON import map: module path → hashed URL
	icons     map[string]bool               // symbol ids in icons.svg
}

// pageSamples names every page template and gives a zero value of the data
// it renders. New executes each once with it, so a template that does not
// parse, escape or fit its data fails at start, not on a visitor's request.
var pageSamples = map[string]any{
	"login":   loginData{},
	"signup":  signupData{NotificationsSHA: "x", NotificationsText: []string{"x"}, NotificationsError: "x"},
	"library": libraryData{Tiles: []tile{{Status: "ready"}, {Status: "processing"}, {Status: "failed"}}},
	"upload":  uploadData{},
	"asset":   assetData{Status: "ready", Groups: []detailGroup{{Rows: []detailRow{{List: []string{""}}}}}, Access: []accessRow{{}}},
	"trash":   trashData{Items: []tile{{Status: "ready"}, {Status: "processing"}}},
	"account": accountData{},
	// Two-step sign-in: the code page, and the enrolment page in its states.
	"login_code": loginCodeData{},
	"mfa":        mfaData{Enabled: true, Setup: &totpSetup{}, RecoveryCodes: []string{""}},
	// Password reset, address verification, the development outbox.
	"forgot_password": forgotData{},
	"reset_password":  resetData{Token: "x"},
	"verify_email":    verifyData{Token: "x"},
	"outbox":          outboxData{Items: []outboxRow{{}}},
	"staff":           staffData{Roles: []string{"x"}, MFAOff: true, Support: true, Searched: true, Found: []staffAccountRow{{Staff: true}}, Security: true, Events: []staffEventRow{{}}, DPO: true, Requests: []staffRequestRow{{Kind: "erasure", Due: "x"}}, Breaches: []staffBreachRow{{}}, Admin: true, Settings: []staffCount{{}}, Categories: []string{"x"}},
	"staff_account":   staffAccountData{Counts: []staffCount{{}}, Done: "x", Error: "x"},
	"admin_users":     adminUsersData{Error: "x", Accounts: []adminAccountRow{{Self: true, CanEndSessions: true}, {Disabled: true}, {CanEndSessions: true}}},
	"error":           errorData{},
	// The guest pages of review links (share_*.go).
	"share_unlock": shareData{Error: "x"},
	"share_guest":  shareData{Error: "x", NameError: "x", EmailError: "x", Description: "x"},
	"share":        shareData{Description: "x"},
}

// New checks opts and parses the templates once. It fails on any template
// error.
func New(opts Options) (*Pages, error) {
	if opts.Auth == nil || opts.Audit == nil || opts.Library == nil {
		return nil, errors.New("web: Options.Auth, Options.Audit and Options.Library are required")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	opts.PublicURL = strings.TrimSuffix(opts.PublicURL, "/")
	p := &Pages{opts: opts, log: opts.Log.With("component", "web"), templates: make(map[string]*template.Template)}

	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	p.static = static
	if p.assets, err = hashAssets(static); err != nil {
		return nil, err
	}
	if p.importMap, err = importMap(p.assets); err != nil {
		return nil, err
	}
	sprite, err := fs.ReadFile(static, "icons.svg")
	if err != nil {
		return nil, fmt.Errorf("web: icon sprite: %w", err)
	}
	p.icons = symbolIDs(sprite)

	base, err := template.New("layout").Funcs(p.funcs()).ParseFS(files, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	for name, sample := range pageSamples {
		t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		if err := t.ExecuteTemplate(&bytes.Buffer{}, "layout", view{Title: name, Data: sample}); err != nil {
			return nil, fmt.Errorf("web: check template %s: %w", name, err)
		}
		p.templates[name] = t
	}
	return p, nil
}

// Register adds every page route with its policy, and the static files.
func (p *Pages) Register(rt *httpx.Router) {
	rt.Asset("GET /static/", p.staticHandler())

	rt.Page("GET /{$}", access.Public, p.showHome)
	rt.Page("GET /login", access.Public, p.showLogin)
	rt.Page("POST /login", access.Public, p.limitByAddress(ratelimit.Login, p.submitLogin))
	rt.Page("GET /signup", access.Public, p.showSignup)
	rt.Page("POST /signup", access.Public, p.limitByAddress(ratelimit.Signup, p.submitSignup))
	rt.Page("POST /logout", access.Public, p.submitLogout)
	rt.Page("GET /login/code", access.Public, p.showLoginCode)
	rt.Page("POST /login/code", access.Public, p.submitLoginCode)
	rt.Page("GET /forgot-password", access.Public, p.showForgotPassword)
	rt.Page("POST /forgot-password", access.Public, p.limitByAddress(ratelimit.PasswordReset, p.submitForgotPassword))
	rt.Page("GET /reset-password", access.Public, p.showResetPassword)
	rt.Page("POST /reset-password", access.Public, p.submitResetPassword)
	rt.Page("GET /verify-email", access.Public, p.showVerifyEmail)
	rt.Page("POST /verify-email", access.Public, p.submitVerifyEmail)
	rt.Page("GET /confirm-email-change", access.Public, p.showConfirmEmailChange)
	rt.Page("POST /confirm-email-change", access.Public, p.submitConfirmEmailChange)
	rt.Page("GET /admin/outbox", access.Admin, p.showOutbox)
	p.registerAdminUsers(rt)
	p.registerStaff(rt) // staff.go: the staff console

	rt.Page("GET /library", access.Authenticated, p.showLibrary)
	rt.Page("GET /library/{id}", access.Authenticated, p.showAsset)
	rt.Page("POST /library/{id}/trash", access.Authenticated, p.trashAsset)
	rt.Page("POST /library/{id}/restore", access.Authenticated, p.restoreAsset)
	rt.Page("GET /upload", access.Authenticated, p.showUpload)
	rt.Page("GET /trash", access.Authenticated, p.showTrash)
	rt.Page("POST /trash/empty", access.Authenticated, p.emptyTrash)
	p.registerProjects(rt) // projects_pages.go
	p.registerShare(rt)    // share_show.go: review links

	p.registerCallPages(rt)     // calls_public.go
	p.registerReceipts(rt)      // consent_receipt.go
	p.registerPrivacyCenter(rt) // privacy_center.go
	p.registerTerms(rt)         // terms_page.go
	p.registerOrgPages(rt)      // orgs_pages.go
	p.registerPrivacyPage(rt)

	rt.Page("GET /account", access.Authenticated, p.showAccount)
	rt.Page("POST /account/name", access.Authenticated, p.updateAccountName)
	rt.Page("GET /account/email", access.AccountSecurity, p.showAccountEmail)
	rt.Page("POST /account/email", access.AccountSecurity, p.submitAccountEmail)
	rt.Page("POST /account/password", access.Authenticated, p.updateAccountPassword)
	rt.Page("POST /account/library-settings", access.Authenticated, p.updateAccountLibrarySettings)
	rt.Page("POST /account/sessions/revoke-others", access.Authenticated, p.revokeOtherAccountSessions)
	rt.Page("POST /account/sessions/{id}/revoke", access.Authenticated, p.revokeAccountSession)
	rt.Page("POST /account/tokens", access.Authenticated, p.createAccountToken)
	rt.Page("POST /account/tokens/{id}/revoke", access.Authenticated, p.revokeAccountToken)
	rt.Page("POST /account/invites", access.Admin, p.createAccountInvite)
	rt.Page("GET "+MFAEnrollmentPath, access.MFAEnrolment, p.showMFA)
	rt.Page("POST /account/mfa/totp", access.MFAEnrolment, p.createMFATOTP)
	rt.Page("POST /account/mfa/totp/confirm", access.MFAEnrolment, p.confirmMFATOTP)
	rt.Page("POST /account/mfa/disable", access.Authenticated, p.disableMFA)
	rt.Page("POST /account/mfa/recovery-codes", access.Authenticated, p.regenerateRecoveryCodes)

	// Everything else is a page that does not exist.
	rt.Page("/", access.Public, p.showNotFound)
}

// view is what the layout renders: the page's own data sits in Data.
type view struct {
	Title    string // the page part of <title>, before "· Safelight"
	Page     string // page name, used as a body class
	Nav      string // which navigation entry is current: "library", "projects", "upload", "trash", "account", "admin" or ""
	SignedIn bool
	Admin    bool   // the caller is an instance admin: the nav links the accounts page
	Nonce    string // CSP nonce of the request
	Flash    string // one-line notice after a redirect
	Unread   int    // unread notifications, badged on the Projects link
	Jury     bool   // invited to a jury round: the nav links /jury (jury_list.go)
	Staff    bool   // holds a staff role (support, dpo, security): the nav links /staff
	Script   string // static module to load, or ""
	Data     any
}

// newView starts the view of a page for request r.
func (p *Pages) newView(r *http.Request, page, title string, data any) view {
	script := ""
	if (page == "login" || page == "mfa" || page == "account") && p.opts.Auth.PasskeysEnabled() {
		script = "passkey.js" // sign in with a passkey; manage passkeys; confirm changes with one
	}
	return view{
		Script:   script,
		Title:    title,
		Page:     page,
		SignedIn: access.PrincipalFrom(r.Context()) != nil,
		Admin:    access.PrincipalFrom(r.Context()).Has(access.RoleAdmin),
		Nonce:    httpx.Nonce(r.Context()),
		Unread:   p.unreadNotifications(r), // projects_notifications.go
		Jury:     p.invitedToJudge(r),      // jury_list.go
		Staff:    isStaff(access.PrincipalFrom(r.Context())),
		Data:     data,
	}
}

// render executes page into a buffer first, so that a template failure
// becomes a clean error page instead of half a page.
func (p *Pages) render(w http.ResponseWriter, status int, page string, v view) error {
	t, ok := p.templates[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // a client that went away is not an error of ours
	return nil
}

func (p *Pages) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":     p.assetURL,
		"icon":      p.icon,
		"importMap": func() template.HTML { return p.importMap },
	}
}

// assetURL returns the URL of a static file with its content hash, so a
// new release is never served an old cached stylesheet.
func (p *Pages) assetURL(name string) (string, error) {
	v, ok := p.assets[name]
	if !ok {
		return "", fmt.Errorf("web: unknown static file %q", name)
	}
	return "/static/" + name + "?v=" + v, nil
}

// importMap maps every script module to its URL with the content hash, so
// that modules importing each other ("./upload.js") also never mix an old
// cached file with a new one. It is JSON from our own file names, with
// <, > and & escaped by encoding/json: safe inside a <script> element.
func importMap(assets map[string]string) (template.HTML, error) {
	imports := make(map[string]string)
	for name, v := range assets {
		if strings.HasSuffix(name, ".js") {
			imports["/static/"+name] = "/static/" + name + "?v=" + v
		}
	}
	b, err := json.Marshal(map[string]any{"imports": imports})
	if err != nil {
		return "", fmt.Errorf("web: import map: %w", err)
	}
	return template.HTML(b), nil
}

// icon returns an inline <svg> that uses a symbol of the sprite. Icons are
// decorative: the text beside them carries the meaning.
func (p *Pages) icon(id string) (template.HTML, error) {
	if !p.icons[id] {
		return "", fmt.Errorf("web: no icon %q in icons.svg", id)
	}
	href, err := p.assetURL("icons.svg")
	if err != nil {
		return "", err
	}
	return template.HTML(`<svg class="icon" aria-hidden="true" focusable="false"><use href="` +
		template.HTMLEscapeString(href+"#"+id) + `"></use></svg>`), nil
}

func hashAssets(static fs.FS) (map[string]string, error) {
	assets := make(map[string]string)
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		assets[name] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return assets, nil
}

// symbolIDs lists the id="…" attributes of <symbol> elements in a sprite.
func symbolIDs(sprite []byte) map[string]bool {
	ids := make(map[string]bool)
	for _, part := range strings.Split(string(sprite), "<symbol")[1:] {
		_, rest, ok := strings.Cut(part, `id="`)
		if !ok {
			continue
		}
		if id, _, ok := strings.Cut(rest, `"`); ok {
			ids[id] = true
		}
	}
	return ids
}

// staticHandler serves the embedded static files, and nothing else: no
// directory listings.
func (p *Pages) staticHandler() http.Handler {
	files := http.FileServerFS(p.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean(strings.TrimPrefix(r.URL.Path, "/static/"))
		v, ok := p.assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("ETag", `"`+v+`"`)
		if path.Ext(name) == ".svg" {
			// The file server's type has no charset; SVG is XML text.
			w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	})
}

// client describes the request's origin for sessions and audit events.
func client(r *http.Request) auth.Client { return httpauth.ClientOf(r, httpx.ClientIP(r)) }

// principal returns the caller, nil when anonymous. Routes with a
// non-public policy always have one.
func principal(r *http.Request) *access.Principal { return access.PrincipalFrom(r.Context()) }

// maxFormBytes bounds every form body; no page form comes near it.
const maxFormBytes = 64 << 10

// parseForm reads a POSTed form, refusing oversized bodies.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err // the router's adapter answers 413
		}
		return &httpx.Error{Status: http.StatusBadRequest, Message: "the form could not be read", Cause: err}
	}
	return nil
}

// sentence turns a user-safe error text such as "enter a valid e-mail
// address" into a sentence for display.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	first, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(first)) + s[size:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}
