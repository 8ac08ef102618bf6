package library

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"safelight/internal/access"
)

// HiddenFrom reports whether id names an asset that exists but is not
// p's: what a "not found" answered to p hid. It exists for the security
// log (an attempt on someone else's photo, ASVS V16.3.2); answers to p
// must not depend on it, and it should run off the request's path so
// that its time does not show either. A malformed or unknown id is not
// hidden, just missing.
func (s *Service) HiddenFrom(ctx context.Context, p *access.Principal, id string) (bool, error) {
	if _, err := uuid.Parse(id); err != nil {
		return false, nil
	}
	a, err := s.store.AssetByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return !access.Owns(p, a.OwnerID), nil
}
