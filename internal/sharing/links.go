package sharing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"safelight/internal/auth"
	"safelight/internal/media"
)

// Link passwords: any text of this length; they guard one share, are
// rate-limited per address, and are not account passwords.
const (
	minLinkPassword = 8
	maxLinkPassword = 1024
)

// ErrInvalidLinkPassword is returned for a link password of the wrong
// length.
var ErrInvalidLinkPassword = fmt.Errorf("a link password must be %d to %d characters", minLinkPassword, maxLinkPassword)

// LinkOptions are what an owner chooses for a review link.
type LinkOptions struct {
	Password  string    // "" for none
	ExpiresAt time.Time // zero: the default life (Config.LinkTTL)
	Download  Download
	Watermark string // "" for none
}

// CheckWatermark validates and normalizes watermark text (package media:
// 1 to 60 printable characters; drawn literally, never as markup).
func CheckWatermark(text string) (string, error) {
	return media.CheckWatermarkText(text)
}

func (s *Service) hashLinkPassword(pw string) (string, error) {
	if n := utf8.RuneCountInString(pw); n < minLinkPassword || n > maxLinkPassword || !utf8.ValidString(pw) {
		return "", ErrInvalidLinkPassword
	}
	return auth.HashPassword(pw, s.cfg.Password)
}

// CreateLink makes a review link to the project; owner only, since a link
// reaches people the owner has not named. It returns the link and its
// secret token, shown once.
func (s *Service) CreateLink(ctx context.Context, g Grant, o LinkOptions, c auth.Client) (Link, string, error) {
	if !g.Owner {
		return Link{}, "", ErrForbidden
	}
	if !o.Download.Valid() {
		return Link{}, "", ErrInvalidDownload
	}
	now := s.now().UTC()
	exp := o.ExpiresAt
	if exp.IsZero() {
		exp = now.Add(s.cfg.LinkTTL)
	}
	switch {
	case !exp.After(now):
		return Link{}, "", ErrExpiryPast
	case exp.After(now.Add(s.cfg.MaxLinkTTL)):
		return Link{}, "", ErrExpiryTooLate
	}
	l := Link{ID: newID(), ProjectID: g.Project.ID, Download: o.Download, ExpiresAt: exp.UTC(), CreatedBy: g.Project.OwnerID, CreatedAt: now}
	if o.Watermark != "" {
		w, err := CheckWatermark(o.Watermark)
		if err != nil {
			return Link{}, "", err
		}
		l.Watermark = w
	}
	if o.Password != "" {
		h, err := s.hashLinkPassword(o.Password)
		if err != nil {
			return Link{}, "", err
		}
		l.PasswordHash, l.PasswordVersion = h, 1
	}
	token, hash := newSecret(linkPrefix)
	l.TokenHash = hash
	if err := s.store.CreateLink(ctx, l); err != nil {
		return Link{}, "", fmt.Errorf("sharing: create link: %w", err)
	}
	s.shareChanged(ctx, g, g.Project.OwnerID, "link_created", map[string]string{"link_id": l.ID, "download": string(l.Download),
		"password": fmt.Sprint(l.PasswordHash != ""), "expires_at": l.ExpiresAt.Format(time.RFC3339)}, c)
	return l, token, nil
}

// Links lists the project's links, revoked ones included; owner only.
func (s *Service) Links(ctx context.Context, g Grant) ([]Link, error) {
	if !g.Owner {
		return nil, ErrForbidden
	}
	return s.store.LinksOf(ctx, g.Project.ID)
}

func (s *Service) link(ctx context.Context, g Grant, linkID string) (Link, error) {
	if !validID(linkID) {
		return Link{}, ErrNotFound
	}
	ls, err := s.store.LinksOf(ctx, g.Project.ID)
	if err != nil {
		return Link{}, err
	}
	for _, l := range ls {
		if l.ID == linkID && l.RevokedAt.IsZero() {
			return l, nil
		}
	}
	return Link{}, ErrNotFound
}

// RevokeLink ends a link: every endpoint of it answers not found at once.
func (s *Service) RevokeLink(ctx context.Context, g Grant, linkID string, c auth.Client) error {
	if !g.Owner {
		return ErrForbidden
	}
	if _, err := s.link(ctx, g, linkID); err != nil {
		return err
	}
	if err := s.store.RevokeLink(ctx, g.Project.ID, linkID, s.now().UTC()); err != nil {
		return err
	}
	s.shareChanged(ctx, g, g.Project.OwnerID, "link_revoked", map[string]string{"link_id": linkID}, c)
	return nil
}

// SetLinkPassword sets, changes or (with "") removes a link's password.
// Every browser that unlocked it with the old one has to unlock again.
func (s *Service) SetLinkPassword(ctx context.Context, g Grant, linkID, password string, c auth.Client) error {
	if !g.Owner {
		return ErrForbidden
	}
	l, err := s.link(ctx, g, linkID)
	if err != nil {
		return err
	}
	l.PasswordHash = ""
	if password != "" {
		if l.PasswordHash, err = s.hashLinkPassword(password); err != nil {
			return err
		}
	}
	l.PasswordVersion++
	if err := s.store.UpdateLink(ctx, l); err != nil {
		return fmt.Errorf("sharing: link password: %w", err)
	}
	s.shareChanged(ctx, g, g.Project.OwnerID, "link_password_changed", map[string]string{"link_id": l.ID, "password": fmt.Sprint(password != "")}, c)
	return nil
}

// liveLink returns the usable link with token and its project; revoked,
// expired and unknown tokens, and links of an owner who restricted
// processing, are all ErrNotFound.
func (s *Service) liveLink(ctx context.Context, token string) (Link, Project, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, linkPrefix) || len(token) > 100 {
		return Link{}, Project{}, ErrNotFound
	}
	l, err := s.store.LinkByHash(ctx, hashSecret(token))
	if err != nil {
		return Link{}, Project{}, err
	}
	if !l.RevokedAt.IsZero() || !s.now().Before(l.ExpiresAt) {
		return Link{}, Project{}, ErrNotFound
	}
	pr, err := s.store.ProjectByID(ctx, l.ProjectID)
	if err != nil {
		return Link{}, Project{}, err
	}
	if err := s.checkNotRestricted(ctx, pr.OwnerID); err != nil {
		return Link{}, Project{}, err // not even the password prompt
	}
	return l, pr, nil
}

// LinkSecrets are what a browser brings to a link besides its token.
type LinkSecrets struct {
	Unlock string // from Unlock, when the link has a password
	Guest  string // from JoinAsGuest
}

// OpenLink returns the grant a link's holder has: review rights with the
// link's download policy. ErrNotFound for unknown, revoked or expired
// links; ErrPasswordNeeded when the link has a password and sec carries
// no unlock made with the current one.
func (s *Service) OpenLink(ctx context.Context, token string, sec LinkSecrets) (Grant, error) {
	l, pr, err := s.liveLink(ctx, token)
	if err != nil {
		return Grant{}, err
	}
	if l.PasswordHash != "" {
		if !s.unlocked(ctx, l, sec.Unlock) {
			return Grant{}, ErrPasswordNeeded
		}
	}
	g := Grant{Project: pr, Role: RoleReviewer, Download: l.Download, Via: "link:" + l.ID, Label: "guest", Link: &l}
	if strings.HasPrefix(sec.Guest, guestPrefix) {
		if guest, err := s.store.GuestByHash(ctx, hashSecret(sec.Guest)); err == nil && guest.LinkID == l.ID {
			g.Guest, g.Label = &guest, guest.Name
			g.Reviewer = Reviewer{Kind: "guest", ID: guest.ID}
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return Grant{}, err
		}
	}
	return g, nil
}

func (s *Service) unlocked(ctx context.Context, l Link, secret string) bool {
	if !strings.HasPrefix(secret, unlockPrefix) {
		return false
	}
	u, err := s.store.UnlockByHash(ctx, hashSecret(secret))
	return err == nil && u.LinkID == l.ID && u.PasswordVersion == l.PasswordVersion && s.now().Before(u.ExpiresAt)
}

// Unlock checks a link's password and returns a secret for a cookie that
// opens that link, and only it, until expires (at most Config.UnlockTTL,
// never past the link's own end) or the password changes. A link without
// a password needs no unlock ("", zero time, nil). Wrong passwords are
// ErrWrongPassword; the caller rate-limits them per address.
func (s *Service) Unlock(ctx context.Context, token, password string) (string, time.Time, error) {
	l, _, err := s.liveLink(ctx, token)
	if err != nil {
		return "", time.Time{}, err
	}
	if l.PasswordHash == "" {
		_, _, _ = auth.VerifyPassword(s.dummyHash, password, s.cfg.Password)
		return "", time.Time{}, nil
	}
	ok, _, err := auth.VerifyPassword(l.PasswordHash, password, s.cfg.Password)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sharing: unlock: %w", err)
	}
	if !ok {
		return "", time.Time{}, ErrWrongPassword
	}
	now := s.now().UTC()
	exp := now.Add(s.cfg.UnlockTTL)
	if l.ExpiresAt.Before(exp) {
		exp = l.ExpiresAt
	}
	secret, hash := newSecret(unlockPrefix)
	if err := s.store.CreateUnlock(ctx, Unlock{TokenHash: hash, LinkID: l.ID, PasswordVersion: l.PasswordVersion, ExpiresAt: exp}); err != nil {
		return "", time.Time{}, fmt.Errorf("sharing: unlock: %w", err)
	}
	return secret, exp, nil
}

// JoinAsGuest records the name and e-mail address a link's holder gives
// before reviewing, and returns a secret for their guest cookie.
func (s *Service) JoinAsGuest(ctx context.Context, g Grant, name, email string) (Guest, string, error) {
	if g.Link == nil {
		return Guest{}, "", ErrNotFound
	}
	n, ok := cleanText(name, 200, false)
	if !ok || n == "" {
		return Guest{}, "", ErrInvalidGuest
	}
	e, err := auth.NormalizeEmail(email)
	if err != nil {
		return Guest{}, "", ErrInvalidGuest
	}
	secret, hash := newSecret(guestPrefix)
	guest := Guest{ID: newID(), LinkID: g.Link.ID, TokenHash: hash, Name: n, Email: e, CreatedAt: s.now().UTC()}
	if err := s.store.CreateGuest(ctx, guest); err != nil {
		return Guest{}, "", fmt.Errorf("sharing: guest: %w", err)
	}
	return guest, secret, nil
}

// SweepUnlocks deletes unlocks past their end; run periodically.
func (s *Service) SweepUnlocks(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredUnlocks(ctx, s.now().UTC())
}
