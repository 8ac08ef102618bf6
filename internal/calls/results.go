package calls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"time"

	"safelight/internal/access"
	"safelight/internal/export"
	"safelight/internal/library"
)

// SetAward marks a submitted entry a winner or an honourable mention (or
// clears it) while the call is judged or its results are shown.
func (s *Service) SetAward(ctx context.Context, g CallGrant, entryID, award string) error {
	if !g.Manages() {
		return g.refusal()
	}
	if award != AwardNone && award != AwardWinner && award != AwardHonourableMention {
		return ErrInvalidAward
	}
	if g.Call.State != StateJudging && g.Call.State != StateResults {
		return ErrWrongState
	}
	e, err := s.callEntry(ctx, g, entryID)
	if err != nil {
		return err
	}
	if err := s.store.SetAward(ctx, e.ID, award); err != nil {
		return err
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "award_set", map[string]string{"call_id": g.Call.ID, "entry_id": e.ID, "award": award})
	return nil
}

// callEntry loads a submitted entry of g's call.
func (s *Service) callEntry(ctx context.Context, g CallGrant, entryID string) (Entry, error) {
	if !validID(entryID) {
		return Entry{}, ErrNotFound
	}
	e, err := s.store.EntryByID(ctx, entryID)
	if err != nil {
		return Entry{}, err
	}
	if e.CallID != g.Call.ID || e.State != EntrySubmitted {
		return Entry{}, ErrNotFound
	}
	if err := s.checkEntrant(ctx, e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// EntrySummary is an entry as the organization's managers see it in
// lists: no images, and the entrant named only as the accepted terms
// allow.
type EntrySummary struct {
	ID           string
	Number       int
	Title        string
	Category     string
	Images       int
	SubmittedAt  time.Time
	TermsVersion int
	Award        string
	Name         string // "" unless the accepted terms share it
	Email        string // "" unless the accepted terms share it
	Finalist     bool   // shortlisted in a round, or awarded
}

// EntrySummaries lists the call's submitted entries for its managers.
func (s *Service) EntrySummaries(ctx context.Context, g CallGrant) ([]EntrySummary, error) {
	if !g.Manages() {
		return nil, ErrNotFound
	}
	es, err := s.store.EntriesOfCall(ctx, g.Call.ID, []EntryState{EntrySubmitted})
	if err != nil {
		return nil, err
	}
	finalists, err := s.finalists(ctx, g.Call.ID)
	if err != nil {
		return nil, err
	}
	terms := map[int]Terms{}
	out := make([]EntrySummary, 0, len(es))
	for _, e := range es {
		if err := s.checkEntrant(ctx, e); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		imgs, err := s.store.EntryImages(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		t, ok := terms[e.TermsVersion]
		if !ok {
			t, err = s.store.TermsVersion(ctx, e.CallID, e.TermsVersion)
			if err != nil {
				return nil, err
			}
			terms[e.TermsVersion] = t
		}
		sum := EntrySummary{ID: e.ID, Number: e.Number, Title: e.Title, Category: e.Category, Images: len(imgs),
			SubmittedAt: e.SubmittedAt, TermsVersion: e.TermsVersion, Award: e.Award,
			Finalist: finalists[e.ID] || e.Award != AwardNone}
		if t.Shares(ShareName) || t.Shares(ShareEmail) {
			if u, err := s.accounts.User(ctx, e.UserID); err == nil {
				if t.Shares(ShareName) {
					sum.Name = u.Name
				}
				if t.Shares(ShareEmail) {
					sum.Email = u.Email
				}
			}
		}
		out = append(out, sum)
	}
	return out, nil
}

// finalists returns the entries shortlisted in any round of the call.
func (s *Service) finalists(ctx context.Context, callID string) (map[string]bool, error) {
	rs, err := s.store.RoundsOfCall(ctx, callID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range rs {
		cs, err := s.store.Candidates(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range cs {
			if k.Shortlisted {
				out[k.EntryID] = true
			}
		}
	}
	return out, nil
}

// ExportCSV writes the call's submitted entries and their scores in every
// round: no images, and of the entrants only what the accepted terms
// name.
func (s *Service) ExportCSV(ctx context.Context, g CallGrant, w io.Writer) error {
	sums, err := s.EntrySummaries(ctx, g)
	if err != nil {
		return err
	}
	rounds, err := s.store.RoundsOfCall(ctx, g.Call.ID)
	if err != nil {
		return err
	}
	header := []string{"entry", "title", "category", "images", "submitted", "terms_version", "award", "name", "email"}
	// Per round, the entry's rank value (entry unit) or the best of its
	// images (image unit).
	ranks := make([]map[string]float64, len(rounds))
	for i, r := range rounds {
		header = append(header, fmt.Sprintf("round %d: %s (%s)", r.Number, r.Name, r.Mode))
		res, err := s.RoundResults(ctx, RoundGrant{Round: r, Call: g.Call, Org: g.Org, User: g.User, Manager: true})
		if err != nil {
			return err
		}
		ranks[i] = map[string]float64{}
		for _, sc := range res.Scores {
			if v, ok := ranks[i][sc.EntryID]; !ok || sc.Rank > v {
				ranks[i][sc.EntryID] = sc.Rank
			}
		}
	}
	rows := make([][]string, 0, len(sums))
	for _, e := range sums {
		row := []string{strconv.Itoa(e.Number), e.Title, e.Category, strconv.Itoa(e.Images), e.SubmittedAt.UTC().Format("2006-01-02 15:04:05"),
			strconv.Itoa(e.TermsVersion), e.Award, e.Name, e.Email}
		for i := range rounds {
			cell := ""
			if v, ok := ranks[i][e.ID]; ok {
				cell = strconv.FormatFloat(v, 'f', 2, 64)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	return export.Table(w, header, rows)
}

// Winner is an awarded entry on the public results page.
type Winner struct {
	EntryID  string
	Award    string
	Title    string
	Category string
	Name     string      // "" unless the accepted terms share it
	Images   []JuryImage // only where the accepted terms grant publication
}

// PublicResults lists the awarded entries of a call whose results are
// published; winners first.
func (s *Service) PublicResults(ctx context.Context, g CallGrant) ([]Winner, error) {
	if g.Call.State != StateResults {
		return nil, ErrNotFound
	}
	es, err := s.store.EntriesOfCall(ctx, g.Call.ID, []EntryState{EntrySubmitted})
	if err != nil {
		return nil, err
	}
	var out []Winner
	for _, e := range es {
		if e.Award == AwardNone {
			continue
		}
		if err := s.checkEntrant(ctx, e); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		w := Winner{EntryID: e.ID, Award: e.Award, Title: e.Title, Category: e.Category, Name: s.sharedName(ctx, e)}
		if ok, err := s.publishable(ctx, e); err != nil {
			return nil, err
		} else if ok {
			if w.Images, err = s.juryImages(ctx, e, ""); err != nil {
				return nil, err
			}
		}
		out = append(out, w)
	}
	slices.SortStableFunc(out, func(a, b Winner) int {
		if a.Award == b.Award {
			return 0
		}
		if a.Award == AwardWinner {
			return -1
		}
		return 1
	})
	return out, nil
}

// publishable reports whether the terms e's photographer accepted grant
// publication.
func (s *Service) publishable(ctx context.Context, e Entry) (bool, error) {
	t, err := s.store.TermsVersion(ctx, e.CallID, e.TermsVersion)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return t.Grants(RightPublication), nil
}

// OpenResultImage returns the public copy of an awarded entry's image,
// when the call's results are published and the accepted terms grant
// publication; the view goes into the photographer's access log.
func (s *Service) OpenResultImage(ctx context.Context, g CallGrant, entryID, imageID string, kind library.Kind) (JuryCopy, error) {
	if g.Call.State != StateResults {
		return JuryCopy{}, ErrNotFound
	}
	e, err := s.callEntry(ctx, g, entryID)
	if err != nil {
		return JuryCopy{}, err
	}
	if e.Award == AwardNone {
		return JuryCopy{}, ErrNotFound
	}
	if ok, err := s.publishable(ctx, e); err != nil {
		return JuryCopy{}, err
	} else if !ok {
		return JuryCopy{}, ErrNotFound
	}
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return JuryCopy{}, err
	}
	i := slices.IndexFunc(imgs, func(im EntryImage) bool { return im.ID == imageID })
	if i < 0 {
		return JuryCopy{}, ErrNotFound
	}
	v := library.Viewer{Label: "results page of " + g.Call.Title + " (" + g.Org.Name + ")", Via: "call:" + g.Call.ID}
	return s.juryCopy(ctx, e.UserID, imgs[i], kind, v)
}

// RequestOriginals asks the photographer of a finalist entry for the
// original files of the given images (all of them when none is named).
func (s *Service) RequestOriginals(ctx context.Context, g CallGrant, entryID string, imageIDs []string, message string) ([]OriginalsRequest, error) {
	if !g.Manages() {
		return nil, ErrNotFound
	}
	e, err := s.callEntry(ctx, g, entryID)
	if err != nil {
		return nil, err
	}
	fin, err := s.finalists(ctx, g.Call.ID)
	if err != nil {
		return nil, err
	}
	if !fin[e.ID] && e.Award == AwardNone {
		return nil, ErrNotFinalist
	}
	msg, ok := cleanText(message, 2000, true)
	if !ok {
		return nil, ErrInvalidText
	}
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	if len(imageIDs) > 0 {
		for _, id := range imageIDs {
			if !slices.ContainsFunc(imgs, func(im EntryImage) bool { return im.ID == id }) {
				return nil, ErrNotFound
			}
		}
		imgs = slices.DeleteFunc(imgs, func(im EntryImage) bool { return !slices.Contains(imageIDs, im.ID) })
	}
	existing, err := s.store.OriginalsRequestsOfCall(ctx, g.Call.ID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var out []OriginalsRequest
	for _, im := range imgs {
		if slices.ContainsFunc(existing, func(r OriginalsRequest) bool {
			return r.ImageID == im.ID && (r.State == RequestPending || r.State == RequestApproved)
		}) {
			continue // asked already
		}
		r := OriginalsRequest{ID: newID(), CallID: g.Call.ID, EntryID: e.ID, ImageID: im.ID, OwnerID: e.UserID,
			RequestedBy: g.User.ID, Message: msg, State: RequestPending, RequestedAt: now}
		if err := s.store.CreateOriginalsRequest(ctx, r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) > 0 {
		s.orgChanged(ctx, g.User.ID, g.Org.ID, "originals_requested", map[string]string{"call_id": g.Call.ID, "entry_id": e.ID, "count": strconv.Itoa(len(out))})
		s.mailOriginalsRequest(ctx, g, e, len(out))
	}
	return out, nil
}

// OriginalsRequests lists the call's requests for its managers.
func (s *Service) OriginalsRequests(ctx context.Context, g CallGrant) ([]OriginalsRequest, error) {
	if !g.Manages() {
		return nil, ErrNotFound
	}
	return s.store.OriginalsRequestsOfCall(ctx, g.Call.ID)
}

// RequestView is an originals request as its photographer sees it.
type RequestView struct {
	OriginalsRequest
	Call    Call
	Org     Org
	Entry   Entry
	AssetID string // the photographer's own asset
}

// MyOriginalsRequests lists the requests made to p, newest first.
func (s *Service) MyOriginalsRequests(ctx context.Context, p *access.Principal) ([]RequestView, error) {
	rs, err := s.store.OriginalsRequestsOfUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]RequestView, 0, len(rs))
	for _, r := range rs {
		v, err := s.requestView(ctx, r)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) requestView(ctx context.Context, r OriginalsRequest) (RequestView, error) {
	c, err := s.store.CallByID(ctx, r.CallID)
	if err != nil {
		return RequestView{}, err
	}
	o, err := s.store.OrgByID(ctx, c.OrgID)
	if err != nil {
		return RequestView{}, err
	}
	e, err := s.store.EntryByID(ctx, r.EntryID)
	if err != nil {
		return RequestView{}, err
	}
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return RequestView{}, err
	}
	i := slices.IndexFunc(imgs, func(im EntryImage) bool { return im.ID == r.ImageID })
	if i < 0 {
		return RequestView{}, ErrNotFound
	}
	return RequestView{OriginalsRequest: r, Call: c, Org: o, Entry: e, AssetID: imgs[i].AssetID}, nil
}

// DecideOriginals answers a request made to p: approval records an
// originals-release consent for that image and lets the organization
// download it; a refusal ends the request.
func (s *Service) DecideOriginals(ctx context.Context, p *access.Principal, requestID string, approve bool, method string) (OriginalsRequest, error) {
	if p == nil || !validID(requestID) {
		return OriginalsRequest{}, ErrNotFound
	}
	r, err := s.store.OriginalsRequestByID(ctx, requestID)
	if err != nil {
		return OriginalsRequest{}, err
	}
	if r.OwnerID != p.UserID {
		return OriginalsRequest{}, ErrNotFound
	}
	if r.State != RequestPending {
		return OriginalsRequest{}, ErrAlreadyDecided
	}
	now := s.now().UTC()
	if !approve {
		if err := s.store.DecideOriginalsRequest(ctx, r.ID, RequestDeclined, "", now); err != nil {
			return OriginalsRequest{}, err
		}
		r.State, r.DecidedAt = RequestDeclined, now
		return r, nil
	}
	e, err := s.store.EntryByID(ctx, r.EntryID)
	if err != nil {
		return OriginalsRequest{}, err
	}
	t, err := s.store.TermsVersion(ctx, e.CallID, e.TermsVersion)
	if err != nil {
		return OriginalsRequest{}, err
	}
	v, err := s.requestView(ctx, r)
	if err != nil {
		return OriginalsRequest{}, err
	}
	if method == "" {
		method = MethodAPIOK
	}
	c := Consent{ID: newID(), UserID: p.UserID, Kind: ConsentOriginalsRelease, CallID: r.CallID, EntryID: r.EntryID,
		AssetID: v.AssetID, TermsVersion: t.Version, TermsSHA256: t.SHA256, Scope: slices.Clone(t.Rights), Method: method, At: now}
	// The decision first: of two approvals racing, one records a consent.
	if err := s.store.DecideOriginalsRequest(ctx, r.ID, RequestApproved, c.ID, now); err != nil {
		return OriginalsRequest{}, err
	}
	if err := s.recordConsent(ctx, c); err != nil {
		return OriginalsRequest{}, err
	}
	r.State, r.DecidedAt, r.ConsentID = RequestApproved, now, c.ID
	return r, nil
}

// OpenOriginal opens the original of an approved request for a manager
// of the call; every download lands in the photographer's access log. A
// withdrawn release, a withdrawn entry or an image deleted since is
// ErrNotFound.
func (s *Service) OpenOriginal(ctx context.Context, g CallGrant, requestID string) (*library.Content, error) {
	if !g.Manages() || !validID(requestID) {
		return nil, ErrNotFound
	}
	r, err := s.store.OriginalsRequestByID(ctx, requestID)
	if err != nil {
		return nil, err
	}
	if r.CallID != g.Call.ID || r.State != RequestApproved {
		return nil, ErrNotFound
	}
	c, err := s.store.ConsentByID(ctx, r.ConsentID)
	if err != nil || !c.WithdrawnAt.IsZero() {
		return nil, ErrNotFound
	}
	if _, err := s.callEntry(ctx, g, r.EntryID); err != nil {
		return nil, err
	}
	v := library.Viewer{ActorID: g.User.ID, Label: fmt.Sprintf("%s (%s, manager)", g.User.Email, g.Org.Name), Via: "originals:" + r.ID}
	content, err := s.library.OpenShared(ctx, r.OwnerID, c.AssetID, library.Original, v)
	if errors.Is(err, library.ErrNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	// Named after the entry image, never the asset; the extension stays.
	content.Filename = "original-" + r.ImageID + path.Ext(content.Filename)
	return content, nil
}
