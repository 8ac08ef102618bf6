// Package storetest is the conformance suite of the metadata store. Every
// engine's test calls Test with a function that opens a fresh, migrated
// store, and MigrateConcurrently with a fresh database, so SQLite and
// PostgreSQL are held to the same behaviour.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/keys"
	"safelight/internal/sqlstore"
)

// Test runs the suite. newStore must return an empty, migrated store that
// is closed when the test ends.
func Test(t *testing.T, newStore func(t *testing.T) *sqlstore.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, *sqlstore.Store)
	}{
		{"MigrateIsIdempotent", testMigrateIdempotent},
		{"Users", testUsers},
		{"FirstUserIsAdminOnce", testFirstAdmin},
		{"Invites", testInvites},
		{"Sessions", testSessions},
		{"Tokens", testTokens},
		{"Devices", testDevices},
		{"LoginFailures", testLoginFailures},
		{"TOTP", testTOTP}, {"RecoveryCodes", testRecoveryCodes}, {"PendingLogins", testPendingLogins}, // mfa.go
		{"Passkeys", testPasskeys}, {"WebAuthnCeremonies", testWebAuthnCeremonies}, // passkeys.go
		{"ListAccounts", testListAccounts}, {"DisableUser", testDisableUser}, {"EndSessions", testEndSessions}, // admin.go
		{"AuditEvents", testAudit},
		{"AccountCounts", testAccountCounts}, {"AuditLog", testAuditLog}, {"Breaches", testBreaches}, {"DataSubjectRequests", testDataSubjectRequests}, // staff.go
		{"AuditChain", testAuditChain},
		{"PruneAuditChain", testPruneAuditChain}, // audit_prune.go
		{"OwnerKeys", testOwnerKeys},
		{"RootKeyCheck", testRootKeyCheck},
		{"RewrapOwnerKeys", testRewrapOwnerKeys}, {"ReplaceRootKeyCheck", testReplaceRootKeyCheck}, {"ResignAuditCheckpoint", testResignAuditCheckpoint}, // rewrap.go
		{"AssetRoundTrip", testAssetRoundTrip},
		{"AssetLookups", testAssetLookups},
		{"ListAssets", testListAssets},
		{"AssetLifecycle", testAssetLifecycle},
		{"TrashedAndProcessing", testTrashedAndProcessing},
		{"AccessLog", testAccessLog},
		{"LibrarySettings", testLibrarySettings},
		{"Mail", testMail}, {"ChangeEmail", testChangeEmail}, // email_change.go
		{"Projects", testProjects}, {"ProjectAssets", testProjectAssets}, {"ProjectAssetsConcurrently", testProjectAssetsConcurrently}, {"Members", testMembers}, {"ReviewLinks", testReviewLinks}, {"Review", testReview}, {"SharingCascades", testSharingCascades}, {"Notifications", testNotifications}, // sharing.go
		{"ErasureSchedule", testErasureSchedule}, {"EraseAccount", testEraseAccount}, // erasure.go
		{"Orgs", testOrgs}, {"Calls", testCalls}, {"Entries", testEntries}, {"DraftsToRemind", testDraftsToRemind}, {"Consents", testConsents}, {"Rounds", testRounds}, {"OriginalsRequests", testOriginalsRequests}, {"CallsCascades", testCallsCascades}, // calls.go
		{"Exports", testExports},     // exports.go
		{"Retention", testRetention}, // retention.go
		{"RetentionEndedLinks", testRetentionEndedLinks}, {"RetentionUnverifiedAccounts", testRetentionUnverifiedAccounts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// MigrateConcurrently opens several stores on the empty, unmigrated
// database named by dsn and migrates them all at once, as processes that
// start together do. Every Migrate must succeed and, between them, apply
// each migration exactly once.
func MigrateConcurrently(t *testing.T, dsn string) {
	const n = 4
	ctx := t.Context()
	log := slog.New(slog.DiscardHandler)
	// Opened one after another: what is under test is migrating. (Two
	// processes creating the same SQLite file at the same instant can see
	// SQLITE_BUSY while one switches it to WAL.)
	stores := make([]*sqlstore.Store, n)
	for i := range stores {
		s, err := sqlstore.Open(ctx, dsn, log)
		if err != nil {
			t.Fatalf("Open #%d = %v", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}

	applied := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = s.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range stores {
		if errs[i] != nil {
			t.Errorf("concurrent Migrate #%d = %v", i, errs[i])
		}
		total += applied[i]
	}
	v, err := stores[0].SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion() = %d, %v; want >= 1", v, err)
	}
	if total != v {
		t.Errorf("concurrent Migrate applied %d migrations in all (%v); want %d, each once", total, applied, v)
	}
	for i, s := range stores {
		if n, err := s.Migrate(ctx); err != nil || n != 0 {
			t.Errorf("Migrate #%d afterwards = %d, %v; want 0, nil", i, n, err)
		}
		if got, err := s.SchemaVersion(ctx); err != nil || got != v {
			t.Errorf("SchemaVersion #%d = %d, %v; want %d", i, got, err, v)
		}
	}
	// Each handle sees what another wrote: they share one database.
	u := mkUser(t, stores[1], "shared@example.com")
	if got, err := stores[3].UserByID(ctx, u.ID); err != nil || got.Email != u.Email {
		t.Errorf("UserByID through another handle = %+v, %v", got, err)
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func mkUser(t *testing.T, s *sqlstore.Store, email string) auth.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), auth.NewUser{User: auth.User{
		ID: sqlstore.NewID(), Email: email, Name: "Name " + email, PasswordHash: "$argon2id$x", CreatedAt: t0, UpdatedAt: t0,
	}})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return u
}

func testMigrateIdempotent(t *testing.T, s *sqlstore.Store) {
	v, err := s.SchemaVersion(t.Context())
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion() = %d, %v; want >= 1, nil", v, err)
	}
	n, err := s.Migrate(t.Context())
	if err != nil || n != 0 {
		t.Errorf("second Migrate() = %d, %v; want 0, nil", n, err)
	}
}

func testUsers(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	u := mkUser(t, s, "ann@example.com")
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID = %v", err)
	}
	if got.Email != u.Email || got.Name != u.Name || got.PasswordHash != u.PasswordHash || !got.CreatedAt.Equal(t0) {
		t.Errorf("UserByID = %+v; want %+v", got, u)
	}
	if got, err := s.UserByEmail(ctx, "ann@example.com"); err != nil || got.ID != u.ID {
		t.Errorf("UserByEmail = %+v, %v; want id %s", got, err, u.ID)
	}
	if _, err := s.UserByID(ctx, "nope"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UserByID(missing) = %v; want ErrNotFound", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UserByEmail(missing) = %v; want ErrNotFound", err)
	}
	_, err = s.CreateUser(ctx, auth.NewUser{User: auth.User{ID: sqlstore.NewID(), Email: "ann@example.com", Name: "x", PasswordHash: "h"}})
	if !errors.Is(err, auth.ErrEmailTaken) {
		t.Errorf("CreateUser(duplicate) = %v; want ErrEmailTaken", err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
	t1 := t0.Add(time.Hour)
	if err := s.SetPasswordHash(ctx, u.ID, "new-hash", t1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserName(ctx, u.ID, "Ann B", t1); err != nil {
		t.Fatal(err)
	}
	got, _ = s.UserByID(ctx, u.ID)
	if got.PasswordHash != "new-hash" || got.Name != "Ann B" || !got.UpdatedAt.Equal(t1) {
		t.Errorf("after updates = %+v", got)
	}
	if err := s.SetUserName(ctx, "missing", "x", t1); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("SetUserName(missing) = %v; want ErrNotFound", err)
	}
	r := mkUserRoles(t, s, "root@example.com", access.RoleAdmin)
	if got, _ := s.UserByID(ctx, r.ID); !slices.Equal(got.Roles, []access.Role{access.RoleAdmin}) {
		t.Errorf("roles = %v; want [admin]", got.Roles)
	}
}

func mkUserRoles(t *testing.T, s *sqlstore.Store, email string, roles ...access.Role) auth.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), auth.NewUser{User: auth.User{ID: sqlstore.NewID(), Email: email, Name: "n", PasswordHash: "h", Roles: roles}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testFirstAdmin(t *testing.T, s *sqlstore.Store) {
	var wg sync.WaitGroup
	users := make([]auth.User, 8)
	errs := make([]error, 8)
	for i := range users {
		wg.Go(func() {
			users[i], errs[i] = s.CreateUser(t.Context(), auth.NewUser{FirstIsAdmin: true, User: auth.User{
				ID: sqlstore.NewID(), Email: fmt.Sprintf("u%d@example.com", i), Name: "n", PasswordHash: "h"}})
		})
	}
	wg.Wait()
	admins := 0
	for i, u := range users {
		if errs[i] != nil {
			t.Fatalf("CreateUser #%d = %v", i, errs[i])
		}
		stored, err := s.UserByID(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(stored.Roles, access.RoleAdmin) {
			admins++
		}
	}
	if admins != 1 {
		t.Errorf("admins among 8 concurrent first sign-ups = %d; want 1", admins)
	}
}

func testInvites(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	admin := mkUser(t, s, "admin@example.com")
	hash := bytes.Repeat([]byte{7}, 32)
	if err := s.CreateInvite(ctx, auth.Invite{ID: sqlstore.NewID(), Email: "bea@example.com", Hash: hash, CreatedBy: admin.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	expired := bytes.Repeat([]byte{8}, 32)
	if err := s.CreateInvite(ctx, auth.Invite{ID: sqlstore.NewID(), Email: "cy@example.com", Hash: expired, CreatedBy: admin.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	try := func(email string, h []byte, at time.Time) error {
		_, err := s.CreateUser(ctx, auth.NewUser{InviteHash: h, User: auth.User{ID: sqlstore.NewID(), Email: email, Name: "n", PasswordHash: "h", CreatedAt: at}})
		return err
	}
	if err := try("other@example.com", hash, t0); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("invite for another e-mail = %v; want ErrInviteInvalid", err)
	}
	if _, err := s.UserByEmail(ctx, "other@example.com"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("refused invite left a user behind: %v", err)
	}
	if err := try("cy@example.com", expired, t0.Add(2*time.Minute)); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("expired invite = %v; want ErrInviteInvalid", err)
	}
	if err := try("bea@example.com", hash, t0.Add(time.Minute)); err != nil {
		t.Errorf("valid invite = %v", err)
	}
	if err := try("bea2@example.com", hash, t0.Add(time.Minute)); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Errorf("reused invite = %v; want ErrInviteInvalid", err)
	}
}

func testSessions(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	mk := func(u auth.User, id string, h byte, seen, expires time.Time) auth.Session {
		ss := auth.Session{ID: id, UserID: u.ID, TokenHash: bytes.Repeat([]byte{h}, 32), CreatedAt: t0, LastSeenAt: seen, ExpiresAt: expires, IP: "192.0.2.1", UserAgent: "UA"}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		return ss
	}
	s1 := mk(a, "s1", 1, t0, t0.Add(24*time.Hour))
	mk(a, "s2", 2, t0.Add(time.Minute), t0.Add(24*time.Hour))
	mk(b, "s3", 3, t0, t0.Add(time.Hour))
	got, err := s.SessionByHash(ctx, s1.TokenHash)
	if err != nil || got.ID != "s1" || got.UserID != a.ID || got.IP != "192.0.2.1" || !got.ExpiresAt.Equal(s1.ExpiresAt) {
		t.Errorf("SessionByHash = %+v, %v", got, err)
	}
	if _, err := s.SessionByHash(ctx, []byte("nope")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("SessionByHash(missing) = %v; want ErrNotFound", err)
	}
	list, err := s.SessionsOf(ctx, a.ID)
	if err != nil || len(list) != 2 || list[0].ID != "s2" {
		t.Errorf("SessionsOf(a) = %v, %v; want [s2 s1]", ids(list), err)
	}
	if err := s.DeleteSession(ctx, a.ID, "s3"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeleteSession(other user's) = %v; want ErrNotFound", err)
	}
	if err := s.TouchSession(ctx, "s1", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionByHash(ctx, s1.TokenHash); !got.LastSeenAt.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("after touch LastSeenAt = %v", got.LastSeenAt)
	}
	n, err := s.DeleteSessionsExcept(ctx, a.ID, "s1")
	if err != nil || n != 1 {
		t.Errorf("DeleteSessionsExcept = %d, %v; want 1", n, err)
	}
	// s3 expires at t0+1h; s1 was seen at t0+2m.
	n, err = s.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour), t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	if list, _ := s.SessionsOf(ctx, b.ID); len(list) != 0 {
		t.Errorf("expired session of b survived: %v", ids(list))
	}
	if err := s.DeleteSession(ctx, a.ID, "s1"); err != nil {
		t.Errorf("DeleteSession = %v", err)
	}
	if _, err := s.SessionByHash(ctx, s1.TokenHash); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("deleted session still found: %v", err)
	}
}

func ids(ss []auth.Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func testTokens(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	tok := auth.Token{ID: "t1", UserID: a.ID, Name: "laptop", Hash: bytes.Repeat([]byte{1}, 32), CreatedAt: t0}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil || got.ID != "t1" || got.Name != "laptop" || !got.LastUsedAt.IsZero() {
		t.Errorf("TokenByHash = %+v, %v", got, err)
	}
	if err := s.TouchToken(ctx, "t1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, err := s.TokensOf(ctx, a.ID)
	if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("TokensOf = %+v, %v", list, err)
	}
	if err := s.DeleteToken(ctx, b.ID, "t1"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeleteToken(other user) = %v; want ErrNotFound", err)
	}
	if err := s.DeleteToken(ctx, a.ID, "t1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, tok.Hash); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("revoked token found: %v", err)
	}

	for i, u := range []auth.User{a, a, b} {
		if err := s.CreateToken(ctx, auth.Token{ID: fmt.Sprint("all", i), UserID: u.ID, Name: "n", Hash: bytes.Repeat([]byte{byte(20 + i)}, 32), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteTokensOf(ctx, a.ID); err != nil || n != 2 {
		t.Errorf("DeleteTokensOf = %d, %v; want 2", n, err)
	}
	if list, err := s.TokensOf(ctx, b.ID); err != nil || len(list) != 1 {
		t.Errorf("other user's tokens after DeleteTokensOf = %+v, %v; want 1 left", list, err)
	}
}

func testDevices(t *testing.T, s *sqlstore.Store) {
	a := mkUser(t, s, "a@example.com")
	d := auth.Device{ID: "d1", UserID: a.ID, Hash: bytes.Repeat([]byte{9}, 32), CreatedAt: t0}
	if err := s.CreateDevice(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeviceByHash(t.Context(), d.Hash); err != nil || got.UserID != a.ID {
		t.Errorf("DeviceByHash = %+v, %v", got, err)
	}
	if _, err := s.DeviceByHash(t.Context(), []byte("x")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeviceByHash(missing) = %v; want ErrNotFound", err)
	}
}

func testLoginFailures(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	w := 15 * time.Minute
	if n, start, err := s.LoginFailures(ctx, "k"); n != 0 || !start.IsZero() || err != nil {
		t.Errorf("LoginFailures(none) = %d, %v, %v; want 0", n, start, err)
	}
	for i := 1; i <= 3; i++ {
		n, start, err := s.AddLoginFailure(ctx, "k", t0.Add(time.Duration(i)*time.Minute), w)
		if err != nil || n != i || !start.Equal(t0.Add(time.Minute)) {
			t.Errorf("AddLoginFailure #%d = %d, %v, %v; want %d, window at t0+1m", i, n, start, err, i)
		}
	}
	// After the window, counting restarts.
	n, start, err := s.AddLoginFailure(ctx, "k", t0.Add(17*time.Minute), w)
	if err != nil || n != 1 || !start.Equal(t0.Add(17*time.Minute)) {
		t.Errorf("AddLoginFailure after window = %d, %v, %v; want 1", n, start, err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, _, err := s.AddLoginFailure(ctx, "c", t0, w); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, _, _ := s.LoginFailures(ctx, "c"); n != 20 {
		t.Errorf("20 concurrent failures counted %d", n)
	}
	if err := s.ClearLoginFailures(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.LoginFailures(ctx, "c"); n != 0 {
		t.Errorf("after clear = %d", n)
	}
}

func testAudit(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	for i, e := range []audit.Event{
		{Type: audit.LoginSucceeded, ActorID: "u1", SubjectID: "u1", At: t0, IP: "192.0.2.1", UserAgent: "UA", Details: map[string]string{"k": "v"}},
		{Type: audit.LoginFailed, SubjectID: "u1", At: t0.Add(time.Second)},
		{Type: audit.LoginFailed, SubjectID: "u2", At: t0.Add(2 * time.Second)},
	} {
		if err := s.AppendAuditEvent(ctx, e); err != nil {
			t.Fatalf("AppendAuditEvent #%d = %v", i, err)
		}
	}
	got, err := s.AuditEventsAbout(ctx, "u1", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("AuditEventsAbout(u1) = %d events, %v; want 2", len(got), err)
	}
	if got[0].Type != audit.LoginFailed || got[1].Details["k"] != "v" || got[1].IP != "192.0.2.1" || !got[1].At.Equal(t0) {
		t.Errorf("AuditEventsAbout(u1) = %+v", got)
	}
	if got, _ := s.AuditEventsAbout(ctx, "u1", 1); len(got) != 1 {
		t.Errorf("limit 1 gave %d", len(got))
	}
}

func testOwnerKeys(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	if ks, err := s.OwnerKeys(ctx, "o1"); err != nil || ks == nil || len(ks) != 0 {
		t.Errorf("OwnerKeys(none) = %v, %v; want empty non-nil", ks, err)
	}
	for v := 1; v <= 2; v++ {
		if err := s.InsertOwnerKey(ctx, keys.OwnerKey{OwnerID: "o1", Version: v, RootVersion: 1, Wrapped: []byte{byte(v)}, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.InsertOwnerKey(ctx, keys.OwnerKey{OwnerID: "o1", Version: 2, RootVersion: 1, Wrapped: []byte{9}, CreatedAt: t0})
	if !errors.Is(err, keys.ErrOwnerKeyExists) {
		t.Errorf("InsertOwnerKey(duplicate) = %v; want ErrOwnerKeyExists", err)
	}
	ks, err := s.OwnerKeys(ctx, "o1")
	if err != nil || len(ks) != 2 || ks[0].Version != 2 || !bytes.Equal(ks[0].Wrapped, []byte{2}) {
		t.Errorf("OwnerKeys = %+v, %v; want versions 2,1", ks, err)
	}
}

func testRootKeyCheck(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	if v, err := s.RootKeyCheck(ctx); v != nil || err != nil {
		t.Fatalf("RootKeyCheck on a new database = %x, %v; want nil, nil", v, err)
	}
	first := []byte{1, 2, 3, 0, 255}
	if ok, err := s.SetRootKeyCheck(ctx, first); !ok || err != nil {
		t.Fatalf("first SetRootKeyCheck = %v, %v; want true, nil", ok, err)
	}
	if ok, err := s.SetRootKeyCheck(ctx, []byte{9}); ok || err != nil {
		t.Errorf("second SetRootKeyCheck = %v, %v; want false, nil (the first value stays)", ok, err)
	}
	if v, err := s.RootKeyCheck(ctx); !bytes.Equal(v, first) || err != nil {
		t.Errorf("RootKeyCheck = %x, %v; want %x", v, err, first)
	}
}
