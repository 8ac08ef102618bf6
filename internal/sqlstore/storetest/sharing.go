package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"safelight/internal/sharing"
	"safelight/internal/sqlstore"
)

// tSharing is a time with nanoseconds, in another zone than UTC: stored,
// it must come back as the same instant to the microsecond, in UTC.
var tSharing = time.Date(2026, 3, 1, 17, 30, 0, 123456789, time.FixedZone("", 5*3600+30*60))

// rowDiff says how the struct got differs from want, or "" if it does not:
// time fields must hold want's instant cut to the microsecond, in UTC;
// every other field must be equal.
func rowDiff(got, want any) string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if wt, ok := wf.(time.Time); ok {
			gt := gf.(time.Time)
			if !gt.Equal(wt.Truncate(time.Microsecond)) || gt.Location() != time.UTC {
				return fmt.Sprintf("%s = %v; want %v in UTC, to the microsecond", name, gt, wt)
			}
			continue
		}
		if !reflect.DeepEqual(gf, wf) {
			return fmt.Sprintf("%s = %#v; want %#v", name, gf, wf)
		}
	}
	return ""
}

// sortedIDs returns n new ids in increasing order.
func sortedIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = sqlstore.NewID()
	}
	slices.Sort(out)
	return out
}

func mkProject(t *testing.T, s *sqlstore.Store, ownerID, id string, created time.Time) sharing.Project {
	t.Helper()
	p := sharing.Project{ID: id, OwnerID: ownerID, Name: "Project " + id, CreatedAt: created, UpdatedAt: created}
	if err := s.CreateProject(t.Context(), p); err != nil {
		t.Fatalf("CreateProject(%s) = %v", id, err)
	}
	return p
}

// mkAssets creates n assets of owner, with macs from macBase on.
func mkAssets(t *testing.T, s *sqlstore.Store, ownerID string, macBase byte, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		a := createAsset(t, s, mkAsset(ownerID, sqlstore.NewID(), macBase+byte(i), t0))
		out = append(out, a.ID)
	}
	return out
}

func addAssets(t *testing.T, s *sqlstore.Store, projectID string, ids ...string) {
	t.Helper()
	if _, err := s.AddProjectAssets(t.Context(), projectID, ids, t0); err != nil {
		t.Fatalf("AddProjectAssets(%s, %v) = %v", projectID, ids, err)
	}
}

func projectAssetIDs(t *testing.T, s *sqlstore.Store, projectID string) []string {
	t.Helper()
	ids, err := s.ProjectAssetIDs(t.Context(), projectID)
	if err != nil {
		t.Fatalf("ProjectAssetIDs(%s) = %v", projectID, err)
	}
	return ids
}

func projectIDs(ps []sharing.Project) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// testProjects: projects round-trip, list newest first (ids break ties),
// update only what may change, read a cover only while it is in the
// project, and delete once.
func testProjects(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	x := mkAssets(t, s, a.ID, 1, 2)
	ids := sortedIDs(3)
	p := sharing.Project{ID: ids[0], OwnerID: a.ID, Name: "Wedding <Ann & Bo>", Description: "Line one\nline two ✓",
		CoverID: x[0], ShowCamera: true, CreatedAt: tSharing, UpdatedAt: tSharing.Add(time.Minute)}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	addAssets(t, s, p.ID, x[0])
	got, err := s.ProjectByID(ctx, p.ID)
	if err != nil {
		t.Fatalf("ProjectByID = %v", err)
	}
	if d := rowDiff(got, p); d != "" {
		t.Errorf("ProjectByID: %s", d)
	}
	if _, err := s.ProjectByID(ctx, "nope"); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("ProjectByID(missing) = %v; want ErrNotFound", err)
	}

	// Equal creation times: the greater id first, whatever the insertion order.
	later := tSharing.Add(time.Hour)
	mkProject(t, s, a.ID, ids[2], later)
	mkProject(t, s, a.ID, ids[1], later)
	mkProject(t, s, b.ID, sqlstore.NewID(), later.Add(time.Hour))
	list, err := s.ProjectsOwnedBy(ctx, a.ID)
	if err != nil || !slices.Equal(projectIDs(list), []string{ids[2], ids[1], ids[0]}) {
		t.Errorf("ProjectsOwnedBy(a) = %v, %v; want %v", projectIDs(list), err, []string{ids[2], ids[1], ids[0]})
	}
	if len(list) == 3 && list[2].CoverID != x[0] {
		t.Errorf("ProjectsOwnedBy(a)[2].CoverID = %q; want %q", list[2].CoverID, x[0])
	}
	if list, err := s.ProjectsOwnedBy(ctx, "nobody"); err != nil || list == nil || len(list) != 0 {
		t.Errorf("ProjectsOwnedBy(nobody) = %v, %v; want empty", list, err)
	}

	// Update: owner and creation time stay.
	upd := p
	upd.OwnerID, upd.CreatedAt = b.ID, t0
	upd.Name, upd.Description, upd.CoverID, upd.ShowCamera, upd.UpdatedAt = "Renamed", "", "", false, tSharing.Add(2*time.Hour)
	if err := s.UpdateProject(ctx, upd); err != nil {
		t.Fatal(err)
	}
	want := upd
	want.OwnerID, want.CreatedAt = a.ID, p.CreatedAt
	if got, _ := s.ProjectByID(ctx, p.ID); rowDiff(got, want) != "" {
		t.Errorf("after UpdateProject: %s", rowDiff(got, want))
	}
	// A cover that is not in the project reads as none.
	upd.CoverID = x[1]
	if err := s.UpdateProject(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ProjectByID(ctx, p.ID); got.CoverID != "" {
		t.Errorf("CoverID of an asset outside the project = %q; want \"\"", got.CoverID)
	}
	addAssets(t, s, p.ID, x[1])
	if got, _ := s.ProjectByID(ctx, p.ID); got.CoverID != x[1] {
		t.Errorf("CoverID once in the project = %q; want %q", got.CoverID, x[1])
	}
	if err := s.UpdateProject(ctx, sharing.Project{ID: "nope", Name: "x"}); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("UpdateProject(missing) = %v; want ErrNotFound", err)
	}

	if err := s.DeleteProject(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProjectByID(ctx, p.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("ProjectByID(deleted) = %v; want ErrNotFound", err)
	}
	if err := s.DeleteProject(ctx, p.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("DeleteProject twice = %v; want ErrNotFound", err)
	}
}

// testProjectAssets: adding appends only new ids, in order, after the
// last position, all or nothing (another owner's asset fails the call);
// reorder takes exactly the project's ids; removal takes the asset's
// review and cover with it.
func testProjectAssets(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	x := mkAssets(t, s, a.ID, 1, 4)
	y := mkAssets(t, s, b.ID, 1, 1)[0]
	p := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	q := mkProject(t, s, a.ID, sqlstore.NewID(), t0)

	add := func(projectID string, ids ...string) (int, error) {
		return s.AddProjectAssets(ctx, projectID, ids, t0)
	}
	expect := func(when string, want ...string) {
		t.Helper()
		if got := projectAssetIDs(t, s, p.ID); !slices.Equal(got, want) {
			t.Errorf("%s: ProjectAssetIDs = %v; want %v", when, got, want)
		}
	}
	if n, err := add(p.ID, x[2], x[1], x[2]); err != nil || n != 2 {
		t.Errorf("AddProjectAssets(x2, x1, x2) = %d, %v; want 2", n, err)
	}
	expect("first add", x[2], x[1])
	if n, err := add(p.ID, x[1], x[3]); err != nil || n != 1 {
		t.Errorf("AddProjectAssets(x1, x3) = %d, %v; want 1", n, err)
	}
	expect("second add", x[2], x[1], x[3])
	if n, err := add(p.ID, x[0], y); !errors.Is(err, sharing.ErrNotOwnAsset) || n != 0 {
		t.Errorf("AddProjectAssets(x0, another owner's) = %d, %v; want 0, ErrNotOwnAsset", n, err)
	}
	if n, err := add(p.ID, "no-such-asset"); !errors.Is(err, sharing.ErrNotOwnAsset) || n != 0 {
		t.Errorf("AddProjectAssets(unknown asset) = %d, %v; want 0, ErrNotOwnAsset", n, err)
	}
	expect("refused adds", x[2], x[1], x[3])
	if n, err := add("no-such-project", x[0]); !errors.Is(err, sharing.ErrNotFound) || n != 0 {
		t.Errorf("AddProjectAssets(unknown project) = %d, %v; want 0, ErrNotFound", n, err)
	}
	if n, err := add(p.ID); err != nil || n != 0 {
		t.Errorf("AddProjectAssets(none) = %d, %v; want 0, nil", n, err)
	}
	if got := projectAssetIDs(t, s, "no-such-project"); got == nil || len(got) != 0 {
		t.Errorf("ProjectAssetIDs(unknown project) = %#v; want empty", got)
	}
	for _, tt := range []struct {
		project, asset string
		want           bool
	}{{p.ID, x[1], true}, {p.ID, x[0], false}, {p.ID, y, false}, {q.ID, x[1], false}} {
		if got, err := s.InProject(ctx, tt.project, tt.asset); err != nil || got != tt.want {
			t.Errorf("InProject(%s, %s) = %v, %v; want %v", tt.project, tt.asset, got, err, tt.want)
		}
	}

	if err := s.ReorderProjectAssets(ctx, p.ID, []string{x[3], x[2], x[1]}); err != nil {
		t.Fatalf("ReorderProjectAssets = %v", err)
	}
	expect("reorder", x[3], x[2], x[1])
	for _, bad := range [][]string{
		{x[3], x[2]},             // one missing
		{x[3], x[2], x[1], x[0]}, // one not in the project
		{x[3], x[2], y},          // another owner's instead of one
		{x[3], x[3], x[1]},       // one twice
		{},
	} {
		if err := s.ReorderProjectAssets(ctx, p.ID, bad); !errors.Is(err, sharing.ErrNotFound) {
			t.Errorf("ReorderProjectAssets(%v) = %v; want ErrNotFound", bad, err)
		}
	}
	if err := s.ReorderProjectAssets(ctx, "no-such-project", nil); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("ReorderProjectAssets(unknown project) = %v; want ErrNotFound", err)
	}
	expect("refused reorders", x[3], x[2], x[1])

	addAssets(t, s, q.ID, x[2])
	cover := p
	cover.CoverID = x[2]
	if err := s.UpdateProject(ctx, cover); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveProjectAsset(ctx, p.ID, x[2]); err != nil {
		t.Fatalf("RemoveProjectAsset = %v", err)
	}
	expect("remove", x[3], x[1])
	if err := s.RemoveProjectAsset(ctx, p.ID, x[2]); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("RemoveProjectAsset twice = %v; want ErrNotFound", err)
	}
	if err := s.RemoveProjectAsset(ctx, p.ID, y); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("RemoveProjectAsset(not in project) = %v; want ErrNotFound", err)
	}
	if got := projectAssetIDs(t, s, q.ID); !slices.Equal(got, []string{x[2]}) {
		t.Errorf("another project after RemoveProjectAsset = %v; want [x2] still", got)
	}
	// Added again: a new last position, and it is no longer the cover.
	addAssets(t, s, p.ID, x[2])
	expect("re-add", x[3], x[1], x[2])
	if got, _ := s.ProjectByID(ctx, p.ID); got.CoverID != "" {
		t.Errorf("CoverID after removing the cover and adding it back = %q; want \"\"", got.CoverID)
	}
}

// testProjectAssetsConcurrently: concurrent adds to one project take
// turns: every asset once, each call's ids in its order, one call's after
// the other's.
func testProjectAssetsConcurrently(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	x := mkAssets(t, s, a.ID, 1, 20)
	first, second := x[:12], x[8:] // x[8:12] in both
	for round := range 4 {
		p := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
		var n1, n2 int
		var err1, err2 error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; n1, err1 = s.AddProjectAssets(ctx, p.ID, first, t0) })
		wg.Go(func() { <-start; n2, err2 = s.AddProjectAssets(ctx, p.ID, second, t0) })
		close(start)
		wg.Wait()
		if err1 != nil || err2 != nil {
			t.Fatalf("round %d: concurrent AddProjectAssets = %v, %v", round, err1, err2)
		}
		got := projectAssetIDs(t, s, p.ID)
		firstThen := append(slices.Clone(first), second[4:]...)
		secondThen := append(slices.Clone(second), first[:8]...)
		switch {
		case slices.Equal(got, firstThen) && n1 == 12 && n2 == 8:
		case slices.Equal(got, secondThen) && n2 == 12 && n1 == 8:
		default:
			t.Errorf("round %d: after concurrent adds (%d, %d added) ProjectAssetIDs = %v; want one call's ids, then the other's new ones",
				round, n1, n2, got)
		}
	}

	// The same list from many callers at once: added once in all.
	p := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	added := make([]int, 8)
	var wg sync.WaitGroup
	for i := range added {
		wg.Go(func() {
			var err error
			if added[i], err = s.AddProjectAssets(ctx, p.ID, x, t0); err != nil {
				t.Errorf("concurrent AddProjectAssets #%d = %v", i, err)
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range added {
		total += n
	}
	if got := projectAssetIDs(t, s, p.ID); total != len(x) || !slices.Equal(got, x) {
		t.Errorf("8 concurrent adds of the same %d assets added %v = %d; ids %v; want each once, in order", len(x), added, total, got)
	}
}

// testMembers: members round-trip, one per address and project, are
// found by address (also across projects, newest project first), and
// change or leave only within their project.
func testMembers(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	pIDs := sortedIDs(2)
	p := mkProject(t, s, a.ID, pIDs[0], t0)
	q := mkProject(t, s, a.ID, pIDs[1], t0) // same time: q is newer by id
	ann := sharing.Member{ID: sqlstore.NewID(), ProjectID: p.ID, Email: "ann@example.com", Role: sharing.RoleReviewer,
		Download: sharing.DownloadPreview, InvitedBy: a.ID, CreatedAt: tSharing}
	bob := sharing.Member{ID: sqlstore.NewID(), ProjectID: p.ID, Email: "bob@example.com", Role: sharing.RoleEditor,
		Download: sharing.DownloadOriginal, InvitedBy: "editor-id", CreatedAt: tSharing.Add(-time.Minute)}
	annQ := sharing.Member{ID: sqlstore.NewID(), ProjectID: q.ID, Email: "ann@example.com", Role: sharing.RoleViewer,
		Download: sharing.DownloadNone, InvitedBy: a.ID, CreatedAt: tSharing}
	for _, m := range []sharing.Member{ann, bob, annQ} {
		if err := s.CreateMember(ctx, m); err != nil {
			t.Fatalf("CreateMember(%s in %s) = %v", m.Email, m.ProjectID, err)
		}
	}
	again := ann
	again.ID, again.Role = sqlstore.NewID(), sharing.RoleEditor
	if err := s.CreateMember(ctx, again); !errors.Is(err, sharing.ErrAlreadyMember) {
		t.Errorf("CreateMember(same address, same project) = %v; want ErrAlreadyMember", err)
	}
	for _, bad := range []sharing.Member{
		{ID: sqlstore.NewID(), ProjectID: p.ID, Email: "c@example.com", Role: "owner", Download: sharing.DownloadNone},
		{ID: sqlstore.NewID(), ProjectID: p.ID, Email: "d@example.com", Role: sharing.RoleViewer, Download: "everything"},
	} {
		if err := s.CreateMember(ctx, bad); err == nil || errors.Is(err, sharing.ErrAlreadyMember) {
			t.Errorf("CreateMember(role %q, download %q) = %v; want a refusal", bad.Role, bad.Download, err)
		}
	}

	list, err := s.MembersOf(ctx, p.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("MembersOf(p) = %+v, %v; want bob, ann", list, err)
	}
	if d := rowDiff(list[0], bob); d != "" {
		t.Errorf("MembersOf(p)[0]: %s", d)
	}
	if d := rowDiff(list[1], ann); d != "" {
		t.Errorf("MembersOf(p)[1]: %s", d)
	}
	if got, err := s.MemberByEmail(ctx, q.ID, "ann@example.com"); err != nil || rowDiff(got, annQ) != "" {
		t.Errorf("MemberByEmail(q, ann) = %+v, %v; want %+v", got, err, annQ)
	}
	if _, err := s.MemberByEmail(ctx, q.ID, "bob@example.com"); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("MemberByEmail(q, member of p only) = %v; want ErrNotFound", err)
	}
	shared, err := s.ProjectsSharedWith(ctx, "ann@example.com")
	if err != nil || !slices.Equal(projectIDs(shared), []string{q.ID, p.ID}) {
		t.Errorf("ProjectsSharedWith(ann) = %v, %v; want [q p]", projectIDs(shared), err)
	}
	if len(shared) == 2 && rowDiff(shared[1], p) != "" {
		t.Errorf("ProjectsSharedWith(ann)[1]: %s", rowDiff(shared[1], p))
	}
	if shared, err := s.ProjectsSharedWith(ctx, "nobody@example.com"); err != nil || shared == nil || len(shared) != 0 {
		t.Errorf("ProjectsSharedWith(nobody) = %v, %v; want empty", projectIDs(shared), err)
	}

	// Update: role and download only, within the member's project.
	upd := ann
	upd.Role, upd.Download, upd.Email, upd.InvitedBy = sharing.RoleEditor, sharing.DownloadNone, "evil@example.com", "x"
	if err := s.UpdateMember(ctx, upd); err != nil {
		t.Fatal(err)
	}
	want := ann
	want.Role, want.Download = sharing.RoleEditor, sharing.DownloadNone
	if got, err := s.MemberByEmail(ctx, p.ID, "ann@example.com"); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after UpdateMember = %+v, %v; want %+v", got, err, want)
	}
	wrong := upd
	wrong.ProjectID = q.ID
	if err := s.UpdateMember(ctx, wrong); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("UpdateMember(through another project) = %v; want ErrNotFound", err)
	}

	if err := s.DeleteMember(ctx, q.ID, ann.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("DeleteMember(through another project) = %v; want ErrNotFound", err)
	}
	if err := s.DeleteMember(ctx, p.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMember(ctx, p.ID, ann.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("DeleteMember twice = %v; want ErrNotFound", err)
	}
	if _, err := s.MemberByEmail(ctx, p.ID, "ann@example.com"); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("MemberByEmail(removed) = %v; want ErrNotFound", err)
	}
	if shared, _ := s.ProjectsSharedWith(ctx, "ann@example.com"); !slices.Equal(projectIDs(shared), []string{q.ID}) {
		t.Errorf("ProjectsSharedWith(ann) after removal from p = %v; want [q]", projectIDs(shared))
	}
	// The address is free again in p.
	if err := s.CreateMember(ctx, again); err != nil {
		t.Errorf("CreateMember(removed address) = %v", err)
	}
}

// testReviewLinks: links, unlocks and guests round-trip and are found by
// hash; revoked links are still found (the service decides), revocation
// is one-way and ends the link's unlocks, as a password change ends the
// unlocks of older passwords; expired unlocks are swept.
func testReviewLinks(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	p := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	q := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	hash := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	l1 := sharing.Link{ID: sqlstore.NewID(), ProjectID: p.ID, TokenHash: hash(1), PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
		PasswordVersion: 3, Download: sharing.DownloadOriginal, Watermark: "© Ann 2026", ExpiresAt: tSharing.Add(30 * 24 * time.Hour),
		CreatedBy: a.ID, CreatedAt: tSharing}
	l2 := sharing.Link{ID: sqlstore.NewID(), ProjectID: p.ID, TokenHash: hash(2), Download: sharing.DownloadNone,
		ExpiresAt: tSharing.Add(time.Hour), CreatedBy: a.ID, CreatedAt: tSharing.Add(time.Minute)}
	for _, l := range []sharing.Link{l1, l2} {
		if err := s.CreateLink(ctx, l); err != nil {
			t.Fatalf("CreateLink = %v", err)
		}
	}
	dup := l2
	dup.ID = sqlstore.NewID()
	if err := s.CreateLink(ctx, dup); err == nil {
		t.Error("CreateLink(same token hash) = nil; want an error")
	}
	if got, err := s.LinkByHash(ctx, l1.TokenHash); err != nil || rowDiff(got, l1) != "" {
		t.Errorf("LinkByHash(l1) = %+v, %v: %s", got, err, rowDiff(got, l1))
	}
	if _, err := s.LinkByHash(ctx, hash(9)); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("LinkByHash(unknown) = %v; want ErrNotFound", err)
	}
	if list, err := s.LinksOf(ctx, p.ID); err != nil || len(list) != 2 || list[0].ID != l2.ID || rowDiff(list[1], l1) != "" {
		t.Errorf("LinksOf(p) = %+v, %v; want l2, l1", list, err)
	}
	if list, err := s.LinksOf(ctx, q.ID); err != nil || list == nil || len(list) != 0 {
		t.Errorf("LinksOf(q) = %+v, %v; want empty", list, err)
	}

	// Unlocks.
	u3 := sharing.Unlock{TokenHash: hash(31), LinkID: l1.ID, PasswordVersion: 3, ExpiresAt: tSharing.Add(time.Hour)}
	u4 := sharing.Unlock{TokenHash: hash(41), LinkID: l1.ID, PasswordVersion: 4, ExpiresAt: tSharing.Add(time.Hour)}
	for _, u := range []sharing.Unlock{u3, u4} {
		if err := s.CreateUnlock(ctx, u); err != nil {
			t.Fatalf("CreateUnlock = %v", err)
		}
	}
	if got, err := s.UnlockByHash(ctx, u3.TokenHash); err != nil || rowDiff(got, u3) != "" {
		t.Errorf("UnlockByHash(u3) = %+v, %v; want %+v", got, err, u3)
	}
	if _, err := s.UnlockByHash(ctx, hash(9)); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("UnlockByHash(unknown) = %v; want ErrNotFound", err)
	}

	// Update: a new password (version 4) ends the version 3 unlock only.
	upd := l1
	upd.PasswordHash, upd.PasswordVersion, upd.Download, upd.Watermark, upd.ExpiresAt = "$argon2id$new", 4, sharing.DownloadPreview, "", tSharing.Add(48*time.Hour)
	upd.TokenHash, upd.CreatedBy, upd.CreatedAt = hash(7), "someone", t0
	if err := s.UpdateLink(ctx, upd); err != nil {
		t.Fatal(err)
	}
	want := l1
	want.PasswordHash, want.PasswordVersion, want.Download, want.Watermark, want.ExpiresAt = upd.PasswordHash, 4, upd.Download, "", upd.ExpiresAt
	if got, err := s.LinkByHash(ctx, l1.TokenHash); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after UpdateLink = %+v, %v: %s", got, err, rowDiff(got, want))
	}
	if _, err := s.UnlockByHash(ctx, u3.TokenHash); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("unlock of the old password after UpdateLink = %v; want ErrNotFound", err)
	}
	if _, err := s.UnlockByHash(ctx, u4.TokenHash); err != nil {
		t.Errorf("unlock of the current password after UpdateLink = %v", err)
	}
	wrong := upd
	wrong.ProjectID = q.ID
	if err := s.UpdateLink(ctx, wrong); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("UpdateLink(through another project) = %v; want ErrNotFound", err)
	}

	// Guests.
	g1 := sharing.Guest{ID: sqlstore.NewID(), LinkID: l1.ID, TokenHash: hash(51), Name: "Cleo <b>", Email: "cleo@example.com", CreatedAt: tSharing.Add(time.Minute)}
	g2 := sharing.Guest{ID: sqlstore.NewID(), LinkID: l1.ID, TokenHash: hash(52), Name: "Dan", Email: "dan@example.com", CreatedAt: tSharing}
	for _, g := range []sharing.Guest{g1, g2} {
		if err := s.CreateGuest(ctx, g); err != nil {
			t.Fatalf("CreateGuest = %v", err)
		}
	}
	if err := s.CreateGuest(ctx, sharing.Guest{ID: sqlstore.NewID(), LinkID: l2.ID, TokenHash: hash(51), Name: "x", Email: "x@example.com"}); err == nil {
		t.Error("CreateGuest(same token hash) = nil; want an error")
	}
	if got, err := s.GuestByHash(ctx, g1.TokenHash); err != nil || rowDiff(got, g1) != "" {
		t.Errorf("GuestByHash(g1) = %+v, %v; want %+v", got, err, g1)
	}
	if _, err := s.GuestByHash(ctx, hash(9)); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("GuestByHash(unknown) = %v; want ErrNotFound", err)
	}
	if list, err := s.GuestsOf(ctx, l1.ID); err != nil || len(list) != 2 || rowDiff(list[0], g2) != "" || list[1].ID != g1.ID {
		t.Errorf("GuestsOf(l1) = %+v, %v; want g2, g1", list, err)
	}

	// Revocation: one-way, keeps the first time, ends the unlocks, keeps
	// the link findable (with RevokedAt) and its guests.
	if err := s.RevokeLink(ctx, q.ID, l1.ID, tSharing); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("RevokeLink(through another project) = %v; want ErrNotFound", err)
	}
	if err := s.RevokeLink(ctx, p.ID, "no-such-link", tSharing); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("RevokeLink(unknown) = %v; want ErrNotFound", err)
	}
	revoked := tSharing.Add(2 * time.Hour)
	if err := s.RevokeLink(ctx, p.ID, l1.ID, revoked); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeLink(ctx, p.ID, l1.ID, revoked.Add(time.Hour)); err != nil {
		t.Errorf("RevokeLink twice = %v", err)
	}
	if err := s.UpdateLink(ctx, upd); err != nil { // RevokedAt zero in upd
		t.Fatal(err)
	}
	want.RevokedAt = revoked
	if got, err := s.LinkByHash(ctx, l1.TokenHash); err != nil || rowDiff(got, want) != "" {
		t.Errorf("LinkByHash(revoked) = %+v, %v: %s", got, err, rowDiff(got, want))
	}
	if _, err := s.UnlockByHash(ctx, u4.TokenHash); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("unlock of a revoked link = %v; want ErrNotFound", err)
	}
	if list, _ := s.GuestsOf(ctx, l1.ID); len(list) != 2 {
		t.Errorf("GuestsOf(revoked link) = %d guests; want 2", len(list))
	}
	if got, _ := s.LinkByHash(ctx, l2.TokenHash); !got.RevokedAt.IsZero() {
		t.Errorf("revoking l1 revoked l2 too: %+v", got)
	}

	// Sweeping: an unlock is over at its ExpiresAt.
	for i, at := range []time.Time{t0.Add(-time.Minute), t0, t0.Add(time.Microsecond)} {
		if err := s.CreateUnlock(ctx, sharing.Unlock{TokenHash: hash(byte(60 + i)), LinkID: l2.ID, ExpiresAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteExpiredUnlocks(ctx, t0); err != nil || n != 2 {
		t.Errorf("DeleteExpiredUnlocks = %d, %v; want 2", n, err)
	}
	if _, err := s.UnlockByHash(ctx, hash(61)); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("unlock ending at now after the sweep = %v; want ErrNotFound", err)
	}
	if _, err := s.UnlockByHash(ctx, hash(62)); err != nil {
		t.Errorf("unlock ending after now after the sweep = %v; want it kept", err)
	}
}

// testReview: marks are one per reviewer and asset, replaced in place,
// and only for assets in the project; comments list oldest first, per
// asset or all; "done" is replaced; the CHECK constraints refuse what
// the service would; removing an asset from the project deletes its
// review there.
func testReview(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	x := mkAssets(t, s, a.ID, 1, 3)
	p := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	q := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	addAssets(t, s, p.ID, x[0], x[1]) // x[2] is the owner's but not in p
	addAssets(t, s, q.ID, x[0])
	user := sharing.Reviewer{Kind: "user", ID: sqlstore.NewID()}
	guest := sharing.Reviewer{Kind: "guest", ID: sqlstore.NewID()}

	put := func(m sharing.Mark) error { return s.PutMark(ctx, m) }
	mUser0 := sharing.Mark{ProjectID: p.ID, AssetID: x[0], Reviewer: user, Rating: 4, Label: "green", Flag: sharing.FlagPick, UpdatedAt: tSharing}
	mGuest0 := sharing.Mark{ProjectID: p.ID, AssetID: x[0], Reviewer: guest, Rating: 2, UpdatedAt: tSharing}
	mUser1 := sharing.Mark{ProjectID: p.ID, AssetID: x[1], Reviewer: user, Rating: 5, Label: "purple", UpdatedAt: tSharing}
	mQ := sharing.Mark{ProjectID: q.ID, AssetID: x[0], Reviewer: user, Rating: 1, UpdatedAt: tSharing}
	for _, m := range []sharing.Mark{mUser1, mUser0, mGuest0, mQ} {
		if err := put(m); err != nil {
			t.Fatalf("PutMark(%+v) = %v", m, err)
		}
	}
	replaced := mUser0
	replaced.Rating, replaced.Label, replaced.Flag, replaced.UpdatedAt = 0, "", sharing.FlagReject, tSharing.Add(time.Hour)
	if err := put(replaced); err != nil {
		t.Fatal(err)
	}
	for _, m := range []sharing.Mark{
		{ProjectID: p.ID, AssetID: x[2], Reviewer: user, Rating: 3},   // asset not in the project
		{ProjectID: "no-such-project", AssetID: x[0], Reviewer: user}, // no project
		{ProjectID: p.ID, AssetID: "no-such-asset", Reviewer: user},   // no asset
	} {
		if err := put(m); !errors.Is(err, sharing.ErrNotFound) {
			t.Errorf("PutMark(%s in %s) = %v; want ErrNotFound", m.AssetID, m.ProjectID, err)
		}
	}
	for _, m := range []sharing.Mark{
		{ProjectID: p.ID, AssetID: x[1], Reviewer: guest, Rating: 7},
		{ProjectID: p.ID, AssetID: x[1], Reviewer: guest, Rating: -1},
		{ProjectID: p.ID, AssetID: x[1], Reviewer: guest, Label: "pink"},
		{ProjectID: p.ID, AssetID: x[1], Reviewer: guest, Flag: "maybe"},
		{ProjectID: p.ID, AssetID: x[1], Reviewer: sharing.Reviewer{Kind: "admin", ID: "x"}},
	} {
		if err := put(m); err == nil || errors.Is(err, sharing.ErrNotFound) {
			t.Errorf("PutMark(%+v) = %v; want a refusal by the schema", m, err)
		}
	}
	marks, err := s.MarksOf(ctx, p.ID)
	if err != nil || len(marks) != 3 {
		t.Fatalf("MarksOf(p) = %+v, %v; want 3 marks", marks, err)
	}
	// The project's order (x0, x1), then guests before users.
	for i, want := range []sharing.Mark{mGuest0, replaced, mUser1} {
		if d := rowDiff(marks[i], want); d != "" {
			t.Errorf("MarksOf(p)[%d]: %s", i, d)
		}
	}
	if marks, _ := s.MarksOf(ctx, q.ID); len(marks) != 1 || rowDiff(marks[0], mQ) != "" {
		t.Errorf("MarksOf(q) = %+v; want only q's mark", marks)
	}

	// Comments: oldest first, ids break ties; bodies verbatim.
	cIDs := sortedIDs(3)
	c0 := sharing.Comment{ID: cIDs[2], ProjectID: p.ID, AssetID: x[0], Author: guest, Body: `<script>alert(1)</script> & "quotes"`, CreatedAt: tSharing}
	c1 := sharing.Comment{ID: cIDs[1], ProjectID: p.ID, AssetID: x[1], Author: user, Body: "Crop tighter", CreatedAt: tSharing}
	c2 := sharing.Comment{ID: cIDs[0], ProjectID: p.ID, AssetID: x[0], Author: user, Body: "Yes!", CreatedAt: tSharing.Add(time.Minute)}
	for _, c := range []sharing.Comment{c2, c0, c1} {
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatalf("CreateComment = %v", err)
		}
	}
	if err := s.CreateComment(ctx, sharing.Comment{ID: sqlstore.NewID(), ProjectID: p.ID, AssetID: x[2], Author: user, Body: "x"}); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("CreateComment(asset not in the project) = %v; want ErrNotFound", err)
	}
	if err := s.CreateComment(ctx, sharing.Comment{ID: sqlstore.NewID(), ProjectID: p.ID, AssetID: x[1], Author: sharing.Reviewer{Kind: "owner"}, Body: "x"}); err == nil {
		t.Error("CreateComment(author kind owner) = nil; want a refusal by the schema")
	}
	all, err := s.CommentsOf(ctx, p.ID, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("CommentsOf(p, all) = %+v, %v; want 3", all, err)
	}
	for i, want := range []sharing.Comment{c1, c0, c2} {
		if d := rowDiff(all[i], want); d != "" {
			t.Errorf("CommentsOf(p, all)[%d]: %s", i, d)
		}
	}
	if got, err := s.CommentsOf(ctx, p.ID, x[0]); err != nil || len(got) != 2 || got[0].ID != c0.ID || got[1].ID != c2.ID {
		t.Errorf("CommentsOf(p, x0) = %+v, %v; want c0, c2", got, err)
	}
	if got, err := s.CommentsOf(ctx, q.ID, x[0]); err != nil || got == nil || len(got) != 0 {
		t.Errorf("CommentsOf(q, x0) = %+v, %v; want empty", got, err)
	}

	// Done: one per reviewer, the time replaced.
	dUser := sharing.Done{ProjectID: p.ID, Reviewer: user, At: tSharing.Add(time.Hour)}
	dGuest := sharing.Done{ProjectID: p.ID, Reviewer: guest, At: tSharing.Add(2 * time.Hour)}
	for _, d := range []sharing.Done{dUser, dGuest} {
		if err := s.PutDone(ctx, d); err != nil {
			t.Fatalf("PutDone = %v", err)
		}
	}
	dUser.At = tSharing.Add(3 * time.Hour)
	if err := s.PutDone(ctx, dUser); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDone(ctx, sharing.Done{ProjectID: p.ID, Reviewer: sharing.Reviewer{Kind: "robot", ID: "r"}, At: t0}); err == nil {
		t.Error("PutDone(reviewer kind robot) = nil; want a refusal by the schema")
	}
	dones, err := s.DonesOf(ctx, p.ID)
	if err != nil || len(dones) != 2 || rowDiff(dones[0], dGuest) != "" || rowDiff(dones[1], dUser) != "" {
		t.Errorf("DonesOf(p) = %+v, %v; want guest's, then user's at its second time", dones, err)
	}

	// Removing x0 from p deletes its marks and comments in p (not in q):
	// adding it back does not bring them back.
	if err := s.RemoveProjectAsset(ctx, p.ID, x[0]); err != nil {
		t.Fatal(err)
	}
	addAssets(t, s, p.ID, x[0])
	if marks, _ := s.MarksOf(ctx, p.ID); len(marks) != 1 || marks[0].AssetID != x[1] {
		t.Errorf("MarksOf(p) after removing x0 and adding it back = %+v; want only x1's", marks)
	}
	if got, _ := s.CommentsOf(ctx, p.ID, ""); len(got) != 1 || got[0].ID != c1.ID {
		t.Errorf("CommentsOf(p) after removing x0 and adding it back = %+v; want only c1", got)
	}
	if marks, _ := s.MarksOf(ctx, q.ID); len(marks) != 1 {
		t.Errorf("MarksOf(q) after removing x0 from p = %+v; want q's mark kept", marks)
	}
}

// testSharingCascades: purging an asset takes it out of every project,
// with its marks and comments; deleting a project takes its asset list,
// members, links, unlocks, guests, marks, comments and "done" records,
// but not its owner's notifications. Each check re-creates the deleted
// row under the same id, so that rows merely hidden by a join would show.
func testSharingCascades(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	x := mkAssets(t, s, a.ID, 1, 2)
	p := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	q := mkProject(t, s, a.ID, sqlstore.NewID(), t0)
	addAssets(t, s, p.ID, x[0], x[1])
	addAssets(t, s, q.ID, x[0])
	p.CoverID = x[0]
	if err := s.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	user := sharing.Reviewer{Kind: "user", ID: "reviewer"}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s = %v", what, err)
		}
	}
	for _, projectID := range []string{p.ID, q.ID} {
		for _, assetID := range projectAssetIDs(t, s, projectID) {
			must("PutMark", s.PutMark(ctx, sharing.Mark{ProjectID: projectID, AssetID: assetID, Reviewer: user, Rating: 3, UpdatedAt: t0}))
			must("CreateComment", s.CreateComment(ctx, sharing.Comment{ID: sqlstore.NewID(), ProjectID: projectID, AssetID: assetID,
				Author: user, Body: "c", CreatedAt: t0}))
		}
	}
	must("CreateMember", s.CreateMember(ctx, sharing.Member{ID: sqlstore.NewID(), ProjectID: p.ID, Email: "m@example.com",
		Role: sharing.RoleReviewer, Download: sharing.DownloadNone, InvitedBy: a.ID, CreatedAt: t0}))
	link := sharing.Link{ID: sqlstore.NewID(), ProjectID: p.ID, TokenHash: []byte("link"), Download: sharing.DownloadNone,
		ExpiresAt: t0.Add(time.Hour), CreatedBy: a.ID, CreatedAt: t0}
	must("CreateLink", s.CreateLink(ctx, link))
	must("CreateUnlock", s.CreateUnlock(ctx, sharing.Unlock{TokenHash: []byte("unlock"), LinkID: link.ID, ExpiresAt: t0.Add(time.Hour)}))
	must("CreateGuest", s.CreateGuest(ctx, sharing.Guest{ID: sqlstore.NewID(), LinkID: link.ID, TokenHash: []byte("guest"),
		Name: "G", Email: "g@example.com", CreatedAt: t0}))
	must("PutDone", s.PutDone(ctx, sharing.Done{ProjectID: p.ID, Reviewer: user, At: t0}))
	note := sharing.Notification{ID: sqlstore.NewID(), UserID: a.ID, Kind: "review_done", ProjectID: p.ID, Text: "done", CreatedAt: t0}
	must("CreateNotification", s.CreateNotification(ctx, note))

	// Purge x0.
	purged, err := s.AssetByID(ctx, x[0])
	must("AssetByID", err)
	must("DeleteAsset", s.DeleteAsset(ctx, x[0]))
	if got := projectAssetIDs(t, s, p.ID); !slices.Equal(got, []string{x[1]}) {
		t.Errorf("p's assets after purging x0 = %v; want [x1]", got)
	}
	if got := projectAssetIDs(t, s, q.ID); len(got) != 0 {
		t.Errorf("q's assets after purging x0 = %v; want none", got)
	}
	if got, _ := s.ProjectByID(ctx, p.ID); got.CoverID != "" {
		t.Errorf("CoverID after purging the cover = %q; want \"\"", got.CoverID)
	}
	must("CreateAsset again", s.CreateAsset(ctx, purged))
	addAssets(t, s, p.ID, x[0])
	addAssets(t, s, q.ID, x[0])
	for _, projectID := range []string{p.ID, q.ID} {
		marks, err := s.MarksOf(ctx, projectID)
		must("MarksOf", err)
		comments, err := s.CommentsOf(ctx, projectID, x[0])
		must("CommentsOf", err)
		for _, m := range marks {
			if m.AssetID == x[0] {
				t.Errorf("a mark on x0 in %s survived its purge: %+v", projectID, m)
			}
		}
		if len(comments) != 0 {
			t.Errorf("comments on x0 in %s survived its purge: %+v", projectID, comments)
		}
	}
	if marks, _ := s.MarksOf(ctx, p.ID); len(marks) != 1 || marks[0].AssetID != x[1] {
		t.Errorf("MarksOf(p) after the purge = %+v; want x1's kept", marks)
	}

	// Delete p.
	must("DeleteProject", s.DeleteProject(ctx, p.ID))
	if _, err := s.LinkByHash(ctx, link.TokenHash); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("LinkByHash after DeleteProject = %v; want ErrNotFound", err)
	}
	if _, err := s.UnlockByHash(ctx, []byte("unlock")); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("UnlockByHash after DeleteProject = %v; want ErrNotFound", err)
	}
	if _, err := s.GuestByHash(ctx, []byte("guest")); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("GuestByHash after DeleteProject = %v; want ErrNotFound", err)
	}
	if shared, _ := s.ProjectsSharedWith(ctx, "m@example.com"); len(shared) != 0 {
		t.Errorf("ProjectsSharedWith(member) after DeleteProject = %v; want none", projectIDs(shared))
	}
	if notes, _ := s.NotificationsOf(ctx, a.ID, 10); len(notes) != 1 || notes[0].ProjectID != p.ID {
		t.Errorf("NotificationsOf(owner) after DeleteProject = %+v; want the notice kept", notes)
	}
	if got := projectAssetIDs(t, s, q.ID); !slices.Equal(got, []string{x[0]}) {
		t.Errorf("q's assets after deleting p = %v; want [x0]", got)
	}
	mkProject(t, s, a.ID, p.ID, t0)
	if got := projectAssetIDs(t, s, p.ID); len(got) != 0 {
		t.Errorf("a project re-created under a deleted one's id has assets %v", got)
	}
	addAssets(t, s, p.ID, x[0], x[1])
	members, err1 := s.MembersOf(ctx, p.ID)
	links, err2 := s.LinksOf(ctx, p.ID)
	marks, err3 := s.MarksOf(ctx, p.ID)
	comments, err4 := s.CommentsOf(ctx, p.ID, "")
	dones, err5 := s.DonesOf(ctx, p.ID)
	must("listing", errors.Join(err1, err2, err3, err4, err5))
	if len(members)+len(links)+len(marks)+len(comments)+len(dones) != 0 {
		t.Errorf("deleted project's rows survived: members %+v, links %+v, marks %+v, comments %+v, done %+v",
			members, links, marks, comments, dones)
	}
}

// testNotifications: newest first up to the limit, per account; marking
// read stamps the unread ones only.
func testNotifications(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	mk := func(u string, at, read time.Time) sharing.Notification {
		n := sharing.Notification{ID: sqlstore.NewID(), UserID: u, Kind: "review_done", ProjectID: sqlstore.NewID(),
			Text: "Ann finished reviewing “Wedding”", CreatedAt: at, ReadAt: read}
		if err := s.CreateNotification(ctx, n); err != nil {
			t.Fatalf("CreateNotification = %v", err)
		}
		return n
	}
	n1 := mk(a.ID, tSharing, tSharing.Add(time.Minute))
	n3 := mk(a.ID, tSharing.Add(2*time.Hour), time.Time{})
	n2 := mk(a.ID, tSharing.Add(time.Hour), time.Time{})
	nb := mk(b.ID, tSharing, time.Time{})
	got, err := s.NotificationsOf(ctx, a.ID, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("NotificationsOf(a) = %+v, %v; want 3", got, err)
	}
	for i, want := range []sharing.Notification{n3, n2, n1} {
		if d := rowDiff(got[i], want); d != "" {
			t.Errorf("NotificationsOf(a)[%d]: %s", i, d)
		}
	}
	if got, err := s.NotificationsOf(ctx, a.ID, 2); err != nil || len(got) != 2 || got[0].ID != n3.ID || got[1].ID != n2.ID {
		t.Errorf("NotificationsOf(a, 2) = %+v, %v; want n3, n2", got, err)
	}
	if got, err := s.NotificationsOf(ctx, a.ID, 0); err != nil || len(got) != 0 {
		t.Errorf("NotificationsOf(a, 0) = %+v, %v; want none", got, err)
	}
	read := tSharing.Add(3 * time.Hour)
	if err := s.MarkNotificationsRead(ctx, a.ID, read); err != nil {
		t.Fatal(err)
	}
	got, _ = s.NotificationsOf(ctx, a.ID, 10)
	for i, want := range []time.Time{read, read, n1.ReadAt} {
		if i < len(got) && !got[i].ReadAt.Equal(want.Truncate(time.Microsecond)) {
			t.Errorf("after MarkNotificationsRead, NotificationsOf(a)[%d].ReadAt = %v; want %v", i, got[i].ReadAt, want)
		}
	}
	if got, _ := s.NotificationsOf(ctx, b.ID, 10); len(got) != 1 || rowDiff(got[0], nb) != "" {
		t.Errorf("another account's notifications after MarkNotificationsRead(a) = %+v; want unread", got)
	}
}
