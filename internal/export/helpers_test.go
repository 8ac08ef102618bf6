package export

import (
	"bytes"
	"encoding/binary"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// noiseReader yields n deterministic pseudo-random bytes (xorshift64) and
// allocates nothing while reading: a stand-in for a large photo that does
// not itself occupy memory, and that compresses as badly as one.
type noiseReader struct {
	state uint64
	left  int64
}

func newNoise(seed uint64, n int64) *noiseReader {
	return &noiseReader{state: seed*0x9E3779B97F4A7C15 | 1, left: n}
}

func (r *noiseReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	var word [8]byte
	for i := 0; i < len(p); i += 8 {
		r.state ^= r.state << 13
		r.state ^= r.state >> 7
		r.state ^= r.state << 17
		binary.LittleEndian.PutUint64(word[:], r.state)
		copy(p[i:], word[:])
	}
	r.left -= int64(len(p))
	return len(p), nil
}
