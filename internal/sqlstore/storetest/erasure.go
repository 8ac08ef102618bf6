package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/calls"
	"safelight/internal/keys"
	"safelight/internal/library"
	"safelight/internal/privacy"
	"safelight/internal/sharing"
	"safelight/internal/sqlstore"
)

// testErasureSchedule: an erasure is scheduled once per account (asking
// again keeps the first), is due from its erase_at, is cancelled once,
// and cannot be scheduled for an id with no account.
func testErasureSchedule(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "erase-a@example.com")
	b := mkUser(t, s, "erase-b@example.com")
	if _, err := s.ErasureOf(ctx, a.ID); !errors.Is(err, privacy.ErrNoErasure) {
		t.Fatalf("ErasureOf(unscheduled) = %v; want ErrNoErasure", err)
	}
	first := privacy.Erasure{UserID: a.ID, RequestedAt: t0, EraseAt: t0.Add(7 * 24 * time.Hour)}
	got, err := s.ScheduleErasure(ctx, first)
	if err != nil || rowDiff(got, first) != "" {
		t.Fatalf("ScheduleErasure = %+v, %v; want %+v", got, err, first)
	}
	again := privacy.Erasure{UserID: a.ID, RequestedAt: t0.Add(time.Hour), EraseAt: t0.Add(time.Hour)}
	if got, err := s.ScheduleErasure(ctx, again); err != nil || rowDiff(got, first) != "" {
		t.Errorf("ScheduleErasure(again) = %+v, %v; want the first %+v", got, err, first)
	}
	if got, err := s.ErasureOf(ctx, a.ID); err != nil || rowDiff(got, first) != "" {
		t.Errorf("ErasureOf = %+v, %v; want %+v", got, err, first)
	}
	soon := privacy.Erasure{UserID: b.ID, RequestedAt: t0, EraseAt: t0}
	if _, err := s.ScheduleErasure(ctx, soon); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScheduleErasure(ctx, privacy.Erasure{UserID: "no-such-user", RequestedAt: t0, EraseAt: t0}); !errors.Is(err, privacy.ErrNoErasure) {
		t.Errorf("ScheduleErasure(no account) = %v; want ErrNoErasure", err)
	}
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{t0.Add(-time.Second), nil},
		{t0, []string{b.ID}},
		{first.EraseAt, []string{b.ID, a.ID}},
	} {
		due, err := s.DueErasures(ctx, tc.at)
		var ids []string
		for _, e := range due {
			ids = append(ids, e.UserID)
		}
		if err != nil || !slices.Equal(ids, tc.want) {
			t.Errorf("DueErasures(%v) = %v, %v; want %v", tc.at, ids, err, tc.want)
		}
	}
	if err := s.CancelErasure(ctx, a.ID); err != nil {
		t.Fatalf("CancelErasure = %v", err)
	}
	if err := s.CancelErasure(ctx, a.ID); !errors.Is(err, privacy.ErrNoErasure) {
		t.Errorf("CancelErasure(again) = %v; want ErrNoErasure", err)
	}
	if due, _ := s.DueErasures(ctx, first.EraseAt); len(due) != 1 || due[0].UserID != b.ID {
		t.Errorf("DueErasures after cancel = %+v; want only b", due)
	}
}

// testEraseAccount: erasing an account deletes its rows, keys and grants,
// keeps its comments in another owner's project without their author,
// takes its name out of that owner's access log, and leaves the other
// account alone; it is idempotent.
func testEraseAccount(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "gone@example.com")
	b := mkUser(t, s, "stays@example.com")
	// a proved the address: what was shared with it goes with a.
	if err := s.SetEmailVerified(ctx, a.ID, a.Email, t0); err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.User{a, b} {
		if err := s.InsertOwnerKey(ctx, keys.OwnerKey{OwnerID: u.ID, Version: 1, RootVersion: 1, Wrapped: []byte("w"), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertOwnerKey(ctx, keys.OwnerKey{OwnerID: a.ID, Version: 2, RootVersion: 1, Wrapped: []byte("w2"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	aAssets := mkAssets(t, s, a.ID, 0x10, 2)
	bAssets := mkAssets(t, s, b.ID, 0x20, 1)
	aAsset, err := s.AssetByID(ctx, aAssets[0])
	if err != nil {
		t.Fatal(err)
	}
	refs, err := s.ErasureBlobRefs(ctx, a.ID)
	if err != nil || !slices.Contains(refs, blob.Ref(aAsset.OriginalRef)) || len(refs) < 2 {
		t.Fatalf("ErasureBlobRefs(a) = %v, %v; want both originals of a", refs, err)
	}
	bAsset, _ := s.AssetByID(ctx, bAssets[0])
	if slices.Contains(refs, blob.Ref(bAsset.OriginalRef)) {
		t.Fatalf("ErasureBlobRefs(a) = %v holds b's original", refs)
	}

	// a reviews b's project as a member, and views b's image.
	bp := mkProject(t, s, b.ID, sqlstore.NewID(), t0)
	addAssets(t, s, bp.ID, bAssets[0])
	if err := s.CreateMember(ctx, sharing.Member{ID: sqlstore.NewID(), ProjectID: bp.ID, Email: a.Email, Role: sharing.RoleReviewer,
		Download: sharing.DownloadPreview, InvitedBy: b.ID, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	ra := sharing.Reviewer{Kind: "user", ID: a.ID}
	comment := sharing.Comment{ID: sqlstore.NewID(), ProjectID: bp.ID, AssetID: bAssets[0], Author: ra, Body: "Lovely light", CreatedAt: t0}
	bComment := sharing.Comment{ID: sqlstore.NewID(), ProjectID: bp.ID, AssetID: bAssets[0], Author: sharing.Reviewer{Kind: "user", ID: b.ID}, Body: "Thanks", CreatedAt: t0.Add(time.Second)}
	for _, c := range []sharing.Comment{comment, bComment} {
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutMark(ctx, sharing.Mark{ProjectID: bp.ID, AssetID: bAssets[0], Reviewer: ra, Rating: 5, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAccess(ctx, library.AccessEvent{ID: sqlstore.NewID(), AssetID: bAssets[0], OwnerID: b.ID, At: t0, ActorID: a.ID,
		ActorLabel: a.Name, Via: "project", Action: "preview"}); err != nil {
		t.Fatal(err)
	}
	// a enters a call of b's organization, consenting to its terms.
	org, _ := mkOrg(t, s, b.Email, t0)
	c := mkOpenCall(t, s, org.ID, t0)
	entry, _ := mkEntry(t, s, c.ID, a.ID, calls.EntrySubmitted, t0, aAssets[0])
	if err := s.CreateConsent(ctx, calls.Consent{ID: sqlstore.NewID(), UserID: a.ID, Kind: "call_terms", CallID: c.ID, EntryID: entry.ID,
		TermsVersion: 1, TermsSHA256: "x", Scope: []string{calls.RightJudging}, Method: "web", At: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScheduleErasure(ctx, privacy.Erasure{UserID: a.ID, RequestedAt: t0, EraseAt: t0}); err != nil {
		t.Fatal(err)
	}

	versions, err := s.EraseAccount(ctx, a.ID, t0.Add(time.Hour))
	if err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Fatalf("EraseAccount = %v, %v; want key versions [1 2]", versions, err)
	}
	if _, err := s.UserByID(ctx, a.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UserByID(erased) = %v; want ErrNotFound", err)
	}
	if ks, err := s.OwnerKeys(ctx, a.ID); err != nil || len(ks) != 0 {
		t.Errorf("OwnerKeys(erased) = %d keys, %v; want none", len(ks), err)
	}
	if ks, _ := s.OwnerKeys(ctx, b.ID); len(ks) != 1 {
		t.Errorf("OwnerKeys(b) = %d keys; want b's key kept", len(ks))
	}
	for _, id := range aAssets {
		if _, err := s.AssetByID(ctx, id); !errors.Is(err, library.ErrNotFound) {
			t.Errorf("AssetByID(erased owner's %s) = %v; want ErrNotFound", id, err)
		}
	}
	if _, err := s.AssetByID(ctx, bAssets[0]); err != nil {
		t.Errorf("AssetByID(b's) = %v; want kept", err)
	}
	if refs, _ := s.ErasureBlobRefs(ctx, a.ID); len(refs) != 0 {
		t.Errorf("ErasureBlobRefs(erased) = %v; want none", refs)
	}
	comments, err := s.CommentsOf(ctx, bp.ID, "")
	if err != nil || len(comments) != 2 {
		t.Fatalf("CommentsOf(b's project) = %+v, %v; want both comments", comments, err)
	}
	if got := comments[0]; got.Author != (sharing.Reviewer{Kind: "user", ID: privacy.DeletedUserID}) || got.Body != comment.Body {
		t.Errorf("erased author's comment = %+v; want body kept, author %q", got, privacy.DeletedUserID)
	}
	if got := comments[1]; got.Author.ID != b.ID {
		t.Errorf("b's comment = %+v; want its author kept", got)
	}
	if marks, _ := s.MarksOf(ctx, bp.ID); len(marks) != 0 {
		t.Errorf("MarksOf(b's project) = %+v; want the erased reviewer's mark gone", marks)
	}
	if ms, _ := s.MembersOf(ctx, bp.ID); len(ms) != 0 {
		t.Errorf("MembersOf(b's project) = %+v; want the grant to the erased address gone", ms)
	}
	log, err := s.AccessLog(ctx, bAssets[0], 10)
	if err != nil || len(log) != 1 || log[0].ActorLabel != privacy.DeletedUserName {
		t.Errorf("AccessLog(b's asset) = %+v, %v; want one event by %q", log, err, privacy.DeletedUserName)
	}
	if es, _ := s.EntriesOfUser(ctx, a.ID); len(es) != 0 {
		t.Errorf("EntriesOfUser(erased) = %+v; want none", es)
	}
	if cs, _ := s.ConsentsOfUser(ctx, a.ID); len(cs) != 0 {
		t.Errorf("ConsentsOfUser(erased) = %+v; want none", cs)
	}
	if _, err := s.ErasureOf(ctx, a.ID); !errors.Is(err, privacy.ErrNoErasure) {
		t.Errorf("ErasureOf(erased) = %v; want the schedule gone with the account", err)
	}
	if _, err := s.UserByID(ctx, b.ID); err != nil {
		t.Errorf("UserByID(b) = %v; want b kept", err)
	}

	// Again (a crash after the transaction, or a journal replay).
	if versions, err := s.EraseAccount(ctx, a.ID, t0.Add(2*time.Hour)); err != nil || len(versions) != 0 {
		t.Errorf("EraseAccount(again) = %v, %v; want nothing left to do", versions, err)
	}

	// An account that never proved its address takes nothing shared with
	// the address away from whoever holds it.
	u := mkUser(t, s, "unproven@example.com")
	if err := s.CreateMember(ctx, sharing.Member{ID: sqlstore.NewID(), ProjectID: bp.ID, Email: u.Email, Role: sharing.RoleViewer,
		Download: sharing.DownloadNone, InvitedBy: b.ID, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseAccount(ctx, u.ID, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := s.MembersOf(ctx, bp.ID); len(ms) != 1 || ms[0].Email != u.Email {
		t.Errorf("MembersOf(b's project) after erasing an unverified account = %+v; want the grant to its address kept", ms)
	}
}
