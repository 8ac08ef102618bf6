package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
)

var _ auth.Store = (*Store)(nil)

// CreateUser implements auth.Store.
func (s *Store) CreateUser(ctx context.Context, nu auth.NewUser) (auth.User, error) {
	u := nu.User
	if u.ID == "" {
		u.ID = newID()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if nu.InviteHash != nil {
			res, err := tx.ExecContext(ctx, `UPDATE invites SET used_at = $1
				WHERE token_hash = $2 AND email = $3 AND used_at = 0 AND expires_at > $1`,
				micros(u.CreatedAt), nu.InviteHash, u.Email)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				return auth.ErrInviteInvalid
			}
		}
		if nu.FirstIsAdmin {
			if err := s.dialect.lockSignUp(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
				return err
			}
			if n == 0 && !slices.Contains(u.Roles, access.RoleAdmin) {
				u.Roles = append(u.Roles, access.RoleAdmin)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			u.ID, u.Email, u.Name, u.PasswordHash, micros(u.CreatedAt), micros(u.UpdatedAt))
		if s.dialect.isUniqueViolation(err) {
			return auth.ErrEmailTaken
		}
		if err != nil {
			return err
		}
		for _, r := range u.Roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, u.ID, string(r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return auth.User{}, s.errorf("sqlstore: create user: %w", err)
	}
	slices.Sort(u.Roles)
	return u, nil
}

const userColumns = `id, email, name, password_hash, created_at, updated_at, email_verified_at, disabled_at, restricted_at`

func scanUser(sc interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var created, updated, verified, disabled, restricted int64
	err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &created, &updated, &verified, &disabled, &restricted)
	u.CreatedAt, u.UpdatedAt, u.EmailVerifiedAt, u.DisabledAt = fromMicros(created), fromMicros(updated), fromMicros(verified), fromMicros(disabled)
	u.RestrictedAt = fromMicros(restricted)
	return u, err
}

func (s *Store) userWhere(ctx context.Context, cond string, arg any) (auth.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond, arg))
	if err != nil {
		return auth.User{}, notFound(err, auth.ErrNotFound)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role`, u.ID)
	if err != nil {
		return auth.User{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return auth.User{}, err
		}
		u.Roles = append(u.Roles, access.Role(r))
	}
	return u, rows.Err()
}

// UserByID implements auth.Store.
func (s *Store) UserByID(ctx context.Context, id string) (auth.User, error) {
	u, err := s.userWhere(ctx, `id = $1`, id)
	if err != nil {
		return u, s.errorf("sqlstore: user %s: %w", id, err)
	}
	return u, nil
}

// UserByEmail implements auth.Store. The e-mail must be normalized.
func (s *Store) UserByEmail(ctx context.Context, email string) (auth.User, error) {
	u, err := s.userWhere(ctx, `email = $1`, strings.ToLower(email))
	if err != nil {
		return u, s.errorf("sqlstore: user by e-mail: %w", err)
	}
	return u, nil
}

// CountUsers implements auth.Store.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, s.errorf("sqlstore: count users: %w", err)
	}
	return n, nil
}

// SetPasswordHash implements auth.Store.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error {
	return s.updateOne(ctx, "set password", auth.ErrNotFound,
		`UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, micros(at), userID)
}

// SetUserName implements auth.Store.
func (s *Store) SetUserName(ctx context.Context, userID, name string, at time.Time) error {
	return s.updateOne(ctx, "set name", auth.ErrNotFound,
		`UPDATE users SET name = $1, updated_at = $2 WHERE id = $3`, name, micros(at), userID)
}

// updateOne runs a statement that must touch exactly one row; otherwise it
// returns sentinel.
func (s *Store) updateOne(ctx context.Context, op string, sentinel error, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return s.errorf("sqlstore: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.errorf("sqlstore: %s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: %s: %w", op, sentinel)
	}
	return nil
}

var _ auth.AccountAdminStore = (*Store)(nil)

// ListAccounts implements auth.AccountAdminStore: four queries, whatever
// the number of accounts (the accounts, their roles, and the counts of
// live sessions and of tokens per account).
func (s *Store) ListAccounts(ctx context.Context, now, idleSince time.Time) ([]auth.AccountSummary, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY created_at, id`)
	if err != nil {
		return nil, s.errorf("sqlstore: list accounts: %w", err)
	}
	users, err := collect(s, rows, scanUser)
	if err != nil {
		return nil, err
	}
	out := make([]auth.AccountSummary, len(users))
	byID := make(map[string]*auth.AccountSummary, len(users))
	for i, u := range users {
		u.PasswordHash = "" // not for listing
		out[i].User = u
		byID[u.ID] = &out[i]
	}
	err = s.eachRow(ctx, `SELECT user_id, role FROM user_roles ORDER BY user_id, role`, nil, func(sc interface{ Scan(...any) error }) error {
		var id, role string
		if err := sc.Scan(&id, &role); err != nil {
			return err
		}
		if a := byID[id]; a != nil {
			a.User.Roles = append(a.User.Roles, access.Role(role))
		}
		return nil
	})
	if err != nil {
		return nil, s.errorf("sqlstore: list accounts: roles: %w", err)
	}
	count := func(query string, args []any, set func(*auth.AccountSummary, int)) error {
		return s.eachRow(ctx, query, args, func(sc interface{ Scan(...any) error }) error {
			var id string
			var n int
			if err := sc.Scan(&id, &n); err != nil {
				return err
			}
			if a := byID[id]; a != nil {
				set(a, n)
			}
			return nil
		})
	}
	err = count(`SELECT user_id, COUNT(*) FROM sessions WHERE expires_at > $1 AND last_seen_at > $2 GROUP BY user_id`,
		[]any{micros(now), micros(idleSince)}, func(a *auth.AccountSummary, n int) { a.LiveSessions = n })
	if err != nil {
		return nil, s.errorf("sqlstore: list accounts: sessions: %w", err)
	}
	err = count(`SELECT user_id, COUNT(*) FROM api_tokens GROUP BY user_id`, nil, func(a *auth.AccountSummary, n int) { a.Tokens = n })
	if err != nil {
		return nil, s.errorf("sqlstore: list accounts: tokens: %w", err)
	}
	return out, nil
}

// eachRow runs a read query and calls fn for every row.
func (s *Store) eachRow(ctx context.Context, query string, args []any, fn func(interface{ Scan(...any) error }) error) error {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DisableUser implements auth.AccountAdminStore.
func (s *Store) DisableUser(ctx context.Context, userID string, at time.Time) (auth.Ended, error) {
	var ended auth.Ended
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The lock that decides the first admin serializes every change to
		// who is an active admin: of two admins disabling each other at
		// once, the second sees the first's change and is refused.
		if err := s.dialect.lockSignUp(ctx, tx); err != nil {
			return err
		}
		var disabled int64
		if err := tx.QueryRowContext(ctx, `SELECT disabled_at FROM users WHERE id = $1`, userID).Scan(&disabled); err != nil {
			return notFound(err, auth.ErrNotFound)
		}
		if disabled == 0 {
			var isAdmin, otherAdmins int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE user_id = $1 AND role = $2`,
				userID, string(access.RoleAdmin)).Scan(&isAdmin); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id
				WHERE r.role = $1 AND u.disabled_at = 0 AND u.id <> $2`, string(access.RoleAdmin), userID).Scan(&otherAdmins); err != nil {
				return err
			}
			if isAdmin > 0 && otherAdmins == 0 {
				return auth.ErrLastAdmin
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1, updated_at = $1 WHERE id = $2`, micros(at), userID); err != nil {
				return err
			}
		}
		var err error
		if ended.Sessions, err = txCount(ctx, tx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if ended.Tokens, err = txCount(ctx, tx, `DELETE FROM api_tokens WHERE user_id = $1`, userID); err != nil {
			return err
		}
		ended.PendingLogins, err = txCount(ctx, tx, `DELETE FROM pending_logins WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return auth.Ended{}, s.errorf("sqlstore: disable user %s: %w", userID, err)
	}
	return ended, nil
}

// EnableUser implements auth.AccountAdminStore.
func (s *Store) EnableUser(ctx context.Context, userID string, at time.Time) error {
	return s.updateOne(ctx, "enable user", auth.ErrNotFound,
		`UPDATE users SET disabled_at = 0, updated_at = $1 WHERE id = $2`, micros(at), userID)
}

// SetRestricted implements auth.RestrictionStore: at zero lifts the
// restriction; restricting an account restricted already keeps its
// first time, so "since" stays true.
func (s *Store) SetRestricted(ctx context.Context, userID string, at, now time.Time) error {
	if at.IsZero() {
		return s.updateOne(ctx, "lift restriction", auth.ErrNotFound,
			`UPDATE users SET restricted_at = 0, updated_at = $1 WHERE id = $2`, micros(now), userID)
	}
	return s.updateOne(ctx, "restrict account", auth.ErrNotFound,
		`UPDATE users SET restricted_at = CASE WHEN restricted_at = 0 THEN $1 ELSE restricted_at END, updated_at = $2 WHERE id = $3`,
		micros(at), micros(now), userID)
}

// txCount runs a statement in tx and returns how many rows it touched.
func txCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
