package calls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/library"
	"safelight/internal/media"
)

// RoundInput is a new round.
type RoundInput struct {
	Name        string
	Unit        Unit
	Mode        Mode
	Blind       *bool    // nil: blind
	Jurors      []string // e-mail addresses
	FromRoundID string   // "" for every submitted entry; else a closed round of the call, whose shortlist is judged
}

// CreateRound starts a round once the deadline has passed: over every
// submitted entry whose photographer accepted the current terms, or over
// the shortlist of a closed round. Invited addresses become jurors of
// the organization if they are not members yet.
func (s *Service) CreateRound(ctx context.Context, g CallGrant, in RoundInput) (Round, error) {
	if !g.Manages() {
		return Round{}, g.refusal()
	}
	now := s.now().UTC()
	if st := g.Call.Effective(now); st != StateClosed && st != StateJudging {
		return Round{}, ErrWrongState
	}
	name, ok := cleanText(in.Name, 200, false)
	if !ok || name == "" || (in.Unit != UnitEntry && in.Unit != UnitImage) {
		return Round{}, ErrInvalidRound
	}
	switch in.Mode {
	case ModeStarsAvg, ModeStarsSum, ModeYesNo, ModeNone:
	default:
		return Round{}, ErrInvalidRound
	}
	var jurors []Juror
	for _, addr := range in.Jurors {
		e, err := auth.NormalizeEmail(addr)
		if err != nil {
			return Round{}, err
		}
		if !slices.ContainsFunc(jurors, func(j Juror) bool { return j.Email == e }) {
			jurors = append(jurors, Juror{Email: e, InvitedAt: now})
		}
	}
	if len(jurors) == 0 || len(jurors) > 100 {
		return Round{}, ErrNoJurors
	}
	r := Round{ID: newID(), CallID: g.Call.ID, Name: name, Unit: in.Unit, Mode: in.Mode, Blind: in.Blind == nil || *in.Blind,
		FromRoundID: in.FromRoundID, State: RoundOpen, CreatedBy: g.User.ID, CreatedAt: now}
	cands, err := s.candidates(ctx, g.Call, r)
	if err != nil {
		return Round{}, err
	}
	for i := range jurors {
		jurors[i].RoundID = r.ID
	}
	if r.Number, err = s.store.CreateRound(ctx, r, jurors, cands); err != nil {
		return Round{}, fmt.Errorf("calls: create round: %w", err)
	}
	og := OrgGrant{Org: g.Org, Member: *g.Member, User: g.User}
	for _, j := range jurors {
		m := OrgMember{ID: newID(), OrgID: g.Org.ID, Email: j.Email, Role: RoleJuror, InvitedBy: g.User.ID, CreatedAt: now}
		if err := s.store.CreateOrgMember(ctx, m); err != nil && !errors.Is(err, ErrAlreadyMember) {
			return Round{}, err
		}
		s.mailJuror(ctx, og, g.Call, r, j.Email)
	}
	if g.Call.State == StateOpen {
		c := g.Call
		c.State, c.UpdatedAt = StateJudging, now
		if err := s.store.UpdateCall(ctx, c); err != nil {
			return Round{}, err
		}
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "round_created", map[string]string{"call_id": g.Call.ID, "round_id": r.ID})
	return r, nil
}

// candidates fixes what round r judges.
func (s *Service) candidates(ctx context.Context, c Call, r Round) ([]Candidate, error) {
	type pick struct{ entry, image string } // image "" = every image of the entry
	var picks []pick
	if r.FromRoundID == "" {
		es, err := s.store.EntriesOfCall(ctx, c.ID, []EntryState{EntrySubmitted})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.TermsVersion == c.TermsVersion {
				picks = append(picks, pick{entry: e.ID})
			}
		}
	} else {
		if !validID(r.FromRoundID) {
			return nil, ErrPreviousRound
		}
		prev, err := s.store.RoundByID(ctx, r.FromRoundID)
		if errors.Is(err, ErrNotFound) || err == nil && (prev.CallID != c.ID || prev.State != RoundClosed) {
			return nil, ErrPreviousRound
		} else if err != nil {
			return nil, err
		}
		pc, err := s.store.Candidates(ctx, prev.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range pc {
			if k.Shortlisted {
				picks = append(picks, pick{entry: k.EntryID, image: k.ImageID})
			}
		}
		if len(picks) == 0 {
			return nil, ErrPreviousRound
		}
	}
	var out []Candidate
	add := func(entry, image string) {
		if !slices.ContainsFunc(out, func(k Candidate) bool { return k.EntryID == entry && k.ImageID == image }) {
			out = append(out, Candidate{RoundID: r.ID, EntryID: entry, ImageID: image, Position: len(out) + 1})
		}
	}
	for _, p := range picks {
		e, err := s.store.EntryByID(ctx, p.entry)
		if err != nil || e.State != EntrySubmitted {
			continue // withdrawn or erased since
		}
		switch {
		case r.Unit == UnitEntry:
			add(p.entry, "")
		case p.image != "":
			add(p.entry, p.image)
		default:
			imgs, err := s.store.EntryImages(ctx, p.entry)
			if err != nil {
				return nil, err
			}
			for _, im := range imgs {
				add(p.entry, im.ID)
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrNoCandidates
	}
	return out, nil
}

// RoundGrant is a caller's access to a round: as an invited juror, as a
// manager of the call, or both.
type RoundGrant struct {
	Round   Round
	Call    Call
	Org     Org
	User    auth.User
	Juror   bool // invited, and still a member of the organization
	Manager bool
}

// RoundFor returns p's access to round id: invited jurors (still members
// of the organization) and the call's managers; anyone else ErrNotFound.
func (s *Service) RoundFor(ctx context.Context, p *access.Principal, id string) (RoundGrant, error) {
	if p == nil || !validID(id) {
		return RoundGrant{}, ErrNotFound
	}
	u, err := s.verifiedUser(ctx, p.UserID)
	if err != nil {
		return RoundGrant{}, err
	}
	r, err := s.store.RoundByID(ctx, id)
	if err != nil {
		return RoundGrant{}, err
	}
	c, err := s.store.CallByID(ctx, r.CallID)
	if err != nil {
		return RoundGrant{}, err
	}
	m, err := s.store.OrgMemberByEmail(ctx, c.OrgID, u.Email)
	if err != nil {
		return RoundGrant{}, err // not a member (any more): nothing
	}
	o, err := s.store.OrgByID(ctx, c.OrgID)
	if err != nil {
		return RoundGrant{}, err
	}
	juror, err := s.store.IsJuror(ctx, r.ID, u.Email)
	if err != nil {
		return RoundGrant{}, err
	}
	g := RoundGrant{Round: r, Call: c, Org: o, User: u, Juror: juror, Manager: m.Role.Manages()}
	if !g.Juror && !g.Manager {
		return RoundGrant{}, ErrNotFound
	}
	return g, nil
}

// viewer is the access-log entry of g: the photographer sees who at
// which organization looked, and through which round.
func (g RoundGrant) viewer() library.Viewer {
	what := "juror"
	if !g.Juror {
		what = "manager"
	}
	return library.Viewer{ActorID: g.User.ID, Label: fmt.Sprintf("%s (%s, %s)", g.User.Email, g.Org.Name, what), Via: "round:" + g.Round.ID}
}

// JuryImage is an image as a jury sees it: an opaque id and a shape.
type JuryImage struct {
	ID     string
	Width  int
	Height int
}

// JuryItem is one thing to judge, as a juror sees it: no name, no
// profile, no file name, unless the round is not blind and the
// entrant's accepted terms share their name.
type JuryItem struct {
	EntryID   string
	ImageID   string // the judged image when the unit is the image
	Position  int
	Title     string
	Statement string
	Category  string
	Entrant   string // "" when blind or not shared
	Images    []JuryImage
	MyScore   *int // the caller's own vote, if any
	Recused   bool // the caller recused from this entry
}

// JuryItems lists what the round judges, with the caller's own votes
// only. Entries withdrawn or erased since are left out.
func (s *Service) JuryItems(ctx context.Context, g RoundGrant) ([]JuryItem, error) {
	cands, err := s.store.Candidates(ctx, g.Round.ID)
	if err != nil {
		return nil, err
	}
	votes, err := s.store.Votes(ctx, g.Round.ID, g.User.ID)
	if err != nil {
		return nil, err
	}
	recusals, err := s.store.Recusals(ctx, g.Call.ID)
	if err != nil {
		return nil, err
	}
	shown := shownEntries{}
	var out []JuryItem
	for _, k := range cands {
		e, err := s.shownEntry(ctx, shown, k.EntryID)
		if err != nil {
			return nil, err
		}
		if e == nil {
			continue
		}
		it := JuryItem{EntryID: e.ID, ImageID: k.ImageID, Position: k.Position, Title: e.Title, Statement: e.Statement, Category: e.Category}
		if it.Images, err = s.juryImages(ctx, *e, k.ImageID); err != nil {
			return nil, err
		}
		for _, v := range votes {
			if v.EntryID == k.EntryID && v.ImageID == k.ImageID {
				sc := v.Score
				it.MyScore = &sc
			}
		}
		it.Recused = slices.ContainsFunc(recusals, func(r Recusal) bool { return r.EntryID == e.ID && r.UserID == g.User.ID })
		if !g.Round.Blind {
			it.Entrant = s.sharedName(ctx, *e)
		}
		out = append(out, it)
	}
	return out, nil
}

// shownEntries remembers, by entry id, the entries a round shows to its
// jury and managers (nil: not shown), so that a round that lists an
// entry once per image reads it once.
type shownEntries map[string]*Entry

// shownEntry returns the entry id when a jury may see it — submitted,
// and its photographer has not restricted processing — or nil.
func (s *Service) shownEntry(ctx context.Context, seen shownEntries, id string) (*Entry, error) {
	if e, ok := seen[id]; ok {
		return e, nil
	}
	e, err := s.store.EntryByID(ctx, id)
	if errors.Is(err, ErrNotFound) || err == nil && e.State != EntrySubmitted {
		seen[id] = nil
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if err := s.checkEntrant(ctx, e); errors.Is(err, ErrNotFound) {
		seen[id] = nil
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	seen[id] = &e
	return &e, nil
}

// juryImages lists e's images that can be shown (in the library, derived),
// or only image only when it is not "".
func (s *Service) juryImages(ctx context.Context, e Entry, only string) ([]JuryImage, error) {
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(imgs))
	for i, im := range imgs {
		ids[i] = im.AssetID
	}
	assets, err := s.library.AssetsOf(ctx, e.UserID, ids)
	if err != nil {
		return nil, err
	}
	var out []JuryImage
	for _, im := range imgs {
		if only != "" && im.ID != only {
			continue
		}
		for _, a := range assets {
			if a.ID == im.AssetID && a.Status == library.StatusReady {
				out = append(out, JuryImage{ID: im.ID, Width: a.PreviewWidth, Height: a.PreviewHeight})
			}
		}
	}
	return out, nil
}

// sharedName is the entrant's name when the terms they accepted share
// it with the organization, else "".
func (s *Service) sharedName(ctx context.Context, e Entry) string {
	t, err := s.store.TermsVersion(ctx, e.CallID, e.TermsVersion)
	if err != nil || !t.Shares(ShareName) {
		return ""
	}
	u, err := s.accounts.User(ctx, e.UserID)
	if err != nil {
		return ""
	}
	return u.Name
}

// juryAsset finds the asset behind image imageID of entry entryID when
// round g judges it and the entry is still submitted.
func (s *Service) juryAsset(ctx context.Context, g RoundGrant, entryID, imageID string) (Entry, EntryImage, error) {
	if !validID(entryID) || !validID(imageID) {
		return Entry{}, EntryImage{}, ErrNotFound
	}
	cands, err := s.store.Candidates(ctx, g.Round.ID)
	if err != nil {
		return Entry{}, EntryImage{}, err
	}
	if !slices.ContainsFunc(cands, func(k Candidate) bool {
		return k.EntryID == entryID && (k.ImageID == "" || k.ImageID == imageID)
	}) {
		return Entry{}, EntryImage{}, ErrNotFound
	}
	e, err := s.store.EntryByID(ctx, entryID)
	if err != nil {
		return Entry{}, EntryImage{}, err
	}
	if e.State != EntrySubmitted {
		return Entry{}, EntryImage{}, ErrNotFound
	}
	if err := s.checkEntrant(ctx, e); err != nil {
		return Entry{}, EntryImage{}, err
	}
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return Entry{}, EntryImage{}, err
	}
	i := slices.IndexFunc(imgs, func(im EntryImage) bool { return im.ID == imageID })
	if i < 0 {
		return Entry{}, EntryImage{}, ErrNotFound
	}
	return e, imgs[i], nil
}

// JuryCopy is an image as a jury or the public sees it: a derived JPEG
// with no metadata at all.
type JuryCopy struct {
	Data []byte
	ETag string
}

// OpenJuryImage returns the jury copy (kind thumb or preview) of an image
// the round judges, and records the view in the photographer's access
// log.
func (s *Service) OpenJuryImage(ctx context.Context, g RoundGrant, entryID, imageID string, kind library.Kind) (JuryCopy, error) {
	e, im, err := s.juryAsset(ctx, g, entryID, imageID)
	if err != nil {
		return JuryCopy{}, err
	}
	return s.juryCopy(ctx, e.UserID, im, kind, g.viewer())
}

func (s *Service) juryCopy(ctx context.Context, ownerID string, im EntryImage, kind library.Kind, v library.Viewer) (JuryCopy, error) {
	if kind != library.Thumb && kind != library.Preview {
		return JuryCopy{}, ErrNotFound
	}
	c, err := s.library.OpenShared(ctx, ownerID, im.AssetID, kind, v)
	if errors.Is(err, library.ErrNotFound) {
		return JuryCopy{}, ErrNotFound
	} else if err != nil {
		return JuryCopy{}, err
	}
	defer c.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, c); err != nil {
		return JuryCopy{}, err
	}
	data, err := media.JuryCopy(buf.Bytes())
	if err != nil {
		return JuryCopy{}, fmt.Errorf("calls: jury copy: %w", err)
	}
	// The ETag names the entry image and rendition, never the asset.
	return JuryCopy{Data: data, ETag: `"` + im.ID + "-" + string(kind) + `"`}, nil
}

// Vote records the caller's score of a candidate: invited jurors only,
// while the round is open, on its scale, not on an entry they recused
// from. imageID is "" when the round scores entries.
func (s *Service) Vote(ctx context.Context, g RoundGrant, entryID, imageID string, score int) (Vote, error) {
	if !g.Juror {
		return Vote{}, ErrNotFound
	}
	if g.Round.State != RoundOpen {
		return Vote{}, ErrRoundClosed
	}
	if g.Round.Mode == ModeNone {
		return Vote{}, ErrNoVoting
	}
	if g.Round.Unit == UnitEntry {
		imageID = ""
	}
	cands, err := s.store.Candidates(ctx, g.Round.ID)
	if err != nil {
		return Vote{}, err
	}
	if !slices.ContainsFunc(cands, func(k Candidate) bool { return k.EntryID == entryID && k.ImageID == imageID }) {
		return Vote{}, ErrNotFound
	}
	e, err := s.store.EntryByID(ctx, entryID)
	if err != nil {
		return Vote{}, err
	}
	if e.State != EntrySubmitted {
		return Vote{}, ErrNotFound
	}
	if err := s.checkEntrant(ctx, e); err != nil {
		return Vote{}, err
	}
	if !g.Round.Mode.ValidScore(score) {
		return Vote{}, ErrInvalidScore
	}
	recusals, err := s.store.Recusals(ctx, g.Call.ID)
	if err != nil {
		return Vote{}, err
	}
	if slices.ContainsFunc(recusals, func(r Recusal) bool { return r.EntryID == entryID && r.UserID == g.User.ID }) {
		return Vote{}, ErrRecused
	}
	v := Vote{RoundID: g.Round.ID, JurorID: g.User.ID, EntryID: entryID, ImageID: imageID, Score: score, UpdatedAt: s.now().UTC()}
	if err := s.store.PutVote(ctx, v); err != nil {
		return Vote{}, err
	}
	return v, nil
}

// Recuse declares the caller's conflict of interest with an entry: they
// no longer score it in any round of the call, and votes they gave it
// are not counted.
func (s *Service) Recuse(ctx context.Context, g RoundGrant, entryID string) error {
	if !g.Juror {
		return ErrNotFound
	}
	cands, err := s.store.Candidates(ctx, g.Round.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(cands, func(k Candidate) bool { return k.EntryID == entryID }) {
		return ErrNotFound
	}
	e, err := s.store.EntryByID(ctx, entryID)
	if err != nil {
		return err
	}
	if err := s.checkEntrant(ctx, e); err != nil {
		return err
	}
	return s.store.PutRecusal(ctx, Recusal{CallID: g.Call.ID, EntryID: entryID, UserID: g.User.ID, At: s.now().UTC()})
}

// Score is a candidate's result in a round.
type Score struct {
	EntryID     string
	ImageID     string
	Position    int
	Number      int // the entry's number in the call
	Title       string
	Votes       int
	Sum         int
	Average     float64
	Yes         int
	Rank        float64 // what the round ranks by: average, sum or yeses
	Recusals    int
	Shortlisted bool
}

// JurorProgress is how far one juror is.
type JurorProgress struct {
	Email   string
	Voted   int
	Recused int
	Total   int
}

// Results are a round's totals, for managers.
type Results struct {
	Round  Round
	Scores []Score // best first
	Jurors []JurorProgress
}

// RoundResults returns the totals and every juror's progress; managers
// only (jurors see their own votes, in JuryItems).
func (s *Service) RoundResults(ctx context.Context, g RoundGrant) (Results, error) {
	if !g.Manager {
		return Results{}, ErrNotFound
	}
	cands, err := s.store.Candidates(ctx, g.Round.ID)
	if err != nil {
		return Results{}, err
	}
	votes, err := s.store.Votes(ctx, g.Round.ID, "")
	if err != nil {
		return Results{}, err
	}
	recusals, err := s.store.Recusals(ctx, g.Call.ID)
	if err != nil {
		return Results{}, err
	}
	jurors, err := s.store.JurorsOf(ctx, g.Round.ID)
	if err != nil {
		return Results{}, err
	}
	recused := func(userID, entryID string) bool {
		return slices.ContainsFunc(recusals, func(r Recusal) bool { return r.UserID == userID && r.EntryID == entryID })
	}
	res := Results{Round: g.Round}
	live := 0
	shown := shownEntries{}
	for _, k := range cands {
		ep, err := s.shownEntry(ctx, shown, k.EntryID)
		if err != nil {
			return Results{}, err
		}
		if ep == nil {
			continue // withdrawn, or its photographer restricted processing: not shown, not counted
		}
		e := *ep
		live++
		sc := Score{EntryID: k.EntryID, ImageID: k.ImageID, Position: k.Position, Number: e.Number, Title: e.Title, Shortlisted: k.Shortlisted}
		for _, r := range recusals {
			if r.EntryID == k.EntryID {
				sc.Recusals++
			}
		}
		for _, v := range votes {
			if v.EntryID != k.EntryID || v.ImageID != k.ImageID || recused(v.JurorID, v.EntryID) {
				continue
			}
			sc.Votes++
			sc.Sum += v.Score
			if v.Score == 1 {
				sc.Yes++
			}
		}
		if sc.Votes > 0 {
			sc.Average = float64(sc.Sum) / float64(sc.Votes)
		}
		switch g.Round.Mode {
		case ModeStarsAvg:
			sc.Rank = sc.Average
		case ModeStarsSum:
			sc.Rank = float64(sc.Sum)
		case ModeYesNo:
			sc.Rank = float64(sc.Yes)
		}
		res.Scores = append(res.Scores, sc)
	}
	slices.SortStableFunc(res.Scores, func(a, b Score) int {
		switch {
		case a.Rank > b.Rank:
			return -1
		case a.Rank < b.Rank:
			return 1
		}
		return a.Position - b.Position
	})
	// A juror who only recused has no vote: look up recusers too.
	acted := make([]string, 0, len(votes)+len(recusals))
	for _, v := range votes {
		acted = append(acted, v.JurorID)
	}
	for _, r := range recusals {
		acted = append(acted, r.UserID)
	}
	byEmail := s.accountsByEmail(ctx, acted)
	for _, j := range jurors {
		p := JurorProgress{Email: j.Email, Total: live}
		if uid := byEmail[strings.ToLower(j.Email)]; uid != "" {
			for _, v := range votes {
				if v.JurorID == uid && !recused(uid, v.EntryID) {
					p.Voted++
				}
			}
			for _, r := range recusals {
				if r.UserID == uid && slices.ContainsFunc(cands, func(k Candidate) bool { return k.EntryID == r.EntryID }) {
					p.Recused++
				}
			}
		}
		res.Jurors = append(res.Jurors, p)
	}
	return res, nil
}

// accountsByEmail maps the address of each account in ids to its id,
// looking every account up once.
func (s *Service) accountsByEmail(ctx context.Context, ids []string) map[string]string {
	out := map[string]string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if u, err := s.accounts.User(ctx, id); err == nil {
			out[strings.ToLower(u.Email)] = u.ID
		}
	}
	return out
}

// CloseRound ends voting in a round.
func (s *Service) CloseRound(ctx context.Context, g RoundGrant) (Round, error) {
	if !g.Manager {
		return Round{}, ErrNotFound
	}
	if g.Round.State == RoundClosed {
		return g.Round, nil
	}
	now := s.now().UTC()
	if err := s.store.CloseRound(ctx, g.Round.ID, now); err != nil {
		return Round{}, err
	}
	g.Round.State, g.Round.ClosedAt = RoundClosed, now
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "round_closed", map[string]string{"call_id": g.Call.ID, "round_id": g.Round.ID})
	return g.Round, nil
}

// ShortlistInput chooses a closed round's shortlist: the Top places, the
// candidates with a Rank of at least MinRank, or exactly Keys
// ("entry id/image id", image id empty for entries).
type ShortlistInput struct {
	Top     int
	MinRank *float64
	Keys    []string
}

// Shortlist sets a closed round's shortlist and returns it.
func (s *Service) Shortlist(ctx context.Context, g RoundGrant, in ShortlistInput) ([]string, error) {
	if !g.Manager {
		return nil, ErrNotFound
	}
	if g.Round.State != RoundClosed {
		return nil, ErrWrongState
	}
	res, err := s.RoundResults(ctx, g)
	if err != nil {
		return nil, err
	}
	var keys []string
	switch {
	case in.Top > 0 && in.MinRank == nil && in.Keys == nil:
		for i, sc := range res.Scores {
			if i < in.Top {
				keys = append(keys, sc.EntryID+"/"+sc.ImageID)
			}
		}
	case in.MinRank != nil && in.Top == 0 && in.Keys == nil:
		for _, sc := range res.Scores {
			if sc.Rank >= *in.MinRank {
				keys = append(keys, sc.EntryID+"/"+sc.ImageID)
			}
		}
	case in.Keys != nil && in.Top == 0 && in.MinRank == nil:
		for _, k := range in.Keys {
			if !slices.ContainsFunc(res.Scores, func(sc Score) bool { return sc.EntryID+"/"+sc.ImageID == k }) {
				return nil, ErrInvalidShortlist
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	default:
		return nil, ErrInvalidShortlist
	}
	if err := s.store.SetShortlist(ctx, g.Round.ID, keys); err != nil {
		return nil, err
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "shortlist_set", map[string]string{"call_id": g.Call.ID, "round_id": g.Round.ID, "count": fmt.Sprint(len(keys))})
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// Rounds lists a call's rounds for its managers and viewers.
func (s *Service) Rounds(ctx context.Context, g CallGrant) ([]Round, error) {
	if !g.Sees() {
		return nil, ErrNotFound
	}
	return s.store.RoundsOfCall(ctx, g.Call.ID)
}

// MyRounds lists the rounds p is invited to as a juror (and still a
// member of the organization), with their calls.
func (s *Service) MyRounds(ctx context.Context, p *access.Principal) ([]RoundGrant, error) {
	u, err := s.verifiedUser(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	rs, err := s.store.RoundsOfJuror(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	var out []RoundGrant
	for _, r := range rs {
		g, err := s.RoundFor(ctx, p, r.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// InvitedToJudge reports whether p may open at least one jury round; it
// stops at the first, since every signed-in page asks (the nav's Jury
// link).
func (s *Service) InvitedToJudge(ctx context.Context, p *access.Principal) (bool, error) {
	u, err := s.verifiedUser(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	rs, err := s.store.RoundsOfJuror(ctx, u.Email)
	if err != nil {
		return false, err
	}
	for _, r := range rs {
		if _, err := s.RoundFor(ctx, p, r.ID); err == nil {
			return true, nil
		} else if !errors.Is(err, ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}
