package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/davidbyttow/govips/v2/vips"
)

// ErrNotJPEG is wrapped by JuryCopy's error for input that is not a JPEG.
var ErrNotJPEG = errors.New("media: not a JPEG")

// JuryCopy returns a copy of jpeg, a preview or thumbnail made by Derive,
// that carries its pixels and nothing else, for jurors who must judge an
// entry without learning whose it is.
//
// The copy has no EXIF, XMP, IPTC, ICC profile, comment or embedded
// thumbnail, so neither the copyright fields Derive may have written
// (creator, notice, credit) nor anything an outside JPEG might carry
// survives. Its pixels are sRGB (an embedded profile is converted first, so
// the picture still looks the same without it), upright (an EXIF
// orientation is applied before the tag goes), and encoded with Derive's
// settings for its size. Nothing else is written: no resolution, and at
// most a bare JFIF header besides the image data. Dimensions are the
// input's (swapped when an orientation turns it).
//
// This is enforced on the output, not only asked of libvips: JuryCopy walks
// the encoded file and returns an error rather than a copy holding any
// segment outside that list, whatever a libvips version does with
// "strip".
//
// Input that is not a JPEG yields an error wrapping ErrNotJPEG; a damaged
// one, an error wrapping ErrUndecodable. Previews are at most 16384 px on
// their long edge, and larger input is refused. JuryCopy returns
// ErrNotStarted before Start; it does not retain jpeg and is safe for
// concurrent use.
func JuryCopy(jpeg []byte) ([]byte, error) {
	if err := engineCheck(); err != nil {
		return nil, err
	}
	format, err := Sniff(jpeg)
	if err != nil {
		return nil, fmt.Errorf("media: jury copy: %w: %w", ErrNotJPEG, err)
	}
	if format != FormatJPEG {
		return nil, fmt.Errorf("media: jury copy: %w: the input is %s; jury copies are made from JPEG previews", ErrNotJPEG, strings.ToUpper(string(format)))
	}
	info, img, err := probeHeader(jpeg, Limits{})
	if err != nil {
		return nil, fmt.Errorf("media: jury copy: %w", err)
	}
	defer img.Close()
	w, h := info.DisplaySize()
	longEdge := max(w, h)
	if longEdge > deriveMaxLongEdge {
		return nil, fmt.Errorf("media: jury copy: the input is %d×%d; previews are at most %d px", info.Width, info.Height, deriveMaxLongEdge)
	}
	if info.Orientation != 1 {
		// Stripping drops the orientation tag: turn the pixels instead,
		// or the copy would show sideways.
		if err := img.AutoRotate(); err != nil {
			return nil, fmt.Errorf("media: jury copy: rotate: %w", probeVipsError(err))
		}
	}
	if err := deriveToSRGB(img, false); err != nil {
		return nil, fmt.Errorf("media: jury copy: convert to sRGB: %w", probeVipsError(err))
	}
	if img.Bands() != 3 || img.BandFormat() != vips.BandFormatUchar {
		return nil, fmt.Errorf("media: jury copy: got %d bands of format %v, want 3 of 8 bits", img.Bands(), img.BandFormat())
	}
	// StripMetadata: libvips writes no EXIF, XMP, IPTC, ICC or comment,
	// and (8.14) no JFIF header, so not even the input's resolution.
	out, _, err := img.ExportJpeg(deriveJPEGParams(longEdge))
	if err != nil {
		// libvips decodes while encoding, so this is usually the decoder.
		err = probeVipsError(err)
		return nil, fmt.Errorf("media: jury copy: %v: %w", err, probeDamaged(err))
	}
	if err := juryCheckBare(out); err != nil {
		return nil, fmt.Errorf("media: jury copy: encoder output: %w", err)
	}
	return out, nil
}

// juryCheckBare walks every segment of a JPEG file, the image data
// included, and returns an error unless the file holds only what a bare
// baseline or progressive JPEG needs: a JFIF APP0 header without a
// thumbnail, quantisation and Huffman tables, restart intervals, frame and
// scan headers, entropy-coded data, and nothing after EOI. Any APPn
// (EXIF, XMP, ICC, IPTC, Adobe, JFXX thumbnails, …) or COM segment fails.
func juryCheckBare(jpeg []byte) error {
	if len(jpeg) < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
		return errors.New("no JPEG start-of-image marker")
	}
	for i := 2; ; {
		if i+2 > len(jpeg) {
			return errors.New("no end-of-image marker")
		}
		if jpeg[i] != 0xFF {
			return fmt.Errorf("no marker at offset %d", i)
		}
		m := jpeg[i+1]
		if m == 0xFF { // fill byte before a marker
			i++
			continue
		}
		i += 2
		if m == 0xD9 { // EOI
			if i != len(jpeg) {
				return fmt.Errorf("%d bytes after the end of the image", len(jpeg)-i)
			}
			return nil
		}
		if i+2 > len(jpeg) {
			return fmt.Errorf("segment %#02x at offset %d is cut short", m, i-2)
		}
		n := int(binary.BigEndian.Uint16(jpeg[i:]))
		if n < 2 || i+n > len(jpeg) {
			return fmt.Errorf("segment %#02x at offset %d overruns the file", m, i-2)
		}
		payload := jpeg[i+2 : i+n]
		i += n
		switch {
		case m == 0xE0:
			// "JFIF\0", version (2), units (1), density (4), then the
			// thumbnail's width and height, both zero for no thumbnail.
			if len(payload) != 14 || !bytes.HasPrefix(payload, []byte("JFIF\x00")) || payload[12] != 0 || payload[13] != 0 {
				return fmt.Errorf("APP0 segment %q is not a bare JFIF header", payload[:min(len(payload), 5)])
			}
		case m == 0xDB, m == 0xC4, m == 0xDD: // DQT, DHT, DRI
		case m >= 0xC0 && m <= 0xCF && m != 0xC8 && m != 0xCC: // SOFn
		case m == 0xDA: // SOS: skip the entropy-coded data to the next marker
			for {
				j := bytes.IndexByte(jpeg[i:], 0xFF)
				if j < 0 || i+j+1 >= len(jpeg) {
					return errors.New("image data runs to the end of the file")
				}
				i += j
				if next := jpeg[i+1]; next != 0x00 && (next < 0xD0 || next > 0xD7) {
					break // a marker, not a stuffed byte or a restart
				}
				i += 2
			}
		default:
			return fmt.Errorf("segment %#02x (%q…) is not allowed", m, payload[:min(len(payload), 16)])
		}
	}
}
