package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/sqlstore"
)

// Instance administration of accounts (auth.AccountAdminStore).

// mkAccount makes an account created at t0+i, so listings have one order
// on every engine.
func mkAccount(t *testing.T, s *sqlstore.Store, i int, email string, roles ...access.Role) auth.User {
	t.Helper()
	at := t0.Add(time.Duration(i) * time.Minute)
	u, err := s.CreateUser(t.Context(), auth.NewUser{User: auth.User{ID: sqlstore.NewID(), Email: email, Name: "Name " + email,
		PasswordHash: "$argon2id$x", Roles: roles, CreatedAt: at, UpdatedAt: at}})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return u
}

// seedSession gives u a session (live or not) and returns it.
func seedSession(t *testing.T, s *sqlstore.Store, u auth.User, id string, h byte, seen, expires time.Time) auth.Session {
	t.Helper()
	ss := auth.Session{ID: id, UserID: u.ID, TokenHash: bytes.Repeat([]byte{h}, 32), CreatedAt: t0, LastSeenAt: seen, ExpiresAt: expires,
		IP: "192.0.2.1", UserAgent: "UA"}
	if err := s.CreateSession(t.Context(), ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

func seedToken(t *testing.T, s *sqlstore.Store, u auth.User, id string, h byte) auth.Token {
	t.Helper()
	tok := auth.Token{ID: id, UserID: u.ID, Name: id, Hash: bytes.Repeat([]byte{h}, 32), CreatedAt: t0}
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func seedPending(t *testing.T, s *sqlstore.Store, u auth.User, id string, h byte) auth.PendingLogin {
	t.Helper()
	p := auth.PendingLogin{ID: id, UserID: u.ID, TokenHash: bytes.Repeat([]byte{h}, 32), PasswordStamp: []byte("stamp"),
		CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute), IP: "192.0.2.1", UserAgent: "UA"}
	if err := s.CreatePendingLogin(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func testListAccounts(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	now, idle := t0.Add(time.Hour), 30*time.Minute
	if list, err := s.ListAccounts(ctx, now, now.Add(-idle)); err != nil || len(list) != 0 {
		t.Fatalf("ListAccounts(empty) = %+v, %v; want none", list, err)
	}
	root := mkAccount(t, s, 0, "root@example.com", access.RoleAdmin)
	bea := mkAccount(t, s, 1, "bea@example.com")
	cy := mkAccount(t, s, 2, "cy@example.com")
	seedSession(t, s, bea, "live1", 1, now.Add(-time.Minute), now.Add(time.Hour))
	seedSession(t, s, bea, "live2", 2, now.Add(-10*time.Minute), now.Add(time.Hour))
	seedSession(t, s, bea, "expired", 3, now.Add(-time.Minute), now.Add(-time.Second))
	seedSession(t, s, bea, "idle", 4, now.Add(-idle-time.Second), now.Add(time.Hour))
	seedSession(t, s, root, "root", 5, now, now.Add(time.Hour))
	seedToken(t, s, bea, "tb1", 6)
	seedToken(t, s, bea, "tb2", 7)
	seedToken(t, s, cy, "tc1", 8)

	list, err := s.ListAccounts(ctx, now, now.Add(-idle))
	if err != nil {
		t.Fatalf("ListAccounts = %v", err)
	}
	type row struct {
		email          string
		roles          []access.Role
		sessions, toks int
	}
	want := []row{{"root@example.com", []access.Role{access.RoleAdmin}, 1, 0}, {"bea@example.com", nil, 2, 2}, {"cy@example.com", nil, 0, 1}}
	if len(list) != len(want) {
		t.Fatalf("ListAccounts = %d accounts; want %d", len(list), len(want))
	}
	for i, w := range want {
		a := list[i]
		if a.User.Email != w.email || !slices.Equal(a.User.Roles, w.roles) || a.LiveSessions != w.sessions || a.Tokens != w.toks {
			t.Errorf("ListAccounts[%d] = %s roles %v, %d live sessions, %d tokens; want %+v",
				i, a.User.Email, a.User.Roles, a.LiveSessions, a.Tokens, w)
		}
		if a.User.PasswordHash != "" {
			t.Errorf("ListAccounts[%d] carries the password hash", i)
		}
		if a.User.Disabled() || a.User.ID == "" || a.User.Name == "" || !a.User.CreatedAt.Equal(t0.Add(time.Duration(i)*time.Minute)) {
			t.Errorf("ListAccounts[%d].User = %+v", i, a.User)
		}
	}
}

func testDisableUser(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	root := mkAccount(t, s, 0, "root@example.com", access.RoleAdmin)
	ops := mkAccount(t, s, 1, "ops@example.com", access.RoleAdmin)
	bea := mkAccount(t, s, 2, "bea@example.com")
	beaSession := seedSession(t, s, bea, "b1", 1, t0, t0.Add(time.Hour))
	seedSession(t, s, bea, "b2", 2, t0, t0.Add(time.Hour))
	beaToken := seedToken(t, s, bea, "tb", 3)
	beaPending := seedPending(t, s, bea, "pb", 4)
	rootSession := seedSession(t, s, root, "r1", 5, t0, t0.Add(time.Hour))
	rootToken := seedToken(t, s, root, "tr", 6)
	rootPending := seedPending(t, s, root, "pr", 7)

	t1 := t0.Add(time.Hour)
	ended, err := s.DisableUser(ctx, bea.ID, t1)
	if err != nil || ended != (auth.Ended{Sessions: 2, Tokens: 1, PendingLogins: 1}) {
		t.Fatalf("DisableUser = %+v, %v; want 2 sessions, 1 token, 1 pending sign-in", ended, err)
	}
	if got, err := s.UserByID(ctx, bea.ID); err != nil || !got.DisabledAt.Equal(t1) || !got.Disabled() {
		t.Errorf("after DisableUser, DisabledAt = %v, %v; want %v", got.DisabledAt, err, t1)
	}
	if got, err := s.UserByEmail(ctx, bea.Email); err != nil || !got.DisabledAt.Equal(t1) {
		t.Errorf("UserByEmail of a disabled account: DisabledAt = %v, %v; want %v", got.DisabledAt, err, t1)
	}
	if _, err := s.SessionByHash(ctx, beaSession.TokenHash); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("session of a disabled account: %v; want ErrNotFound", err)
	}
	if _, err := s.TokenByHash(ctx, beaToken.Hash); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("token of a disabled account: %v; want ErrNotFound", err)
	}
	if _, err := s.PendingLoginByHash(ctx, beaPending.TokenHash); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("pending sign-in of a disabled account: %v; want ErrNotFound", err)
	}
	// Another account's are untouched.
	if _, err := s.SessionByHash(ctx, rootSession.TokenHash); err != nil {
		t.Errorf("another account's session: %v", err)
	}
	if _, err := s.TokenByHash(ctx, rootToken.Hash); err != nil {
		t.Errorf("another account's token: %v", err)
	}
	if _, err := s.PendingLoginByHash(ctx, rootPending.TokenHash); err != nil {
		t.Errorf("another account's pending sign-in: %v", err)
	}
	// Again: the first time stays.
	if ended, err := s.DisableUser(ctx, bea.ID, t1.Add(time.Hour)); err != nil || ended != (auth.Ended{}) {
		t.Errorf("second DisableUser = %+v, %v; want nothing ended", ended, err)
	}
	if got, _ := s.UserByID(ctx, bea.ID); !got.DisabledAt.Equal(t1) {
		t.Errorf("second DisableUser moved DisabledAt to %v; want %v", got.DisabledAt, t1)
	}
	if _, err := s.DisableUser(ctx, sqlstore.NewID(), t1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DisableUser(missing) = %v; want ErrNotFound", err)
	}
	if list, _ := s.ListAccounts(ctx, t1, t0); len(list) != 3 || !list[2].User.DisabledAt.Equal(t1) || list[0].User.Disabled() {
		t.Errorf("ListAccounts after disabling bea = %+v", list)
	}

	if err := s.EnableUser(ctx, bea.ID, t1); err != nil {
		t.Fatalf("EnableUser = %v", err)
	}
	if got, _ := s.UserByID(ctx, bea.ID); got.Disabled() {
		t.Errorf("after EnableUser, DisabledAt = %v; want zero", got.DisabledAt)
	}
	if err := s.EnableUser(ctx, sqlstore.NewID(), t1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EnableUser(missing) = %v; want ErrNotFound", err)
	}

	// The last active admin stays.
	if _, err := s.DisableUser(ctx, ops.ID, t1); err != nil {
		t.Fatalf("DisableUser(one of two admins) = %v", err)
	}
	if _, err := s.DisableUser(ctx, root.ID, t1); !errors.Is(err, auth.ErrLastAdmin) {
		t.Errorf("DisableUser(last active admin) = %v; want ErrLastAdmin", err)
	}
	if got, _ := s.UserByID(ctx, root.ID); got.Disabled() {
		t.Error("the refused DisableUser disabled the last admin")
	}
	if _, err := s.SessionByHash(ctx, rootSession.TokenHash); err != nil {
		t.Errorf("the refused DisableUser ended the last admin's session: %v", err)
	}

	// Two admins disabling each other at once: exactly one succeeds, on
	// every engine, every time.
	for round := range 5 {
		for _, u := range []auth.User{root, ops} {
			if err := s.EnableUser(ctx, u.ID, t1); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []auth.User{root, ops} {
			wg.Go(func() { _, errs[i] = s.DisableUser(ctx, u.ID, t1) })
		}
		wg.Wait()
		ok, last := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, auth.ErrLastAdmin):
				last++
			default:
				t.Fatalf("round %d: concurrent DisableUser = %v", round, err)
			}
		}
		if ok != 1 || last != 1 {
			t.Fatalf("round %d: two admins disabling each other: %v; want one success and one ErrLastAdmin", round, errs)
		}
		active := 0
		for _, u := range []auth.User{root, ops} {
			if got, _ := s.UserByID(ctx, u.ID); !got.Disabled() {
				active++
			}
		}
		if active != 1 {
			t.Fatalf("round %d: %d active admins left; want 1", round, active)
		}
	}
}

func testEndSessions(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	root := mkAccount(t, s, 0, "root@example.com", access.RoleAdmin)
	bea := mkAccount(t, s, 1, "bea@example.com")
	for i := range 3 {
		seedSession(t, s, root, fmt.Sprint("r", i), byte(10+i), t0, t0.Add(time.Hour))
		seedSession(t, s, bea, fmt.Sprint("b", i), byte(20+i), t0, t0.Add(time.Hour))
	}
	seedPending(t, s, root, "pr", 30)
	seedPending(t, s, bea, "pb", 31)
	beaToken := seedToken(t, s, bea, "tb", 32)

	ended, err := s.EndSessionsOf(ctx, root.ID, "r0")
	if err != nil || ended != (auth.Ended{Sessions: 2, PendingLogins: 1}) {
		t.Errorf("EndSessionsOf(root, keep r0) = %+v, %v; want 2 sessions, 1 pending sign-in", ended, err)
	}
	if list, _ := s.SessionsOf(ctx, root.ID); len(list) != 1 || list[0].ID != "r0" {
		t.Errorf("root's sessions after EndSessionsOf = %v; want [r0]", ids(list))
	}
	if list, _ := s.SessionsOf(ctx, bea.ID); len(list) != 3 {
		t.Errorf("bea's sessions after EndSessionsOf(root) = %v; want all 3", ids(list))
	}
	if _, err := s.EndSessionsOf(ctx, sqlstore.NewID(), ""); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("EndSessionsOf(missing) = %v; want ErrNotFound", err)
	}

	ended, err = s.EndAllSessions(ctx, "r0")
	if err != nil || ended != (auth.Ended{Sessions: 3, PendingLogins: 1}) {
		t.Errorf("EndAllSessions(keep r0) = %+v, %v; want 3 sessions, 1 pending sign-in", ended, err)
	}
	if list, _ := s.SessionsOf(ctx, root.ID); len(list) != 1 || list[0].ID != "r0" {
		t.Errorf("root's sessions after EndAllSessions = %v; want [r0]", ids(list))
	}
	if list, _ := s.SessionsOf(ctx, bea.ID); len(list) != 0 {
		t.Errorf("bea's sessions after EndAllSessions = %v; want none", ids(list))
	}
	// Tokens are not sessions.
	if _, err := s.TokenByHash(ctx, beaToken.Hash); err != nil {
		t.Errorf("token after EndAllSessions: %v; want it kept", err)
	}
	if ended, err := s.EndAllSessions(ctx, ""); err != nil || ended != (auth.Ended{Sessions: 1}) {
		t.Errorf("EndAllSessions(keep none) = %+v, %v; want the last session", ended, err)
	}
}
