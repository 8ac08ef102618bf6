package calls

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/library"
)

// EntryInput is what an entrant sets on an entry; nil fields stay.
type EntryInput struct {
	Title     *string
	Statement *string
	Category  *string
	AssetIDs  *[]string // the entrant's own assets, in order
}

// Acceptance is an entrant's acceptance of a call's terms: the SHA-256 of
// the text they were shown, and how it was collected.
type Acceptance struct {
	TermsSHA256 string
	Method      string
}

// EntryView is an entry as its photographer sees it.
type EntryView struct {
	Entry
	Call   Call
	Terms  Terms // the current version
	Images []EntryImage
	Assets []library.Asset // the images' assets, same order; missing ones left out
	// NeedsConsent is set when the terms changed after the entry was
	// submitted: it is not judged until its photographer accepts them.
	NeedsConsent bool
	// Editable reports whether the entry may still change (before the
	// deadline).
	Editable bool
}

// ownEntry loads p's entry id; anyone else's is ErrNotFound.
func (s *Service) ownEntry(ctx context.Context, p *access.Principal, id string) (Entry, Call, error) {
	if p == nil || !validID(id) {
		return Entry{}, Call{}, ErrNotFound
	}
	e, err := s.store.EntryByID(ctx, id)
	if err != nil {
		return Entry{}, Call{}, err
	}
	if e.UserID != p.UserID {
		return Entry{}, Call{}, ErrNotFound
	}
	c, err := s.store.CallByID(ctx, e.CallID)
	if err != nil {
		return Entry{}, Call{}, err
	}
	return e, c, nil
}

// checkEntryFields validates the text fields of e against c.
func checkEntryFields(e *Entry, c Call, in EntryInput) error {
	if in.Title != nil {
		t, ok := cleanText(*in.Title, 200, false)
		if !ok {
			return ErrInvalidTitle
		}
		e.Title = t
	}
	if in.Statement != nil {
		st, ok := cleanText(*in.Statement, 5000, true)
		if !ok {
			return ErrInvalidText
		}
		e.Statement = st
	}
	if in.Category != nil {
		e.Category = *in.Category
	}
	if e.Category != "" && !slices.Contains(c.Categories, e.Category) {
		return ErrInvalidCategory
	}
	return nil
}

// images checks that ids are p's own live assets, without repeats and
// within the call's count, and returns them as entry images.
func (s *Service) images(ctx context.Context, userID, entryID string, c Call, ids []string, old []EntryImage) ([]EntryImage, []library.Asset, error) {
	if len(ids) > c.Limits.ImagesPerEntry {
		return nil, nil, ErrImageCount
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, nil, ErrDuplicateImage
		}
		seen[id] = true
	}
	assets, err := s.library.AssetsOf(ctx, userID, ids)
	if err != nil {
		return nil, nil, err
	}
	if len(assets) != len(ids) {
		return nil, nil, ErrNotOwnAsset
	}
	// An image that stays keeps its id, so that votes and requests on it
	// hold.
	kept := map[string]string{}
	for _, im := range old {
		kept[im.AssetID] = im.ID
	}
	out := make([]EntryImage, len(ids))
	for i, id := range ids {
		imgID := kept[id]
		if imgID == "" {
			imgID = newID()
		}
		out[i] = EntryImage{ID: imgID, EntryID: entryID, AssetID: id, Position: i + 1}
	}
	return out, assets, nil
}

// CheckRequirements returns the problems of assets against c's
// requirements and limits, image by image.
func CheckRequirements(c Call, assets []library.Asset) []ImageProblem {
	var out []ImageProblem
	for _, a := range assets {
		add := func(format string, args ...any) {
			out = append(out, ImageProblem{AssetID: a.ID, Reason: fmt.Sprintf(format, args...)})
		}
		r := c.Requirements
		switch {
		case a.Status != library.StatusReady:
			add("the image is still being processed, or could not be read")
			continue
		case len(r.Formats) > 0 && !slices.Contains(r.Formats, string(a.Format)):
			add("%s files are not accepted (accepted: %v)", a.Format, r.Formats)
		}
		if a.Size > c.Limits.MaxFileBytes {
			add("the file is %.1f MB; the limit is %.1f MB", float64(a.Size)/(1<<20), float64(c.Limits.MaxFileBytes)/(1<<20))
		}
		// The preview is upright (EXIF orientation applied): its shape is
		// the image's as seen.
		w, h := a.PreviewWidth, a.PreviewHeight
		long := max(a.Width, a.Height)
		if r.MinLongEdge > 0 && long < r.MinLongEdge {
			add("the long edge is %d pixels; at least %d are required", long, r.MinLongEdge)
		}
		if r.ColorProfile && a.ColorProfile == "" {
			add("the file has no embedded colour profile")
		}
		switch {
		case r.Orientation == Landscape && w <= h:
			add("the image must be landscape")
		case r.Orientation == Portrait && h <= w:
			add("the image must be portrait")
		case r.Orientation == Square && w != h:
			add("the image must be square")
		}
	}
	return out
}

// CreateEntry starts an entry in call g for p: a draft, or submitted at
// once when acc is given (then every rule of Submit applies).
func (s *Service) CreateEntry(ctx context.Context, p *access.Principal, g CallGrant, in EntryInput, acc *Acceptance) (Entry, error) {
	now := s.now().UTC()
	if err := g.Call.AcceptsEntries(now); err != nil {
		return Entry{}, err
	}
	n, err := s.store.CountUserEntries(ctx, g.Call.ID, p.UserID)
	if err != nil {
		return Entry{}, err
	}
	if n >= g.Call.Limits.EntriesPerEntrant {
		return Entry{}, ErrTooManyEntries
	}
	e := Entry{ID: newID(), CallID: g.Call.ID, UserID: p.UserID, State: EntryDraft, CreatedAt: now, UpdatedAt: now}
	if err := checkEntryFields(&e, g.Call, in); err != nil {
		return Entry{}, err
	}
	var ids []string
	if in.AssetIDs != nil {
		ids = *in.AssetIDs
	}
	imgs, assets, err := s.images(ctx, p.UserID, e.ID, g.Call, ids, nil)
	if err != nil {
		return Entry{}, err
	}
	var consent *Consent
	if acc != nil {
		c, err := s.readyToSubmit(e, g, imgs, assets, *acc, now)
		if err != nil {
			return Entry{}, err
		}
		consent = &c
		e.State, e.SubmittedAt, e.TermsVersion = EntrySubmitted, now, g.Terms.Version
	}
	if e.Number, err = s.store.CreateEntry(ctx, e, imgs); err != nil {
		return Entry{}, fmt.Errorf("calls: create entry: %w", err)
	}
	if consent != nil {
		if err := s.recordConsent(ctx, *consent); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

// readyToSubmit checks everything a submission needs and returns the
// consent record it makes.
func (s *Service) readyToSubmit(e Entry, g CallGrant, imgs []EntryImage, assets []library.Asset, acc Acceptance, now time.Time) (Consent, error) {
	if acc.TermsSHA256 == "" {
		return Consent{}, ErrTermsNotAccepted
	}
	if acc.TermsSHA256 != g.Terms.SHA256 || g.Terms.PublishedAt.IsZero() {
		return Consent{}, ErrStaleTerms
	}
	if e.Title == "" {
		return Consent{}, ErrInvalidTitle
	}
	if len(g.Call.Categories) > 0 && e.Category == "" {
		return Consent{}, ErrInvalidCategory
	}
	if len(imgs) == 0 {
		return Consent{}, ErrImageCount
	}
	if probs := CheckRequirements(g.Call, assets); len(probs) > 0 {
		return Consent{}, &RequirementError{Problems: probs}
	}
	method := acc.Method
	if method == "" {
		method = MethodAPI
	}
	return Consent{ID: newID(), UserID: e.UserID, Kind: ConsentCallTerms, CallID: g.Call.ID, EntryID: e.ID,
		TermsVersion: g.Terms.Version, TermsSHA256: g.Terms.SHA256, Scope: slices.Clone(g.Terms.Rights),
		Method: method, At: now}, nil
}

func (s *Service) recordConsent(ctx context.Context, c Consent) error {
	if err := s.store.CreateConsent(ctx, c); err != nil {
		return fmt.Errorf("calls: consent: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.ConsentGiven, ActorID: c.UserID, SubjectID: c.UserID,
		Details: map[string]string{"consent_id": c.ID, "kind": c.Kind, "call_id": c.CallID, "terms_sha256": c.TermsSHA256}})
	return nil
}

// Entry returns p's entry with its images.
func (s *Service) Entry(ctx context.Context, p *access.Principal, id string) (EntryView, error) {
	e, c, err := s.ownEntry(ctx, p, id)
	if err != nil {
		return EntryView{}, err
	}
	return s.entryView(ctx, e, c)
}

func (s *Service) entryView(ctx context.Context, e Entry, c Call) (EntryView, error) {
	t, err := s.store.TermsVersion(ctx, c.ID, c.TermsVersion)
	if err != nil {
		return EntryView{}, err
	}
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return EntryView{}, err
	}
	ids := make([]string, len(imgs))
	for i, im := range imgs {
		ids[i] = im.AssetID
	}
	assets, err := s.library.AssetsOf(ctx, e.UserID, ids)
	if err != nil {
		return EntryView{}, err
	}
	now := s.now()
	return EntryView{Entry: e, Call: c, Terms: t, Images: imgs, Assets: assets,
		NeedsConsent: e.State == EntrySubmitted && e.TermsVersion != c.TermsVersion,
		Editable:     e.State != EntryWithdrawn && c.AcceptsEntries(now) == nil}, nil
}

// MyEntries lists p's entries in every call, newest first.
func (s *Service) MyEntries(ctx context.Context, p *access.Principal) ([]EntryView, error) {
	es, err := s.store.EntriesOfUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]EntryView, 0, len(es))
	for _, e := range es {
		c, err := s.store.CallByID(ctx, e.CallID)
		if err != nil {
			return nil, err
		}
		v, err := s.entryView(ctx, e, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// changeable loads p's entry id for a change: not withdrawn, and the call
// still accepting entries at now.
func (s *Service) changeable(ctx context.Context, p *access.Principal, id string) (Entry, Call, time.Time, error) {
	e, c, err := s.ownEntry(ctx, p, id)
	if err != nil {
		return Entry{}, Call{}, time.Time{}, err
	}
	if e.State == EntryWithdrawn {
		return Entry{}, Call{}, time.Time{}, ErrNotFound
	}
	now := s.now().UTC()
	if err := c.AcceptsEntries(now); err != nil {
		return Entry{}, Call{}, time.Time{}, err
	}
	return e, c, now, nil
}

// UpdateEntry changes p's entry until the deadline (drafts autosave
// through it). A submitted entry whose terms changed must be accepted
// again first; a submitted entry stays eligible: its new images are
// checked as at submission.
func (s *Service) UpdateEntry(ctx context.Context, p *access.Principal, id string, in EntryInput) (Entry, error) {
	e, c, now, err := s.changeable(ctx, p, id)
	if err != nil {
		return Entry{}, err
	}
	if e.State == EntrySubmitted && e.TermsVersion != c.TermsVersion {
		return Entry{}, ErrStaleTerms
	}
	if err := checkEntryFields(&e, c, in); err != nil {
		return Entry{}, err
	}
	var imgs []EntryImage
	if in.AssetIDs != nil {
		old, err := s.store.EntryImages(ctx, e.ID)
		if err != nil {
			return Entry{}, err
		}
		var assets []library.Asset
		imgs, assets, err = s.images(ctx, p.UserID, e.ID, c, *in.AssetIDs, old)
		if err != nil {
			return Entry{}, err
		}
		if e.State == EntrySubmitted {
			if len(imgs) == 0 {
				return Entry{}, ErrImageCount
			}
			if probs := CheckRequirements(c, assets); len(probs) > 0 {
				return Entry{}, &RequirementError{Problems: probs}
			}
		}
		if imgs == nil {
			imgs = []EntryImage{}
		}
	}
	if e.State == EntrySubmitted && (e.Title == "" || len(c.Categories) > 0 && e.Category == "") {
		return Entry{}, ErrInvalidTitle
	}
	e.UpdatedAt = now
	if err := s.store.UpdateEntry(ctx, e, imgs); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Submit submits p's draft with the acceptance of the current terms, or
// records a submitted entry's acceptance of terms that changed.
func (s *Service) Submit(ctx context.Context, p *access.Principal, id string, acc Acceptance) (Entry, error) {
	e, c, now, err := s.changeable(ctx, p, id)
	if err != nil {
		return Entry{}, err
	}
	if e.State == EntrySubmitted && e.TermsVersion == c.TermsVersion {
		return Entry{}, ErrEntrySubmitted
	}
	t, err := s.store.TermsVersion(ctx, c.ID, c.TermsVersion)
	if err != nil {
		return Entry{}, err
	}
	imgs, err := s.store.EntryImages(ctx, e.ID)
	if err != nil {
		return Entry{}, err
	}
	ids := make([]string, len(imgs))
	for i, im := range imgs {
		ids[i] = im.AssetID
	}
	assets, err := s.library.AssetsOf(ctx, p.UserID, ids)
	if err != nil {
		return Entry{}, err
	}
	if len(assets) != len(ids) {
		// An image was deleted from the library since it was added.
		return Entry{}, ErrNotOwnAsset
	}
	consent, err := s.readyToSubmit(e, CallGrant{Call: c, Terms: t}, imgs, assets, acc, now)
	if err != nil {
		return Entry{}, err
	}
	if e.State == EntryDraft {
		e.SubmittedAt = now
	}
	e.State, e.TermsVersion, e.UpdatedAt = EntrySubmitted, t.Version, now
	if err := s.store.UpdateEntry(ctx, e, nil); err != nil {
		return Entry{}, err
	}
	if err := s.recordConsent(ctx, consent); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Withdraw withdraws p's entry before the deadline: a draft is deleted,
// a submitted entry withdrawn with its consent, and its images are no
// longer shown to anyone at the organization.
func (s *Service) Withdraw(ctx context.Context, p *access.Principal, id string) error {
	e, c, now, err := s.changeable(ctx, p, id)
	if err != nil {
		return err
	}
	if e.State == EntryDraft {
		return s.store.DeleteEntry(ctx, e.ID)
	}
	e.State, e.WithdrawnAt, e.UpdatedAt = EntryWithdrawn, now, now
	if err := s.store.UpdateEntry(ctx, e, nil); err != nil {
		return err
	}
	if err := s.store.WithdrawEntryConsents(ctx, e.ID, now); err != nil {
		return err
	}
	s.record(ctx, audit.Event{Type: audit.ConsentWithdrawn, ActorID: p.UserID, SubjectID: p.UserID,
		Details: map[string]string{"kind": ConsentCallTerms, "call_id": c.ID, "entry_id": e.ID}})
	return nil
}

// Consents lists the consents p gave in calls for entries (their terms,
// originals releases), newest first. The whole ledger, sign-up records
// included, is package privacy's.
func (s *Service) Consents(ctx context.Context, p *access.Principal) ([]Consent, error) {
	cs, err := s.store.ConsentsOfUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	cs = slices.DeleteFunc(cs, func(c Consent) bool { return c.Kind != ConsentCallTerms && c.Kind != ConsentOriginalsRelease })
	slices.SortStableFunc(cs, func(a, b Consent) int { return b.At.Compare(a.At) })
	return cs, nil
}

// WithdrawConsent withdraws one of p's consents. A call's terms are
// withdrawn with the entry (until the deadline); an originals release
// any time, and the organization can no longer download that original.
func (s *Service) WithdrawConsent(ctx context.Context, p *access.Principal, id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	c, err := s.store.ConsentByID(ctx, id)
	if err != nil {
		return err
	}
	if c.UserID != p.UserID {
		return ErrNotFound
	}
	if !c.WithdrawnAt.IsZero() {
		return nil
	}
	switch c.Kind {
	case ConsentCallTerms:
		err := s.Withdraw(ctx, p, c.EntryID)
		if errors.Is(err, ErrNotFound) {
			// The entry is gone or withdrawn already: close the record.
			return s.store.WithdrawConsent(ctx, c.ID, s.now().UTC())
		}
		return err
	case ConsentOriginalsRelease:
		now := s.now().UTC()
		if err := s.store.WithdrawConsent(ctx, c.ID, now); err != nil {
			return err
		}
		if err := s.store.WithdrawOriginalsRelease(ctx, c.ID, now); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		s.record(ctx, audit.Event{Type: audit.ConsentWithdrawn, ActorID: p.UserID, SubjectID: p.UserID,
			Details: map[string]string{"consent_id": c.ID, "kind": c.Kind, "call_id": c.CallID}})
		return nil
	}
	if withdraw := s.withdrawers[c.Kind]; withdraw != nil {
		return withdraw(ctx, c)
	}
	return ErrNotFound
}

// HandleWithdrawal has withdraw close the records of kind, which another
// package keeps in the same ledger (package privacy: the consent to
// optional e-mails), when their holder withdraws one with
// WithdrawConsent — the ledger's one withdraw action. withdraw gets only
// the caller's own record, not yet withdrawn. Kinds without a handler
// (the terms of use: the contract ends with erasure) cannot be
// withdrawn. Set before serving.
func (s *Service) HandleWithdrawal(kind string, withdraw func(ctx context.Context, c Consent) error) {
	if s.withdrawers == nil {
		s.withdrawers = map[string]func(ctx context.Context, c Consent) error{}
	}
	s.withdrawers[kind] = withdraw
}

// ConsentView is one of p's consents with the call and organization it
// was given to (zero for the instance's own records), for its receipt.
type ConsentView struct {
	Consent
	Call Call
	Org  Org
}

// Consent returns p's consent id; anyone else's is ErrNotFound.
func (s *Service) Consent(ctx context.Context, p *access.Principal, id string) (ConsentView, error) {
	if p == nil || !validID(id) {
		return ConsentView{}, ErrNotFound
	}
	c, err := s.store.ConsentByID(ctx, id)
	if err != nil {
		return ConsentView{}, err
	}
	if c.UserID != p.UserID {
		return ConsentView{}, ErrNotFound
	}
	if c.CallID == "" {
		// A record of the instance's own (package privacy: sign-up).
		return ConsentView{Consent: c}, nil
	}
	call, err := s.store.CallByID(ctx, c.CallID)
	if err != nil {
		return ConsentView{}, err
	}
	o, err := s.store.OrgByID(ctx, call.OrgID)
	if err != nil {
		return ConsentView{}, err
	}
	return ConsentView{Consent: c, Call: call, Org: o}, nil
}
