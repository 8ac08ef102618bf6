// Package blobtest is the conformance suite for blob.Store implementations,
// in the manner of testing/fstest and Perkeep's storagetest: every backend's
// tests call Test once, and a backend is correct when the suite passes.
package blobtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"safelight/internal/blob"
)

// Test checks that the stores made by newStore behave as blob.Store
// documents. Call it from a backend's tests in one line:
//
//	func TestStore(t *testing.T) {
//		blobtest.Test(t, func(t *testing.T) blob.Store { return newTestStore(t) })
//	}
//
// newStore is called once per subtest and must return a new, empty store;
// it should fail t if it cannot make one and register any cleanup with
// t.Cleanup. Several subtests run goroutines against one store, so run
// the suite with -race. A full run writes a few tens of megabytes.
func Test(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutGet", testPutGet},
		{"PutGetLarge", testPutGetLarge},
		{"PutExisting", testPutExisting},
		{"PutSameRefConcurrently", testPutSameRefConcurrently},
		{"InvalidRef", testInvalidRef},
		{"Missing", testMissing},
		{"GetRange", testGetRange},
		{"Stat", testStat},
		{"Delete", testDelete},
		{"List", testList},
		{"ListEarlyStop", testListEarlyStop},
		{"ListCanceled", testListCanceled},
		{"Namespaces", testNamespaces},
		{"PutReaderError", testPutReaderError},
		{"PutCanceled", testPutCanceled},
		{"PutInvisibleUntilDone", testPutInvisibleUntilDone},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// errRead is the failure injected into Put's input.
var errRead = errors.New("blobtest: simulated read failure")

func testPutGet(t *testing.T, s blob.Store) {
	small := content(1, 1000)
	overBuffer := content(2, 32<<10+1) // one byte past io.Copy's buffer
	tests := []struct {
		name   string
		data   []byte
		reader func([]byte) io.Reader
	}{
		{"Empty", nil, readerOf},
		{"OneByte", []byte{0}, readerOf},
		{"Small", small, readerOf},
		{"OverCopyBuffer", overBuffer, readerOf},
		{"OneByteReads", small, func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		{"HalfReads", overBuffer, func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
		{"DataWithEOF", small, func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := blob.NewRef("orig")
			n, err := s.Put(t.Context(), ref, tt.reader(tt.data))
			if err != nil || n != int64(len(tt.data)) {
				t.Fatalf("Put(%s, %d bytes) = %d, %v; want %d, nil", ref, len(tt.data), n, err, len(tt.data))
			}
			checkContent(t, s, ref, tt.data)
			checkSize(t, s, ref, int64(len(tt.data)))
		})
	}
}

func testPutGetLarge(t *testing.T, s blob.Store) {
	const size = 8<<20 + 123
	want := content(3, size)
	ref := blob.NewRef("orig")
	// A LimitReader over a generator: no Len, Seek or WriteTo to lean on.
	n, err := s.Put(t.Context(), ref, stream(3, size))
	if err != nil || n != size {
		t.Fatalf("Put(%s, %d streamed bytes) = %d, %v; want %d, nil", ref, size, n, err, size)
	}
	checkContent(t, s, ref, want)
	checkSize(t, s, ref, size)

	off, length := int64(3<<20-77), int64(1<<20+3) // straddles MiB boundaries
	got, err := readRange(t.Context(), s, ref, off, length)
	if err != nil {
		t.Fatalf("GetRange(%s, %d, %d): %v", ref, off, length, err)
	}
	if w := want[off : off+length]; !bytes.Equal(got, w) {
		t.Errorf("GetRange(%s, %d, %d) = %s; want %d bytes", ref, off, length, describe(got, w), len(w))
	}
}

func testPutExisting(t *testing.T, s blob.Store) {
	ref := blob.NewRef("orig")
	orig := content(4, 1000)
	mustPut(t, s, ref, orig)

	tests := []struct {
		name    string
		r       io.Reader
		wantErr []error // any of these
	}{
		{"Different", readerOf(content(5, 2000)), []error{blob.ErrExists}},
		{"Same", readerOf(orig), []error{blob.ErrExists}},
		{"Empty", readerOf(nil), []error{blob.ErrExists}},
		{"Stream", stream(6, 3<<20), []error{blob.ErrExists}},
		{"FailingReader", &failingReader{r: pseudoRandom(7), n: 100, err: errRead}, []error{blob.ErrExists, errRead}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.Put(t.Context(), ref, tt.r)
			if !matchesAny(err, tt.wantErr) || n != 0 {
				t.Errorf("Put(%s) over an existing blob = %d, %v; want 0, %v", ref, n, err, tt.wantErr)
			}
			checkContent(t, s, ref, orig)
			checkSize(t, s, ref, int64(len(orig)))
		})
	}
	checkList(t, s, string(ref), []entry{{ref, int64(len(orig))}})
}

func testPutSameRefConcurrently(t *testing.T, s blob.Store) {
	const writers = 8
	ref := blob.NewRef("orig")
	data := make([][]byte, writers)
	for i := range data {
		data[i] = content(uint64(100+i), 256<<10+i)
	}
	ns := make([]int64, writers)
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			ns[i], errs[i] = s.Put(t.Context(), ref, readerOf(data[i]))
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("concurrent Puts %d and %d of %s both succeeded; want exactly one", winner, i, ref)
			}
			winner = i
			if ns[i] != int64(len(data[i])) {
				t.Errorf("concurrent Put %d of %s = %d, nil; want %d, nil", i, ref, ns[i], len(data[i]))
			}
		case errors.Is(err, blob.ErrExists):
			if ns[i] != 0 {
				t.Errorf("concurrent Put %d of %s = %d, %v; want 0", i, ref, ns[i], err)
			}
		default:
			t.Errorf("concurrent Put %d of %s = %d, %v; want nil or ErrExists", i, ref, ns[i], err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent Puts of %s succeeded; want exactly one", writers, ref)
	}
	checkContent(t, s, ref, data[winner])
}

func testInvalidRef(t *testing.T, s blob.Store) {
	valid := blob.NewRef("orig")
	data := content(8, 100)
	mustPut(t, s, valid, data)

	ns, hex, _ := strings.Cut(string(valid), "/")
	invalid := []blob.Ref{
		"",
		"x",
		"/",
		"..",
		"../x",
		"orig",
		"orig/",
		blob.Ref(hex),
		blob.Ref("/" + valid),
		blob.Ref(valid + "/"),
		blob.Ref("./" + valid),
		blob.Ref("../" + valid),
		blob.Ref(ns + "/../" + string(valid)),
		blob.Ref(ns + "/" + hex[:2] + "/" + hex[2:]), // the disk layout of valid
		blob.Ref(ns + "//" + hex),
		blob.Ref(ns + `\` + hex),
		blob.Ref(strings.ToUpper(string(valid))),
		blob.Ref("ORIG/" + hex),
		blob.Ref(ns + "/" + strings.ToUpper(hex)),
		blob.Ref(ns + "/" + hex[:31]),
		blob.Ref(ns + "/" + hex + "0"),
		blob.Ref(ns + "/" + hex[:31] + "g"),
		blob.Ref("abcdefghijklmnopq/" + hex), // namespace of 17
		blob.Ref("or-ig/" + hex),
		blob.Ref(".tmp/" + hex),
		blob.Ref(valid + "\n"),
		blob.Ref(ns + "\x00/" + hex),
		blob.Ref(ns + "/" + hex[:31] + "\x00"),
	}
	ctx := t.Context()
	for _, ref := range invalid {
		if ref.Valid() {
			t.Fatalf("Ref(%q).Valid() = true; want false", ref)
		}
		r := &countingReader{r: readerOf(content(9, 10))}
		if n, err := s.Put(ctx, ref, r); !errors.Is(err, blob.ErrInvalidRef) || n != 0 {
			t.Errorf("Put(%q) = %d, %v; want 0, ErrInvalidRef", ref, n, err)
		}
		if n := r.n.Load(); n != 0 {
			t.Errorf("Put(%q) read %d bytes; want the ref rejected before reading", ref, n)
		}
		if rc, err := s.Get(ctx, ref); !errors.Is(err, blob.ErrInvalidRef) {
			closeIf(rc)
			t.Errorf("Get(%q) error = %v; want ErrInvalidRef", ref, err)
		}
		if rc, err := s.GetRange(ctx, ref, 0, -1); !errors.Is(err, blob.ErrInvalidRef) {
			closeIf(rc)
			t.Errorf("GetRange(%q, 0, -1) error = %v; want ErrInvalidRef", ref, err)
		}
		if info, err := s.Stat(ctx, ref); !errors.Is(err, blob.ErrInvalidRef) {
			t.Errorf("Stat(%q) = %+v, %v; want ErrInvalidRef", ref, info, err)
		}
		if err := s.Delete(ctx, ref); !errors.Is(err, blob.ErrInvalidRef) {
			t.Errorf("Delete(%q) = %v; want ErrInvalidRef", ref, err)
		}
	}
	// Nothing was stored, and no invalid alias of valid reached it.
	checkContent(t, s, valid, data)
	checkList(t, s, "", []entry{{valid, int64(len(data))}})
}

func testMissing(t *testing.T, s blob.Store) {
	present := blob.NewRef("orig")
	data := content(10, 100)
	mustPut(t, s, present, data)

	ns, hex, _ := strings.Cut(string(present), "/")
	last := "0"
	if hex[31] == '0' {
		last = "1"
	}
	missing := []blob.Ref{
		blob.Ref(ns + "/" + hex[:31] + last), // same directory, if the backend has any
		blob.Ref("thumb/" + hex),             // same name, other namespace
		blob.NewRef("orig"),
		blob.NewRef("thumb"),
	}
	ctx := t.Context()
	for _, ref := range missing {
		checkAbsent(t, s, ref)
		if rc, err := s.GetRange(ctx, ref, 10, 5); !errors.Is(err, blob.ErrNotFound) {
			closeIf(rc)
			t.Errorf("GetRange(%s, 10, 5) error = %v; want ErrNotFound", ref, err)
		}
		if err := s.Delete(ctx, ref); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Delete(%s) = %v; want ErrNotFound", ref, err)
		}
	}
	checkContent(t, s, present, data)
}

func testGetRange(t *testing.T, s blob.Store) {
	data := content(11, 1000)
	ref := blob.NewRef("orig")
	mustPut(t, s, ref, data)

	tests := []struct {
		offset, length int64
		want           []byte
	}{
		{0, -1, data},
		{0, 1000, data},
		{0, 2000, data},
		{10, 20, data[10:30]},
		{999, 1, data[999:]},
		{990, 100, data[990:]},
		{500, -1, data[500:]},
		{500, math.MinInt64, data[500:]},
		{1, math.MaxInt64, data[1:]},
		{0, 0, nil},
		{500, 0, nil},
		{1000, 0, nil},
		{1000, 10, nil},
		{1000, -1, nil},
		{5000, 10, nil},
		{math.MaxInt64, 1, nil},
		{math.MaxInt64, -1, nil},
	}
	for _, tt := range tests {
		got, err := readRange(t.Context(), s, ref, tt.offset, tt.length)
		if err != nil {
			t.Errorf("GetRange(%s, %d, %d): %v", ref, tt.offset, tt.length, err)
			continue
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("GetRange(%s, %d, %d) = %s; want %d bytes", ref, tt.offset, tt.length, describe(got, tt.want), len(tt.want))
		}
	}

	for _, offset := range []int64{-1, -1000, math.MinInt64} {
		for _, length := range []int64{-1, 0, 10} {
			rc, err := s.GetRange(t.Context(), ref, offset, length)
			switch {
			case err == nil:
				rc.Close()
				t.Errorf("GetRange(%s, %d, %d) succeeded; want an error for the negative offset", ref, offset, length)
			case errors.Is(err, blob.ErrNotFound):
				t.Errorf("GetRange(%s, %d, %d) = %v; want an error for the negative offset, not ErrNotFound", ref, offset, length, err)
			}
		}
	}

	empty := blob.NewRef("orig")
	mustPut(t, s, empty, nil)
	for _, r := range [][2]int64{{0, -1}, {0, 0}, {0, 10}, {1, 1}, {1, -1}} {
		got, err := readRange(t.Context(), s, empty, r[0], r[1])
		if err != nil || len(got) != 0 {
			t.Errorf("GetRange(%s, %d, %d) of an empty blob = %d bytes, %v; want 0 bytes, nil", empty, r[0], r[1], len(got), err)
		}
	}
}

func testStat(t *testing.T, s blob.Store) {
	for i, size := range []int{0, 1, 4097} {
		ref := blob.NewRef("orig")
		mustPut(t, s, ref, content(uint64(12+i), size))
		info, err := s.Stat(t.Context(), ref)
		if err != nil {
			t.Errorf("Stat(%s): %v", ref, err)
			continue
		}
		if info.Ref != ref || info.Size != int64(size) {
			t.Errorf("Stat(%s) = {Ref: %s, Size: %d}; want {Ref: %s, Size: %d}", ref, info.Ref, info.Size, ref, size)
		}
		checkModTime(t, "Stat", info)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := t.Context()
	a, b := blob.NewRef("orig"), blob.NewRef("orig")
	dataA, dataB := content(20, 500), content(21, 600)
	mustPut(t, s, a, dataA)
	mustPut(t, s, b, dataB)

	if err := s.Delete(ctx, a); err != nil {
		t.Fatalf("Delete(%s) = %v; want nil", a, err)
	}
	checkAbsent(t, s, a)
	if err := s.Delete(ctx, a); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("second Delete(%s) = %v; want ErrNotFound", a, err)
	}
	checkContent(t, s, b, dataB)
	checkList(t, s, "", []entry{{b, int64(len(dataB))}})

	// A deleted ref is free again.
	again := content(22, 700)
	mustPut(t, s, a, again)
	checkContent(t, s, a, again)
}

// entry is what List reports about a blob, minus its ModTime.
type entry struct {
	Ref  blob.Ref
	Size int64
}

func testList(t *testing.T, s blob.Store) {
	checkList(t, s, "", nil) // a new store is empty

	var all []entry
	for i, ns := range []string{"a", "ab", "b", "tmp", "z0"} {
		for j := range 5 {
			k := i*5 + j
			ref := blob.NewRef(ns)
			size := k * 37 // the first is empty
			mustPut(t, s, ref, content(uint64(30+k), size))
			all = append(all, entry{ref, int64(size)})
		}
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(string(x.Ref), string(y.Ref)) })
	first := string(all[0].Ref) // in namespace "a"

	prefixes := []string{
		"", "a", "a/", "ab", "ab/", "b", "b/", "t", "tmp", "tmp/", "z", "z0/",
		first[:3], first[:4], first[:10], first[:len(first)-1], first, first + "0",
		"c", "z1", "/", "../", "A", "a//", ".tmp", "a/g",
	}
	for _, prefix := range prefixes {
		var want []entry
		for _, e := range all {
			if strings.HasPrefix(string(e.Ref), prefix) {
				want = append(want, e)
			}
		}
		checkList(t, s, prefix, want)
	}
}

func testListEarlyStop(t *testing.T, s blob.Store) {
	var refs []blob.Ref
	for i := range 5 {
		ref := blob.NewRef("orig")
		mustPut(t, s, ref, content(uint64(40+i), 10))
		refs = append(refs, ref)
	}
	slices.Sort(refs)

	for _, k := range []int{1, 3} {
		var got []blob.Ref
		for info, err := range s.List(t.Context(), "") {
			if err != nil {
				t.Fatalf("List(%q): %v", "", err)
			}
			got = append(got, info.Ref)
			if len(got) == k {
				break // the runtime panics if List yields again
			}
		}
		if !slices.Equal(got, refs[:k]) {
			t.Errorf("List(%q) up to break = %v; want %v", "", got, refs[:k])
		}
	}

	// Called directly, the iterator must honour a false from yield too.
	calls := 0
	s.List(t.Context(), "")(func(blob.Info, error) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("List(%q) called yield %d times after it returned false; want 1", "", calls)
	}

	var want []entry
	for _, ref := range refs {
		want = append(want, entry{ref, 10})
	}
	checkList(t, s, "", want)
}

func testListCanceled(t *testing.T, s blob.Store) {
	for i := range 3 {
		mustPut(t, s, blob.NewRef("orig"), content(uint64(50+i), 10))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	var gotErr error
	afterErr := 0
	for info, err := range s.List(ctx, "") {
		if gotErr != nil {
			afterErr++
			continue
		}
		if err != nil {
			gotErr = err
			if info.Ref != "" || info.Size != 0 || !info.ModTime.IsZero() {
				t.Errorf("List yielded error %v with Info %+v; want a zero Info", err, info)
			}
		}
	}
	if !errors.Is(gotErr, context.Canceled) {
		t.Errorf("List with a cancelled context yielded error %v; want one matching context.Canceled", gotErr)
	}
	if afterErr != 0 {
		t.Errorf("List yielded %d more times after an error; want it to stop", afterErr)
	}
}

func testNamespaces(t *testing.T, s blob.Store) {
	// Namespaces that a backend might be tempted to use for itself.
	var all []entry
	for i, ns := range []string{"0", "9", "z", "tmp", "temp", "data", "abcdefghijklmnop"} {
		ref := blob.NewRef(ns)
		data := content(uint64(60+i), 100+i)
		mustPut(t, s, ref, data)
		checkContent(t, s, ref, data)
		checkList(t, s, ns+"/", []entry{{ref, int64(len(data))}})
		all = append(all, entry{ref, int64(len(data))})
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(string(x.Ref), string(y.Ref)) })
	checkList(t, s, "", all)
}

func testPutReaderError(t *testing.T, s blob.Store) {
	var stored []entry
	for i, n := range []int64{0, 1000, 1<<20 + 5} {
		ref := blob.NewRef("orig")
		r := &failingReader{r: pseudoRandom(uint64(70 + i)), n: n, err: errRead}
		got, err := s.Put(t.Context(), ref, r)
		if !errors.Is(err, errRead) || got != 0 {
			t.Errorf("Put(%s) of a reader failing after %d bytes = %d, %v; want 0, an error matching %q", ref, n, got, err, errRead)
		}
		checkAbsent(t, s, ref)

		// The failed Put holds nothing: the ref can be used.
		data := content(uint64(80+i), 100)
		mustPut(t, s, ref, data)
		checkContent(t, s, ref, data)
		stored = append(stored, entry{ref, 100})
	}
	slices.SortFunc(stored, func(x, y entry) int { return strings.Compare(string(x.Ref), string(y.Ref)) })
	checkList(t, s, "", stored)
}

func testPutCanceled(t *testing.T, s blob.Store) {
	t.Run("Before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		ref := blob.NewRef("orig")
		n, err := s.Put(ctx, ref, readerOf(content(90, 1000)))
		if !errors.Is(err, context.Canceled) || n != 0 {
			t.Errorf("Put(%s) with a cancelled context = %d, %v; want 0, context.Canceled", ref, n, err)
		}
		checkAbsent(t, s, ref)
		data := content(91, 10)
		mustPut(t, s, ref, data)
		checkContent(t, s, ref, data)
	})
	t.Run("During", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ref := blob.NewRef("orig")
		// The input goes on long after the cancel, so that a Put that
		// notices only at EOF is caught. The bound on what it may read
		// meanwhile leaves room for backends that buffer parts.
		const after, more, maxMore = 1 << 20, 96 << 20, 32 << 20
		r := &cancelingReader{r: stream(92, after+more), after: after, cancel: cancel}
		n, err := s.Put(ctx, ref, r)
		if !errors.Is(err, context.Canceled) || n != 0 {
			t.Errorf("Put(%s) cancelled after 1 MiB = %d, %v; want 0, context.Canceled", ref, n, err)
		}
		if extra := r.read - after; extra > maxMore {
			t.Errorf("Put(%s) read %d bytes after its context was cancelled; want it to stop reading (at most %d)", ref, extra, maxMore)
		}
		checkAbsent(t, s, ref)
		data := content(93, 10)
		mustPut(t, s, ref, data)
		checkContent(t, s, ref, data)
	})
}

func testPutInvisibleUntilDone(t *testing.T, s blob.Store) {
	const size = 1 << 20
	want := content(100, size)
	ref := blob.NewRef("orig")
	r := &pausingReader{r: readerOf(want), at: size / 2, paused: make(chan struct{}), resume: make(chan struct{})}
	resume := sync.OnceFunc(func() { close(r.resume) })
	defer resume()

	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.Put(t.Context(), ref, r)
		done <- result{n, err}
	}()
	select {
	case <-r.paused:
	case res := <-done:
		t.Fatalf("Put(%s) = %d, %v before reading all its input", ref, res.n, res.err)
	case <-time.After(time.Minute):
		t.Fatalf("Put(%s) read less than %d bytes in a minute", ref, size/2)
	}

	checked := make(chan struct{})
	go func() {
		defer close(checked)
		checkAbsent(t, s, ref)
	}()
	select {
	case <-checked:
	case <-time.After(30 * time.Second):
		t.Errorf("Get, Stat or List blocked while a Put waited for its input; want them answered meanwhile")
	}

	resume()
	res := <-done
	<-checked
	if res.err != nil || res.n != size {
		t.Fatalf("Put(%s) = %d, %v; want %d, nil", ref, res.n, res.err, size)
	}
	checkContent(t, s, ref, want)
}

func testConcurrent(t *testing.T, s blob.Store) {
	const blobs = 16
	ctx := t.Context()
	refs := make([]blob.Ref, blobs)
	sizes := make(map[blob.Ref]int64, blobs)
	for i := range refs {
		refs[i] = blob.NewRef([]string{"orig", "thumb"}[i%2])
		sizes[refs[i]] = int64(i*1000 + (i%4)*70000)
	}

	// A lister running beside the Puts may see a blob or not, but only whole.
	stop := make(chan struct{})
	var lister sync.WaitGroup
	lister.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for info, err := range s.List(ctx, "") {
				if err != nil {
					t.Errorf("List during Puts: %v", err)
					return
				}
				if want, ok := sizes[info.Ref]; !ok || info.Size != want {
					t.Errorf("List during Puts yielded %s of size %d; want a ref being put, at its full size %d", info.Ref, info.Size, want)
					return
				}
			}
		}
	})
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Go(func() {
			if n, err := s.Put(ctx, ref, stream(uint64(200+i), sizes[ref])); err != nil || n != sizes[ref] {
				t.Errorf("concurrent Put(%s) = %d, %v; want %d, nil", ref, n, err, sizes[ref])
			}
		})
	}
	wg.Wait()
	close(stop)
	lister.Wait()

	for i, ref := range refs {
		want := content(uint64(200+i), int(sizes[ref]))
		for range 4 {
			wg.Go(func() {
				got, err := readBlob(ctx, s, ref)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("concurrent Get(%s) = %s, %v; want %d bytes", ref, describe(got, want), err, len(want))
				}
				off := int64(len(want) / 3)
				got, err = readRange(ctx, s, ref, off, off)
				if w := want[off : 2*off]; err != nil || !bytes.Equal(got, w) {
					t.Errorf("concurrent GetRange(%s, %d, %d) = %s, %v; want %d bytes", ref, off, off, describe(got, w), err, len(w))
				}
			})
		}
	}
	wg.Wait()
}

// pseudoRandom returns an endless, deterministic byte stream for seed.
// Its bytes do not depend on how reads are sized.
func pseudoRandom(seed uint64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return rand.NewChaCha8(key)
}

// stream returns n bytes of pseudoRandom(seed) through a reader that has
// only Read: a backend cannot learn the size in advance or seek.
func stream(seed uint64, n int64) io.Reader {
	return io.LimitReader(pseudoRandom(seed), n)
}

// content returns the n bytes that stream(seed, n) yields.
func content(seed uint64, n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(pseudoRandom(seed), b); err != nil {
		panic(err) // ChaCha8 never fails
	}
	return b
}

// readerOf returns a reader of b that hides bytes.Reader's Len, Seek and
// WriteTo, so backends are tested on the plain io.Reader they are promised.
func readerOf(b []byte) io.Reader {
	return struct{ io.Reader }{bytes.NewReader(b)}
}

// failingReader reads from r until it has returned n bytes, then fails
// with err. The read that reaches n returns its data and err together.
type failingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	k, err := f.r.Read(p)
	f.n -= int64(k)
	if err == nil && f.n == 0 {
		err = f.err
	}
	return k, err
}

// cancelingReader reads from r and calls cancel once it has returned
// after bytes, then goes on reading as if nothing happened. It counts the
// bytes read in total.
type cancelingReader struct {
	r      io.Reader
	after  int64
	cancel context.CancelFunc
	read   int64
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

// pausingReader reads from r until it has returned at bytes, then closes
// paused and blocks until resume is closed.
type pausingReader struct {
	r              io.Reader
	at             int64
	paused, resume chan struct{}
	read           int64
	didPause       bool
}

func (p *pausingReader) Read(b []byte) (int, error) {
	if !p.didPause {
		if p.read >= p.at {
			p.didPause = true
			close(p.paused)
			<-p.resume
		} else if rest := p.at - p.read; int64(len(b)) > rest {
			b = b[:rest]
		}
	}
	n, err := p.r.Read(b)
	p.read += int64(n)
	return n, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func mustPut(t *testing.T, s blob.Store, ref blob.Ref, data []byte) {
	t.Helper()
	n, err := s.Put(t.Context(), ref, readerOf(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Put(%s, %d bytes) = %d, %v; want %d, nil", ref, len(data), n, err, len(data))
	}
}

func readBlob(ctx context.Context, s blob.Store, ref blob.Ref) ([]byte, error) {
	rc, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	return readAndClose(rc)
}

func readRange(ctx context.Context, s blob.Store, ref blob.Ref, offset, length int64) ([]byte, error) {
	rc, err := s.GetRange(ctx, ref, offset, length)
	if err != nil {
		return nil, err
	}
	return readAndClose(rc)
}

func readAndClose(rc io.ReadCloser) ([]byte, error) {
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return b, err
}

func closeIf(rc io.ReadCloser) {
	if rc != nil {
		rc.Close()
	}
}

// checkContent checks that ref holds want. It only calls t.Errorf, so it
// may run on any goroutine.
func checkContent(t *testing.T, s blob.Store, ref blob.Ref, want []byte) {
	t.Helper()
	got, err := readBlob(t.Context(), s, ref)
	if err != nil {
		t.Errorf("Get(%s): %v", ref, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%s) = %s; want %d bytes", ref, describe(got, want), len(want))
	}
}

func checkSize(t *testing.T, s blob.Store, ref blob.Ref, want int64) {
	t.Helper()
	info, err := s.Stat(t.Context(), ref)
	if err != nil || info.Size != want || info.Ref != ref {
		t.Errorf("Stat(%s) = {Ref: %s, Size: %d}, %v; want {Ref: %s, Size: %d}, nil", ref, info.Ref, info.Size, err, ref, want)
	}
}

// checkAbsent checks that every way of reading ref says ErrNotFound. It
// only calls t.Errorf, so it may run on any goroutine.
func checkAbsent(t *testing.T, s blob.Store, ref blob.Ref) {
	t.Helper()
	ctx := t.Context()
	if rc, err := s.Get(ctx, ref); !errors.Is(err, blob.ErrNotFound) {
		closeIf(rc)
		t.Errorf("Get(%s) error = %v; want ErrNotFound", ref, err)
	}
	if rc, err := s.GetRange(ctx, ref, 0, -1); !errors.Is(err, blob.ErrNotFound) {
		closeIf(rc)
		t.Errorf("GetRange(%s, 0, -1) error = %v; want ErrNotFound", ref, err)
	}
	if info, err := s.Stat(ctx, ref); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(%s) = %+v, %v; want ErrNotFound", ref, info, err)
	}
	if got, err := listEntries(s.List(ctx, string(ref))); err != nil || len(got) != 0 {
		t.Errorf("List(%q) = %v, %v; want nothing", ref, got, err)
	}
}

// checkList checks that List(prefix) yields exactly want, in order, with
// valid refs and plausible times.
func checkList(t *testing.T, s blob.Store, prefix string, want []entry) {
	t.Helper()
	var got []entry
	for info, err := range s.List(t.Context(), prefix) {
		if err != nil {
			t.Errorf("List(%q) error after %d blobs: %v", prefix, len(got), err)
			return
		}
		if !info.Ref.Valid() {
			t.Errorf("List(%q) yielded invalid ref %q", prefix, info.Ref)
		}
		checkModTime(t, "List", info)
		got = append(got, entry{info.Ref, info.Size})
	}
	if !slices.Equal(got, want) {
		t.Errorf("List(%q) = %v; want %v", prefix, got, want)
	}
}

func listEntries(seq iter.Seq2[blob.Info, error]) ([]entry, error) {
	var got []entry
	for info, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, entry{info.Ref, info.Size})
	}
	return got, nil
}

// checkModTime checks that a blob just written has a time near now. The
// margin allows for coarse file system clocks and remote servers' skew.
func checkModTime(t *testing.T, op string, info blob.Info) {
	t.Helper()
	now := time.Now()
	if mt := info.ModTime; mt.Before(now.Add(-time.Hour)) || mt.After(now.Add(time.Hour)) {
		t.Errorf("%s: %s has ModTime %v; want the time it was put (about %v)", op, info.Ref, mt, now.Round(time.Second))
	}
}

func matchesAny(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// describe summarises got for a message, locating its first difference
// from want.
func describe(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	if i == len(got) && i == len(want) {
		return fmt.Sprintf("%d bytes (equal)", len(got))
	}
	return fmt.Sprintf("%d bytes (first difference at offset %d)", len(got), i)
}
