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

const userColumns = `id, email, name, password_hash, created_at, updated_at, email_verified_at`

func (s *Store) userWhere(ctx context.Context, cond string, arg any) (auth.User, error) {
	var u auth.User
	var created, updated, verified int64
	err := s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond, arg).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &created, &updated, &verified)
	if err != nil {
		return auth.User{}, notFound(err, auth.ErrNotFound)
	}
	u.CreatedAt, u.UpdatedAt, u.EmailVerifiedAt = fromMicros(created), fromMicros(updated), fromMicros(verified)
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
