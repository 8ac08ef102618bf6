package media

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"
)

// Fuzz targets for type sniffing and header reading. The seeds are small
// real files libvips writes at test time in every accepted format, the
// refused samples under testdata/probe, and hand-made ISOBMFF and TIFF
// headers; what the fuzzer found that added coverage is kept under
// testdata/fuzz/FuzzSniff and testdata/fuzz/FuzzProbe and runs with every
// `go test`.

// probeFuzzMaxInput bounds the inputs the fuzz targets look at: uploads are
// bounded by --max-upload-size in production, and larger inputs only slow
// the fuzzer down without reaching new header code.
const probeFuzzMaxInput = 256 << 10

// probeFuzzAllocated returns the bytes the Go heap has allocated so far in
// this process. Fuzz workers run one input at a time, so the difference
// around a call is what that call allocated, plus up to a few megabytes of
// the fuzzing machinery's own work and of small allocations counted late.
// That is noise next to what this guards against: a length field read
// from the input and allocated as is (the goexif library allocates 17 GB
// for a 30-byte file, see metadata.go).
func probeFuzzAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// probeFuzzSeeds returns small real images in every accepted format, made
// by libvips, plus the files under testdata/probe.
func probeFuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	engineTestStart(f)
	var seeds [][]byte
	img := probeTestGradient(f, 8, 6)
	for _, format := range probeTestFormats {
		seeds = append(seeds, probeTestEncode(f, img, format))
	}
	if err := img.SetOrientation(6); err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, probeTestEncode(f, img, FormatJPEG), probeTestEncode(f, img, FormatTIFF))
	img.Close()
	seeds = append(seeds, probeTestPNGHeader(f, 100000, 100000), probeTestPNGHeader(f, 0, 1))
	names, _ := filepath.Glob(filepath.Join("testdata", "probe", "*"))
	for _, name := range names {
		if strings.HasSuffix(name, ".md") {
			continue
		}
		if b, err := os.ReadFile(name); err == nil {
			seeds = append(seeds, b)
		}
	}
	ftyp := func(major string, compatible ...string) []byte {
		b := []byte{0, 0, 0, byte(16 + 4*len(compatible))}
		b = append(b, "ftyp"+major+"\x00\x00\x00\x00"+strings.Join(compatible, "")...)
		return append(b, "\x00\x00\x00\x08meta"...)
	}
	seeds = append(seeds,
		ftyp("mif1", "mif1", "miaf", "MA1B", "avif"),
		ftyp("isom", "isom", "iso2", "mif1"),
		ftyp("crx ", "crx "),
		[]byte("II*\x00\x10\x00\x00\x00CR\x02\x00"),
		[]byte("MM\x00+\x00\x08\x00\x00"),
		[]byte("RIFF\x24\x00\x00\x00WEBPVP8L"),
		[]byte("\xef\xbb\xbf<svg/>"),
	)
	return seeds
}

// probeFuzzAllocLimit is the most a parser may allocate for n input bytes:
// far below a runaway allocation, far above the measuring noise and the
// capped decompression of XMP and ICC profiles (metaMaxXMP, metaMaxICC).
func probeFuzzAllocLimit(n int) uint64 { return 64<<20 + 64*uint64(n) }

// FuzzSniff checks Sniff on arbitrary bytes: it never panics; it accepts
// exactly the six formats, refusing everything else with a *RefusedError
// whose reason is safe to show; it looks at no more than 512 bytes; and
// whatever it accepts is a container ExtractMetadata reads too, so
// sniffing and metadata never disagree on what a file is.
func FuzzSniff(f *testing.F) {
	for _, s := range probeFuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > probeFuzzMaxInput {
			return
		}
		format, err := Sniff(data)
		if err != nil {
			var refused *RefusedError
			if !errors.As(err, &refused) || format != "" {
				t.Fatalf("Sniff() = %q, %v (%T); want \"\" and a *RefusedError", format, err, err)
			}
			if !strings.HasPrefix(refused.Reason, "not an image we can read (") || err.Error() != refused.Reason {
				t.Errorf("Sniff() refusal %q; want the plain-words form", refused.Reason)
			}
		} else if format.MIME() == "" || format.probeLoader() == "" {
			t.Fatalf("Sniff() = %q, nil; want one of the accepted formats", format)
		}
		if len(data) > 512 {
			f2, err2 := Sniff(data[:512])
			if f2 != format || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Errorf("Sniff(all %d bytes) = %q, %v but Sniff(first 512) = %q, %v; want the same", len(data), format, err, f2, err2)
			}
		}
		// A HEIF or AVIF file is identified by its ftyp box; Sniff decides
		// from what it has of it, ExtractMetadata wants the whole box.
		// Files with less are damaged, and Probe refuses them.
		if err == nil && (format != FormatHEIF && format != FormatAVIF || probeFuzzWholeFtyp(data)) {
			if _, merr := ExtractMetadata(data); errors.Is(merr, ErrMetadataUnsupported) {
				t.Errorf("Sniff() = %q but ExtractMetadata() = %v; want both to accept the container", format, merr)
			}
		}
	})
}

// probeFuzzWholeFtyp reports whether data starts with a complete ftyp box
// of at most 256 bytes.
func probeFuzzWholeFtyp(data []byte) bool {
	if len(data) < 16 {
		return false
	}
	n := binary.BigEndian.Uint32(data)
	return n >= 16 && n <= 256 && int(n) <= len(data)
}

// FuzzProbe checks Probe, libvips' header reading included, on arbitrary
// bytes: it never panics or crashes the process; every refusal is a
// *RefusedError; an accepted file has the format Sniff names, positive
// dimensions within the pixel limit and an orientation from 1 to 8; and
// Probe allocates no more Go memory than a small multiple of its input.
func FuzzProbe(f *testing.F) {
	for _, s := range probeFuzzSeeds(f) {
		f.Add(s)
	}
	// A low limit, so that the fuzzer meets the pixel-limit path with
	// small headers too.
	lim := Limits{MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > probeFuzzMaxInput {
			return
		}
		// libvips warnings go to the test log (media_test.go), a buffer
		// that would otherwise grow, and reallocate, across millions of
		// inputs; Reset keeps its capacity.
		engineTestLog.Lock()
		engineTestLog.buf.Reset()
		engineTestLog.Unlock()
		before := probeFuzzAllocated()
		info, err := Probe(data, lim)
		if grown := probeFuzzAllocated() - before; grown > probeFuzzAllocLimit(len(data)) {
			t.Errorf("Probe(%d bytes) allocated %d bytes", len(data), grown)
		}
		sniffed, sniffErr := Sniff(data)
		if err != nil {
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Reason == "" {
				t.Fatalf("Probe() error %v (%T); want a *RefusedError", err, err)
			}
			if info != (Info{}) {
				t.Errorf("Probe() = %+v, %v; want the zero Info with an error", info, err)
			}
			if sniffErr == nil && strings.HasPrefix(refused.Reason, "not an image we can read (") {
				t.Errorf("Probe() refusal %q for a file Sniff accepts as %q", refused.Reason, sniffed)
			}
			return
		}
		if sniffErr != nil || info.Format != sniffed {
			t.Errorf("Probe() format %q but Sniff() = %q, %v; want them to agree", info.Format, sniffed, sniffErr)
		}
		if info.Width <= 0 || info.Height <= 0 || int64(info.Width)*int64(info.Height) > lim.MaxPixels {
			t.Errorf("Probe() = %d × %d; want positive and at most %d pixels", info.Width, info.Height, lim.MaxPixels)
		}
		if info.Orientation < 1 || info.Orientation > 8 {
			t.Errorf("Probe() orientation %d; want 1 to 8", info.Orientation)
		}
		if _, merr := ExtractMetadata(data); errors.Is(merr, ErrMetadataUnsupported) {
			t.Errorf("Probe() accepted %s but ExtractMetadata() = %v", info.Format, merr)
		}
	})
}
