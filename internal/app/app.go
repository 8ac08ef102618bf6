// Package app wires Safelight together: configuration → stores → services
// → HTTP, and the order things start and stop in. It is the only package
// that knows the concrete backends.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"safelight/internal/api"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/blob/disk"
	"safelight/internal/config"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/jobs"
	"safelight/internal/keys"
	"safelight/internal/library"
	"safelight/internal/media"
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
	Library *library.Service
	queue   *jobs.Queue
	jobsDB  *sql.DB
	router  *httpx.Router
	handler http.Handler
}

// New opens the root key, the metadata store (migrating it) and the blob
// store, and builds the services and the HTTP handler. The caller must
// Close the App.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (a *App, err error) {
	a = &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.Close()
			a = nil
		}
	}()

	a.root, err = keys.LoadOrCreateRootKeyFile(cfg.RootKeyFile)
	if err != nil {
		return nil, err
	}
	a.store, err = sqlstore.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Migrate(ctx); err != nil {
		return nil, err
	}
	a.blobs, err = openBlobs(cfg)
	if err != nil {
		return nil, err
	}
	a.Keyring = keys.NewKeyring(a.root, a.store)
	a.Sealer = keys.NewSealer(a.Keyring, a.blobs)
	a.Audit = audit.NewRecorder(a.store, log)

	if err := media.Start(media.StartOptions{Logger: log}); err != nil {
		return nil, err
	}
	if a.jobsDB, err = a.store.JobsDB(ctx); err != nil {
		return nil, err
	}
	jobOpts := jobs.DefaultOptions()
	jobOpts.PollInterval = 200 * time.Millisecond
	if a.queue, err = jobs.Open(ctx, a.jobsDB, jobOpts, log); err != nil {
		return nil, err
	}
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
	a.Auth, err = auth.NewService(a.store, a.Audit, authCfg, log)
	if err != nil {
		return nil, err
	}

	cookies := httpauth.Cookies{Secure: cfg.SecureCookies(), SessionMaxAge: cfg.SessionMaxAge}
	a.router = httpx.NewRouter(&httpauth.Authenticator{Auth: a.Auth, Cookies: cookies}, "/login", log)
	(&api.Server{Auth: a.Auth, Audit: a.Audit, Library: a.Library, Cookies: cookies, PublicURL: cfg.PublicURL, Ready: a.ready}).Register(a.router)
	pages, err := web.New(web.Options{Auth: a.Auth, Audit: a.Audit, Library: a.Library, Cookies: cookies, PublicURL: cfg.PublicURL, Log: log})
	if err != nil {
		return nil, err
	}
	pages.Register(a.router)
	a.router.SetPageErrorRenderer(pages.RenderError)
	a.handler = httpx.Middleware(a.router, httpx.SecurityOptions{HSTS: cfg.SecureCookies(), PageError: pages.RenderError}, log)
	return a, nil
}

func openBlobs(cfg config.Config) (blob.Store, error) {
	if dir, ok := cfg.BlobDir(); ok {
		return disk.New(dir)
	}
	return nil, errors.New("blobs: only file:PATH is supported by this build")
}

// Handler is the whole HTTP surface, middleware included.
func (a *App) Handler() http.Handler { return a.handler }

// Routes lists every registered route with its policy.
func (a *App) Routes() []httpx.Route { return a.router.Routes() }

// Store is the metadata store (for commands and tests).
func (a *App) Store() *sqlstore.Store { return a.store }

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
	return a.queue.Start(context.WithoutCancel(ctx), a.Library)
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
	if a.store != nil {
		errs = append(errs, a.store.Close())
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
	go a.sweepSessions(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "public_url", a.cfg.PublicURL)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// sweepSessions removes expired sessions every quarter hour.
func (a *App) sweepSessions(ctx context.Context) {
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.Auth.SweepSessions(ctx); err != nil {
				a.log.Error("session sweep failed", "err", err)
			} else if n > 0 {
				a.log.Info("expired sessions removed", "count", n)
			}
		}
	}
}
