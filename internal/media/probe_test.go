package media

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
)

var probeTestFormats = []Format{FormatJPEG, FormatPNG, FormatTIFF, FormatWebP, FormatHEIF, FormatAVIF}

// probeTestSolid returns a w×h 8-bit sRGB image of one colour.
func probeTestSolid(t testing.TB, w, h int, rgb [3]float64) *vips.ImageRef {
	t.Helper()
	img, err := vips.Black(w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.Linear([]float64{0, 0, 0}, rgb[:]); err != nil {
		t.Fatal(err)
	}
	if err := img.Cast(vips.BandFormatUchar); err != nil {
		t.Fatal(err)
	}
	out, err := img.CopyChangingInterpretation(vips.InterpretationSRGB)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// probeTestGradient returns a w×h 8-bit sRGB image with a horizontal red
// and a vertical green ramp, so that every region differs.
func probeTestGradient(t testing.TB, w, h int) *vips.ImageRef {
	t.Helper()
	img, err := vips.XYZ(w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.BandJoinConst([]float64{96}); err != nil {
		t.Fatal(err)
	}
	if err := img.Linear([]float64{255 / float64(w), 255 / float64(h), 1}, []float64{0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := img.Cast(vips.BandFormatUchar); err != nil {
		t.Fatal(err)
	}
	out, err := img.CopyChangingInterpretation(vips.InterpretationSRGB)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// probeTestEncode saves img in format f with libvips (metadata kept).
func probeTestEncode(t testing.TB, img *vips.ImageRef, f Format) []byte {
	t.Helper()
	var data []byte
	var err error
	switch f {
	case FormatJPEG:
		data, _, err = img.ExportJpeg(&vips.JpegExportParams{Quality: 92})
	case FormatPNG:
		data, _, err = img.ExportPng(vips.NewPngExportParams())
	case FormatTIFF:
		data, _, err = img.ExportTiff(vips.NewTiffExportParams())
	case FormatWebP:
		data, _, err = img.ExportWebp(&vips.WebpExportParams{Quality: 90, ReductionEffort: 1})
	case FormatHEIF:
		data, _, err = img.ExportHeif(&vips.HeifExportParams{Quality: 90, Bitdepth: 8, Effort: 1})
	case FormatAVIF:
		data, _, err = img.ExportAvif(&vips.AvifExportParams{Quality: 90, Bitdepth: 8, Effort: 1})
	default:
		t.Fatalf("probeTestEncode: unknown format %q", f)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", f, probeVipsError(err))
	}
	return data
}

// probeTestPNGHeader returns a PNG whose IHDR claims w×h RGB pixels (with a
// correct CRC) followed by a tiny IDAT and IEND: a pixel bomb's header.
func probeTestPNGHeader(t testing.TB, w, h uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		body := append([]byte(typ), data...)
		b.Write(body)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, deflate, adaptive filter, no interlace
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 1+3*64)) // one short row of zeros
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

func probeTestFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFormatMIME(t *testing.T) {
	want := map[Format]string{
		FormatJPEG: "image/jpeg", FormatPNG: "image/png", FormatTIFF: "image/tiff",
		FormatWebP: "image/webp", FormatHEIF: "image/heif", FormatAVIF: "image/avif",
		Format("gif"): "", Format(""): "",
	}
	for f, w := range want {
		if got := f.MIME(); got != w {
			t.Errorf("Format(%q).MIME() = %q; want %q", f, got, w)
		}
	}
}

func TestSniff(t *testing.T) {
	ftyp := func(major string, compatible ...string) []byte {
		box := binary.BigEndian.AppendUint32(nil, uint32(16+4*len(compatible)))
		box = append(box, "ftyp"+major+"\x00\x00\x00\x00"+strings.Join(compatible, "")...)
		return append(box, "\x00\x00\x00\x08meta"...)
	}
	accepted := []struct {
		name string
		head []byte
		want Format
	}{
		{"jpeg jfif", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), FormatJPEG},
		{"jpeg exif", []byte("\xff\xd8\xff\xe1\x12\x34Exif\x00\x00"), FormatJPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), FormatPNG},
		{"tiff little-endian", []byte("II*\x00\x08\x00\x00\x00"), FormatTIFF},
		{"tiff big-endian", []byte("MM\x00*\x00\x00\x00\x08"), FormatTIFF},
		{"bigtiff", []byte("II+\x00\x08\x00\x00\x00"), FormatTIFF},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), FormatWebP},
		{"heic iphone", ftyp("heic", "mif1", "heic"), FormatHEIF},
		{"heif generic", ftyp("mif1", "heic"), FormatHEIF},
		{"heif mif1 only", ftyp("mif1", "mif1", "miaf"), FormatHEIF},
		{"avif", ftyp("avif", "avif", "mif1", "miaf", "MA1B"), FormatAVIF},
		{"avif sequence", ftyp("avis", "avis", "msf1"), FormatAVIF},
		{"avif under mif1", ftyp("mif1", "mif1", "avif", "miaf"), FormatAVIF},
	}
	for _, c := range accepted {
		got, err := Sniff(c.head)
		if got != c.want || err != nil {
			t.Errorf("Sniff(%s) = %q, %v; want %q, nil", c.name, got, err, c.want)
		}
	}

	refused := []struct {
		name string
		head []byte
		want string
	}{
		{"empty", nil, "the file is empty"},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">`), "it looks like an SVG drawing"},
		{"bare svg", []byte(`  <svg width="1" height="1"></svg>`), "it looks like an SVG drawing"},
		{"html", []byte("<!DOCTYPE html><html><body>"), "it looks like a web page"},
		{"script", []byte("<script>alert(1)</script>"), "it looks like a web page"},
		{"xml", []byte(`<?xml version="1.0"?><root/>`), "it looks like an XML document"},
		{"json", []byte(`{"a": 1}`), "it looks like a data file (JSON)"},
		{"text", []byte("Hello, this is text.\n"), "it looks like text"},
		{"utf8 text cut mid-rune", append(bytes.Repeat([]byte("é"), 255), 0xc3, 0xa9)[:511], "it looks like text"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3"), "it looks like a PDF document"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), "it looks like a ZIP archive"},
		{"gzip", []byte("\x1f\x8b\x08\x00"), "it looks like a gzip-compressed file"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "it looks like a GIF image, which is not supported"},
		{"bmp", []byte("BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00"), "it looks like a BMP image, which is not supported"},
		{"psd", []byte("8BPS\x00\x01"), "it looks like a Photoshop document"},
		{"jxl", []byte("\xff\x0a\xfa\x7f"), "it looks like a JPEG XL image, which is not supported"},
		{"jp2", []byte("\x00\x00\x00\x0cjP  \x0d\x0a\x87\x0a"), "it looks like a JPEG 2000 image, which is not supported"},
		{"cr2", []byte("II*\x00\x10\x00\x00\x00CR\x02\x00"), "it looks like a camera RAW file (Canon CR2), which is not supported yet"},
		{"cr3", ftyp("crx ", "crx ", "isom"), "it looks like a camera RAW file (Canon CR3), which is not supported yet"},
		{"mp4", ftyp("isom", "isom", "iso2", "mp41"), "it looks like a video"},
		{"mov", ftyp("qt  ", "qt  "), "it looks like a video"},
		{"other iso media", ftyp("abcd", "efgh"), "it looks like an ISO media file that is not a HEIF or AVIF image"},
		{"jpeg prefix too short", []byte("\xff\xd8"), "the file type is unknown"},
		{"binary", []byte{0x00, 0x01, 0x02, 0x03, 0xfe}, "the file type is unknown"},
	}
	for _, c := range refused {
		got, err := Sniff(c.head)
		var refusedErr *RefusedError
		if !errors.As(err, &refusedErr) {
			t.Errorf("Sniff(%s) = %q, %v; want a *RefusedError", c.name, got, err)
			continue
		}
		want := "not an image we can read (" + c.want + ")"
		if got != "" || refusedErr.Reason != want || err.Error() != want {
			t.Errorf("Sniff(%s) = %q, %q; want \"\", %q", c.name, got, err, want)
		}
	}
}

// TestSniffNeeds32Bytes checks that the first 32 bytes of real files made
// by libvips are enough to identify them.
func TestSniffNeeds32Bytes(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 64, 48)
	defer img.Close()
	for _, f := range probeTestFormats {
		data := probeTestEncode(t, img, f)
		if got, err := Sniff(data[:32]); got != f || err != nil {
			t.Errorf("Sniff(first 32 bytes of a libvips %s) = %q, %v; want %q, nil", f, got, err, f)
		}
	}
}

func TestProbeAcceptedFormats(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 321, 123)
	defer img.Close()
	for _, f := range probeTestFormats {
		t.Run(string(f), func(t *testing.T) {
			info, err := Probe(probeTestEncode(t, img, f), Limits{})
			want := Info{Format: f, Width: 321, Height: 123, Orientation: 1}
			if err != nil || info != want {
				t.Errorf("Probe(%s) = %+v, %v; want %+v, nil", f, info, err, want)
			}
		})
	}
}

func TestProbeOrientation(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 300, 200)
	defer img.Close()
	if err := img.SetOrientation(6); err != nil {
		t.Fatal(err)
	}
	info, err := Probe(probeTestEncode(t, img, FormatJPEG), Limits{})
	if err != nil || info.Orientation != 6 || info.Width != 300 || info.Height != 200 {
		t.Fatalf("Probe(JPEG with orientation 6) = %+v, %v; want 300×200, orientation 6", info, err)
	}
	if w, h := info.DisplaySize(); w != 200 || h != 300 {
		t.Errorf("Info.DisplaySize() = %d, %d; want 200, 300", w, h)
	}
	if w, h := (Info{Width: 3, Height: 2, Orientation: 3}).DisplaySize(); w != 3 || h != 2 {
		t.Errorf("Info{3×2, orientation 3}.DisplaySize() = %d, %d; want 3, 2", w, h)
	}
}

func TestProbeRefusesHostileFiles(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 640, 480)
	defer img.Close()
	jpeg := probeTestEncode(t, img, FormatJPEG)
	cases := []struct {
		name  string
		data  []byte
		want  string
		wraps error // a sentinel the refusal wraps, or nil
	}{
		{"drawing.svg", probeTestFile(t, "probe/drawing.svg"), "not an image we can read (it looks like an SVG drawing)", nil},
		{"page.html", probeTestFile(t, "probe/page.html"), "not an image we can read (it looks like a web page)", nil},
		{"x.jpg (text)", probeTestFile(t, "probe/x.jpg"), "not an image we can read (it looks like text)", nil},
		{"doc.pdf", probeTestFile(t, "probe/doc.pdf"), "not an image we can read (it looks like a PDF document)", nil},
		{"archive.zip", probeTestFile(t, "probe/archive.zip"), "not an image we can read (it looks like a ZIP archive)", nil},
		{"anim.gif", probeTestFile(t, "probe/anim.gif"), "not an image we can read (it looks like a GIF image, which is not supported)", nil},
		{"empty.jpg", probeTestFile(t, "probe/empty.jpg"), "not an image we can read (the file is empty)", nil},
		{"first 200 bytes of a JPEG", jpeg[:200], probeReasonDamaged, ErrUndecodable},
		{"JPEG signature then HTML", append([]byte("\xff\xd8\xff\xe0"), probeTestFile(t, "probe/page.html")...), probeReasonDamaged, ErrUndecodable},
		{"PNG signature then text", append([]byte("\x89PNG\r\n\x1a\n"), probeTestFile(t, "probe/x.jpg")...), probeReasonDamaged, ErrUndecodable},
		{"pixel bomb", probeTestPNGHeader(t, 100000, 100000), "the image is 100000 × 100000 pixels; the limit is 250 megapixels", ErrTooManyPixels},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, err := Probe(c.data, Limits{})
			var refused *RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("Probe(%s) = %+v, %v; want a *RefusedError", c.name, info, err)
			}
			if refused.Reason != c.want || err.Error() != c.want {
				t.Errorf("Probe(%s) error = %q; want %q", c.name, err, c.want)
			}
			for _, sentinel := range []error{ErrUndecodable, ErrTooManyPixels} {
				if got, want := errors.Is(err, sentinel), sentinel == c.wraps; got != want {
					t.Errorf("errors.Is(Probe(%s), %v) = %v; want %v", c.name, sentinel, got, want)
				}
			}
		})
	}
}

// TestProbePixelBombHeaderOnly shows Probe never decodes pixels: a PNG
// whose header claims 100000 × 100000 pixels (30 GB decoded) but holds one
// short row is refused at once, and, with the limit raised, even accepted
// at once with the claimed size, which a decode could not do.
func TestProbePixelBombHeaderOnly(t *testing.T) {
	engineTestStart(t)
	bomb := probeTestPNGHeader(t, 100000, 100000)
	rssBefore := probeTestRSS(t)
	_, err := Probe(bomb, Limits{})
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Reason, "limit is 250 megapixels") {
		t.Fatalf("Probe(pixel bomb) = %v; want the pixel limit refusal", err)
	}

	info, err := Probe(bomb, Limits{MaxPixels: 100000 * 100000})
	want := Info{Format: FormatPNG, Width: 100000, Height: 100000, Orientation: 1}
	if err != nil || info != want {
		t.Fatalf("Probe(pixel bomb, limit raised) = %+v, %v; want %+v, nil", info, err, want)
	}
	if grown := probeTestRSS(t) - rssBefore; grown > 64<<20 {
		t.Errorf("resident memory grew by %d MB while probing; want < 64 MB", grown>>20)
	}

	// Derive checks the limit itself.
	if _, err := Derive(bomb, DeriveOptions{}); !errors.As(err, &refused) || !strings.Contains(refused.Reason, "100000 × 100000") {
		t.Errorf("Derive(pixel bomb) = %v; want the pixel limit refusal", err)
	}
}

// probeTestRSS returns the process' resident memory in bytes.
func probeTestRSS(t testing.TB) int64 {
	t.Helper()
	runtime.GC()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("VmRSS not found in /proc/self/status")
	return 0
}

// BenchmarkProbeVsDecode compares Probe with a real decode of the same
// 12-megapixel JPEG, measured side by side: reading the header must cost a
// small fraction ("x-of-decode").
func BenchmarkProbeVsDecode(b *testing.B) {
	engineTestStart(b)
	img := probeTestGradient(b, 4000, 3000)
	data := probeTestEncode(b, img, FormatJPEG)
	img.Close()
	var probeTime, decodeTime time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := Probe(data, Limits{}); err != nil {
			b.Fatal(err)
		}
		probeTime += time.Since(start)

		start = time.Now()
		full, err := vips.NewImageFromBuffer(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := full.Average(); err != nil { // touches every pixel
			b.Fatal(err)
		}
		full.Close()
		decodeTime += time.Since(start)
	}
	b.ReportMetric(float64(probeTime)/float64(decodeTime), "x-of-decode")
}

func TestProbeLimit(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 200, 100)
	defer img.Close()
	data := probeTestEncode(t, img, FormatPNG)
	if _, err := Probe(data, Limits{MaxPixels: 20000}); err != nil {
		t.Errorf("Probe(200×100, limit 20000) = %v; want nil (the limit is inclusive)", err)
	}
	_, err := Probe(data, Limits{MaxPixels: 19999})
	want := "the image is 200 × 100 pixels; the limit is 0.019999 megapixels"
	if err == nil || err.Error() != want {
		t.Errorf("Probe(200×100, limit 19999) = %v; want %q", err, want)
	}
}

func TestProbeLoaderNames(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 16, 16)
	defer img.Close()
	for _, f := range probeTestFormats {
		if got, want := probeFindLoader(probeTestEncode(t, img, f)), f.probeLoader(); got != want || want == "" {
			t.Errorf("probeFindLoader(%s) = %q; want %q", f, got, want)
		}
	}
	if got := probeFindLoader([]byte("hello")); got != "" {
		t.Errorf("probeFindLoader(text) = %q; want \"\"", got)
	}
}
