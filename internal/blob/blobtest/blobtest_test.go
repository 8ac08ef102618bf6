package blobtest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safelight/internal/blob"
	"safelight/internal/blob/blobtest"
)

// TestMemStore checks that a correct store passes: the suite asks nothing
// a backend other than disk cannot do.
func TestMemStore(t *testing.T) {
	blobtest.Test(t, func(t *testing.T) blob.Store { return newMemStore("") })
}

// mutants maps each bug memStore can be given to the subtest that must
// catch it.
var mutants = map[string]string{
	"overwrites":          "PutExisting",
	"checkThenSet":        "PutSameRefConcurrently",
	"acceptsInvalidRef":   "InvalidRef",
	"readsBeforeValidate": "InvalidRef",
	"notFoundPlain":       "Missing",
	"rangeIgnoresLength":  "GetRange",
	"statSizeOff":         "Stat",
	"deleteMissingOK":     "Delete",
	"listUnsorted":        "List",
	"listIgnoresStop":     "ListEarlyStop",
	"listIgnoresCancel":   "ListCanceled",
	"keepsPartial":        "PutReaderError",
	"ignoresCancel":       "PutCanceled",
	"visibleWhileWriting": "PutInvisibleUntilDone",
	"shortCount":          "PutGet",
}

// TestSuiteCatchesBugs runs the suite on each broken store in a child
// process and checks that the intended subtest fails.
func TestSuiteCatchesBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per bug")
	}
	for _, bug := range slices.Sorted(maps.Keys(mutants)) {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMutant$", "-test.count=1", "-test.timeout=5m")
			cmd.Env = append(os.Environ(), "BLOBTEST_MUTANT="+bug)
			out, err := cmd.CombinedOutput()
			want := "--- FAIL: TestMutant/" + mutants[bug]
			if err == nil || !strings.Contains(string(out), want) {
				t.Errorf("suite on a store with bug %q: err = %v, output lacks %q:\n%s", bug, err, want, out)
			}
		})
	}
}

// TestMutant runs the suite on the broken store named by BLOBTEST_MUTANT;
// it is meant to fail, and runs only as TestSuiteCatchesBugs's child.
func TestMutant(t *testing.T) {
	bug := os.Getenv("BLOBTEST_MUTANT")
	if bug == "" {
		t.Skip("run by TestSuiteCatchesBugs")
	}
	if _, ok := mutants[bug]; !ok {
		t.Fatalf("unknown bug %q", bug)
	}
	blobtest.Test(t, func(t *testing.T) blob.Store { return newMemStore(bug) })
}

// memStore is a blob.Store in memory, correct unless bug names a flaw.
type memStore struct {
	bug      string
	mu       sync.Mutex
	blobs    map[blob.Ref]memBlob
	checked  atomic.Int32 // checkThenSet: writers past the existence check
	inflight atomic.Int32 // Puts running
}

type memBlob struct {
	data    []byte
	modTime time.Time
}

func newMemStore(bug string) *memStore {
	return &memStore{bug: bug, blobs: map[blob.Ref]memBlob{}}
}

func (m *memStore) check(ref blob.Ref) error {
	if !ref.Valid() && m.bug != "acceptsInvalidRef" {
		return fmt.Errorf("mem: %q: %w", ref, blob.ErrInvalidRef)
	}
	return nil
}

func (m *memStore) Put(ctx context.Context, ref blob.Ref, r io.Reader) (int64, error) {
	m.inflight.Add(1)
	defer m.inflight.Add(-1)
	if m.bug == "readsBeforeValidate" {
		var b [1]byte
		r.Read(b[:])
	}
	if err := m.check(ref); err != nil {
		return 0, err
	}
	if m.bug != "ignoresCancel" {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		r = ctxReader{ctx, r}
	}
	var w io.Writer
	var buf bytes.Buffer
	w = &buf
	if m.bug == "visibleWhileWriting" {
		m.mu.Lock()
		if _, ok := m.blobs[ref]; ok {
			m.mu.Unlock()
			return 0, fmt.Errorf("mem: put %s: %w", ref, blob.ErrExists)
		}
		m.blobs[ref] = memBlob{nil, time.Now()}
		m.mu.Unlock()
		w = writerFunc(func(p []byte) (int, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			b := m.blobs[ref]
			m.blobs[ref] = memBlob{append(b.data, p...), time.Now()}
			return len(p), nil
		})
	}
	_, err := io.Copy(w, r)
	if err != nil {
		if m.bug == "visibleWhileWriting" {
			m.mu.Lock()
			delete(m.blobs, ref)
			m.mu.Unlock()
		}
		if m.bug == "keepsPartial" {
			m.mu.Lock()
			m.blobs[ref] = memBlob{buf.Bytes(), time.Now()}
			m.mu.Unlock()
		}
		return 0, fmt.Errorf("mem: put %s: %w", ref, err)
	}
	if m.bug == "visibleWhileWriting" {
		m.mu.Lock()
		defer m.mu.Unlock()
		return int64(len(m.blobs[ref].data)), nil
	}

	m.mu.Lock()
	_, exists := m.blobs[ref]
	if m.bug == "checkThenSet" {
		// Hold the gap open until a second writer has checked too, so the
		// race is certain however loaded the machine is (a fixed sleep
		// was not).
		m.checked.Add(1)
		m.mu.Unlock()
		for start := time.Now(); m.checked.Load() < 2; time.Sleep(time.Millisecond) {
			waited := time.Since(start)
			if waited > 2*time.Second || (waited > 200*time.Millisecond && m.inflight.Load() < 2) {
				break // no second writer is coming
			}
		}
		m.mu.Lock()
	}
	defer m.mu.Unlock()
	if exists && m.bug != "overwrites" {
		return 0, fmt.Errorf("mem: put %s: %w", ref, blob.ErrExists)
	}
	m.blobs[ref] = memBlob{buf.Bytes(), time.Now()}
	n := int64(buf.Len())
	if m.bug == "shortCount" && n > 0 {
		n--
	}
	return n, nil
}

func (m *memStore) lookup(ctx context.Context, ref blob.Ref) (memBlob, error) {
	if err := m.check(ref); err != nil {
		return memBlob{}, err
	}
	if err := ctx.Err(); err != nil {
		return memBlob{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[ref]
	if !ok {
		if m.bug == "notFoundPlain" {
			return memBlob{}, fmt.Errorf("mem: no blob %s", ref)
		}
		return memBlob{}, fmt.Errorf("mem: %s: %w", ref, blob.ErrNotFound)
	}
	return b, nil
}

func (m *memStore) Get(ctx context.Context, ref blob.Ref) (io.ReadCloser, error) {
	b, err := m.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

func (m *memStore) GetRange(ctx context.Context, ref blob.Ref, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 && ref.Valid() {
		return nil, fmt.Errorf("mem: get range %s: negative offset", ref)
	}
	b, err := m.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	size := int64(len(b.data))
	offset = min(offset, size)
	n := size - offset
	if length >= 0 && length < n && m.bug != "rangeIgnoresLength" {
		n = length
	}
	return io.NopCloser(bytes.NewReader(b.data[offset : offset+n])), nil
}

func (m *memStore) Stat(ctx context.Context, ref blob.Ref) (blob.Info, error) {
	b, err := m.lookup(ctx, ref)
	if err != nil {
		return blob.Info{}, err
	}
	size := int64(len(b.data))
	if m.bug == "statSizeOff" {
		size++
	}
	return blob.Info{Ref: ref, Size: size, ModTime: b.modTime}, nil
}

func (m *memStore) Delete(ctx context.Context, ref blob.Ref) error {
	if _, err := m.lookup(ctx, ref); err != nil {
		if m.bug == "deleteMissingOK" && ref.Valid() {
			return nil
		}
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, ref)
	return nil
}

func (m *memStore) List(ctx context.Context, prefix string) iter.Seq2[blob.Info, error] {
	return func(yield func(blob.Info, error) bool) {
		m.mu.Lock()
		var infos []blob.Info
		for ref, b := range m.blobs {
			if strings.HasPrefix(string(ref), prefix) {
				infos = append(infos, blob.Info{Ref: ref, Size: int64(len(b.data)), ModTime: b.modTime})
			}
		}
		m.mu.Unlock()
		if m.bug != "listUnsorted" {
			slices.SortFunc(infos, func(a, b blob.Info) int { return strings.Compare(string(a.Ref), string(b.Ref)) })
		}
		for _, info := range infos {
			if err := ctx.Err(); err != nil && m.bug != "listIgnoresCancel" {
				yield(blob.Info{}, err)
				return
			}
			if !yield(info, nil) && m.bug != "listIgnoresStop" {
				return
			}
		}
	}
}

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

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
