// Package blob defines the storage interface for opaque, immutable byte
// sequences ("blobs") and the errors its implementations share.
//
// A blob store knows nothing about images, owners or encryption: callers
// (see package keys) hand it already-sealed bytes. Implementations live in
// subpackages (disk, later s3) and must all pass blobtest.Test.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"iter"
	"regexp"
	"time"
)

// ErrNotFound is returned (possibly wrapped) when a ref names no stored blob.
var ErrNotFound = errors.New("blob: not found")

// ErrExists is returned by Put when the ref is already taken.
var ErrExists = errors.New("blob: already exists")

// ErrInvalidRef is returned when a ref does not have the form NewRef makes.
var ErrInvalidRef = errors.New("blob: invalid ref")

// Ref names a blob. Refs are made by the application with NewRef (random,
// never derived from user input or content), so backends may map them to
// paths or object keys directly once Valid has accepted them.
type Ref string

var refPattern = regexp.MustCompile(`^[a-z0-9]{1,16}/[0-9a-f]{32}$`)

// Valid reports whether r is well formed: a short lowercase namespace, a
// slash, and 32 lowercase hex digits.
func (r Ref) Valid() bool { return refPattern.MatchString(string(r)) }

// NewRef returns a fresh random ref in namespace (for example "orig" or
// "thumb"). It panics if namespace is not 1–16 lowercase letters or digits,
// which is a programming error.
func NewRef(namespace string) Ref {
	var b [16]byte
	rand.Read(b[:]) // never fails; see crypto/rand.Read
	r := Ref(namespace + "/" + hex.EncodeToString(b[:]))
	if !r.Valid() {
		panic("blob: bad ref namespace " + namespace)
	}
	return r
}

// Info describes a stored blob.
type Info struct {
	Ref     Ref
	Size    int64     // in bytes
	ModTime time.Time // when the blob was written, as the backend records it
}

// Store is a flat namespace of immutable blobs.
//
// All methods are safe for concurrent use. Put is atomic: a concurrent or
// later Get, Stat or List sees either no blob or the whole blob, never a
// prefix, and a Put that returned nil survives a crash of the process or
// machine.
//
// Every method that takes a ref checks ref.Valid first and, if it is not
// valid, returns an error matching ErrInvalidRef without touching storage
// (Put then does not read r either). Errors are wrapped with the backend
// and operation; test them with errors.Is. Implementations must pass
// blobtest.Test.
type Store interface {
	// Put stores the bytes read from r under ref and returns how many it
	// stored. It reads r to EOF and does not close it.
	//
	// Put never replaces a blob: if ref exists it returns an error
	// matching ErrExists and the stored blob is unchanged, and of several
	// concurrent Puts of one ref exactly one succeeds. It may detect an
	// existing ref before reading r, so r may be left partly read. If
	// reading r fails, the error wraps r's error; if ctx is cancelled
	// before Put finishes, the error wraps ctx.Err(). On any error Put
	// returns 0 and leaves nothing behind: no partial blob is ever
	// visible and the ref stays free for a later Put.
	Put(ctx context.Context, ref Ref, r io.Reader) (int64, error)

	// Get opens the blob for reading. The caller must close the reader.
	// A missing blob gives an error matching ErrNotFound. A backend may
	// tie the reader to ctx, so keep ctx alive until the reader is closed.
	Get(ctx context.Context, ref Ref) (io.ReadCloser, error)

	// GetRange opens length bytes starting at offset. A range running
	// past the end is cut short at the end; an offset at or past the end
	// yields an empty reader. A negative length means "to the end"; a
	// negative offset is an error. The caller must close the reader, and
	// errors and ctx are as for Get.
	GetRange(ctx context.Context, ref Ref, offset, length int64) (io.ReadCloser, error)

	// Stat describes the blob without reading it. A missing blob gives an
	// error matching ErrNotFound.
	Stat(ctx context.Context, ref Ref) (Info, error)

	// Delete removes the blob. Deleting a missing blob returns an error
	// matching ErrNotFound. Readers opened before Delete may go on
	// reading or may fail, depending on the backend.
	Delete(ctx context.Context, ref Ref) error

	// List yields every stored blob whose ref starts with prefix, in
	// lexical order of ref. The prefix is compared as a plain string: it
	// need not be a valid ref, and a prefix no ref can have yields
	// nothing. Blobs put or deleted while List runs may or may not be
	// yielded; a Put in progress never is.
	//
	// Iteration stops at the first error, which is yielded with a zero
	// Info; a cancelled ctx yields an error wrapping ctx.Err(). Breaking
	// out of the loop early is fine and releases what List holds.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
}

// PartialSweeper is implemented by stores in which a Put cut off by a
// crash can leave data behind that is no blob — no Get, Stat or List
// shows it — but still takes space: the parts of an S3 multipart upload.
// (The disk store removes its leftovers itself, when it opens.)
type PartialSweeper interface {
	// SweepPartial removes the leftovers of Puts started before cutoff
	// and reports how many it removed. A Put still running is younger
	// than any cutoff a caller should choose.
	SweepPartial(ctx context.Context, cutoff time.Time) (int, error)
}
