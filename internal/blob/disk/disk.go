// Package disk implements blob.Store on a local file system.
//
// A Store owns one directory, its root. The blob with ref "ns/0123…ef"
// lives in the file <root>/ns/01/23…ef. Files are created 0600 and
// directories 0700.
//
// Put writes to a temporary file in <root>/.tmp, syncs it, hard-links it
// into place and syncs the directory, so a blob appears whole or not at all
// and survives a crash once Put returns. A hard link, unlike a rename,
// fails when the target exists, which makes "never replace a blob" atomic
// even between two Puts of one ref. (The temporary directory is ".tmp"
// rather than "tmp" because "tmp" is a valid ref namespace.)
//
// The file system must support hard links and fsync on directories, as
// local Unix file systems do; New checks for hard links.
package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"safelight/internal/blob"
)

// tmpDirName is the directory, under the root, for Puts in progress. It
// must not be a valid namespace, so that List never mistakes it for one.
const tmpDirName = ".tmp"

// Store is a blob.Store in a directory tree. It is safe for concurrent use
// by multiple goroutines.
//
// Several Stores (several processes, e.g. the server and an administrative
// command) may share a root: New removes only temporary files untouched
// for StaleTemp, which no Put in progress leaves behind, since a Put keeps
// writing to its temporary file until it links it into place.
type Store struct {
	root string // absolute and clean
	tmp  string // root/.tmp

	// synced holds the namespace and fan-out directories whose entries in
	// their parents this Store has made durable, so that each is synced
	// once per process rather than once per Put.
	synced sync.Map // string → struct{}
}

var _ blob.Store = (*Store)(nil)

// StaleTemp is how long a temporary file must sit unmodified before New
// treats it as left by a crash.
const StaleTemp = time.Hour

// New returns a Store rooted at dir, creating dir (mode 0700) and its
// parents if missing; an existing dir keeps its mode. New removes
// temporary files left by Puts that a crash interrupted. It fails if dir
// is not a directory or its file system cannot make hard links.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("disk: new: empty directory name")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("disk: new %s: %w", dir, err)
	}
	s := &Store{root: root, tmp: filepath.Join(root, tmpDirName)}
	if err := s.init(); err != nil {
		return nil, fmt.Errorf("disk: new %s: %w", root, err)
	}
	return s, nil
}

func (s *Store) init() error {
	_, err := os.Stat(s.root)
	created := errors.Is(err, fs.ErrNotExist)
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return err
	}
	if created {
		if err := syncDir(filepath.Dir(s.root)); err != nil {
			return err
		}
	}
	if err := os.Mkdir(s.tmp, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-StaleTemp)
	for _, e := range entries {
		// Only partial or already-linked copies live here; a blob is
		// never only in .tmp.
		if info, err := e.Info(); err != nil || info.ModTime().After(cutoff) {
			continue // vanished, or possibly a Put in progress elsewhere
		}
		if err := os.RemoveAll(filepath.Join(s.tmp, e.Name())); err != nil {
			return fmt.Errorf("remove stale temporary file: %w", err)
		}
	}
	return s.checkLinks()
}

// checkLinks fails early, with a clear error, on file systems without hard
// links, where every Put would fail.
func (s *Store) checkLinks() error {
	f, err := os.CreateTemp(s.tmp, "probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	defer os.Remove(name)
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(name, name+".link"); err != nil {
		return fmt.Errorf("file system cannot make hard links: %w", err)
	}
	return os.Remove(name + ".link")
}

// path returns where ref lives. It is the only place a path is made from a
// ref, and it accepts only valid refs, which cannot contain "..", slashes
// beyond the one after the namespace, or any other path syntax.
func (s *Store) path(ref blob.Ref) (string, error) {
	if !ref.Valid() {
		return "", blob.ErrInvalidRef
	}
	ns, hex, _ := strings.Cut(string(ref), "/")
	return filepath.Join(s.root, ns, hex[:2], hex[2:]), nil
}

// Put stores r's bytes under ref; see blob.Store. When it returns nil the
// blob and its directory entries have been synced to stable storage.
func (s *Store) Put(ctx context.Context, ref blob.Ref, r io.Reader) (int64, error) {
	p, err := s.path(ref)
	if err != nil {
		return 0, opError("put", ref, err)
	}
	n, err := s.put(ctx, p, r)
	if err != nil {
		return 0, opError("put", ref, err)
	}
	return n, nil
}

func (s *Store) put(ctx context.Context, dst string, r io.Reader) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Refuse early rather than read a large stream only to fail at Link.
	if _, err := os.Lstat(dst); err == nil {
		return 0, blob.ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}

	f, err := os.CreateTemp(s.tmp, "put-*") // mode 0600
	if err != nil {
		return 0, err
	}
	// After a successful Link the blob has its own name, so removing the
	// temporary one is right on every path. If removal fails, New cleans up.
	defer os.Remove(f.Name())
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}

	dir := filepath.Dir(dst)
	if err := s.ensureDirs(dir); err != nil {
		return 0, err
	}
	if err := os.Link(f.Name(), dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, blob.ErrExists
		}
		return 0, err
	}
	if err := syncDir(dir); err != nil {
		// The blob's survival is unknown; withdraw it rather than
		// report a failure and leave the ref taken.
		os.Remove(dst)
		return 0, err
	}
	return n, nil
}

// ensureDirs creates the namespace directory and the fan-out directory
// leaf in it, if missing, and makes their entries durable by syncing each
// parent. A directory found already present is synced too, since a
// concurrent Put may have just created it and not yet synced it.
func (s *Store) ensureDirs(leaf string) error {
	for _, dir := range []string{filepath.Dir(leaf), leaf} {
		if _, ok := s.synced.Load(dir); ok {
			continue
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return err
		}
		s.synced.Store(dir, struct{}{})
	}
	return nil
}

// Get opens the blob for reading; see blob.Store. The reader is an open
// file, independent of ctx; the caller must close it. Deleting the blob
// meanwhile does not disturb it.
func (s *Store) Get(ctx context.Context, ref blob.Ref) (io.ReadCloser, error) {
	f, err := s.open(ctx, ref)
	if err != nil {
		return nil, opError("get", ref, err)
	}
	return f, nil
}

// GetRange opens part of the blob; see blob.Store. The reader is as for
// Get.
func (s *Store) GetRange(ctx context.Context, ref blob.Ref, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 && ref.Valid() {
		return nil, opError("get range", ref, fmt.Errorf("negative offset %d", offset))
	}
	f, err := s.open(ctx, ref)
	if err != nil {
		return nil, opError("get range", ref, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, opError("get range", ref, err)
	}
	offset = min(offset, fi.Size())
	n := fi.Size() - offset
	if length >= 0 && length < n {
		n = length
	}
	return sectionReadCloser{io.NewSectionReader(f, offset, n), f}, nil
}

func (s *Store) open(ctx context.Context, ref blob.Ref) (*os.File, error) {
	p, err := s.path(ref)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// sectionReadCloser reads a section of a file and closes the file.
type sectionReadCloser struct {
	*io.SectionReader
	io.Closer
}

// Stat describes the blob; see blob.Store. ModTime is when the blob's
// bytes were last written.
func (s *Store) Stat(ctx context.Context, ref blob.Ref) (blob.Info, error) {
	p, err := s.path(ref)
	if err != nil {
		return blob.Info{}, opError("stat", ref, err)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, opError("stat", ref, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return blob.Info{}, opError("stat", ref, notFound(err))
	}
	return blob.Info{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the blob; see blob.Store. When it returns nil the removal
// has been synced. Empty directories are kept, as a concurrent Put may be
// about to use them.
func (s *Store) Delete(ctx context.Context, ref blob.Ref) error {
	p, err := s.path(ref)
	if err != nil {
		return opError("delete", ref, err)
	}
	if err := ctx.Err(); err != nil {
		return opError("delete", ref, err)
	}
	if err := os.Remove(p); err != nil {
		return opError("delete", ref, notFound(err))
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return opError("delete", ref, err)
	}
	return nil
}

// List yields the blobs whose refs start with prefix; see blob.Store. It
// reads one directory at a time, skipping directories that cannot hold a
// matching ref and anything whose name no Put would make.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[blob.Info, error] {
	return func(yield func(blob.Info, error) bool) {
		if err := s.list(ctx, prefix, yield); err != nil {
			yield(blob.Info{}, fmt.Errorf("disk: list %q: %w", prefix, err))
		}
	}
}

// errStop reports that yield asked to stop; it is never yielded.
var errStop = errors.New("stop")

func (s *Store) list(ctx context.Context, prefix string, yield func(blob.Info, error) bool) error {
	// os.ReadDir sorts by name, and sorting namespace, fan-out and file
	// names in turn sorts refs: a namespace that is a prefix of another
	// sorts first both as a name and, since '/' precedes [0-9a-z], as a
	// ref; the hex parts have fixed lengths.
	if err := ctx.Err(); err != nil {
		return err
	}
	namespaces, err := os.ReadDir(s.root)
	if err != nil {
		return err
	}
	for _, ns := range namespaces {
		if !ns.IsDir() || !mayMatch(ns.Name()+"/", prefix) {
			continue
		}
		fanout, err := os.ReadDir(filepath.Join(s.root, ns.Name()))
		if err != nil {
			return err
		}
		for _, ff := range fanout {
			if !ff.IsDir() || len(ff.Name()) != 2 || !mayMatch(ns.Name()+"/"+ff.Name(), prefix) {
				continue
			}
			err := s.listDir(ctx, prefix, ns.Name(), ff.Name(), yield)
			if errors.Is(err, errStop) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) listDir(ctx context.Context, prefix, ns, ff string, yield func(blob.Info, error) bool) error {
	dir := filepath.Join(s.root, ns, ff)
	files, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		ref := blob.Ref(ns + "/" + ff + f.Name())
		if !f.Type().IsRegular() || !ref.Valid() || !strings.HasPrefix(string(ref), prefix) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := f.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			return err
		}
		if !yield(blob.Info{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}, nil) {
			return errStop
		}
	}
	return nil
}

// mayMatch reports whether refs under a path whose ref form is p could
// start with prefix.
func mayMatch(p, prefix string) bool {
	return strings.HasPrefix(p, prefix) || strings.HasPrefix(prefix, p)
}

// ctxReader fails reads once ctx is done, so that a cancelled Put stops
// between reads of its input.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// notFound maps a missing file to blob.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return blob.ErrNotFound
	}
	return err
}

// opError wraps err with the operation and ref. An invalid ref is quoted,
// as it may hold any bytes.
func opError(op string, ref blob.Ref, err error) error {
	if ref.Valid() {
		return fmt.Errorf("disk: %s %s: %w", op, ref, err)
	}
	return fmt.Errorf("disk: %s %q: %w", op, ref, err)
}
