package sqlstore

import (
	"errors"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/calls"
	"safelight/internal/library"
	"safelight/internal/media"
)

// TestCallsAccountDeletion: deleting an account (which the store has no
// method for yet, hence this test inside the package) takes the account's
// entries with everything about them (images, candidacies, votes,
// recusals, originals requests) and its consent records, and leaves the
// organization, the call, its rounds and other entrants' entries alone.
func TestCallsAccountDeletion(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, s := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			must := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s = %v", what, err)
				}
			}
			user := func(email string) string {
				u, err := s.CreateUser(ctx, auth.NewUser{User: auth.User{ID: newID(), Email: email, Name: "n", PasswordHash: "h"}})
				must("CreateUser", err)
				return u.ID
			}
			gone, kept := user("gone@example.com"), user("kept@example.com")
			asset := func(owner string, mac byte) string {
				a := library.Asset{ID: newID(), OwnerID: owner, Status: library.StatusReady, Format: media.FormatJPEG,
					ContentMAC: []byte{mac}, SealedPrivate: []byte{0}, OriginalRef: blob.Ref("o/" + owner),
					SortAt: at, CreatedAt: at, UpdatedAt: at}
				must("CreateAsset", s.CreateAsset(ctx, a))
				return a.ID
			}
			org := calls.Org{ID: newID(), Name: "Org", CreatedBy: gone, CreatedAt: at}
			must("CreateOrg", s.CreateOrg(ctx, org, calls.OrgMember{ID: newID(), Email: "gone@example.com", Role: calls.RoleOwner, CreatedAt: at}))
			c := calls.Call{ID: newID(), OrgID: org.ID, State: calls.StateOpen, Visibility: calls.Public,
				Requirements: calls.Requirements{Orientation: calls.AnyOrientation}, TermsVersion: 1, CreatedBy: gone, CreatedAt: at}
			must("CreateCall", s.CreateCall(ctx, c, calls.Terms{Version: 1, CreatedAt: at}))

			entry := func(owner string, mac byte) (calls.Entry, calls.EntryImage) {
				e := calls.Entry{ID: newID(), CallID: c.ID, UserID: owner, State: calls.EntrySubmitted, CreatedAt: at}
				img := calls.EntryImage{ID: newID(), AssetID: asset(owner, mac), Position: 1}
				_, err := s.CreateEntry(ctx, e, []calls.EntryImage{img})
				must("CreateEntry", err)
				must("CreateConsent", s.CreateConsent(ctx, calls.Consent{ID: newID(), UserID: owner, Kind: calls.ConsentCallTerms,
					CallID: c.ID, EntryID: e.ID, Method: calls.MethodAPI, At: at}))
				return e, img
			}
			eGone, imgGone := entry(gone, 1)
			eKept, _ := entry(kept, 2)
			r := calls.Round{ID: newID(), CallID: c.ID, Name: "R", Unit: calls.UnitEntry, Mode: calls.ModeStarsAvg,
				State: calls.RoundOpen, CreatedAt: at}
			_, err := s.CreateRound(ctx, r, []calls.Juror{{Email: "gone@example.com", InvitedAt: at}},
				[]calls.Candidate{{EntryID: eGone.ID, Position: 1}, {EntryID: eKept.ID, Position: 2}})
			must("CreateRound", err)
			for _, e := range []calls.Entry{eGone, eKept} {
				must("PutVote", s.PutVote(ctx, calls.Vote{RoundID: r.ID, JurorID: gone, EntryID: e.ID, Score: 3, UpdatedAt: at}))
				must("PutRecusal", s.PutRecusal(ctx, calls.Recusal{CallID: c.ID, EntryID: e.ID, UserID: "juror", At: at}))
				must("CreateOriginalsRequest", s.CreateOriginalsRequest(ctx, calls.OriginalsRequest{ID: newID(), CallID: c.ID,
					EntryID: e.ID, ImageID: imgGone.ID, OwnerID: e.UserID, State: calls.RequestPending, RequestedAt: at}))
			}

			if _, err := s.write.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, gone); err != nil {
				t.Fatalf("delete user: %v", err)
			}

			if _, err := s.EntryByID(ctx, eGone.ID); !errors.Is(err, calls.ErrNotFound) {
				t.Errorf("EntryByID(deleted account's entry) = %v; want ErrNotFound", err)
			}
			var rows int
			if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM entry_images WHERE entry_id = $1`, eGone.ID).Scan(&rows); err != nil || rows != 0 {
				t.Errorf("images of the deleted account's entry: %d, %v; want 0", rows, err)
			}
			if cs, err := s.ConsentsOfUser(ctx, gone); err != nil || len(cs) != 0 {
				t.Errorf("ConsentsOfUser(deleted account) = %+v, %v; want none", cs, err)
			}
			if cs, err := s.ConsentsOfUser(ctx, kept); err != nil || len(cs) != 1 {
				t.Errorf("ConsentsOfUser(other entrant) = %+v, %v; want 1", cs, err)
			}
			if es, err := s.EntriesOfCall(ctx, c.ID, nil); err != nil || len(es) != 1 || es[0].ID != eKept.ID {
				t.Errorf("EntriesOfCall = %+v, %v; want the other entrant's only", es, err)
			}
			if cs, err := s.Candidates(ctx, r.ID); err != nil || len(cs) != 1 || cs[0].EntryID != eKept.ID {
				t.Errorf("Candidates = %+v, %v; want the other entrant's only", cs, err)
			}
			// Votes by the deleted account stay (juror_id has no foreign
			// key); those about its entry go.
			if vs, err := s.Votes(ctx, r.ID, ""); err != nil || len(vs) != 1 || vs[0].EntryID != eKept.ID {
				t.Errorf("Votes = %+v, %v; want the one on the other entrant's entry", vs, err)
			}
			if rs, err := s.Recusals(ctx, c.ID); err != nil || len(rs) != 1 || rs[0].EntryID != eKept.ID {
				t.Errorf("Recusals = %+v, %v; want the one on the other entrant's entry", rs, err)
			}
			if rs, err := s.OriginalsRequestsOfCall(ctx, c.ID); err != nil || len(rs) != 1 || rs[0].EntryID != eKept.ID {
				t.Errorf("OriginalsRequestsOfCall = %+v, %v; want the other entrant's", rs, err)
			}
			if _, err := s.OrgByID(ctx, org.ID); err != nil {
				t.Errorf("OrgByID after its creator's account went = %v", err)
			}
			if _, err := s.CallByID(ctx, c.ID); err != nil {
				t.Errorf("CallByID after its creator's account went = %v", err)
			}
			if ok, err := s.IsJuror(ctx, r.ID, "gone@example.com"); err != nil || !ok {
				t.Errorf("IsJuror(deleted account's address) = %v, %v; the invitation is by address and stays", ok, err)
			}
		})
	}
}
