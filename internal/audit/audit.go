// Package audit records security events: who signed up, signed in, failed
// to, signed out, created or revoked a token or session. Events are
// structured, timestamped in UTC, and never carry secrets (no passwords,
// tokens or their hashes, no typed-in identifiers of unknown accounts).
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
)

// Type names an event kind. The list is closed: new kinds are added here.
type Type string

const (
	UserSignup       Type = "user.signup"
	UserCreated      Type = "user.created" // by an administrator on the command line
	LoginSucceeded   Type = "auth.login"
	LoginFailed      Type = "auth.login_failed"
	LoginThrottled   Type = "auth.login_throttled"
	Logout           Type = "auth.logout"
	SessionRevoked   Type = "session.revoked"
	TokenCreated     Type = "token.created"
	TokenRevoked     Type = "token.revoked"
	InviteCreated    Type = "invite.created"
	PasswordChanged  Type = "password.changed"
	ProfileChanged   Type = "profile.changed"
	PasswordRehashed Type = "password.rehashed"
	SignupDuplicate  Type = "user.signup_duplicate" // someone tried to sign up with an address in use
)

// Event is one security event.
type Event struct {
	ID        string
	At        time.Time // UTC
	Type      Type
	ActorID   string // account that acted; empty when anonymous
	SubjectID string // account the event is about; often equal to ActorID
	IP        string
	UserAgent string
	// Details holds small, non-secret facts (token name, reason of a
	// failure). Values are sanitized on record.
	Details map[string]string
}

// Store persists events. Implemented by the metadata store.
type Store interface {
	AppendAuditEvent(ctx context.Context, e Event) error
	// AuditEventsAbout returns the newest events whose actor or subject is
	// userID, newest first, at most limit.
	AuditEventsAbout(ctx context.Context, userID string, limit int) ([]Event, error)
}

// Recorder stores events and mirrors them to the structured log.
type Recorder struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
}

// NewRecorder returns a Recorder writing to store and log.
func NewRecorder(store Store, log *slog.Logger) *Recorder {
	return &Recorder{store: store, log: log.With("component", "audit"), now: time.Now}
}

// Record stores e, filling in the time. Text fields are sanitized so that
// no control character (newline, escape) can forge log lines or records.
// The error is returned so callers can decide; most log and go on.
func (r *Recorder) Record(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = r.now()
	}
	e.At = e.At.UTC()
	e.UserAgent = Sanitize(e.UserAgent, 256)
	e.IP = Sanitize(e.IP, 64)
	for k, v := range e.Details {
		e.Details[k] = Sanitize(v, 256)
	}
	if err := r.store.AppendAuditEvent(ctx, e); err != nil {
		r.log.ErrorContext(ctx, "audit event not stored", "type", string(e.Type), "err", err)
		return fmt.Errorf("audit: record %s: %w", e.Type, err)
	}
	r.log.InfoContext(ctx, "security event", "type", string(e.Type), "actor", e.ActorID, "subject", e.SubjectID, "ip", e.IP)
	return nil
}

// About returns the newest events concerning userID.
func (r *Recorder) About(ctx context.Context, userID string, limit int) ([]Event, error) {
	ev, err := r.store.AuditEventsAbout(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: events about %s: %w", userID, err)
	}
	return ev, nil
}

// Sanitize escapes control characters and cuts s to at most max runes.
func Sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			fmt.Fprintf(&b, "\\u%04x", r)
		} else {
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}
