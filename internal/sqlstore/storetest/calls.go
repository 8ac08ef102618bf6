package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"safelight/internal/calls"
	"safelight/internal/sqlstore"
)

// mkOrg creates an organization with creator's address as its owner.
func mkOrg(t *testing.T, s *sqlstore.Store, ownerEmail string, created time.Time) (calls.Org, calls.OrgMember) {
	t.Helper()
	o := calls.Org{ID: sqlstore.NewID(), Name: "Org of " + ownerEmail, CreatedBy: "creator-id", CreatedAt: created}
	m := calls.OrgMember{ID: sqlstore.NewID(), OrgID: o.ID, Email: ownerEmail, Role: calls.RoleOwner, InvitedBy: "creator-id", CreatedAt: created}
	if err := s.CreateOrg(t.Context(), o, m); err != nil {
		t.Fatalf("CreateOrg = %v", err)
	}
	return o, m
}

// fullCall returns a call with every field set to a value that is not
// its zero, so that a column lost on the way in or out shows.
func fullCall(orgID, id string, created time.Time) calls.Call {
	return calls.Call{
		ID: id, OrgID: orgID, Title: "Street <2026> & co", Description: "Line one\nline two ✓", CoverRef: "sealed-cover",
		OpensAt: created.Add(time.Hour), Deadline: created.Add(30 * 24 * time.Hour), TimeZone: "Europe/Paris",
		Categories: []string{"Colour", "Black & white"},
		Limits:     calls.Limits{EntriesPerEntrant: 3, ImagesPerEntry: 12, MaxFileBytes: 5_000_000_000},
		Requirements: calls.Requirements{Formats: []string{"jpeg", "tiff"}, MinLongEdge: 3000, ColorProfile: true,
			Orientation: calls.Landscape},
		Visibility: calls.Unlisted, State: calls.StateDraft, TermsVersion: 1, CreatedBy: "creator-id",
		CreatedAt: created, UpdatedAt: created.Add(time.Minute), PublishedAt: created.Add(2 * time.Minute),
		ResultsAt: created.Add(3 * time.Minute),
	}
}

func mkTerms(callID string, version int, body string, created time.Time) calls.Terms {
	return calls.Terms{CallID: callID, Version: version, Body: body,
		Rights: []string{calls.RightJudging, calls.RightPublication}, SharedData: []string{calls.ShareName},
		Text: body + " (whole text)", SHA256: fmt.Sprintf("%064x", version), CreatedAt: created}
}

// mkCall creates a draft call with terms version 1.
func mkCall(t *testing.T, s *sqlstore.Store, orgID string, created time.Time) calls.Call {
	t.Helper()
	c := fullCall(orgID, sqlstore.NewID(), created)
	c.PublishedAt, c.ResultsAt = time.Time{}, time.Time{}
	if err := s.CreateCall(t.Context(), c, mkTerms(c.ID, 1, "Terms", created)); err != nil {
		t.Fatalf("CreateCall = %v", err)
	}
	return c
}

// mkOpenCall creates a call and publishes it.
func mkOpenCall(t *testing.T, s *sqlstore.Store, orgID string, created time.Time) calls.Call {
	t.Helper()
	c := mkCall(t, s, orgID, created)
	if err := s.PublishCall(t.Context(), c.ID, created); err != nil {
		t.Fatalf("PublishCall = %v", err)
	}
	c.State, c.PublishedAt = calls.StateOpen, created
	return c
}

// mkEntry creates an entry of user in call with one image per asset and
// returns it as stored, with its images.
func mkEntry(t *testing.T, s *sqlstore.Store, callID, userID string, state calls.EntryState, created time.Time, assetIDs ...string) (calls.Entry, []calls.EntryImage) {
	t.Helper()
	e := calls.Entry{ID: sqlstore.NewID(), CallID: callID, UserID: userID, Title: "Entry", State: state, TermsVersion: 1,
		CreatedAt: created, UpdatedAt: created}
	var images []calls.EntryImage
	for i, a := range assetIDs {
		images = append(images, calls.EntryImage{ID: sqlstore.NewID(), EntryID: e.ID, AssetID: a, Position: i + 1})
	}
	n, err := s.CreateEntry(t.Context(), e, images)
	if err != nil {
		t.Fatalf("CreateEntry = %v", err)
	}
	e.Number = n
	return e, images
}

func entryIDs(es []calls.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// testOrgs: organizations and members round-trip, one member per address
// and organization, found by address across organizations (oldest first),
// and an organization never loses its last owner, not even to two
// concurrent demotions.
func testOrgs(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	o := calls.Org{ID: sqlstore.NewID(), Name: "Photo Club <Nord>", CreatedBy: "creator-id", CreatedAt: tSharing}
	owner := calls.OrgMember{ID: sqlstore.NewID(), Email: "own@example.com", Role: calls.RoleOwner, InvitedBy: "creator-id",
		CreatedAt: tSharing}
	if err := s.CreateOrg(ctx, o, owner); err != nil {
		t.Fatal(err)
	}
	owner.OrgID = o.ID // taken from the organization
	if got, err := s.OrgByID(ctx, o.ID); err != nil || rowDiff(got, o) != "" {
		t.Errorf("OrgByID = %+v, %v; want %+v", got, err, o)
	}
	if _, err := s.OrgByID(ctx, "nope"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("OrgByID(missing) = %v; want ErrNotFound", err)
	}

	mgr := calls.OrgMember{ID: sqlstore.NewID(), OrgID: o.ID, Email: "mgr@example.com", Role: calls.RoleManager,
		InvitedBy: owner.ID, CreatedAt: tSharing.Add(time.Minute)}
	jur := calls.OrgMember{ID: sqlstore.NewID(), OrgID: o.ID, Email: "jur@example.com", Role: calls.RoleJuror,
		InvitedBy: owner.ID, CreatedAt: tSharing.Add(-time.Minute)}
	for _, m := range []calls.OrgMember{mgr, jur} {
		if err := s.CreateOrgMember(ctx, m); err != nil {
			t.Fatalf("CreateOrgMember(%s) = %v", m.Email, err)
		}
	}
	again := mgr
	again.ID, again.Role = sqlstore.NewID(), calls.RoleViewer
	if err := s.CreateOrgMember(ctx, again); !errors.Is(err, calls.ErrAlreadyMember) {
		t.Errorf("CreateOrgMember(same address) = %v; want ErrAlreadyMember", err)
	}
	bad := calls.OrgMember{ID: sqlstore.NewID(), OrgID: o.ID, Email: "x@example.com", Role: "admin", CreatedAt: t0}
	if err := s.CreateOrgMember(ctx, bad); err == nil || errors.Is(err, calls.ErrAlreadyMember) {
		t.Errorf("CreateOrgMember(role admin) = %v; want a refusal", err)
	}
	members, err := s.OrgMembers(ctx, o.ID)
	if err != nil || len(members) != 3 {
		t.Fatalf("OrgMembers = %+v, %v; want jur, owner, mgr", members, err)
	}
	for i, want := range []calls.OrgMember{jur, owner, mgr} {
		if d := rowDiff(members[i], want); d != "" {
			t.Errorf("OrgMembers[%d]: %s", i, d)
		}
	}
	if got, err := s.OrgMemberByEmail(ctx, o.ID, "mgr@example.com"); err != nil || rowDiff(got, mgr) != "" {
		t.Errorf("OrgMemberByEmail(mgr) = %+v, %v; want %+v", got, err, mgr)
	}

	// Another organization, created later, where mgr is a viewer.
	p, pOwner := mkOrg(t, s, "other@example.com", tSharing.Add(time.Hour))
	mgrP := calls.OrgMember{ID: sqlstore.NewID(), OrgID: p.ID, Email: "mgr@example.com", Role: calls.RoleViewer,
		InvitedBy: pOwner.ID, CreatedAt: tSharing.Add(2 * time.Hour)}
	if err := s.CreateOrgMember(ctx, mgrP); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrgMemberByEmail(ctx, p.ID, "jur@example.com"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("OrgMemberByEmail(member of another org) = %v; want ErrNotFound", err)
	}
	orgs, ms, err := s.OrgsOfEmail(ctx, "mgr@example.com")
	if err != nil || len(orgs) != 2 || len(ms) != 2 {
		t.Fatalf("OrgsOfEmail(mgr) = %+v, %+v, %v; want o, p", orgs, ms, err)
	}
	if rowDiff(orgs[0], o) != "" || rowDiff(ms[0], mgr) != "" || orgs[1].ID != p.ID || rowDiff(ms[1], mgrP) != "" {
		t.Errorf("OrgsOfEmail(mgr) = %+v, %+v; want [o p] with their member rows", orgs, ms)
	}
	if orgs, ms, err := s.OrgsOfEmail(ctx, "nobody@example.com"); err != nil || orgs == nil || ms == nil || len(orgs)+len(ms) != 0 {
		t.Errorf("OrgsOfEmail(nobody) = %v, %v, %v; want empty", orgs, ms, err)
	}

	// The last owner stays an owner.
	if err := s.UpdateOrgMember(ctx, o.ID, owner.ID, calls.RoleManager); !errors.Is(err, calls.ErrLastOwner) {
		t.Errorf("UpdateOrgMember(demote the only owner) = %v; want ErrLastOwner", err)
	}
	if err := s.DeleteOrgMember(ctx, o.ID, owner.ID); !errors.Is(err, calls.ErrLastOwner) {
		t.Errorf("DeleteOrgMember(the only owner) = %v; want ErrLastOwner", err)
	}
	if got, _ := s.OrgMemberByEmail(ctx, o.ID, owner.Email); got.Role != calls.RoleOwner {
		t.Errorf("after refusals the owner's role = %q; want owner", got.Role)
	}
	if err := s.UpdateOrgMember(ctx, o.ID, owner.ID, calls.RoleOwner); err != nil {
		t.Errorf("UpdateOrgMember(only owner stays owner) = %v", err)
	}
	// With a second owner, the first may go.
	if err := s.UpdateOrgMember(ctx, o.ID, mgr.ID, calls.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOrgMember(ctx, o.ID, owner.ID, calls.RoleViewer); err != nil {
		t.Errorf("UpdateOrgMember(demote one of two owners) = %v", err)
	}
	want := owner
	want.Role = calls.RoleViewer
	if got, err := s.OrgMemberByEmail(ctx, o.ID, owner.Email); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after UpdateOrgMember = %+v, %v; want %+v", got, err, want)
	}
	if err := s.DeleteOrgMember(ctx, o.ID, mgr.ID); !errors.Is(err, calls.ErrLastOwner) {
		t.Errorf("DeleteOrgMember(the new only owner) = %v; want ErrLastOwner", err)
	}
	for _, tc := range []struct{ name, org, member string }{
		{"through another org", p.ID, jur.ID}, {"unknown member", o.ID, "nope"}, {"unknown org", "nope", jur.ID},
	} {
		if err := s.UpdateOrgMember(ctx, tc.org, tc.member, calls.RoleViewer); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("UpdateOrgMember(%s) = %v; want ErrNotFound", tc.name, err)
		}
		if err := s.DeleteOrgMember(ctx, tc.org, tc.member); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("DeleteOrgMember(%s) = %v; want ErrNotFound", tc.name, err)
		}
	}
	if err := s.DeleteOrgMember(ctx, o.ID, jur.ID); err != nil {
		t.Errorf("DeleteOrgMember(juror) = %v", err)
	}
	if err := s.DeleteOrgMember(ctx, o.ID, jur.ID); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("DeleteOrgMember twice = %v; want ErrNotFound", err)
	}

	// Two owners demoting (or removing) each other at once: one wins.
	for round := range 4 {
		q, a := mkOrg(t, s, "a@example.com", t0)
		b := calls.OrgMember{ID: sqlstore.NewID(), OrgID: q.ID, Email: "b@example.com", Role: calls.RoleOwner, CreatedAt: t0}
		if err := s.CreateOrgMember(ctx, b); err != nil {
			t.Fatal(err)
		}
		var errA, errB error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; errA = s.UpdateOrgMember(ctx, q.ID, a.ID, calls.RoleJuror) })
		wg.Go(func() { <-start; errB = s.DeleteOrgMember(ctx, q.ID, b.ID) })
		close(start)
		wg.Wait()
		if (errA == nil) == (errB == nil) || !errors.Is(errors.Join(errA, errB), calls.ErrLastOwner) {
			t.Errorf("round %d: concurrent demote/remove of two owners = %v, %v; want one ErrLastOwner", round, errA, errB)
		}
		left, _ := s.OrgMembers(ctx, q.ID)
		owners := 0
		for _, m := range left {
			if m.Role == calls.RoleOwner {
				owners++
			}
		}
		if owners != 1 {
			t.Errorf("round %d: owners left = %d (%+v); want 1", round, owners, left)
		}
	}
}

// testCalls: calls and terms round-trip every field (lists included, nil
// as nil); UpdateCall leaves the terms version and publication to their
// own methods; listings; a terms version is replaced only while
// unpublished; publishing stamps the call and its current terms once.
func testCalls(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	o, _ := mkOrg(t, s, "own@example.com", t0)
	c := fullCall(o.ID, sqlstore.NewID(), tSharing)
	terms := mkTerms(c.ID, 1, "Be kind.", tSharing)
	terms.CallID = "" // taken from the call
	if err := s.CreateCall(ctx, c, terms); err != nil {
		t.Fatal(err)
	}
	terms.CallID = c.ID
	got, err := s.CallByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := rowDiff(got, c); d != "" {
		t.Errorf("CallByID: %s", d)
	}
	if gt, err := s.TermsVersion(ctx, c.ID, 1); err != nil || rowDiff(gt, terms) != "" {
		t.Errorf("TermsVersion(1) = %+v, %v; want %+v", gt, err, terms)
	}
	if _, err := s.CallByID(ctx, "nope"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("CallByID(missing) = %v; want ErrNotFound", err)
	}
	if _, err := s.TermsVersion(ctx, c.ID, 2); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("TermsVersion(missing version) = %v; want ErrNotFound", err)
	}

	// Nil lists come back nil; a state no code knows is refused.
	bare := fullCall(o.ID, sqlstore.NewID(), tSharing.Add(time.Hour))
	bare.Categories, bare.Requirements.Formats = nil, nil
	bareTerms := mkTerms(bare.ID, 1, "", tSharing)
	bareTerms.Rights, bareTerms.SharedData = nil, nil
	if err := s.CreateCall(ctx, bare, bareTerms); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CallByID(ctx, bare.ID); err != nil || !reflect.DeepEqual(got.Categories, []string(nil)) ||
		!reflect.DeepEqual(got.Requirements, bare.Requirements) {
		t.Errorf("CallByID(nil lists) = %+v, %v; want nil categories and formats", got, err)
	}
	if got, err := s.TermsVersion(ctx, bare.ID, 1); err != nil || rowDiff(got, bareTerms) != "" {
		t.Errorf("TermsVersion(nil lists) = %+v, %v; want %+v", got, err, bareTerms)
	}
	closed := fullCall(o.ID, sqlstore.NewID(), tSharing)
	closed.State = calls.StateClosed // never stored
	if err := s.CreateCall(ctx, closed, mkTerms(closed.ID, 1, "x", tSharing)); err == nil {
		t.Error("CreateCall(state closed) = nil; want a refusal")
	}
	if _, err := s.CallByID(ctx, closed.ID); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("a refused call was stored: %v", err)
	}

	// Update: everything an organizer edits, and the state; not the rest.
	upd := c
	upd.OrgID, upd.CreatedBy, upd.CreatedAt = "other-org", "x", t0
	upd.TermsVersion, upd.PublishedAt = 9, t0
	upd.Title, upd.Description, upd.CoverRef = "Renamed", "", ""
	upd.OpensAt, upd.Deadline, upd.TimeZone = t0, t0.Add(time.Hour), "UTC"
	upd.Categories = []string{"Only"}
	upd.Limits = calls.Limits{EntriesPerEntrant: 1, ImagesPerEntry: 1, MaxFileBytes: 1 << 20}
	upd.Requirements = calls.Requirements{Orientation: calls.AnyOrientation}
	upd.Visibility, upd.State = calls.Public, calls.StateJudging
	upd.UpdatedAt, upd.ResultsAt = tSharing.Add(time.Hour), time.Time{}
	if err := s.UpdateCall(ctx, upd); err != nil {
		t.Fatal(err)
	}
	want := upd
	want.OrgID, want.CreatedBy, want.CreatedAt, want.TermsVersion, want.PublishedAt = c.OrgID, c.CreatedBy, c.CreatedAt, c.TermsVersion, c.PublishedAt
	if got, err := s.CallByID(ctx, c.ID); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after UpdateCall: %s (%v)", rowDiff(got, want), err)
	}
	if err := s.UpdateCall(ctx, calls.Call{ID: "nope", State: calls.StateDraft, Visibility: calls.Public,
		Requirements: calls.Requirements{Orientation: calls.AnyOrientation}}); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("UpdateCall(missing) = %v; want ErrNotFound", err)
	}

	// Listings.
	p, _ := mkOrg(t, s, "p@example.com", t0)
	d1 := mkCall(t, s, p.ID, t0)                    // draft, public
	o1 := mkOpenCall(t, s, p.ID, t0.Add(time.Hour)) // open, public
	o2 := mkOpenCall(t, s, p.ID, t0.Add(2*time.Hour))
	unl := mkOpenCall(t, s, p.ID, t0.Add(3*time.Hour))
	for _, tc := range []struct {
		c          *calls.Call
		deadline   time.Time
		visibility calls.Visibility
		state      calls.State
	}{
		{&d1, t0.Add(24 * time.Hour), calls.Public, calls.StateDraft},
		{&o1, t0.Add(72 * time.Hour), calls.Public, calls.StateOpen},
		{&o2, t0.Add(48 * time.Hour), calls.Public, calls.StateResults},
		{&unl, t0.Add(24 * time.Hour), calls.Unlisted, calls.StateOpen},
	} {
		tc.c.Deadline, tc.c.Visibility, tc.c.State = tc.deadline, tc.visibility, tc.state
		if err := s.UpdateCall(ctx, *tc.c); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.CallsOfOrg(ctx, p.ID)
	if ids := callIDs(list); err != nil || !slices.Equal(ids, []string{unl.ID, o2.ID, o1.ID, d1.ID}) {
		t.Errorf("CallsOfOrg(p) = %v, %v; want newest first", ids, err)
	}
	if list, err := s.CallsOfOrg(ctx, "nope"); err != nil || list == nil || len(list) != 0 {
		t.Errorf("CallsOfOrg(unknown) = %v, %v; want empty", list, err)
	}
	// Also c (judging, public since the update) from organization o.
	pub, err := s.PublicCalls(ctx)
	if ids := callIDs(pub); err != nil || !slices.Equal(ids, []string{c.ID, o2.ID, o1.ID}) {
		t.Errorf("PublicCalls = %v, %v; want [c o2 o1]: public, not draft, soonest deadline first", ids, err)
	}
	if len(pub) == 3 && rowDiff(pub[2], o1) != "" {
		t.Errorf("PublicCalls[2]: %s", rowDiff(pub[2], o1))
	}

	// Terms: replaced while unpublished, then fixed.
	dc := mkCall(t, s, o.ID, t0)
	v1 := mkTerms(dc.ID, 1, "Second draft", t0.Add(time.Minute))
	if err := s.PutTerms(ctx, v1); err != nil {
		t.Fatalf("PutTerms(unpublished v1) = %v", err)
	}
	if got, err := s.TermsVersion(ctx, dc.ID, 1); err != nil || rowDiff(got, v1) != "" {
		t.Errorf("TermsVersion after replacing v1 = %+v, %v; want %+v", got, err, v1)
	}
	v2 := mkTerms(dc.ID, 2, "Third draft", t0.Add(2*time.Minute))
	v2.Rights = []string{calls.RightJudging}
	if err := s.PutTerms(ctx, v2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CallByID(ctx, dc.ID); got.TermsVersion != 2 {
		t.Errorf("call's TermsVersion after PutTerms(v2) = %d; want 2", got.TermsVersion)
	}
	if err := s.PutTerms(ctx, mkTerms("nope", 1, "x", t0)); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("PutTerms(unknown call) = %v; want ErrNotFound", err)
	}

	pubAt := tSharing.Add(24 * time.Hour)
	if err := s.PublishCall(ctx, dc.ID, pubAt); err != nil {
		t.Fatal(err)
	}
	wantCall := dc
	wantCall.State, wantCall.PublishedAt, wantCall.TermsVersion = calls.StateOpen, pubAt, 2
	if got, err := s.CallByID(ctx, dc.ID); err != nil || rowDiff(got, wantCall) != "" {
		t.Errorf("after PublishCall: %s (%v)", rowDiff(got, wantCall), err)
	}
	v2.PublishedAt = pubAt
	if got, err := s.TermsVersion(ctx, dc.ID, 2); err != nil || rowDiff(got, v2) != "" {
		t.Errorf("current terms after PublishCall = %+v, %v; want PublishedAt stamped", got, err)
	}
	if got, _ := s.TermsVersion(ctx, dc.ID, 1); !got.PublishedAt.IsZero() {
		t.Errorf("an older version got published: %+v", got)
	}
	if err := s.PublishCall(ctx, dc.ID, pubAt.Add(time.Hour)); !errors.Is(err, calls.ErrWrongState) {
		t.Errorf("PublishCall twice = %v; want ErrWrongState", err)
	}
	if got, _ := s.CallByID(ctx, dc.ID); !got.PublishedAt.Equal(pubAt.Truncate(time.Microsecond)) {
		t.Errorf("second PublishCall moved PublishedAt to %v", got.PublishedAt)
	}
	if err := s.PublishCall(ctx, "nope", pubAt); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("PublishCall(missing) = %v; want ErrNotFound", err)
	}

	// A published version never changes, and the refusal changes nothing.
	v3 := mkTerms(dc.ID, 3, "Amended", pubAt.Add(time.Hour))
	v3.PublishedAt = pubAt.Add(time.Hour)
	if err := s.PutTerms(ctx, v3); err != nil {
		t.Fatal(err)
	}
	changed := v2
	changed.Body, changed.Text, changed.SHA256, changed.PublishedAt = "Rewritten", "Rewritten", fmt.Sprintf("%064x", 99), time.Time{}
	if err := s.PutTerms(ctx, changed); err == nil || !errors.Is(err, calls.ErrWrongState) {
		t.Errorf("PutTerms(published v2) = %v; want ErrWrongState", err)
	}
	if got, _ := s.TermsVersion(ctx, dc.ID, 2); rowDiff(got, v2) != "" {
		t.Errorf("published v2 changed: %s", rowDiff(got, v2))
	}
	if got, _ := s.CallByID(ctx, dc.ID); got.TermsVersion != 3 {
		t.Errorf("call's TermsVersion after a refused PutTerms(v2) = %d; want 3 kept", got.TermsVersion)
	}
	all, err := s.TermsVersions(ctx, dc.ID)
	if err != nil || len(all) != 3 || all[0].Version != 1 || all[1].Version != 2 || rowDiff(all[2], v3) != "" {
		t.Errorf("TermsVersions = %+v, %v; want v1, v2, v3", all, err)
	}
	if all, err := s.TermsVersions(ctx, "nope"); err != nil || all == nil || len(all) != 0 {
		t.Errorf("TermsVersions(unknown) = %v, %v; want empty", all, err)
	}
}

func callIDs(cs []calls.Call) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// testEntries: entries round-trip and are numbered 1..n per call, also
// when created concurrently; images are the entrant's own assets, each
// once, and are kept or replaced by UpdateEntry; listings filter by state;
// drafts alone are deleted; reminders go once to drafts of open calls
// near their deadline.
func testEntries(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	xa := mkAssets(t, s, a.ID, 1, 4)
	xb := mkAssets(t, s, b.ID, 1, 1)
	o, _ := mkOrg(t, s, "own@example.com", t0)
	c := mkOpenCall(t, s, o.ID, t0)
	other := mkOpenCall(t, s, o.ID, t0)

	e := calls.Entry{ID: sqlstore.NewID(), CallID: c.ID, UserID: a.ID, Number: 77, Title: "Harbour <at> dawn",
		Statement: "Line one\nline two ✓", Category: "Colour", State: calls.EntrySubmitted, TermsVersion: 1,
		Award: calls.AwardWinner, CreatedAt: tSharing, UpdatedAt: tSharing.Add(time.Minute),
		SubmittedAt: tSharing.Add(2 * time.Minute), WithdrawnAt: tSharing.Add(3 * time.Minute), RemindedAt: tSharing.Add(4 * time.Minute)}
	imgs := []calls.EntryImage{
		{ID: sqlstore.NewID(), AssetID: xa[1], Position: 1}, // EntryID taken from the entry
		{ID: sqlstore.NewID(), AssetID: xa[0], Position: 2},
	}
	n, err := s.CreateEntry(ctx, e, imgs)
	if err != nil || n != 1 {
		t.Fatalf("CreateEntry = %d, %v; want 1", n, err)
	}
	e.Number = 1 // assigned, whatever was asked
	if got, err := s.EntryByID(ctx, e.ID); err != nil || rowDiff(got, e) != "" {
		t.Errorf("EntryByID: %s (%v)", rowDiff(got, e), err)
	}
	for i := range imgs {
		imgs[i].EntryID = e.ID
	}
	if got, err := s.EntryImages(ctx, e.ID); err != nil || !reflect.DeepEqual(got, imgs) {
		t.Errorf("EntryImages = %+v, %v; want %+v", got, err, imgs)
	}
	if _, err := s.EntryByID(ctx, "nope"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("EntryByID(missing) = %v; want ErrNotFound", err)
	}
	if got, err := s.EntryImages(ctx, "nope"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("EntryImages(unknown) = %v, %v; want empty", got, err)
	}

	// Refusals leave nothing behind and use no number.
	for _, tc := range []struct {
		name   string
		call   string
		assets []string
		want   error
	}{
		{"another's asset", c.ID, []string{xa[2], xb[0]}, calls.ErrNotOwnAsset},
		{"an unknown asset", c.ID, []string{"nope"}, calls.ErrNotOwnAsset},
		{"an image twice", c.ID, []string{xa[2], xa[2]}, calls.ErrDuplicateImage},
		{"an unknown call", "nope", []string{xa[2]}, calls.ErrNotFound},
	} {
		bad := calls.Entry{ID: sqlstore.NewID(), CallID: tc.call, UserID: a.ID, State: calls.EntryDraft, CreatedAt: t0, UpdatedAt: t0}
		var images []calls.EntryImage
		for i, id := range tc.assets {
			images = append(images, calls.EntryImage{ID: sqlstore.NewID(), AssetID: id, Position: i + 1})
		}
		if _, err := s.CreateEntry(ctx, bad, images); !errors.Is(err, tc.want) {
			t.Errorf("CreateEntry(%s) = %v; want %v", tc.name, err, tc.want)
		}
		if _, err := s.EntryByID(ctx, bad.ID); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("CreateEntry(%s) left the entry behind: %v", tc.name, err)
		}
	}

	e2, _ := mkEntry(t, s, c.ID, a.ID, calls.EntryDraft, tSharing.Add(time.Hour), xa[2])
	e3, _ := mkEntry(t, s, c.ID, b.ID, calls.EntrySubmitted, tSharing.Add(2*time.Hour), xb[0])
	e4, _ := mkEntry(t, s, c.ID, a.ID, calls.EntryWithdrawn, tSharing.Add(3*time.Hour))
	f1, _ := mkEntry(t, s, other.ID, a.ID, calls.EntryDraft, tSharing.Add(4*time.Hour), xa[0])
	if e2.Number != 2 || e3.Number != 3 || e4.Number != 4 || f1.Number != 1 {
		t.Errorf("numbers = %d, %d, %d and %d in another call; want 2, 3, 4 and 1", e2.Number, e3.Number, e4.Number, f1.Number)
	}

	// Listings.
	for _, tc := range []struct {
		states []calls.EntryState
		want   []string
	}{
		{nil, []string{e.ID, e2.ID, e3.ID, e4.ID}},
		{[]calls.EntryState{calls.EntrySubmitted}, []string{e.ID, e3.ID}},
		{[]calls.EntryState{calls.EntryWithdrawn, calls.EntryDraft}, []string{e2.ID, e4.ID}},
	} {
		if got, err := s.EntriesOfCall(ctx, c.ID, tc.states); err != nil || !slices.Equal(entryIDs(got), tc.want) {
			t.Errorf("EntriesOfCall(%v) = %v, %v; want %v", tc.states, entryIDs(got), err, tc.want)
		}
	}
	if got, err := s.EntriesOfCall(ctx, "nope", nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("EntriesOfCall(unknown) = %v, %v; want empty", got, err)
	}
	if got, err := s.EntriesOfUser(ctx, a.ID); err != nil || !slices.Equal(entryIDs(got), []string{f1.ID, e4.ID, e2.ID, e.ID}) {
		t.Errorf("EntriesOfUser(a) = %v, %v; want newest first", entryIDs(got), err)
	}
	for _, tc := range []struct {
		call, user string
		want       int
	}{{c.ID, a.ID, 2}, {c.ID, b.ID, 1}, {other.ID, a.ID, 1}, {other.ID, b.ID, 0}} {
		if n, err := s.CountUserEntries(ctx, tc.call, tc.user); err != nil || n != tc.want {
			t.Errorf("CountUserEntries = %d, %v; want %d (withdrawn not counted)", n, err, tc.want)
		}
	}

	// Update: nil images keeps them, a slice replaces them.
	upd := e2
	upd.CallID, upd.UserID, upd.Number, upd.CreatedAt = other.ID, b.ID, 99, t0
	upd.Award, upd.RemindedAt = calls.AwardWinner, t0
	upd.Title, upd.Statement, upd.Category, upd.State, upd.TermsVersion = "New", "Said", "Colour", calls.EntrySubmitted, 2
	upd.UpdatedAt, upd.SubmittedAt, upd.WithdrawnAt = tSharing.Add(5*time.Hour), tSharing.Add(5*time.Hour), time.Time{}
	if err := s.UpdateEntry(ctx, upd, nil); err != nil {
		t.Fatal(err)
	}
	want := upd
	want.CallID, want.UserID, want.Number, want.CreatedAt, want.Award, want.RemindedAt = e2.CallID, e2.UserID, e2.Number, e2.CreatedAt, "", time.Time{}
	if got, err := s.EntryByID(ctx, e2.ID); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after UpdateEntry: %s (%v)", rowDiff(got, want), err)
	}
	if got, _ := s.EntryImages(ctx, e2.ID); len(got) != 1 || got[0].AssetID != xa[2] {
		t.Errorf("UpdateEntry(nil images) changed the images: %+v", got)
	}
	repl := []calls.EntryImage{{ID: sqlstore.NewID(), EntryID: e2.ID, AssetID: xa[3], Position: 1},
		{ID: sqlstore.NewID(), EntryID: e2.ID, AssetID: xa[2], Position: 2}}
	if err := s.UpdateEntry(ctx, upd, repl); err != nil {
		t.Fatal(err)
	}
	if got, err := s.EntryImages(ctx, e2.ID); err != nil || !reflect.DeepEqual(got, repl) {
		t.Errorf("EntryImages after replacing = %+v, %v; want %+v", got, err, repl)
	}
	if err := s.UpdateEntry(ctx, upd, []calls.EntryImage{{ID: sqlstore.NewID(), AssetID: xb[0], Position: 1}}); !errors.Is(err, calls.ErrNotOwnAsset) {
		t.Errorf("UpdateEntry(another's asset) = %v; want ErrNotOwnAsset", err)
	}
	if got, _ := s.EntryImages(ctx, e2.ID); !reflect.DeepEqual(got, repl) {
		t.Errorf("a refused UpdateEntry changed the images: %+v", got)
	}
	if err := s.UpdateEntry(ctx, upd, []calls.EntryImage{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.EntryImages(ctx, e2.ID); len(got) != 0 {
		t.Errorf("UpdateEntry(empty images) kept %+v", got)
	}
	if err := s.UpdateEntry(ctx, calls.Entry{ID: "nope", State: calls.EntryDraft}, nil); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("UpdateEntry(missing) = %v; want ErrNotFound", err)
	}

	// Awards.
	if err := s.SetAward(ctx, e3.ID, calls.AwardHonourableMention); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.EntryByID(ctx, e3.ID); got.Award != calls.AwardHonourableMention {
		t.Errorf("Award = %q; want honourable_mention", got.Award)
	}
	if err := s.SetAward(ctx, e3.ID, "gold"); err == nil {
		t.Error("SetAward(gold) = nil; want a refusal")
	}
	if err := s.SetAward(ctx, e3.ID, calls.AwardNone); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.EntryByID(ctx, e3.ID); got.Award != "" {
		t.Errorf("Award after clearing = %q", got.Award)
	}
	if err := s.SetAward(ctx, "nope", calls.AwardWinner); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("SetAward(missing) = %v; want ErrNotFound", err)
	}

	// Deletion: drafts only, with their images.
	if err := s.DeleteEntry(ctx, e3.ID); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("DeleteEntry(submitted) = %v; want ErrNotFound", err)
	}
	if err := s.DeleteEntry(ctx, f1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EntryByID(ctx, f1.ID); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("EntryByID(deleted) = %v; want ErrNotFound", err)
	}
	if got, _ := s.EntryImages(ctx, f1.ID); len(got) != 0 {
		t.Errorf("images of a deleted entry survived: %+v", got)
	}
	if err := s.DeleteEntry(ctx, f1.ID); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("DeleteEntry twice = %v; want ErrNotFound", err)
	}

	// Many entrants at once: distinct numbers 1..8.
	busy := mkOpenCall(t, s, o.ID, t0)
	users := make([]string, 8)
	for i := range users {
		users[i] = mkUser(t, s, fmt.Sprintf("u%d@example.com", i)).ID
	}
	numbers := make([]int, len(users))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range users {
		wg.Go(func() {
			<-start
			var err error
			numbers[i], err = s.CreateEntry(ctx, calls.Entry{ID: sqlstore.NewID(), CallID: busy.ID, UserID: u,
				State: calls.EntryDraft, CreatedAt: t0, UpdatedAt: t0}, nil)
			if err != nil {
				t.Errorf("concurrent CreateEntry #%d = %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(numbers)
	if !slices.Equal(numbers, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("numbers of 8 concurrent entries = %v; want 1..8", numbers)
	}
	stored, _ := s.EntriesOfCall(ctx, busy.ID, nil)
	for i, e := range stored {
		if e.Number != i+1 {
			t.Errorf("EntriesOfCall(busy)[%d].Number = %d; want %d", i, e.Number, i+1)
		}
	}
}

// testDraftsToRemind: only unreminded drafts of open calls whose deadline
// is in (now, before]; a reminder is marked once.
func testDraftsToRemind(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	o, _ := mkOrg(t, s, "own@example.com", t0)
	now := t0.Add(10 * 24 * time.Hour)
	before := now.Add(72 * time.Hour)
	withDeadline := func(deadline time.Time, state calls.State) calls.Call {
		c := mkOpenCall(t, s, o.ID, t0)
		c.Deadline, c.State = deadline, state
		if err := s.UpdateCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	soon := withDeadline(now.Add(24*time.Hour), calls.StateOpen)
	edge := withDeadline(before, calls.StateOpen)
	later := withDeadline(before.Add(time.Microsecond), calls.StateOpen)
	past := withDeadline(now, calls.StateOpen)
	judging := withDeadline(now.Add(time.Hour), calls.StateJudging)

	d1, _ := mkEntry(t, s, soon.ID, a.ID, calls.EntryDraft, t0)
	d2, _ := mkEntry(t, s, soon.ID, a.ID, calls.EntryDraft, t0)
	mkEntry(t, s, soon.ID, a.ID, calls.EntrySubmitted, t0)
	dEdge, _ := mkEntry(t, s, edge.ID, a.ID, calls.EntryDraft, t0)
	mkEntry(t, s, later.ID, a.ID, calls.EntryDraft, t0)
	mkEntry(t, s, past.ID, a.ID, calls.EntryDraft, t0)
	mkEntry(t, s, judging.ID, a.ID, calls.EntryDraft, t0)

	got, err := s.DraftsToRemind(ctx, now, before)
	if want := []string{d1.ID, d2.ID, dEdge.ID}; err != nil || !slices.Equal(entryIDs(got), want) {
		t.Errorf("DraftsToRemind = %v, %v; want %v (soonest deadline first, by number)", entryIDs(got), err, want)
	}
	at := now.Add(time.Minute)
	if ok, err := s.MarkReminded(ctx, d1.ID, at); !ok || err != nil {
		t.Errorf("MarkReminded = %v, %v; want true", ok, err)
	}
	if ok, err := s.MarkReminded(ctx, d1.ID, at.Add(time.Hour)); ok || err != nil {
		t.Errorf("MarkReminded again = %v, %v; want false", ok, err)
	}
	if e, _ := s.EntryByID(ctx, d1.ID); !e.RemindedAt.Equal(at) {
		t.Errorf("RemindedAt = %v; want the first time %v", e.RemindedAt, at)
	}
	if ok, err := s.MarkReminded(ctx, "nope", at); ok || err != nil {
		t.Errorf("MarkReminded(missing) = %v, %v; want false, nil", ok, err)
	}
	if got, _ := s.DraftsToRemind(ctx, now, before); !slices.Equal(entryIDs(got), []string{d2.ID, dEdge.ID}) {
		t.Errorf("DraftsToRemind after marking d1 = %v; want [d2 dEdge]", entryIDs(got))
	}
	// Many reminder senders at once: one marks it.
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := s.MarkReminded(ctx, d2.ID, at)
			if err != nil {
				t.Errorf("concurrent MarkReminded = %v", err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("8 concurrent MarkReminded: %d true; want 1", wins)
	}
}

// testConsents: the ledger round-trips, lists an account's records newest
// first, and withdrawal stamps once; withdrawing an entry's consents
// touches only its call-terms records.
func testConsents(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	c1 := calls.Consent{ID: sqlstore.NewID(), UserID: a.ID, Kind: calls.ConsentCallTerms, CallID: "call-1", EntryID: "entry-1",
		TermsVersion: 2, TermsSHA256: fmt.Sprintf("%064x", 2), Scope: []string{calls.RightJudging, calls.RightExhibition},
		Method: calls.MethodWebForm, At: tSharing}
	c2 := calls.Consent{ID: sqlstore.NewID(), UserID: a.ID, Kind: calls.ConsentOriginalsRelease, CallID: "call-1", EntryID: "entry-1",
		AssetID: "asset-1", Method: calls.MethodApprove, At: tSharing.Add(time.Hour)} // nil scope
	c3 := calls.Consent{ID: sqlstore.NewID(), UserID: a.ID, Kind: calls.ConsentCallTerms, CallID: "call-1", EntryID: "entry-2",
		TermsVersion: 1, Scope: []string{calls.RightJudging}, Method: calls.MethodAPI, At: tSharing.Add(2 * time.Hour)}
	c4 := calls.Consent{ID: sqlstore.NewID(), UserID: b.ID, Kind: calls.ConsentCallTerms, CallID: "call-1", EntryID: "entry-1",
		Method: calls.MethodAPI, At: tSharing, WithdrawnAt: tSharing.Add(time.Minute)}
	for _, c := range []calls.Consent{c1, c2, c3, c4} {
		if err := s.CreateConsent(ctx, c); err != nil {
			t.Fatalf("CreateConsent = %v", err)
		}
	}
	if err := s.CreateConsent(ctx, calls.Consent{ID: sqlstore.NewID(), UserID: a.ID, Kind: "everything", At: t0}); err == nil {
		t.Error("CreateConsent(kind everything) = nil; want a refusal")
	}
	for _, c := range []calls.Consent{c1, c2, c4} {
		if got, err := s.ConsentByID(ctx, c.ID); err != nil || rowDiff(got, c) != "" {
			t.Errorf("ConsentByID: %s (%v)", rowDiff(got, c), err)
		}
	}
	if _, err := s.ConsentByID(ctx, "nope"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("ConsentByID(missing) = %v; want ErrNotFound", err)
	}
	consentIDs := func(cs []calls.Consent) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got, err := s.ConsentsOfUser(ctx, a.ID); err != nil || !slices.Equal(consentIDs(got), []string{c3.ID, c2.ID, c1.ID}) {
		t.Errorf("ConsentsOfUser(a) = %v, %v; want newest first", consentIDs(got), err)
	}

	at := tSharing.Add(24 * time.Hour)
	if err := s.WithdrawEntryConsents(ctx, "entry-1", at); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    calls.Consent
		want time.Time
	}{
		{c1, at},                        // call terms of entry-1: withdrawn
		{c2, time.Time{}},               // an originals release: not this method's
		{c3, time.Time{}},               // another entry
		{c4, tSharing.Add(time.Minute)}, // withdrawn before: keeps its time
	} {
		if got, _ := s.ConsentByID(ctx, tc.c.ID); !got.WithdrawnAt.Equal(tc.want.Truncate(time.Microsecond)) {
			t.Errorf("after WithdrawEntryConsents, consent %s WithdrawnAt = %v; want %v", tc.c.Kind, got.WithdrawnAt, tc.want)
		}
	}
	if err := s.WithdrawEntryConsents(ctx, "no-entry", at); err != nil {
		t.Errorf("WithdrawEntryConsents(none) = %v", err)
	}
	if err := s.WithdrawConsent(ctx, c2.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.WithdrawConsent(ctx, c2.ID, at.Add(2*time.Hour)); err != nil {
		t.Errorf("WithdrawConsent twice = %v; want nil", err)
	}
	if got, _ := s.ConsentByID(ctx, c2.ID); !got.WithdrawnAt.Equal(at.Add(time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("WithdrawnAt = %v; want the first withdrawal's time", got.WithdrawnAt)
	}
	if err := s.WithdrawConsent(ctx, "nope", at); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("WithdrawConsent(missing) = %v; want ErrNotFound", err)
	}
}

// roundFixture is a published call with three submitted entries, one
// image each.
type roundFixture struct {
	call    calls.Call
	entries []calls.Entry
	images  [][]calls.EntryImage
}

func mkRoundFixture(t *testing.T, s *sqlstore.Store) roundFixture {
	t.Helper()
	a := mkUser(t, s, "entrant@example.com")
	x := mkAssets(t, s, a.ID, 1, 3)
	o, _ := mkOrg(t, s, "own@example.com", t0)
	f := roundFixture{call: mkOpenCall(t, s, o.ID, t0)}
	for i := range 3 {
		e, imgs := mkEntry(t, s, f.call.ID, a.ID, calls.EntrySubmitted, t0, x[i])
		f.entries, f.images = append(f.entries, e), append(f.images, imgs)
	}
	return f
}

// testRounds: rounds are numbered per call and round-trip with their
// jurors and candidates; jurors find their rounds; a shortlist is exactly
// the keys given; votes are upserted, only for candidates; closing and
// recusing keep their first time.
func testRounds(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	f := mkRoundFixture(t, s)
	e := f.entries
	r1 := calls.Round{ID: sqlstore.NewID(), CallID: f.call.ID, Number: 42, Name: "First <pass>", Unit: calls.UnitEntry,
		Mode: calls.ModeStarsAvg, Blind: true, State: calls.RoundOpen, CreatedBy: "mgr-id", CreatedAt: tSharing}
	jurors := []calls.Juror{ // RoundID taken from the round
		{Email: "zed@example.com", InvitedAt: tSharing},
		{Email: "amy@example.com", InvitedAt: tSharing},
		{Email: "early@example.com", InvitedAt: tSharing.Add(-time.Hour)},
	}
	var cands []calls.Candidate
	for i, en := range e {
		cands = append(cands, calls.Candidate{EntryID: en.ID, Position: 3 - i})
	}
	n, err := s.CreateRound(ctx, r1, jurors, cands)
	if err != nil || n != 1 {
		t.Fatalf("CreateRound = %d, %v; want 1", n, err)
	}
	r1.Number = 1
	if got, err := s.RoundByID(ctx, r1.ID); err != nil || rowDiff(got, r1) != "" {
		t.Errorf("RoundByID: %s (%v)", rowDiff(got, r1), err)
	}
	if _, err := s.RoundByID(ctx, "nope"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("RoundByID(missing) = %v; want ErrNotFound", err)
	}
	gotJ, err := s.JurorsOf(ctx, r1.ID)
	if err != nil || len(gotJ) != 3 {
		t.Fatalf("JurorsOf = %+v, %v", gotJ, err)
	}
	for i, want := range []calls.Juror{jurors[2], jurors[1], jurors[0]} {
		want.RoundID = r1.ID
		if d := rowDiff(gotJ[i], want); d != "" {
			t.Errorf("JurorsOf[%d]: %s", i, d)
		}
	}
	gotC, err := s.Candidates(ctx, r1.ID)
	wantC := []calls.Candidate{
		{RoundID: r1.ID, EntryID: e[2].ID, Position: 1}, {RoundID: r1.ID, EntryID: e[1].ID, Position: 2},
		{RoundID: r1.ID, EntryID: e[0].ID, Position: 3},
	}
	if err != nil || !reflect.DeepEqual(gotC, wantC) {
		t.Errorf("Candidates = %+v, %v; want %+v", gotC, err, wantC)
	}

	// A second round, on images, from the first.
	r2 := calls.Round{ID: sqlstore.NewID(), CallID: f.call.ID, Name: "Final", Unit: calls.UnitImage, Mode: calls.ModeYesNo,
		FromRoundID: r1.ID, State: calls.RoundOpen, CreatedBy: "mgr-id", CreatedAt: tSharing.Add(time.Hour)}
	img0, img1 := f.images[0][0].ID, f.images[1][0].ID
	n, err = s.CreateRound(ctx, r2, []calls.Juror{{Email: "amy@example.com", InvitedAt: t0}},
		[]calls.Candidate{{EntryID: e[0].ID, ImageID: img0, Position: 1, Shortlisted: true}, {EntryID: e[1].ID, ImageID: img1, Position: 2}})
	if err != nil || n != 2 {
		t.Fatalf("CreateRound(second) = %d, %v; want 2", n, err)
	}
	r2.Number = 2
	if got, err := s.Candidates(ctx, r2.ID); err != nil || len(got) != 2 || got[0].ImageID != img0 || !got[0].Shortlisted || got[1].Shortlisted {
		t.Errorf("Candidates(r2) = %+v, %v", got, err)
	}
	if _, err := s.CreateRound(ctx, calls.Round{ID: sqlstore.NewID(), CallID: "nope", Name: "x", Unit: calls.UnitEntry,
		Mode: calls.ModeNone, State: calls.RoundOpen}, nil, nil); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("CreateRound(unknown call) = %v; want ErrNotFound", err)
	}
	bad := r2
	bad.ID, bad.Mode = sqlstore.NewID(), "stars_max"
	if _, err := s.CreateRound(ctx, bad, nil, nil); err == nil {
		t.Error("CreateRound(mode stars_max) = nil; want a refusal")
	}
	if got, err := s.RoundsOfCall(ctx, f.call.ID); err != nil || len(got) != 2 || rowDiff(got[0], r1) != "" || rowDiff(got[1], r2) != "" {
		t.Errorf("RoundsOfCall = %+v, %v; want r1, r2", got, err)
	}
	roundIDs := func(rs []calls.Round) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		email string
		want  []string
	}{
		{"amy@example.com", []string{r2.ID, r1.ID}}, {"zed@example.com", []string{r1.ID}}, {"nobody@example.com", []string{}},
	} {
		if got, err := s.RoundsOfJuror(ctx, tc.email); err != nil || !slices.Equal(roundIDs(got), tc.want) {
			t.Errorf("RoundsOfJuror(%s) = %v, %v; want %v", tc.email, roundIDs(got), err, tc.want)
		}
	}
	for _, tc := range []struct {
		round, email string
		want         bool
	}{{r1.ID, "zed@example.com", true}, {r2.ID, "zed@example.com", false}, {"nope", "amy@example.com", false}} {
		if ok, err := s.IsJuror(ctx, tc.round, tc.email); err != nil || ok != tc.want {
			t.Errorf("IsJuror(%s) = %v, %v; want %v", tc.email, ok, err, tc.want)
		}
	}

	// Concurrent rounds get distinct numbers.
	var wg sync.WaitGroup
	numbers := make([]int, 4)
	for i := range numbers {
		wg.Go(func() {
			var err error
			numbers[i], err = s.CreateRound(ctx, calls.Round{ID: sqlstore.NewID(), CallID: f.call.ID, Name: "x", Unit: calls.UnitEntry,
				Mode: calls.ModeNone, State: calls.RoundOpen, CreatedAt: t0}, nil, nil)
			if err != nil {
				t.Errorf("concurrent CreateRound = %v", err)
			}
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	if !slices.Equal(numbers, []int{3, 4, 5, 6}) {
		t.Errorf("numbers of 4 concurrent rounds = %v; want 3..6", numbers)
	}

	// Shortlists.
	shortlisted := func(roundID string) []string {
		t.Helper()
		cs, err := s.Candidates(ctx, roundID)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			if c.Shortlisted {
				out = append(out, c.EntryID+"/"+c.ImageID)
			}
		}
		slices.Sort(out)
		return out
	}
	sorted := func(keys ...string) []string { slices.Sort(keys); return keys }
	if err := s.SetShortlist(ctx, r1.ID, []string{e[0].ID + "/", e[2].ID + "/"}); err != nil {
		t.Fatal(err)
	}
	if got, want := shortlisted(r1.ID), sorted(e[0].ID+"/", e[2].ID+"/"); !slices.Equal(got, want) {
		t.Errorf("shortlist = %v; want %v", got, want)
	}
	if err := s.SetShortlist(ctx, r1.ID, []string{e[1].ID + "/"}); err != nil {
		t.Fatal(err)
	}
	if got := shortlisted(r1.ID); !slices.Equal(got, []string{e[1].ID + "/"}) {
		t.Errorf("shortlist after replacing = %v; want only e1", got)
	}
	for _, keys := range [][]string{{e[0].ID + "/", "nope/"}, {e[0].ID}, {e[0].ID + "/" + img0}} {
		if err := s.SetShortlist(ctx, r1.ID, keys); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("SetShortlist(%v) = %v; want ErrNotFound", keys, err)
		}
	}
	if got := shortlisted(r1.ID); !slices.Equal(got, []string{e[1].ID + "/"}) {
		t.Errorf("a refused SetShortlist changed the shortlist to %v", got)
	}
	if err := s.SetShortlist(ctx, r2.ID, []string{e[1].ID + "/" + img1}); err != nil {
		t.Fatal(err)
	}
	if got := shortlisted(r2.ID); !slices.Equal(got, []string{e[1].ID + "/" + img1}) {
		t.Errorf("image shortlist = %v; want e1's image", got)
	}
	if err := s.SetShortlist(ctx, r2.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := shortlisted(r2.ID); len(got) != 0 {
		t.Errorf("shortlist after SetShortlist(none) = %v", got)
	}
	if err := s.SetShortlist(ctx, "nope", nil); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("SetShortlist(unknown round) = %v; want ErrNotFound", err)
	}

	// Votes.
	v := calls.Vote{RoundID: r1.ID, JurorID: "juror-b", EntryID: e[0].ID, Score: 4, UpdatedAt: tSharing}
	for _, vote := range []calls.Vote{v,
		{RoundID: r1.ID, JurorID: "juror-a", EntryID: e[1].ID, Score: 2, UpdatedAt: t0},
		{RoundID: r1.ID, JurorID: "juror-a", EntryID: e[0].ID, Score: 5, UpdatedAt: t0},
		{RoundID: r2.ID, JurorID: "juror-a", EntryID: e[0].ID, ImageID: img0, Score: 1, UpdatedAt: t0},
	} {
		if err := s.PutVote(ctx, vote); err != nil {
			t.Fatalf("PutVote = %v", err)
		}
	}
	v.Score, v.UpdatedAt = 1, tSharing.Add(time.Hour)
	if err := s.PutVote(ctx, v); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []calls.Vote{
		{RoundID: r2.ID, JurorID: "juror-a", EntryID: e[2].ID, ImageID: f.images[2][0].ID, Score: 1}, // not a candidate of r2
		{RoundID: r1.ID, JurorID: "juror-a", EntryID: e[0].ID, ImageID: img0, Score: 1},              // r1 scores entries
		{RoundID: "nope", JurorID: "juror-a", EntryID: e[0].ID, Score: 1},
	} {
		if err := s.PutVote(ctx, bad); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("PutVote(%+v) = %v; want ErrNotFound", bad, err)
		}
	}
	if err := s.PutVote(ctx, calls.Vote{RoundID: r1.ID, JurorID: "juror-a", EntryID: e[2].ID, Score: 6}); err == nil {
		t.Error("PutVote(score 6) = nil; want a refusal")
	}
	votes, err := s.Votes(ctx, r1.ID, "")
	if err != nil || len(votes) != 3 {
		t.Fatalf("Votes(r1) = %+v, %v; want 3", votes, err)
	}
	if votes[2].JurorID != "juror-b" || rowDiff(votes[2], v) != "" {
		t.Errorf("Votes(r1)[2] = %+v; want the replaced vote %+v", votes[2], v)
	}
	if got, err := s.Votes(ctx, r1.ID, "juror-b"); err != nil || len(got) != 1 || rowDiff(got[0], v) != "" {
		t.Errorf("Votes(r1, juror-b) = %+v, %v; want only %+v", got, err, v)
	}
	if got, err := s.Votes(ctx, r2.ID, "juror-b"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Votes(r2, juror-b) = %+v, %v; want empty", got, err)
	}

	// Closing keeps the first time.
	closeAt := tSharing.Add(48 * time.Hour)
	if err := s.CloseRound(ctx, r1.ID, closeAt); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseRound(ctx, r1.ID, closeAt.Add(time.Hour)); err != nil {
		t.Errorf("CloseRound twice = %v", err)
	}
	if got, _ := s.RoundByID(ctx, r1.ID); got.State != calls.RoundClosed || !got.ClosedAt.Equal(closeAt.Truncate(time.Microsecond)) {
		t.Errorf("after CloseRound = %+v; want closed at %v", got, closeAt)
	}
	if err := s.CloseRound(ctx, "nope", closeAt); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("CloseRound(missing) = %v; want ErrNotFound", err)
	}

	// Recusals.
	rec := calls.Recusal{CallID: f.call.ID, EntryID: e[1].ID, UserID: "juror-a", At: tSharing}
	for _, r := range []calls.Recusal{rec, {CallID: f.call.ID, EntryID: e[0].ID, UserID: "juror-b", At: tSharing.Add(time.Hour)}} {
		if err := s.PutRecusal(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	again := rec
	again.At = tSharing.Add(2 * time.Hour)
	if err := s.PutRecusal(ctx, again); err != nil {
		t.Errorf("PutRecusal twice = %v", err)
	}
	recs, err := s.Recusals(ctx, f.call.ID)
	if err != nil || len(recs) != 2 || rowDiff(recs[0], rec) != "" || recs[1].UserID != "juror-b" {
		t.Errorf("Recusals = %+v, %v; want juror-a's (first time kept), then juror-b's", recs, err)
	}
	if got, err := s.Recusals(ctx, "nope"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Recusals(unknown) = %+v, %v; want empty", got, err)
	}
}

// testOriginalsRequests: requests round-trip and list per call and per
// entrant; a request is decided once, even by concurrent answers; an
// approved release can be withdrawn.
func testOriginalsRequests(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	f := mkRoundFixture(t, s)
	e := f.entries
	mk := func(i int, at time.Time) calls.OriginalsRequest {
		r := calls.OriginalsRequest{ID: sqlstore.NewID(), CallID: f.call.ID, EntryID: e[i].ID, ImageID: f.images[i][0].ID,
			OwnerID: e[i].UserID, RequestedBy: "mgr-id", Message: "For the catalogue <print>", State: calls.RequestPending,
			RequestedAt: at}
		if err := s.CreateOriginalsRequest(ctx, r); err != nil {
			t.Fatalf("CreateOriginalsRequest = %v", err)
		}
		return r
	}
	r0, r1, r2 := mk(0, tSharing), mk(1, tSharing.Add(time.Hour)), mk(2, tSharing.Add(2*time.Hour))
	if got, err := s.OriginalsRequestByID(ctx, r0.ID); err != nil || rowDiff(got, r0) != "" {
		t.Errorf("OriginalsRequestByID: %s (%v)", rowDiff(got, r0), err)
	}
	if _, err := s.OriginalsRequestByID(ctx, "nope"); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("OriginalsRequestByID(missing) = %v; want ErrNotFound", err)
	}
	reqIDs := func(rs []calls.OriginalsRequest) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got, err := s.OriginalsRequestsOfCall(ctx, f.call.ID); err != nil || !slices.Equal(reqIDs(got), []string{r2.ID, r1.ID, r0.ID}) {
		t.Errorf("OriginalsRequestsOfCall = %v, %v; want newest first", reqIDs(got), err)
	}
	if got, err := s.OriginalsRequestsOfUser(ctx, e[0].UserID); err != nil || !slices.Equal(reqIDs(got), []string{r2.ID, r1.ID, r0.ID}) {
		t.Errorf("OriginalsRequestsOfUser(entrant) = %v, %v; want newest first", reqIDs(got), err)
	}
	if got, err := s.OriginalsRequestsOfUser(ctx, "mgr-id"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("OriginalsRequestsOfUser(requester) = %v, %v; want empty", reqIDs(got), err)
	}

	at := tSharing.Add(24 * time.Hour)
	if err := s.DecideOriginalsRequest(ctx, r0.ID, calls.RequestApproved, "consent-0", at); err != nil {
		t.Fatal(err)
	}
	want := r0
	want.State, want.ConsentID, want.DecidedAt = calls.RequestApproved, "consent-0", at
	if got, err := s.OriginalsRequestByID(ctx, r0.ID); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after approval: %s (%v)", rowDiff(got, want), err)
	}
	if err := s.DecideOriginalsRequest(ctx, r0.ID, calls.RequestDeclined, "", at.Add(time.Hour)); !errors.Is(err, calls.ErrAlreadyDecided) {
		t.Errorf("DecideOriginalsRequest twice = %v; want ErrAlreadyDecided", err)
	}
	if got, _ := s.OriginalsRequestByID(ctx, r0.ID); rowDiff(got, want) != "" {
		t.Errorf("a second decision changed the request: %s", rowDiff(got, want))
	}
	if err := s.DecideOriginalsRequest(ctx, "nope", calls.RequestApproved, "c", at); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("DecideOriginalsRequest(missing) = %v; want ErrNotFound", err)
	}
	for _, state := range []string{calls.RequestPending, calls.RequestWithdrawn, "maybe"} {
		if err := s.DecideOriginalsRequest(ctx, r1.ID, state, "", at); err == nil {
			t.Errorf("DecideOriginalsRequest(state %q) = nil; want a refusal", state)
		}
	}

	// Concurrent answers: one wins.
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			state := calls.RequestApproved
			if i%2 == 1 {
				state = calls.RequestDeclined
			}
			errs[i] = s.DecideOriginalsRequest(ctx, r1.ID, state, fmt.Sprint("consent-", i), at)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, calls.ErrAlreadyDecided):
			t.Errorf("concurrent DecideOriginalsRequest #%d = %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("8 concurrent decisions: %d won; want 1", won)
	}
	if err := s.DecideOriginalsRequest(ctx, r2.ID, calls.RequestDeclined, "", at); err != nil {
		t.Fatal(err)
	}

	// Withdrawal of an approved release.
	wAt := at.Add(48 * time.Hour)
	if err := s.WithdrawOriginalsRelease(ctx, "consent-0", wAt); err != nil {
		t.Fatal(err)
	}
	want.State, want.DecidedAt = calls.RequestWithdrawn, wAt
	if got, err := s.OriginalsRequestByID(ctx, r0.ID); err != nil || rowDiff(got, want) != "" {
		t.Errorf("after WithdrawOriginalsRelease: %s (%v)", rowDiff(got, want), err)
	}
	if err := s.WithdrawOriginalsRelease(ctx, "consent-0", wAt.Add(time.Hour)); err != nil {
		t.Errorf("WithdrawOriginalsRelease twice = %v; want nil", err)
	}
	if got, _ := s.OriginalsRequestByID(ctx, r0.ID); !got.DecidedAt.Equal(wAt.Truncate(time.Microsecond)) {
		t.Errorf("a second withdrawal moved DecidedAt to %v", got.DecidedAt)
	}
	for _, id := range []string{"consent-unknown", ""} {
		if err := s.WithdrawOriginalsRelease(ctx, id, wAt); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("WithdrawOriginalsRelease(%q) = %v; want ErrNotFound", id, err)
		}
	}
	if got, _ := s.OriginalsRequestByID(ctx, r2.ID); got.State != calls.RequestDeclined {
		t.Errorf("a declined request became %q", got.State)
	}
}

// testCallsCascades: purging an asset takes it out of every entry; the
// consent ledger outlives a deleted draft; a deleted draft takes its
// images with it but nothing of other entries. (Deleting an account is
// tested in package sqlstore, which can delete users.)
func testCallsCascades(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	x := mkAssets(t, s, a.ID, 1, 2)
	o, _ := mkOrg(t, s, "own@example.com", t0)
	c := mkOpenCall(t, s, o.ID, t0)
	e1, _ := mkEntry(t, s, c.ID, a.ID, calls.EntryDraft, t0, x[0], x[1])
	e2, _ := mkEntry(t, s, c.ID, a.ID, calls.EntrySubmitted, t0, x[0])

	if err := s.DeleteAsset(ctx, x[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.EntryImages(ctx, e1.ID); len(got) != 1 || got[0].AssetID != x[1] {
		t.Errorf("e1's images after purging x0 = %+v; want x1 only", got)
	}
	if got, _ := s.EntryImages(ctx, e2.ID); len(got) != 0 {
		t.Errorf("e2's images after purging x0 = %+v; want none", got)
	}
	if _, err := s.EntryByID(ctx, e2.ID); err != nil {
		t.Errorf("the entry went with its image: %v", err)
	}

	consent := calls.Consent{ID: sqlstore.NewID(), UserID: a.ID, Kind: calls.ConsentCallTerms, CallID: c.ID, EntryID: e1.ID,
		TermsVersion: 1, Scope: []string{calls.RightJudging}, Method: calls.MethodWebForm, At: t0}
	if err := s.CreateConsent(ctx, consent); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEntry(ctx, e1.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ConsentByID(ctx, consent.ID); err != nil || rowDiff(got, consent) != "" {
		t.Errorf("consent after DeleteEntry = %+v, %v; want it kept as it was", got, err)
	}
	// The deleted draft's images are gone: re-creating it under its id
	// finds none.
	if _, err := s.CreateEntry(ctx, calls.Entry{ID: e1.ID, CallID: c.ID, UserID: a.ID, State: calls.EntryDraft}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.EntryImages(ctx, e1.ID); len(got) != 0 {
		t.Errorf("a re-created entry has the deleted one's images: %+v", got)
	}
}
