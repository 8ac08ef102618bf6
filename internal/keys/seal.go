package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"

	"filippo.io/age"

	"safelight/internal/blob"
)

// ErrCannotDecrypt is returned (wrapped), by Open and OpenSeekable or by
// reads from what they return, when a stored blob exists but cannot be
// decrypted with its owner's keys: it was sealed to another owner, the
// owner's keys were erased (then the error also wraps ErrNoOwnerKey), or
// the stored bytes are corrupted, tampered with or truncated. Callers
// usually answer 404 for a request naming the wrong owner and report the
// other cases as server errors. Failures of the blob store itself are not
// ErrCannotDecrypt; they wrap the store's error (for example
// blob.ErrNotFound).
var ErrCannotDecrypt = errors.New("keys: cannot decrypt blob")

// Sealer stores blobs encrypted to their owner and reads them back. Every
// blob is a standard age file (X25519 recipient, STREAM with 64 KiB chunks)
// that the owner's identity opens with any age implementation.
//
// A Sealer is safe for concurrent use. It holds no plaintext beyond the
// chunk being processed and never writes plaintext anywhere.
type Sealer struct {
	keys  *Keyring
	blobs blob.Store
}

// NewSealer returns a Sealer that encrypts with owners' keys from k and
// stores the ciphertext in blobs.
func NewSealer(k *Keyring, blobs blob.Store) *Sealer {
	return &Sealer{keys: k, blobs: blobs}
}

// Put encrypts everything read from r to ownerID's current key (creating
// the owner's first key if needed) and stores it under ref, which must not
// exist yet. It streams: memory use does not grow with the size of r. It
// returns the number of plaintext bytes read from r.
//
// Put reads r to EOF but does not close it. On error nothing is stored (the
// blob store's Put is atomic); an error reading r is returned wrapped, and
// cancelling ctx stops the copy.
func (s *Sealer) Put(ctx context.Context, ownerID string, ref blob.Ref, r io.Reader) (plainSize int64, err error) {
	rcpt, err := s.keys.Recipient(ctx, ownerID)
	if err != nil {
		return 0, fmt.Errorf("keys: seal %s: %w", ref, err)
	}
	// age.EncryptReader encrypts as the blob store reads, one chunk at a
	// time: the same streaming as age.Encrypt into an io.Pipe, without a
	// goroutine that could outlive Put or a pipe to close on every path.
	src := &plaintextReader{ctx: ctx, r: r}
	enc, err := age.EncryptReader(src, rcpt)
	if err != nil {
		return 0, fmt.Errorf("keys: seal %s: %w", ref, err)
	}
	if _, err := s.blobs.Put(ctx, ref, enc); err != nil {
		if src.err != nil {
			// The cause is on the caller's side; report it, not the store's echo of it.
			return 0, fmt.Errorf("keys: seal %s: read plaintext: %w", ref, src.err)
		}
		return 0, fmt.Errorf("keys: seal %s: %w", ref, err)
	}
	return src.n, nil
}

// plaintextReader counts the bytes read from r, remembers r's error and
// stops when ctx is done.
type plaintextReader struct {
	ctx context.Context
	r   io.Reader
	n   int64
	err error
}

func (p *plaintextReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		p.err = err
		return 0, err
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if err != nil && err != io.EOF {
		p.err = err
	}
	return n, err
}

// Open returns a reader of the plaintext of the blob at ref, sealed to
// ownerID. The caller must close it.
//
// Decryption streams and authenticates each 64 KiB chunk before returning
// any of it, so a tampered or truncated blob yields an error from Read
// (wrapping ErrCannotDecrypt) and never silently short or altered data; only
// an io.EOF means the whole blob was read and verified. A missing blob
// yields an error wrapping blob.ErrNotFound; a blob that ownerID's keys
// cannot open, an error wrapping ErrCannotDecrypt.
//
// The reader is not safe for concurrent use.
func (s *Sealer) Open(ctx context.Context, ownerID string, ref blob.Ref) (io.ReadCloser, error) {
	rc, err := s.blobs.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("keys: open %s: %w", ref, err)
	}
	ids, err := s.identities(ctx, ownerID)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("keys: open %s: %w", ref, err)
	}
	src := &sourceReader{r: rc}
	plain, err := age.Decrypt(src, ids...)
	if err != nil {
		rc.Close()
		return nil, decryptError("open", ref, err, src.err)
	}
	return &sealedReader{ref: ref, plain: plain, src: src, closer: rc}, nil
}

// identities returns ownerID's identities for decryption. An owner without
// keys cannot decrypt anything, so that error also wraps ErrCannotDecrypt.
func (s *Sealer) identities(ctx context.Context, ownerID string) ([]age.Identity, error) {
	xs, err := s.keys.identities(ctx, ownerID)
	if errors.Is(err, ErrNoOwnerKey) {
		return nil, fmt.Errorf("%w: %w", ErrCannotDecrypt, err)
	}
	if err != nil {
		return nil, err
	}
	ids := make([]age.Identity, len(xs))
	for i, x := range xs {
		ids[i] = x
	}
	return ids, nil
}

// sourceError marks an error that came from the blob store rather than
// from decryption, so it is not reported as ErrCannotDecrypt.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// decryptError turns an error from age into this package's error: a blob
// store failure (marked with sourceError, or recorded by the caller as
// srcErr) keeps its identity; anything else means the blob cannot be
// decrypted. The age error is kept as text only, so that a truncation
// (which age reports with io.EOF or io.ErrUnexpectedEOF inside) can never be
// mistaken for the end of the data by errors.Is(err, io.EOF).
func decryptError(op string, ref blob.Ref, err, srcErr error) error {
	var se *sourceError
	if errors.As(err, &se) {
		return fmt.Errorf("keys: %s %s: %w", op, ref, se.err)
	}
	if srcErr != nil {
		return fmt.Errorf("keys: %s %s: %w", op, ref, srcErr)
	}
	return fmt.Errorf("keys: %s %s: %w: %v", op, ref, ErrCannotDecrypt, err)
}

// sourceReader remembers the first non-EOF error of the blob reader.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// sealedReader is the plaintext reader Open returns.
type sealedReader struct {
	ref    blob.Ref
	plain  io.Reader
	src    *sourceReader
	closer io.Closer
}

func (r *sealedReader) Read(p []byte) (int, error) {
	n, err := r.plain.Read(p)
	if err != nil && err != io.EOF {
		err = decryptError("read", r.ref, err, r.src.err)
	}
	return n, err
}

func (r *sealedReader) Close() error {
	if err := r.closer.Close(); err != nil {
		return fmt.Errorf("keys: close %s: %w", r.ref, err)
	}
	return nil
}

// OpenSeekable opens the blob at ref, sealed to ownerID, for random access
// to its plaintext, as http.ServeContent needs for Range requests. It reads
// the age header and authenticates the final chunk (and so the plaintext
// size) before returning; every later ReadAt authenticates the chunks it
// touches. The caller must close the result.
//
// Errors are as for Open: blob.ErrNotFound for a missing blob,
// ErrCannotDecrypt for a blob the owner's keys cannot open or whose bytes
// were altered; a truncated blob fails here or in the first ReadAt that
// reaches the damage, never with short data.
//
// ctx governs the whole life of the SealedFile, including later ReadAt
// calls, because io.ReaderAt has no context parameter.
func (s *Sealer) OpenSeekable(ctx context.Context, ownerID string, ref blob.Ref) (*SealedFile, error) {
	info, err := s.blobs.Stat(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("keys: open %s: %w", ref, err)
	}
	ids, err := s.identities(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keys: open %s: %w", ref, err)
	}
	src := &blobReaderAt{ctx: ctx, blobs: s.blobs, ref: ref}
	plain, size, err := age.DecryptReaderAt(src, info.Size, ids...)
	if err != nil {
		src.Close()
		return nil, decryptError("open", ref, err, nil)
	}
	return &SealedFile{
		sr:  io.NewSectionReader(&plainReaderAt{ref: ref, ra: plain}, 0, size),
		src: src,
	}, nil
}

// SealedFile is random access to a sealed blob's plaintext. ReadAt and Size
// are safe for concurrent use; Read and Seek share one offset and are not.
// The caller must call Close.
//
// Read and ReadAt return errors wrapping ErrCannotDecrypt when the chunk
// they touch fails authentication, and io.EOF only at the true end.
type SealedFile struct {
	sr  *io.SectionReader
	src *blobReaderAt
}

var (
	_ io.ReaderAt   = (*SealedFile)(nil)
	_ io.ReadSeeker = (*SealedFile)(nil)
	_ io.Closer     = (*SealedFile)(nil)
)

// Size returns the plaintext size in bytes.
func (f *SealedFile) Size() int64 { return f.sr.Size() }

// ReadAt reads plaintext at offset off; see io.ReaderAt.
func (f *SealedFile) ReadAt(p []byte, off int64) (int, error) { return f.sr.ReadAt(p, off) }

// Read reads plaintext at the current offset; see io.Reader.
func (f *SealedFile) Read(p []byte) (int, error) { return f.sr.Read(p) }

// Seek sets the offset for the next Read; see io.Seeker.
func (f *SealedFile) Seek(offset int64, whence int) (int64, error) { return f.sr.Seek(offset, whence) }

// Close releases the underlying blob reader. Reads after Close fail.
func (f *SealedFile) Close() error { return f.src.Close() }

// plainReaderAt maps age's ReadAt errors to this package's errors.
type plainReaderAt struct {
	ref blob.Ref
	ra  io.ReaderAt
}

func (p *plainReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.ra.ReadAt(b, off)
	if err != nil && err != io.EOF {
		err = decryptError("read", p.ref, err, nil)
	}
	return n, err
}

// readWindow is how much of the blob one GetRange asks for when the reads
// are sequential: a whole window is streamed instead of one request per
// 64 KiB chunk, which matters for object stores.
const readWindow = 4 << 20

var errClosed = errors.New("sealed file is closed")

// blobReaderAt is an io.ReaderAt over a stored blob built from GetRange. It
// keeps the last range open and continues from it when the next ReadAt
// starts where the previous one ended. Its errors other than io.EOF are
// *sourceError.
type blobReaderAt struct {
	ctx   context.Context // see OpenSeekable
	blobs blob.Store
	ref   blob.Ref

	mu     sync.Mutex
	closed bool
	cur    io.ReadCloser // open range, or nil
	curOff int64         // blob offset cur will read next
	curEnd int64         // blob offset where cur's range ends
}

func (b *blobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, &sourceError{errClosed}
	}
	if b.cur == nil || b.curOff != off || off+int64(len(p)) > b.curEnd {
		b.closeRange()
		length := max(int64(len(p)), readWindow)
		rc, err := b.blobs.GetRange(b.ctx, b.ref, off, length)
		if err != nil {
			return 0, &sourceError{err}
		}
		b.cur, b.curOff, b.curEnd = rc, off, off+length
	}
	n, err := io.ReadFull(b.cur, p)
	b.curOff += int64(n)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		// The range was cut short by the end of the blob.
		b.closeRange()
		return n, io.EOF
	default:
		b.closeRange()
		return n, &sourceError{err}
	}
}

func (b *blobReaderAt) closeRange() {
	if b.cur != nil {
		b.cur.Close()
		b.cur = nil
	}
}

func (b *blobReaderAt) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.closeRange()
	return nil
}

// Delete removes the blob at ref. A missing blob yields an error wrapping
// blob.ErrNotFound. It does not check ownership; callers decide who may
// delete.
func (s *Sealer) Delete(ctx context.Context, ref blob.Ref) error {
	if err := s.blobs.Delete(ctx, ref); err != nil {
		return fmt.Errorf("keys: delete %s: %w", ref, err)
	}
	return nil
}

// List lists stored (sealed) blobs by ref prefix, for sweeps; it reads no
// content.
func (s *Sealer) List(ctx context.Context, prefix string) iter.Seq2[blob.Info, error] {
	return s.blobs.List(ctx, prefix)
}
