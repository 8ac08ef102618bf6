package privacy

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"safelight/internal/calls"
)

// Records made at sign-up, beside the consents of calls for entries, in
// the same append-only ledger (the consents table).
const (
	// ConsentTermsOfUse: the person agreed to the instance's terms of use.
	ConsentTermsOfUse = "terms_of_use"
	// ConsentPrivacyNotice: the person was shown the privacy notice (the
	// records of processing, /privacy), in the version recorded.
	ConsentPrivacyNotice = "privacy_notice"
)

// Ways a sign-up showed the terms and the notice.
const (
	SignupForm = "sign-up form: the terms of use and the privacy notice linked above the button"
	SignupAPI  = "API sign-up: the terms of use (/terms) and the privacy notice (/privacy) named in the API documentation"
)

// TermsOfUse is the instance's terms of use, shown at /terms; its
// SHA-256 is recorded at every sign-up.
//
//go:embed terms_of_use.txt
var TermsOfUse string

// TermsOfUseSHA256 is the hex SHA-256 of TermsOfUse.
func TermsOfUseSHA256() string { return sha256Hex(TermsOfUse) }

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// ConsentStore is where the ledger appends; sqlstore implements it.
type ConsentStore interface {
	CreateConsent(ctx context.Context, c calls.Consent) error
	ConsentsOfUser(ctx context.Context, userID string) ([]calls.Consent, error)
}

// Ledger records what people agree to outside calls for entries.
type Ledger struct {
	store  ConsentStore
	notice string // the privacy notice as text (Registry.Text)
	log    *slog.Logger
	now    func() time.Time
}

// NewLedger returns a Ledger recording the privacy notice notice (its
// text, whose hash is the version).
func NewLedger(store ConsentStore, notice string, log *slog.Logger) *Ledger {
	return &Ledger{store: store, notice: notice, log: log.With("component", "privacy"), now: time.Now}
}

// NoticeSHA256 is the version of the privacy notice: the hex SHA-256 of
// its text, which changes with the processing it describes.
func (l *Ledger) NoticeSHA256() string { return sha256Hex(l.notice) }

// RecordSignup appends the sign-up's records for userID: the terms of use
// and the privacy notice in the versions shown, and how.
func (l *Ledger) RecordSignup(ctx context.Context, userID, how string) error {
	if how == "" {
		how = SignupAPI
	}
	at := l.now().UTC()
	for _, c := range []calls.Consent{
		{Kind: ConsentTermsOfUse, TermsVersion: 1, TermsSHA256: TermsOfUseSHA256(), Scope: []string{"use of the service under its terms of use"}},
		{Kind: ConsentPrivacyNotice, TermsVersion: 1, TermsSHA256: l.NoticeSHA256(), Scope: []string{"informed of the processing the privacy notice describes"}},
	} {
		c.ID, c.UserID, c.Method, c.At = uuid.Must(uuid.NewV7()).String(), userID, how, at
		if err := l.store.CreateConsent(ctx, c); err != nil {
			return fmt.Errorf("privacy: record %s: %w", c.Kind, err)
		}
	}
	return nil
}

// Consents lists every record of userID's ledger — sign-up, calls'
// terms, originals releases — newest first.
func (l *Ledger) Consents(ctx context.Context, userID string) ([]calls.Consent, error) {
	cs, err := l.store.ConsentsOfUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("privacy: consents: %w", err)
	}
	slices.SortStableFunc(cs, func(a, b calls.Consent) int { return b.At.Compare(a.At) })
	return cs, nil
}
