package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"safelight/internal/blob"
	"safelight/internal/privacy"
	"safelight/internal/secret"
	"safelight/internal/sqlstore"
)

// testExports: one export in progress per user however many ask at once,
// claims that never hand one export to two builders, single-use links
// that expire, and the sweep's list.
func testExports(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	ann, bob := mkUser(t, s, "ann@example.com"), mkUser(t, s, "bob@example.com")

	// Eight requests at once: one row, the same export for all.
	var wg sync.WaitGroup
	got := make([]privacy.Export, 8)
	created := make([]bool, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Go(func() {
			got[i], created[i], errs[i] = s.CreateExport(ctx, privacy.Export{ID: sqlstore.NewID(), UserID: ann.ID, CreatedAt: t0})
		})
	}
	wg.Wait()
	n := 0
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("CreateExport #%d = %v", i, errs[i])
		}
		if created[i] {
			n++
		}
		if got[i].ID != got[0].ID || got[i].State != privacy.ExportPending {
			t.Fatalf("CreateExport #%d = %+v; want export %s, pending", i, got[i], got[0].ID)
		}
	}
	if n != 1 {
		t.Fatalf("%d of 8 concurrent CreateExport created a row; want 1", n)
	}
	first := got[0]
	if _, err := s.ExportByID(ctx, bob.ID, first.ID); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("ExportByID(another user) = %v; want ErrExportNotFound", err)
	}
	bobs, _, err := s.CreateExport(ctx, privacy.Export{ID: sqlstore.NewID(), UserID: bob.ID, CreatedAt: t0.Add(time.Second)})
	if err != nil || bobs.ID == first.ID {
		t.Fatalf("CreateExport(bob) = %+v, %v; want his own", bobs, err)
	}

	// Claims: each export to one builder; a stale claim is taken over.
	now := t0.Add(time.Minute)
	c1, err := s.ClaimExport(ctx, now, now.Add(-15*time.Minute))
	if err != nil || c1.ID != first.ID || c1.State != privacy.ExportBuilding {
		t.Fatalf("ClaimExport = %+v, %v; want Ann's (oldest), building", c1, err)
	}
	c2, err := s.ClaimExport(ctx, now, now.Add(-15*time.Minute))
	if err != nil || c2.ID != bobs.ID {
		t.Fatalf("second ClaimExport = %+v, %v; want Bob's", c2, err)
	}
	if _, err := s.ClaimExport(ctx, now, now.Add(-15*time.Minute)); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("third ClaimExport = %v; want ErrExportNotFound", err)
	}
	later := now.Add(20 * time.Minute)
	if c, err := s.ClaimExport(ctx, later, later.Add(-15*time.Minute)); err != nil || c.ID != first.ID {
		t.Fatalf("ClaimExport of a stale build = %+v, %v; want Ann's again", c, err)
	}
	// While building, a new request still answers the same export.
	if e, created, err := s.CreateExport(ctx, privacy.Export{ID: sqlstore.NewID(), UserID: ann.ID, CreatedAt: later}); err != nil || created || e.ID != first.ID {
		t.Fatalf("CreateExport while building = %+v, %v, %v; want the one building", e, created, err)
	}

	ref := blob.NewRef("export")
	ready, expires := later, later.Add(7*24*time.Hour)
	if err := s.FinishExport(ctx, first.ID, ref, 1234, ready, expires); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishExport(ctx, first.ID, ref, 1234, ready, expires); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("FinishExport twice = %v; want ErrExportNotFound", err)
	}
	if err := s.FailExport(ctx, bobs.ID, "broken"); err != nil {
		t.Fatal(err)
	}
	e, err := s.ExportByID(ctx, ann.ID, first.ID)
	if err != nil || e.State != privacy.ExportReady || e.BlobRef != ref || e.Size != 1234 || !e.ExpiresAt.Equal(expires) {
		t.Fatalf("ExportByID after FinishExport = %+v, %v", e, err)
	}
	// A finished export frees the user to ask again.
	if again, created, err := s.CreateExport(ctx, privacy.Export{ID: sqlstore.NewID(), UserID: ann.ID, CreatedAt: later}); err != nil || !created || again.ID == first.ID {
		t.Fatalf("CreateExport after ready = %+v, %v, %v; want a new one", again, created, err)
	}

	// Links: only the newest works, only for its user, only once.
	oldLink, oldHash := secret.New(privacy.LinkPrefix)
	_ = oldLink
	if err := s.SetExportLink(ctx, ann.ID, first.ID, oldHash, ready); err != nil {
		t.Fatal(err)
	}
	_, hash := secret.New(privacy.LinkPrefix)
	if err := s.SetExportLink(ctx, bob.ID, first.ID, hash, ready); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("SetExportLink(another user) = %v; want ErrExportNotFound", err)
	}
	if err := s.SetExportLink(ctx, ann.ID, first.ID, hash, ready); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseExportLink(ctx, ann.ID, oldHash, ready); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("UseExportLink(replaced link) = %v; want ErrExportNotFound", err)
	}
	if _, err := s.UseExportLink(ctx, bob.ID, hash, ready); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("UseExportLink(another user) = %v; want ErrExportNotFound", err)
	}
	if _, err := s.UseExportLink(ctx, ann.ID, hash, expires); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Fatalf("UseExportLink(at expiry) = %v; want ErrExportNotFound", err)
	}
	var used [4]error
	var usedExport [4]privacy.Export
	for i := range used {
		wg.Go(func() { usedExport[i], used[i] = s.UseExportLink(ctx, ann.ID, hash, ready.Add(time.Hour)) })
	}
	wg.Wait()
	n = 0
	for i, err := range used {
		switch {
		case err == nil:
			n++
			if usedExport[i].BlobRef != ref || usedExport[i].State != privacy.ExportDownloaded {
				t.Fatalf("UseExportLink = %+v; want the blob, downloaded", usedExport[i])
			}
		case !errors.Is(err, privacy.ErrExportNotFound):
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Fatalf("%d of 4 concurrent UseExportLink succeeded; want 1", n)
	}

	// The sweep lists the downloaded export until its blob is cleared.
	sweep, err := s.ExportsToSweep(ctx, ready, 10)
	if err != nil || len(sweep) != 1 || sweep[0].ID != first.ID {
		t.Fatalf("ExportsToSweep = %+v, %v; want the downloaded one", sweep, err)
	}
	if err := s.ClearExportBlob(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if sweep, err := s.ExportsToSweep(ctx, ready, 10); err != nil || len(sweep) != 0 {
		t.Fatalf("ExportsToSweep after clearing = %+v, %v; want none", sweep, err)
	}

	// An export not downloaded in time is swept and marked expired.
	third, _, err := s.CreateExport(ctx, privacy.Export{ID: sqlstore.NewID(), UserID: bob.ID, CreatedAt: later})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimExport(ctx, later, later.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimExport(ctx, later, later.Add(-time.Minute)); err != nil {
		t.Fatal(err) // Ann's second one
	}
	if err := s.FinishExport(ctx, third.ID, blob.NewRef("export"), 1, later, later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if sweep, err := s.ExportsToSweep(ctx, later.Add(30*time.Minute), 10); err != nil || len(sweep) != 0 {
		t.Fatalf("ExportsToSweep before expiry = %+v, %v; want none", sweep, err)
	}
	sweep, err = s.ExportsToSweep(ctx, later.Add(time.Hour), 10)
	if err != nil || len(sweep) != 1 || sweep[0].ID != third.ID {
		t.Fatalf("ExportsToSweep at expiry = %+v, %v; want Bob's", sweep, err)
	}
	if err := s.ClearExportBlob(ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	if e, err := s.ExportByID(ctx, bob.ID, third.ID); err != nil || e.State != privacy.ExportExpired || e.BlobRef != "" {
		t.Fatalf("swept export = %+v, %v; want expired without a blob", e, err)
	}

	// UserData: the profile, and the exports without their secrets.
	tables, err := s.UserData(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]privacy.Table{}
	for _, tb := range tables {
		byName[tb.Name] = tb
		for _, c := range tb.Columns {
			if c == "password_hash" || c == "token_hash" || c == "link_hash" || c == "wrapped" {
				t.Errorf("UserData table %s has secret column %s", tb.Name, c)
			}
		}
	}
	if u := byName["users"]; len(u.Rows) != 1 || u.Rows[0][0] != ann.ID || u.Rows[0][1] != "ann@example.com" {
		t.Errorf("UserData users = %+v; want Ann's profile", u)
	}
	if ex := byName["exports"]; len(ex.Rows) != 2 {
		t.Errorf("UserData exports = %+v; want Ann's two", ex)
	}
	if _, err := s.UserData(ctx, sqlstore.NewID()); !errors.Is(err, privacy.ErrExportNotFound) {
		t.Errorf("UserData(unknown) = %v; want ErrExportNotFound", err)
	}
}
