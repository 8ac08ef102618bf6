// Package app wires Safelight together: configuration → stores → services
// → HTTP, and the order things start and stop in. It is the only package
// that knows the concrete backends.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"safelight/internal/api"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/blob/disk"
	"safelight/internal/blob/s3"
	"safelight/internal/calls"
	"safelight/internal/config"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/jobs"
	"safelight/internal/keys"
	"safelight/internal/library"
	"safelight/internal/mail"
	"safelight/internal/media"
	"safelight/internal/metrics"
	"safelight/internal/privacy"
	"safelight/internal/ratelimit"
	"safelight/internal/sharing"
	"safelight/internal/sqlstore"
	"safelight/internal/web"
)

// App is a configured instance: open stores, services and the HTTP handler.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	store   *sqlstore.Store
	blobs   blob.Store
	root    keys.RootKey
	Keyring *keys.Keyring
	Sealer  *keys.Sealer
	Auth    *auth.Service
	Audit   *audit.Recorder
	chain   *audit.Checkpointer // signs the audit chain's head now and then (audit_config.go)
	Library *library.Service
	Sharing *sharing.Service
	Calls   *calls.Service
	Erasure *privacy.Eraser  // account erasure (Art. 17) and the journal replay; see backup.go
	Exports *privacy.Exports // access and portability (Art. 15, 20)
	Ledger  *privacy.Ledger  // what people agreed to at sign-up (privacy.go)
	queue   *jobs.Queue
	jobsDB  *sql.DB          // SQLite: the queue's own handle
	jobsPG  *pgxpool.Pool    // PostgreSQL: the queue's pool
	Metrics *metrics.Metrics // nil unless --metrics-listen is set
	Outbox  *mail.Outbox     // the development outbox (mail.go)
	mailer  mail.Mailer      // what sends mail: SMTP, the outbox, or nothing (mail.go)
	// pwned is the --breached-passwords list; nil without it.
	pwned   *auth.BreachedPasswords
	router  *httpx.Router
	Denied  *api.DeniedRecorder // records failed authorization off the answers' path
	handler http.Handler
	tls     *tlsServing // nil unless the server terminates TLS itself

	// Retention deletes what has outlived its storage period (Art.
	// 5(1)(e)), also sweeping sessions, unlocks and counters.
	Retention *privacy.Retention
	// Notifications is the consent to the optional e-mails ("review
	// done", "deadline reminder"): sharing and calls send them only
	// while it is live.
	Notifications *privacy.Notifications
}

// New opens the root key, the metadata store (migrating it) and the blob
// store, and builds the services and the HTTP handler. The caller must
// Close the App.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *App, err error) {
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.Close() // what was opened before the failure
		}
	}()

	if cfg.TLSEnabled() {
		// First: a bad certificate stops the start before anything opens.
		if a.tls, err = newTLSServing(cfg, log); err != nil {
			return nil, err
		}
	}
	if cfg.BreachedPasswords != "" {
		// Also before anything opens: a missing or wrong file stops the start.
		if a.pwned, err = auth.OpenBreachedPasswords(cfg.BreachedPasswords); err != nil {
			return nil, err
		}
	}
	if a.root, err = loadRootKey(cfg); err != nil {
		return nil, err
	}
	a.store, err = sqlstore.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := keys.VerifyRootKey(ctx, a.root, a.store); errors.Is(err, keys.ErrWrongRootKey) {
		return nil, fmt.Errorf("root key file %s is not the key this database was set up with: every replica must be given the same file (a different key could open no image)", cfg.RootKeyFile)
	} else if err != nil {
		return nil, err
	}
	// After a root key rotation the stored keys move to the new version
	// only when the operator says every process has it.
	if v, pending, err := a.RootKeyStatus(ctx); err != nil {
		return nil, err
	} else if pending {
		log.Warn(`stored keys are wrapped with an older root key version than the file's newest: once every process has this file, run "safelight root-key rewrap"`,
			"root_version", v)
	}
	a.blobs, err = openBlobs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.Keyring = keys.NewKeyring(a.root, a.store)
	a.Sealer = keys.NewSealer(a.Keyring, a.blobs)
	a.Audit = audit.NewRecorder(a.store, log)
	if a.chain, err = newCheckpointer(a.root, a.store, log); err != nil {
		return nil, err
	}
	if cfg.MetricsListen != "" {
		a.Metrics = metrics.New()
	}

	if err := media.Start(media.StartOptions{Logger: log}); err != nil {
		return nil, err
	}
	jobOpts := jobs.DefaultOptions()
	jobOpts.Workers = cfg.JobWorkers
	jobOpts.PollInterval = 200 * time.Millisecond
	jobOpts.PausedRetry = time.Minute // a lifted restriction resumes derivatives within a minute
	jobOpts.Observe = a.Metrics.ObserveJob
	if err := a.openQueue(ctx, jobOpts); err != nil {
		return nil, err
	}
	a.Metrics.WatchQueue(a.queue.Depth, log)
	libCfg := library.DefaultConfig()
	libCfg.MaxUploadBytes = int64(cfg.MaxUploadSize)
	libCfg.Limits = media.Limits{MaxPixels: int64(cfg.MaxMegapixels) * 1_000_000}
	libCfg.MemoryBudget = int64(cfg.IngestMemory)
	libCfg.TrashRetention = cfg.TrashRetention
	a.Library = library.New(a.store, a.Sealer, a.Keyring, a.queue, libCfg, log)

	authCfg := auth.DefaultConfig()
	authCfg.SessionIdle = cfg.SessionIdle
	authCfg.SessionMaxAge = cfg.SessionMaxAge
	authCfg.Signup = auth.SignupPolicy(cfg.Signup)
	authCfg.MFA = auth.MFAPolicy(cfg.MFAPolicy)
	authCfg.StaffMFA = auth.MFAPolicy(cfg.StaffMFA)
	authCfg.PublicURL = cfg.PublicURL
	authCfg.BreachedPasswords = a.pwned
	a.Auth, err = auth.NewService(a.store, a.Audit, authCfg, log)
	if err != nil {
		return nil, err
	}
	if err := a.setUpMail(cfg); err != nil {
		return nil, err
	}
	// TOTP secrets are sealed to their owner like private asset fields.
	a.Auth.UseMFA(a.store, a.Sealer, mfaIssuer(cfg.PublicURL))
	a.Auth.UseStaff(a.store) // support, dpo, security (auth/staff.go)
	// Restriction of processing (Art. 18): uploads refused, derivatives wait.
	a.Library.SetRestrictionCheck(a.Auth.IsRestricted)
	if cfg.StaffMFA == "optional" {
		log.Warn("INSECURE: --staff-mfa=optional: admins and staff can sign in without a second factor; use this only to evaluate Safelight on your own machine, never for real accounts")
	}
	// Passkeys: the RP ID is the public URL's host, the origin the URL's.
	// WebAuthn has no IP-address relying parties: such an instance runs
	// without passkeys (their routes answer 404) and says so.
	if err := a.Auth.UsePasskeys(a.store, cfg.PublicURL, mfaIssuer(cfg.PublicURL)); errors.Is(err, auth.ErrPasskeysNeedDomain) {
		log.Warn("passkeys are off: the public URL's host is an IP address", "public_url", cfg.PublicURL)
	} else if err != nil {
		return nil, err
	}

	shareCfg := sharing.DefaultConfig()
	shareCfg.MaxLinkTTL = cfg.ReviewLinkMaxAge
	shareCfg.LinkTTL = min(shareCfg.LinkTTL, cfg.ReviewLinkMaxAge)
	a.Sharing, err = sharing.NewService(a.store, a.Library, a.Auth, a.Audit, shareCfg, log)
	if err != nil {
		return nil, err
	}
	a.Sharing.SetMail(a.mailer, cfg.PublicURL)
	a.Calls = calls.NewService(a.store, a.Library, a.Sealer, a.Auth, a.Audit, calls.DefaultConfig(), log)
	a.Calls.SetMail(a.mailer, cfg.PublicURL)
	a.Notifications = privacy.NewNotifications(a.store, log)
	a.Sharing.SetOptionalMailConsent(a.optionalMailAllowed)
	a.Calls.SetOptionalMailConsent(a.optionalMailAllowed)
	a.Calls.HandleWithdrawal(privacy.ConsentEmailNotifications, a.Notifications.WithdrawRecord)
	if err := a.queue.AddTask(jobs.Task{Name: "call_reminders", Every: time.Hour, Run: a.Calls.SendReminders}); err != nil {
		return nil, err
	}
	if err := a.setUpErasure(cfg, log); err != nil {
		return nil, err
	}
	// Exports are built by this task (and, sooner, by a build the request
	// starts in the background); the task also deletes expired ones.
	exportCfg := privacy.DefaultExportConfig()
	exportCfg.Processing = privacy.ProcessingText(processingRegistry(cfg))
	a.recordSignups(cfg, log)
	a.Exports = privacy.NewExports(a.store, a.Library, a.Sealer, exportCfg, log)
	if err := a.queue.AddTask(jobs.Task{Name: "build_exports", Every: time.Minute, Run: a.Exports.BuildPending}); err != nil {
		return nil, err
	}
	a.Retention = privacy.NewRetention(a.store, privacy.RetentionSweeps{
		Trash: a.Library.PurgeTrash, Sessions: a.Auth.SweepSessions, Unlocks: a.Sharing.SweepUnlocks, Exports: a.Exports.Sweep,
		EndedLinks: a.Sharing.DeleteLinksEndedBefore, Eraser: a.Erasure,
		AuditLog: a.store.PruneAuditChain, AuditRetention: cfg.AuditRetention,
	}, a.Audit, log)
	if err := a.queue.AddTask(jobs.Task{Name: "enforce_retention", Every: time.Hour, Run: a.Retention.Run}); err != nil {
		return nil, err
	}

	cookies := httpauth.Cookies{Secure: cfg.SecureCookies(), SessionMaxAge: cfg.SessionMaxAge}
	rules, err := ratelimit.Parse(cfg.RateLimits)
	if err != nil {
		return nil, err // Load validated it already
	}
	limits := ratelimit.New(a.store, rules)
	a.router = httpx.NewRouter(&httpauth.Authenticator{Auth: a.Auth, Cookies: cookies, Limits: limits, ClientIP: httpx.ClientIP, Audit: a.Audit}, "/login", log)
	apiServer := &api.Server{Auth: a.Auth, Audit: a.Audit, Library: a.Library, Cookies: cookies, PublicURL: cfg.PublicURL, Ready: a.ready, Limits: limits}
	apiServer.Outbox = a.Outbox
	apiServer.Sharing = a.Sharing
	apiServer.Calls = a.Calls
	apiServer.Erasure = a.Erasure
	apiServer.Exports = a.Exports
	apiServer.Instance = privacyInstance(cfg)
	apiServer.Ledger = a.Ledger
	apiServer.Notifications = a.Notifications
	apiServer.Watermark = watermarkPreview
	processing := processingRegistry(cfg) // processing_registry.go
	apiServer.Processing = &processing
	if a.Metrics != nil {
		apiServer.Uploads = a.Metrics
	}
	apiServer.Register(a.router)
	pages, err := web.New(web.Options{Auth: a.Auth, Audit: a.Audit, Library: a.Library, Cookies: cookies, PublicURL: cfg.PublicURL, Log: log, Limits: limits, Outbox: a.Outbox, Sharing: a.Sharing, Calls: a.Calls, Instance: privacyInstance(cfg), Ledger: a.Ledger, Exports: a.Exports, Erasure: a.Erasure, Processing: &processing, Notifications: a.Notifications, RootKey: a.RootKeyStatus})
	if err != nil {
		return nil, err
	}
	pages.Register(a.router)
	a.router.SetPageErrorRenderer(pages.RenderError)
	a.router.SetMFAEnrollmentPath(web.MFAEnrollmentPath)
	a.Denied = api.NewDeniedRecorder(a.Audit, limits, a.Library, log)
	a.router.OnDenied(a.Denied.Denied)
	proxies, err := cfg.TrustedProxyPrefixes()
	if err != nil {
		return nil, err // Load validated it already
	}
	a.handler = httpx.Middleware(a.Metrics.Instrument(a.router), httpx.SecurityOptions{
		HSTS: cfg.SecureCookies(), PageError: pages.RenderError, TrustedProxies: proxies,
		NoReferrerPrefixes: []string{"/s/", "/api/v1/links/"}}, log)
	return a, nil
}

// mfaIssuer names the instance in authenticator apps: "Safelight
// (host)", so that two instances are told apart.
func mfaIssuer(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		return "Safelight (" + u.Hostname() + ")"
	}
	return "Safelight"
}

// loadRootKey opens the instance root key. In embedded mode the first start
// creates it. Replicas sharing PostgreSQL never do: each must be given the
// same key file, made once with "safelight root-key create".
func loadRootKey(cfg config.Config) (keys.RootKey, error) {
	if !strings.HasPrefix(cfg.DB, "postgres") {
		return keys.LoadOrCreateRootKeyFile(cfg.RootKeyFile)
	}
	k, err := keys.LoadRootKeyFile(cfg.RootKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("root key file %s does not exist: with a shared PostgreSQL database every replica must use the same root key; create it once with \"safelight root-key create %s\" and give that file to every replica", cfg.RootKeyFile, cfg.RootKeyFile)
	}
	return k, err
}

func openBlobs(ctx context.Context, cfg config.Config) (blob.Store, error) {
	if dir, ok := cfg.BlobDir(); ok {
		return disk.New(dir)
	}
	if strings.HasPrefix(cfg.Blobs, "s3://") {
		c, err := s3.ParseURL(cfg.Blobs)
		if err != nil {
			return nil, err
		}
		if cfg.S3AccessKeyID == "" || cfg.S3SecretAccessKey == "" {
			return nil, errors.New("blobs: an s3:// store needs credentials: set --s3-access-key-id and --s3-secret-access-key (SAFELIGHT_S3_*, their _FILE forms, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
		}
		c.AccessKey, c.SecretKey = cfg.S3AccessKeyID, cfg.S3SecretAccessKey
		return s3.New(ctx, c)
	}
	return nil, fmt.Errorf("blobs: unsupported store %q", cfg.Blobs)
}

// openQueue opens the job queue on the metadata database: river's SQLite
// driver on a handle of its own, or its pgx driver on a pool.
func (a *App) openQueue(ctx context.Context, opts jobs.Options) (err error) {
	if a.store.Dialect() == "postgres" {
		if a.jobsPG, err = openPool(ctx, a.cfg.DB, opts.Workers+4); err != nil {
			return err
		}
		a.queue, err = jobs.OpenPostgres(ctx, a.jobsPG, opts, a.log)
		return err
	}
	if a.jobsDB, err = a.store.JobsDB(ctx); err != nil {
		return err
	}
	a.queue, err = jobs.Open(ctx, a.jobsDB, opts, a.log)
	return err
}

// openPool opens a pgx pool for the job queue with room for at least
// conns connections (river holds one for LISTEN and one per running job),
// failing fast (not hanging) when the server cannot be reached. Errors
// never include the URL, which may hold a password.
func openPool(ctx context.Context, dsn string, conns int) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("jobs: the PostgreSQL URL is not valid (value not shown: it may hold a password)")
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pc.MaxConns = max(pc.MaxConns, int32(conns))
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("jobs: PostgreSQL pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("jobs: cannot reach PostgreSQL at %s:%d: %w", pc.ConnConfig.Host, pc.ConnConfig.Port, err)
	}
	return pool, nil
}

// Handler is the whole HTTP surface, middleware included.
func (a *App) Handler() http.Handler { return a.handler }

// Routes lists every registered route with its policy.
func (a *App) Routes() []httpx.Route { return a.router.Routes() }

// Store is the metadata store (for commands and tests).
func (a *App) Store() *sqlstore.Store { return a.store }

// TaskNames lists the periodic tasks the job queue runs besides the
// library's own jobs.
func (a *App) TaskNames() []string { return a.queue.TaskNames() }

// Blobs is the raw (sealed) blob store.
func (a *App) Blobs() blob.Store { return a.blobs }

// ready checks the backends for /readyz.
func (a *App) ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return err
	}
	if _, err := a.blobs.Stat(ctx, blob.Ref("probe/00000000000000000000000000000000")); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// StartJobs starts the background workers (derivatives, trash purge,
// reconciliation). Commands that only touch accounts do not call it.
func (a *App) StartJobs(ctx context.Context) error {
	return a.queue.Start(context.WithoutCancel(ctx), jobHandlers{Service: a.Library, app: a})
}

// optionalMailAllowed reports whether an optional e-mail may go to
// userID: while their consent to it is live, and not while they restrict
// the processing of their data (Art. 18).
func (a *App) optionalMailAllowed(ctx context.Context, userID string) (bool, error) {
	if restricted, err := a.Auth.IsRestricted(ctx, userID); err != nil || restricted {
		return false, err
	}
	return a.Notifications.Allowed(ctx, userID)
}

// jobHandlers are the library's job handlers, with the derivatives of an
// account whose holder restricted processing paused (jobs.ErrPaused)
// rather than failed: they are made once the restriction is lifted; and
// with the orphan sweep extended to the blob store's own leftovers.
type jobHandlers struct {
	*library.Service
	app *App
}

func (h jobHandlers) Derive(ctx context.Context, assetID string) error {
	err := h.Service.Derive(ctx, assetID)
	if errors.Is(err, library.ErrRestricted) {
		return fmt.Errorf("%w: %w", jobs.ErrPaused, err)
	}
	return err
}

// partialUploadAge is how old the leftovers of an interrupted blob write
// must be before the sweep removes them: far longer than any write of one
// original takes.
const partialUploadAge = 6 * time.Hour

func (h jobHandlers) SweepOrphans(ctx context.Context) error {
	if err := h.Service.SweepOrphans(ctx); err != nil {
		return err
	}
	_, err := h.app.SweepPartialWrites(ctx, time.Now().Add(-partialUploadAge))
	return err
}

// SweepPartialWrites removes what blob writes started before cutoff and
// cut off by a crash left in the blob store (the parts of S3 multipart
// uploads), when the store can leave any.
func (a *App) SweepPartialWrites(ctx context.Context, cutoff time.Time) (int, error) {
	sw, ok := a.blobs.(blob.PartialSweeper)
	if !ok {
		return 0, nil
	}
	n, err := sw.SweepPartial(ctx, cutoff)
	if n > 0 {
		a.log.InfoContext(ctx, "interrupted blob writes removed", "count", n)
	}
	return n, err
}

// Close stops the workers (waiting up to the shutdown timeout for jobs in
// flight) and releases the stores. Safe on a partly built App.
func (a *App) Close() error {
	var errs []error
	if a.queue != nil {
		ctx, cancel := context.WithTimeout(context.Background(), max(a.cfg.ShutdownTimeout, time.Second))
		errs = append(errs, a.queue.Stop(ctx))
		cancel()
	}
	if a.jobsDB != nil {
		errs = append(errs, a.jobsDB.Close())
	}
	if a.jobsPG != nil {
		a.jobsPG.Close()
	}
	a.flushMail() // before the store it writes to closes
	if a.Denied != nil {
		a.Denied.Wait() // likewise
	}
	if a.Erasure != nil {
		a.Erasure.Close() // likewise
	}
	if a.Exports != nil {
		a.Exports.Close() // background builds, before the stores they use
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	if a.pwned != nil {
		errs = append(errs, a.pwned.Close())
	}
	return errors.Join(errs...)
}

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets requests in flight finish (up to the configured
// shutdown timeout), and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.startAudit(ctx)         // config.changed event, periodic checkpoints
	defer a.checkpointAudit() // and a last one once requests have finished
	if a.tls != nil {
		srv.TLSConfig = a.tls.config // only TLS on ln; plain HTTP only on the redirect listener
	}
	errc := make(chan error, 3)
	go func() { errc <- serveMaybeTLS(srv, ln) }()
	var msrv *http.Server
	if a.Metrics != nil && a.cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", a.cfg.MetricsListen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.Metrics.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- msrv.Serve(mln) }()
		a.log.Info("serving metrics", "addr", mln.Addr().String())
	}
	rsrv, err := a.tls.startRedirect(errc)
	if err != nil {
		srv.Close()
		if msrv != nil {
			msrv.Close()
		}
		return err
	}
	a.log.Info("serving", "addr", ln.Addr().String(), "public_url", a.cfg.PublicURL)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if msrv != nil {
		msrv.Close() // scrapes are cheap to lose; do not wait for them
	}
	if rsrv != nil {
		rsrv.Close() // redirects are instant; nothing to wait for
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// maxPreviewBytes bounds what a preview read for watermarking may hold;
// derived previews are far smaller.
const maxPreviewBytes = 32 << 20

// watermarkPreview reads a preview and draws a review link's watermark on
// it (media.Watermark).
func watermarkPreview(r io.Reader, text string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPreviewBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPreviewBytes {
		return nil, fmt.Errorf("app: preview larger than %d bytes", maxPreviewBytes)
	}
	return media.Watermark(data, text)
}
