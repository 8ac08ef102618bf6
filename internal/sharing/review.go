package sharing

import (
	"context"
	"fmt"
	"slices"
)

// MarkInput is a review change; nil fields stay as they are. An empty
// label or flag clears it, as rating 0 does.
type MarkInput struct {
	Rating *int
	Label  *string
	Flag   *string
}

// reviewer returns who marks for g, or ErrGuestNeeded for a link holder
// who has not given a name yet.
func reviewer(g Grant) (Reviewer, error) {
	if !g.CanReview() {
		return Reviewer{}, ErrForbidden
	}
	if g.Reviewer.ID == "" {
		return Reviewer{}, ErrGuestNeeded
	}
	return g.Reviewer, nil
}

func (s *Service) inProject(ctx context.Context, g Grant, assetID string) error {
	if !validID(assetID) {
		return ErrNotFound
	}
	in, err := s.store.InProject(ctx, g.Project.ID, assetID)
	if err != nil {
		return err
	}
	if !in {
		return ErrNotFound
	}
	return nil
}

// PutMark changes g's own mark of an asset of the project: rating 0–5,
// colour label, flag.
func (s *Service) PutMark(ctx context.Context, g Grant, assetID string, in MarkInput) (Mark, error) {
	// An asset outside the project is not found, whoever asks.
	if err := s.inProject(ctx, g, assetID); err != nil {
		return Mark{}, err
	}
	r, err := reviewer(g)
	if err != nil {
		return Mark{}, err
	}
	if in.Rating != nil && (*in.Rating < 0 || *in.Rating > 5) {
		return Mark{}, ErrInvalidRating
	}
	if in.Label != nil && *in.Label != "" && !slices.Contains(Labels, *in.Label) {
		return Mark{}, ErrInvalidLabel
	}
	if in.Flag != nil && *in.Flag != "" && *in.Flag != FlagPick && *in.Flag != FlagReject {
		return Mark{}, ErrInvalidFlag
	}
	m := Mark{ProjectID: g.Project.ID, AssetID: assetID, Reviewer: r}
	marks, err := s.store.MarksOf(ctx, g.Project.ID)
	if err != nil {
		return Mark{}, err
	}
	for _, old := range marks {
		if old.AssetID == assetID && old.Reviewer == r {
			m = old
		}
	}
	if in.Rating != nil {
		m.Rating = *in.Rating
	}
	if in.Label != nil {
		m.Label = *in.Label
	}
	if in.Flag != nil {
		m.Flag = *in.Flag
	}
	m.UpdatedAt = s.now().UTC()
	if err := s.store.PutMark(ctx, m); err != nil {
		return Mark{}, fmt.Errorf("sharing: mark: %w", err)
	}
	return m, nil
}

// AddComment adds g's plain-text comment to an asset of the project.
func (s *Service) AddComment(ctx context.Context, g Grant, assetID, body string) (Comment, error) {
	if err := s.inProject(ctx, g, assetID); err != nil {
		return Comment{}, err
	}
	r, err := reviewer(g)
	if err != nil {
		return Comment{}, err
	}
	b, ok := cleanText(body, 5000, true)
	if !ok || b == "" {
		return Comment{}, ErrInvalidComment
	}
	c := Comment{ID: newID(), ProjectID: g.Project.ID, AssetID: assetID, Author: r, Body: b, CreatedAt: s.now().UTC()}
	if err := s.store.CreateComment(ctx, c); err != nil {
		return Comment{}, fmt.Errorf("sharing: comment: %w", err)
	}
	return c, nil
}

// FinishReview records that g is done reviewing and tells the owner (an
// in-app notification; the caller may mail it too). Pressing it again
// updates the time and notifies again.
func (s *Service) FinishReview(ctx context.Context, g Grant) (Notification, error) {
	r, err := reviewer(g)
	if err != nil {
		return Notification{}, err
	}
	if g.Owner {
		return Notification{}, ErrForbidden
	}
	now := s.now().UTC()
	if err := s.store.PutDone(ctx, Done{ProjectID: g.Project.ID, Reviewer: r, At: now}); err != nil {
		return Notification{}, fmt.Errorf("sharing: done: %w", err)
	}
	n := Notification{ID: newID(), UserID: g.Project.OwnerID, Kind: "review_done", ProjectID: g.Project.ID,
		Text: fmt.Sprintf("%s finished reviewing “%s”.", g.Label, g.Project.Name), CreatedAt: now}
	if err := s.store.CreateNotification(ctx, n); err != nil {
		return Notification{}, fmt.Errorf("sharing: notify: %w", err)
	}
	if owner, err := s.accounts.User(ctx, g.Project.OwnerID); err == nil {
		s.mailDone(ctx, g.Project, owner.Email, g.Label)
	}
	return n, nil
}

// ReviewerInfo names a reviewer for the owner.
type ReviewerInfo struct {
	Reviewer Reviewer
	Name     string // a member's e-mail address, or a guest's name
	Email    string // a guest's address as given; a member's address
	Via      string // "member" or "link:<id>"
	DoneAt   string // RFC 3339, "" while reviewing
}

// Reviewers lists who marked, commented or finished in the project, for
// its owner and editors.
func (s *Service) Reviewers(ctx context.Context, g Grant) ([]ReviewerInfo, error) {
	if !g.CanEdit() {
		return nil, ErrForbidden
	}
	seen := map[Reviewer]*ReviewerInfo{}
	var order []Reviewer
	add := func(r Reviewer) *ReviewerInfo {
		if ri, ok := seen[r]; ok {
			return ri
		}
		ri := &ReviewerInfo{Reviewer: r}
		seen[r] = ri
		order = append(order, r)
		return ri
	}
	marks, err := s.store.MarksOf(ctx, g.Project.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range marks {
		add(m.Reviewer)
	}
	comments, err := s.store.CommentsOf(ctx, g.Project.ID, "")
	if err != nil {
		return nil, err
	}
	for _, c := range comments {
		add(c.Author)
	}
	dones, err := s.store.DonesOf(ctx, g.Project.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range dones {
		add(d.Reviewer).DoneAt = d.At.Format("2006-01-02T15:04:05Z07:00")
	}
	links, err := s.store.LinksOf(ctx, g.Project.ID)
	if err != nil {
		return nil, err
	}
	guests := map[string]Guest{}
	for _, l := range links {
		gs, err := s.store.GuestsOf(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		for _, gu := range gs {
			guests[gu.ID] = gu
		}
	}
	out := make([]ReviewerInfo, 0, len(order))
	for _, r := range order {
		ri := *seen[r]
		switch r.Kind {
		case "guest":
			if gu, ok := guests[r.ID]; ok {
				ri.Name, ri.Email, ri.Via = gu.Name, gu.Email, "link:"+gu.LinkID
			} else { // deleted with its ended link (retention.go)
				ri.Name, ri.Via = EndedGuestName, endedGuestVia
			}
		case "user":
			if r.ID == g.Project.OwnerID {
				ri.Name, ri.Via = "you", "owner"
			} else if r.ID == ErasedReviewerID {
				ri.Name = ErasedReviewerName
			} else if u, err := s.accounts.User(ctx, r.ID); err == nil {
				ri.Name, ri.Email, ri.Via = u.Name, u.Email, "member"
			}
		}
		out = append(out, ri)
	}
	return out, nil
}

// ErasedReviewerID is the author id of comments whose author erased their
// account (package privacy): the comment stays in the owner's project,
// shown as ErasedReviewerName.
const (
	ErasedReviewerID   = "deleted-user"
	ErasedReviewerName = "deleted user"
)

// Notifications lists p's in-app notifications, newest first.
func (s *Service) Notifications(ctx context.Context, userID string) ([]Notification, error) {
	return s.store.NotificationsOf(ctx, userID, 50)
}

// MarkNotificationsRead marks all of userID's notifications read.
func (s *Service) MarkNotificationsRead(ctx context.Context, userID string) error {
	return s.store.MarkNotificationsRead(ctx, userID, s.now().UTC())
}
