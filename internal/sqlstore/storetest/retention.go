package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/sqlstore"
)

// testRetention: the retention deletions take exactly what is past its
// cutoff (strictly before it) and nothing fresh; consents outlive the
// drafts they were given with.
func testRetention(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	cut := t0.Add(10 * 24 * time.Hour)

	// E-mailed tokens: one expired before the cutoff, one at it.
	ann, bob := mkUser(t, s, "ann@example.com"), mkUser(t, s, "bob@example.com")
	old := mkEmailToken(ann, auth.PurposePasswordReset, 1, cut.Add(-time.Hour), 30*time.Minute)
	edge := mkEmailToken(bob, auth.PurposePasswordReset, 2, cut.Add(-time.Hour), time.Hour)
	for _, tok := range []auth.EmailToken{old, edge} {
		if err := s.CreateEmailToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteEmailTokensExpiredBefore(ctx, cut); n != 1 || err != nil {
		t.Errorf("DeleteEmailTokensExpiredBefore = %d, %v; want 1", n, err)
	}
	if _, err := s.LatestEmailToken(ctx, ann.ID, auth.PurposePasswordReset); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("expired token still there: %v", err)
	}
	if got, err := s.LatestEmailToken(ctx, bob.ID, auth.PurposePasswordReset); err != nil || got.ID != edge.ID {
		t.Errorf("token expiring at the cutoff = %+v, %v; want kept", got, err)
	}

	// Invitations: expired before the cutoff go; a live one stays usable.
	live, gone := bytes.Repeat([]byte{9}, 32), bytes.Repeat([]byte{10}, 32)
	for _, inv := range []auth.Invite{
		{ID: sqlstore.NewID(), Email: "cy@example.com", Hash: gone, CreatedBy: ann.ID, CreatedAt: t0, ExpiresAt: cut.Add(-time.Microsecond)},
		{ID: sqlstore.NewID(), Email: "dee@example.com", Hash: live, CreatedBy: ann.ID, CreatedAt: t0, ExpiresAt: cut.Add(time.Hour)},
	} {
		if err := s.CreateInvite(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteInvitesExpiredBefore(ctx, cut); n != 1 || err != nil {
		t.Errorf("DeleteInvitesExpiredBefore = %d, %v; want 1", n, err)
	}
	if _, err := s.CreateUser(ctx, auth.NewUser{InviteHash: live, User: auth.User{ID: sqlstore.NewID(), Email: "dee@example.com", Name: "Dee", PasswordHash: "h", CreatedAt: cut}}); err != nil {
		t.Errorf("live invitation after the deletion = %v", err)
	}

	// Drafts: only those of calls whose deadline is before the cutoff.
	o, _ := mkOrg(t, s, "own@example.com", t0)
	withDeadline := func(deadline time.Time) calls.Call {
		c := mkOpenCall(t, s, o.ID, t0)
		c.Deadline = deadline
		if err := s.UpdateCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	closed, atCut := withDeadline(cut.Add(-time.Microsecond)), withDeadline(cut)
	assets := mkAssets(t, s, ann.ID, 0x40, 1)
	oldDraft, _ := mkEntry(t, s, closed.ID, ann.ID, calls.EntryDraft, t0, assets...)
	submitted, _ := mkEntry(t, s, closed.ID, ann.ID, calls.EntrySubmitted, t0)
	freshDraft, _ := mkEntry(t, s, atCut.ID, ann.ID, calls.EntryDraft, t0)
	consent := calls.Consent{ID: sqlstore.NewID(), UserID: ann.ID, Kind: calls.ConsentCallTerms, CallID: closed.ID, EntryID: oldDraft.ID,
		TermsVersion: 1, Scope: []string{calls.RightJudging}, Method: calls.MethodWebForm, At: t0}
	if err := s.CreateConsent(ctx, consent); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteDraftsOfCallsClosedBefore(ctx, cut); n != 1 || err != nil {
		t.Errorf("DeleteDraftsOfCallsClosedBefore = %d, %v; want 1", n, err)
	}
	if _, err := s.EntryByID(ctx, oldDraft.ID); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("draft of a closed call = %v; want deleted", err)
	}
	for _, e := range []calls.Entry{submitted, freshDraft} {
		if _, err := s.EntryByID(ctx, e.ID); err != nil {
			t.Errorf("entry %s (%s) = %v; want kept", e.ID, e.State, err)
		}
	}
	if _, err := s.ConsentByID(ctx, consent.ID); err != nil {
		t.Errorf("consent of the deleted draft = %v; want kept", err)
	}
	if n, err := s.DeleteDraftsOfCallsClosedBefore(ctx, cut); n != 0 || err != nil {
		t.Errorf("second DeleteDraftsOfCallsClosedBefore = %d, %v; want 0", n, err)
	}
}
