package media

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/davidbyttow/govips/v2/vips"
)

// watermarkTestText is a typical owner's watermark.
const watermarkTestText = "© 2024 Jane Doe Photography"

var watermarkTestPhotoCache struct {
	sync.Mutex
	data map[[2]int][]byte
}

// watermarkTestPhoto returns Derive's preview of a synthetic photo (soft
// colour regions, hard-edged shapes, grain) of w×h, made once per size.
func watermarkTestPhoto(t testing.TB, w, h int) []byte {
	t.Helper()
	engineTestStart(t)
	c := &watermarkTestPhotoCache
	c.Lock()
	defer c.Unlock()
	if p, ok := c.data[[2]int{w, h}]; ok {
		return p
	}
	photo, err := deriveBenchMake(w, h, uint64(w*h), FormatJPEG, 1, "testdata/derive/AdobeRGB1998.icc")
	if err != nil {
		t.Fatalf("make photo: %v", probeVipsError(err))
	}
	ds, err := Derive(photo, DeriveOptions{Sizes: []Size{PreviewSize}})
	if err != nil {
		t.Fatalf("Derive() = %v", err)
	}
	if c.data == nil {
		c.data = map[[2]int][]byte{}
	}
	c.data[[2]int{w, h}] = ds[0].Data
	return ds[0].Data
}

// watermarkTestSolid returns Derive's copy, at its own size, of a w×h image
// of one colour.
func watermarkTestSolid(t testing.TB, w, h int, rgb [3]float64) []byte {
	t.Helper()
	engineTestStart(t)
	img := probeTestSolid(t, w, h, rgb)
	data := probeTestEncode(t, img, FormatJPEG)
	img.Close()
	ds, err := Derive(data, DeriveOptions{Sizes: []Size{{"preview", max(w, h)}}})
	if err != nil {
		t.Fatalf("Derive() = %v", err)
	}
	return ds[0].Data
}

// watermarkTestPixels decodes a JPEG to 8-bit sRGB pixels, checking that
// it is one.
func watermarkTestPixels(t testing.TB, jpeg []byte) (pix []byte, w, h int) {
	t.Helper()
	if !bytes.HasPrefix(jpeg, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("output starts % x; want a JPEG", jpeg[:min(4, len(jpeg))])
	}
	img, err := vips.NewImageFromBuffer(jpeg)
	if err != nil {
		t.Fatalf("decode: %v", probeVipsError(err))
	}
	defer img.Close()
	if img.Bands() != 3 || img.BandFormat() != vips.BandFormatUchar || img.Interpretation() != vips.InterpretationSRGB {
		t.Fatalf("decoded: %d bands, format %v, interpretation %v; want 3 bands of 8-bit sRGB", img.Bands(), img.BandFormat(), img.Interpretation())
	}
	pix, err = img.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return pix, img.Width(), img.Height()
}

// watermarkTestReencode decodes and re-encodes a preview with the settings
// Watermark uses, drawing nothing: the picture Watermark's output is
// compared with. JPEG codes 8×8 blocks independently, so every block the
// watermark leaves alone comes out identical in both.
func watermarkTestReencode(t testing.TB, preview []byte) []byte {
	t.Helper()
	img, err := vips.NewImageFromBuffer(preview)
	if err != nil {
		t.Fatal(probeVipsError(err))
	}
	defer img.Close()
	out, _, err := img.ExportJpeg(deriveJPEGParams(max(img.Width(), img.Height())))
	if err != nil {
		t.Fatal(probeVipsError(err))
	}
	return out
}

// watermarkTestTiles splits the picture into an n×n grid and returns, per
// cell, the mean absolute difference between Watermark's output and the
// preview re-encoded without it (0..255; 0 where no mark was drawn) and the
// mean signed change of brightness, and the share of all pixels left
// exactly as they were.
func watermarkTestTiles(t testing.TB, preview, out []byte, n int) (diff, change [][]float64, same float64) {
	t.Helper()
	a, w, h := watermarkTestPixels(t, watermarkTestReencode(t, preview))
	b, w2, h2 := watermarkTestPixels(t, out)
	if w != w2 || h != h2 {
		t.Fatalf("Watermark() output is %d×%d; the preview is %d×%d", w2, h2, w, h)
	}
	unchanged := 0
	for i := 0; i+2 < len(a); i += 3 {
		if a[i] == b[i] && a[i+1] == b[i+1] && a[i+2] == b[i+2] {
			unchanged++
		}
	}
	same = float64(unchanged) / float64(w*h)
	diff, change = make([][]float64, n), make([][]float64, n)
	for ty := range n {
		diff[ty], change[ty] = make([]float64, n), make([]float64, n)
		for tx := range n {
			var sum, signed float64
			count := 0
			for y := ty * h / n; y < (ty+1)*h/n; y++ {
				for x := tx * w / n; x < (tx+1)*w/n; x++ {
					for c := range 3 {
						i := (y*w+x)*3 + c
						d := float64(b[i]) - float64(a[i])
						sum += math.Abs(d)
						signed += d
						count++
					}
				}
			}
			diff[ty][tx], change[ty][tx] = sum/float64(count), signed/float64(count)
		}
	}
	return diff, change, same
}

func TestCheckWatermarkText(t *testing.T) {
	sixty := strings.Repeat("ab", 30)
	for _, c := range []struct {
		in, want string
	}{
		{watermarkTestText, watermarkTestText},
		{"  Jane  Doe \u00a0", "Jane Doe"},                        // trimmed, runs of spaces collapsed, NBSP is a space
		{"Jane\u00a0Doe\u2009©\u3000Studio", "Jane Doe © Studio"}, // no-break, thin and ideographic spaces
		{"<b>x</b> & Co", "<b>x</b> & Co"},                        // kept as text; Watermark escapes it
		{"&amp;", "&amp;"},
		{`<span foreground="red">x</span>`, `<span foreground="red">x</span>`},
		{"Zoë Ångström", "Zoë Ångström"},
		{"שלום עולם", "שלום עולם"},   // Hebrew, right to left
		{"حقوق النشر", "حقوق النشر"}, // Arabic
		{"写真 © 2024", "写真 © 2024"},
		{"proof 📷✨", "proof 📷✨"},
		{"❤️", "❤️"}, // emoji with a variation selector (a mark, allowed)
		{sixty, sixty},
		{"  " + sixty + "  ", sixty},
		{strings.Repeat("📷", WatermarkTextMax), strings.Repeat("📷", WatermarkTextMax)},
	} {
		got, err := CheckWatermarkText(c.in)
		if err != nil || got != c.want {
			t.Errorf("CheckWatermarkText(%q) = %q, %v; want %q, nil", c.in, got, err, c.want)
			continue
		}
		if again, err := CheckWatermarkText(got); again != got || err != nil {
			t.Errorf("CheckWatermarkText(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}

	for _, c := range []struct {
		name, in, wantIn string // wantIn: a word the message must contain
	}{
		{"empty", "", "empty"},
		{"spaces only", " \u00a0\u3000 ", "empty"},
		{"61 characters", sixty + "x", "61 characters"},
		{"61 emoji", strings.Repeat("📷", WatermarkTextMax+1), "61 characters"},
		{"huge", strings.Repeat("a", 1<<20), "too long"},
		{"tab", "Jane\tDoe", "U+0009"},
		{"line break", "Jane\nDoe", "single line"},
		{"carriage return", "Jane\rDoe", "U+000D"},
		{"NUL", "Jane\x00Doe", "U+0000"},
		{"DEL", "Jane\x7fDoe", "U+007F"},
		{"C1 control", "Jane\u0085Doe", "U+0085"},
		{"right-to-left override", "Jane \u202Eeod", "U+202E"},
		{"bidi isolate", "\u2066Jane", "U+2066"},
		{"zero-width space", "Ja\u200Bne", "U+200B"},
		{"zero-width joiner", "👨\u200D👩", "U+200D"},
		{"byte order mark", "\uFEFFJane", "U+FEFF"},
		{"soft hyphen", "Ja\u00ADne", "U+00AD"},
		{"Hangul filler", "\u3164", "U+3164"},
		{"combining grapheme joiner", "a\u034Fb", "U+034F"},
		{"line separator", "Jane\u2028Doe", "U+2028"},
		{"paragraph separator", "Jane\u2029Doe", "U+2029"},
		{"private use", "Jane \uE000", "U+E000"},
		{"tag character", "🏴\U000E0067\U000E0062\U000E007F", "U+E0067"},
		{"noncharacter", "Jane \uFFFF", "U+FFFF"},
		{"invalid UTF-8", "Jane \xff Doe", "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CheckWatermarkText(c.in)
			if err == nil {
				t.Fatalf("CheckWatermarkText(%.40q) = %q, nil; want an error", c.in, got)
			}
			if !errors.Is(err, ErrWatermarkText) {
				t.Errorf("CheckWatermarkText(%.40q) = %v; want an error wrapping ErrWatermarkText", c.in, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.wantIn) || !strings.HasPrefix(msg, "the watermark text ") || !utf8.ValidString(msg) {
				t.Errorf("CheckWatermarkText(%.40q) says %q; want a plain message about the watermark text mentioning %q", c.in, msg, c.wantIn)
			}
			if got != "" {
				t.Errorf("CheckWatermarkText(%.40q) = %q with an error; want \"\"", c.in, got)
			}
		})
	}
}

// watermarkTestHostile are texts that are markup, or look like it, for
// Pango (the markup language of vips_text).
var watermarkTestHostile = []string{
	"<b>x</b>",
	`<span foreground="red" size="xx-large">x</span>`,
	"&amp;",
	"&lt;b&gt;",
	"&#60;i&#62;",
	"& < > ' \"",
	"<i>",
	"</span>",
	"<!-- x -->",
	"<![CDATA[x]]>",
	"<?xml version=\"1.0\"?>",
	"<markup><span font=\"200\">big</span></markup>",
}

// TestWatermarkMarkupIsLiteral checks the escaping with Pango's own
// markup parser: every text reads back as itself, with no attribute set.
func TestWatermarkMarkupIsLiteral(t *testing.T) {
	// The checker itself must notice markup, or this test proves nothing.
	if text, attrs, ok := watermarkParseMarkup("<b>x</b>"); !ok || !attrs || text != "x" {
		t.Fatalf("watermarkParseMarkup(<b>x</b>) = %q, %v, %v; want \"x\", true, true", text, attrs, ok)
	}
	if _, _, ok := watermarkParseMarkup("<b>x"); ok {
		t.Fatal("watermarkParseMarkup(<b>x) parses; want a failure")
	}
	for _, plain := range append(watermarkTestHostile, watermarkTestText, "שלום & مرحبا", "📷 <3") {
		markup, err := watermarkMarkup(plain)
		if err != nil {
			t.Errorf("watermarkMarkup(%q) = %v", plain, err)
			continue
		}
		if strings.ContainsAny(markup, "<>\"'") {
			t.Errorf("watermarkMarkup(%q) = %q; want no markup characters left", plain, markup)
		}
		if text, attrs, ok := watermarkParseMarkup(markup); !ok || attrs || text != plain {
			t.Errorf("Pango reads watermarkMarkup(%q) = %q as %q (attributes %v, parsed %v); want the text itself", plain, markup, text, attrs, ok)
		}
	}
}

// watermarkTestEscape is an independent reference escaping for Pango
// markup, spelled differently from GLib's (&#39; and &quot;), so that equal
// pictures mean equal text, not equal code.
var watermarkTestEscape = strings.NewReplacer("&", "&#38;", "<", "&#60;", ">", "&#62;", "'", "&apos;", "\"", "&#34;").Replace

// TestWatermarkDrawsTextLiterally renders hostile texts and shows they are
// drawn as the characters typed: byte for byte the picture of the same
// text escaped independently, and not the picture of the text read as
// markup.
func TestWatermarkDrawsTextLiterally(t *testing.T) {
	preview := watermarkTestSolid(t, 640, 400, [3]float64{90, 110, 130})
	for _, text := range watermarkTestHostile {
		t.Run(text, func(t *testing.T) {
			got, err := Watermark(preview, text)
			if err != nil {
				t.Fatalf("Watermark(%q) = %v", text, err)
			}
			literal, err := watermarkRender(preview, watermarkTestEscape(text))
			if err != nil {
				t.Fatalf("render escaped %q: %v", text, err)
			}
			if !bytes.Equal(got, literal) {
				t.Errorf("Watermark(%q) differs from drawing the escaped text %q", text, watermarkTestEscape(text))
			}
			// Read as markup, the text either does not parse or draws
			// something else.
			if asMarkup, err := watermarkRender(preview, text); err == nil && bytes.Equal(got, asMarkup) {
				t.Errorf("Watermark(%q) equals drawing it as markup", text)
			}
		})
	}
	// And the entity is not decoded: "&amp;" is five characters, not "&".
	amp, err := Watermark(preview, "&amp;")
	if err != nil {
		t.Fatal(err)
	}
	ampersand, err := Watermark(preview, "&")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(amp, ampersand) {
		t.Error(`Watermark("&amp;") equals Watermark("&")`)
	}
}

// TestWatermarkCoversWholeImage checks that the text is visible in every
// cell of a 6×6 grid (so it is tiled and cannot be cropped away), on a busy
// photo, a white and a black picture, in landscape, portrait and small
// sizes, and that it lightens dark pictures and darkens light ones.
func TestWatermarkCoversWholeImage(t *testing.T) {
	const grid = 6
	cases := []struct {
		name    string
		preview func(t *testing.T) []byte
		text    string
		// minDiff: the least mean absolute change (0..255) of any cell;
		// a cell without any mark has 0.
		minDiff float64
		// sign: +1 when every cell must get brighter (dark picture), -1
		// darker (white picture), 0 either.
		sign float64
	}{
		{"photo landscape", func(t *testing.T) []byte { return watermarkTestPhoto(t, 3000, 2000) }, watermarkTestText, 2, 0},
		{"photo portrait", func(t *testing.T) []byte { return watermarkTestPhoto(t, 2000, 3000) }, watermarkTestText, 2, 0},
		{"white", func(t *testing.T) []byte { return watermarkTestSolid(t, 2048, 1365, [3]float64{250, 250, 250}) }, watermarkTestText, 2, -1},
		{"black", func(t *testing.T) []byte { return watermarkTestSolid(t, 2048, 1365, [3]float64{8, 8, 8}) }, watermarkTestText, 2, +1},
		{"thumbnail size", func(t *testing.T) []byte { return watermarkTestSolid(t, 480, 320, [3]float64{120, 120, 120}) }, watermarkTestText, 2, 0},
		{"short text", func(t *testing.T) []byte { return watermarkTestSolid(t, 2048, 1365, [3]float64{8, 8, 8}) }, "JD", 2, +1},
		{"60 characters (drawn smaller)", func(t *testing.T) []byte { return watermarkTestSolid(t, 2048, 1365, [3]float64{8, 8, 8}) },
			strings.Repeat("Jane Doe ", 5) + "Photo Studio 24", 2, +1},
		{"right to left", func(t *testing.T) []byte { return watermarkTestSolid(t, 1365, 2048, [3]float64{8, 8, 8}) }, "حقوق النشر © שלום", 2, +1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			preview := c.preview(t)
			out, err := Watermark(preview, c.text)
			if err != nil {
				t.Fatalf("Watermark() = %v", err)
			}
			diff, change, same := watermarkTestTiles(t, preview, out, grid)
			// The comparison is exact where nothing was drawn (the gaps
			// between letters and lines), so a changed cell holds marks.
			if same < 0.2 {
				t.Errorf("%.0f %% of pixels are exactly as re-encoded without a watermark; want ≥ 20 %% (the gaps)", same*100)
			}
			least, total := math.Inf(1), 0.0
			for y := range grid {
				for x := range grid {
					d := diff[y][x]
					least = min(least, d)
					total += d
					if d < c.minDiff {
						t.Errorf("cell (%d,%d) changed by %.2f on average; want ≥ %.0f: the text does not cover the whole picture", x, y, d, c.minDiff)
					}
					if c.sign != 0 && change[y][x]*c.sign <= 0 {
						t.Errorf("cell (%d,%d) changed brightness by %+.2f; want the sign of %+.0f", x, y, change[y][x], c.sign)
					}
				}
			}
			// Visible, but the photo must still be the main thing.
			if mean := total / grid / grid; mean > 45 {
				t.Errorf("mean change %.1f; want ≤ 45, the watermark hides the photo", mean)
			}
			t.Logf("per-cell mean absolute change: least %.1f, mean %.1f; pixels unchanged: %.0f %%", least, total/grid/grid, same*100)
		})
	}
}

// TestWatermarkContrast checks the outline and the letters: on a white
// picture some pixels become clearly dark, on a black one clearly light, so
// the text reads on both.
func TestWatermarkContrast(t *testing.T) {
	for _, c := range []struct {
		name string
		grey float64
		// want: the darkest pixel at most (white) or the lightest at least
		// (black).
		want float64
	}{
		{"white", 250, 170},
		{"black", 8, 110},
	} {
		t.Run(c.name, func(t *testing.T) {
			preview := watermarkTestSolid(t, 1024, 768, [3]float64{c.grey, c.grey, c.grey})
			out, err := Watermark(preview, watermarkTestText)
			if err != nil {
				t.Fatal(err)
			}
			pix, _, _ := watermarkTestPixels(t, out)
			lo, hi := slices.Min(pix), slices.Max(pix)
			if c.grey > 128 && float64(lo) > c.want {
				t.Errorf("on %s the darkest pixel is %d; want ≤ %.0f (a visible outline)", c.name, lo, c.want)
			}
			if c.grey < 128 && float64(hi) < c.want {
				t.Errorf("on %s the lightest pixel is %d; want ≥ %.0f (visible letters)", c.name, hi, c.want)
			}
			// Semi-transparent: neither solid white letters nor a black
			// outline (letters at 55 %, outline at 60 %).
			if c.grey < 128 && hi > 200 {
				t.Errorf("on %s the lightest pixel is %d; want ≤ 200 (see-through letters)", c.name, hi)
			}
			if c.grey > 128 && lo < 60 {
				t.Errorf("on %s the darkest pixel is %d; want ≥ 60 (a see-through outline)", c.name, lo)
			}
			t.Logf("on %s pixels span %d..%d", c.name, lo, hi)
		})
	}
}

// TestWatermarkEncoding checks that the output uses Derive's encoder
// settings for its size: progressive 4:4:4 for a preview, baseline 4:2:0
// for a thumbnail-sized picture.
func TestWatermarkEncoding(t *testing.T) {
	for _, c := range []struct {
		w, h        int
		interlaced  int
		subsampling string
	}{
		{2048, 1365, 1, "4:4:4"},
		{480, 320, 0, "4:2:0"},
	} {
		preview := watermarkTestSolid(t, c.w, c.h, [3]float64{100, 150, 200})
		out, err := Watermark(preview, watermarkTestText)
		if err != nil {
			t.Fatal(err)
		}
		img, err := vips.NewImageFromBuffer(out)
		if err != nil {
			t.Fatal(err)
		}
		interlaced, sub := img.GetInt("interlaced"), img.GetString("jpeg-chroma-subsample")
		img.Close()
		if interlaced != c.interlaced || sub != c.subsampling {
			t.Errorf("Watermark(%d×%d) output: interlaced %d, chroma %s; want %d, %s", c.w, c.h, interlaced, sub, c.interlaced, c.subsampling)
		}
		if !bytes.Contains(out, []byte{0xFF, 0xC4}) {
			t.Errorf("Watermark(%d×%d) output has no Huffman table", c.w, c.h)
		}
	}
}

// TestWatermarkKeepsOnlyCopyright checks that the copyright segments
// Derive wrote survive byte for byte and nothing else is carried, even from
// a JPEG that is not a preview and is full of private metadata.
func TestWatermarkKeepsOnlyCopyright(t *testing.T) {
	engineTestStart(t)
	rich := probeTestFile(t, "derive/metadata-rich.jpg")
	// What libvips reports for a JPEG with no metadata, plus the copyright
	// fields Derive writes and the fields libexif adds to any EXIF block it
	// reads (the APP1 bytes themselves are compared below).
	allowedFields := []string{"width", "height", "bands", "format", "coding", "interpretation", "xoffset", "yoffset",
		"xres", "yres", "filename", "vips-loader", "jpeg-multiscan", "interlaced", "jpeg-chroma-subsample", "resolution-unit",
		"exif-data", "xmp-data", "exif-ifd0-Artist", "exif-ifd0-Copyright",
		"exif-ifd0-XResolution", "exif-ifd0-YResolution", "exif-ifd0-ResolutionUnit",
		"exif-ifd2-ExifVersion", "exif-ifd2-FlashpixVersion", "exif-ifd2-ColorSpace"}
	// checkOnly checks that out has no segment but JFIF, the APP1 segments
	// in wantAPP1 and image data, and none of the fixture's private values
	// except those named in keep (its own copyright fields).
	checkOnly := func(t *testing.T, out []byte, wantAPP1 [][]byte, keep ...string) {
		t.Helper()
		markers, payloads := deriveTestSegments(t, out)
		var app1 [][]byte
		for i, m := range markers {
			switch m {
			case 0xE1:
				app1 = append(app1, payloads[i])
			case 0xE0, 0xDB, 0xC0, 0xC2, 0xC4:
			default:
				t.Errorf("output has a %#x segment (%q…)", m, payloads[i][:min(16, len(payloads[i]))])
			}
		}
		if len(app1) != len(wantAPP1) {
			t.Fatalf("output has %d APP1 segments; want %d", len(app1), len(wantAPP1))
		}
		for i := range app1 {
			if !bytes.Equal(app1[i], wantAPP1[i]) {
				t.Errorf("APP1 segment %d = %.60q…; want %.60q…", i, app1[i], wantAPP1[i])
			}
		}
		header := bytes.Join(payloads, nil)
		for _, s := range deriveTestSecrets {
			kept := slices.ContainsFunc(keep, func(k string) bool { return strings.Contains(k, s) })
			if !kept && bytes.Contains(header, []byte(s)) {
				t.Errorf("output contains %q", s)
			}
		}
		img, err := vips.NewImageFromBuffer(out)
		if err != nil {
			t.Fatal(err)
		}
		defer img.Close()
		for _, f := range img.GetFields() {
			if !slices.Contains(allowedFields, f) {
				t.Errorf("output carries metadata field %s", f)
			}
		}
	}

	for _, c := range []struct {
		name string
		c    *Copyright
	}{
		{"ascii", &Copyright{Creator: "Jane Doe", Notice: "(c) 2024 Jane Doe", Credit: "Studio X"}},
		{"unicode and escaping", &Copyright{Creator: `Zoë "JD" <Doe> & Co`, Notice: "© 2024 Zoë Ångström", Credit: "Zoë's"}},
		{"none", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ds, err := Derive(rich, DeriveOptions{Sizes: []Size{PreviewSize}, Copyright: c.c})
			if err != nil {
				t.Fatal(err)
			}
			preview := ds[0].Data
			markers, payloads := deriveTestSegments(t, preview)
			var want [][]byte
			for i, m := range markers {
				if m == 0xE1 {
					want = append(want, payloads[i])
				}
			}
			if c.c != nil && len(want) == 0 {
				t.Fatal("Derive wrote no copyright segment")
			}
			out, err := Watermark(preview, watermarkTestText)
			if err != nil {
				t.Fatal(err)
			}
			checkOnly(t, out, want)
		})
	}

	// An original full of private metadata (GPS, serial number, IPTC, ICC,
	// comments), given where a preview belongs: none of it may pass.
	t.Run("not a preview", func(t *testing.T) {
		out, err := Watermark(rich, watermarkTestText)
		if err != nil {
			t.Fatal(err)
		}
		meta, err := ExtractMetadata(rich)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]byte
		for _, seg := range deriveCopyrightSegments(Copyright{Creator: meta.Creator, Notice: meta.Copyright, Credit: meta.Credit}) {
			want = append(want, seg[4:])
		}
		checkOnly(t, out, want, meta.Creator, meta.Copyright, meta.Credit)
		t.Logf("copyright kept from the original: %q, %q, %q", meta.Creator, meta.Copyright, meta.Credit)
		got, err := ExtractMetadata(out)
		if err != nil {
			t.Fatal(err)
		}
		if got.GPS != nil || got.CameraModel != "" || got.Caption != "" || len(got.Keywords) > 0 || !got.TakenAt.IsZero() || got.ColorProfile != "" {
			t.Errorf("Watermark(original) keeps private metadata: %+v", got)
		}
	})
}

// TestWatermarkRefuses checks what Watermark will not draw on or with.
func TestWatermarkRefuses(t *testing.T) {
	engineTestStart(t)
	preview := watermarkTestSolid(t, 640, 400, [3]float64{90, 110, 130})

	for _, text := range []string{"", "   ", strings.Repeat("x", 61), "a\u202Eb", "a\nb"} {
		if out, err := Watermark(preview, text); !errors.Is(err, ErrWatermarkText) || out != nil {
			t.Errorf("Watermark(%q) = %d bytes, %v; want an error wrapping ErrWatermarkText", text, len(out), err)
		}
	}
	// Printable, but no font draws anything for it: the braille blank.
	if _, err := Watermark(preview, "\u2800\u2800"); !errors.Is(err, ErrWatermarkText) {
		t.Errorf("Watermark(braille blanks) = %v; want an error wrapping ErrWatermarkText", err)
	}

	img := probeTestGradient(t, 64, 48)
	png := probeTestEncode(t, img, FormatPNG)
	if err := img.SetOrientation(6); err != nil {
		t.Fatal(err)
	}
	sideways := probeTestEncode(t, img, FormatJPEG)
	img.Close()
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"PNG", png},
		{"sideways JPEG", sideways},
		{"truncated", preview[:len(preview)/2]},
		{"not an image", []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
	} {
		if out, err := Watermark(c.data, watermarkTestText); err == nil || out != nil {
			t.Errorf("Watermark(%s) = %d bytes, %v; want an error", c.name, len(out), err)
		} else if errors.Is(err, ErrWatermarkText) {
			t.Errorf("Watermark(%s) = %v; want an error about the picture, not the text", c.name, err)
		}
	}
}

// TestWatermarkConcurrent runs Watermark from several goroutines (Pango
// and fontconfig included) and checks every result equals the one made
// alone.
func TestWatermarkConcurrent(t *testing.T) {
	preview := watermarkTestSolid(t, 1024, 683, [3]float64{60, 120, 180})
	texts := []string{watermarkTestText, "שלום", "<b>x</b>", "写真"}
	want := make([][]byte, len(texts))
	for i, text := range texts {
		out, err := Watermark(preview, text)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = out
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Go(func() {
			for i := range texts {
				k := (g + i) % len(texts)
				out, err := Watermark(preview, texts[k])
				switch {
				case err != nil:
					errs <- err
				case !bytes.Equal(out, want[k]):
					errs <- fmt.Errorf("Watermark(%q) from goroutine %d differs from the result made alone", texts[k], g)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// FuzzCheckWatermarkText checks, for any input, that a refusal wraps
// ErrWatermarkText with a readable message, and that an accepted text is
// normalised (trimmed, single spaces, 1..60 printable characters), stays
// the same when checked again, and reaches Pango as exactly itself.
func FuzzCheckWatermarkText(f *testing.F) {
	for _, s := range append(watermarkTestHostile,
		watermarkTestText, "", " ", "  a  b  ", "\u00a0x\u3000", "a\tb", "a\nb", "\u202Eabc", "👨\u200D👩", "❤️",
		"שלום & مرحبا", "\xff", "\x00", strings.Repeat("é", 61), "&#x1F4F7;", "<span font='99999'>", "]]>") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CheckWatermarkText(in)
		if err != nil {
			if !errors.Is(err, ErrWatermarkText) || got != "" || err.Error() == "" || !utf8.ValidString(err.Error()) {
				t.Fatalf("CheckWatermarkText(%q) = %q, %v; want \"\" and a readable error wrapping ErrWatermarkText", in, got, err)
			}
			return
		}
		n := utf8.RuneCountInString(got)
		if !utf8.ValidString(got) || n < 1 || n > WatermarkTextMax || got != strings.TrimSpace(got) || strings.Contains(got, "  ") {
			t.Fatalf("CheckWatermarkText(%q) = %q (%d characters); want trimmed, single-spaced, 1..%d characters", in, got, n, WatermarkTextMax)
		}
		for _, r := range got {
			if !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("CheckWatermarkText(%q) = %q keeps %U", in, got, r)
			}
		}
		if again, err := CheckWatermarkText(got); again != got || err != nil {
			t.Fatalf("CheckWatermarkText(%q) = %q, %v; want it unchanged", got, again, err)
		}
		markup, err := watermarkMarkup(got)
		if err != nil {
			t.Fatalf("watermarkMarkup(%q) = %v", got, err)
		}
		if text, attrs, ok := watermarkParseMarkup(markup); !ok || attrs || text != got {
			t.Fatalf("Pango reads %q as %q (attributes %v, parsed %v); want %q", markup, text, attrs, ok, got)
		}
	})
}
