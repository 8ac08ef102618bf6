package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/blob"
	"safelight/internal/keys"
	"safelight/internal/media"
)

// Kind names a stored rendition of an asset.
type Kind string

const (
	Original Kind = "original"
	Thumb    Kind = "thumb"
	Preview  Kind = "preview"
)

// Content is an opened rendition, ready to serve. The caller must Close it.
type Content struct {
	*keys.SealedFile
	ContentType string
	Filename    string // the original's name for Original; a derived name otherwise
	ModTime     time.Time
	ETag        string // stable for this rendition
}

// Open opens a rendition of an asset for p and records the access when the
// log calls for it: every original download, and any content seen by
// someone other than the owner. Thumb and preview are ErrNotReady until the
// derivatives exist.
//
// In the trash only the thumb stays visible (to the owner, for the trash
// page); preview and original answer not found until the asset is restored.
func (s *Service) Open(ctx context.Context, p *access.Principal, id string, kind Kind) (*Content, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !a.TrashedAt.IsZero() && (kind != Thumb || p.UserID != a.OwnerID) {
		return nil, ErrNotFound
	}
	c, err := s.openRendition(ctx, a, kind)
	if err != nil {
		return nil, err
	}
	if kind == Original || p.UserID != a.OwnerID {
		s.recordAccess(ctx, p, a, string(kind), "owner")
	}
	return c, nil
}

// openRendition opens the sealed blob of a's rendition kind.
func (s *Service) openRendition(ctx context.Context, a Asset, kind Kind) (*Content, error) {
	var ref blob.Ref
	ctype := "image/jpeg"
	name := baseName(a.Private.Filename)
	switch kind {
	case Original:
		ref, ctype, name = a.OriginalRef, a.Format.MIME(), a.Private.Filename
	case Thumb:
		ref, name = a.ThumbRef, name+"-thumb.jpg"
	case Preview:
		ref, name = a.PreviewRef, name+"-preview.jpg"
	default:
		return nil, ErrNotFound
	}
	if a.Status != StatusReady && kind != Original || ref == "" {
		return nil, ErrNotReady
	}
	f, err := s.sealer.OpenSeekable(ctx, a.OwnerID, ref)
	if err != nil {
		return nil, fmt.Errorf("library: open %s of %s: %w", kind, a.ID, err)
	}
	return &Content{SealedFile: f, ContentType: ctype, Filename: name, ModTime: a.CreatedAt,
		ETag: strings.ReplaceAll(string(ref), "/", "-")}, nil
}

func baseName(filename string) string {
	for i := len(filename) - 1; i > 0; i-- {
		if filename[i] == '.' {
			return filename[:i]
		}
	}
	return filename
}

// recordAccess appends to the owner's access log. Failing to record is
// logged; the access itself already happened.
func (s *Service) recordAccess(ctx context.Context, p *access.Principal, a Asset, action, via string) {
	label := "you"
	if p.UserID != a.OwnerID {
		label = "" // filled in by sharing, which knows guests' names
	}
	err := s.store.AppendAccess(ctx, AccessEvent{
		ID: newID(), AssetID: a.ID, OwnerID: a.OwnerID, At: s.now().UTC(),
		ActorID: p.UserID, ActorLabel: label, Via: via, Action: action,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "access not recorded", "asset_id", a.ID, "err", err)
	}
}

// AccessLog returns who accessed the asset, newest first; owner only.
func (s *Service) AccessLog(ctx context.Context, p *access.Principal, id string) ([]AccessEvent, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if p.UserID != a.OwnerID {
		return nil, ErrNotFound
	}
	return s.store.AccessLog(ctx, a.ID, 500)
}

// Trash moves the asset to the trash, restorable for the retention period.
func (s *Service) Trash(ctx context.Context, p *access.Principal, id string) error {
	if _, err := s.Get(ctx, p, id); err != nil {
		return err
	}
	return s.store.SetAssetTrashed(ctx, p.UserID, id, s.now().UTC())
}

// Restore takes the asset out of the trash.
func (s *Service) Restore(ctx context.Context, p *access.Principal, id string) (Asset, error) {
	a, err := s.load(ctx, p, id)
	if err != nil {
		return Asset{}, err
	}
	if a.TrashedAt.IsZero() {
		return Asset{}, ErrNotFound
	}
	if err := s.store.SetAssetTrashed(ctx, p.UserID, id, time.Time{}); err != nil {
		return Asset{}, err
	}
	return s.Get(ctx, p, id)
}

// EmptyTrash deletes everything in p's trash now, blobs and rows.
func (s *Service) EmptyTrash(ctx context.Context, p *access.Principal) (int, error) {
	return s.purge(ctx, p.UserID, s.now().Add(time.Hour))
}

// Settings returns p's library settings.
func (s *Service) Settings(ctx context.Context, p *access.Principal) (Settings, error) {
	return s.store.LibrarySettings(ctx, p.UserID)
}

// SetSettings stores p's library settings.
func (s *Service) SetSettings(ctx context.Context, p *access.Principal, st Settings) error {
	return s.store.SetLibrarySettings(ctx, p.UserID, st)
}

// purge deletes trashed assets (of ownerID, or of everyone when empty)
// trashed before t: blobs first, then the row, so a crash leaves at most
// a row whose blobs are gone, which the next purge finishes.
func (s *Service) purge(ctx context.Context, ownerID string, before time.Time) (int, error) {
	n := 0
	for {
		batch, err := s.store.TrashedBefore(ctx, ownerID, before, 100)
		if err != nil {
			return n, fmt.Errorf("library: purge: %w", err)
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, a := range batch {
			s.deleteBlobs(ctx, a.OriginalRef, a.ThumbRef, a.PreviewRef)
			if err := s.store.DeleteAsset(ctx, a.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return n, fmt.Errorf("library: purge %s: %w", a.ID, err)
			}
			n++
		}
	}
}

// PurgeTrash implements jobs.Handlers: it deletes assets whose time in the
// trash is up.
func (s *Service) PurgeTrash(ctx context.Context) error {
	n, err := s.purge(ctx, "", s.now().Add(-s.cfg.TrashRetention))
	if n > 0 {
		s.log.InfoContext(ctx, "trash purged", "assets", n)
	}
	return err
}

// Reconcile implements jobs.Handlers: assets still processing a while
// after upload get their derive job again (it is unique per asset, so a
// job that exists is not doubled).
func (s *Service) Reconcile(ctx context.Context) error {
	ids, err := s.store.ProcessingBefore(ctx, s.now().Add(-2*time.Minute), 1000)
	if err != nil {
		return fmt.Errorf("library: reconcile: %w", err)
	}
	for _, id := range ids {
		if err := s.queue.EnqueueDerive(ctx, id); err != nil {
			return fmt.Errorf("library: reconcile %s: %w", id, err)
		}
	}
	return nil
}

// Derive implements jobs.Handlers: it makes and seals the thumb and the
// preview of a processing asset. Run twice, the second run does nothing.
// A file that cannot be decoded ends the asset as failed, with its
// original removed.
func (s *Service) Derive(ctx context.Context, id string) error {
	a, err := s.store.AssetByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted meanwhile
	} else if err != nil {
		return err
	}
	if a.Status != StatusProcessing {
		return nil
	}
	if err := s.checkRestricted(ctx, a.OwnerID); err != nil {
		return fmt.Errorf("library: derive %s: %w", id, err) // the job waits (app: jobs.ErrPaused)
	}
	reserve := s.deriveReservation(a)
	if err := s.memory.Acquire(ctx, reserve); err != nil {
		return err
	}
	defer s.memory.Release(reserve)
	if err := s.openPrivate(ctx, &a); err != nil {
		return err
	}
	settings, err := s.store.LibrarySettings(ctx, a.OwnerID)
	if err != nil {
		return err
	}
	rc, err := s.sealer.Open(ctx, a.OwnerID, a.OriginalRef)
	if err != nil {
		return fmt.Errorf("library: derive %s: %w", id, err)
	}
	data, err := readAll(rc, max(a.Size, 1), a.Size)
	rc.Close()
	if err != nil {
		return fmt.Errorf("library: derive %s: read original: %w", id, err)
	}
	opts := media.DeriveOptions{Sizes: []media.Size{media.PreviewSize, media.ThumbSize}, Limits: s.cfg.Limits}
	if settings.KeepCopyright {
		opts.Copyright = &media.Copyright{Creator: a.Private.Creator, Notice: a.Private.Copyright, Credit: a.Private.Credit}
	}
	ds, err := media.Derive(data, opts)
	if errors.Is(err, media.ErrUndecodable) || errors.Is(err, media.ErrTooManyPixels) {
		// Retrying cannot help: the asset ends failed, with a reason the
		// owner can act on, and its original is not kept.
		reason := "the file is damaged or not a complete image, so no previews could be made; the original was removed"
		var re *media.RefusedError
		if errors.Is(err, media.ErrTooManyPixels) && errors.As(err, &re) {
			reason = re.Reason + "; the original was removed"
		}
		if err := s.store.SetAssetFailed(ctx, id, reason, s.now().UTC()); err != nil {
			return err
		}
		s.deleteBlobs(ctx, a.OriginalRef)
		return nil
	} else if err != nil {
		return fmt.Errorf("library: derive %s: %w", id, err)
	}
	var d Derivatives
	var refs []blob.Ref
	for _, x := range ds {
		ref := blob.NewRef(x.Name)
		if _, err := s.sealer.Put(ctx, a.OwnerID, ref, bytes.NewReader(x.Data)); err != nil {
			s.deleteBlobs(context.WithoutCancel(ctx), refs...)
			return fmt.Errorf("library: derive %s: store %s: %w", id, x.Name, err)
		}
		refs = append(refs, ref)
		switch x.Name {
		case media.ThumbSize.Name:
			d.ThumbRef, d.ThumbWidth, d.ThumbHeight = ref, x.Width, x.Height
		case media.PreviewSize.Name:
			d.PreviewRef, d.PreviewWidth, d.PreviewHeight = ref, x.Width, x.Height
		}
	}
	ok, err := s.store.SetAssetReady(ctx, id, d, s.now().UTC())
	if err != nil || !ok {
		// Not processing any more (trashed and purged, or done by an
		// earlier run): these blobs belong to nobody.
		s.deleteBlobs(context.WithoutCancel(ctx), refs...)
	}
	return err
}

// orphanAge is how old an unreferenced blob must be before the sweep
// removes it: younger ones may belong to an upload whose row is about to
// be written (blob first, then row).
const orphanAge = time.Hour

// SweepOrphans implements jobs.Handlers: it deletes sealed blobs that no
// asset names, left by crashes between a blob write and its row, or
// between a purge's blob deletes and its row delete.
func (s *Service) SweepOrphans(ctx context.Context) error {
	cutoff := s.now().Add(-orphanAge)
	n := 0
	for _, ns := range []string{"orig/", "thumb/", "preview/"} {
		for info, err := range s.sealer.List(ctx, ns) {
			if err != nil {
				return fmt.Errorf("library: sweep: %w", err)
			}
			if info.ModTime.After(cutoff) {
				continue
			}
			used, err := s.store.BlobReferenced(ctx, info.Ref)
			if err != nil {
				return fmt.Errorf("library: sweep: %w", err)
			}
			if !used {
				s.deleteBlobs(ctx, info.Ref)
				n++
			}
		}
	}
	if n > 0 {
		s.log.InfoContext(ctx, "orphan blobs removed", "count", n)
	}
	return nil
}

// deriveReservation estimates the memory a Derive of a holds at its peak:
// the original's bytes plus the decoder's working set. JPEG, PNG, TIFF and
// WebP shrink while they load (under a byte per pixel measured); the HEIF
// decoder holds the whole picture, about 6.5 bytes per pixel (650 MB for
// 100 megapixels). Clamped to the budget, so that one image of any
// accepted size can always run, alone.
func (s *Service) deriveReservation(a Asset) int64 {
	perPixel := int64(1)
	if a.Format == media.FormatHEIF || a.Format == media.FormatAVIF {
		perPixel = 7
	}
	est := a.Size + int64(a.Width)*int64(a.Height)*perPixel
	return min(max(est, 1), max(s.cfg.MemoryBudget, s.cfg.MaxUploadBytes))
}
