package library

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Viewer is someone other than the owner whom package sharing let see an
// asset, and the grant that let them: it goes into the owner's access log.
type Viewer struct {
	ActorID string // the account, or "" for a guest of a review link
	Label   string // how the owner knows them: an e-mail address, a guest's name
	Via     string // the grant: "member:<id>", "link:<id>"
}

// AssetsOf returns those of ids that are ownerID's assets outside the
// trash, in the order of ids, with their private fields open; ids that
// are not (another owner's, trashed, unknown, malformed) are left out.
// It is for package sharing, which has decided who may see what.
func (s *Service) AssetsOf(ctx context.Context, ownerID string, ids []string) ([]Asset, error) {
	out := make([]Asset, 0, len(ids))
	for _, id := range ids {
		a, err := s.ownedLive(ctx, ownerID, id)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ownedLive loads ownerID's asset id, outside the trash, private fields
// open; ErrNotFound for anything else.
func (s *Service) ownedLive(ctx context.Context, ownerID, id string) (Asset, error) {
	if _, err := uuid.Parse(id); err != nil || ownerID == "" {
		return Asset{}, ErrNotFound
	}
	a, err := s.store.AssetByID(ctx, id)
	if err != nil {
		return Asset{}, err
	}
	if a.OwnerID != ownerID || !a.TrashedAt.IsZero() {
		return Asset{}, ErrNotFound
	}
	if err := s.openPrivate(ctx, &a); err != nil {
		return Asset{}, err
	}
	return a, nil
}

// OpenShared opens a rendition of ownerID's asset id for v, whom package
// sharing has authorized, and records the view in the owner's access log
// with v's grant (for the owner, Via "owner", only original downloads, as
// Open does). Trashed assets are not found; thumb and preview are
// ErrNotReady until derived. The original keeps its format; its name is
// never given out (derived names carry the asset id instead).
func (s *Service) OpenShared(ctx context.Context, ownerID, id string, kind Kind, v Viewer) (*Content, error) {
	a, err := s.ownedLive(ctx, ownerID, id)
	if err != nil {
		return nil, err
	}
	c, err := s.openRendition(ctx, a, kind)
	if err != nil {
		return nil, err
	}
	if v.Via == "owner" {
		// The owner through one of their projects: logged like Open.
		if kind == Original {
			s.recordShared(ctx, a, string(kind), v)
		}
		return c, nil
	}
	// Original file names are the owner's: others get a neutral one.
	c.Filename = "photo-" + a.ID[len(a.ID)-12:] + renditionSuffix(kind, a)
	s.recordShared(ctx, a, string(kind), v)
	return c, nil
}

// RecordSharedView records that v saw the metadata of ownerID's asset
// (a project listing shows it) — one entry per asset and listing.
func (s *Service) RecordSharedView(ctx context.Context, a Asset, action string, v Viewer) {
	s.recordShared(ctx, a, action, v)
}

func (s *Service) recordShared(ctx context.Context, a Asset, action string, v Viewer) {
	err := s.store.AppendAccess(ctx, AccessEvent{
		ID: newID(), AssetID: a.ID, OwnerID: a.OwnerID, At: s.now().UTC(),
		ActorID: v.ActorID, ActorLabel: v.Label, Via: v.Via, Action: action,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "access not recorded", "asset_id", a.ID, "err", err)
	}
}

func renditionSuffix(kind Kind, a Asset) string {
	switch kind {
	case Thumb:
		return "-thumb.jpg"
	case Preview:
		return "-preview.jpg"
	}
	ext := string(a.Format)
	if ext == "jpeg" {
		ext = "jpg"
	}
	return "." + strings.ToLower(ext)
}

// OwnerAccessLog returns the access log of ownerID's asset id (any state),
// newest first, for the owner's project views.
func (s *Service) OwnerAccessLog(ctx context.Context, ownerID, id string) ([]AccessEvent, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	a, err := s.store.AssetByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.OwnerID != ownerID {
		return nil, ErrNotFound
	}
	ev, err := s.store.AccessLog(ctx, a.ID, 500)
	if err != nil {
		return nil, fmt.Errorf("library: access log: %w", err)
	}
	return ev, nil
}

// WhoSaw lists who else saw ownerID's images, across the whole library
// (trashed assets included; a purged asset takes its log with it),
// newest first: members, link
// guests, jurors, organizers, the public results page.
func (s *Service) WhoSaw(ctx context.Context, ownerID string, limit int) ([]AccessEvent, error) {
	ev, err := s.store.AccessLogByOwner(ctx, ownerID, limit)
	if err != nil {
		return nil, fmt.Errorf("library: access log: %w", err)
	}
	return ev, nil
}
