package sqlstore

import (
	"context"
	"time"
)

// Storage limits (package privacy, retention.go): deletions of data whose
// period is over. Each returns how many rows it deleted.

// DeleteEmailTokensExpiredBefore deletes e-mailed tokens (password reset,
// address verification) that expired before t, used or not.
func (s *Store) DeleteEmailTokensExpiredBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteCount(ctx, "delete expired e-mailed tokens", `DELETE FROM email_tokens WHERE expires_at < $1`, micros(t))
}

// DeleteInvitesExpiredBefore deletes invitations to sign up that expired
// before t, used or not: a used one has done its work, and the account
// it made keeps no reference to it.
func (s *Store) DeleteInvitesExpiredBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteCount(ctx, "delete expired invitations", `DELETE FROM invites WHERE expires_at < $1`, micros(t))
}

// DeleteDraftsOfCallsClosedBefore deletes the draft entries of calls whose
// deadline passed before t; their images, which only name library
// assets, go with them. Consents have no foreign key to the entry and
// stay, as proof of what was agreed.
func (s *Store) DeleteDraftsOfCallsClosedBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteCount(ctx, "delete drafts of closed calls",
		`DELETE FROM entries WHERE state = 'draft' AND call_id IN (SELECT id FROM calls WHERE deadline < $1)`, micros(t))
}
