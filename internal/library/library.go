// Package library owns assets: ingest of originals, their derivatives and
// metadata, listing, download, trash and purge, and the access log that
// shows the photographer every use of their images.
//
// Every byte of an original and of its derivatives is sealed to the
// owner (package keys) before it reaches storage; ingest and derivative
// generation work in memory only. Fields that are personal or free text
// (file name, content hash, GPS, creator, copyright, caption, keywords)
// are sealed to the owner too; technical fields (dimensions, camera,
// exposure, capture time) are plain columns so that the library can sort
// and filter without decrypting.
package library

import (
	"context"
	"errors"
	"strings"
	"time"

	"safelight/internal/blob"
	"safelight/internal/media"
)

// Errors with user-safe messages.
var (
	ErrNotFound  = errors.New("not found")
	ErrEmpty     = errors.New("the file is empty")
	ErrNoFile    = errors.New(`send the image in the multipart field "file"`)
	ErrNotReady  = errors.New("not ready")
	ErrDuplicate = errors.New("this image is already in your library")
	// ErrRestricted refuses new processing of the data of an account
	// whose holder restricted it (GDPR Art. 18): uploads, and the
	// derivative job, which waits until the restriction is lifted.
	ErrRestricted = errors.New("processing of your account's data is restricted: lift the restriction in the privacy center to upload")
)

// TooLargeError says an upload is over the size limit.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return "the file is larger than the " + humanBytes(e.Limit) + " limit"
}

// Status is where an asset is in its processing.
type Status string

const (
	StatusProcessing Status = "processing" // original stored; derivatives being made
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed" // FailureReason says why; the original is gone
)

// Asset is one image of an owner.
type Asset struct {
	ID      string
	OwnerID string
	Status  Status
	// FailureReason is a plain-words reason for StatusFailed.
	FailureReason string

	Format media.Format
	Width  int
	Height int
	Size   int64 // bytes of the original

	TakenAt          time.Time // zero if unknown
	TakenAtHasOffset bool
	CameraMake       string
	CameraModel      string
	Lens             string
	FocalLengthMM    float64
	FNumber          float64
	ExposureSeconds  float64
	ExposureText     string
	ISO              int
	ColorProfile     string

	// Private holds the owner-only fields, decrypted. It is zero unless
	// the asset was loaded for its owner.
	Private Private
	// SealedPrivate is Private as stored: sealed to the owner.
	SealedPrivate []byte
	// ContentMAC is the owner-keyed hash of the original's bytes.
	ContentMAC []byte

	OriginalRef   blob.Ref
	ThumbRef      blob.Ref // empty until ready
	PreviewRef    blob.Ref
	ThumbWidth    int
	ThumbHeight   int
	PreviewWidth  int
	PreviewHeight int

	SortAt    time.Time // capture time, or upload time when unknown: the library's order
	CreatedAt time.Time
	UpdatedAt time.Time
	TrashedAt time.Time // zero unless in the trash
}

// Camera joins make and model the way photographers say it, without
// repeating the make when the model already starts with it ("Canon",
// "Canon EOS R5" → "Canon EOS R5"; "FUJIFILM", "X-T4" → "FUJIFILM X-T4").
func (a Asset) Camera() string {
	make_, model := strings.TrimSpace(a.CameraMake), strings.TrimSpace(a.CameraModel)
	first, _, _ := strings.Cut(make_, " ")
	switch {
	case model == "":
		return make_
	case make_ == "" || strings.HasPrefix(strings.ToLower(model), strings.ToLower(first)):
		return model
	}
	return make_ + " " + model
}

// Private is what only the owner sees of an asset.
type Private struct {
	Filename  string   `json:"filename"`
	SHA256    string   `json:"sha256"`
	Creator   string   `json:"creator,omitempty"`
	Copyright string   `json:"copyright,omitempty"`
	Credit    string   `json:"credit,omitempty"`
	Caption   string   `json:"caption,omitempty"`
	Keywords  []string `json:"keywords,omitempty"`
	GPS       *GPS     `json:"gps,omitempty"`
}

// GPS is where an image was taken, as recorded by the camera.
type GPS struct {
	Latitude  float64  `json:"lat"`
	Longitude float64  `json:"lon"`
	Altitude  *float64 `json:"alt,omitempty"`
}

// Derivatives records finished derivative blobs.
type Derivatives struct {
	ThumbRef, PreviewRef        blob.Ref
	ThumbWidth, ThumbHeight     int
	PreviewWidth, PreviewHeight int
}

// Cursor is a position in the library's order (SortAt desc, ID desc).
type Cursor struct {
	SortAt time.Time
	ID     string
}

// AccessEvent is one use of an asset's content, shown to its owner.
type AccessEvent struct {
	ID      string
	AssetID string
	OwnerID string
	At      time.Time
	ActorID string // account that accessed; empty for guests
	// ActorLabel names the actor for the owner ("you", a guest's name).
	ActorLabel string
	Via        string // the grant used: "owner" (more with sharing and calls)
	Action     string // "original", "preview", "thumb", "metadata"
}

// Settings are an owner's library preferences.
type Settings struct {
	// KeepCopyright keeps creator, copyright notice and credit line in
	// derivatives (default on); everything else is always stripped.
	KeepCopyright bool
}

// Store is the persistence the library needs; package sqlstore implements
// it. Not-found cases return errors wrapping ErrNotFound.
type Store interface {
	// CreateAsset inserts a. ErrDuplicate (wrapped) if the owner already
	// has an asset with the same ContentMAC.
	CreateAsset(ctx context.Context, a Asset) error
	AssetByID(ctx context.Context, id string) (Asset, error)
	// AssetByMAC finds the owner's asset with that content MAC, in the
	// trash or not.
	AssetByMAC(ctx context.Context, ownerID string, mac []byte) (Asset, error)
	// ListAssets returns the owner's assets in the trash (trashed) or not,
	// in library order, starting after the cursor (nil: from the start).
	ListAssets(ctx context.Context, ownerID string, trashed bool, after *Cursor, limit int) ([]Asset, error)
	// Neighbours returns the ids before and after id in the owner's
	// library order ("" at the ends).
	Neighbours(ctx context.Context, ownerID string, c Cursor) (prev, next string, err error)
	// SetAssetReady records derivatives of an asset still processing;
	// false if it was not processing (already done, failed, or gone).
	SetAssetReady(ctx context.Context, id string, d Derivatives, at time.Time) (bool, error)
	SetAssetFailed(ctx context.Context, id, reason string, at time.Time) error
	// SetAssetTrashed moves the owner's asset to the trash (at non-zero)
	// or back (at zero). ErrNotFound if it is not the owner's or already
	// there.
	SetAssetTrashed(ctx context.Context, ownerID, id string, at time.Time) error
	// TrashedBefore lists assets (any owner but those restricted, see
	// ErrRestricted: their data is only stored) trashed before t, or all of
	// one owner's trash when ownerID is set.
	TrashedBefore(ctx context.Context, ownerID string, t time.Time, limit int) ([]Asset, error)
	// ProcessingBefore lists ids of assets processing since before t.
	ProcessingBefore(ctx context.Context, t time.Time, limit int) ([]string, error)
	DeleteAsset(ctx context.Context, id string) error
	// BlobReferenced reports whether any asset names ref.
	BlobReferenced(ctx context.Context, ref blob.Ref) (bool, error)

	AppendAccess(ctx context.Context, e AccessEvent) error
	AccessLog(ctx context.Context, assetID string, limit int) ([]AccessEvent, error)
	// AccessLogByOwner lists the views of the owner's assets by anyone
	// else, newest first.
	AccessLogByOwner(ctx context.Context, ownerID string, limit int) ([]AccessEvent, error)

	LibrarySettings(ctx context.Context, ownerID string) (Settings, error)
	SetLibrarySettings(ctx context.Context, ownerID string, s Settings) error
}

// Queue is how the library asks for background work (package jobs).
type Queue interface {
	EnqueueDerive(ctx context.Context, assetID string) error
	EnqueuePurge(ctx context.Context) error
}
