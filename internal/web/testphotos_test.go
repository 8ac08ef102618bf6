package web_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"slices"
	"testing"
)

// palettes are calm landscapes: sky at the top, sky at the horizon, land.
var palettes = [][3][3]float64{
	{{38, 52, 86}, {232, 154, 96}, {30, 34, 40}},      // dusk
	{{120, 140, 160}, {222, 220, 210}, {70, 80, 78}},  // morning fog
	{{40, 90, 140}, {180, 210, 225}, {25, 60, 80}},    // sea
	{{90, 120, 170}, {240, 210, 150}, {120, 100, 50}}, // golden field
	{{90, 95, 100}, {190, 190, 185}, {50, 55, 50}},    // overcast
	{{70, 60, 100}, {240, 170, 160}, {40, 35, 50}},    // rose
}

// testPhoto draws a quiet landscape of w×h pixels (sky, sun, two ranges
// of hills) whose colours and shapes depend on seed, so that every seed
// gives different bytes (the library refuses duplicates by content) and
// screenshots look like a photographer's library, not a test pattern.
func testPhoto(w, h, seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	pal := palettes[(seed-1+len(palettes))%len(palettes)]
	phase := float64(seed) * 1.7
	sunX, sunY, sunR := float64(w)*(0.25+0.5*math.Mod(float64(seed)*0.37, 1)), float64(h)*0.42, float64(min(w, h))*0.06
	horizon := func(x, amp, freq, off float64) float64 {
		return float64(h) * (off + amp*math.Sin(x/float64(w)*2*math.Pi*freq+phase))
	}
	mix := func(a, b [3]float64, t float64) [3]float64 {
		t = math.Max(0, math.Min(1, t))
		return [3]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			far := horizon(fx, 0.05, 1.3, 0.6)
			near := horizon(fx+float64(w)*0.3, 0.07, 0.8, 0.74)
			var c [3]float64
			switch {
			case fy > near:
				c = mix(pal[2], [3]float64{pal[2][0] * 0.5, pal[2][1] * 0.5, pal[2][2] * 0.5}, (fy-near)/float64(h)*3)
			case fy > far:
				c = mix(pal[2], pal[1], 0.35)
			default:
				c = mix(pal[0], pal[1], fy/far)
				if d := math.Hypot(fx-sunX, fy-sunY); d < sunR*3 {
					glow := math.Max(0, 1-d/(sunR*3))
					c = mix(c, [3]float64{255, 244, 220}, glow*glow+boolf(d < sunR)*0.9)
				}
			}
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(c[0]), uint8(c[1]), uint8(c[2]), 255
		}
	}
	return img
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// testJPEG is testPhoto as a JPEG file.
func testJPEG(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testPhoto(w, h, seed), &jpeg.Options{Quality: 88}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cameraJPEG is testJPEG with the Exif block a camera writes: make, model,
// lens, exposure, capture time with its offset (15 June 2024, 19:minute:07
// at UTC+2), GPS position, artist and copyright.
func cameraJPEG(t testing.TB, w, h, seed, minute int) []byte {
	t.Helper()
	plain := testJPEG(t, w, h, seed)
	tiff := exifTIFF(fmt.Sprintf("2024:06:15 19:%02d:07", minute))
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+6+len(tiff)))
	seg = append(append(seg, "Exif\x00\x00"...), tiff...)
	return slices.Concat(plain[:2], seg, plain[2:]) // right after SOI
}

// The Exif values cameraJPEG writes, as the viewer should show them
// (exifTaken for minute 42).
const (
	exifCamera   = "Canon EOS R5"
	exifLens     = "RF35mm F1.8 MACRO IS STM"
	exifTaken    = "15 Jun 2024, 19:42:07 UTC+02:00"
	exifArtist   = "Ada Lovelace"
	exifCopy     = "© 2024 Ada Lovelace"
	exifPosition = "52.52000° N, 13.40500° E"
)

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // big-endian value bytes
}

func ascii(tag uint16, s string) tiffEntry {
	return tiffEntry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

func short(tag uint16, v uint16) tiffEntry {
	return tiffEntry{tag, 3, 1, binary.BigEndian.AppendUint16(nil, v)}
}

func long(tag uint16, v uint32) tiffEntry {
	return tiffEntry{tag, 4, 1, binary.BigEndian.AppendUint32(nil, v)}
}

func rationals(tag uint16, v ...uint32) tiffEntry {
	var b []byte
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	return tiffEntry{tag, 5, uint32(len(v) / 2), b}
}

func byteValues(tag uint16, v ...byte) tiffEntry { return tiffEntry{tag, 1, uint32(len(v)), v} }

// encodeIFD writes one image file directory at offset base of the TIFF
// block, its out-of-line values right after it.
func encodeIFD(base uint32, entries []tiffEntry) []byte {
	slices.SortFunc(entries, func(a, b tiffEntry) int { return int(a.tag) - int(b.tag) })
	dataAt := base + 2 + 12*uint32(len(entries)) + 4
	var head, data []byte
	head = binary.BigEndian.AppendUint16(head, uint16(len(entries)))
	for _, e := range entries {
		head = binary.BigEndian.AppendUint16(head, e.tag)
		head = binary.BigEndian.AppendUint16(head, e.typ)
		head = binary.BigEndian.AppendUint32(head, e.count)
		if len(e.data) <= 4 {
			head = append(head, append(slices.Clone(e.data), make([]byte, 4-len(e.data))...)...)
			continue
		}
		head = binary.BigEndian.AppendUint32(head, dataAt+uint32(len(data)))
		data = append(data, e.data...)
		if len(data)%2 == 1 {
			data = append(data, 0)
		}
	}
	head = binary.BigEndian.AppendUint32(head, 0) // no next IFD
	return append(head, data...)
}

func exifTIFF(taken string) []byte {
	ifd0 := func(exifAt, gpsAt uint32) []tiffEntry {
		return []tiffEntry{
			ascii(0x010F, "Canon"), ascii(0x0110, exifCamera), short(0x0112, 1),
			ascii(0x013B, exifArtist), ascii(0x8298, exifCopy),
			long(0x8769, exifAt), long(0x8825, gpsAt),
		}
	}
	exif := []tiffEntry{
		rationals(0x829A, 1, 250), rationals(0x829D, 28, 10), short(0x8827, 400),
		ascii(0x9003, taken), ascii(0x9011, "+02:00"),
		rationals(0x920A, 35, 1), ascii(0xA434, exifLens),
	}
	gps := []tiffEntry{
		byteValues(0x0000, 2, 3, 0, 0),
		ascii(0x0001, "N"), rationals(0x0002, 52, 1, 31, 1, 12, 1),
		ascii(0x0003, "E"), rationals(0x0004, 13, 1, 24, 1, 18, 1),
		byteValues(0x0005, 0), rationals(0x0006, 34, 1),
	}
	const start = 8
	n0 := len(encodeIFD(start, ifd0(0, 0)))
	exifAt := uint32(start + n0)
	exifBytes := encodeIFD(exifAt, exif)
	gpsAt := exifAt + uint32(len(exifBytes))
	out := []byte("MM\x00\x2a\x00\x00\x00\x08")
	out = append(out, encodeIFD(start, ifd0(exifAt, gpsAt))...)
	out = append(out, exifBytes...)
	return append(out, encodeIFD(gpsAt, gps)...)
}
