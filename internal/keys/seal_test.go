package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"safelight/internal/blob"
)

const chunk = 64 << 10 // age's STREAM chunk size

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func readAllOpen(t *testing.T, s *Sealer, owner string, ref blob.Ref) ([]byte, error) {
	t.Helper()
	rc, err := s.Open(context.Background(), owner, ref)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestSealRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0x42}},
		{"small", []byte("a small photograph, pretend")},
		{"chunk minus one", randomBytes(chunk - 1)},
		{"one chunk", randomBytes(chunk)},
		{"chunk plus one", randomBytes(chunk + 1)},
		{"multi MiB", randomBytes(3<<20 + 123)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := e.put(t, "owner-rt", tc.data)

			raw := e.raw(t, ref)
			if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n-> X25519 ")) {
				t.Errorf("stored blob does not start with an age X25519 header: %.40q", raw)
			}
			if len(tc.data) >= 16 && bytes.Contains(raw, tc.data[:16]) {
				t.Errorf("stored blob contains the plaintext")
			}

			got, err := readAllOpen(t, e.sealer, "owner-rt", ref)
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Errorf("Open+ReadAll = %d bytes, %v; want the %d bytes put", len(got), err, len(tc.data))
			}

			f, err := e.sealer.OpenSeekable(ctx, "owner-rt", ref)
			if err != nil {
				t.Fatalf("OpenSeekable = %v", err)
			}
			defer f.Close()
			if f.Size() != int64(len(tc.data)) {
				t.Errorf("Size() = %d; want %d", f.Size(), len(tc.data))
			}
			got, err = io.ReadAll(f)
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Errorf("OpenSeekable+ReadAll = %d bytes, %v; want the %d bytes put", len(got), err, len(tc.data))
			}
		})
	}
}

// patternReader yields n bytes of a deterministic pattern without holding
// them, and records how far it has been read.
type patternReader struct {
	mu   sync.Mutex
	n    int64
	read int64
	hash io.Writer
}

func (p *patternReader) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.read >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.read)]
	for i := range b {
		x := p.read + int64(i)
		b[i] = byte(x*7 + x>>11)
	}
	p.read += int64(len(b))
	p.hash.Write(b)
	return len(b), nil
}

func (p *patternReader) consumed() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.read
}

// probingBlobs records, when Put has received its first MiB of
// ciphertext, how much plaintext the source had given up by then.
type probingBlobs struct {
	blob.Store
	src         *patternReader
	seenAtOneMB int64
}

func (p *probingBlobs) Put(ctx context.Context, ref blob.Ref, r io.Reader) (int64, error) {
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, err
	}
	p.seenAtOneMB = p.src.consumed()
	return p.Store.Put(ctx, ref, io.MultiReader(bytes.NewReader(head), r))
}

func TestSealStreams(t *testing.T) {
	e := newEnv(t)
	const size = 24 << 20
	inHash := sha256.New()
	src := &patternReader{n: size, hash: inHash}
	probe := &probingBlobs{Store: e.blobs, src: src}
	sealer := NewSealer(e.keyring, probe)
	ref := blob.NewRef("test")

	n, err := sealer.Put(context.Background(), "owner-stream", ref, src)
	if err != nil || n != size {
		t.Fatalf("Put(%d bytes) = %d, %v; want %d", size, n, err, size)
	}
	// Put hands ciphertext to the store as it encrypts: when the store has
	// seen 1 MiB, the source must be far from exhausted.
	if probe.seenAtOneMB > 2<<20 {
		t.Errorf("when the store had received 1 MiB, Put had read %d bytes of plaintext; want it to stream (≤ 2 MiB)", probe.seenAtOneMB)
	}

	rc, err := e.sealer.Open(context.Background(), "owner-stream", ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	outHash := sha256.New()
	if m, err := io.Copy(outHash, rc); err != nil || m != size {
		t.Fatalf("Open+Copy = %d, %v; want %d", m, err, size)
	}
	if !bytes.Equal(inHash.Sum(nil), outHash.Sum(nil)) {
		t.Errorf("decrypted data differs from what was put")
	}
}

// damage describes one way to corrupt a stored blob of len n.
type damage struct {
	name  string
	apply func(raw []byte) []byte
}

func flipAt(frac float64) func([]byte) []byte {
	return func(raw []byte) []byte {
		b := bytes.Clone(raw)
		b[int(float64(len(b)-1)*frac)] ^= 0x20
		return b
	}
}

// assertDamageDetected checks that neither Open nor OpenSeekable yields
// the full, correct plaintext without an error, and that every error is
// ErrCannotDecrypt and never mistakable for io.EOF.
func assertDamageDetected(t *testing.T, e *env, owner string, ref blob.Ref, plain []byte) {
	t.Helper()
	ctx := context.Background()

	rc, err := e.sealer.Open(ctx, owner, ref)
	if err == nil {
		var got []byte
		got, err = io.ReadAll(rc)
		rc.Close()
		if err == nil {
			t.Errorf("Open+ReadAll of a damaged blob returned %d bytes and no error", len(got))
		} else if !bytes.HasPrefix(plain, got) {
			t.Errorf("Open+ReadAll of a damaged blob returned %d bytes that are not a prefix of the plaintext", len(got))
		}
	}
	if !errors.Is(err, ErrCannotDecrypt) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Open of a damaged blob: error = %v; want ErrCannotDecrypt, not EOF", err)
	}

	f, err := e.sealer.OpenSeekable(ctx, owner, ref)
	if err == nil {
		buf := make([]byte, len(plain)+1)
		var n int
		n, err = f.ReadAt(buf, 0)
		if err == io.EOF {
			t.Errorf("OpenSeekable+ReadAt of a damaged blob returned %d bytes and io.EOF; want an error", n)
		}
		if n > len(plain) || !bytes.Equal(buf[:n], plain[:n]) {
			t.Errorf("OpenSeekable+ReadAt of a damaged blob returned %d wrong bytes", n)
		}
		f.Close()
	}
	if !errors.Is(err, ErrCannotDecrypt) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("OpenSeekable of a damaged blob: error = %v; want ErrCannotDecrypt, not EOF", err)
	}
}

func TestSealDetectsTamperingAndTruncation(t *testing.T) {
	e := newEnv(t)
	plains := map[string][]byte{
		"small":    []byte("small but precious"),
		"empty":    nil,
		"3 chunks": randomBytes(3*chunk - 100),
	}
	for pname, plain := range plains {
		ref := e.put(t, "owner-td", plain)
		good := e.raw(t, ref)
		hdrEnd := bytes.Index(good, []byte("\n--- ")) + 5 + 43 + 1 // end of the header's MAC line
		payload := hdrEnd + 16                                     // after the STREAM nonce
		damages := []damage{
			{"flip in middle", flipAt(0.5)},
			{"flip in header", flipAt(0.05)},
			{"flip last byte", flipAt(1)},
			{"flip first payload byte", func(b []byte) []byte { b = bytes.Clone(b); b[payload] ^= 1; return b }},
			{"truncate last byte", func(b []byte) []byte { return b[:len(b)-1] }},
			{"truncate half", func(b []byte) []byte { return b[:len(b)/2] }},
			{"truncate to header", func(b []byte) []byte { return b[:hdrEnd] }},
			{"truncate to header and nonce", func(b []byte) []byte { return b[:payload] }},
			{"truncate to nothing", func(b []byte) []byte { return b[:0] }},
			{"append a byte", func(b []byte) []byte { return append(bytes.Clone(b), 0) }},
		}
		if len(plain) > chunk {
			damages = append(damages,
				damage{"truncate at chunk boundary", func(b []byte) []byte { return b[:payload+chunk+16] }},
				damage{"truncate at second chunk boundary", func(b []byte) []byte { return b[:payload+2*(chunk+16)] }},
				damage{"drop middle chunk", func(b []byte) []byte {
					c := payload + chunk + 16
					return append(bytes.Clone(b[:c]), b[c+chunk+16:]...)
				}},
				damage{"swap first two chunks", func(b []byte) []byte {
					c := chunk + 16
					out := bytes.Clone(b)
					copy(out[payload:], b[payload+c:payload+2*c])
					copy(out[payload+c:], b[payload:payload+c])
					return out
				}},
			)
		}
		for _, d := range damages {
			t.Run(pname+"/"+d.name, func(t *testing.T) {
				e.replace(t, ref, d.apply(good))
				defer e.replace(t, ref, good)
				assertDamageDetected(t, e, "owner-td", ref, plain)
			})
		}
		// The undamaged blob still opens, so the cases above fail for the
		// damage and not for something else.
		if got, err := readAllOpen(t, e.sealer, "owner-td", ref); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s: Open of the restored blob = %d bytes, %v; want the plaintext", pname, len(got), err)
		}
	}
}

func TestSealTamperedChunkFailsOnlyWhereRead(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plain := randomBytes(3 * chunk)
	ref := e.put(t, "owner-tc", plain)
	raw := e.raw(t, ref)
	// Flip a byte in the middle chunk (index 1) of the payload.
	overhead := len(raw) - len(plain) - 3*16
	bad := bytes.Clone(raw)
	bad[overhead+chunk+16+100] ^= 1
	e.replace(t, ref, bad)

	f, err := e.sealer.OpenSeekable(ctx, "owner-tc", ref)
	if err != nil {
		t.Fatalf("OpenSeekable with a damaged middle chunk = %v; want success (the final chunk is intact)", err)
	}
	defer f.Close()
	buf := make([]byte, 100)
	if n, err := f.ReadAt(buf, 10); err != nil || !bytes.Equal(buf[:n], plain[10:110]) {
		t.Errorf("ReadAt in intact chunk 0 = %d, %v; want the plaintext", n, err)
	}
	if n, err := f.ReadAt(buf, 2*chunk+5); err != nil || !bytes.Equal(buf[:n], plain[2*chunk+5:2*chunk+105]) {
		t.Errorf("ReadAt in intact chunk 2 = %d, %v; want the plaintext", n, err)
	}
	if n, err := f.ReadAt(buf, chunk+5); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("ReadAt in damaged chunk 1 = %d, %v; want ErrCannotDecrypt", n, err)
	}
	if n, err := f.ReadAt(buf, chunk-50); !errors.Is(err, ErrCannotDecrypt) || n > 50 || !bytes.Equal(buf[:n], plain[chunk-50:chunk-50+n]) {
		t.Errorf("ReadAt across into damaged chunk 1 = %d, %v; want ≤ 50 correct bytes and ErrCannotDecrypt", n, err)
	}
}

func TestSealNoPlaintextAtRest(t *testing.T) {
	e := newEnv(t)
	marker := []byte("SAFELIGHT-PLAINTEXT-MARKER-7f3a9c|")
	plains := [][]byte{
		bytes.Repeat(marker, (5*chunk)/len(marker)+3),
		randomBytes(5*chunk + 777),
		append(bytes.Repeat([]byte{0}, 2*chunk), marker...), // zeros: a weak cipher would leak them
		marker,
	}
	const w = 16
	windows := make(map[[w]byte]bool)
	for _, p := range plains {
		e.put(t, "owner-rest", p)
		e.put(t, "owner-rest-2", p)
		for i := 0; i+w <= len(p); i++ {
			windows[[w]byte(p[i:i+w])] = true
		}
	}

	scan := func(what string, data []byte) {
		t.Helper()
		for i := 0; i+w <= len(data); i++ {
			if windows[[w]byte(data[i:i+w])] {
				t.Errorf("%s holds a %d-byte window of plaintext at offset %d", what, w, i)
				return
			}
		}
	}
	n := 0
	for info, err := range e.blobs.List(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		scan("blob "+string(info.Ref), e.raw(t, info.Ref))
		n++
	}
	if n != 2*len(plains) {
		t.Errorf("blob store lists %d blobs; want %d", n, 2*len(plains))
	}
	if e.blobDir != "" {
		files := 0
		err := filepath.WalkDir(e.blobDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			scan("file "+path, data)
			files++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files < n {
			t.Errorf("found %d files under %s; want at least %d", files, e.blobDir, n)
		}
	}

	// The check itself must be able to see plaintext.
	probe := blob.NewRef("test")
	if _, err := e.blobs.Put(context.Background(), probe, bytes.NewReader(plains[0][:100])); err != nil {
		t.Fatal(err)
	}
	found := false
	raw := e.raw(t, probe)
	for i := 0; i+w <= len(raw); i++ {
		if windows[[w]byte(raw[i:i+w])] {
			found = true
		}
	}
	if !found {
		t.Errorf("the scan does not detect plaintext stored without sealing")
	}
}

func TestSealedFileRanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plain := randomBytes(3*chunk + 1000)
	ref := e.put(t, "owner-range", plain)
	f, err := e.sealer.OpenSeekable(ctx, "owner-range", ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := int64(len(plain))

	for _, tc := range []struct {
		off, n int64
	}{
		{0, 1},
		{0, chunk},
		{chunk - 1, 1},
		{chunk - 1, 2},
		{chunk, 1},
		{chunk, chunk},
		{chunk + 1, 10},
		{2*chunk - 10, 20},
		{chunk - 100, chunk + 200},
		{10, 3 * chunk},
		{3*chunk - 1, 2},
		{3 * chunk, 1000},
		{size - 1, 1},
		{0, size},
		{12345, 1},
	} {
		t.Run(fmt.Sprintf("%d+%d", tc.off, tc.n), func(t *testing.T) {
			buf := make([]byte, tc.n)
			n, err := f.ReadAt(buf, tc.off)
			if int64(n) != tc.n || (err != nil && err != io.EOF) {
				t.Fatalf("ReadAt(%d bytes, %d) = %d, %v; want %d", tc.n, tc.off, n, err, tc.n)
			}
			if !bytes.Equal(buf, plain[tc.off:tc.off+tc.n]) {
				t.Errorf("ReadAt(%d bytes, %d) returned wrong bytes", tc.n, tc.off)
			}
		})
	}

	// Past the end: short read with io.EOF, as io.ReaderAt requires.
	buf := make([]byte, 100)
	if n, err := f.ReadAt(buf, size-10); n != 10 || err != io.EOF || !bytes.Equal(buf[:10], plain[size-10:]) {
		t.Errorf("ReadAt(100 bytes, size-10) = %d, %v; want 10, io.EOF", n, err)
	}
	if n, err := f.ReadAt(buf, size); n != 0 || err != io.EOF {
		t.Errorf("ReadAt(at size) = %d, %v; want 0, io.EOF", n, err)
	}

	// Seek and Read.
	if pos, err := f.Seek(chunk-3, io.SeekStart); err != nil || pos != chunk-3 {
		t.Fatalf("Seek = %d, %v", pos, err)
	}
	if n, err := io.ReadFull(f, buf[:6]); err != nil || !bytes.Equal(buf[:6], plain[chunk-3:chunk+3]) {
		t.Errorf("Read after Seek = %d, %v; want the bytes across the chunk boundary", n, err)
	}
	if pos, err := f.Seek(-5, io.SeekEnd); err != nil || pos != size-5 {
		t.Fatalf("Seek(-5, end) = %d, %v", pos, err)
	}
	if rest, err := io.ReadAll(f); err != nil || !bytes.Equal(rest, plain[size-5:]) {
		t.Errorf("ReadAll after Seek to end-5 = %q, %v", rest, err)
	}

	// Concurrent ReadAt (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			off := int64(i) * (size / 8)
			b := make([]byte, chunk+7)
			n, err := f.ReadAt(b, off)
			if (err != nil && err != io.EOF) || !bytes.Equal(b[:n], plain[off:off+int64(n)]) {
				t.Errorf("concurrent ReadAt at %d = %d, %v", off, n, err)
			}
		})
	}
	wg.Wait()
}

func TestSealedFileServeContentRange(t *testing.T) {
	e := newEnv(t)
	plain := randomBytes(2*chunk + 500)
	ref := e.put(t, "owner-http", plain)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := e.sealer.OpenSeekable(r.Context(), "owner-http", ref)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "", time.Time{}, f)
	})
	for _, tc := range []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=0-99", 0, 99},
		{fmt.Sprintf("bytes=%d-%d", chunk-10, chunk+9), chunk - 10, chunk + 9},
		{"bytes=-300", len(plain) - 300, len(plain) - 1},
		{fmt.Sprintf("bytes=%d-", 2*chunk), 2 * chunk, len(plain) - 1},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Range", tc.rng)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusPartialContent {
			t.Errorf("Range %s: status %d; want 206", tc.rng, rec.Code)
			continue
		}
		want := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end, len(plain))
		if got := rec.Header().Get("Content-Range"); got != want {
			t.Errorf("Range %s: Content-Range %q; want %q", tc.rng, got, want)
		}
		if !bytes.Equal(rec.Body.Bytes(), plain[tc.start:tc.end+1]) {
			t.Errorf("Range %s: body differs from the plaintext range", tc.rng)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), plain) {
		t.Errorf("full GET: status %d, %d bytes; want 200 and the plaintext", rec.Code, rec.Body.Len())
	}
}

func TestSealWrongOwner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plain := []byte("belongs to owner A only")
	ref := e.put(t, "owner-a", plain)
	recipientString(t, e.keyring, "owner-b") // B has a key of its own

	for _, tc := range []struct {
		owner    string
		noKeyErr bool
	}{
		{"owner-b", false},
		{"owner-c", true}, // has no key at all
	} {
		got, err := readAllOpen(t, e.sealer, tc.owner, ref)
		if !errors.Is(err, ErrCannotDecrypt) || got != nil {
			t.Errorf("Open as %s = %q, %v; want ErrCannotDecrypt", tc.owner, got, err)
		}
		if errors.Is(err, ErrNoOwnerKey) != tc.noKeyErr {
			t.Errorf("Open as %s: errors.Is(err, ErrNoOwnerKey) = %v; want %v", tc.owner, !tc.noKeyErr, tc.noKeyErr)
		}
		f, err := e.sealer.OpenSeekable(ctx, tc.owner, ref)
		if !errors.Is(err, ErrCannotDecrypt) || f != nil {
			t.Errorf("OpenSeekable as %s = %v, %v; want ErrCannotDecrypt", tc.owner, f, err)
		}
	}
	if c := e.store.count("owner-c"); c != 0 {
		t.Errorf("opening as an owner without keys created %d keys; want none", c)
	}
	if got, err := readAllOpen(t, e.sealer, "owner-a", ref); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Open as owner-a = %q, %v; want %q", got, err, plain)
	}
}

func TestSealOwnerKeyVersions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.put(t, "owner-kv", []byte("sealed to version 1"))

	id2, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.root.Wrap([]byte(id2.String()), ownerKeyAAD("owner-kv", 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.InsertOwnerKey(ctx, OwnerKey{OwnerID: "owner-kv", Version: 2, RootVersion: 1, Wrapped: w, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	fresh := e.put(t, "owner-kv", []byte("sealed to version 2"))

	for ref, want := range map[blob.Ref]string{old: "sealed to version 1", fresh: "sealed to version 2"} {
		if got, err := readAllOpen(t, e.sealer, "owner-kv", ref); err != nil || string(got) != want {
			t.Errorf("Open(%s) = %q, %v; want %q", ref, got, err, want)
		}
	}
	// The new blob is sealed to version 2 only.
	r, err := age.Decrypt(bytes.NewReader(e.raw(t, fresh)), id2)
	if err != nil {
		t.Fatalf("decrypting the new blob with version 2's identity = %v", err)
	}
	if got, _ := io.ReadAll(r); string(got) != "sealed to version 2" {
		t.Errorf("new blob decrypts to %q", got)
	}
}

func TestSealStoreErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	missing := blob.NewRef("test")
	if _, err := e.sealer.Open(ctx, "owner-e", missing); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open(missing) = %v; want blob.ErrNotFound", err)
	}
	if _, err := e.sealer.OpenSeekable(ctx, "owner-e", missing); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("OpenSeekable(missing) = %v; want blob.ErrNotFound", err)
	}
	if err := e.sealer.Delete(ctx, missing); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Delete(missing) = %v; want blob.ErrNotFound", err)
	}

	ref := e.put(t, "owner-e", []byte("first"))
	if _, err := e.sealer.Put(ctx, "owner-e", ref, strings.NewReader("second")); !errors.Is(err, blob.ErrExists) {
		t.Errorf("Put(existing ref) = %v; want blob.ErrExists", err)
	}
	if got, err := readAllOpen(t, e.sealer, "owner-e", ref); err != nil || string(got) != "first" {
		t.Errorf("after refused Put, Open = %q, %v; want %q", got, err, "first")
	}
	if err := e.sealer.Delete(ctx, ref); err != nil {
		t.Errorf("Delete = %v", err)
	}
	if _, err := e.sealer.Open(ctx, "owner-e", ref); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open after Delete = %v; want blob.ErrNotFound", err)
	}

	// A failing source: Put fails with its error and stores nothing.
	readErr := errors.New("client went away")
	bad := blob.NewRef("test")
	src := io.MultiReader(bytes.NewReader(randomBytes(3*chunk)), iotestErrReader{readErr})
	if _, err := e.sealer.Put(ctx, "owner-e", bad, src); !errors.Is(err, readErr) {
		t.Errorf("Put(failing reader) = %v; want it to wrap the reader's error", err)
	}
	if _, err := e.blobs.Stat(ctx, bad); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("after a failed Put, Stat = %v; want blob.ErrNotFound", err)
	}

	// A cancelled context stops Put.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.sealer.Put(cctx, "owner-e", blob.NewRef("test"), bytes.NewReader(randomBytes(chunk))); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(cancelled) = %v; want context.Canceled", err)
	}

	// A closed SealedFile no longer reads.
	ref2 := e.put(t, "owner-e", randomBytes(2*chunk))
	f, err := e.sealer.OpenSeekable(ctx, "owner-e", ref2)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if n, err := f.ReadAt(make([]byte, 10), 0); err == nil || err == io.EOF {
		t.Errorf("ReadAt after Close = %d, %v; want an error", n, err)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }
