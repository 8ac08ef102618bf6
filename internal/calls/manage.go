package calls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"safelight/internal/blob"
	"safelight/internal/media"
)

// CallInput is what a manager sets on a call; nil fields stay.
type CallInput struct {
	Title        *string
	Description  *string
	OpensAt      *time.Time // zero: at publication
	Deadline     *time.Time
	TimeZone     *string
	Categories   *[]string
	Limits       *Limits
	Requirements *Requirements
	Visibility   *Visibility
	Terms        *TermsInput
}

// TermsInput is a new text of the terms.
type TermsInput struct {
	Body       string
	Rights     []string // among OptionalRights; judging is always granted
	SharedData []string // among ShareName, ShareEmail
}

// DefaultLimits and DefaultRequirements are a new call's until changed.
var (
	DefaultLimits       = Limits{EntriesPerEntrant: 3, ImagesPerEntry: 10, MaxFileBytes: 50 << 20}
	DefaultRequirements = Requirements{Formats: []string{"jpeg", "tiff", "png"}, MinLongEdge: 2000, Orientation: AnyOrientation}
)

// ParseTime reads a date and time as a manager types it: RFC 3339 with
// an offset, or "2006-01-02T15:04" (seconds optional) in time zone tz.
func ParseTime(s, tz string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		return time.Time{}, ErrInvalidSchedule
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, ErrInvalidSchedule
}

func checkTerms(in TermsInput) (Terms, error) {
	body, ok := cleanText(in.Body, 50000, true)
	if !ok || body == "" {
		return Terms{}, ErrInvalidTerms
	}
	rights := []string{RightJudging}
	for _, r := range OptionalRights {
		if slices.Contains(in.Rights, r) {
			rights = append(rights, r)
		}
	}
	for _, r := range in.Rights {
		if r != RightJudging && !slices.Contains(OptionalRights, r) {
			return Terms{}, ErrInvalidRight
		}
	}
	var shared []string
	for _, d := range []string{ShareName, ShareEmail} {
		if slices.Contains(in.SharedData, d) {
			shared = append(shared, d)
		}
	}
	for _, d := range in.SharedData {
		if d != ShareName && d != ShareEmail {
			return Terms{}, ErrInvalidShared
		}
	}
	text, sum := composeTerms(body, rights, shared)
	return Terms{Body: body, Rights: rights, SharedData: shared, Text: text, SHA256: sum}, nil
}

func checkCategories(in []string) ([]string, error) {
	if len(in) > 30 {
		return nil, ErrInvalidCategories
	}
	var out []string
	for _, c := range in {
		n, ok := cleanText(c, 100, false)
		if !ok || n == "" || slices.Contains(out, n) {
			return nil, ErrInvalidCategories
		}
		out = append(out, n)
	}
	return out, nil
}

func checkLimits(l Limits) error {
	if l.EntriesPerEntrant < 1 || l.EntriesPerEntrant > 100 || l.ImagesPerEntry < 1 || l.ImagesPerEntry > 100 ||
		l.MaxFileBytes < 1<<20 || l.MaxFileBytes > 1<<30 {
		return ErrInvalidLimits
	}
	return nil
}

func checkRequirements(r Requirements) (Requirements, error) {
	var formats []string
	for _, f := range r.Formats {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "jpg" {
			f = "jpeg"
		}
		if !slices.Contains(Formats, f) {
			return Requirements{}, ErrInvalidRequire
		}
		if !slices.Contains(formats, f) {
			formats = append(formats, f)
		}
	}
	r.Formats = formats
	if r.Orientation == "" {
		r.Orientation = AnyOrientation
	}
	switch r.Orientation {
	case AnyOrientation, Landscape, Portrait, Square:
	default:
		return Requirements{}, ErrInvalidRequire
	}
	if r.MinLongEdge < 0 || r.MinLongEdge > 20000 {
		return Requirements{}, ErrInvalidRequire
	}
	return r, nil
}

// CreateCall makes a draft call in g's organization. The deadline is
// required; the terms may follow until publication.
func (s *Service) CreateCall(ctx context.Context, g OrgGrant, in CallInput) (Call, error) {
	if !g.Manages() {
		return Call{}, ErrForbidden
	}
	now := s.now().UTC()
	c := Call{ID: newID(), OrgID: g.Org.ID, TimeZone: "UTC", Limits: DefaultLimits, Requirements: DefaultRequirements,
		Visibility: Public, State: StateDraft, TermsVersion: 1, CreatedBy: g.User.ID, CreatedAt: now, UpdatedAt: now}
	c.Requirements.Formats = slices.Clone(DefaultRequirements.Formats)
	if in.Title == nil || in.Deadline == nil {
		if in.Title == nil {
			return Call{}, ErrInvalidTitle
		}
		return Call{}, ErrInvalidSchedule
	}
	t := Terms{CallID: c.ID, Version: 1, CreatedAt: now}
	if in.Terms != nil {
		nt, err := checkTerms(*in.Terms)
		if err != nil {
			return Call{}, err
		}
		nt.CallID, nt.Version, nt.CreatedAt = c.ID, 1, now
		t = nt
	} else {
		t.Rights = []string{RightJudging}
		t.Text, t.SHA256 = composeTerms("", t.Rights, nil)
	}
	if err := s.apply(&c, in, now); err != nil {
		return Call{}, err
	}
	if err := s.store.CreateCall(ctx, c, t); err != nil {
		return Call{}, fmt.Errorf("calls: create call: %w", err)
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "call_created", map[string]string{"call_id": c.ID})
	return c, nil
}

// apply checks in and sets it on c (terms aside).
func (s *Service) apply(c *Call, in CallInput, now time.Time) error {
	if in.Title != nil {
		t, ok := cleanText(*in.Title, 200, false)
		if !ok || t == "" {
			return ErrInvalidTitle
		}
		c.Title = t
	}
	if in.Description != nil {
		d, ok := cleanText(*in.Description, 20000, true)
		if !ok {
			return ErrInvalidText
		}
		c.Description = d
	}
	if in.TimeZone != nil {
		if _, err := time.LoadLocation(*in.TimeZone); err != nil || *in.TimeZone == "" || *in.TimeZone == "Local" {
			return ErrInvalidSchedule
		}
		c.TimeZone = *in.TimeZone
	}
	if in.OpensAt != nil {
		c.OpensAt = in.OpensAt.UTC()
	}
	if in.Deadline != nil {
		if !in.Deadline.After(now) {
			return ErrDeadlinePast
		}
		c.Deadline = in.Deadline.UTC()
	}
	if !c.OpensAt.IsZero() && !c.Deadline.After(c.OpensAt) {
		return ErrInvalidSchedule
	}
	if in.Categories != nil {
		cats, err := checkCategories(*in.Categories)
		if err != nil {
			return err
		}
		c.Categories = cats
	}
	if in.Limits != nil {
		if err := checkLimits(*in.Limits); err != nil {
			return err
		}
		c.Limits = *in.Limits
	}
	if in.Requirements != nil {
		r, err := checkRequirements(*in.Requirements)
		if err != nil {
			return err
		}
		c.Requirements = r
	}
	if in.Visibility != nil {
		if *in.Visibility != Public && *in.Visibility != Unlisted {
			return ErrInvalidVisibility
		}
		c.Visibility = *in.Visibility
	}
	return nil
}

// UpdateCall changes a call. A draft changes freely. Once published, the
// title, description, deadline (still in the future), visibility and
// terms may change until the deadline — a change of terms publishes a
// new version that every entrant must accept again; categories, limits
// and requirements are fixed, so that no entry becomes ineligible after
// the fact.
func (s *Service) UpdateCall(ctx context.Context, g CallGrant, in CallInput) (Call, error) {
	if !g.Manages() {
		return Call{}, g.refusal()
	}
	now := s.now().UTC()
	c := g.Call
	if c.State != StateDraft {
		if c.Effective(now) != StateOpen {
			return Call{}, ErrWrongState
		}
		if in.Categories != nil || in.Limits != nil || in.Requirements != nil || in.OpensAt != nil {
			return Call{}, ErrWrongState
		}
	}
	if err := s.apply(&c, in, now); err != nil {
		return Call{}, err
	}
	var newTerms *Terms
	if in.Terms != nil {
		t, err := checkTerms(*in.Terms)
		if err != nil {
			return Call{}, err
		}
		t.CallID, t.CreatedAt = c.ID, now
		switch {
		case t.SHA256 == g.Terms.SHA256:
			// Unchanged: no new version.
		case c.State == StateDraft:
			t.Version = g.Terms.Version
			newTerms = &t
		default:
			t.Version = g.Terms.Version + 1
			t.PublishedAt = now
			newTerms = &t
		}
	}
	c.UpdatedAt = now
	if newTerms != nil {
		if err := s.store.PutTerms(ctx, *newTerms); err != nil {
			return Call{}, fmt.Errorf("calls: terms: %w", err)
		}
		c.TermsVersion = newTerms.Version
		if c.State != StateDraft {
			s.orgChanged(ctx, g.User.ID, c.OrgID, "terms_published", map[string]string{"call_id": c.ID, "version": fmt.Sprint(newTerms.Version), "terms_sha256": newTerms.SHA256})
			s.noticeNewTerms(ctx, c, *newTerms)
		}
	}
	if err := s.store.UpdateCall(ctx, c); err != nil {
		return Call{}, fmt.Errorf("calls: update call: %w", err)
	}
	return c, nil
}

// Publish opens a draft call: its terms become version 1 for good.
func (s *Service) Publish(ctx context.Context, g CallGrant) (Call, error) {
	if !g.Manages() {
		return Call{}, g.refusal()
	}
	now := s.now().UTC()
	if g.Call.State != StateDraft {
		return Call{}, ErrWrongState
	}
	if !g.Call.Deadline.After(now) {
		return Call{}, ErrDeadlinePast
	}
	if g.Terms.Body == "" {
		return Call{}, ErrInvalidTerms
	}
	if err := s.store.PublishCall(ctx, g.Call.ID, now); err != nil {
		return Call{}, err
	}
	s.orgChanged(ctx, g.User.ID, g.Call.OrgID, "call_published", map[string]string{"call_id": g.Call.ID, "terms_sha256": g.Terms.SHA256})
	c, err := s.store.CallByID(ctx, g.Call.ID)
	if err != nil {
		return Call{}, err
	}
	if c.OpensAt.IsZero() {
		// Without an opening time, the call opens when published.
		c.OpensAt = now
		if err := s.store.UpdateCall(ctx, c); err != nil {
			return Call{}, err
		}
	}
	return c, nil
}

// PublishResults shows the results page: judging → results.
func (s *Service) PublishResults(ctx context.Context, g CallGrant) (Call, error) {
	if !g.Manages() {
		return Call{}, g.refusal()
	}
	if g.Call.State != StateJudging {
		return Call{}, ErrWrongState
	}
	c := g.Call
	c.State, c.ResultsAt, c.UpdatedAt = StateResults, s.now().UTC(), s.now().UTC()
	if err := s.store.UpdateCall(ctx, c); err != nil {
		return Call{}, err
	}
	s.orgChanged(ctx, g.User.ID, c.OrgID, "results_published", map[string]string{"call_id": c.ID})
	return c, nil
}

// CallsOf lists the organization's calls for its members.
func (s *Service) CallsOf(ctx context.Context, g OrgGrant) ([]Call, error) {
	cs, err := s.store.CallsOfOrg(ctx, g.Org.ID)
	if err != nil {
		return nil, err
	}
	if g.Member.Role == RoleJuror {
		// Jurors see their rounds, not the organization's drafts.
		cs = slices.DeleteFunc(cs, func(c Call) bool { return c.State == StateDraft })
	}
	return cs, nil
}

// PublicCalls lists the public calls that are published.
func (s *Service) PublicCalls(ctx context.Context) ([]Call, error) { return s.store.PublicCalls(ctx) }

// TermsVersions lists the published versions of a call's terms (all of
// them, the draft included, for its managers).
func (s *Service) TermsVersions(ctx context.Context, g CallGrant) ([]Terms, error) {
	ts, err := s.store.TermsVersions(ctx, g.Call.ID)
	if err != nil {
		return nil, err
	}
	if !g.Sees() {
		ts = slices.DeleteFunc(ts, func(t Terms) bool { return t.PublishedAt.IsZero() })
	}
	return ts, nil
}

// Terms returns one version of the call's terms; unpublished versions
// only to the organization.
func (s *Service) Terms(ctx context.Context, g CallGrant, version int) (Terms, error) {
	t, err := s.store.TermsVersion(ctx, g.Call.ID, version)
	if err != nil {
		return Terms{}, err
	}
	if t.PublishedAt.IsZero() && !g.Sees() {
		return Terms{}, ErrNotFound
	}
	return t, nil
}

// ErrInvalidCover is a cover that is not an image Safelight reads.
var ErrInvalidCover = errors.New("the cover must be a JPEG, PNG, TIFF, WebP, HEIF or AVIF image")

// SetCover stores a call's cover image: a 2048-pixel rendition without
// metadata, sealed with the organization's key (an organization is an
// owner of its own, like a person).
func (s *Service) SetCover(ctx context.Context, g CallGrant, r io.Reader) error {
	if !g.Manages() {
		return g.refusal()
	}
	data, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxCoverBytes+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > s.cfg.MaxCoverBytes {
		return fmt.Errorf("%w (at most %d MB)", ErrInvalidCover, s.cfg.MaxCoverBytes>>20)
	}
	if _, err := media.Probe(data, media.Limits{}); err != nil {
		return ErrInvalidCover
	}
	// Derive without Copyright keeps no metadata at all.
	ds, err := media.Derive(data, media.DeriveOptions{Sizes: []media.Size{media.PreviewSize}})
	if err != nil || len(ds) != 1 {
		return ErrInvalidCover
	}
	ref := blob.NewRef("cover")
	if _, err := s.sealer.Put(ctx, g.Org.ID, ref, bytes.NewReader(ds[0].Data)); err != nil {
		return fmt.Errorf("calls: cover: %w", err)
	}
	old := g.Call.CoverRef
	c := g.Call
	c.CoverRef, c.UpdatedAt = string(ref), s.now().UTC()
	if err := s.store.UpdateCall(ctx, c); err != nil {
		_ = s.sealer.Delete(ctx, ref)
		return err
	}
	if old != "" {
		_ = s.sealer.Delete(ctx, blob.Ref(old))
	}
	return nil
}

// OpenCover opens the cover of a call g may read.
func (s *Service) OpenCover(ctx context.Context, g CallGrant) (io.ReadCloser, error) {
	if g.Call.CoverRef == "" {
		return nil, ErrNotFound
	}
	return s.sealer.Open(ctx, g.Call.OrgID, blob.Ref(g.Call.CoverRef))
}

// Totals are what managers and viewers see of a call's entries: counts,
// never content.
type Totals struct {
	Entries    int            // submitted
	Drafts     int            // not submitted yet
	Withdrawn  int            // withdrawn
	Entrants   int            // distinct photographers with a submitted entry
	Images     int            // in submitted entries
	ByCategory map[string]int // submitted entries per category
	StaleTerms int            // submitted entries whose consent is to an older terms version
}

// Totals counts the call's entries.
func (s *Service) Totals(ctx context.Context, g CallGrant) (Totals, error) {
	if !g.Sees() {
		return Totals{}, ErrNotFound
	}
	es, err := s.store.EntriesOfCall(ctx, g.Call.ID, nil)
	if err != nil {
		return Totals{}, err
	}
	t := Totals{ByCategory: map[string]int{}}
	who := map[string]bool{}
	for _, e := range es {
		switch e.State {
		case EntryDraft:
			t.Drafts++
		case EntryWithdrawn:
			t.Withdrawn++
		case EntrySubmitted:
			t.Entries++
			who[e.UserID] = true
			t.ByCategory[e.Category]++
			if e.TermsVersion != g.Call.TermsVersion {
				t.StaleTerms++
			}
			imgs, err := s.store.EntryImages(ctx, e.ID)
			if err != nil {
				return Totals{}, err
			}
			t.Images += len(imgs)
		}
	}
	t.Entrants = len(who)
	return t, nil
}
