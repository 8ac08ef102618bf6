package sharing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/library"
	"safelight/internal/mail"
	"safelight/internal/secret"
)

// Config holds the sharing rules of an instance.
type Config struct {
	LinkTTL    time.Duration // default life of a review link
	MaxLinkTTL time.Duration // the longest an owner may choose
	UnlockTTL  time.Duration // how long a link stays open after its password
	Password   auth.PasswordParams
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		LinkTTL:    30 * 24 * time.Hour,
		MaxLinkTTL: 365 * 24 * time.Hour,
		UnlockTTL:  12 * time.Hour,
		Password:   auth.DefaultPasswordParams,
	}
}

// Accounts is what sharing needs to know about accounts.
type Accounts interface {
	User(ctx context.Context, id string) (auth.User, error)
}

// Service runs projects, members, links and reviews. Safe for concurrent
// use.
type Service struct {
	store    Store
	library  *library.Service
	accounts Accounts
	audit    *audit.Recorder
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	// dummyHash is checked when a link has no password to compare with,
	// so that a wrong guess costs the same.
	dummyHash string
	mail      *mailer // nil until SetMail (mail.go)
	// optionalMail decides whether an optional e-mail may go to an
	// account; nil sends none (SetOptionalMailConsent, mail.go).
	optionalMail mail.Consent
}

// NewService returns a Service.
func NewService(store Store, lib *library.Service, accounts Accounts, rec *audit.Recorder, cfg Config, log *slog.Logger) (*Service, error) {
	dummy, err := auth.HashPassword("safelight dummy link password", cfg.Password)
	if err != nil {
		return nil, err
	}
	return &Service{store: store, library: lib, accounts: accounts, audit: rec, cfg: cfg,
		log: log.With("component", "sharing"), now: time.Now, dummyHash: dummy}, nil
}

// SetClock replaces the clock; for tests of expiry.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Config returns the rules the service runs with.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) record(ctx context.Context, e audit.Event) { _ = s.audit.Record(ctx, e) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Secret prefixes, recognizable to secret scanners (see package auth).
const (
	linkPrefix   = "slk_"
	unlockPrefix = "slu_"
	guestPrefix  = "slg_"
)

func newSecret(prefix string) (string, []byte) { return secret.New(prefix) }

func hashSecret(s string) []byte { return secret.Hash(s) }

// validID reports whether id has the form of the ids this package makes,
// so that malformed ones are not found without a query.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// cleanText trims s and checks it is printable text of at most max runes
// (newlines allowed when multiline).
func cleanText(s string, max int, multiline bool) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", false
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if r == '\r' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", false
		}
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s, true
}

// Grant is what a caller may do in one project, and how they got it.
type Grant struct {
	Project  Project
	Owner    bool
	Role     Role     // the owner counts as editor
	Download Download // the owner may download everything
	// Via names the grant in the owner's access log: "owner",
	// "member:<id>" or "link:<id>".
	Via      string
	Label    string   // who, for the owner: a member's e-mail, a guest's name
	Reviewer Reviewer // who marks; empty for a link holder not yet named
	Link     *Link    // the link used, if any
	Guest    *Guest   // the link's guest, once named
}

// viewer is the access-log entry of g.
func (g Grant) viewer() library.Viewer {
	if g.Owner {
		return library.Viewer{ActorID: g.Project.OwnerID, Label: "you", Via: "owner"}
	}
	v := library.Viewer{Label: g.Label, Via: g.Via}
	if g.Reviewer.Kind == "user" {
		v.ActorID = g.Reviewer.ID
	}
	return v
}

// CanEdit reports whether g may change the project's assets and members.
func (g Grant) CanEdit() bool { return g.Owner || g.Role == RoleEditor }

// CanReview reports whether g may mark and comment.
func (g Grant) CanReview() bool { return g.Owner || g.Role.CanReview() }

// ProjectFor returns the grant p holds on project id: owner or member
// (by the account's verified e-mail address). Anything else is
// ErrNotFound.
func (s *Service) ProjectFor(ctx context.Context, p *access.Principal, id string) (Grant, error) {
	if p == nil || !validID(id) {
		return Grant{}, ErrNotFound
	}
	pr, err := s.store.ProjectByID(ctx, id)
	if err != nil {
		return Grant{}, err
	}
	if pr.OwnerID == p.UserID {
		return Grant{Project: pr, Owner: true, Role: RoleEditor, Download: DownloadOriginal, Via: "owner", Label: "you",
			Reviewer: Reviewer{Kind: "user", ID: p.UserID}}, nil
	}
	if err := s.checkNotRestricted(ctx, pr.OwnerID); err != nil {
		return Grant{}, err
	}
	email, err := s.verifiedEmail(ctx, p.UserID)
	if err != nil || email == "" {
		return Grant{}, ErrNotFound
	}
	m, err := s.store.MemberByEmail(ctx, pr.ID, email)
	if err != nil {
		return Grant{}, err
	}
	return Grant{Project: pr, Role: m.Role, Download: m.Download, Via: "member:" + m.ID, Label: m.Email,
		Reviewer: Reviewer{Kind: "user", ID: p.UserID}}, nil
}

// checkNotRestricted answers ErrNotFound when the owner restricted the
// processing of their data (GDPR Art. 18, auth.User.Restricted): every
// grant to someone else is frozen until they lift it, and a frozen share
// must look like no share at all.
func (s *Service) checkNotRestricted(ctx context.Context, ownerID string) error {
	if frozen, err := auth.HolderRestricted(ctx, s.accounts, ownerID); err != nil {
		return err
	} else if frozen {
		return ErrNotFound
	}
	return nil
}

// verifiedEmail returns the account's address once its owner has proved
// they read it, else "": an unverified address must not collect what was
// shared with whoever really holds it.
func (s *Service) verifiedEmail(ctx context.Context, userID string) (string, error) {
	u, err := s.accounts.User(ctx, userID)
	if errors.Is(err, auth.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if u.EmailVerifiedAt.IsZero() || !u.DisabledAt.IsZero() {
		return "", nil
	}
	return u.Email, nil
}

// ProjectInput is what an owner sets on a project; nil fields stay.
type ProjectInput struct {
	Name        *string
	Description *string
	CoverID     *string
	ShowCamera  *bool
}

func checkProjectName(name string) (string, error) {
	n, ok := cleanText(name, 200, false)
	if !ok || n == "" {
		return "", ErrInvalidName
	}
	return n, nil
}

// CreateProject makes a project owned by p.
func (s *Service) CreateProject(ctx context.Context, p *access.Principal, name, description string) (Project, error) {
	n, err := checkProjectName(name)
	if err != nil {
		return Project{}, err
	}
	d, ok := cleanText(description, 5000, true)
	if !ok {
		return Project{}, ErrInvalidDesc
	}
	now := s.now().UTC()
	pr := Project{ID: newID(), OwnerID: p.UserID, Name: n, Description: d, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateProject(ctx, pr); err != nil {
		return Project{}, fmt.Errorf("sharing: create project: %w", err)
	}
	return pr, nil
}

// UpdateProject changes a project: name, description and cover for the
// owner and editors; whether camera details are shown, for the owner.
func (s *Service) UpdateProject(ctx context.Context, g Grant, in ProjectInput) (Project, error) {
	if !g.CanEdit() || (in.ShowCamera != nil && !g.Owner) {
		return Project{}, ErrForbidden
	}
	pr := g.Project
	if in.Name != nil {
		n, err := checkProjectName(*in.Name)
		if err != nil {
			return Project{}, err
		}
		pr.Name = n
	}
	if in.Description != nil {
		d, ok := cleanText(*in.Description, 5000, true)
		if !ok {
			return Project{}, ErrInvalidDesc
		}
		pr.Description = d
	}
	if in.CoverID != nil {
		if *in.CoverID != "" {
			if ok, err := s.store.InProject(ctx, pr.ID, *in.CoverID); err != nil {
				return Project{}, err
			} else if !ok {
				return Project{}, ErrNotFound
			}
		}
		pr.CoverID = *in.CoverID
	}
	if in.ShowCamera != nil {
		pr.ShowCamera = *in.ShowCamera
	}
	pr.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateProject(ctx, pr); err != nil {
		return Project{}, fmt.Errorf("sharing: update project: %w", err)
	}
	return pr, nil
}

// DeleteProject deletes a project, its members, links and reviews (never
// the photos); owner only.
func (s *Service) DeleteProject(ctx context.Context, g Grant, c auth.Client) error {
	if !g.Owner {
		return ErrForbidden
	}
	if err := s.store.DeleteProject(ctx, g.Project.ID); err != nil {
		return fmt.Errorf("sharing: delete project: %w", err)
	}
	s.record(ctx, audit.Event{Type: audit.ShareChanged, ActorID: g.Project.OwnerID, SubjectID: g.Project.OwnerID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"project_id": g.Project.ID, "change": "project_deleted"}})
	return nil
}

// Projects lists the projects p owns and those shared with p.
func (s *Service) Projects(ctx context.Context, p *access.Principal) (owned, shared []Project, err error) {
	if owned, err = s.store.ProjectsOwnedBy(ctx, p.UserID); err != nil {
		return nil, nil, fmt.Errorf("sharing: projects: %w", err)
	}
	email, err := s.verifiedEmail(ctx, p.UserID)
	if err != nil {
		return nil, nil, err
	}
	if email != "" {
		all, err := s.store.ProjectsSharedWith(ctx, email)
		if err != nil {
			return nil, nil, fmt.Errorf("sharing: projects: %w", err)
		}
		for _, pr := range all {
			if err := s.checkNotRestricted(ctx, pr.OwnerID); errors.Is(err, ErrNotFound) {
				continue // frozen by its owner: as if never shared
			} else if err != nil {
				return nil, nil, err
			}
			shared = append(shared, pr)
		}
	}
	return owned, shared, nil
}

// AddAssets adds assets of the project's owner (outside the trash) to the
// project, in order; ids already there are skipped. Any other id refuses
// the whole request with ErrNotOwnAsset. Owner and editors.
func (s *Service) AddAssets(ctx context.Context, g Grant, ids []string) (int, error) {
	if !g.CanEdit() {
		return 0, ErrForbidden
	}
	if len(ids) == 0 || len(ids) > 1000 {
		return 0, fmt.Errorf("%w: send 1 to 1,000 asset ids", ErrNotOwnAsset)
	}
	ids = slices.Compact(ids)
	found, err := s.library.AssetsOf(ctx, g.Project.OwnerID, ids)
	if err != nil {
		return 0, err
	}
	if len(found) != len(uniq(ids)) {
		return 0, ErrNotOwnAsset
	}
	n, err := s.store.AddProjectAssets(ctx, g.Project.ID, uniq(ids), s.now().UTC())
	if err != nil {
		return 0, fmt.Errorf("sharing: add assets: %w", err)
	}
	return n, nil
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RemoveAsset takes an asset out of the project (the photo stays in the
// owner's library). Owner and editors.
func (s *Service) RemoveAsset(ctx context.Context, g Grant, assetID string) error {
	if !g.CanEdit() {
		return ErrForbidden
	}
	if !validID(assetID) {
		return ErrNotFound
	}
	return s.store.RemoveProjectAsset(ctx, g.Project.ID, assetID)
}

// Reorder sets the order of the project's assets; ids must be exactly
// the project's. Owner and editors.
func (s *Service) Reorder(ctx context.Context, g Grant, ids []string) error {
	if !g.CanEdit() {
		return ErrForbidden
	}
	return s.store.ReorderProjectAssets(ctx, g.Project.ID, ids)
}

// SharedAsset is an asset as a grant may see it: the owner sees
// everything; others never the GPS position, original file name,
// caption or keywords, and camera details only when the project shows
// them.
type SharedAsset struct {
	library.Asset
	Marks    []Mark
	Comments []Comment
}

// Assets lists the project's assets, in order, as g may see them, and
// records the listing in the owner's access log for others than the
// owner.
func (s *Service) Assets(ctx context.Context, g Grant) ([]SharedAsset, error) {
	ids, err := s.store.ProjectAssetIDs(ctx, g.Project.ID)
	if err != nil {
		return nil, fmt.Errorf("sharing: assets: %w", err)
	}
	as, err := s.library.AssetsOf(ctx, g.Project.OwnerID, ids)
	if err != nil {
		return nil, err
	}
	marks, err := s.store.MarksOf(ctx, g.Project.ID)
	if err != nil {
		return nil, err
	}
	comments, err := s.store.CommentsOf(ctx, g.Project.ID, "")
	if err != nil {
		return nil, err
	}
	marksOf := map[string][]Mark{}
	for _, m := range marks {
		if g.Owner || m.Reviewer == g.Reviewer {
			marksOf[m.AssetID] = append(marksOf[m.AssetID], m)
		}
	}
	commentsOf := map[string][]Comment{}
	for _, c := range comments {
		commentsOf[c.AssetID] = append(commentsOf[c.AssetID], c)
	}
	out := make([]SharedAsset, 0, len(as))
	for _, a := range as {
		out = append(out, SharedAsset{Asset: redact(a, g), Marks: marksOf[a.ID], Comments: commentsOf[a.ID]})
		if !g.Owner {
			s.library.RecordSharedView(ctx, a, "metadata", g.viewer())
		}
	}
	return out, nil
}

// redact removes from a what g may not see.
func redact(a library.Asset, g Grant) library.Asset {
	if g.Owner {
		return a
	}
	a.Private = library.Private{Creator: a.Private.Creator, Copyright: a.Private.Copyright, Credit: a.Private.Credit}
	if !g.Project.ShowCamera {
		a.CameraMake, a.CameraModel, a.Lens = "", "", ""
		a.FocalLengthMM, a.FNumber, a.ExposureSeconds, a.ExposureText, a.ISO = 0, 0, 0, "", 0
		a.TakenAt, a.TakenAtHasOffset = time.Time{}, false
	}
	a.ContentMAC, a.SealedPrivate = nil, nil
	a.OriginalRef, a.ThumbRef, a.PreviewRef = "", "", ""
	return a
}

// Open opens a rendition of an asset of the project for g. kind is
// library.Thumb or Preview (viewing, always allowed to a grant) or
// Original (its download policy must allow it); download asks for an
// attachment, which the policy must allow for that size. Every open by
// someone other than the owner is in the owner's access log.
func (s *Service) Open(ctx context.Context, g Grant, assetID string, kind library.Kind, download bool) (*library.Content, error) {
	if !validID(assetID) {
		return nil, ErrNotFound
	}
	if in, err := s.store.InProject(ctx, g.Project.ID, assetID); err != nil {
		return nil, err
	} else if !in {
		return nil, ErrNotFound
	}
	if !g.Owner {
		switch {
		case kind == library.Original && !g.Download.Allows("original"):
			return nil, ErrNotFound
		case download && kind == library.Preview && !g.Download.Allows("preview"):
			return nil, ErrNotFound
		case download && kind == library.Thumb:
			return nil, ErrNotFound
		}
	}
	return s.library.OpenShared(ctx, g.Project.OwnerID, assetID, kind, g.viewer())
}

// Summary returns how many photos the project holds and the one to show
// as its cover (the chosen cover, else the first), without listing them:
// for project cards, which must not count as seeing the photos.
func (s *Service) Summary(ctx context.Context, g Grant) (count int, coverID string, err error) {
	ids, err := s.store.ProjectAssetIDs(ctx, g.Project.ID)
	if err != nil {
		return 0, "", fmt.Errorf("sharing: summary: %w", err)
	}
	if len(ids) == 0 {
		return 0, "", nil
	}
	coverID = g.Project.CoverID
	if coverID == "" {
		coverID = ids[0]
	}
	return len(ids), coverID, nil
}
