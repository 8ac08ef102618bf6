package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"safelight/internal/access"
	"safelight/internal/audit"
)

// The personal data breach register the data protection officer keeps
// (GDPR Art. 33(5): "the controller shall document any personal data
// breaches, comprising the facts relating to the personal data breach,
// its effects and the remedial action taken"). Entries are created and
// updated, never deleted: the register is the evidence of compliance.
// Each account listed as affected sees it in its security activity
// (Art. 34 asks more — a communication in clear language when the risk is
// high — which the dpo sends; the event is the trace on the account).

// BreachDataCategories are the categories of personal data a breach can
// concern, in the words of the records of processing.
var BreachDataCategories = []string{
	"account",        // e-mail address, name
	"credentials",    // password hashes, second factors, sessions, tokens
	"images",         // originals and derivatives
	"image_metadata", // EXIF/IPTC/XMP, file names, captions
	"location",       // GPS positions
	"reviews",        // marks and comments
	"entries",        // entries to calls, consents
	"access_log",     // who saw which image
	"security_log",   // audit events: addresses, user agents
}

// Breach is one entry of the register.
type Breach struct {
	ID          string
	Description string    // what happened, its likely consequences
	Measures    string    // what was done or proposed about it
	DetectedAt  time.Time // when the controller became aware
	// ReportedAt is when the supervisory authority was notified (Art. 33,
	// within 72 hours of detection where feasible); zero until then.
	ReportedAt time.Time
	// SubjectsNotifiedAt is when the affected people were told (Art. 34);
	// zero until then, or when not required.
	SubjectsNotifiedAt time.Time
	DataCategories     []string // from BreachDataCategories
	AffectedAccounts   []string // account ids
	RecordedBy         string   // the dpo's account id
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// BreachInput is what the dpo writes: a whole entry (updates replace
// every field). Times are zero when not given.
type BreachInput struct {
	Description, Measures                      string
	DetectedAt, ReportedAt, SubjectsNotifiedAt time.Time
	DataCategories, AffectedAccounts           []string
}

// BreachStore is the persistence of the register; part of StaffStore.
type BreachStore interface {
	CreateBreach(ctx context.Context, b Breach) error
	// Breaches lists the register, newest detection first.
	Breaches(ctx context.Context) ([]Breach, error)
	BreachByID(ctx context.Context, id string) (Breach, error) // ErrNotFound
	// UpdateBreach replaces the entry b.ID's fields but ID, RecordedBy and
	// CreatedAt. ErrNotFound.
	UpdateBreach(ctx context.Context, b Breach) error
}

// ErrInvalidBreach is wrapped by every refusal of a register entry; the
// message says which field.
var ErrInvalidBreach = errors.New("invalid breach record")

func invalidBreach(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidBreach, fmt.Sprintf(format, args...))
}

// checkBreach validates in and returns its cleaned form.
func (s *Service) checkBreach(ctx context.Context, in BreachInput) (BreachInput, error) {
	in.Description, in.Measures = strings.TrimSpace(in.Description), strings.TrimSpace(in.Measures)
	if n := utf8.RuneCountInString(in.Description); n < 10 || n > 5000 || !utf8.ValidString(in.Description) {
		return in, invalidBreach("describe the breach in 10 to 5000 characters")
	}
	if utf8.RuneCountInString(in.Measures) > 5000 || !utf8.ValidString(in.Measures) {
		return in, invalidBreach("measures: at most 5000 characters")
	}
	now := s.now()
	switch {
	case in.DetectedAt.IsZero():
		return in, invalidBreach("detected_at is required")
	case in.DetectedAt.After(now.Add(time.Minute)):
		return in, invalidBreach("detected_at is in the future")
	case !in.ReportedAt.IsZero() && in.ReportedAt.Before(in.DetectedAt):
		return in, invalidBreach("reported_at is before detected_at")
	case !in.SubjectsNotifiedAt.IsZero() && in.SubjectsNotifiedAt.Before(in.DetectedAt):
		return in, invalidBreach("subjects_notified_at is before detected_at")
	}
	if len(in.DataCategories) == 0 {
		return in, invalidBreach("name at least one data category (%s)", strings.Join(BreachDataCategories, ", "))
	}
	for _, c := range in.DataCategories {
		if !slices.Contains(BreachDataCategories, c) {
			return in, invalidBreach("unknown data category %q (known: %s)", c, strings.Join(BreachDataCategories, ", "))
		}
	}
	in.DataCategories = slices.Compact(slices.Sorted(slices.Values(in.DataCategories)))
	if len(in.AffectedAccounts) > 100000 {
		return in, invalidBreach("more than 100000 affected accounts")
	}
	in.AffectedAccounts = slices.Compact(slices.Sorted(slices.Values(in.AffectedAccounts)))
	for _, id := range in.AffectedAccounts {
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
			return in, invalidBreach("affected account %q is not an account id", id)
		}
		if _, err := s.store.UserByID(ctx, id); errors.Is(err, ErrNotFound) {
			return in, invalidBreach("no account %s", id)
		} else if err != nil {
			return in, fmt.Errorf("auth: breach account: %w", err)
		}
	}
	return in, nil
}

// RecordBreach adds an entry to the register for the dpo; each affected
// account sees it in its security activity.
func (s *Service) RecordBreach(ctx context.Context, p *access.Principal, in BreachInput, c Client) (Breach, error) {
	if err := checkRole(p, access.RoleDPO); err != nil {
		return Breach{}, err
	}
	st, err := s.staffStore()
	if err != nil {
		return Breach{}, err
	}
	if in, err = s.checkBreach(ctx, in); err != nil {
		return Breach{}, err
	}
	now := s.now().UTC()
	b := Breach{ID: uuid.Must(uuid.NewV7()).String(), RecordedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
	b.fill(in)
	if err := st.CreateBreach(ctx, b); err != nil {
		return Breach{}, fmt.Errorf("auth: record breach: %w", err)
	}
	s.recordAffected(ctx, p, b, b.AffectedAccounts, c)
	return b, nil
}

func (b *Breach) fill(in BreachInput) {
	b.Description, b.Measures = in.Description, in.Measures
	b.DetectedAt, b.ReportedAt, b.SubjectsNotifiedAt = in.DetectedAt.UTC(), in.ReportedAt.UTC(), in.SubjectsNotifiedAt.UTC()
	if in.ReportedAt.IsZero() {
		b.ReportedAt = time.Time{}
	}
	if in.SubjectsNotifiedAt.IsZero() {
		b.SubjectsNotifiedAt = time.Time{}
	}
	b.DataCategories, b.AffectedAccounts = in.DataCategories, in.AffectedAccounts
	if b.AffectedAccounts == nil {
		b.AffectedAccounts = []string{}
	}
}

func (s *Service) recordAffected(ctx context.Context, p *access.Principal, b Breach, ids []string, c Client) {
	for _, id := range ids {
		s.record(ctx, audit.Event{Type: audit.BreachRecorded, ActorID: p.UserID, SubjectID: id, IP: c.IP, UserAgent: c.UserAgent,
			Details: map[string]string{"staff_role": string(access.RoleDPO), "breach_id": b.ID, "data_categories": strings.Join(b.DataCategories, ",")}})
	}
}

// Breaches lists the register for the dpo, newest detection first.
func (s *Service) Breaches(ctx context.Context, p *access.Principal) ([]Breach, error) {
	if err := checkRole(p, access.RoleDPO); err != nil {
		return nil, err
	}
	st, err := s.staffStore()
	if err != nil {
		return nil, err
	}
	list, err := st.Breaches(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: breaches: %w", err)
	}
	return list, nil
}

// Breach returns one entry of the register for the dpo. ErrNotFound.
func (s *Service) Breach(ctx context.Context, p *access.Principal, id string) (Breach, error) {
	if err := checkRole(p, access.RoleDPO); err != nil {
		return Breach{}, err
	}
	st, err := s.staffStore()
	if err != nil {
		return Breach{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return Breach{}, ErrNotFound
	}
	b, err := st.BreachByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Breach{}, ErrNotFound
	} else if err != nil {
		return Breach{}, fmt.Errorf("auth: breach: %w", err)
	}
	return b, nil
}

// UpdateBreach replaces the entry id's fields for the dpo (a report to
// the authority made, more accounts found affected…). Accounts newly
// listed see it in their security activity.
func (s *Service) UpdateBreach(ctx context.Context, p *access.Principal, id string, in BreachInput, c Client) (Breach, error) {
	old, err := s.Breach(ctx, p, id)
	if err != nil {
		return Breach{}, err
	}
	if in, err = s.checkBreach(ctx, in); err != nil {
		return Breach{}, err
	}
	b := old
	b.fill(in)
	b.UpdatedAt = s.now().UTC()
	if err := s.staff.store.UpdateBreach(ctx, b); errors.Is(err, ErrNotFound) {
		return Breach{}, ErrNotFound
	} else if err != nil {
		return Breach{}, fmt.Errorf("auth: update breach: %w", err)
	}
	var added []string
	for _, a := range b.AffectedAccounts {
		if !slices.Contains(old.AffectedAccounts, a) {
			added = append(added, a)
		}
	}
	s.recordAffected(ctx, p, b, added, c)
	return b, nil
}
