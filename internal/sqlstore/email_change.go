package sqlstore

import (
	"context"
	"time"

	"safelight/internal/auth"
)

var _ auth.EmailChangeStore = (*Store)(nil)

// ChangeEmail implements auth.EmailChangeStore. The unique index on
// users.email decides a race between two accounts for one address.
func (s *Store) ChangeEmail(ctx context.Context, userID, email string, at time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3`,
		email, micros(at), userID)
	if s.dialect.isUniqueViolation(err) {
		return auth.ErrEmailTaken
	}
	if err != nil {
		return s.errorf("sqlstore: change e-mail: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.errorf("sqlstore: change e-mail: %w", err)
	} else if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}
