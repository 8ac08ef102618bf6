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
	// Password reset and e-mail verification (auth/email.go).
	PasswordResetRequested Type = "password.reset_requested" // subject empty when the address has no account
	PasswordResetCompleted Type = "password.reset"
	EmailVerified          Type = "email.verified"
	// Changing the address (auth/email_change.go): details from and to.
	EmailChangeRequested Type = "email.change_requested"
	EmailChanged         Type = "email.changed"
	EmailChangeRefused   Type = "email.change_refused" // the new address was taken when the link was opened

	MFAEnrollStarted         Type = "mfa.enrol_started" // a TOTP secret was issued, not yet confirmed
	MFAEnabled               Type = "mfa.enabled"       // enrolment confirmed with a first code
	MFADisabled              Type = "mfa.disabled"
	MFAFailed                Type = "mfa.failed" // a wrong, expired or reused code
	RecoveryCodeUsed         Type = "mfa.recovery_code_used"
	RecoveryCodesRegenerated Type = "mfa.recovery_codes_regenerated"
	PasskeyAdded             Type = "mfa.passkey_added"
	PasskeyRenamed           Type = "mfa.passkey_renamed"
	PasskeyRemoved           Type = "mfa.passkey_removed"
	PasskeyUsed              Type = "mfa.passkey_used"
	PasskeyFailed            Type = "mfa.passkey_failed"          // a refused registration or assertion
	PasskeyCloneSuspected    Type = "mfa.passkey_clone_suspected" // the signature counter went back

	// Instance admins acting on accounts (auth/admin.go): actor the admin,
	// subject the account; details count what ended.
	UserDisabled          Type = "user.disabled" // its sessions, tokens and pending sign-ins ended
	UserEnabled           Type = "user.enabled"
	SessionRevokedByAdmin Type = "session.revoked_by_admin" // every session of the subject
	SessionsRevokedAll    Type = "session.revoked_all"      // every session of the instance but the admin's; no subject
)

// Staff acting on an account (auth/staff.go): actor the staff member,
// subject the account, which sees each of them in its security activity;
// details carry staff_role and what the action needed (the identity
// check of an MFA reset, the reason of a disabling).
const (
	StaffAccountViewed   Type = "staff.account_viewed"   // support looked at the account's counts
	StaffAccountDisabled Type = "staff.account_disabled" // by support; details reason and what ended
	StaffMFAReset        Type = "staff.mfa_reset"        // second factors removed after an identity check
	StaffAuditViewed     Type = "staff.audit_viewed"     // security read the audit log filtered on the account
	// BreachRecorded: the dpo listed the account as affected by a personal
	// data breach in the register (details breach_id, data_categories).
	BreachRecorded Type = "staff.breach_recorded"
)

// ConfigChanged: the process started with security-relevant settings
// (sign-up policy, public URL, trusted proxies, session lifetimes…)
// that differ from the previous start's; details name each changed
// setting as "old → new". Recorded once per change by the wiring
// (internal/app/audit_config.go).
const ConfigChanged Type = "config.changed"

// ShareChanged: an owner or editor changed who may see a project
// (details: project_id, change — project_deleted, member_added,
// member_changed, member_removed, link_created, link_password_changed,
// link_revoked — and the member or link id). Subject is the project's
// owner, who sees it in their security activity.
const ShareChanged Type = "share.changed"

// OrgChanged: a member of an organization changed its members, calls,
// terms, rounds or results (details: org_id, change, and the ids).
const OrgChanged Type = "org.changed"

// Consents to the use of one's images (calls for entries): recorded when
// given and when withdrawn (details: consent_id, kind, call_id,
// terms_sha256). Subject is the person who consented.
const (
	ConsentGiven     Type = "consent.given"
	ConsentWithdrawn Type = "consent.withdrawn"
)

// Erasure of an account (package privacy): requested (details: erase_at),
// cancelled during the grace period, and completed by the erasure job or
// replayed after a restore (details: key_versions, blobs, replay). Subject
// is the erased account; these events keep only its id.
const (
	ErasureRequested Type = "account.erasure_requested"
	ErasureCancelled Type = "account.erasure_cancelled"
	ErasureCompleted Type = "account.erasure_completed"
)

// Restriction of processing (GDPR Art. 18) by the account's holder:
// switched on, and lifted (details: since, when it was switched on).
const (
	AccountRestricted Type = "account.restricted"
	RestrictionLifted Type = "account.restriction_lifted"
)

// RootKeyRewrapped: after a root key rotation, "safelight root-key
// rewrap" wrapped again with the new version what the instance held under
// older ones (details: root_version, owner_keys, journal_entries, check).
const RootKeyRewrapped Type = "keys.root_rewrapped"

// RootKeyRetired: "safelight root-key retire" removed older versions from
// the root key file after moving everything to the newest (details:
// removed, root_version, checkpoints signed again).
const RootKeyRetired Type = "keys.root_retired"

// RetentionPurged: the retention task (package privacy) deleted data
// whose storage period was over (details: the count per class).
const RetentionPurged Type = "retention.purged"

// RateLimited: a client address or account went over an abuse limit
// (details: the rule). Recorded once per limit window, at the first
// refusal, so that a flood cannot flood the log too.
const RateLimited Type = "abuse.rate_limited"

// Refusals a client can cause at will. Each is recorded at most once per
// type, caller (or address) and window (httpauth.SecurityEvents); the
// first of a window carries in details "suppressed" how many went
// unrecorded in the window before.
const (
	// AccessDenied: a signed-in caller was refused by a route's policy
	// (details: route, policy) or asked for an asset that exists but is
	// someone else's (details: route, resource_id). Actor and subject are
	// the caller: the owner of what was probed is never named.
	AccessDenied Type = "access.denied"
	// UploadRefused: an upload refused for the client's input (details:
	// reason, size as announced), not for a failure of ours.
	UploadRefused Type = "upload.refused"
	// TokenInvalid: an Authorization: Bearer header matched no token
	// (wrong, revoked, expired or malformed). Anonymous; details carry the
	// token's type marker (token_prefix) when it has Safelight's form,
	// never any secret part.
	TokenInvalid Type = "auth.token_invalid"
)

// Coverage of the event families issue 5 asks for. What exists now:
//
//   - authentication: auth.login, auth.login_failed, auth.login_throttled,
//     auth.logout, user.signup, user.signup_duplicate, user.created,
//     password.changed, password.rehashed, profile.changed;
//   - password reset and e-mail verification: password.reset_requested,
//     password.reset, email.verified (the mail work adds these);
//   - MFA changes: mfa.*, passkeys included (mfa.passkey_*);
//   - sessions and tokens: session.revoked, token.created, token.revoked,
//     invite.created;
//   - configuration changes: config.changed.
//
// Still to come with the features that cause them, each adding its types
// here: permission and grant changes (sharing, albums, roles granted or
// taken away after creation), staff actions (an administrator acting on
// another account), exports, and erasures. Audit rows are never deleted,
// also by erasure: they hold ids, addresses and user agents, not content,
// and removing one breaks the chain (see chain.go).

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
	e.Type = Type(Sanitize(string(e.Type), 64))
	e.ActorID = Sanitize(e.ActorID, 128)
	e.SubjectID = Sanitize(e.SubjectID, 128)
	if e.Details != nil {
		details := make(map[string]string, len(e.Details)) // the caller's map is left alone
		for k, v := range e.Details {
			details[Sanitize(k, 64)] = Sanitize(v, 256)
		}
		e.Details = details
	}
	if err := r.store.AppendAuditEvent(ctx, e); err != nil {
		r.log.ErrorContext(ctx, "audit event not stored", "type", string(e.Type), "err", err)
		return fmt.Errorf("audit: record %s: %w", e.Type, err)
	}
	r.log.InfoContext(ctx, "security event", "type", string(e.Type), "actor", e.ActorID, "subject", e.SubjectID, "ip", e.IP)
	return nil
}

// About returns the newest events concerning userID.
//
// Failed-authorization records (AccessDenied) are left out: they are for
// the operator, and listing one to its caller would confirm that the id
// they probed belongs to someone.
func (r *Recorder) About(ctx context.Context, userID string, limit int) ([]Event, error) {
	ev, err := r.store.AuditEventsAbout(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: events about %s: %w", userID, err)
	}
	shown := ev[:0]
	for _, e := range ev {
		if e.Type != AccessDenied {
			shown = append(shown, e)
		}
	}
	return shown, nil
}

// Sanitize escapes what could forge or hide text in a log line or a
// record, and cuts s to at most max runes (of s) followed by "…". Escaped
// as \uXXXX (\UXXXXXXXX above U+FFFF): control characters (CR, LF, NUL,
// ESC of ANSI sequences…), format characters (bidirectional overrides,
// zero-width characters), line and paragraph separators, and U+FFFD,
// which also stands for each byte of invalid UTF-8. A backslash becomes
// \\, so an escape in the result always means an escaped character. The
// result is valid UTF-8 without control characters.
func Sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r > 0xFFFF && unicode.In(r, unicode.Cc, unicode.Cf):
			fmt.Fprintf(&b, "\\U%08x", r)
		case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || r == unicode.ReplacementChar:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}
