package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/privacy"
	"safelight/internal/sqlstore"
)

// Staff work (auth.StaffStore): the counts support sees, the audit log
// security reads, the breach register of the dpo.

func testAccountCounts(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	ann := mkUser(t, s, "ann@example.com")
	bob := mkUser(t, s, "bob@example.com")
	if _, err := s.AccountCounts(ctx, sqlstore.NewID()); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("AccountCounts(unknown) = %v; want ErrNotFound", err)
	}
	if c, err := s.AccountCounts(ctx, ann.ID); err != nil || c != (auth.AccountCounts{}) {
		t.Fatalf("AccountCounts(new account) = %+v, %v; want zeros", c, err)
	}
	ids := mkAssets(t, s, ann.ID, 1, 3)
	mkAssets(t, s, bob.ID, 10, 1)
	if err := s.SetAssetTrashed(ctx, ann.ID, ids[0], t0); err != nil {
		t.Fatal(err)
	}
	mkProject(t, s, ann.ID, sqlstore.NewID(), t0)
	mkProject(t, s, bob.ID, sqlstore.NewID(), t0)
	c, err := s.AccountCounts(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.AccountCounts{Assets: 3, TrashedAssets: 1, Bytes: 3 * 12_345_678_901, Projects: 1}
	if c != want {
		t.Errorf("AccountCounts(ann) = %+v; want %+v", c, want)
	}
}

func testAuditLog(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	ann, bob := sqlstore.NewID(), sqlstore.NewID()
	events := []audit.Event{
		{Type: audit.LoginSucceeded, ActorID: ann, SubjectID: ann, At: t0},
		{Type: audit.LoginFailed, SubjectID: bob, At: t0.Add(time.Minute)},
		{Type: audit.StaffMFAReset, ActorID: bob, SubjectID: ann, At: t0.Add(2 * time.Minute), Details: map[string]string{"identity_check": "video call"}},
		{Type: audit.LoginSucceeded, ActorID: bob, SubjectID: bob, At: t0.Add(3 * time.Minute)},
	}
	for _, e := range events {
		if err := s.AppendAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	types := func(ev []audit.Event) []audit.Type {
		var out []audit.Type
		for _, e := range ev {
			out = append(out, e.Type)
		}
		return out
	}
	tests := []struct {
		name string
		f    auth.AuditFilter
		want []audit.Type
	}{
		{"all, newest first", auth.AuditFilter{Limit: 10}, []audit.Type{audit.LoginSucceeded, audit.StaffMFAReset, audit.LoginFailed, audit.LoginSucceeded}},
		{"limit", auth.AuditFilter{Limit: 1}, []audit.Type{audit.LoginSucceeded}},
		{"type", auth.AuditFilter{Type: audit.LoginFailed, Limit: 10}, []audit.Type{audit.LoginFailed}},
		{"subject", auth.AuditFilter{SubjectID: ann, Limit: 10}, []audit.Type{audit.StaffMFAReset, audit.LoginSucceeded}},
		{"actor and type", auth.AuditFilter{ActorID: bob, Type: audit.LoginSucceeded, Limit: 10}, []audit.Type{audit.LoginSucceeded}},
		{"window", auth.AuditFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute), Limit: 10}, []audit.Type{audit.StaffMFAReset, audit.LoginFailed}},
		{"nothing", auth.AuditFilter{ActorID: sqlstore.NewID(), Limit: 10}, nil},
	}
	for _, tt := range tests {
		ev, err := s.AuditLog(ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: AuditLog = %v", tt.name, err)
		}
		if got := types(ev); !slices.Equal(got, tt.want) {
			t.Errorf("%s: AuditLog(%+v) = %v; want %v", tt.name, tt.f, got, tt.want)
		}
	}
	ev, _ := s.AuditLog(ctx, auth.AuditFilter{Type: audit.StaffMFAReset, Limit: 1})
	if len(ev) != 1 || ev[0].Details["identity_check"] != "video call" || ev[0].ActorID != bob || ev[0].SubjectID != ann {
		t.Errorf("AuditLog(mfa reset) = %+v; want the event with its details", ev)
	}
}

func testBreaches(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	dpo := mkUserRoles(t, s, "dpo@example.com", access.RoleDPO)
	if list, err := s.Breaches(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Breaches(empty) = %v, %v", list, err)
	}
	older := auth.Breach{ID: sqlstore.NewID(), Description: "Laptop with an export stolen", Measures: "Keys rotated",
		DetectedAt: t0, DataCategories: []string{"account", "images"}, AffectedAccounts: []string{sqlstore.NewID(), sqlstore.NewID()},
		RecordedBy: dpo.ID, CreatedAt: t0, UpdatedAt: t0}
	newer := auth.Breach{ID: sqlstore.NewID(), Description: "Mis-sent e-mail", DetectedAt: t0.Add(time.Hour),
		ReportedAt: t0.Add(2 * time.Hour), SubjectsNotifiedAt: t0.Add(3 * time.Hour),
		DataCategories: []string{"account"}, AffectedAccounts: []string{}, RecordedBy: dpo.ID, CreatedAt: t0, UpdatedAt: t0}
	for _, b := range []auth.Breach{older, newer} {
		if err := s.CreateBreach(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Breaches(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Breaches = %v, %v; want 2", list, err)
	}
	if d := rowDiff(list[0], newer); d != "" {
		t.Errorf("Breaches()[0]: %s", d)
	}
	if d := rowDiff(list[1], older); d != "" {
		t.Errorf("Breaches()[1]: %s", d)
	}
	older.ReportedAt = t0.Add(time.Hour)
	older.AffectedAccounts = append(older.AffectedAccounts, sqlstore.NewID())
	older.Measures = "Keys rotated; people told"
	older.UpdatedAt = t0.Add(time.Hour)
	older.RecordedBy = "someone else" // not changed by an update
	if err := s.UpdateBreach(ctx, older); err != nil {
		t.Fatal(err)
	}
	older.RecordedBy = dpo.ID
	got, err := s.BreachByID(ctx, older.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := rowDiff(got, older); d != "" {
		t.Errorf("BreachByID after update: %s", d)
	}
	if _, err := s.BreachByID(ctx, sqlstore.NewID()); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("BreachByID(unknown) = %v; want ErrNotFound", err)
	}
	missing := newer
	missing.ID = sqlstore.NewID()
	if err := s.UpdateBreach(ctx, missing); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UpdateBreach(unknown) = %v; want ErrNotFound", err)
	}
}

func testDataSubjectRequests(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	ann := mkUser(t, s, "ann@example.com")
	bob := mkUser(t, s, "bob@example.com")
	if list, err := s.DataSubjectRequests(ctx); err != nil || len(list) != 0 {
		t.Fatalf("DataSubjectRequests(none) = %v, %v", list, err)
	}
	if _, _, err := s.CreateExport(ctx, privacy.Export{ID: sqlstore.NewID(), UserID: ann.ID, State: privacy.ExportPending, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScheduleErasure(ctx, privacy.Erasure{UserID: bob.ID, RequestedAt: t0.Add(time.Minute), EraseAt: t0.Add(7 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	list, err := s.DataSubjectRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []auth.DataSubjectRequest{
		{Kind: "export", AccountID: ann.ID, Email: "ann@example.com", State: "pending", RequestedAt: t0},
		{Kind: "erasure", AccountID: bob.ID, Email: "bob@example.com", State: "scheduled", RequestedAt: t0.Add(time.Minute), DueAt: t0.Add(7 * 24 * time.Hour)},
	}
	if len(list) != len(want) {
		t.Fatalf("DataSubjectRequests = %+v; want %+v", list, want)
	}
	for i := range want {
		if d := rowDiff(list[i], want[i]); d != "" {
			t.Errorf("DataSubjectRequests()[%d]: %s", i, d)
		}
	}
}
