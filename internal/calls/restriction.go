package calls

import (
	"context"

	"safelight/internal/auth"
)

// checkEntrant answers ErrNotFound when the photographer of e restricted
// the processing of their data (GDPR Art. 18, auth.User.Restricted): the
// entry is then out of every jury's, manager's and the public's sight —
// not listed, not counted, its images 404 — until they lift it. It stays
// a candidate of its rounds, so lifting brings it back where it was.
// The photographer's own views of the entry do not pass here.
func (s *Service) checkEntrant(ctx context.Context, e Entry) error {
	if frozen, err := auth.HolderRestricted(ctx, s.accounts, e.UserID); err != nil {
		return err
	} else if frozen {
		return ErrNotFound
	}
	return nil
}
