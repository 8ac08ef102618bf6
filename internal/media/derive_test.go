package media

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// deriveTestDecode loads a derivative back with libvips and checks that it
// is a plain 8-bit three-band sRGB JPEG.
func deriveTestDecode(t testing.TB, d Derivative) *vips.ImageRef {
	t.Helper()
	if d.Format != FormatJPEG || !bytes.HasPrefix(d.Data, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("derivative %s: format %q, starts % x; want a JPEG", d.Name, d.Format, d.Data[:min(4, len(d.Data))])
	}
	img, err := vips.NewImageFromBuffer(d.Data)
	if err != nil {
		t.Fatalf("decode derivative %s: %v", d.Name, probeVipsError(err))
	}
	if img.Width() != d.Width || img.Height() != d.Height {
		t.Errorf("derivative %s is %d×%d; Derivative says %d×%d", d.Name, img.Width(), img.Height(), d.Width, d.Height)
	}
	if img.Bands() != 3 || img.BandFormat() != vips.BandFormatUchar || img.Interpretation() != vips.InterpretationSRGB {
		t.Errorf("derivative %s: %d bands, format %v, interpretation %v; want 3 bands of 8-bit sRGB",
			d.Name, img.Bands(), img.BandFormat(), img.Interpretation())
	}
	return img
}

// deriveTestPixel returns the colour at (x, y) of a derivative.
func deriveTestPixel(t testing.TB, d Derivative, x, y int) [3]float64 {
	t.Helper()
	img := deriveTestDecode(t, d)
	defer img.Close()
	p, err := img.GetPoint(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return [3]float64{p[0], p[1], p[2]}
}

func deriveTestClose(a, b [3]float64, tol float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

func deriveTestByName(t testing.TB, ds []Derivative, name string) Derivative {
	t.Helper()
	for _, d := range ds {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no derivative named %q in %d results", name, len(ds))
	return Derivative{}
}

func TestDeriveSizes(t *testing.T) {
	engineTestStart(t)
	cases := []struct {
		w, h                       int
		thumbW, thumbH, preW, preH int
	}{
		{3000, 2000, 480, 320, 2048, 1365},
		{2000, 3000, 320, 480, 1365, 2048},
		{2500, 2500, 480, 480, 2048, 2048},
		{1000, 500, 480, 240, 1000, 500}, // preview not enlarged
		{300, 200, 300, 200, 300, 200},   // nothing enlarged
		{5000, 40, 480, 4, 2048, 16},     // extreme panorama
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d", c.w, c.h), func(t *testing.T) {
			img := probeTestGradient(t, c.w, c.h)
			data := probeTestEncode(t, img, FormatJPEG)
			img.Close()
			ds, err := Derive(data, DeriveOptions{})
			if err != nil {
				t.Fatalf("Derive() = %v", err)
			}
			if len(ds) != 2 || ds[0].Name != "thumb" || ds[1].Name != "preview" {
				t.Fatalf("Derive() names = %v; want [thumb preview] in the order of the default sizes", []string{ds[0].Name, ds[1].Name})
			}
			for _, d := range ds {
				deriveTestDecode(t, d).Close()
			}
			if ds[0].Width != c.thumbW || ds[0].Height != c.thumbH || ds[1].Width != c.preW || ds[1].Height != c.preH {
				t.Errorf("Derive(%d×%d) = thumb %d×%d, preview %d×%d; want %d×%d, %d×%d", c.w, c.h,
					ds[0].Width, ds[0].Height, ds[1].Width, ds[1].Height, c.thumbW, c.thumbH, c.preW, c.preH)
			}
		})
	}
}

func TestDeriveCustomSizesKeepOrder(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 1600, 1200)
	data := probeTestEncode(t, img, FormatPNG)
	img.Close()
	sizes := []Size{{"small", 100}, {"large", 1200}, {"medium", 640}}
	ds, err := Derive(data, DeriveOptions{Sizes: sizes})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sizes {
		if ds[i].Name != s.Name || max(ds[i].Width, ds[i].Height) != s.LongEdge {
			t.Errorf("Derive()[%d] = %s %d×%d; want %s with long edge %d", i, ds[i].Name, ds[i].Width, ds[i].Height, s.Name, s.LongEdge)
		}
	}
}

func TestDeriveRejectsBadSizes(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 64, 64)
	data := probeTestEncode(t, img, FormatJPEG)
	img.Close()
	for _, sizes := range [][]Size{
		{{"", 100}},
		{{"a", 0}},
		{{"a", -5}},
		{{"a", 20000}},
		{{"a", 100}, {"a", 200}},
	} {
		if _, err := Derive(data, DeriveOptions{Sizes: sizes}); err == nil {
			t.Errorf("Derive(sizes %v) = nil error; want one", sizes)
		}
	}
}

// TestDeriveSmallerFromLarger checks that making the thumbnail from the
// preview in memory loses nothing visible against making it from the
// original.
func TestDeriveSmallerFromLarger(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 3000, 2000)
	// Detail the resampler must carry: a grid of thin lines.
	for x := 0; x < 3000; x += 37 {
		if err := img.DrawRect(vips.ColorRGBA{R: 20, G: 20, B: 200, A: 255}, x, 0, 3, 2000, true); err != nil {
			t.Fatal(err)
		}
	}
	data := probeTestEncode(t, img, FormatJPEG)
	img.Close()
	both, err := Derive(data, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := Derive(data, DeriveOptions{Sizes: []Size{ThumbSize}})
	if err != nil {
		t.Fatal(err)
	}
	a := deriveTestDecode(t, both[0])
	defer a.Close()
	b := deriveTestDecode(t, alone[0])
	defer b.Close()
	pa, err := a.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(pa) != len(pb) {
		t.Fatalf("thumbnails differ in size: %d vs %d bytes of pixels", len(pa), len(pb))
	}
	var se float64
	for i := range pa {
		d := float64(pa[i]) - float64(pb[i])
		se += d * d
	}
	psnr := 10 * math.Log10(255*255/(se/float64(len(pa))))
	if psnr < 38 {
		t.Errorf("thumbnail from preview vs from original: PSNR %.1f dB; want ≥ 38 dB", psnr)
	}
	t.Logf("thumbnail from preview vs from original: PSNR %.1f dB", psnr)
}

// TestDeriveOrientation makes files whose stored pixels are sideways, with
// a green marker in the stored top-left corner, and an EXIF orientation
// that says how to turn them.
func TestDeriveOrientation(t *testing.T) {
	engineTestStart(t)
	green := [3]float64{0, 255, 0}
	for _, c := range []struct {
		orientation int
		// where the marker must end up in the upright 320×480 thumbnail
		x, y int
	}{
		{6, 319 - 10, 10},       // turn 90° clockwise: top-left goes top-right
		{8, 10, 479 - 10},       // turn 90° counter-clockwise: top-left goes bottom-left
		{3, 479 - 10, 319 - 10}, // turn 180°: top-left goes bottom-right
		{1, 10, 10},             // untouched
	} {
		for _, f := range []Format{FormatJPEG, FormatTIFF, FormatWebP} {
			t.Run(fmt.Sprintf("%s/%d", f, c.orientation), func(t *testing.T) {
				img := probeTestSolid(t, 600, 400, [3]float64{200, 30, 40})
				defer img.Close()
				if err := img.DrawRect(vips.ColorRGBA{R: 0, G: 255, B: 0, A: 255}, 0, 0, 60, 60, true); err != nil {
					t.Fatal(err)
				}
				if err := img.SetOrientation(c.orientation); err != nil {
					t.Fatal(err)
				}
				data := probeTestEncode(t, img, f)
				info, err := Probe(data, Limits{})
				if err != nil || info.Orientation != c.orientation {
					t.Fatalf("Probe() = %+v, %v; want orientation %d", info, err, c.orientation)
				}
				ds, err := Derive(data, DeriveOptions{Sizes: []Size{ThumbSize}})
				if err != nil {
					t.Fatal(err)
				}
				wantW, wantH, x, y := 320, 480, c.x, c.y
				if c.orientation == 1 || c.orientation == 3 {
					wantW, wantH = 480, 320
				}
				if ds[0].Width != wantW || ds[0].Height != wantH {
					t.Fatalf("Derive(orientation %d) = %d×%d; want %d×%d", c.orientation, ds[0].Width, ds[0].Height, wantW, wantH)
				}
				if got := deriveTestPixel(t, ds[0], x, y); !deriveTestClose(got, green, 40) {
					t.Errorf("Derive(orientation %d) pixel (%d,%d) = %v; want the green marker", c.orientation, x, y, got)
				}
				out := deriveTestDecode(t, ds[0])
				defer out.Close()
				if o := out.Orientation(); o > 1 {
					t.Errorf("derivative orientation = %d; want none", o)
				}
			})
		}
	}
}

// TestDeriveColourManaged converts patches tagged with wide-gamut
// profiles. The expected sRGB value is computed by libvips' own ICC
// transform of the same patch; the naive value (profile ignored) must be
// clearly different.
func TestDeriveColourManaged(t *testing.T) {
	engineTestStart(t)
	adobe, err := filepath.Abs("testdata/derive/AdobeRGB1998.icc")
	if err != nil {
		t.Fatal(err)
	}
	patch := [3]float64{200, 60, 40}
	for _, c := range []struct {
		name    string
		profile string // a path or a libvips built-in profile name
		format  Format
		ushort  bool
	}{
		{"Adobe RGB JPEG", adobe, FormatJPEG, false},
		{"Adobe RGB 16-bit TIFF", adobe, FormatTIFF, true},
		{"Adobe RGB PNG", adobe, FormatPNG, false},
		{"Display P3 JPEG", "p3", FormatJPEG, false},
		{"Display P3 HEIF", "p3", FormatHEIF, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Tag the raw patch values with the profile: a transform from
			// the profile to itself keeps the values and attaches it.
			img := probeTestSolid(t, 900, 600, patch)
			defer img.Close()
			if err := img.TransformICCProfileWithFallback(c.profile, c.profile); err != nil {
				t.Fatal(probeVipsError(err))
			}
			if got, _ := img.GetPoint(5, 5); !deriveTestClose([3]float64{got[0], got[1], got[2]}, patch, 1) {
				t.Fatalf("tagged patch = %v; want %v", got, patch)
			}
			if c.ushort {
				if err := img.Cast(vips.BandFormatUshort); err != nil {
					t.Fatal(err)
				}
				if err := img.Linear1(257, 0); err != nil {
					t.Fatal(err)
				}
				if err := img.Cast(vips.BandFormatUshort); err != nil {
					t.Fatal(err)
				}
				img16, err := img.CopyChangingInterpretation(vips.InterpretationRGB16)
				if err != nil {
					t.Fatal(err)
				}
				defer img16.Close()
				img = img16
			}
			var data []byte
			if c.format == FormatJPEG {
				// 4:4:4 at high quality, so the encoding adds little error.
				data, _, err = img.ExportJpeg(&vips.JpegExportParams{Quality: 98, SubsampleMode: vips.VipsForeignSubsampleOff})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				data = probeTestEncode(t, img, c.format)
			}

			ref := probeTestSolid(t, 8, 8, patch)
			defer ref.Close()
			if err := ref.TransformICCProfileWithFallback(c.profile, c.profile); err != nil {
				t.Fatal(err)
			}
			if err := ref.TransformICCProfileWithFallback("srgb", "srgb"); err != nil {
				t.Fatal(err)
			}
			p, err := ref.GetPoint(4, 4)
			if err != nil {
				t.Fatal(err)
			}
			want := [3]float64{p[0], p[1], p[2]}
			if deriveTestClose(want, patch, 12) {
				t.Fatalf("expected sRGB %v is too close to the raw patch %v for this test to mean anything", want, patch)
			}

			ds, err := Derive(data, DeriveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				got := deriveTestPixel(t, d, d.Width/2, d.Height/2)
				if !deriveTestClose(got, want, 3) {
					t.Errorf("%s centre = %v; want %v ± 3 (colour-managed); naive would be %v", d.Name, got, want, patch)
				}
			}
		})
	}
}

func TestDeriveBitDepthsAndColourSpaces(t *testing.T) {
	engineTestStart(t)
	rgb := [3]float64{200, 60, 40}
	cases := []struct {
		name string
		make func(t *testing.T) []byte
		want [3]float64
		tol  float64
	}{
		{"16-bit PNG", func(t *testing.T) []byte {
			img := probeTestSolid(t, 800, 600, rgb)
			defer img.Close()
			if err := img.Cast(vips.BandFormatUshort); err != nil {
				t.Fatal(err)
			}
			if err := img.Linear1(257, 0); err != nil {
				t.Fatal(err)
			}
			if err := img.Cast(vips.BandFormatUshort); err != nil {
				t.Fatal(err)
			}
			img16, err := img.CopyChangingInterpretation(vips.InterpretationRGB16)
			if err != nil {
				t.Fatal(err)
			}
			defer img16.Close()
			data := probeTestEncode(t, img16, FormatPNG)
			if !bytes.Equal(data[24:26], []byte{16, 2}) { // IHDR bit depth, colour type
				t.Fatalf("fixture IHDR depth/type = % x; want 16-bit RGB", data[24:26])
			}
			return data
		}, rgb, 2},
		{"CMYK JPEG", func(t *testing.T) []byte {
			img := probeTestSolid(t, 800, 600, rgb)
			defer img.Close()
			// libvips' built-in CMYK profile, embedded in the result.
			if err := img.TransformICCProfileWithFallback("cmyk", "srgb"); err != nil {
				t.Fatal(probeVipsError(err))
			}
			if img.Bands() != 4 || img.Interpretation() != vips.InterpretationCMYK {
				t.Fatalf("fixture: %d bands, %v; want CMYK", img.Bands(), img.Interpretation())
			}
			return probeTestEncode(t, img, FormatJPEG)
		}, rgb, 12}, // through a print gamut and back
		{"greyscale JPEG", func(t *testing.T) []byte {
			img, err := vips.Black(800, 600)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if err := img.Linear1(1, 100); err != nil {
				t.Fatal(err)
			}
			if err := img.Cast(vips.BandFormatUchar); err != nil {
				t.Fatal(err)
			}
			grey, err := img.CopyChangingInterpretation(vips.InterpretationBW)
			if err != nil {
				t.Fatal(err)
			}
			defer grey.Close()
			return probeTestEncode(t, grey, FormatJPEG)
		}, [3]float64{100, 100, 100}, 2},
		{"RGBA PNG half transparent", func(t *testing.T) []byte {
			img := probeTestSolid(t, 800, 600, rgb)
			defer img.Close()
			if err := img.BandJoinConst([]float64{128}); err != nil {
				t.Fatal(err)
			}
			return probeTestEncode(t, img, FormatPNG)
		}, [3]float64{227, 157, 147}, 2}, // flattened onto white
		{"16-bit RGBA PNG transparent", func(t *testing.T) []byte {
			img := probeTestSolid(t, 800, 600, rgb)
			defer img.Close()
			if err := img.BandJoinConst([]float64{0}); err != nil {
				t.Fatal(err)
			}
			if err := img.Cast(vips.BandFormatUshort); err != nil {
				t.Fatal(err)
			}
			if err := img.Linear1(257, 0); err != nil {
				t.Fatal(err)
			}
			if err := img.Cast(vips.BandFormatUshort); err != nil {
				t.Fatal(err)
			}
			img16, err := img.CopyChangingInterpretation(vips.InterpretationRGB16)
			if err != nil {
				t.Fatal(err)
			}
			defer img16.Close()
			return probeTestEncode(t, img16, FormatPNG)
		}, [3]float64{255, 255, 255}, 2},
		{"grey + alpha PNG", func(t *testing.T) []byte {
			img, err := vips.Black(800, 600)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if err := img.Linear([]float64{0, 0}, []float64{0, 255}); err != nil {
				t.Fatal(err)
			}
			if err := img.Cast(vips.BandFormatUchar); err != nil {
				t.Fatal(err)
			}
			ga, err := img.CopyChangingInterpretation(vips.InterpretationBW)
			if err != nil {
				t.Fatal(err)
			}
			defer ga.Close()
			return probeTestEncode(t, ga, FormatPNG)
		}, [3]float64{0, 0, 0}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.make(t)
			ds, err := Derive(data, DeriveOptions{})
			if err != nil {
				t.Fatalf("Derive() = %v", err)
			}
			for _, d := range ds {
				if got := deriveTestPixel(t, d, d.Width/2, d.Height/2); !deriveTestClose(got, c.want, c.tol) {
					t.Errorf("%s centre = %v; want %v ± %v", d.Name, got, c.want, c.tol)
				}
			}
		})
	}
}

func TestDeriveEveryFormat(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 1200, 900)
	defer img.Close()
	if err := img.DrawRect(vips.ColorRGBA{R: 0, G: 0, B: 255, A: 255}, 1100, 800, 100, 100, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range probeTestFormats {
		t.Run(string(f), func(t *testing.T) {
			ds, err := Derive(probeTestEncode(t, img, f), DeriveOptions{})
			if err != nil {
				t.Fatalf("Derive(%s) = %v", f, err)
			}
			thumb := deriveTestByName(t, ds, "thumb")
			preview := deriveTestByName(t, ds, "preview")
			if thumb.Width != 480 || thumb.Height != 360 || preview.Width != 1200 || preview.Height != 900 {
				t.Errorf("Derive(%s) = thumb %d×%d, preview %d×%d; want 480×360, 1200×900", f, thumb.Width, thumb.Height, preview.Width, preview.Height)
			}
			if got := deriveTestPixel(t, thumb, 470, 350); !deriveTestClose(got, [3]float64{0, 0, 255}, 30) {
				t.Errorf("Derive(%s) thumb bottom-right = %v; want blue", f, got)
			}
		})
	}
}

// deriveTestSegments returns the JPEG marker segments before the image
// data (SOS), as marker and payload.
func deriveTestSegments(t testing.TB, jpeg []byte) (markers []byte, payloads [][]byte) {
	t.Helper()
	for i := 2; i+4 <= len(jpeg); {
		if jpeg[i] != 0xFF {
			t.Fatalf("no marker at offset %d", i)
		}
		marker := jpeg[i+1]
		if marker == 0xDA { // SOS: image data follows
			return markers, payloads
		}
		n := int(binary.BigEndian.Uint16(jpeg[i+2 : i+4]))
		if i+2+n > len(jpeg) {
			t.Fatalf("segment %#x at %d overruns the file", marker, i)
		}
		markers = append(markers, marker)
		payloads = append(payloads, jpeg[i+4:i+2+n])
		i += 2 + n
	}
	t.Fatal("no SOS marker")
	return nil, nil
}

var deriveTestSecrets = []string{
	"SafelightTestMake", "SL-TESTMODEL-9000", "SN-SECRET-123456", "SL Secret Lens", "2024:05:06",
	"IPTC Secret Byline", "secretkeyword", "XMP Secret Creator", "XMPSECRETCITY", "secret caption",
	"SECRET-JPEG-COMMENT", "Original EXIF", "acsp" /* ICC profile signature */, "ExifTool",
}

// TestDeriveStripsMetadata derives from a file carrying EXIF (camera,
// serial, lens, capture time, GPS, embedded thumbnail), IPTC, XMP, a JPEG
// comment and an Adobe RGB profile.
func TestDeriveStripsMetadata(t *testing.T) {
	engineTestStart(t)
	data := probeTestFile(t, "derive/metadata-rich.jpg")
	// The fixture must carry what the test says is removed.
	in, err := vips.NewImageFromBuffer(data)
	if err != nil {
		t.Fatal(err)
	}
	fields := in.GetFields()
	in.Close()
	for _, f := range []string{"exif-ifd0-Model", "exif-ifd3-GPSLatitude", "iptc-data", "xmp-data", "icc-profile-data", "jpeg-thumbnail-data"} {
		if !slices.Contains(fields, f) {
			t.Fatalf("fixture lacks %s", f)
		}
	}
	for _, s := range deriveTestSecrets {
		if !bytes.Contains(data, []byte(s)) {
			t.Fatalf("fixture lacks %q", s)
		}
	}

	ds, err := Derive(data, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{"width", "height", "bands", "format", "coding", "interpretation", "xoffset", "yoffset",
		"xres", "yres", "filename", "vips-loader", "jpeg-multiscan", "interlaced", "jpeg-chroma-subsample", "resolution-unit"}
	for _, d := range ds {
		out := deriveTestDecode(t, d)
		for _, f := range out.GetFields() {
			if !slices.Contains(allowed, f) {
				t.Errorf("%s carries metadata field %s", d.Name, f)
			}
		}
		out.Close()
		markers, payloads := deriveTestSegments(t, d.Data)
		for i, m := range markers {
			// APP0 (JFIF), DQT, SOF0/SOF2, DHT only.
			if m != 0xE0 && m != 0xDB && m != 0xC0 && m != 0xC2 && m != 0xC4 {
				t.Errorf("%s has a %#x segment (%q…)", d.Name, m, payloads[i][:min(16, len(payloads[i]))])
			}
		}
		header := bytes.Join(payloads, nil)
		for _, s := range deriveTestSecrets {
			if bytes.Contains(header, []byte(s)) {
				t.Errorf("%s contains %q", d.Name, s)
			}
		}
	}
}

// deriveTestXMP parses a derivative's XMP packet.
type deriveTestXMP struct {
	Creator []string `xml:"RDF>Description>creator>Seq>li"`
	Rights  []string `xml:"RDF>Description>rights>Alt>li"`
	Credit  string   `xml:"RDF>Description>Credit"`
}

func TestDeriveCopyright(t *testing.T) {
	engineTestStart(t)
	data := probeTestFile(t, "derive/metadata-rich.jpg")
	cases := []struct {
		name         string
		c            Copyright
		exifArtist   string // "" = no EXIF Artist expected
		exifNotice   string
		wantEscaped  string // must appear verbatim in the XMP bytes
		wantSegments int
	}{
		{"escaping", Copyright{Creator: `Jane "JD" <Doe> & Co`, Notice: "© 2024 Jane Doe. All rights reserved.", Credit: "Jane's <Studio>"},
			`Jane "JD" <Doe> & Co`, "", "Jane &#34;JD&#34; &lt;Doe&gt; &amp; Co", 2},
		{"ascii", Copyright{Creator: "Jane Doe (Studio X)", Notice: "(c) 2024 Jane Doe", Credit: "Studio X"},
			"Jane Doe (Studio X)", "(c) 2024 Jane Doe", "Jane Doe (Studio X)", 2},
		{"unicode only", Copyright{Creator: "Zoë Ångström", Notice: "© Zoë"},
			"", "", "Zoë Ångström", 1},
		{"creator only", Copyright{Creator: "Ann"}, "Ann", "", "<dc:creator>", 2},
		{"injection attempt", Copyright{Creator: "</rdf:li></rdf:Seq></dc:creator><exif:GPSLatitude>1</exif:GPSLatitude>"},
			"</rdf:li></rdf:Seq></dc:creator><exif:GPSLatitude>1</exif:GPSLatitude>", "", "&lt;/rdf:li&gt;", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := Derive(data, DeriveOptions{Copyright: &c.c})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				markers, payloads := deriveTestSegments(t, d.Data)
				var app1 [][]byte
				for i, m := range markers {
					if m == 0xE1 {
						app1 = append(app1, payloads[i])
					}
				}
				if len(app1) != c.wantSegments {
					t.Fatalf("%s has %d APP1 segments; want %d", d.Name, len(app1), c.wantSegments)
				}
				xmpData, ok := bytes.CutPrefix(app1[len(app1)-1], []byte("http://ns.adobe.com/xap/1.0/\x00"))
				if !ok {
					t.Fatalf("%s: last APP1 is not XMP", d.Name)
				}
				if !bytes.Contains(xmpData, []byte(c.wantEscaped)) {
					t.Errorf("%s XMP lacks %q:\n%s", d.Name, c.wantEscaped, xmpData)
				}
				if bytes.Contains(xmpData, []byte("GPS")) && !strings.Contains(c.c.Creator, "GPS") {
					t.Errorf("%s XMP mentions GPS", d.Name)
				}
				var x deriveTestXMP
				if err := xml.Unmarshal(xmpData, &x); err != nil {
					t.Fatalf("%s XMP does not parse: %v\n%s", d.Name, err, xmpData)
				}
				wantCreator := []string{c.c.Creator}
				if c.c.Creator == "" {
					wantCreator = nil
				}
				wantRights := []string{c.c.Notice}
				if c.c.Notice == "" {
					wantRights = nil
				}
				if !slices.Equal(x.Creator, wantCreator) || !slices.Equal(x.Rights, wantRights) || x.Credit != c.c.Credit {
					t.Errorf("%s XMP = %+v; want creator %q, rights %q, credit %q", d.Name, x, wantCreator, wantRights, c.c.Credit)
				}

				// The EXIF block holds IFD0 with nothing but the expected
				// entries (libexif fills in defaults when reading, so
				// count them in the bytes).
				wantEntries := 0
				for _, s := range []string{c.exifArtist, c.exifNotice} {
					if s != "" {
						wantEntries++
					}
				}
				if wantEntries > 0 {
					exif, ok := bytes.CutPrefix(app1[0], []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"))
					if !ok || len(exif) < 2 {
						t.Fatalf("%s: first APP1 is not big-endian EXIF with IFD0 at 8: % x", d.Name, app1[0][:min(16, len(app1[0]))])
					}
					if n := int(binary.BigEndian.Uint16(exif)); n != wantEntries || !bytes.HasSuffix(exif[:2+12*n+4], []byte{0, 0, 0, 0}) {
						t.Errorf("%s: IFD0 has %d entries; want %d and no next IFD", d.Name, n, wantEntries)
					}
				}
				// libvips (libexif) reads the EXIF block back.
				out := deriveTestDecode(t, d)
				artist, notice := out.GetString("exif-ifd0-Artist"), out.GetString("exif-ifd0-Copyright")
				for _, f := range out.GetFields() {
					if strings.HasPrefix(f, "exif-ifd1") || strings.HasPrefix(f, "exif-ifd3") || f == "exif-ifd0-Make" || f == "exif-ifd0-Model" {
						t.Errorf("%s has EXIF field %s", d.Name, f)
					}
				}
				out.Close()
				if c.exifArtist == "" && artist != "" || c.exifArtist != "" && !strings.HasPrefix(artist, c.exifArtist+" (") {
					t.Errorf("%s EXIF Artist = %q; want %q", d.Name, artist, c.exifArtist)
				}
				if c.exifNotice == "" && notice != "" || c.exifNotice != "" && !strings.HasPrefix(notice, c.exifNotice+" (") {
					t.Errorf("%s EXIF Copyright = %q; want %q", d.Name, notice, c.exifNotice)
				}
			}
		})
	}

	for _, empty := range []*Copyright{nil, {}, {Creator: "  ", Notice: "\t"}} {
		ds, err := Derive(data, DeriveOptions{Copyright: empty})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if markers, _ := deriveTestSegments(t, d.Data); slices.Contains(markers, 0xE1) {
				t.Errorf("Derive(Copyright %+v) %s has an APP1 segment; want none", empty, d.Name)
			}
		}
	}
}

func TestDeriveCopyrightFieldsAreCapped(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 64, 64)
	data := probeTestEncode(t, img, FormatJPEG)
	img.Close()
	long := strings.Repeat("&é", 20000)
	ds, err := Derive(data, DeriveOptions{Copyright: &Copyright{Creator: long, Notice: long, Credit: long}})
	if err != nil {
		t.Fatalf("Derive(very long copyright) = %v", err)
	}
	out := deriveTestDecode(t, ds[0])
	out.Close()
}

func TestDeriveUndecodable(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 1600, 1200)
	defer img.Close()
	jpeg := probeTestEncode(t, img, FormatJPEG)
	png := probeTestEncode(t, img, FormatPNG)
	corrupt := bytes.Clone(jpeg)
	// A run of 0xFF bytes in the entropy-coded data. (Flipped bits that
	// still decode as valid Huffman codes go unnoticed by any decoder.)
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] = 0xFF
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"JPEG cut at 60%", jpeg[:len(jpeg)*6/10]},
		{"JPEG with corrupt entropy data", corrupt},
		{"PNG cut at 60%", png[:len(png)*6/10]},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Probe(c.data, Limits{}); err != nil {
				t.Fatalf("Probe() = %v; want nil (the header is intact)", err)
			}
			ds, err := Derive(c.data, DeriveOptions{})
			if !errors.Is(err, ErrUndecodable) {
				t.Fatalf("Derive() = %d derivatives, %v; want an error wrapping ErrUndecodable", len(ds), err)
			}
			var refused *RefusedError
			if !errors.As(err, &refused) || refused.Reason != probeReasonDamaged {
				t.Errorf("Derive() = %v; want a *RefusedError %q", err, probeReasonDamaged)
			}
		})
	}
}

func TestDeriveDropsAppendedBytes(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 800, 600)
	defer img.Close()
	payload := []byte(`<html><script>alert("appended")</script></html>`)
	data := append(probeTestEncode(t, img, FormatJPEG), payload...)
	if info, err := Probe(data, Limits{}); err != nil || info.Format != FormatJPEG {
		t.Fatalf("Probe(JPEG + HTML) = %+v, %v; want a JPEG", info, err)
	}
	ds, err := Derive(data, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		for _, s := range []string{"<html", "<script", "alert("} {
			if bytes.Contains(d.Data, []byte(s)) {
				t.Errorf("%s contains %q", d.Name, s)
			}
		}
		if !bytes.HasSuffix(d.Data, []byte{0xFF, 0xD9}) {
			t.Errorf("%s does not end with EOI", d.Name)
		}
	}
}

func TestDeriveChecksLimit(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 300, 200)
	data := probeTestEncode(t, img, FormatJPEG)
	img.Close()
	_, err := Derive(data, DeriveOptions{Limits: Limits{MaxPixels: 50000}})
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Reason != "the image is 300 × 200 pixels; the limit is 0.05 megapixels" || !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("Derive(300×200, limit 50000) = %v; want the pixel limit refusal wrapping ErrTooManyPixels", err)
	}
	if _, err := Derive(probeTestFile(t, "probe/drawing.svg"), DeriveOptions{}); !errors.As(err, &refused) {
		t.Errorf("Derive(SVG) = %v; want a *RefusedError", err)
	}
}

func TestDeriveConcurrent(t *testing.T) {
	engineTestStart(t)
	var inputs [][]byte
	for i, f := range []Format{FormatJPEG, FormatPNG, FormatWebP, FormatTIFF} {
		img := probeTestGradient(t, 1000+100*i, 700)
		inputs = append(inputs, probeTestEncode(t, img, f))
		img.Close()
	}
	want := make([][]Derivative, len(inputs))
	for i, in := range inputs {
		ds, err := Derive(in, DeriveOptions{Copyright: &Copyright{Creator: "Ann"}})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = ds
	}
	var wg sync.WaitGroup
	for range 3 {
		for i, in := range inputs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ds, err := Derive(in, DeriveOptions{Copyright: &Copyright{Creator: "Ann"}})
				if err != nil {
					t.Error(err)
					return
				}
				for j := range ds {
					if !bytes.Equal(ds[j].Data, want[i][j].Data) {
						t.Errorf("input %d %s: concurrent result differs from the sequential one", i, ds[j].Name)
					}
				}
			}()
		}
	}
	wg.Wait()
}

func TestDeriveXMPIsWellFormed(t *testing.T) {
	for _, c := range []Copyright{
		{Creator: "a\x00b\x1fc", Notice: "line1\nline2", Credit: "\uFFFE"},
		{Creator: "]]>", Notice: "<!-- -->", Credit: "<?xpacket end=\"w\"?>"},
	} {
		packet := deriveXMP(c)
		var x deriveTestXMP
		if err := xml.Unmarshal(packet, &x); err != nil {
			t.Errorf("deriveXMP(%q) does not parse: %v\n%s", c, err, packet)
		}
		if bytes.Count(packet, []byte("<?xpacket")) != 2 {
			t.Errorf("deriveXMP(%q) lets a packet marker through:\n%s", c, packet)
		}
	}
}
