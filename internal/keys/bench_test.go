package keys

import (
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"safelight/internal/blob"
	"safelight/internal/blob/disk"
)

// BenchmarkSealedPut measures writing a 48 MiB original through the sealer
// against the baseline of writing the same bytes to the same disk store
// unsealed, in the same run. It reports "x-vs-raw": sealed time / raw time.
func BenchmarkSealedPut(b *testing.B) {
	const size = 48 << 20
	e := newEnv(b)
	raw, err := disk.New(filepath.Join(b.TempDir(), "raw"))
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(rand.Uint32())
	}
	payload := func() io.Reader { return io.LimitReader(repeatReader(src), size) }
	ctx := b.Context()
	// Create the owner's key outside the timing.
	if _, err := e.keyring.Recipient(ctx, "owner"); err != nil {
		b.Fatal(err)
	}
	var rawTime, sealedTime time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := raw.Put(ctx, blob.NewRef("orig"), payload()); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := e.sealer.Put(ctx, "owner", blob.NewRef("orig"), payload()); err != nil {
			b.Fatal(err)
		}
		rawTime += t1.Sub(t0)
		sealedTime += time.Since(t1)
	}
	b.ReportMetric(float64(sealedTime)/float64(rawTime), "x-vs-raw")
}

// BenchmarkSealedRead measures decrypting a 48 MiB blob against reading the
// same number of bytes unsealed from the same disk store.
func BenchmarkSealedRead(b *testing.B) {
	const size = 48 << 20
	e := newEnv(b)
	raw, _ := disk.New(filepath.Join(b.TempDir(), "raw"))
	src := make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(rand.Uint32())
	}
	ctx := b.Context()
	rawRef, sealedRef := blob.NewRef("orig"), blob.NewRef("orig")
	if _, err := raw.Put(ctx, rawRef, io.LimitReader(repeatReader(src), size)); err != nil {
		b.Fatal(err)
	}
	if _, err := e.sealer.Put(ctx, "owner", sealedRef, io.LimitReader(repeatReader(src), size)); err != nil {
		b.Fatal(err)
	}
	var rawTime, sealedTime time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		rc, err := raw.Get(ctx, rawRef)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		rc.Close()
		t1 := time.Now()
		sc, err := e.sealer.Open(ctx, "owner", sealedRef)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, sc); err != nil || n != size {
			b.Fatalf("sealed read = %d, %v", n, err)
		}
		sc.Close()
		rawTime += t1.Sub(t0)
		sealedTime += time.Since(t1)
	}
	b.ReportMetric(float64(sealedTime)/float64(rawTime), "x-vs-raw")
}

type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}
