package export

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

var zipTime = time.Date(2025, 6, 1, 12, 30, 0, 0, time.UTC)

// unzipTest runs `unzip -t` on the archive, the check a photographer's
// unpacker would make. It skips only when unzip is not installed.
func unzipTest(t *testing.T, archive string) {
	t.Helper()
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Log("SKIPPED the unzip -t check: the unzip command is not installed (apt-get install unzip)")
		return
	}
	out, err := exec.Command(unzip, "-t", archive).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("No errors detected")) {
		t.Errorf("unzip -t %s: %v\n%s", filepath.Base(archive), err, out)
	}
}

// TestZipWriterStreamsInFlatMemory adds 20 entries of 5 MB each (100 MB)
// and checks that the writer allocates a small constant amount, not
// anything near the data size, and that the archive holds every byte.
func TestZipWriterStreamsInFlatMemory(t *testing.T) {
	const files, size = 20, 5 << 20
	archive := filepath.Join(t.TempDir(), "selection.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	zw := NewZipWriter(f)
	for i := range files {
		if err := zw.Add(fmt.Sprintf("IMG_%04d.jpg", i), zipTime, newNoise(uint64(i), size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	const limit = 1 << 20
	t.Logf("wrote %d MB through the ZipWriter, allocating %d KB", files*size>>20, allocated>>10)
	if allocated > limit {
		t.Errorf("ZipWriter allocated %d bytes for %d bytes of entries; want at most %d (the data must stream, not be buffered)",
			allocated, files*size, limit)
	}

	zr, err := zip.OpenReader(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != files {
		t.Fatalf("archive has %d entries; want %d", len(zr.File), files)
	}
	for i, zf := range zr.File {
		if zf.Method != zip.Store {
			t.Errorf("%s method %d; want Store (JPEG does not compress)", zf.Name, zf.Method)
		}
		want := sha256.New()
		io.Copy(want, newNoise(uint64(i), size))
		got := sha256.New()
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(got, rc) // also checks the CRC-32 at EOF
		rc.Close()
		if err != nil || n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Errorf("%s: read %d bytes, %v; want the %d bytes written", zf.Name, n, err, size)
		}
	}
	unzipTest(t, archive)
}

// TestZipWriterStreamsToHTTPClient proves the client receives the first
// entry while the handler is still producing the second: the second
// entry's reader blocks until the client has read 512 KiB. A writer that
// buffered the archive would never let those bytes out, and the request
// would time out.
func TestZipWriterStreamsToHTTPClient(t *testing.T) {
	clientHasData := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zip")
		zw := NewZipWriter(w)
		if err := zw.Add("first.jpg", zipTime, newNoise(1, 2<<20)); err != nil {
			panic(http.ErrAbortHandler)
		}
		second := io.MultiReader(waitReader{r.Context(), clientHasData}, newNoise(2, 1<<20))
		if err := zw.Add("second.jpg", zipTime, second); err != nil {
			panic(http.ErrAbortHandler)
		}
		if err := zw.Close(); err != nil {
			panic(http.ErrAbortHandler)
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 512<<10)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatalf("reading the first 512 KiB while the handler waits: %v (the archive is not streamed)", err)
	}
	close(clientHasData)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	data := append(head, rest...)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for i, zf := range zr.File {
		rc, _ := zf.Open()
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != []int64{2 << 20, 1 << 20}[i] {
			t.Errorf("%s: %d bytes, %v", zf.Name, n, err)
		}
	}
}

// waitReader returns EOF once ready is closed, or fails when ctx ends.
type waitReader struct {
	ctx   context.Context
	ready <-chan struct{}
}

func (w waitReader) Read([]byte) (int, error) {
	select {
	case <-w.ready:
		return 0, io.EOF
	case <-w.ctx.Done():
		return 0, w.ctx.Err()
	}
}

// TestZipWriterNames checks entry names against hostile and duplicate
// file names, then unpacks the archive with unzip and checks that every
// file landed inside the target folder.
func TestZipWriterNames(t *testing.T) {
	in := []string{
		"IMG_0001.jpg",
		"../../../../tmp/escaped.jpg",
		"/etc/passwd",
		`C:\Windows\system32\evil.jpg`,
		`..\..\evil2.jpg`,
		"IMG_0001.jpg",
		"img_0001.JPG",
		"a\x00b\nc.jpg",
		"photo\u202Egpj.exe",
		"CON.jpg",
		"Zoë 写真 📷.heic",
		"",
		"..",
		"review.csv",
		"IMG_0001.xmp",
	}
	want := []string{
		"IMG_0001.jpg",
		"escaped.jpg",
		"passwd",
		"evil.jpg",
		"evil2.jpg",
		"IMG_0001-2.jpg",
		"img_0001-3.JPG",
		"abc.jpg",
		"photogpj.exe",
		"CON_.jpg",
		"Zoë 写真 📷.heic",
		"unnamed",
		"unnamed-2",
		"review.csv",
		"IMG_0001.xmp",
	}
	archive := filepath.Join(t.TempDir(), "names.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	zw := NewZipWriter(f)
	for i, name := range in {
		if err := zw.Add(name, zipTime, strings.NewReader(fmt.Sprintf("entry %d\n", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	zr, err := zip.OpenReader(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got []string
	for i, zf := range zr.File {
		got = append(got, zf.Name)
		if zf.Flags&0x800 == 0 {
			t.Errorf("%q: UTF-8 flag not set", zf.Name)
		}
		wantMethod := zip.Store
		if strings.HasSuffix(zf.Name, ".csv") || strings.HasSuffix(zf.Name, ".xmp") {
			wantMethod = zip.Deflate
		}
		if zf.Method != wantMethod {
			t.Errorf("%q: method %d; want %d", zf.Name, zf.Method, wantMethod)
		}
		if !zf.Modified.Equal(zipTime) {
			t.Errorf("%q: modified %v; want %v", zf.Name, zf.Modified, zipTime)
		}
		if zf.Mode() != 0o644 {
			t.Errorf("%q: mode %v; want -rw-r--r--", zf.Name, zf.Mode())
		}
		rc, _ := zf.Open()
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(body) != fmt.Sprintf("entry %d\n", i) {
			t.Errorf("%q = %q, %v; want entry %d", zf.Name, body, err, i)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry names = %q\nwant %q", got, want)
	}
	// Every name must also pass archive/zip's own insecure-path check.
	if _, err := zr.Open("."); err != nil {
		t.Errorf("archive/zip refuses the archive as a file system: %v", err)
	}
	for _, name := range got {
		if !fs.ValidPath(name) || strings.ContainsAny(name, `/\`) {
			t.Errorf("entry %q is not a plain file name", name)
		}
	}

	unzipTest(t, archive)
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Log("SKIPPED unpacking with unzip: the unzip command is not installed")
		return
	}
	dest := filepath.Join(t.TempDir(), "out")
	if out, err := exec.Command(unzip, "-q", archive, "-d", dest).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(in) {
		t.Errorf("unzip produced %d files in the target folder; want %d", len(entries), len(in))
	}
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("unzip created a folder %q", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dest), "escaped.jpg")); err == nil {
		t.Error("an entry was unpacked outside the target folder")
	}
}

// TestZipWriterBrokenReaderBreaksArchive: when a file cannot be read to
// the end, the client must get a damaged archive, never a valid one with
// a silently truncated photo.
func TestZipWriterBrokenReaderBreaksArchive(t *testing.T) {
	errStorage := errors.New("object store went away")
	var buf bytes.Buffer
	zw := NewZipWriter(&buf)
	if err := zw.Add("ok.jpg", zipTime, newNoise(1, 100<<10)); err != nil {
		t.Fatal(err)
	}
	broken := io.MultiReader(newNoise(2, 100<<10), errReader{errStorage})
	if err := zw.Add("broken.jpg", zipTime, broken); !errors.Is(err, errStorage) {
		t.Fatalf("Add with a failing reader = %v; want errStorage", err)
	}
	if err := zw.Add("later.jpg", zipTime, strings.NewReader("x")); !errors.Is(err, errStorage) {
		t.Errorf("Add after a failure = %v; want the first error again", err)
	}
	if err := zw.Close(); !errors.Is(err, errStorage) {
		t.Errorf("Close after a failure = %v; want errStorage", err)
	}
	if _, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil {
		t.Error("the archive of a failed export opens as a valid ZIP")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestZipWriterAfterClose(t *testing.T) {
	var buf bytes.Buffer
	zw := NewZipWriter(&buf)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	if err := zw.Add("a.jpg", zipTime, strings.NewReader("x")); err == nil {
		t.Error("Add after Close succeeded")
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || len(zr.File) != 0 {
		t.Errorf("empty archive: %v, %d entries; want a valid empty ZIP", err, len(zr.File))
	}
}

func TestZipWriterReportsWriteErrors(t *testing.T) {
	zw := NewZipWriter(&failingWriter{after: 10 << 10})
	err := zw.Add("a.jpg", zipTime, newNoise(1, 1<<20))
	if err == nil {
		err = zw.Close()
	}
	if !errors.Is(err, errDiskFull) {
		t.Errorf("writing to a failing destination = %v; want errDiskFull", err)
	}
}
