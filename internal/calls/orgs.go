package calls

import (
	"context"
	"errors"
	"fmt"

	"safelight/internal/access"
	"safelight/internal/auth"
)

// CreateOrg makes an organization with p as its owner. The owner's role
// is tied to their address like every member's, so the address must be
// verified.
func (s *Service) CreateOrg(ctx context.Context, p *access.Principal, name string) (Org, error) {
	n, ok := cleanText(name, 200, false)
	if !ok || n == "" {
		return Org{}, ErrInvalidOrgName
	}
	u, err := s.verifiedUser(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return Org{}, ErrUnverifiedEmail
	} else if err != nil {
		return Org{}, err
	}
	now := s.now().UTC()
	o := Org{ID: newID(), Name: n, CreatedBy: u.ID, CreatedAt: now}
	m := OrgMember{ID: newID(), OrgID: o.ID, Email: u.Email, Role: RoleOwner, InvitedBy: u.ID, CreatedAt: now}
	if err := s.store.CreateOrg(ctx, o, m); err != nil {
		return Org{}, fmt.Errorf("calls: create organization: %w", err)
	}
	s.orgChanged(ctx, u.ID, o.ID, "org_created", nil)
	return o, nil
}

// Orgs lists the organizations p belongs to, with p's role in each.
func (s *Service) Orgs(ctx context.Context, p *access.Principal) ([]OrgGrant, error) {
	u, err := s.verifiedUser(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	orgs, members, err := s.store.OrgsOfEmail(ctx, u.Email)
	if err != nil {
		return nil, fmt.Errorf("calls: organizations: %w", err)
	}
	out := make([]OrgGrant, len(orgs))
	for i := range orgs {
		out[i] = OrgGrant{Org: orgs[i], Member: members[i], User: u}
	}
	return out, nil
}

// Members lists the organization's members; any member may read them
// (a juror knows who else runs the call).
func (s *Service) Members(ctx context.Context, g OrgGrant) ([]OrgMember, error) {
	return s.store.OrgMembers(ctx, g.Org.ID)
}

// AddMember gives an address a role; owners add anyone, managers add
// jurors and viewers. As for project members, the caller does not learn
// whether the address has an account.
func (s *Service) AddMember(ctx context.Context, g OrgGrant, email string, role OrgRole) (OrgMember, error) {
	if !g.Manages() {
		return OrgMember{}, ErrForbidden
	}
	if !role.Valid() {
		return OrgMember{}, ErrInvalidRole
	}
	if g.Member.Role != RoleOwner && role.Manages() {
		return OrgMember{}, ErrForbidden
	}
	addr, err := auth.NormalizeEmail(email)
	if err != nil {
		return OrgMember{}, err
	}
	m := OrgMember{ID: newID(), OrgID: g.Org.ID, Email: addr, Role: role, InvitedBy: g.User.ID, CreatedAt: s.now().UTC()}
	if err := s.store.CreateOrgMember(ctx, m); err != nil {
		return OrgMember{}, err
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "member_added", map[string]string{"member_id": m.ID, "role": string(role)})
	s.mailOrgInvite(ctx, g, m)
	return m, nil
}

// UpdateMember changes a member's role; owners only.
func (s *Service) UpdateMember(ctx context.Context, g OrgGrant, memberID string, role OrgRole) error {
	if g.Member.Role != RoleOwner {
		return ErrForbidden
	}
	if !role.Valid() {
		return ErrInvalidRole
	}
	if !validID(memberID) {
		return ErrNotFound
	}
	if err := s.store.UpdateOrgMember(ctx, g.Org.ID, memberID, role); err != nil {
		return err
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "member_changed", map[string]string{"member_id": memberID, "role": string(role)})
	return nil
}

// RemoveMember ends a member's role at once; owners remove anyone,
// managers jurors and viewers, and anyone may leave.
func (s *Service) RemoveMember(ctx context.Context, g OrgGrant, memberID string) error {
	if !validID(memberID) {
		return ErrNotFound
	}
	if g.Member.ID != memberID && g.Member.Role != RoleOwner {
		if !g.Manages() {
			return ErrForbidden
		}
		members, err := s.store.OrgMembers(ctx, g.Org.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.ID == memberID && m.Role.Manages() {
				return ErrForbidden
			}
		}
	}
	if err := s.store.DeleteOrgMember(ctx, g.Org.ID, memberID); err != nil {
		return err
	}
	s.orgChanged(ctx, g.User.ID, g.Org.ID, "member_removed", map[string]string{"member_id": memberID})
	return nil
}
