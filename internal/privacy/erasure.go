package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/sharing"
)

// Erasure (Art. 17). An account holder asks, re-authenticating with every
// factor they sign in with; the erasure is scheduled after a grace period
// (Config.ErasureGrace) during which they can sign in and cancel. During
// the grace period nothing else changes: their images, projects, links
// and grants keep working, so that cancelling gives back exactly what
// was there, and the privacy center shows the countdown.
//
// When it is due, the erasure job (RunDue) erases the account:
//
//  1. appends an entry to the erasure journal (first, so that a crash
//     later still leaves a record that a restore replays);
//  2. deletes every blob its rows name (originals, derivatives);
//  3. in one transaction (ErasureStore.EraseAccount): withdraws its
//     entries and consents, anonymizes its comments in other people's
//     projects (the text stays: it is part of that project; the author
//     becomes "deleted user"), removes its marks there and its name from
//     other owners' access logs, deletes grants to its address, destroys
//     its owner keys (crypto-shredding: every copy of its blobs anywhere,
//     in any backup, can no longer be decrypted) and deletes its user row
//     and everything that cascades from it;
//  4. records account.erasure_completed in the audit log.
//
// Every step can run again: a crash between them is finished by the next
// run, which finds the erasure still scheduled (its row goes with the
// account in step 3). Audit events are never deleted (the hash chain
// would break); they keep the account's id and the addresses and user
// agents of its sign-ins, no content.

// DeletedUserID is the author id of a comment whose author was erased,
// and DeletedUserName how such an author is shown.
const (
	DeletedUserID   = sharing.ErasedReviewerID
	DeletedUserName = sharing.ErasedReviewerName
)

// DefaultErasureGrace is how long an erasure waits, cancelable, unless
// configured otherwise.
const DefaultErasureGrace = 7 * 24 * time.Hour

// Erasure is a scheduled erasure of one account.
type Erasure struct {
	UserID      string
	RequestedAt time.Time
	EraseAt     time.Time
}

// ErrNoErasure is returned (possibly wrapped) when an account has no
// erasure scheduled.
var ErrNoErasure = errors.New("no erasure of this account is scheduled")

// ErasureStore is the storage erasure needs. The metadata store
// implements it.
type ErasureStore interface {
	// ScheduleErasure stores e unless one is already scheduled for
	// e.UserID, and returns the one stored. An id with no account stores
	// nothing and answers ErrNoErasure.
	ScheduleErasure(ctx context.Context, e Erasure) (Erasure, error)
	// CancelErasure deletes the scheduled erasure (ErrNoErasure if none).
	CancelErasure(ctx context.Context, userID string) error
	// ErasureOf returns the scheduled erasure (ErrNoErasure if none).
	ErasureOf(ctx context.Context, userID string) (Erasure, error)
	// DueErasures lists erasures whose EraseAt is not after now.
	DueErasures(ctx context.Context, now time.Time) ([]Erasure, error)
	// OwnerKeyVersions lists the account's owner key versions.
	OwnerKeyVersions(ctx context.Context, ownerID string) ([]int, error)
	// ErasureBlobRefs lists every blob the account's rows name.
	ErasureBlobRefs(ctx context.Context, userID string) ([]blob.Ref, error)
	// EraseAccount erases the account's rows and owner keys (see the
	// steps above) and returns the key versions destroyed. It is
	// idempotent, and does what is left for an id with no account.
	EraseAccount(ctx context.Context, userID string, at time.Time) ([]int, error)
}

// IdentityConfirmer checks a re-authentication (auth.Service).
type IdentityConfirmer interface {
	ConfirmIdentity(ctx context.Context, p *access.Principal, r auth.Reauth, c auth.Client) error
}

// Eraser schedules, cancels and carries out erasures. Safe for
// concurrent use; runs in one process take turns.
type Eraser struct {
	store    ErasureStore
	blobs    blob.Store
	journal  *Journal
	identity IdentityConfirmer
	audit    *audit.Recorder
	grace    time.Duration
	log      *slog.Logger
	now      func() time.Time

	runMu sync.Mutex     // one RunDue or Replay at a time in this process
	kicks sync.WaitGroup // runs started by Request with no grace
	// closing is closed by Close; later kicks are not started.
	closeOnce sync.Once
	closing   chan struct{}
}

// NewEraser returns an Eraser. grace is how long a request waits (0: the
// erasure runs right away, in the background).
func NewEraser(store ErasureStore, blobs blob.Store, journal *Journal, identity IdentityConfirmer, rec *audit.Recorder, grace time.Duration, log *slog.Logger) *Eraser {
	return &Eraser{store: store, blobs: blobs, journal: journal, identity: identity, audit: rec, grace: grace,
		log: log.With("component", "erasure"), now: time.Now, closing: make(chan struct{})}
}

// Grace is the configured grace period.
func (e *Eraser) Grace() time.Duration { return e.grace }

// Request schedules the erasure of p's account after re-authentication
// with every factor it signs in with; only a signed-in session may ask
// (auth.ErrSessionRequired for a token). Asking again while one is
// scheduled returns that one unchanged. With no grace period the erasure
// starts at once, in the background.
func (e *Eraser) Request(ctx context.Context, p *access.Principal, r auth.Reauth, c auth.Client) (Erasure, error) {
	if err := e.identity.ConfirmIdentity(ctx, p, r, c); err != nil {
		return Erasure{}, err
	}
	now := e.now().UTC()
	er, err := e.store.ScheduleErasure(ctx, Erasure{UserID: p.UserID, RequestedAt: now, EraseAt: now.Add(e.grace)})
	if err != nil {
		return Erasure{}, fmt.Errorf("privacy: schedule erasure: %w", err)
	}
	e.record(ctx, audit.Event{Type: audit.ErasureRequested, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent,
		Details: map[string]string{"erase_at": er.EraseAt.Format(time.RFC3339)}})
	if !er.EraseAt.After(now) {
		e.kick()
	}
	return er, nil
}

// kick runs the due erasures in the background, unless Close was called.
func (e *Eraser) kick() {
	select {
	case <-e.closing:
		return
	default:
	}
	e.kicks.Add(1)
	go func() {
		defer e.kicks.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		go func() {
			select {
			case <-e.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := e.RunDue(ctx); err != nil {
			// The periodic task ("run_erasures") tries again.
			e.log.ErrorContext(ctx, "erasure run failed", "err", err)
		}
	}()
}

// Close cancels background runs started by Request and waits for them.
// Call it before closing the stores.
func (e *Eraser) Close() {
	e.closeOnce.Do(func() { close(e.closing) })
	e.kicks.Wait()
}

// Cancel cancels the scheduled erasure of p's account (ErrNoErasure if
// none is scheduled: it may have run already).
func (e *Eraser) Cancel(ctx context.Context, p *access.Principal, c auth.Client) error {
	if err := e.store.CancelErasure(ctx, p.UserID); err != nil {
		if errors.Is(err, ErrNoErasure) {
			return ErrNoErasure
		}
		return fmt.Errorf("privacy: cancel erasure: %w", err)
	}
	e.record(ctx, audit.Event{Type: audit.ErasureCancelled, ActorID: p.UserID, SubjectID: p.UserID, IP: c.IP, UserAgent: c.UserAgent})
	return nil
}

// Scheduled returns the erasure scheduled for userID, and whether there
// is one.
func (e *Eraser) Scheduled(ctx context.Context, userID string) (Erasure, bool, error) {
	er, err := e.store.ErasureOf(ctx, userID)
	if errors.Is(err, ErrNoErasure) {
		return Erasure{}, false, nil
	}
	if err != nil {
		return Erasure{}, false, fmt.Errorf("privacy: erasure: %w", err)
	}
	return er, true, nil
}

// RunDue erases every account whose erasure is due. It is the periodic
// task "run_erasures"; an error leaves the rest for the next run.
func (e *Eraser) RunDue(ctx context.Context) error {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	due, err := e.store.DueErasures(ctx, e.now())
	if err != nil {
		return fmt.Errorf("privacy: due erasures: %w", err)
	}
	var errs []error
	for _, er := range due {
		if err := e.erase(ctx, er.UserID, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Replay erases again every account in the erasure journal, after a
// restore brought back a database or blob store older than some erasures
// (`safelight restore`, `safelight erasure replay`). It writes no new
// journal entries and returns how many entries it replayed. A journal
// entry that does not verify stops it before anything is erased
// (ErrJournalTampered).
func (e *Eraser) Replay(ctx context.Context) (int, error) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	entries, err := e.journal.Entries(ctx)
	if err != nil {
		return 0, err
	}
	for _, j := range entries {
		if err := e.erase(ctx, j.UserID, false); err != nil {
			return 0, err
		}
	}
	return len(entries), nil
}

// erase carries out the steps in the comment at the top of this file.
func (e *Eraser) erase(ctx context.Context, userID string, journal bool) error {
	at := e.now().UTC()
	refs, err := e.store.ErasureBlobRefs(ctx, userID)
	if err != nil {
		return fmt.Errorf("privacy: erase %s: %w", userID, err)
	}
	if journal {
		// The key versions known now; a version made between here and
		// the transaction is destroyed too (the transaction deletes
		// every row of the owner), only not listed.
		versions, err := e.store.OwnerKeyVersions(ctx, userID)
		if err != nil {
			return fmt.Errorf("privacy: erase %s: %w", userID, err)
		}
		if _, err := e.journal.Append(ctx, JournalEntry{UserID: userID, ErasedAt: at, KeyVersions: versions}); err != nil {
			return fmt.Errorf("privacy: erase %s: %w", userID, err)
		}
	}
	for _, ref := range refs {
		if err := e.blobs.Delete(ctx, ref); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("privacy: erase %s: delete blob: %w", userID, err)
		}
	}
	versions, err := e.store.EraseAccount(ctx, userID, at)
	if err != nil {
		return fmt.Errorf("privacy: erase %s: %w", userID, err)
	}
	e.record(ctx, audit.Event{Type: audit.ErasureCompleted, SubjectID: userID, Details: map[string]string{
		"key_versions": joinInts(versions), "blobs": strconv.Itoa(len(refs)), "replay": strconv.FormatBool(!journal)}})
	e.log.InfoContext(ctx, "account erased", "subject", userID, "blobs", len(refs), "key_versions", len(versions), "replay", !journal)
	return nil
}

func (e *Eraser) record(ctx context.Context, ev audit.Event) {
	if e.audit != nil {
		_ = e.audit.Record(ctx, ev) // logged by the recorder
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
