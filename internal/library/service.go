package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"

	"safelight/internal/access"
	"safelight/internal/blob"
	"safelight/internal/keys"
	"safelight/internal/media"
)

// Config holds the library's limits.
type Config struct {
	MaxUploadBytes int64        // largest original accepted
	Limits         media.Limits // pixel limit
	// MemoryBudget bounds the bytes of originals held in memory at once by
	// ingest and derivative work together; work beyond it waits.
	MemoryBudget   int64
	TrashRetention time.Duration // how long trashed assets stay restorable
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		MaxUploadBytes: 200 << 20,
		Limits:         media.Limits{MaxPixels: media.DefaultMaxPixels},
		MemoryBudget:   1 << 30,
		TrashRetention: 30 * 24 * time.Hour,
	}
}

// Service runs the library. Safe for concurrent use.
type Service struct {
	store  Store
	sealer *keys.Sealer
	keys   *keys.Keyring
	queue  Queue
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	memory *semaphore.Weighted
	// restricted reports whether an owner restricted processing (nil:
	// nobody can); see SetRestrictionCheck.
	restricted func(ctx context.Context, ownerID string) (bool, error)
}

// SetRestrictionCheck tells the service whose processing is restricted
// (auth.Service.IsRestricted); call before serving.
func (s *Service) SetRestrictionCheck(f func(ctx context.Context, ownerID string) (bool, error)) {
	s.restricted = f
}

// checkRestricted returns ErrRestricted when ownerID restricted the
// processing of their data.
func (s *Service) checkRestricted(ctx context.Context, ownerID string) error {
	if s.restricted == nil {
		return nil
	}
	r, err := s.restricted(ctx, ownerID)
	if err != nil {
		return fmt.Errorf("library: restriction: %w", err)
	}
	if r {
		return ErrRestricted
	}
	return nil
}

// New returns a Service.
func New(store Store, sealer *keys.Sealer, keyring *keys.Keyring, queue Queue, cfg Config, log *slog.Logger) *Service {
	return &Service{
		store: store, sealer: sealer, keys: keyring, queue: queue, cfg: cfg,
		log: log.With("component", "library"), now: time.Now,
		memory: semaphore.NewWeighted(max(cfg.MemoryBudget, cfg.MaxUploadBytes)),
	}
}

// SetClock replaces the clock; for tests of retention and sweeps.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Config returns the limits the service runs with.
func (s *Service) Config() Config { return s.cfg }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Upload is one file sent by a photographer.
type Upload struct {
	Filename string
	Body     io.Reader
	// SizeHint is the expected size (e.g. from Content-Length), or <= 0.
	SizeHint int64
}

// Ingest stores an original for p: it reads the file into memory (never
// to disk), checks its type and dimensions, extracts metadata, seals the
// bytes to the owner, and only then writes the asset row and asks for
// derivatives. A refused or failed upload leaves no blob and no row.
//
// An upload whose bytes the owner already has is not stored again: the
// existing asset is returned with duplicate set (and taken out of the
// trash if it was there).
func (s *Service) Ingest(ctx context.Context, p *access.Principal, up Upload) (a Asset, duplicate bool, err error) {
	if err := s.checkRestricted(ctx, p.UserID); err != nil {
		return Asset{}, false, err
	}
	reserve := s.cfg.MaxUploadBytes
	if up.SizeHint > 0 && up.SizeHint < reserve {
		reserve = up.SizeHint
	}
	if err := s.memory.Acquire(ctx, reserve); err != nil {
		return Asset{}, false, err
	}
	defer s.memory.Release(reserve)

	data, err := readAll(up.Body, s.cfg.MaxUploadBytes, up.SizeHint)
	if err != nil {
		return Asset{}, false, err
	}
	if len(data) == 0 {
		return Asset{}, false, ErrEmpty
	}
	info, err := media.Probe(data, s.cfg.Limits)
	if err != nil {
		return Asset{}, false, err
	}
	if err := media.CheckExtension(up.Filename, info.Format); err != nil {
		return Asset{}, false, err
	}
	meta, err := media.ExtractMetadata(data)
	if err != nil {
		s.log.DebugContext(ctx, "metadata not read", "err", err)
	}

	mac, err := s.keys.ContentMAC(ctx, p.UserID)
	if err != nil {
		return Asset{}, false, fmt.Errorf("library: ingest: %w", err)
	}
	mac.Write(data)
	sum := mac.Sum(nil)
	if existing, err := s.store.AssetByMAC(ctx, p.UserID, sum); err == nil {
		if !existing.TrashedAt.IsZero() {
			if err := s.store.SetAssetTrashed(ctx, p.UserID, existing.ID, time.Time{}); err != nil && !errors.Is(err, ErrNotFound) {
				return Asset{}, false, fmt.Errorf("library: restore duplicate: %w", err)
			}
		}
		a, err := s.Get(ctx, p, existing.ID)
		return a, true, err
	} else if !errors.Is(err, ErrNotFound) {
		return Asset{}, false, fmt.Errorf("library: ingest: %w", err)
	}

	now := s.now().UTC()
	sha := sha256.Sum256(data)
	a = Asset{
		ID: newID(), OwnerID: p.UserID, Status: StatusProcessing,
		Format: info.Format, Width: info.Width, Height: info.Height, Size: int64(len(data)),
		TakenAt: meta.TakenAt, TakenAtHasOffset: meta.TakenAtHasOffset,
		CameraMake: meta.CameraMake, CameraModel: meta.CameraModel, Lens: meta.Lens,
		FocalLengthMM: meta.FocalLengthMM, FNumber: meta.FNumber,
		ExposureSeconds: meta.ExposureSeconds, ExposureText: meta.ExposureText, ISO: meta.ISO,
		ColorProfile: meta.ColorProfile,
		Private: Private{
			Filename: cleanFilename(up.Filename), SHA256: hex.EncodeToString(sha[:]),
			Creator: meta.Creator, Copyright: meta.Copyright, Credit: meta.Credit,
			Caption: meta.Caption, Keywords: meta.Keywords,
		},
		ContentMAC:  sum,
		OriginalRef: blob.NewRef("orig"),
		CreatedAt:   now, UpdatedAt: now,
	}
	if meta.GPS != nil {
		a.Private.GPS = &GPS{Latitude: meta.GPS.Latitude, Longitude: meta.GPS.Longitude, Altitude: meta.GPS.Altitude}
	}
	a.SortAt = a.CreatedAt
	if !a.TakenAt.IsZero() {
		a.SortAt = a.TakenAt.UTC()
	}
	private, err := json.Marshal(a.Private)
	if err != nil {
		return Asset{}, false, fmt.Errorf("library: ingest: %w", err)
	}
	if a.SealedPrivate, err = s.sealer.SealValue(ctx, p.UserID, private); err != nil {
		return Asset{}, false, fmt.Errorf("library: ingest: %w", err)
	}

	// Blob first, then the row: a crash in between leaves an unreferenced
	// sealed blob (swept), never a row without its blob.
	if _, err := s.sealer.Put(ctx, p.UserID, a.OriginalRef, bytes.NewReader(data)); err != nil {
		return Asset{}, false, fmt.Errorf("library: store original: %w", err)
	}
	if err := s.store.CreateAsset(ctx, a); err != nil {
		s.deleteBlobs(context.WithoutCancel(ctx), a.OriginalRef)
		if errors.Is(err, ErrDuplicate) { // a concurrent upload of the same file won
			existing, err := s.store.AssetByMAC(ctx, p.UserID, sum)
			if err != nil {
				return Asset{}, false, fmt.Errorf("library: ingest: %w", err)
			}
			a, err := s.Get(ctx, p, existing.ID)
			return a, true, err
		}
		return Asset{}, false, fmt.Errorf("library: ingest: %w", err)
	}
	// The row is committed: the upload is acknowledged. Should enqueuing
	// fail (or the process die now), the reconciler enqueues it later.
	if err := s.queue.EnqueueDerive(ctx, a.ID); err != nil {
		s.log.ErrorContext(ctx, "derive job not enqueued; the reconciler will", "asset_id", a.ID, "err", err)
	}
	return a, false, nil
}

// readAll reads at most limit bytes; more is a TooLargeError.
func readAll(r io.Reader, limit, sizeHint int64) ([]byte, error) {
	var buf bytes.Buffer
	if sizeHint > 0 {
		buf.Grow(int(min(sizeHint, limit)) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return buf.Bytes(), nil
}

// cleanFilename keeps the base name of what the browser sent, without
// control characters, at most 255 bytes. It is shown only to the owner
// and used in their downloads.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	for len(name) > 255 {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		name = "image"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// load returns an asset p may see, with its private fields decrypted for
// its owner. Everything else is ErrNotFound.
func (s *Service) load(ctx context.Context, p *access.Principal, id string) (Asset, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Asset{}, ErrNotFound
	}
	a, err := s.store.AssetByID(ctx, id)
	if err != nil {
		return Asset{}, err
	}
	if !access.Owns(p, a.OwnerID) {
		return Asset{}, ErrNotFound
	}
	if err := s.openPrivate(ctx, &a); err != nil {
		return Asset{}, err
	}
	return a, nil
}

func (s *Service) openPrivate(ctx context.Context, a *Asset) error {
	plain, err := s.sealer.OpenValue(ctx, a.OwnerID, a.SealedPrivate)
	if err != nil {
		return fmt.Errorf("library: asset %s: %w", a.ID, err)
	}
	if err := json.Unmarshal(plain, &a.Private); err != nil {
		return fmt.Errorf("library: asset %s: private fields: %w", a.ID, err)
	}
	return nil
}

// Get returns an asset the caller may see, not in the trash.
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (Asset, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return Asset{}, err
	}
	if !a.TrashedAt.IsZero() {
		return Asset{}, ErrNotFound
	}
	return a, nil
}

// Page is one page of a listing.
type Page struct {
	Items      []Asset
	NextCursor string // "" at the end
}

// MaxPageSize bounds a listing page.
const MaxPageSize = 200

// List returns a page of p's library (newest capture first), or of the
// trash.
func (s *Service) List(ctx context.Context, p *access.Principal, trash bool, cursor string, limit int) (Page, error) {
	var after *Cursor
	if cursor != "" {
		c, err := decodeCursor(cursor)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = min(max(limit, 60), MaxPageSize)
	}
	items, err := s.store.ListAssets(ctx, p.UserID, trash, after, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("library: list: %w", err)
	}
	var page Page
	if len(items) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		page.NextCursor = encodeCursor(Cursor{SortAt: last.SortAt, ID: last.ID})
	}
	for i := range items {
		if err := s.openPrivate(ctx, &items[i]); err != nil {
			return Page{}, err
		}
	}
	page.Items = items
	return page, nil
}

// ErrBadCursor is returned for a cursor this service did not make.
var ErrBadCursor = errors.New("the cursor is not valid; start again without one")

func encodeCursor(c Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.SortAt.UnixMicro(), 10) + ":" + c.ID))
}

func decodeCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	us, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil {
		return Cursor{}, ErrBadCursor
	}
	if _, err := uuid.Parse(id); err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{SortAt: time.UnixMicro(n).UTC(), ID: id}, nil
}

// Neighbours returns the ids before and after an asset in p's library.
func (s *Service) Neighbours(ctx context.Context, p *access.Principal, id string) (prev, next string, err error) {
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return "", "", err
	}
	return s.store.Neighbours(ctx, a.OwnerID, Cursor{SortAt: a.SortAt, ID: a.ID})
}

func (s *Service) deleteBlobs(ctx context.Context, refs ...blob.Ref) {
	for _, r := range refs {
		if r == "" {
			continue
		}
		if err := s.sealer.Delete(ctx, r); err != nil && !errors.Is(err, blob.ErrNotFound) {
			s.log.ErrorContext(ctx, "blob not deleted; left for the sweep", "ref", string(r), "err", err)
		}
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
