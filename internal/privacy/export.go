package privacy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"safelight/internal/access"
	"safelight/internal/blob"
	"safelight/internal/library"
	"safelight/internal/secret"
)

// Access and portability (GDPR Art. 15 and 20): a user asks for an export
// of everything the instance holds about them; a job builds one ZIP
// (originals with their own names, JSON and CSV of every row that refers
// to them, a README); the ZIP is sealed to the user's key in the blob
// store and downloaded once through a link that expires.
//
//	POST /api/v1/me/export ─► Request: a pending row (one per user while
//	     pending or building: a unique index; a second request gets that one)
//	     ─► Kick: a build in the background, so nobody waits for the task
//	task build_exports (every minute, any replica) ─► BuildPending:
//	     Sweep, then ClaimExport (conditional UPDATE pending → building) and
//	     build, until none is left ─► sealed blob export/…, row ready
//	GET /api/v1/me/export/{id} ─► Status: once ready, mints a download link
//	     (sle_ secret, only its SHA-256 stored; a newer one replaces it)
//	GET /api/v1/exports/{token} ─► Download: the link's secret and the same
//	     signed-in user; UseExportLink spends the link (conditional UPDATE)
//	     before the first byte; the blob is deleted after the answer, and the
//	     sweep deletes what expired or was left behind.

// ExportState is where an export is in its life.
type ExportState string

const (
	ExportPending    ExportState = "pending"    // asked for, waiting for a builder
	ExportBuilding   ExportState = "building"   // claimed by a builder
	ExportReady      ExportState = "ready"      // sealed ZIP stored, link can be minted
	ExportDownloaded ExportState = "downloaded" // the link was used; the blob is (being) deleted
	ExportExpired    ExportState = "expired"    // not downloaded in time; the blob is deleted
	ExportFailed     ExportState = "failed"     // the build failed (Failure says why)
)

// Export is one export of a user's data.
type Export struct {
	ID     string
	UserID string
	State  ExportState
	// BlobRef names the sealed ZIP while it is stored ("" before it is
	// built and after the sweep deleted it).
	BlobRef blob.Ref
	Size    int64 // bytes of the ZIP (plaintext)
	Failure string

	CreatedAt    time.Time
	ClaimedAt    time.Time
	ReadyAt      time.Time
	ExpiresAt    time.Time
	DownloadedAt time.Time
}

// ErrExportNotFound is returned for an export or link that does not exist
// for the caller: another user's, a used or expired link alike.
var ErrExportNotFound = errors.New("export not found")

// ErrLinkNotValid is returned for a download link that is not valid now:
// unknown, used, expired, or someone else's. The API answers 404 with
// this text; it says nothing about which.
var ErrLinkNotValid = errors.New("this download link is not valid: it was used already, has expired, or belongs to another account; ask for a new export")

// Table is rows of one kind about a user, as exported: the name of the
// table they come from (the file data/<Name>.json and .csv), the column
// names, and the values (strings, int64, float64; byte strings as hex).
type Table struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// ExportStore is the persistence of exports; package sqlstore implements
// it. Not-found cases return errors wrapping ErrExportNotFound.
type ExportStore interface {
	// CreateExport inserts e (state pending) unless the user already has
	// an export pending or building; then it returns that one and false.
	CreateExport(ctx context.Context, e Export) (Export, bool, error)
	// ExportByID returns the user's export id.
	ExportByID(ctx context.Context, userID, id string) (Export, error)
	// LatestExport returns the user's newest export (ErrExportNotFound
	// when there is none).
	LatestExport(ctx context.Context, userID string) (Export, error)
	// ClaimExport moves the oldest pending export, or one building since
	// before staleBefore (its builder died), to building at now, in one
	// conditional update: of concurrent claims each gets another export.
	ClaimExport(ctx context.Context, now, staleBefore time.Time) (Export, error)
	// FinishExport records a built export as ready, if still building.
	FinishExport(ctx context.Context, id string, ref blob.Ref, size int64, readyAt, expiresAt time.Time) error
	// FailExport records a failed build, if still building.
	FailExport(ctx context.Context, id, reason string) error
	// SetExportLink replaces the link hash of the user's ready, unexpired
	// export.
	SetExportLink(ctx context.Context, userID, id string, hash []byte, now time.Time) error
	// UseExportLink spends the link with that hash, if it is the user's,
	// ready and not expired at now: one conditional update moves it to
	// downloaded, so only one request ever gets the export back.
	UseExportLink(ctx context.Context, userID string, hash []byte, now time.Time) (Export, error)
	// ExportsToSweep lists exports holding a blob that must go: ready
	// ones expired at now, and downloaded, expired or failed ones.
	ExportsToSweep(ctx context.Context, now time.Time, limit int) ([]Export, error)
	// ClearExportBlob forgets the blob of an export whose blob is deleted,
	// marking a ready one expired.
	ClearExportBlob(ctx context.Context, id string) error
	// UserData returns every row that refers to the user (by id or by
	// e-mail address), table by table, without secret hashes or keys.
	UserData(ctx context.Context, userID string) ([]Table, error)
}

// Sealer stores and opens blobs sealed to an owner's key (keys.Sealer).
type Sealer interface {
	Put(ctx context.Context, ownerID string, ref blob.Ref, r io.Reader) (int64, error)
	Open(ctx context.Context, ownerID string, ref blob.Ref) (io.ReadCloser, error)
	Delete(ctx context.Context, ref blob.Ref) error
}

// AssetLister lists an owner's assets with their private fields opened
// (library.Service).
type AssetLister interface {
	List(ctx context.Context, p *access.Principal, trash bool, cursor string, limit int) (library.Page, error)
}

// ExportConfig holds the export's settings.
type ExportConfig struct {
	// LinkTTL is how long a built export waits to be downloaded.
	LinkTTL time.Duration
	// StaleAfter is how long a build may hold its claim before another
	// builder takes the export over (its builder is taken to have died).
	StaleAfter time.Duration
	// Processing is the README's section on the processing (purposes,
	// recipients, retention); DefaultProcessingText until the records of
	// processing exist.
	Processing string
}

// DefaultExportConfig returns the defaults: 7 days to download.
func DefaultExportConfig() ExportConfig {
	return ExportConfig{LinkTTL: 7 * 24 * time.Hour, StaleAfter: 15 * time.Minute, Processing: DefaultProcessingText}
}

// LinkPrefix starts every download link secret.
const LinkPrefix = "sle_"

// Exports runs access and portability exports. Safe for concurrent use;
// Close waits for builds started by Kick.
type Exports struct {
	store  ExportStore
	assets AssetLister
	sealer Sealer
	cfg    ExportConfig
	log    *slog.Logger
	now    func() time.Time

	bg     context.Context // ends at Close
	stop   context.CancelFunc
	wg     sync.WaitGroup
	kickMu sync.Mutex
	kicked bool // a background build is running; another Kick only marks again
	again  bool
}

// NewExports returns the export service.
func NewExports(store ExportStore, assets AssetLister, sealer Sealer, cfg ExportConfig, log *slog.Logger) *Exports {
	bg, stop := context.WithCancel(context.Background())
	return &Exports{store: store, assets: assets, sealer: sealer, cfg: cfg,
		log: log.With("component", "privacy_export"), now: time.Now, bg: bg, stop: stop}
}

// SetClock replaces the clock (tests).
func (s *Exports) SetClock(now func() time.Time) { s.now = now }

// Close cancels background builds and waits for them.
func (s *Exports) Close() {
	s.stop()
	s.wg.Wait()
}

// Request starts an export of p's data, or returns the one already
// pending or building.
func (s *Exports) Request(ctx context.Context, p *access.Principal) (Export, error) {
	e := Export{ID: uuid.Must(uuid.NewV7()).String(), UserID: p.UserID, State: ExportPending, CreatedAt: s.now().UTC()}
	got, _, err := s.store.CreateExport(ctx, e)
	if err != nil {
		return Export{}, fmt.Errorf("privacy: request export: %w", err)
	}
	return got, nil
}

// ExportStatus is what the owner sees of an export.
type ExportStatus struct {
	Export
	// Link is a fresh download link secret once the export is ready ("").
	Link string
}

// Status returns p's export id. When it is ready, it mints a new
// download link (replacing any earlier one): the link is shown to the
// owner only, and only its hash is stored.
func (s *Exports) Status(ctx context.Context, p *access.Principal, id string) (ExportStatus, error) {
	if _, err := uuid.Parse(id); err != nil {
		return ExportStatus{}, ErrExportNotFound
	}
	e, err := s.store.ExportByID(ctx, p.UserID, id)
	if err != nil {
		return ExportStatus{}, err
	}
	now := s.now()
	if e.State == ExportReady && !now.Before(e.ExpiresAt) {
		e.State = ExportExpired // the sweep catches up within a minute
	}
	st := ExportStatus{Export: e}
	if e.State == ExportReady {
		link, hash := secret.New(LinkPrefix)
		switch err := s.store.SetExportLink(ctx, p.UserID, id, hash, now); {
		case errors.Is(err, ErrExportNotFound):
			st.State = ExportDownloaded // spent between the two reads
		case err != nil:
			return ExportStatus{}, fmt.Errorf("privacy: export link: %w", err)
		default:
			st.Link = link
		}
	}
	return st, nil
}

// Latest returns p's newest export as Status does (with a fresh link
// when it is ready); ErrExportNotFound when p never asked for one.
func (s *Exports) Latest(ctx context.Context, p *access.Principal) (ExportStatus, error) {
	e, err := s.store.LatestExport(ctx, p.UserID)
	if err != nil {
		return ExportStatus{}, err
	}
	return s.Status(ctx, p, e.ID)
}

// Download is an export being downloaded. The caller must Close it, which
// deletes the sealed blob: the link was spent when Download returned.
type Download struct {
	io.ReadCloser
	Export
	s *Exports
}

// Close closes the blob and deletes it (the sweep retries a failure).
func (d *Download) Close() error {
	err := d.ReadCloser.Close()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.s.bg), time.Minute)
	defer cancel()
	d.s.deleteBlob(ctx, d.Export)
	return err
}

// Download spends the link and opens the export for p. The link must be
// the current one of p's own export, ready and not expired; anything else
// is ErrLinkNotValid, the same for every case.
func (s *Exports) Download(ctx context.Context, p *access.Principal, link string) (*Download, error) {
	if len(link) != len(LinkPrefix)+43 || link[:len(LinkPrefix)] != LinkPrefix {
		return nil, ErrLinkNotValid
	}
	e, err := s.store.UseExportLink(ctx, p.UserID, secret.Hash(link), s.now())
	if errors.Is(err, ErrExportNotFound) {
		return nil, ErrLinkNotValid
	} else if err != nil {
		return nil, fmt.Errorf("privacy: use export link: %w", err)
	}
	r, err := s.sealer.Open(ctx, e.UserID, e.BlobRef)
	if err != nil {
		return nil, fmt.Errorf("privacy: open export %s: %w", e.ID, err)
	}
	return &Download{ReadCloser: r, Export: e, s: s}, nil
}

// Kick starts BuildPending in the background, so that an export asked
// for now is built within seconds instead of at the next run of the
// periodic task. Kicks during a build make it run once more afterwards.
func (s *Exports) Kick() {
	s.kickMu.Lock()
	defer s.kickMu.Unlock()
	if s.kicked {
		s.again = true
		return
	}
	s.kicked = true
	s.wg.Go(func() {
		for {
			ctx, cancel := context.WithTimeout(s.bg, s.cfg.StaleAfter)
			if err := s.BuildPending(ctx); err != nil && s.bg.Err() == nil {
				s.log.Error("export build failed", "err", err)
			}
			cancel()
			s.kickMu.Lock()
			if !s.again || s.bg.Err() != nil {
				s.kicked = false
				s.kickMu.Unlock()
				return
			}
			s.again = false
			s.kickMu.Unlock()
		}
	})
}

// BuildPending is the periodic task build_exports: it sweeps exports
// whose blob must go, then builds every pending export. Any replica may
// run it at the same time as another: claims are conditional updates.
func (s *Exports) BuildPending(ctx context.Context) error {
	if err := s.Sweep(ctx); err != nil {
		return err
	}
	for {
		now := s.now()
		e, err := s.store.ClaimExport(ctx, now, now.Add(-s.cfg.StaleAfter))
		if errors.Is(err, ErrExportNotFound) {
			return nil
		} else if err != nil {
			return fmt.Errorf("privacy: claim export: %w", err)
		}
		if err := s.build(ctx, e); err != nil {
			if ctx.Err() != nil {
				return err // the claim goes stale and another run takes it over
			}
			s.log.ErrorContext(ctx, "export failed", "export_id", e.ID, "err", err)
			if ferr := s.store.FailExport(ctx, e.ID, "the export could not be built; ask for a new one"); ferr != nil {
				return errors.Join(err, ferr)
			}
		}
	}
}

// build writes e's ZIP, sealed to its user, and marks it ready.
func (s *Exports) build(ctx context.Context, e Export) error {
	ref := blob.NewRef("export")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := s.writeZip(ctx, e.UserID, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	size, err := s.sealer.Put(ctx, e.UserID, ref, pr)
	pr.CloseWithError(errors.New("privacy: export stopped")) // unblocks the writer if Put gave up
	if werr := <-done; werr != nil {
		err = errors.Join(werr, err)
	}
	if err != nil {
		s.deleteBlob(ctx, Export{ID: e.ID, BlobRef: ref}) // Put may have stored it
		return fmt.Errorf("privacy: build export %s: %w", e.ID, err)
	}
	now := s.now().UTC()
	if err := s.store.FinishExport(ctx, e.ID, ref, size, now, now.Add(s.cfg.LinkTTL)); err != nil {
		s.deleteBlob(ctx, Export{ID: e.ID, BlobRef: ref})
		return fmt.Errorf("privacy: finish export %s: %w", e.ID, err)
	}
	s.log.InfoContext(ctx, "export ready", "export_id", e.ID, "size", size)
	return nil
}

// Sweep deletes the blobs of exports that expired, were downloaded or
// failed, and marks them so.
func (s *Exports) Sweep(ctx context.Context) error {
	for {
		es, err := s.store.ExportsToSweep(ctx, s.now(), 100)
		if err != nil {
			return fmt.Errorf("privacy: exports to sweep: %w", err)
		}
		for _, e := range es {
			if err := s.deleteBlob(ctx, e); err != nil {
				return err
			}
		}
		if len(es) < 100 {
			return nil
		}
	}
}

// deleteBlob deletes e's sealed ZIP and clears its ref on the row.
func (s *Exports) deleteBlob(ctx context.Context, e Export) error {
	if e.BlobRef != "" {
		if err := s.sealer.Delete(ctx, e.BlobRef); err != nil && !errors.Is(err, blob.ErrNotFound) {
			s.log.ErrorContext(ctx, "export blob not deleted", "export_id", e.ID, "err", err)
			return fmt.Errorf("privacy: delete export blob %s: %w", e.ID, err)
		}
	}
	if err := s.store.ClearExportBlob(ctx, e.ID); err != nil && !errors.Is(err, ErrExportNotFound) {
		return fmt.Errorf("privacy: clear export blob %s: %w", e.ID, err)
	}
	return nil
}
