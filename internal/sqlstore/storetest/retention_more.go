package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/library"
	"safelight/internal/sharing"
	"safelight/internal/sqlstore"
)

const endedName = "guest (link ended)"

// testRetentionEndedLinks: DeleteLinksEndedBefore deletes the links
// revoked or expired strictly before the cutoff with their unlocks and
// guests, keeps what the guests wrote under their ids, renames them in the
// owner's access log and "done" notifications, and leaves alone live
// links, links that ended at or after the cutoff, the guests of those,
// other people's notifications and links of an owner who restricted
// processing.
func testRetentionEndedLinks(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	cut := t0.Add(60 * 24 * time.Hour)
	ann := mkUser(t, s, "ann@example.com")
	p := mkProject(t, s, ann.ID, sqlstore.NewID(), t0)
	asset := mkAssets(t, s, ann.ID, 0x70, 1)[0]
	addAssets(t, s, p.ID, asset)
	hash := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	link := func(projectID string, b byte, expires, revoked time.Time) sharing.Link {
		l := sharing.Link{ID: sqlstore.NewID(), ProjectID: projectID, TokenHash: hash(b), Download: sharing.DownloadNone,
			ExpiresAt: expires, CreatedBy: ann.ID, CreatedAt: t0}
		if err := s.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		if !revoked.IsZero() {
			if err := s.RevokeLink(ctx, projectID, l.ID, revoked); err != nil {
				t.Fatal(err)
			}
		}
		return l
	}
	var zero time.Time
	expired := link(p.ID, 1, cut.Add(-time.Microsecond), zero)
	revoked := link(p.ID, 2, cut.Add(90*24*time.Hour), cut.Add(-time.Hour))
	atCut := link(p.ID, 3, cut, zero)
	revokedLate := link(p.ID, 4, cut.Add(-time.Hour+90*24*time.Hour), cut)
	live := link(p.ID, 5, cut.Add(24*time.Hour), zero)

	guest := func(l sharing.Link, b byte, name string) sharing.Guest {
		g := sharing.Guest{ID: sqlstore.NewID(), LinkID: l.ID, TokenHash: hash(0x80 + b), Name: name, Email: "g" + string(rune('a'+b)) + "@client.example", CreatedAt: t0}
		if err := s.CreateGuest(ctx, g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	cleo, carl := guest(expired, 1, "Cleo"), guest(expired, 2, "Cleo B")
	rex := guest(revoked, 3, "Rex")
	kept := []sharing.Guest{guest(atCut, 4, "Ada"), guest(revokedLate, 5, "Lou"), guest(live, 6, "Liv")}
	if err := s.CreateUnlock(ctx, sharing.Unlock{TokenHash: hash(0x90), LinkID: expired.ID, PasswordVersion: 0, ExpiresAt: cut.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUnlock(ctx, sharing.Unlock{TokenHash: hash(0x91), LinkID: live.ID, PasswordVersion: 0, ExpiresAt: cut.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// What the guests wrote, and what was copied of their names.
	for i, g := range []sharing.Guest{cleo, carl, kept[2]} {
		r := sharing.Reviewer{Kind: "guest", ID: g.ID}
		if err := s.CreateComment(ctx, sharing.Comment{ID: sqlstore.NewID(), ProjectID: p.ID, AssetID: asset, Author: r, Body: "comment of " + g.Name, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutMark(ctx, sharing.Mark{ProjectID: p.ID, AssetID: asset, Reviewer: r, Rating: 4, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []sharing.Guest{cleo, kept[2]} { // Carl never pressed "done"
		if err := s.PutDone(ctx, sharing.Done{ProjectID: p.ID, Reviewer: sharing.Reviewer{Kind: "guest", ID: g.ID}, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	notices := map[string]string{}
	notify := func(text string) string {
		n := sharing.Notification{ID: sqlstore.NewID(), UserID: ann.ID, Kind: "review_done", ProjectID: p.ID, Text: text, CreatedAt: t0.Add(time.Hour)}
		if err := s.CreateNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		notices[n.ID] = text
		return n.ID
	}
	cleoDone := notify("Cleo finished reviewing “Project”.")
	carlLike := notify("Cleo B finished reviewing “Project”.") // Carl's name, though he never pressed done: a member's label
	livDone := notify("Liv finished reviewing “Project”.")
	for i, e := range []library.AccessEvent{
		{ID: "x1", ActorLabel: "Cleo", Via: "link:" + expired.ID},
		{ID: "x2", ActorLabel: "guest", Via: "link:" + expired.ID},
		{ID: "x3", ActorLabel: "Liv", Via: "link:" + live.ID},
	} {
		e.AssetID, e.OwnerID, e.At, e.Action = asset, ann.ID, t0.Add(time.Duration(i)*time.Second), "preview"
		if err := s.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	// A restricted owner's ended link waits.
	rita := mkUser(t, s, "rita@example.com")
	q := mkProject(t, s, rita.ID, sqlstore.NewID(), t0)
	frozen := sharing.Link{ID: sqlstore.NewID(), ProjectID: q.ID, TokenHash: hash(6), Download: sharing.DownloadNone, ExpiresAt: t0.Add(time.Hour), CreatedBy: rita.ID, CreatedAt: t0}
	if err := s.CreateLink(ctx, frozen); err != nil {
		t.Fatal(err)
	}
	frozenGuest := guest(frozen, 7, "Fay")
	if err := s.SetRestricted(ctx, rita.ID, t0, t0); err != nil {
		t.Fatal(err)
	}

	links, guests, err := s.DeleteLinksEndedBefore(ctx, cut, endedName)
	if links != 2 || guests != 3 || err != nil {
		t.Fatalf("DeleteLinksEndedBefore = %d links, %d guests, %v; want 2, 3", links, guests, err)
	}
	for _, l := range []sharing.Link{expired, revoked} {
		if _, err := s.LinkByHash(ctx, l.TokenHash); !errors.Is(err, sharing.ErrNotFound) {
			t.Errorf("ended link %x = %v; want deleted", l.TokenHash[0], err)
		}
		if gs, err := s.GuestsOf(ctx, l.ID); err != nil || len(gs) != 0 {
			t.Errorf("guests of the ended link = %v, %v; want none", gs, err)
		}
	}
	for _, g := range []sharing.Guest{cleo, carl, rex} {
		if _, err := s.GuestByHash(ctx, g.TokenHash); !errors.Is(err, sharing.ErrNotFound) {
			t.Errorf("guest %s = %v; want deleted", g.Name, err)
		}
	}
	if _, err := s.UnlockByHash(ctx, hash(0x90)); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("unlock of the ended link = %v; want deleted", err)
	}
	if _, err := s.UnlockByHash(ctx, hash(0x91)); err != nil {
		t.Errorf("unlock of the live link = %v; want kept", err)
	}
	for _, l := range []sharing.Link{atCut, revokedLate, live, frozen} {
		if _, err := s.LinkByHash(ctx, l.TokenHash); err != nil {
			t.Errorf("link %x = %v; want kept", l.TokenHash[0], err)
		}
	}
	for _, g := range append(kept, frozenGuest) {
		if _, err := s.GuestByHash(ctx, g.TokenHash); err != nil {
			t.Errorf("guest %s = %v; want kept", g.Name, err)
		}
	}

	// What they wrote stays, under the same reviewer ids.
	cs, err := s.CommentsOf(ctx, p.ID, "")
	if err != nil || len(cs) != 3 || cs[0].Author.ID != cleo.ID || cs[0].Body != "comment of Cleo" || cs[1].Author.ID != carl.ID {
		t.Errorf("comments = %+v, %v; want all three, authors unchanged", cs, err)
	}
	if ms, err := s.MarksOf(ctx, p.ID); err != nil || len(ms) != 3 {
		t.Errorf("marks = %+v, %v; want all three", ms, err)
	}
	if ds, err := s.DonesOf(ctx, p.ID); err != nil || len(ds) != 2 {
		t.Errorf("dones = %+v, %v; want both", ds, err)
	}

	// The copies of the names.
	ns, err := s.NotificationsOf(ctx, ann.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{cleoDone: endedName + " finished reviewing “Project”.", carlLike: notices[carlLike], livDone: notices[livDone]}
	for _, n := range ns {
		if n.Text != want[n.ID] {
			t.Errorf("notification %q; want %q", n.Text, want[n.ID])
		}
	}
	log, err := s.AccessLog(ctx, asset, 10)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, e := range log {
		labels[e.ID] = e.ActorLabel
	}
	if labels["x1"] != endedName || labels["x2"] != endedName || labels["x3"] != "Liv" {
		t.Errorf("access log labels = %v; want the ended link's renamed, Liv's kept", labels)
	}

	// Nothing more to do.
	if links, guests, err := s.DeleteLinksEndedBefore(ctx, cut, endedName); links != 0 || guests != 0 || err != nil {
		t.Errorf("second DeleteLinksEndedBefore = %d, %d, %v; want 0, 0", links, guests, err)
	}
}

// testRetentionUnverifiedAccounts: UnverifiedUnusedAccounts lists exactly
// the accounts created strictly before the cutoff whose address was never
// verified and that left no trace of use, oldest first.
func testRetentionUnverifiedAccounts(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	cut := t0.Add(30 * 24 * time.Hour)
	user := func(email string, created time.Time, roles ...access.Role) auth.User {
		u, err := s.CreateUser(ctx, auth.NewUser{User: auth.User{ID: sqlstore.NewID(), Email: email, Name: "n", PasswordHash: "h",
			Roles: roles, CreatedAt: created, UpdatedAt: created}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	first := user("first@example.com", t0)
	second := user("second@example.com", t0.Add(time.Hour))
	user("at-cut@example.com", cut)
	verified := user("verified@example.com", t0)
	if err := s.SetEmailVerified(ctx, verified.ID, verified.Email, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	user("admin@example.com", t0, access.RoleAdmin)
	device := user("device@example.com", t0)
	if err := s.CreateDevice(ctx, auth.Device{ID: sqlstore.NewID(), UserID: device.ID, Hash: bytes.Repeat([]byte{0xD1}, 32), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	session := user("session@example.com", t0)
	if err := s.CreateSession(ctx, auth.Session{ID: sqlstore.NewID(), UserID: session.ID, TokenHash: bytes.Repeat([]byte{0xD2}, 32),
		CreatedAt: t0, LastSeenAt: t0, ExpiresAt: cut.Add(time.Hour), IP: "192.0.2.1", UserAgent: "UA"}); err != nil {
		t.Fatal(err)
	}
	owner := user("owner@example.com", t0)
	mkAssets(t, s, owner.ID, 0x60, 1)
	signedIn := user("signed-in@example.com", t0)
	if err := s.AppendAuditEvent(ctx, audit.Event{Type: audit.LoginSucceeded, ActorID: signedIn.ID, SubjectID: signedIn.ID, At: t0}); err != nil {
		t.Fatal(err)
	}
	restricted := user("restricted@example.com", t0)
	if err := s.SetRestricted(ctx, restricted.ID, t0, t0); err != nil {
		t.Fatal(err)
	}

	got, err := s.UnverifiedUnusedAccounts(ctx, cut)
	if want := []string{first.ID, second.ID}; err != nil || !slices.Equal(got, want) {
		t.Errorf("UnverifiedUnusedAccounts = %v, %v; want %v (first, second)", got, err, want)
	}
	if got, err := s.UnverifiedUnusedAccounts(ctx, t0); err != nil || len(got) != 0 {
		t.Errorf("UnverifiedUnusedAccounts(t0) = %v, %v; want none", got, err)
	}
}
