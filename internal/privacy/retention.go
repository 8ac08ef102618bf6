package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"safelight/internal/audit"
	"safelight/internal/mail"
)

// Storage limitation (GDPR Art. 5(1)(e)): the periodic task
// "enforce_retention" deletes, class by class, what has outlived its
// period, and records each run that deleted anything as one audit event
// (audit.RetentionPurged) with the count per class. Classes another
// package already sweeps (the trash, sessions, link unlocks, exports)
// are delegated to that package's sweep rather than written twice.
// The audit log is hash-chained, so its old events (which hold IP
// addresses and user agents) are pruned only as a prefix of the chain
// ending at a signed checkpoint, which then anchors what follows
// (--audit-retention, package audit's header); the run's event names
// the last event removed.

// Retention periods of the classes this file deletes itself.
const (
	// EmailTokenRetention is how long an e-mailed token (reset,
	// verification) or an invitation is kept after it expired: a day,
	// so that a late click still finds "expired" rather than "unknown".
	EmailTokenRetention = 24 * time.Hour
	// DraftRetention is how long the drafts of a call are kept after its
	// deadline; they can no longer be submitted.
	DraftRetention = 30 * 24 * time.Hour
	// CounterRetention is how long throttle and rate-limit counters are
	// kept after their window started: longer than the longest window.
	CounterRetention = 25 * time.Hour
	// EndedLinkRetention is how long a review link that expired or was
	// revoked is kept, with the names and addresses of its guests, before
	// both are deleted (what the guests wrote stays, as "guest (link
	// ended)"): time for the owner to see who reviewed and follow up.
	EndedLinkRetention = 30 * 24 * time.Hour
	// UnverifiedAccountRetention is how long an account whose address was
	// never verified, and that was never used, is kept after sign-up
	// before it is erased (retention_accounts.go).
	UnverifiedAccountRetention = 30 * 24 * time.Hour
)

// Retention classes: the keys of a run's counts.
const (
	ClassTrash       = "trash"
	ClassSessions    = "sessions"
	ClassUnlocks     = "link_unlocks"
	ClassExports     = "export_files"
	ClassEmailTokens = "email_tokens"
	ClassInvites     = "invites"
	ClassDrafts      = "entry_drafts"
	ClassOutbox      = "mail_outbox"
	ClassCounters    = "rate_limit_counters"
	// ClassEndedLinks and ClassLinkGuests count the ended review links
	// deleted and the guests deleted with them.
	ClassEndedLinks = "ended_review_links"
	ClassLinkGuests = "link_guests"
	// ClassUnverifiedAccounts counts the unused unverified accounts erased.
	ClassUnverifiedAccounts = "unverified_accounts"
	// ClassAuditEvents counts the audit events pruned.
	ClassAuditEvents = "audit_events"
)

// AuditPrunedThrough is the detail of a run's audit event that holds the
// sequence number of the last audit event pruned (the checkpoint that
// now anchors the chain).
const AuditPrunedThrough = "audit_pruned_through"

// DefaultAuditRetention is how long audit events are kept unless
// configured (--audit-retention): a year.
const DefaultAuditRetention = 365 * 24 * time.Hour

// RetentionStore deletes the classes the retention task owns.
type RetentionStore interface {
	DeleteEmailTokensExpiredBefore(ctx context.Context, t time.Time) (int, error)
	DeleteInvitesExpiredBefore(ctx context.Context, t time.Time) (int, error)
	DeleteDraftsOfCallsClosedBefore(ctx context.Context, t time.Time) (int, error)
	DeleteOutboxBefore(ctx context.Context, t time.Time) (int, error)
	DeleteCountersBefore(ctx context.Context, t time.Time) (int, error)
	// UnverifiedUnusedAccounts lists the accounts created before t, never
	// verified and never used (retention_accounts.go).
	UnverifiedUnusedAccounts(ctx context.Context, t time.Time) ([]string, error)
}

// RetentionSweeps are the other packages' own sweeps, run by the task.
// A nil one is skipped. Sweeps that do not count return -1.
type RetentionSweeps struct {
	Trash    func(ctx context.Context) error        // library.Service.PurgeTrash (--trash-retention)
	Sessions func(ctx context.Context) (int, error) // auth.Service.SweepSessions
	Unlocks  func(ctx context.Context) (int, error) // sharing.Service.SweepUnlocks
	Exports  func(ctx context.Context) error        // Exports.Sweep
	// EndedLinks is sharing.Service.DeleteLinksEndedBefore: it deletes
	// the links that ended before the cutoff, with their guests.
	EndedLinks func(ctx context.Context, endedBefore time.Time) (links, guests int, err error)
	// Eraser erases the unused unverified accounts, through the erasure
	// path of a requested erasure (retention_accounts.go).
	Eraser *Eraser
	// AuditLog is sqlstore.Store.PruneAuditChain: it deletes the chain's
	// prefix older than the cutoff that ends at a signed checkpoint, and
	// returns that checkpoint's seq and how many events went.
	AuditLog func(ctx context.Context, before time.Time) (through int64, n int, err error)
	// AuditRetention is how long audit events are kept (--audit-retention);
	// 0 keeps them forever.
	AuditRetention time.Duration
}

// Retention is the retention task.
type Retention struct {
	store  RetentionStore
	sweeps RetentionSweeps
	audit  *audit.Recorder
	log    *slog.Logger
	now    func() time.Time
}

// NewRetention returns the task; rec may be nil (then runs are logged
// only).
func NewRetention(store RetentionStore, sweeps RetentionSweeps, rec *audit.Recorder, log *slog.Logger) *Retention {
	return &Retention{store: store, sweeps: sweeps, audit: rec, log: log.With("component", "privacy_retention"), now: time.Now}
}

// SetClock replaces the clock (tests).
func (r *Retention) SetClock(now func() time.Time) { r.now = now }

// Run does one pass over every class (the jobs.Task's Run).
func (r *Retention) Run(ctx context.Context) error {
	_, err := r.Enforce(ctx)
	return err
}

// Enforce does one pass and returns what it deleted, class by class (-1
// for a delegated sweep that does not count). A failing class does not
// stop the others; their errors are joined.
func (r *Retention) Enforce(ctx context.Context) (map[string]int, error) {
	now := r.now().UTC()
	counts := map[string]int{}
	var errs []error
	count := func(class string, n int, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("privacy: retention of %s: %w", class, err))
			return
		}
		counts[class] = n
	}
	done := func(class string, err error) { count(class, -1, err) }

	if r.sweeps.Trash != nil {
		done(ClassTrash, r.sweeps.Trash(ctx))
	}
	if r.sweeps.Sessions != nil {
		n, err := r.sweeps.Sessions(ctx)
		count(ClassSessions, n, err)
	}
	if r.sweeps.Unlocks != nil {
		n, err := r.sweeps.Unlocks(ctx)
		count(ClassUnlocks, n, err)
	}
	if r.sweeps.Exports != nil {
		done(ClassExports, r.sweeps.Exports(ctx))
	}
	n, err := r.store.DeleteEmailTokensExpiredBefore(ctx, now.Add(-EmailTokenRetention))
	count(ClassEmailTokens, n, err)
	n, err = r.store.DeleteInvitesExpiredBefore(ctx, now.Add(-EmailTokenRetention))
	count(ClassInvites, n, err)
	n, err = r.store.DeleteDraftsOfCallsClosedBefore(ctx, now.Add(-DraftRetention))
	count(ClassDrafts, n, err)
	n, err = r.store.DeleteOutboxBefore(ctx, now.Add(-mail.OutboxRetention))
	count(ClassOutbox, n, err)
	n, err = r.store.DeleteCountersBefore(ctx, now.Add(-CounterRetention))
	count(ClassCounters, n, err)
	if r.sweeps.EndedLinks != nil {
		links, guests, err := r.sweeps.EndedLinks(ctx, now.Add(-EndedLinkRetention))
		count(ClassEndedLinks, links, err)
		if err == nil {
			counts[ClassLinkGuests] = guests
		}
	}
	if r.sweeps.Eraser != nil {
		// Each erasure is its own: those done count even when one failed.
		n, err := r.eraseUnverifiedUnused(ctx, now.Add(-UnverifiedAccountRetention))
		counts[ClassUnverifiedAccounts] = n
		if err != nil {
			errs = append(errs, fmt.Errorf("privacy: retention of %s: %w", ClassUnverifiedAccounts, err))
		}
	}
	var prunedThrough int64
	if r.sweeps.AuditLog != nil && r.sweeps.AuditRetention > 0 {
		through, n, err := r.sweeps.AuditLog(ctx, now.Add(-r.sweeps.AuditRetention))
		count(ClassAuditEvents, n, err)
		if err == nil && n > 0 {
			prunedThrough = through
		}
	}

	r.record(ctx, counts, prunedThrough)
	return counts, errors.Join(errs...)
}

// record writes one audit event for a run that deleted something: an
// hourly event for runs that found nothing would only bury the others.
// When audit events were pruned it names the last one, so the chain
// itself says where its pruned prefix ends.
func (r *Retention) record(ctx context.Context, counts map[string]int, prunedThrough int64) {
	details := map[string]string{}
	for class, n := range counts {
		if n > 0 {
			details[class] = strconv.Itoa(n)
		}
	}
	if len(details) == 0 {
		return
	}
	if prunedThrough > 0 {
		details[AuditPrunedThrough] = strconv.FormatInt(prunedThrough, 10)
	}
	r.log.InfoContext(ctx, "retention: expired data deleted", "counts", details)
	if r.audit == nil {
		return
	}
	if err := r.audit.Record(ctx, audit.Event{Type: audit.RetentionPurged, Details: details}); err != nil {
		r.log.ErrorContext(ctx, "retention run not recorded", "err", err)
	}
}
