package sharing

import (
	"context"
	"errors"
	"fmt"

	"safelight/internal/audit"
	"safelight/internal/auth"
)

// Members lists the project's members; owner and editors.
func (s *Service) Members(ctx context.Context, g Grant) ([]Member, error) {
	if !g.CanEdit() {
		return nil, ErrForbidden
	}
	return s.store.MembersOf(ctx, g.Project.ID)
}

// Invite adds email as a member with role and download. The grant holds
// for whoever has a verified account with that address, now or later;
// the answer is the same whether or not such an account exists. Editors
// may invite, but never give more than their own download policy or
// make owners. Inviting the project's owner is refused.
func (s *Service) Invite(ctx context.Context, g Grant, email string, role Role, download Download, c auth.Client) (Member, error) {
	if !g.CanEdit() {
		return Member{}, ErrForbidden
	}
	e, err := auth.NormalizeEmail(email)
	if err != nil {
		return Member{}, err
	}
	if !role.Valid() {
		return Member{}, ErrInvalidRole
	}
	if !download.Valid() {
		return Member{}, ErrInvalidDownload
	}
	if !g.Owner && !downloadWithin(download, g.Download) {
		return Member{}, ErrForbidden
	}
	owner, err := s.accounts.User(ctx, g.Project.OwnerID)
	if err != nil {
		return Member{}, fmt.Errorf("sharing: invite: %w", err)
	}
	if e == owner.Email {
		return Member{}, ErrInviteSelf
	}
	actor := g.Reviewer.ID
	m := Member{ID: newID(), ProjectID: g.Project.ID, Email: e, Role: role, Download: download, InvitedBy: actor, CreatedAt: s.now().UTC()}
	if err := s.store.CreateMember(ctx, m); errors.Is(err, ErrAlreadyMember) {
		return Member{}, ErrAlreadyMember
	} else if err != nil {
		return Member{}, fmt.Errorf("sharing: invite: %w", err)
	}
	s.shareChanged(ctx, g, actor, "member_added", map[string]string{"member_id": m.ID, "role": string(role), "download": string(download)}, c)
	s.mailInvite(ctx, g.Project, owner.Name, m)
	return m, nil
}

// downloadWithin reports whether d gives no more than limit.
func downloadWithin(d, limit Download) bool {
	rank := map[Download]int{DownloadNone: 0, DownloadPreview: 1, DownloadOriginal: 2}
	return rank[d] <= rank[limit]
}

// UpdateMember changes a member's role or download policy.
func (s *Service) UpdateMember(ctx context.Context, g Grant, memberID string, role *Role, download *Download, c auth.Client) (Member, error) {
	if !g.CanEdit() {
		return Member{}, ErrForbidden
	}
	m, err := s.member(ctx, g, memberID)
	if err != nil {
		return Member{}, err
	}
	if role != nil {
		if !role.Valid() {
			return Member{}, ErrInvalidRole
		}
		m.Role = *role
	}
	if download != nil {
		if !download.Valid() {
			return Member{}, ErrInvalidDownload
		}
		if !g.Owner && !downloadWithin(*download, g.Download) {
			return Member{}, ErrForbidden
		}
		m.Download = *download
	}
	if err := s.store.UpdateMember(ctx, m); err != nil {
		return Member{}, fmt.Errorf("sharing: update member: %w", err)
	}
	s.shareChanged(ctx, g, g.Reviewer.ID, "member_changed", map[string]string{"member_id": m.ID, "role": string(m.Role), "download": string(m.Download)}, c)
	return m, nil
}

func (s *Service) member(ctx context.Context, g Grant, memberID string) (Member, error) {
	if !validID(memberID) {
		return Member{}, ErrNotFound
	}
	ms, err := s.store.MembersOf(ctx, g.Project.ID)
	if err != nil {
		return Member{}, err
	}
	for _, m := range ms {
		if m.ID == memberID {
			return m, nil
		}
	}
	return Member{}, ErrNotFound
}

// RemoveMember ends a member's access to the project, on every endpoint
// at once: grants are looked up on every request.
func (s *Service) RemoveMember(ctx context.Context, g Grant, memberID string, c auth.Client) error {
	if !g.CanEdit() {
		return ErrForbidden
	}
	if !validID(memberID) {
		return ErrNotFound
	}
	if err := s.store.DeleteMember(ctx, g.Project.ID, memberID); err != nil {
		return err
	}
	s.shareChanged(ctx, g, g.Reviewer.ID, "member_removed", map[string]string{"member_id": memberID}, c)
	return nil
}

// shareChanged records a change of who may see the project, about its
// owner.
func (s *Service) shareChanged(ctx context.Context, g Grant, actorID, change string, details map[string]string, c auth.Client) {
	d := map[string]string{"project_id": g.Project.ID, "change": change}
	for k, v := range details {
		d[k] = v
	}
	s.record(ctx, audit.Event{Type: audit.ShareChanged, ActorID: actorID, SubjectID: g.Project.OwnerID, IP: c.IP, UserAgent: c.UserAgent, Details: d})
}
