package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"safelight/internal/blob"
	"safelight/internal/blob/blobtest"
	"safelight/internal/blob/s3"
	"safelight/internal/fault"
	"safelight/internal/testsvc"
)

func TestStore(t *testing.T) {
	blobtest.Test(t, func(t *testing.T) blob.Store {
		return newStore(t, config(testsvc.S3(t)))
	})
}

// TestStorePrefix runs the suite again on stores that share one bucket
// under different prefixes, each beside objects that are not blobs: in
// its prefix, in the bucket's root, in a neighbouring prefix.
func TestStorePrefix(t *testing.T) {
	target := testsvc.S3(t)
	client := target.Client(t)
	var n atomic.Int64
	blobtest.Test(t, func(t *testing.T) blob.Store {
		cfg := config(target)
		cfg.Prefix = fmt.Sprintf("prefix/%d/", n.Add(1)) // a fresh, empty store
		ref := blob.NewRef("orig")
		ns, hex, _ := strings.Cut(string(ref), "/")
		for _, key := range []string{
			cfg.Prefix + "README",
			cfg.Prefix + ns + "/" + strings.ToUpper(hex),
			cfg.Prefix + string(ref) + ".bak",
			string(ref),
			"prefix/" + string(ref),
			strings.TrimSuffix(cfg.Prefix, "/") + "x/" + string(ref), // a neighbour whose name extends ours
		} {
			if _, err := client.PutObject(t.Context(), target.Bucket, key, strings.NewReader("foreign"), 7, minio.PutObjectOptions{}); err != nil {
				t.Fatalf("PutObject(%s): %v", key, err)
			}
		}
		return newStore(t, cfg)
	})
}

func config(target testsvc.S3Target) s3.Config {
	return s3.Config{
		Bucket:    target.Bucket,
		Endpoint:  target.Endpoint,
		Region:    target.Region,
		AccessKey: target.AccessKey,
		SecretKey: target.SecretKey,
		PathStyle: true,
	}
}

func newStore(t *testing.T, cfg s3.Config) *s3.Store {
	t.Helper()
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New(%v): %v", cfg, err)
	}
	return s
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    s3.Config
		wantErr string // substring; "" for success
	}{
		{
			raw:  "s3://photos?endpoint=https://s3.example.com:9000&region=eu-west-1",
			want: s3.Config{Bucket: "photos", Endpoint: "https://s3.example.com:9000", Region: "eu-west-1"},
		},
		{
			raw:  "s3://photos/safelight?endpoint=http://127.0.0.1:8333&path_style=true",
			want: s3.Config{Bucket: "photos", Prefix: "safelight/", Endpoint: "http://127.0.0.1:8333", PathStyle: true},
		},
		{
			raw:  "s3://photos/a/b/?endpoint=https://h&path_style=false",
			want: s3.Config{Bucket: "photos", Prefix: "a/b/", Endpoint: "https://h"},
		},
		{
			raw:  "s3://photos/?endpoint=https%3A%2F%2Fh%3A1",
			want: s3.Config{Bucket: "photos", Endpoint: "https://h:1"},
		},
		{raw: "s3://?endpoint=https://h", wantErr: "missing bucket name"},
		{raw: "s3:///prefix?endpoint=https://h", wantErr: "missing bucket name"},
		{raw: "s3://photos", wantErr: "missing endpoint"},
		{raw: "s3://photos?endpoint=", wantErr: "missing endpoint"},
		{raw: "s3://photos?endpoint=ftp://h", wantErr: "want https or http"},
		{raw: "s3://photos?endpoint=h:9000", wantErr: "endpoint"},
		{raw: "s3://photos?endpoint=https://", wantErr: "no host"},
		{raw: "s3://photos?endpoint=https://h/path", wantErr: "only scheme, host and port"},
		{raw: "s3://photos?endpoint=https://h:99999", wantErr: "bad port"},
		{raw: "s3://photos?endpoint=https://h&regoin=x", wantErr: `unknown parameter "regoin"`},
		{raw: "s3://photos?endpoint=https://h&access_key=AKIA", wantErr: `unknown parameter "access_key"`},
		{raw: "s3://photos?endpoint=https://h&endpoint=https://g", wantErr: "given 2 times"},
		{raw: "s3://photos?endpoint=https://h&path_style=yes", wantErr: "path_style"},
		{raw: "s3://Photos?endpoint=https://h", wantErr: "bucket name"},
		{raw: "s3://ph_otos?endpoint=https://h", wantErr: "bucket name"},
		{raw: "s3://photos:9000?endpoint=https://h", wantErr: "no port"},
		{raw: "s3://photos//x?endpoint=https://h", wantErr: "key prefix"},
		{raw: "s3://photos/../x?endpoint=https://h", wantErr: "key prefix"},
		{raw: "https://photos?endpoint=https://h", wantErr: "scheme s3"},
		{raw: "photos", wantErr: "scheme s3"},
		{raw: "s3://photos?endpoint=https://h#frag", wantErr: "malformed"},
		{raw: "s3://photos?endpoint=https://h&x=%zz", wantErr: "malformed"},
	}
	for _, tt := range tests {
		got, err := s3.ParseURL(tt.raw)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseURL(%q) = %v; want %+v", tt.raw, err, tt.want)
		case tt.wantErr == "" && got != tt.want:
			t.Errorf("ParseURL(%q) = %#v; want %#v", tt.raw, got, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseURL(%q) = %#v, %v; want an error containing %q", tt.raw, got, err, tt.wantErr)
		}
	}
}

// TestParseURLKeepsSecrets checks that credentials put in the URL, where
// they do not belong, are refused without being repeated.
func TestParseURLKeepsSecrets(t *testing.T) {
	const secret = "s3cr3tValue"
	for _, raw := range []string{
		"s3://AKIAKEY:" + secret + "@photos?endpoint=https://h",
		"s3://" + secret + "@photos?endpoint=https://h",
		"s3://photos?endpoint=https://AKIAKEY:" + secret + "@h",
		"s3://key:" + secret + "/x@photos?endpoint=https://h", // malformed: the secret would land in the port
		"s3://photos?endpoint=https://h/?X-Amz-Signature=" + secret,
		"s3://photos?endpoint=" + secret + "://h",
	} {
		_, err := s3.ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded; want an error", raw)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseURL(%q) error %q repeats the secret", raw, err)
		}
	}
}

func TestConfigStringHidesSecret(t *testing.T) {
	cfg := s3.Config{Bucket: "photos", Prefix: "p/", Endpoint: "https://h", AccessKey: "AKIAKEY", SecretKey: "s3cr3tValue", PathStyle: true}
	for _, got := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprint(&cfg)} {
		if strings.Contains(got, "s3cr3tValue") {
			t.Errorf("Config formatted as %q; want the secret key left out", got)
		}
	}
	// String gives back the URL it came from.
	back, err := s3.ParseURL(cfg.String())
	cfg.AccessKey, cfg.SecretKey = "", ""
	if err != nil || back != cfg {
		t.Errorf("ParseURL(%q) = %+v, %v; want %+v", cfg.String(), back, err, cfg)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := s3.Config{Bucket: "photos", Endpoint: "http://127.0.0.1:1", AccessKey: "k", SecretKey: "s"}
	tests := []struct {
		name    string
		edit    func(*s3.Config)
		wantErr string
	}{
		{"NoBucket", func(c *s3.Config) { c.Bucket = "" }, "missing bucket name"},
		{"NoEndpoint", func(c *s3.Config) { c.Endpoint = "" }, "missing endpoint"},
		{"EndpointWithPath", func(c *s3.Config) { c.Endpoint = "http://h/x" }, "only scheme, host and port"},
		{"NoAccessKey", func(c *s3.Config) { c.AccessKey = "" }, "missing access key"},
		{"NoSecretKey", func(c *s3.Config) { c.SecretKey = "" }, "secret key"},
		{"SmallParts", func(c *s3.Config) { c.PartSize = 1 << 20 }, "part size"},
		{"LeadingSlash", func(c *s3.Config) { c.Prefix = "/x/" }, "key prefix"},
	}
	for _, tt := range tests {
		cfg := good
		tt.edit(&cfg)
		start := time.Now()
		s, err := s3.New(t.Context(), cfg)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: New(%v) = %v, %v; want an error containing %q", tt.name, cfg, s, err, tt.wantErr)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("%s: New took %v; want the config refused before any request", tt.name, d)
		}
	}
}

func TestNewUnreachable(t *testing.T) {
	// Nothing listens on port 1; the connection is refused at once.
	cfg := s3.Config{Bucket: "photos", Endpoint: "http://127.0.0.1:1", Region: "us-east-1", AccessKey: "k", SecretKey: "s", PathStyle: true}
	start := time.Now()
	s, err := s3.New(t.Context(), cfg)
	d := time.Since(start)
	if err == nil {
		t.Fatalf("New(%v) = %v, nil; want an error", cfg, s)
	}
	if msg := err.Error(); !strings.Contains(msg, `bucket "photos" at http://127.0.0.1:1: cannot reach`) {
		t.Errorf("New(%v) error = %q; want it to say the bucket at http://127.0.0.1:1 cannot be reached", cfg, msg)
	}
	if !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("New(%v) error = %v; want one matching fault.ErrUnavailable", cfg, err)
	}
	if d > 5*time.Second {
		t.Errorf("New(%v) took %v to fail; want a few seconds at most", cfg, d)
	}
}

func TestNewSilentEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for New's timeout")
	}
	// A listener that accepts and never answers, like a firewall that
	// drops packets: New must give up on its own.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg := s3.Config{Bucket: "photos", Endpoint: "http://" + l.Addr().String(), Region: "us-east-1", AccessKey: "k", SecretKey: "s", PathStyle: true}
	start := time.Now()
	_, err = s3.New(t.Context(), cfg)
	d := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("New(%v) = %v; want a \"cannot reach\" error matching fault.ErrUnavailable", cfg, err)
	}
	if d > 15*time.Second {
		t.Errorf("New(%v) took %v; want it to give up after about 10s", cfg, d)
	}
}

func TestNewMissingBucket(t *testing.T) {
	target := testsvc.S3(t)
	cfg := config(target)
	cfg.Bucket = target.Bucket + "-missing"
	// Without a region minio-go first asks the server for the bucket's.
	for _, region := range []string{target.Region, ""} {
		cfg.Region = region
		start := time.Now()
		s, err := s3.New(t.Context(), cfg)
		if err == nil {
			t.Fatalf("New(%v) = %v, nil; want an error", cfg, s)
		}
		want := `blob/s3: bucket "` + cfg.Bucket + `" at ` + cfg.Endpoint + `: does not exist`
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("New(%v) error = %q; want it to start %q", cfg, err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("New(%v) took %v to fail; want a few seconds at most", cfg, d)
		}
	}
	// New did not create it.
	if ok, err := target.Client(t).BucketExists(t.Context(), cfg.Bucket); ok || err != nil {
		t.Errorf("BucketExists(%s) after New = %v, %v; want false, nil", cfg.Bucket, ok, err)
	}
}

// TestNewFromURL opens stores the way the application does, from the
// --blobs URL, with and without a region.
func TestNewFromURL(t *testing.T) {
	target := testsvc.S3(t)
	for _, raw := range []string{target.URL(), "s3://" + target.Bucket + "/p?endpoint=" + url.QueryEscape(target.Endpoint)} {
		cfg, err := s3.ParseURL(raw)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", raw, err)
		}
		cfg.AccessKey, cfg.SecretKey = target.AccessKey, target.SecretKey
		s := newStore(t, cfg)
		ref := blob.NewRef("orig")
		if _, err := s.Put(t.Context(), ref, strings.NewReader("via url")); err != nil {
			t.Errorf("Put(%s) on a store from %q: %v", ref, raw, err)
			continue
		}
		if info, err := s.Stat(t.Context(), ref); err != nil || info.Size != 7 {
			t.Errorf("Stat(%s) on a store from %q = %+v, %v; want size 7", ref, raw, info, err)
		}
	}
}

func TestNewWrongCredentials(t *testing.T) {
	cfg := config(testsvc.S3(t))
	cfg.SecretKey += "-wrong"
	s, err := s3.New(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("New with a wrong secret key = %v, %v; want an \"access denied\" error", s, err)
	}
	if err != nil && strings.Contains(err.Error(), cfg.SecretKey) {
		t.Errorf("New error %q repeats the secret key", err)
	}
}

// generator is an endless pseudo-random stream that allocates nothing and
// has only Read, so a Put cannot learn its size.
type generator struct{ r *rand.ChaCha8 }

func newGenerator(seed byte) *generator { return &generator{rand.NewChaCha8([32]byte{seed})} }

func (g *generator) Read(p []byte) (int, error) { return g.r.Read(p) }

func TestLargePutStreams(t *testing.T) {
	target := testsvc.S3(t)
	cfg := config(target)
	cfg.PartSize = s3.MinPartSize
	s := newStore(t, cfg)
	const size = 40<<20 + 12345 // 9 parts, the last one short
	ref := blob.NewRef("orig")

	wantHash := sha256.New()
	if _, err := io.CopyN(wantHash, newGenerator(1), size); err != nil {
		t.Fatal(err)
	}

	// TotalAlloc counts every byte allocated, freed or not, so it bounds
	// the buffering regardless of when the collector runs. A Put that held
	// the whole object would allocate at least its size.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := s.Put(t.Context(), ref, io.LimitReader(newGenerator(1), size))
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("Put(%s, %d streamed bytes) = %d, %v; want %d, nil", ref, size, n, err, size)
	}
	// The first part's buffer grows by doubling (small blobs get small
	// buffers), which costs about 2.6 parts in all; later parts reuse it.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*s3.MinPartSize {
		t.Errorf("Put of %d bytes with %d-byte parts allocated %d bytes; want at most %d (bounded by the part size)", size, s3.MinPartSize, alloc, 4*s3.MinPartSize)
	} else {
		t.Logf("Put of %d MiB with %d MiB parts allocated %.1f MiB", size>>20, s3.MinPartSize>>20, float64(alloc)/(1<<20))
	}

	rc, err := s.Get(t.Context(), ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	defer rc.Close()
	gotHash := sha256.New()
	if m, err := io.Copy(gotHash, rc); err != nil || m != size {
		t.Fatalf("Get(%s) read %d bytes, %v; want %d", ref, m, err, size)
	}
	if !bytes.Equal(gotHash.Sum(nil), wantHash.Sum(nil)) {
		t.Errorf("Get(%s) returned other bytes than were put", ref)
	}
	checkNoUploads(t, target)
}

// TestPutStopsCleanly fails multipart Puts in the middle, by cancelling
// and by a failing reader, and checks that neither an object nor an
// incomplete upload is left.
func TestPutStopsCleanly(t *testing.T) {
	target := testsvc.S3(t)
	cfg := config(target)
	cfg.PartSize = s3.MinPartSize
	s := newStore(t, cfg)
	errBoom := errors.New("boom")

	tests := []struct {
		name string
		at   int64 // after this many bytes, two parts and a bit
		fail func(cancel context.CancelFunc) error
		want error
	}{
		{"Canceled", 12 << 20, func(cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled},
		{"ReaderError", 12 << 20, func(context.CancelFunc) error { return errBoom }, errBoom},
		{"CanceledAtPartEnd", 2 * s3.MinPartSize, func(cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ref := blob.NewRef("orig")
			r := &trippingReader{r: newGenerator(2), at: tt.at, trip: func() error { return tt.fail(cancel) }}
			n, err := s.Put(ctx, ref, r)
			if !errors.Is(err, tt.want) || n != 0 {
				t.Errorf("Put(%s) failing after %d bytes = %d, %v; want 0, %v", ref, tt.at, n, err, tt.want)
			}
			if _, err := s.Stat(t.Context(), ref); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat(%s) after the failed Put = %v; want ErrNotFound", ref, err)
			}
			checkNoUploads(t, target)
		})
	}
}

// trippingReader reads from r; once it has returned at bytes it calls trip
// and fails with trip's error, if any, or goes on reading.
type trippingReader struct {
	r       io.Reader
	at      int64
	trip    func() error
	read    int64
	tripped bool
}

func (t *trippingReader) Read(p []byte) (int, error) {
	if !t.tripped && t.read >= t.at {
		t.tripped = true
		if err := t.trip(); err != nil {
			return 0, err
		}
	}
	if rest := t.at - t.read; !t.tripped && int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := t.r.Read(p)
	t.read += int64(n)
	return n, err
}

func checkNoUploads(t *testing.T, target testsvc.S3Target) {
	t.Helper()
	for u := range target.Client(t).ListIncompleteUploads(t.Context(), target.Bucket, "", true) {
		if u.Err != nil {
			t.Errorf("ListIncompleteUploads: %v", u.Err)
			return
		}
		t.Errorf("incomplete multipart upload left behind: key %s, upload %s", u.Key, u.UploadID)
	}
}

// TestMultipartPutSameRefConcurrently is PutSameRefConcurrently for
// objects of several parts, where the race is decided by the conditional
// CompleteMultipartUpload rather than a conditional PUT.
func TestMultipartPutSameRefConcurrently(t *testing.T) {
	target := testsvc.S3(t)
	cfg := config(target)
	cfg.PartSize = s3.MinPartSize
	s := newStore(t, cfg)
	const writers, size = 4, s3.MinPartSize + 1000
	ref := blob.NewRef("orig")
	var wins, exists atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			n, err := s.Put(t.Context(), ref, io.LimitReader(newGenerator(byte(10+i)), size))
			switch {
			case err == nil && n == size:
				wins.Add(1)
			case errors.Is(err, blob.ErrExists) && n == 0:
				exists.Add(1)
			default:
				t.Errorf("concurrent Put %d of %s = %d, %v; want %d, nil or 0, ErrExists", i, ref, n, err, size)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || exists.Load() != writers-1 {
		t.Errorf("of %d concurrent multipart Puts of %s, %d succeeded and %d got ErrExists; want 1 and %d", writers, ref, wins.Load(), exists.Load(), writers-1)
	}
	if info, err := s.Stat(t.Context(), ref); err != nil || info.Size != size {
		t.Errorf("Stat(%s) = %+v, %v; want size %d", ref, info, err, size)
	}
	checkNoUploads(t, target)
}

func TestObjectsArePrivate(t *testing.T) {
	target := testsvc.S3(t)
	s := newStore(t, config(target))
	ref := blob.NewRef("orig")
	if _, err := s.Put(t.Context(), ref, strings.NewReader("sealed bytes")); err != nil {
		t.Fatalf("Put(%s): %v", ref, err)
	}
	// Anonymous requests, as anyone on the network could make them.
	object := target.Endpoint + "/" + target.Bucket + "/" + string(ref)
	for _, u := range []string{
		object,
		target.Endpoint + "/" + target.Bucket + "?list-type=2",
		target.Endpoint + "/" + target.Bucket + "/",
	} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("anonymous GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s = %s; want 403 Forbidden", u, resp.Status)
		}
		// An error about the object may name it (S3 echoes the resource);
		// a listing must not.
		if bytes.Contains(body, []byte("sealed bytes")) || (u != object && bytes.Contains(body, []byte(string(ref)))) {
			t.Errorf("anonymous GET %s revealed the object: %q", u, body)
		}
	}
}

// faultProxy stands between the Store and the real server and, when told,
// answers 503 SlowDown or cuts connections instead of forwarding.
type faultProxy struct {
	mode atomic.Value // "", "slowdown" or "reset"
	srv  *httptest.Server
}

func newFaultProxy(t *testing.T, endpoint string) *faultProxy {
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	p.mode.Store("")
	// The Host header the client signed (the proxy's) is passed on
	// unchanged, so the server's signature check still holds.
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p.mode.Load() {
		case "slowdown":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		case "reset":
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.(*net.TCPConn).SetLinger(0) // RST, not FIN
				c.Close()
			}
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func TestOutagesAreUnavailable(t *testing.T) {
	target := testsvc.S3(t)
	// Each try of a request backs off, so the modes run side by side.
	for _, mode := range []string{"slowdown", "reset", "closed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			testOutage(t, target, mode)
		})
	}
}

func testOutage(t *testing.T, target testsvc.S3Target, mode string) {
	proxy := newFaultProxy(t, target.Endpoint)
	cfg := config(target)
	cfg.Endpoint = proxy.srv.URL
	s := newStore(t, cfg)
	ctx := t.Context()
	present := blob.NewRef("orig")
	if _, err := s.Put(ctx, present, strings.NewReader("present")); err != nil {
		t.Fatalf("Put(%s) through the proxy: %v", present, err)
	}
	if mode == "closed" {
		proxy.srv.Close() // connection refused from now on
	} else {
		proxy.mode.Store(mode)
	}

	ops := []struct {
		name string
		op   func() error
	}{
		{"Put", func() error {
			_, err := s.Put(ctx, blob.NewRef("orig"), strings.NewReader("x"))
			return err
		}},
		{"Get", func() error {
			rc, err := s.Get(ctx, present)
			if err == nil {
				rc.Close()
			}
			return err
		}},
		{"GetRange", func() error {
			rc, err := s.GetRange(ctx, present, 1, 2)
			if err == nil {
				rc.Close()
			}
			return err
		}},
		{"Stat", func() error { _, err := s.Stat(ctx, present); return err }},
		{"Delete", func() error { return s.Delete(ctx, present) }},
		{"List", func() error {
			for _, err := range s.List(ctx, "") {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range ops {
		start := time.Now()
		err := tt.op()
		d := time.Since(start)
		if !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("%s with the server %s = %v; want an error matching fault.ErrUnavailable", tt.name, mode, err)
		}
		if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrExists) {
			t.Errorf("%s with the server %s = %v; want neither ErrNotFound nor ErrExists", tt.name, mode, err)
		}
		if d > 5*time.Second {
			t.Errorf("%s with the server %s took %v; want a prompt failure", tt.name, mode, d)
		}
	}
}

// TestSweepPartial: the parts a process killed in the middle of a Put left
// behind are aborted once older than the cutoff; younger uploads (a Put
// still running) and uploads of keys that are not the store's refs stay.
func TestSweepPartial(t *testing.T) {
	target := testsvc.S3(t)
	cfg := config(target)
	cfg.Prefix = "photos/"
	s := newStore(t, cfg)
	core := minio.Core{Client: target.Client(t)}
	ctx := t.Context()
	start := func(key string) string {
		t.Helper()
		id, err := core.NewMultipartUpload(ctx, target.Bucket, key, minio.PutObjectOptions{})
		if err != nil {
			t.Fatalf("NewMultipartUpload(%s): %v", key, err)
		}
		part := bytes.Repeat([]byte{7}, 1000)
		if _, err := core.PutObjectPart(ctx, target.Bucket, key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
			t.Fatalf("PutObjectPart(%s): %v", key, err)
		}
		return id
	}
	ours := cfg.Prefix + string(blob.NewRef("orig"))
	foreign := []string{cfg.Prefix + "README", string(blob.NewRef("orig")), "other/" + string(blob.NewRef("orig"))}
	start(ours)
	for _, k := range foreign {
		start(k)
	}
	uploads := func() map[string]bool {
		t.Helper()
		got := map[string]bool{}
		for u := range target.Client(t).ListIncompleteUploads(ctx, target.Bucket, "", true) {
			if u.Err != nil {
				t.Fatalf("ListIncompleteUploads: %v", u.Err)
			}
			got[u.Key] = true
		}
		return got
	}

	if n, err := s.SweepPartial(ctx, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Errorf("SweepPartial(an hour ago) = %d, %v; want 0: the upload is younger", n, err)
	}
	if got := uploads(); !got[ours] {
		t.Errorf("uploads after sweeping with an old cutoff = %v; want %s still there", got, ours)
	}
	if n, err := s.SweepPartial(ctx, time.Now().Add(time.Minute)); n != 1 || err != nil {
		t.Errorf("SweepPartial(now) = %d, %v; want 1", n, err)
	}
	got := uploads()
	if got[ours] {
		t.Errorf("the store's incomplete upload %s is still there", ours)
	}
	for _, k := range foreign {
		if !got[k] {
			t.Errorf("foreign upload %s was aborted", k)
		}
	}
	for u := range target.Client(t).ListIncompleteUploads(ctx, target.Bucket, "", true) {
		if u.Err == nil {
			core.AbortMultipartUpload(ctx, target.Bucket, u.Key, u.UploadID)
		}
	}
}
