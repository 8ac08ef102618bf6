package privacy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"safelight/internal/blob"
	"safelight/internal/keys"
)

// The erasure journal records, for each erased account, its id, when it
// was erased and which key versions were destroyed: ids only, nothing
// that names a person. It lives in the blob store under its own
// namespace, one small JSON object per erasure, so that it is outside
// the database and outside `safelight backup`: restoring an older backup
// brings the erased accounts back, and replaying the journal (Replay)
// erases them again.
//
// An entry is not sealed with anyone's key (the erased owner's is gone;
// an entry holds no secret). It carries a tag made with the root key, so
// that someone who can write to the blob store but does not hold the root
// key cannot add entries that would erase accounts on the next replay.
// Deleting entries cannot be detected this way; the audit log records
// every completed erasure as well (account.erasure_completed).

// JournalNamespace is the blob namespace of the erasure journal. Backups
// leave it out.
const JournalNamespace = "journal"

// journalTagAAD binds a tag to the journal, its format and the entry's
// ref, so a tag made for anything else (or another entry) is refused.
const journalTagAAD = "safelight erasure journal v1\x00"

// maxJournalEntry bounds what is read of one journal object.
const maxJournalEntry = 64 << 10

// ErrJournalTampered is returned (wrapped) when a journal entry's tag does
// not verify with the root key: it was altered, or written by someone
// without the root key, or by an instance with another root key.
var ErrJournalTampered = errors.New("privacy: erasure journal entry does not verify")

// JournalEntry is one erasure.
type JournalEntry struct {
	// Ref is where the entry is stored (JournalNamespace/…, time-ordered).
	Ref blob.Ref `json:"-"`
	// UserID is the erased account's id.
	UserID string `json:"user_id"`
	// ErasedAt is when the erasure ran (UTC).
	ErasedAt time.Time `json:"erased_at"`
	// KeyVersions are the owner key versions destroyed.
	KeyVersions []int `json:"key_versions"`
}

// journalObject is the stored form: the entry's exact bytes and the tag
// over them, so verification never depends on re-encoding.
type journalObject struct {
	Format string          `json:"format"`
	Entry  json.RawMessage `json:"entry"`
	Tag    []byte          `json:"tag"`
}

const journalFormat = "safelight-erasure-journal v1"

// Journal reads and appends the erasure journal. Safe for concurrent use.
type Journal struct {
	blobs blob.Store
	root  keys.RootKey
}

// NewJournal returns the journal kept in blobs and tagged with root.
func NewJournal(blobs blob.Store, root keys.RootKey) *Journal {
	return &Journal{blobs: blobs, root: root}
}

// journalRef returns a new ref whose name sorts by time (a UUIDv7 in hex).
func journalRef() blob.Ref {
	id := uuid.Must(uuid.NewV7())
	return blob.Ref(JournalNamespace + "/" + strings.ReplaceAll(id.String(), "-", ""))
}

func tagAAD(ref blob.Ref) []byte { return []byte(journalTagAAD + string(ref)) }

// Append stores e as a new entry and returns it with its Ref.
func (j *Journal) Append(ctx context.Context, e JournalEntry) (JournalEntry, error) {
	e.Ref = journalRef()
	e.ErasedAt = e.ErasedAt.UTC()
	if e.KeyVersions == nil {
		e.KeyVersions = []int{}
	}
	entry, err := json.Marshal(e)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("privacy: journal: %w", err)
	}
	if err := j.write(ctx, e.Ref, entry); err != nil {
		return JournalEntry{}, err
	}
	return e, nil
}

// write stores entry's exact bytes under ref with a tag made by the
// current root key version.
func (j *Journal) write(ctx context.Context, ref blob.Ref, entry []byte) error {
	sum := sha256.Sum256(entry)
	tag, err := j.root.Wrap(sum[:], tagAAD(ref))
	if err != nil {
		return fmt.Errorf("privacy: journal: tag: %w", err)
	}
	obj, err := json.Marshal(journalObject{Format: journalFormat, Entry: entry, Tag: tag})
	if err != nil {
		return fmt.Errorf("privacy: journal: %w", err)
	}
	if _, err := j.blobs.Put(ctx, ref, bytes.NewReader(obj)); err != nil {
		return fmt.Errorf("privacy: journal: append: %w", err)
	}
	return nil
}

// Entries returns every entry, oldest first, each verified. An entry that
// does not verify stops the listing with an error wrapping
// ErrJournalTampered and naming its ref: replaying around it could hide
// an attack or a mistake (a journal from another instance), so the
// operator decides.
func (j *Journal) Entries(ctx context.Context) ([]JournalEntry, error) {
	refs, err := j.refs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]JournalEntry, 0, len(refs))
	for _, ref := range refs {
		e, _, err := j.read(ctx, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	// Refs sort by when they were written; an entry tagged again after a
	// root key rotation has a newer ref, so order by the erasure itself.
	slices.SortStableFunc(out, func(a, b JournalEntry) int { return a.ErasedAt.Compare(b.ErasedAt) })
	return out, nil
}

// Retag tags again, with the root key's current version, every entry
// whose tag was made with an older one (after a root key rotation; see
// package keys), and returns how many it changed. Blobs are never
// replaced in place, so each is written anew under a new ref before the
// old one is deleted: an interruption leaves an entry twice (replaying it
// twice is harmless, and Retag run again finishes), never not at all.
func (j *Journal) Retag(ctx context.Context) (int, error) {
	refs, err := j.refs(ctx)
	if err != nil {
		return 0, err
	}
	current, n := j.root.Version(), 0
	for _, ref := range refs {
		_, obj, err := j.read(ctx, ref)
		if err != nil {
			return n, err
		}
		if v, _ := keys.WrappedVersion(obj.Tag); v >= current {
			continue
		}
		if err := j.write(ctx, journalRef(), obj.Entry); err != nil {
			return n, err
		}
		if err := j.blobs.Delete(ctx, ref); err != nil && !errors.Is(err, blob.ErrNotFound) {
			return n, fmt.Errorf("privacy: journal: remove %s after tagging it again: %w", ref, err)
		}
		n++
	}
	return n, nil
}

// refs lists the journal's objects in the order they were written.
func (j *Journal) refs(ctx context.Context) ([]blob.Ref, error) {
	var refs []blob.Ref
	for info, err := range j.blobs.List(ctx, JournalNamespace+"/") {
		if err != nil {
			return nil, fmt.Errorf("privacy: journal: list: %w", err)
		}
		refs = append(refs, info.Ref)
	}
	slices.Sort(refs)
	return refs, nil
}

func (j *Journal) read(ctx context.Context, ref blob.Ref) (JournalEntry, journalObject, error) {
	rc, err := j.blobs.Get(ctx, ref)
	if err != nil {
		return JournalEntry{}, journalObject{}, fmt.Errorf("privacy: journal: read %s: %w", ref, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxJournalEntry+1))
	if err != nil {
		return JournalEntry{}, journalObject{}, fmt.Errorf("privacy: journal: read %s: %w", ref, err)
	}
	var obj journalObject
	if len(data) > maxJournalEntry || json.Unmarshal(data, &obj) != nil || obj.Format != journalFormat {
		return JournalEntry{}, journalObject{}, fmt.Errorf("%w: %s is malformed", ErrJournalTampered, ref)
	}
	sum := sha256.Sum256(obj.Entry)
	got, err := j.root.Unwrap(obj.Tag, tagAAD(ref))
	if err != nil || !bytes.Equal(got, sum[:]) {
		return JournalEntry{}, journalObject{}, fmt.Errorf("%w: %s (altered, or made with another root key)", ErrJournalTampered, ref)
	}
	var e JournalEntry
	if err := json.Unmarshal(obj.Entry, &e); err != nil || e.UserID == "" {
		return JournalEntry{}, journalObject{}, fmt.Errorf("%w: %s has no account id", ErrJournalTampered, ref)
	}
	e.Ref = ref
	return e, obj, nil
}
