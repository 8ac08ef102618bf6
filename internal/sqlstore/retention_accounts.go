package sqlstore

import (
	"context"
	"time"

	"safelight/internal/audit"
)

// UnverifiedUnusedAccounts implements privacy.RetentionStore
// (privacy/retention_accounts.go): the ids of the accounts created before
// t whose e-mail address was never verified and that were never used,
// oldest first. Unused means that nothing but sign-up left a trace: every
// sign-in makes a device row or reuses one (auth.Service.finishLogin)
// and is recorded as auth.login, and sessions, tokens and assets need a
// sign-in. Accounts with a role (admins and staff, who may be created
// with an address nobody verified) are never listed, nor accounts whose
// holder restricted processing (Art. 18: kept, frozen, until lifted).
func (s *Store) UnverifiedUnusedAccounts(ctx context.Context, t time.Time) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT u.id FROM users u
		WHERE u.email_verified_at = 0 AND u.created_at < $1 AND u.restricted_at = 0
		  AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM sessions x WHERE x.user_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM api_tokens k WHERE k.user_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.owner_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.actor_id = u.id AND e.type = $2)
		ORDER BY u.created_at, u.id`, micros(t), string(audit.LoginSucceeded))
	if err != nil {
		return nil, s.errorf("sqlstore: unverified unused accounts: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		err := sc.Scan(&id)
		return id, err
	})
}
