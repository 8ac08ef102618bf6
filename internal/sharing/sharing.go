// Package sharing owns projects and who may see them: members invited by
// e-mail with a role and a download policy, review links for people
// without an account, and the review itself (ratings, colour labels,
// flags, comments, "done"). It decides every grant to content that is not
// the caller's own and hands package library only requests it has already
// authorized; library records each view in the owner's access log with
// the grant used.
//
// What a caller may not see answers ErrNotFound, whatever the reason
// (another owner's project, a removed member, a revoked or expired link,
// an asset outside the project): a share cannot be probed.
package sharing

import (
	"context"
	"errors"
	"time"
)

// Errors; the messages of the exported sentinels are safe to show.
var (
	ErrNotFound         = errors.New("not found")
	ErrInvalidName      = errors.New("give the project a name of at most 200 characters")
	ErrInvalidDesc      = errors.New("the description can be at most 5,000 characters")
	ErrInvalidRole      = errors.New("role must be viewer, reviewer or editor")
	ErrInvalidDownload  = errors.New("download must be none, preview or original")
	ErrInvalidRating    = errors.New("rating must be a whole number from 0 to 5")
	ErrInvalidLabel     = errors.New("label must be red, yellow, green, blue or purple")
	ErrInvalidFlag      = errors.New("flag must be pick or reject")
	ErrInvalidComment   = errors.New("write a comment of at most 5,000 characters")
	ErrInvalidWatermark = errors.New("the watermark can be 1 to 60 printable characters")
	ErrInviteSelf       = errors.New("you own this project; invite someone else")
	ErrAlreadyMember    = errors.New("this address is a member already")
	ErrForbidden        = errors.New("your role in this project does not allow that")
	ErrExpiryTooLate    = errors.New("the link would expire later than this instance allows")
	ErrExpiryPast       = errors.New("the expiry must be in the future")
	ErrNotOwnAsset      = errors.New("only your own photos can be added to a project")
	ErrPasswordNeeded   = errors.New("this link needs its password")
	ErrWrongPassword    = errors.New("the password is not correct")
	ErrGuestNeeded      = errors.New("give your name and e-mail address first")
	ErrInvalidGuest     = errors.New("enter your name (at most 200 characters) and a valid e-mail address")
	ErrNoDownload       = errors.New("downloads are not allowed for this share")
)

// Role is what a member may do in a project.
type Role string

const (
	RoleViewer   Role = "viewer"   // look
	RoleReviewer Role = "reviewer" // look, rate, label, flag, comment
	RoleEditor   Role = "editor"   // also add and remove assets, invite members
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleViewer || r == RoleReviewer || r == RoleEditor }

// CanReview reports whether r may mark and comment.
func (r Role) CanReview() bool { return r == RoleReviewer || r == RoleEditor }

// Download is what a grant lets its holder download.
type Download string

const (
	DownloadNone     Download = "none"
	DownloadPreview  Download = "preview"  // the 2048 px preview
	DownloadOriginal Download = "original" // the original file (and the preview)
)

// Valid reports whether d is one of the policies.
func (d Download) Valid() bool {
	return d == DownloadNone || d == DownloadPreview || d == DownloadOriginal
}

// Allows reports whether d lets its holder download rendition kind
// ("preview" or "original").
func (d Download) Allows(kind string) bool {
	switch kind {
	case "preview":
		return d == DownloadPreview || d == DownloadOriginal
	case "original":
		return d == DownloadOriginal
	}
	return false
}

// Labels are the colour labels of Lightroom's default set.
var Labels = []string{"red", "yellow", "green", "blue", "purple"}

// Flags.
const (
	FlagPick   = "pick"
	FlagReject = "reject"
)

// Project is a named, ordered collection of its owner's assets.
type Project struct {
	ID          string
	OwnerID     string
	Name        string
	Description string
	CoverID     string // an asset of the project, or ""
	// ShowCamera lets members and link holders see camera details (EXIF
	// exposure data). GPS and original file names are never shown to
	// anyone but the owner.
	ShowCamera bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Member is an account invited by e-mail address. The grant belongs to
// whoever holds a verified account with that address: invitations do
// not reveal to the owner whether the address has an account.
type Member struct {
	ID        string
	ProjectID string
	Email     string // normalized
	Role      Role
	Download  Download
	InvitedBy string
	CreatedAt time.Time
}

// Link is a review link for people without an account. Only the hash of
// its token is stored.
type Link struct {
	ID        string
	ProjectID string
	TokenHash []byte
	// PasswordHash is the argon2id hash of the link's password, or "".
	PasswordHash string
	// PasswordVersion changes with every password change, which ends
	// every unlock made with an older one.
	PasswordVersion int
	Download        Download
	Watermark       string // text drawn on previews, or ""
	ExpiresAt       time.Time
	CreatedBy       string
	CreatedAt       time.Time
	RevokedAt       time.Time // zero while usable
}

// Unlock is a link opened with its password: a short-lived secret in a
// cookie bound to that link and that password version.
type Unlock struct {
	TokenHash       []byte
	LinkID          string
	PasswordVersion int
	ExpiresAt       time.Time
}

// Guest is someone reviewing through a link, who gave a name and an
// e-mail address (not verified; shown to the owner as given).
type Guest struct {
	ID        string
	LinkID    string
	TokenHash []byte // of the guest cookie
	Name      string
	Email     string
	CreatedAt time.Time
}

// Reviewer says who marked or commented: an account or a guest.
type Reviewer struct {
	Kind string // "user" or "guest"
	ID   string // account id or guest id
}

// Mark is one reviewer's review of one asset in a project.
type Mark struct {
	ProjectID string
	AssetID   string
	Reviewer  Reviewer
	Rating    int    // 0–5; 0 is none
	Label     string // "" or one of Labels
	Flag      string // "", FlagPick or FlagReject
	UpdatedAt time.Time
}

// Comment is a plain-text comment on an asset in a project.
type Comment struct {
	ID        string
	ProjectID string
	AssetID   string
	Author    Reviewer
	Body      string
	CreatedAt time.Time
}

// Done records that a reviewer finished reviewing a project.
type Done struct {
	ProjectID string
	Reviewer  Reviewer
	At        time.Time
}

// Notification is an in-app message to an account (a reviewer pressed
// "done").
type Notification struct {
	ID        string
	UserID    string
	Kind      string // "review_done"
	ProjectID string
	Text      string
	CreatedAt time.Time
	ReadAt    time.Time
}

// Store is the persistence sharing needs; implemented by package
// sqlstore. Methods return errors wrapping ErrNotFound where documented.
type Store interface {
	CreateProject(ctx context.Context, p Project) error
	ProjectByID(ctx context.Context, id string) (Project, error) // ErrNotFound
	UpdateProject(ctx context.Context, p Project) error          // ErrNotFound
	DeleteProject(ctx context.Context, id string) error          // ErrNotFound; cascades
	// ProjectsOwnedBy lists the owner's projects, newest first.
	ProjectsOwnedBy(ctx context.Context, ownerID string) ([]Project, error)
	// ProjectsSharedWith lists the projects with a member whose e-mail is
	// email, newest first.
	ProjectsSharedWith(ctx context.Context, email string) ([]Project, error)

	// AddProjectAssets appends the ids not yet in the project, in order,
	// after the last position; it returns how many were added.
	AddProjectAssets(ctx context.Context, projectID string, assetIDs []string, at time.Time) (int, error)
	RemoveProjectAsset(ctx context.Context, projectID, assetID string) error // ErrNotFound
	// ProjectAssetIDs lists the project's asset ids in order.
	ProjectAssetIDs(ctx context.Context, projectID string) ([]string, error)
	// InProject reports whether the asset is in the project.
	InProject(ctx context.Context, projectID, assetID string) (bool, error)
	// ReorderProjectAssets sets the order of the listed ids (which must be
	// exactly the project's).
	ReorderProjectAssets(ctx context.Context, projectID string, assetIDs []string) error

	CreateMember(ctx context.Context, m Member) error // ErrAlreadyMember for the same e-mail
	MembersOf(ctx context.Context, projectID string) ([]Member, error)
	// MemberByEmail returns the project's member with that e-mail.
	MemberByEmail(ctx context.Context, projectID, email string) (Member, error) // ErrNotFound
	UpdateMember(ctx context.Context, m Member) error                           // ErrNotFound
	DeleteMember(ctx context.Context, projectID, memberID string) error         // ErrNotFound

	CreateLink(ctx context.Context, l Link) error
	LinkByHash(ctx context.Context, hash []byte) (Link, error) // ErrNotFound, revoked included
	LinksOf(ctx context.Context, projectID string) ([]Link, error)
	UpdateLink(ctx context.Context, l Link) error // ErrNotFound
	// RevokeLink marks the project's link revoked at at.
	RevokeLink(ctx context.Context, projectID, linkID string, at time.Time) error // ErrNotFound

	CreateUnlock(ctx context.Context, u Unlock) error
	UnlockByHash(ctx context.Context, hash []byte) (Unlock, error) // ErrNotFound

	CreateGuest(ctx context.Context, g Guest) error
	GuestByHash(ctx context.Context, hash []byte) (Guest, error) // ErrNotFound
	GuestsOf(ctx context.Context, linkID string) ([]Guest, error)

	// PutMark inserts or replaces the reviewer's mark.
	PutMark(ctx context.Context, m Mark) error
	// MarksOf lists every mark in the project.
	MarksOf(ctx context.Context, projectID string) ([]Mark, error)
	CreateComment(ctx context.Context, c Comment) error
	// CommentsOf lists the project's comments, oldest first; assetID ""
	// for all assets.
	CommentsOf(ctx context.Context, projectID, assetID string) ([]Comment, error)
	PutDone(ctx context.Context, d Done) error
	DonesOf(ctx context.Context, projectID string) ([]Done, error)

	CreateNotification(ctx context.Context, n Notification) error
	NotificationsOf(ctx context.Context, userID string, limit int) ([]Notification, error)
	MarkNotificationsRead(ctx context.Context, userID string, at time.Time) error

	// DeleteExpiredUnlocks removes unlocks past their end.
	DeleteExpiredUnlocks(ctx context.Context, now time.Time) (int, error)
	// DeleteLinksEndedBefore deletes links revoked or expired before t,
	// with their unlocks and guests, and puts endedName where the owner's
	// access log and "done" notifications named those guests (retention.go).
	DeleteLinksEndedBefore(ctx context.Context, t time.Time, endedName string) (links, guests int, err error)
}
