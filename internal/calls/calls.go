// Package calls owns calls for entries: organizations and their members,
// calls with versioned terms, entries (a photographer's titled series of
// their own images) with the consent that lets the organization use them,
// jury rounds, results and originals requests.
//
// The photographer keeps ownership. An entry does not copy an image: it
// names assets of the entrant's library, and every view by a juror, a
// manager or the public results page goes through library.OpenShared with
// the entrant's key and lands in the entrant's access log. The
// organization may use an entry only under the terms version the entrant
// accepted (a consent record names it by SHA-256), and originals only after
// the entrant approved each one.
//
// What a caller may not see answers ErrNotFound, whatever the reason
// (another organization's call, a round the juror was not invited to, a
// withdrawn entry, a draft call): nothing can be probed.
package calls

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
)

// Errors; the messages of the exported sentinels are safe to show.
var (
	ErrNotFound          = errors.New("not found")
	ErrForbidden         = errors.New("your role in this organization does not allow that")
	ErrInvalidOrgName    = errors.New("give the organization a name of at most 200 characters")
	ErrInvalidRole       = errors.New("role must be owner, manager, juror or viewer")
	ErrAlreadyMember     = errors.New("this address is a member already")
	ErrLastOwner         = errors.New("an organization keeps at least one owner")
	ErrUnverifiedEmail   = errors.New("verify your e-mail address first")
	ErrInvalidTitle      = errors.New("give it a title of at most 200 characters")
	ErrInvalidText       = errors.New("the text is too long or contains control characters")
	ErrInvalidTerms      = errors.New("write the terms (at most 50,000 characters)")
	ErrInvalidRight      = errors.New("rights must be among exhibition, publication, promotion")
	ErrInvalidShared     = errors.New("entrant data shared must be among name, email")
	ErrInvalidSchedule   = errors.New("the deadline must be after the opening, in a valid time zone")
	ErrDeadlinePast      = errors.New("the deadline must be in the future")
	ErrInvalidCategories = errors.New("categories: at most 30, each 1 to 100 characters, no duplicates")
	ErrInvalidLimits     = errors.New("limits: entries per photographer 1–100, images per entry 1–100, file size 1 MB–1 GB")
	ErrInvalidRequire    = errors.New("requirements: formats among jpeg, png, tiff, webp, heif, avif; minimum long edge 0–20,000; orientation any, landscape, portrait or square")
	ErrInvalidVisibility = errors.New("visibility must be public or unlisted")
	ErrWrongState        = errors.New("the call is not in a state that allows this")
	ErrNotOpenYet        = errors.New("the call is not open for entries yet")
	ErrDeadlinePassed    = errors.New("the deadline has passed; entries are locked")
	ErrTermsNotAccepted  = errors.New("accept the call's terms to submit")
	ErrStaleTerms        = errors.New("the terms have changed; read and accept the current version")
	ErrTooManyEntries    = errors.New("you have reached this call's limit of entries")
	ErrImageCount        = errors.New("the number of images is outside this call's limits")
	ErrInvalidCategory   = errors.New("choose one of the call's categories")
	ErrDuplicateImage    = errors.New("an image can be in an entry only once")
	ErrNotOwnAsset       = errors.New("only your own photos can be entered")
	ErrEntrySubmitted    = errors.New("this entry is submitted already")
	ErrInvalidRound      = errors.New("round: name 1–200 characters; unit entry or image; mode stars_avg, stars_sum, yesno or none")
	ErrPreviousRound     = errors.New("the previous round must be closed and have a shortlist")
	ErrNoJurors          = errors.New("invite at least one juror (at most 100)")
	ErrRoundClosed       = errors.New("this round is closed")
	ErrNoVoting          = errors.New("this round has no voting")
	ErrInvalidScore      = errors.New("the score is outside this round's scale")
	ErrRecused           = errors.New("you recused yourself from this entry")
	ErrInvalidAward      = errors.New("award must be winner, honourable_mention or none")
	ErrNotFinalist       = errors.New("originals can be requested only from shortlisted or awarded entries")
	ErrAlreadyDecided    = errors.New("this request has been answered already")
	ErrNoCandidates      = errors.New("there are no entries to judge")
	ErrInvalidShortlist  = errors.New("shortlist: give a number of top places, a minimum score, or the ids to keep")
)

// RequirementError lists the images of an entry that do not meet the
// call's requirements, each with the reason; answered as 422 with the list.
type RequirementError struct {
	Problems []ImageProblem
}

// ImageProblem is one image that does not meet a requirement.
type ImageProblem struct {
	AssetID string `json:"asset_id"`
	Reason  string `json:"reason"`
}

func (e *RequirementError) Error() string {
	if len(e.Problems) == 1 {
		return "an image does not meet the call's requirements: " + e.Problems[0].Reason
	}
	return "some images do not meet the call's requirements"
}

// OrgRole is what a member may do in an organization.
type OrgRole string

const (
	RoleOwner   OrgRole = "owner"   // everything, members included
	RoleManager OrgRole = "manager" // run calls: terms, rounds, results, totals, originals requests
	RoleJuror   OrgRole = "juror"   // only the rounds they are invited to
	RoleViewer  OrgRole = "viewer"  // read the organization's calls and totals
)

// Valid reports whether r is one of the roles.
func (r OrgRole) Valid() bool {
	return r == RoleOwner || r == RoleManager || r == RoleJuror || r == RoleViewer
}

// Manages reports whether r may run calls.
func (r OrgRole) Manages() bool { return r == RoleOwner || r == RoleManager }

// Org is an organization: a separate tenant. Nothing of one is visible to
// another.
type Org struct {
	ID        string
	Name      string
	CreatedBy string
	CreatedAt time.Time
}

// OrgMember is an address with a role in an organization. As with project
// members, the role belongs to whoever holds a verified account with that
// address.
type OrgMember struct {
	ID        string
	OrgID     string
	Email     string // normalized
	Role      OrgRole
	InvitedBy string
	CreatedAt time.Time
}

// State is a call's stored state. StateClosed is never stored: an open
// call is closed once its deadline has passed (Call.Effective).
type State string

const (
	StateDraft   State = "draft"
	StateOpen    State = "open"
	StateClosed  State = "closed"
	StateJudging State = "judging"
	StateResults State = "results"
)

// Visibility says whether a published call is listed.
type Visibility string

const (
	Public   Visibility = "public"   // listed on /calls
	Unlisted Visibility = "unlisted" // readable by whoever has the address
)

// Orientation is the shape an image must have.
type Orientation string

const (
	AnyOrientation Orientation = "any"
	Landscape      Orientation = "landscape"
	Portrait       Orientation = "portrait"
	Square         Orientation = "square"
)

// Formats are the image formats a call may accept (media.Format names).
var Formats = []string{"jpeg", "png", "tiff", "webp", "heif", "avif"}

// Limits bound what one photographer may enter.
type Limits struct {
	EntriesPerEntrant int   // entries (drafts included) per photographer
	ImagesPerEntry    int   // at most; at least one
	MaxFileBytes      int64 // each original
}

// Requirements are checked on every image when an entry is submitted.
type Requirements struct {
	Formats      []string // empty: any the instance accepts
	MinLongEdge  int      // pixels, 0 for none
	ColorProfile bool     // an embedded ICC profile is required
	Orientation  Orientation
}

// Call is a call for entries.
type Call struct {
	ID           string
	OrgID        string
	Title        string
	Description  string
	CoverRef     string // sealed with the organization's key, or ""
	OpensAt      time.Time
	Deadline     time.Time
	TimeZone     string // IANA name the dates are shown in
	Categories   []string
	Limits       Limits
	Requirements Requirements
	Visibility   Visibility
	State        State
	TermsVersion int // the current terms version (the draft's while in draft)
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	PublishedAt  time.Time
	ResultsAt    time.Time
}

// Effective is the call's state at now: an open call past its deadline
// is closed.
func (c Call) Effective(now time.Time) State {
	if c.State == StateOpen && !now.Before(c.Deadline) {
		return StateClosed
	}
	return c.State
}

// AcceptsEntries reports whether entries may be created, changed or
// withdrawn at now, and why not.
func (c Call) AcceptsEntries(now time.Time) error {
	switch {
	case c.State != StateOpen:
		if c.State == StateDraft {
			return ErrNotFound
		}
		return ErrDeadlinePassed
	case now.Before(c.OpensAt):
		return ErrNotOpenYet
	case !now.Before(c.Deadline):
		return ErrDeadlinePassed
	}
	return nil
}

// Rights the terms may grant beyond judging (which every entry grants).
const (
	RightJudging     = "judging"
	RightExhibition  = "exhibition"
	RightPublication = "publication" // the winners gallery, the results page
	RightPromotion   = "promotion"
)

// OptionalRights are those a call may add to judging.
var OptionalRights = []string{RightExhibition, RightPublication, RightPromotion}

// Entrant data the organization may receive, as the terms name it.
const (
	ShareName  = "name"
	ShareEmail = "email"
)

// Terms is one version of a call's terms and usage rights. Text is the
// whole document as shown to entrants (the organizer's body followed by
// the rights and the entrant data it names), and SHA256 is the hex SHA-256
// of exactly that text: what a consent record points at.
type Terms struct {
	CallID      string
	Version     int
	Body        string   // what the organizer wrote
	Rights      []string // judging first, then OptionalRights in order
	SharedData  []string // ShareName, ShareEmail
	Text        string
	SHA256      string
	CreatedAt   time.Time
	PublishedAt time.Time // zero while the call is a draft
}

// Grants reports whether the terms grant right.
func (t Terms) Grants(right string) bool { return slices.Contains(t.Rights, right) }

// Shares reports whether the terms give the organization entrant data d.
func (t Terms) Shares(d string) bool { return slices.Contains(t.SharedData, d) }

// composeTerms builds the document entrants accept from its parts, and its
// hash. The rights and shared data are part of the text, so a change to
// either is a new text and a new hash.
func composeTerms(body string, rights, shared []string) (text, sum string) {
	var b strings.Builder
	b.WriteString(body)
	b.WriteString("\n\n---\nRights you grant the organizer for the images of your entry: ")
	b.WriteString(strings.Join(rights, ", "))
	b.WriteString(".\nAbout you, the organizer receives: ")
	if len(shared) == 0 {
		b.WriteString("nothing (jurors and organizers see your entry without your name)")
	} else {
		b.WriteString(strings.Join(shared, ", "))
	}
	b.WriteString(".\nYou keep the copyright and the ownership of your images. Originals are released only when you approve each one.\n")
	h := sha256.Sum256([]byte(b.String()))
	return b.String(), hex.EncodeToString(h[:])
}

// EntryState is where an entry is.
type EntryState string

const (
	EntryDraft     EntryState = "draft"
	EntrySubmitted EntryState = "submitted"
	EntryWithdrawn EntryState = "withdrawn"
)

// Awards.
const (
	AwardNone              = ""
	AwardWinner            = "winner"
	AwardHonourableMention = "honourable_mention"
)

// Entry is a photographer's titled series of their own images in a call.
type Entry struct {
	ID        string
	CallID    string
	UserID    string
	Number    int // per call, from 1: how managers name an entry when the terms share no name
	Title     string
	Statement string
	Category  string
	State     EntryState
	// TermsVersion is the version the entrant accepted (0 for none);
	// an entry accepted under an older version than the call's needs a
	// new acceptance before it is judged.
	TermsVersion int
	Award        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SubmittedAt  time.Time
	WithdrawnAt  time.Time
	RemindedAt   time.Time // the deadline reminder was sent
}

// EntryImage is one image of an entry. Its ID, not the asset's, is what
// juries and the public see.
type EntryImage struct {
	ID       string
	EntryID  string
	AssetID  string
	Position int
}

// Consent kinds.
const (
	ConsentCallTerms        = "call_terms"
	ConsentOriginalsRelease = "originals_release"
)

// Consent methods: how the consent was collected.
const (
	MethodWebForm = "web form: terms shown in full, acceptance box ticked"
	MethodAPI     = "API: accept_terms_sha256 sent with the request"
	MethodApprove = "web form: approval of the request, image by image"
	MethodAPIOK   = "API: approval of the request"
)

// Consent is an append-only record of a consent given; withdrawal sets
// WithdrawnAt and stops what it covered.
type Consent struct {
	ID           string
	UserID       string
	Kind         string
	CallID       string
	EntryID      string
	AssetID      string // originals releases: the image released
	TermsVersion int
	TermsSHA256  string
	Scope        []string // the rights granted
	Method       string
	At           time.Time
	WithdrawnAt  time.Time
}

// Unit is what a round scores.
type Unit string

const (
	UnitEntry Unit = "entry"
	UnitImage Unit = "image"
)

// Mode is how jurors score.
type Mode string

const (
	ModeStarsAvg Mode = "stars_avg" // 1–5, ranked by the average
	ModeStarsSum Mode = "stars_sum" // 1–5, ranked by the sum
	ModeYesNo    Mode = "yesno"     // 1 yes, 0 no, ranked by the yeses
	ModeNone     Mode = "none"      // view only
)

// ValidScore reports whether score is on m's scale.
func (m Mode) ValidScore(score int) bool {
	switch m {
	case ModeStarsAvg, ModeStarsSum:
		return score >= 1 && score <= 5
	case ModeYesNo:
		return score == 0 || score == 1
	}
	return false
}

// Round states.
const (
	RoundOpen   = "open"
	RoundClosed = "closed"
)

// Round is one pass of the jury over the call's entries, or over the
// previous round's shortlist.
type Round struct {
	ID          string
	CallID      string
	Number      int
	Name        string
	Unit        Unit
	Mode        Mode
	Blind       bool
	FromRoundID string // "" for every submitted entry
	State       string
	CreatedBy   string
	CreatedAt   time.Time
	ClosedAt    time.Time
}

// Juror is an address invited to a round (the role is the verified
// account's with that address).
type Juror struct {
	RoundID   string
	Email     string
	InvitedAt time.Time
}

// Candidate is one thing a round judges: an entry, or one image of it.
// The set is fixed when the round is created.
type Candidate struct {
	RoundID     string
	EntryID     string
	ImageID     string // "" when the unit is the entry
	Position    int
	Shortlisted bool
}

// Vote is one juror's score of one candidate.
type Vote struct {
	RoundID   string
	JurorID   string // account id
	EntryID   string
	ImageID   string
	Score     int
	UpdatedAt time.Time
}

// Recusal is a juror declaring a conflict of interest with an entry, for
// every round of the call.
type Recusal struct {
	CallID  string
	EntryID string
	UserID  string
	At      time.Time
}

// Originals request states.
const (
	RequestPending   = "pending"
	RequestApproved  = "approved"
	RequestDeclined  = "declined"
	RequestWithdrawn = "withdrawn" // the photographer withdrew the release
)

// OriginalsRequest asks an entrant for the full-resolution file of one
// image. Only an approved request (with its consent not withdrawn) lets
// the organization download it.
type OriginalsRequest struct {
	ID          string
	CallID      string
	EntryID     string
	ImageID     string
	OwnerID     string // the entrant
	RequestedBy string
	Message     string
	State       string
	ConsentID   string // set on approval
	RequestedAt time.Time
	DecidedAt   time.Time
}

// Store is the persistence calls needs; implemented by package sqlstore.
// Methods return errors wrapping ErrNotFound where documented.
type Store interface {
	// CreateOrg inserts the organization and its first member (the
	// creator, as owner) in one transaction.
	CreateOrg(ctx context.Context, o Org, owner OrgMember) error
	OrgByID(ctx context.Context, id string) (Org, error) // ErrNotFound
	// OrgsOfEmail lists the organizations with a member of that address,
	// with the member row, oldest first.
	OrgsOfEmail(ctx context.Context, email string) ([]Org, []OrgMember, error)
	CreateOrgMember(ctx context.Context, m OrgMember) error // ErrAlreadyMember for the same e-mail
	OrgMembers(ctx context.Context, orgID string) ([]OrgMember, error)
	OrgMemberByEmail(ctx context.Context, orgID, email string) (OrgMember, error) // ErrNotFound
	// UpdateOrgMember changes the role; removing or demoting the last
	// owner is ErrLastOwner (checked in the same transaction).
	UpdateOrgMember(ctx context.Context, orgID, memberID string, role OrgRole) error // ErrNotFound, ErrLastOwner
	DeleteOrgMember(ctx context.Context, orgID, memberID string) error               // ErrNotFound, ErrLastOwner

	// CreateCall inserts the call and its first (draft) terms.
	CreateCall(ctx context.Context, c Call, t Terms) error
	CallByID(ctx context.Context, id string) (Call, error) // ErrNotFound
	UpdateCall(ctx context.Context, c Call) error          // ErrNotFound
	// CallsOfOrg lists an organization's calls, newest first.
	CallsOfOrg(ctx context.Context, orgID string) ([]Call, error)
	// PublicCalls lists public calls that are not drafts, by deadline
	// (soonest first).
	PublicCalls(ctx context.Context) ([]Call, error)
	// PutTerms inserts a terms version, or replaces it while unpublished
	// (PublishedAt zero in the stored row); it also sets the call's
	// terms_version to t.Version. An already-published version is
	// refused (ErrWrongState).
	PutTerms(ctx context.Context, t Terms) error
	// PublishCall sets the call open, stamps PublishedAt on the call and
	// on its current terms version, in one transaction.
	PublishCall(ctx context.Context, callID string, at time.Time) error          // ErrNotFound
	TermsVersion(ctx context.Context, callID string, version int) (Terms, error) // ErrNotFound
	// TermsVersions lists every version of the call's terms, oldest first.
	TermsVersions(ctx context.Context, callID string) ([]Terms, error)

	// CreateEntry inserts the entry with the next number in the call and
	// its images; it returns the number.
	CreateEntry(ctx context.Context, e Entry, images []EntryImage) (int, error)
	EntryByID(ctx context.Context, id string) (Entry, error) // ErrNotFound
	// UpdateEntry replaces the entry's fields and, when images is not nil,
	// its images, in one transaction.
	UpdateEntry(ctx context.Context, e Entry, images []EntryImage) error // ErrNotFound
	DeleteEntry(ctx context.Context, id string) error                    // ErrNotFound (drafts only)
	EntryImages(ctx context.Context, entryID string) ([]EntryImage, error)
	// EntriesOfCall lists the call's entries by number; states nil for all.
	EntriesOfCall(ctx context.Context, callID string, states []EntryState) ([]Entry, error)
	// EntriesOfUser lists a photographer's entries, newest first.
	EntriesOfUser(ctx context.Context, userID string) ([]Entry, error)
	// CountUserEntries counts the photographer's entries in the call that
	// are not withdrawn.
	CountUserEntries(ctx context.Context, callID, userID string) (int, error)
	// DraftsToRemind lists drafts of open calls whose deadline is between
	// now and before, not reminded yet.
	DraftsToRemind(ctx context.Context, now, before time.Time) ([]Entry, error)
	// MarkReminded sets reminded_at if unset; false when another process
	// did it first.
	MarkReminded(ctx context.Context, entryID string, at time.Time) (bool, error)

	CreateConsent(ctx context.Context, c Consent) error
	ConsentByID(ctx context.Context, id string) (Consent, error) // ErrNotFound
	ConsentsOfUser(ctx context.Context, userID string) ([]Consent, error)
	// WithdrawConsent sets withdrawn_at if unset.
	WithdrawConsent(ctx context.Context, id string, at time.Time) error // ErrNotFound
	// WithdrawEntryConsents withdraws the entry's call-terms consents.
	WithdrawEntryConsents(ctx context.Context, entryID string, at time.Time) error

	// CreateRound inserts the round with the next number in the call, its
	// jurors and candidates, in one transaction; it returns the number.
	CreateRound(ctx context.Context, r Round, jurors []Juror, candidates []Candidate) (int, error)
	RoundByID(ctx context.Context, id string) (Round, error) // ErrNotFound
	RoundsOfCall(ctx context.Context, callID string) ([]Round, error)
	CloseRound(ctx context.Context, id string, at time.Time) error // ErrNotFound
	JurorsOf(ctx context.Context, roundID string) ([]Juror, error)
	IsJuror(ctx context.Context, roundID, email string) (bool, error)
	// RoundsOfJuror lists the rounds that invite email, newest first.
	RoundsOfJuror(ctx context.Context, email string) ([]Round, error)
	Candidates(ctx context.Context, roundID string) ([]Candidate, error)
	// SetShortlist marks exactly the given candidates shortlisted
	// (keys: entry id + "/" + image id).
	SetShortlist(ctx context.Context, roundID string, keys []string) error
	PutVote(ctx context.Context, v Vote) error
	// Votes lists the round's votes; jurorID "" for every juror's.
	Votes(ctx context.Context, roundID, jurorID string) ([]Vote, error)
	PutRecusal(ctx context.Context, r Recusal) error
	Recusals(ctx context.Context, callID string) ([]Recusal, error)
	// SetAward sets an entry's award.
	SetAward(ctx context.Context, entryID, award string) error // ErrNotFound

	CreateOriginalsRequest(ctx context.Context, r OriginalsRequest) error
	OriginalsRequestByID(ctx context.Context, id string) (OriginalsRequest, error) // ErrNotFound
	OriginalsRequestsOfCall(ctx context.Context, callID string) ([]OriginalsRequest, error)
	OriginalsRequestsOfUser(ctx context.Context, userID string) ([]OriginalsRequest, error)
	// DecideOriginalsRequest sets the state (and consent) of a pending
	// request; ErrAlreadyDecided when it is not pending.
	DecideOriginalsRequest(ctx context.Context, id, state, consentID string, at time.Time) error
	// WithdrawOriginalsRelease sets an approved request withdrawn.
	WithdrawOriginalsRelease(ctx context.Context, consentID string, at time.Time) error
}
