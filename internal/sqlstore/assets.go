package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"safelight/internal/blob"
	"safelight/internal/library"
	"safelight/internal/media"
)

var _ library.Store = (*Store)(nil)

const assetColumns = `id, owner_id, status, failure_reason, format, width, height, size,
	taken_at, taken_offset, taken_has_offset, camera_make, camera_model, lens,
	focal_length_mm, f_number, exposure_seconds, exposure_text, iso, color_profile,
	private, content_mac, original_ref, thumb_ref, preview_ref,
	thumb_width, thumb_height, preview_width, preview_height,
	sort_at, created_at, updated_at, trashed_at`

func scanAsset(sc interface{ Scan(...any) error }) (library.Asset, error) {
	var a library.Asset
	var status, format, orig, thumb, preview string
	var taken, offset, sortAt, created, updated, trashed int64
	err := sc.Scan(&a.ID, &a.OwnerID, &status, &a.FailureReason, &format, &a.Width, &a.Height, &a.Size,
		&taken, &offset, &a.TakenAtHasOffset, &a.CameraMake, &a.CameraModel, &a.Lens,
		&a.FocalLengthMM, &a.FNumber, &a.ExposureSeconds, &a.ExposureText, &a.ISO, &a.ColorProfile,
		&a.SealedPrivate, &a.ContentMAC, &orig, &thumb, &preview,
		&a.ThumbWidth, &a.ThumbHeight, &a.PreviewWidth, &a.PreviewHeight,
		&sortAt, &created, &updated, &trashed)
	if err != nil {
		return a, err
	}
	a.Status, a.Format = library.Status(status), media.Format(format)
	a.OriginalRef, a.ThumbRef, a.PreviewRef = blob.Ref(orig), blob.Ref(thumb), blob.Ref(preview)
	if taken != 0 {
		a.TakenAt = fromMicros(taken)
		if a.TakenAtHasOffset {
			a.TakenAt = a.TakenAt.In(time.FixedZone("", int(offset)))
		}
	}
	a.SortAt, a.CreatedAt, a.UpdatedAt, a.TrashedAt = fromMicros(sortAt), fromMicros(created), fromMicros(updated), fromMicros(trashed)
	return a, nil
}

// CreateAsset implements library.Store.
func (s *Store) CreateAsset(ctx context.Context, a library.Asset) error {
	_, offset := a.TakenAt.Zone()
	_, err := s.write.ExecContext(ctx, `INSERT INTO assets (`+assetColumns+`) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		 $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)`,
		a.ID, a.OwnerID, string(a.Status), a.FailureReason, string(a.Format), a.Width, a.Height, a.Size,
		micros(a.TakenAt), offset, a.TakenAtHasOffset, a.CameraMake, a.CameraModel, a.Lens,
		a.FocalLengthMM, a.FNumber, a.ExposureSeconds, a.ExposureText, a.ISO, a.ColorProfile,
		a.SealedPrivate, a.ContentMAC, string(a.OriginalRef), string(a.ThumbRef), string(a.PreviewRef),
		a.ThumbWidth, a.ThumbHeight, a.PreviewWidth, a.PreviewHeight,
		micros(a.SortAt), micros(a.CreatedAt), micros(a.UpdatedAt), micros(a.TrashedAt))
	if s.dialect.isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: create asset: %w", library.ErrDuplicate)
	}
	if err != nil {
		return s.errorf("sqlstore: create asset: %w", err)
	}
	return nil
}

// AssetByID implements library.Store.
func (s *Store) AssetByID(ctx context.Context, id string) (library.Asset, error) {
	a, err := scanAsset(s.read.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
	if err != nil {
		return library.Asset{}, s.errorf("sqlstore: asset %s: %w", id, notFound(err, library.ErrNotFound))
	}
	return a, nil
}

// AssetByMAC implements library.Store.
func (s *Store) AssetByMAC(ctx context.Context, ownerID string, mac []byte) (library.Asset, error) {
	a, err := scanAsset(s.read.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE owner_id = $1 AND content_mac = $2`, ownerID, mac))
	if err != nil {
		return library.Asset{}, s.errorf("sqlstore: asset by mac: %w", notFound(err, library.ErrNotFound))
	}
	return a, nil
}

// ListAssets implements library.Store.
func (s *Store) ListAssets(ctx context.Context, ownerID string, trashed bool, after *library.Cursor, limit int) ([]library.Asset, error) {
	where := `owner_id = $1 AND trashed_at = 0`
	if trashed {
		where = `owner_id = $1 AND trashed_at <> 0`
	}
	args := []any{ownerID, limit}
	if after != nil {
		where += ` AND (sort_at < $3 OR (sort_at = $3 AND id < $4))`
		args = append(args, micros(after.SortAt), after.ID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE `+where+`
		ORDER BY sort_at DESC, id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, s.errorf("sqlstore: list assets: %w", err)
	}
	return collect(s, rows, scanAsset)
}

// Neighbours implements library.Store.
func (s *Store) Neighbours(ctx context.Context, ownerID string, c library.Cursor) (string, string, error) {
	var prev, next string
	err := s.read.QueryRowContext(ctx, `SELECT id FROM assets WHERE owner_id = $1 AND trashed_at = 0
		AND (sort_at > $2 OR (sort_at = $2 AND id > $3)) ORDER BY sort_at ASC, id ASC LIMIT 1`,
		ownerID, micros(c.SortAt), c.ID).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", s.errorf("sqlstore: neighbours: %w", err)
	}
	err = s.read.QueryRowContext(ctx, `SELECT id FROM assets WHERE owner_id = $1 AND trashed_at = 0
		AND (sort_at < $2 OR (sort_at = $2 AND id < $3)) ORDER BY sort_at DESC, id DESC LIMIT 1`,
		ownerID, micros(c.SortAt), c.ID).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", s.errorf("sqlstore: neighbours: %w", err)
	}
	return prev, next, nil
}

// SetAssetReady implements library.Store.
func (s *Store) SetAssetReady(ctx context.Context, id string, d library.Derivatives, at time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE assets SET status = $1, thumb_ref = $2, preview_ref = $3,
		thumb_width = $4, thumb_height = $5, preview_width = $6, preview_height = $7, updated_at = $8
		WHERE id = $9 AND status = $10`,
		string(library.StatusReady), string(d.ThumbRef), string(d.PreviewRef),
		d.ThumbWidth, d.ThumbHeight, d.PreviewWidth, d.PreviewHeight, micros(at), id, string(library.StatusProcessing))
	if err != nil {
		return false, s.errorf("sqlstore: asset ready: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: asset ready: %w", err)
	}
	return n == 1, nil
}

// SetAssetFailed implements library.Store.
func (s *Store) SetAssetFailed(ctx context.Context, id, reason string, at time.Time) error {
	return s.updateOne(ctx, "asset failed", library.ErrNotFound,
		`UPDATE assets SET status = $1, failure_reason = $2, updated_at = $3 WHERE id = $4`,
		string(library.StatusFailed), reason, micros(at), id)
}

// SetAssetTrashed implements library.Store.
func (s *Store) SetAssetTrashed(ctx context.Context, ownerID, id string, at time.Time) error {
	cond := `trashed_at = 0`
	if at.IsZero() {
		cond = `trashed_at <> 0`
	}
	return s.updateOne(ctx, "trash asset", library.ErrNotFound,
		`UPDATE assets SET trashed_at = $1 WHERE id = $2 AND owner_id = $3 AND `+cond, micros(at), id, ownerID)
}

// TrashedBefore implements library.Store.
func (s *Store) TrashedBefore(ctx context.Context, ownerID string, t time.Time, limit int) ([]library.Asset, error) {
	// The sweep of every owner (ownerID "") leaves alone the trash of
	// accounts whose holder restricted processing: theirs is only kept.
	q := `SELECT ` + assetColumns + ` FROM assets WHERE trashed_at <> 0 AND trashed_at < $1
		AND ($2 = '' AND owner_id NOT IN (SELECT id FROM users WHERE restricted_at <> 0) OR owner_id = $2) ORDER BY trashed_at LIMIT $3`
	rows, err := s.read.QueryContext(ctx, q, micros(t), ownerID, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: trashed assets: %w", err)
	}
	return collect(s, rows, scanAsset)
}

// ProcessingBefore implements library.Store.
func (s *Store) ProcessingBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM assets WHERE status = $1 AND created_at < $2 ORDER BY created_at LIMIT $3`,
		string(library.StatusProcessing), micros(t), limit)
	if err != nil {
		return nil, s.errorf("sqlstore: processing assets: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
}

// DeleteAsset implements library.Store.
func (s *Store) DeleteAsset(ctx context.Context, id string) error {
	return s.updateOne(ctx, "delete asset", library.ErrNotFound, `DELETE FROM assets WHERE id = $1`, id)
}

// AppendAccess implements library.Store.
func (s *Store) AppendAccess(ctx context.Context, e library.AccessEvent) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO access_events (id, asset_id, owner_id, at, actor_id, actor_label, via, action)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, e.AssetID, e.OwnerID, micros(e.At), e.ActorID, e.ActorLabel, e.Via, e.Action)
	if err != nil {
		return s.errorf("sqlstore: append access: %w", err)
	}
	return nil
}

// AccessLog implements library.Store.
func (s *Store) AccessLog(ctx context.Context, assetID string, limit int) ([]library.AccessEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, asset_id, owner_id, at, actor_id, actor_label, via, action
		FROM access_events WHERE asset_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, assetID, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: access log: %w", err)
	}
	return collect(s, rows, scanAccessEvent)
}

// scanAccessEvent reads an access_events row (id, asset_id, owner_id, at,
// actor_id, actor_label, via, action).
func scanAccessEvent(sc interface{ Scan(...any) error }) (library.AccessEvent, error) {
	var e library.AccessEvent
	var at int64
	err := sc.Scan(&e.ID, &e.AssetID, &e.OwnerID, &at, &e.ActorID, &e.ActorLabel, &e.Via, &e.Action)
	e.At = fromMicros(at)
	return e, err
}

// AccessLogByOwner implements library.Store: views of ownerID's assets by
// anyone else (actor_id differs, or a guest), newest first.
func (s *Store) AccessLogByOwner(ctx context.Context, ownerID string, limit int) ([]library.AccessEvent, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, asset_id, owner_id, at, actor_id, actor_label, via, action
		FROM access_events WHERE owner_id = $1 AND actor_id <> $1 ORDER BY at DESC, id DESC LIMIT $2`, ownerID, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: access log: %w", err)
	}
	return collect(s, rows, scanAccessEvent)
}

// LibrarySettings implements library.Store; owners without a row get the
// defaults (privacy by default does not strip their credit: copyright
// fields are kept unless they say otherwise).
func (s *Store) LibrarySettings(ctx context.Context, ownerID string) (library.Settings, error) {
	st := library.Settings{KeepCopyright: true}
	err := s.read.QueryRowContext(ctx, `SELECT keep_copyright FROM library_settings WHERE owner_id = $1`, ownerID).Scan(&st.KeepCopyright)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, s.errorf("sqlstore: library settings: %w", err)
	}
	return st, nil
}

// SetLibrarySettings implements library.Store.
func (s *Store) SetLibrarySettings(ctx context.Context, ownerID string, st library.Settings) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO library_settings (owner_id, keep_copyright) VALUES ($1, $2)
		ON CONFLICT (owner_id) DO UPDATE SET keep_copyright = excluded.keep_copyright`, ownerID, st.KeepCopyright)
	if err != nil {
		return s.errorf("sqlstore: set library settings: %w", err)
	}
	return nil
}

// BlobReferenced implements library.Store.
func (s *Store) BlobReferenced(ctx context.Context, ref blob.Ref) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM assets WHERE original_ref = $1 OR thumb_ref = $1 OR preview_ref = $1`, string(ref)).Scan(&n)
	if err != nil {
		return false, s.errorf("sqlstore: blob referenced: %w", err)
	}
	return n > 0, nil
}
