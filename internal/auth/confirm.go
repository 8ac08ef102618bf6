package auth

import (
	"context"

	"safelight/internal/access"
)

// ConfirmIdentity checks r against every factor p's account signs in with
// (see Reauth), for a change another package owns that needs the same
// proof as signing in: erasing the account (package privacy). Only a
// signed-in session may confirm (ErrSessionRequired for a token); wrong
// answers count as sign-in failures, as for every re-authentication.
func (s *Service) ConfirmIdentity(ctx context.Context, p *access.Principal, r Reauth, c Client) error {
	if p.Via != access.ViaSession {
		return ErrSessionRequired
	}
	_, err := s.confirmIdentity(ctx, p, r, false, c)
	return err
}
