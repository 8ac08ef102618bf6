package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/davidbyttow/govips/v2/vips"
)

// Format is an image format Safelight accepts, named by its short lower-case
// name ("jpeg", "png", "tiff", "webp", "heif", "avif").
type Format string

// The accepted formats. Everything else is refused.
const (
	FormatJPEG Format = "jpeg"
	FormatPNG  Format = "png"
	FormatTIFF Format = "tiff"
	FormatWebP Format = "webp"
	FormatHEIF Format = "heif"
	FormatAVIF Format = "avif"
)

// MIME returns the media type for f ("image/jpeg", …), or "" for a value
// that is not one of the accepted formats.
func (f Format) MIME() string {
	switch f {
	case FormatJPEG, FormatPNG, FormatTIFF, FormatWebP, FormatHEIF, FormatAVIF:
		return "image/" + string(f)
	}
	return ""
}

// probeLoader is the libvips loader each format must be read by.
func (f Format) probeLoader() string {
	switch f {
	case FormatJPEG:
		return "jpegload_buffer"
	case FormatPNG:
		return "pngload_buffer"
	case FormatTIFF:
		return "tiffload_buffer"
	case FormatWebP:
		return "webpload_buffer"
	case FormatHEIF, FormatAVIF:
		return "heifload_buffer"
	}
	return ""
}

// DefaultMaxPixels is the pixel limit used when Limits.MaxPixels is zero:
// 250 megapixels.
const DefaultMaxPixels int64 = 250_000_000

// Limits bounds what Probe and Derive accept.
type Limits struct {
	// MaxPixels is the largest width × height accepted; 0 or less means
	// DefaultMaxPixels.
	MaxPixels int64
}

func (l Limits) probeMaxPixels() int64 {
	if l.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

// Info is what Probe learns from an image's header.
type Info struct {
	Format Format
	// Width and Height are the stored pixel dimensions, before orientation
	// is applied (see DisplaySize).
	Width, Height int
	// Orientation is the EXIF orientation, 1 to 8; 1 when absent or invalid.
	Orientation int
}

// DisplaySize returns the dimensions of the upright image: Width and Height
// swapped for orientations 5 to 8 (the ones that turn by 90°).
func (i Info) DisplaySize() (width, height int) {
	if i.Orientation >= 5 && i.Orientation <= 8 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// RefusedError reports a file Safelight will not process. Reason is written
// for the person who uploaded the file and is safe to show them; it never
// contains file contents. The underlying cause, if any, is available through
// errors.Unwrap for logs.
type RefusedError struct {
	Reason string
	cause  error
}

func (e *RefusedError) Error() string { return e.Reason }

// Unwrap returns the technical cause of the refusal, or nil.
func (e *RefusedError) Unwrap() error { return e.cause }

// ErrUndecodable is wrapped by errors for files whose data cannot be decoded
// (damaged or truncated), whether Probe finds it in the header or Derive in
// the pixels. Such errors also carry a *RefusedError with a reason that can
// be shown; callers mark the asset failed.
var ErrUndecodable = errors.New("media: image data cannot be decoded")

// ErrTooManyPixels is wrapped by the RefusedError of an image whose header
// claims more pixels than the limit allows.
var ErrTooManyPixels = errors.New("media: too many pixels")

const (
	probeReasonDamaged  = "not an image we can read: the file is damaged or truncated"
	probeReasonMismatch = "not an image we can read: its contents do not match its %s signature"
)

func probeDamaged(cause error) *RefusedError {
	return &RefusedError{Reason: probeReasonDamaged, cause: fmt.Errorf("%w: %w", ErrUndecodable, cause)}
}

// Sniff identifies an image format from the first bytes of a file. It needs
// at most the first 32 bytes to accept a format; it looks at up to 512 bytes
// only to describe a refused file more precisely. A name or extension is
// never consulted. Anything but JPEG, PNG, TIFF, WebP, HEIF and AVIF is
// refused with a *RefusedError naming what the bytes look like when known.
func Sniff(head []byte) (Format, error) {
	if len(head) > 512 {
		head = head[:512]
	}
	switch {
	case len(head) == 0:
		return "", probeRefuse("the file is empty")
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, nil
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return FormatWebP, nil
	case bytes.HasPrefix(head, []byte("II*\x00\x10\x00\x00\x00CR")):
		return "", probeRefuse("it looks like a camera RAW file (Canon CR2), which is not supported yet")
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")),
		bytes.HasPrefix(head, []byte("II+\x00")), bytes.HasPrefix(head, []byte("MM\x00+")):
		return FormatTIFF, nil
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return probeSniffISOBMFF(head)
	}
	return "", probeRefuse(probeDescribe(head))
}

func probeRefuse(what string) *RefusedError {
	return &RefusedError{Reason: "not an image we can read (" + what + ")"}
}

// probeSniffISOBMFF tells HEIF from AVIF (and from video) by the ftyp box's
// major and compatible brands.
func probeSniffISOBMFF(head []byte) (Format, error) {
	end := int(binary.BigEndian.Uint32(head[0:4]))
	if end < 16 || end > len(head) {
		end = min(len(head), max(end, 16))
	}
	major := string(head[8:12])
	var compatible []string
	for i := 16; i+4 <= end; i += 4 {
		compatible = append(compatible, string(head[i:i+4]))
	}
	isAVIF := func(b string) bool { return b == "avif" || b == "avis" }
	isHEIC := func(b string) bool {
		switch b {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs":
			return true
		}
		return false
	}
	switch {
	case isAVIF(major):
		return FormatAVIF, nil
	case isHEIC(major):
		return FormatHEIF, nil
	case major == "crx ":
		return "", probeRefuse("it looks like a camera RAW file (Canon CR3), which is not supported yet")
	}
	hasGenericHEIF := major == "mif1" || major == "msf1"
	for _, b := range compatible {
		switch {
		case isAVIF(b):
			return FormatAVIF, nil
		case isHEIC(b):
			return FormatHEIF, nil
		case b == "mif1" || b == "msf1":
			hasGenericHEIF = true
		}
	}
	if hasGenericHEIF {
		return FormatHEIF, nil
	}
	switch major {
	case "isom", "iso2", "mp41", "mp42", "avc1", "M4V ", "qt  ", "3gp4", "3gp5", "3g2a", "dash":
		return "", probeRefuse("it looks like a video")
	case "M4A ", "M4B ":
		return "", probeRefuse("it looks like an audio file")
	}
	return "", probeRefuse("it looks like an ISO media file that is not a HEIF or AVIF image")
}

// probeDescribe names a refused file's type in plain words.
func probeDescribe(head []byte) string {
	has := func(p string) bool { return bytes.HasPrefix(head, []byte(p)) }
	switch {
	case has("GIF87a"), has("GIF89a"):
		return "it looks like a GIF image, which is not supported"
	case has("BM") && len(head) >= 14 && binary.LittleEndian.Uint32(head[6:10]) == 0:
		return "it looks like a BMP image, which is not supported"
	case has("%PDF-"):
		return "it looks like a PDF document"
	case has("PK\x03\x04"), has("PK\x05\x06"), has("PK\x07\x08"):
		return "it looks like a ZIP archive"
	case has("\x1f\x8b"):
		return "it looks like a gzip-compressed file"
	case has("7z\xbc\xaf\x27\x1c"), has("Rar!\x1a\x07"):
		return "it looks like a compressed archive"
	case has("8BPS"):
		return "it looks like a Photoshop document"
	case has("\xff\x0a"), has("\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"):
		return "it looks like a JPEG XL image, which is not supported"
	case has("\x00\x00\x00\x0cjP  \x0d\x0a\x87\x0a"), has("\xff\x4f\xff\x51"):
		return "it looks like a JPEG 2000 image, which is not supported"
	case has("IIRO"), has("IIRS"), has("IIU\x00"), has("FUJIFILMCCD-RAW"):
		return "it looks like a camera RAW file, which is not supported yet"
	case has("\x00\x00\x01\x00"):
		return "it looks like an icon file"
	case has("\x7fELF"), has("MZ"):
		return "it looks like a program"
	}
	text := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	// A multi-byte character cut at the end of head is still text.
	for i := 0; i < utf8.UTFMax && len(text) > 0 && !utf8.Valid(text); i++ {
		text = text[:len(text)-1]
	}
	if len(text) == 0 || !utf8.Valid(text) || bytes.ContainsFunc(text, probeIsControl) {
		return "the file type is unknown"
	}
	lower := strings.ToLower(strings.TrimSpace(string(text)))
	switch {
	case strings.Contains(lower, "<svg"):
		return "it looks like an SVG drawing"
	case strings.HasPrefix(lower, "<!doctype html"), strings.Contains(lower, "<html"),
		strings.Contains(lower, "<head"), strings.Contains(lower, "<body"), strings.Contains(lower, "<script"):
		return "it looks like a web page"
	case strings.HasPrefix(lower, "<?xml"):
		return "it looks like an XML document"
	case strings.HasPrefix(lower, "{") || strings.HasPrefix(lower, "["):
		return "it looks like a data file (JSON)"
	}
	return "it looks like text"
}

func probeIsControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f'
}

// Probe identifies data, reads its header and checks it against lim. It
// decodes no pixels. Files that are not an accepted format, whose header
// cannot be read, or that exceed the pixel limit are refused with a
// *RefusedError; a damaged header also wraps ErrUndecodable. Probe does not
// retain data.
func Probe(data []byte, lim Limits) (Info, error) {
	info, img, err := probeHeader(data, lim)
	if img != nil {
		img.Close()
	}
	return info, err
}

// probeHeader is Probe returning the header-only image as well, for Derive;
// the caller closes it.
func probeHeader(data []byte, lim Limits) (Info, *vips.ImageRef, error) {
	if err := engineCheck(); err != nil {
		return Info{}, nil, err
	}
	format, err := Sniff(data)
	if err != nil {
		return Info{}, nil, err
	}
	// libvips chooses loaders by its own magic checks; make sure it agrees
	// with ours, so the loader that runs is the one we vetted.
	want := format.probeLoader()
	if got := probeFindLoader(data); got != want {
		return Info{}, nil, &RefusedError{
			Reason: fmt.Sprintf(probeReasonMismatch, strings.ToUpper(string(format))),
			cause:  fmt.Errorf("%w: libvips would read it with %q, not %q", ErrUndecodable, got, want),
		}
	}
	// Loading is lazy: this reads the header only.
	img, err := vips.LoadImageFromBuffer(data, vips.NewImportParams())
	if err != nil {
		return Info{}, nil, probeDamaged(probeVipsError(err))
	}
	if got := img.GetString("vips-loader"); got != want {
		img.Close()
		return Info{}, nil, &RefusedError{
			Reason: fmt.Sprintf(probeReasonMismatch, strings.ToUpper(string(format))),
			cause:  fmt.Errorf("%w: read by %q, not %q", ErrUndecodable, got, want),
		}
	}
	info := Info{Format: format, Width: img.Width(), Height: img.Height(), Orientation: img.Orientation()}
	if info.Orientation < 1 || info.Orientation > 8 {
		info.Orientation = 1
	}
	if err := probeCheckPixels(info.Width, info.Height, lim); err != nil {
		img.Close()
		return Info{}, nil, err
	}
	return info, img, nil
}

func probeCheckPixels(w, h int, lim Limits) error {
	if w <= 0 || h <= 0 {
		return probeDamaged(fmt.Errorf("header says %d × %d pixels", w, h))
	}
	limit := lim.probeMaxPixels()
	if int64(w)*int64(h) > limit {
		mp := strconv.FormatFloat(float64(limit)/1e6, 'f', -1, 64)
		return &RefusedError{Reason: fmt.Sprintf("the image is %d × %d pixels; the limit is %s megapixels", w, h, mp), cause: ErrTooManyPixels}
	}
	return nil
}

// probeVipsError shortens a govips error to libvips' message: govips
// appends a Go stack trace to every error.
func probeVipsError(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n\nStack:")
	// The libvips error buffer often repeats a line.
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return errors.New(strings.Join(lines, "; "))
}
