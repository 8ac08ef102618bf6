package media

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/davidbyttow/govips/v2/vips"
)

// Size names a derivative and its long edge in pixels.
type Size struct {
	Name     string
	LongEdge int
}

// The standard derivative sizes.
var (
	ThumbSize   = Size{Name: "thumb", LongEdge: 480}
	PreviewSize = Size{Name: "preview", LongEdge: 2048}
)

// deriveMaxLongEdge bounds Size.LongEdge; larger sizes are a caller bug.
const deriveMaxLongEdge = 16384

// deriveThumbEncodingMax is the largest long edge encoded with the
// thumbnail settings (see the package documentation).
const deriveThumbEncodingMax = 640

// Copyright holds the rights fields an owner chose to keep on derivatives,
// taken from the original's metadata. Empty fields are left out.
type Copyright struct {
	Creator string // XMP dc:creator, EXIF Artist
	Notice  string // XMP dc:rights, EXIF Copyright
	Credit  string // XMP photoshop:Credit
}

func (c *Copyright) deriveEmpty() bool {
	return c == nil || strings.TrimSpace(c.Creator) == "" && strings.TrimSpace(c.Notice) == "" && strings.TrimSpace(c.Credit) == ""
}

// DeriveOptions configures Derive.
type DeriveOptions struct {
	// Sizes to make; empty means ThumbSize and PreviewSize. Names must be
	// unique and non-empty; LongEdge must be between 1 and 16384.
	Sizes []Size
	// Copyright, when non-nil and not empty, is written into each
	// derivative; nil keeps no metadata at all. GPS is never written.
	Copyright *Copyright
	// Limits is checked again here: Derive does not trust its caller.
	Limits Limits
}

// Derivative is one encoded display copy. Data is a complete JPEG file owned
// by the caller.
type Derivative struct {
	Name          string
	Width, Height int
	Format        Format
	Data          []byte
}

// Derive makes the display copies described by opt from an original held in
// data, returned in the order of opt.Sizes (see the package documentation
// for what a derivative contains).
//
// Files Probe would refuse are refused the same way (*RefusedError). A file
// whose pixels cannot be decoded yields an error wrapping ErrUndecodable
// that also carries a *RefusedError with a reason safe to show. Derive does
// not retain data and is safe for concurrent use.
func Derive(data []byte, opt DeriveOptions) ([]Derivative, error) {
	sizes := opt.Sizes
	if len(sizes) == 0 {
		sizes = []Size{ThumbSize, PreviewSize}
	}
	if err := deriveCheckSizes(sizes); err != nil {
		return nil, err
	}
	info, header, err := probeHeader(data, opt.Limits)
	if err != nil {
		return nil, fmt.Errorf("media: derive: %w", err)
	}
	srcCMYK := header.Interpretation() == vips.InterpretationCMYK
	header.Close()
	displayW, displayH := info.DisplaySize()

	var segments [][]byte
	if !opt.Copyright.deriveEmpty() {
		segments = deriveCopyrightSegments(*opt.Copyright)
	}

	// Largest first: each smaller size is made from the previous result.
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return sizes[b].LongEdge - sizes[a].LongEdge })

	out := make([]Derivative, len(sizes))
	src, fromOriginal := data, true
	for _, i := range order {
		size := sizes[i]
		encoded, w, h, err := deriveOne(src, size.LongEdge, fromOriginal, info.Format, srcCMYK)
		if err != nil {
			return nil, fmt.Errorf("media: derive %s: %w", size.Name, err)
		}
		final, err := deriveInsertSegments(encoded, segments)
		if err != nil {
			return nil, fmt.Errorf("media: derive %s: %w", size.Name, err)
		}
		out[i] = Derivative{Name: size.Name, Width: w, Height: h, Format: FormatJPEG, Data: final}
		// Only a result smaller than the original is a cheaper source; an
		// unshrunk copy would just add a JPEG generation.
		if w < displayW || h < displayH {
			src, fromOriginal = encoded, false
		}
	}
	return out, nil
}

func deriveCheckSizes(sizes []Size) error {
	seen := make(map[string]bool, len(sizes))
	for _, s := range sizes {
		switch {
		case s.Name == "":
			return errors.New("media: derive: size with an empty name")
		case seen[s.Name]:
			return fmt.Errorf("media: derive: size %q given twice", s.Name)
		case s.LongEdge < 1 || s.LongEdge > deriveMaxLongEdge:
			return fmt.Errorf("media: derive: size %q: long edge %d out of range 1..%d", s.Name, s.LongEdge, deriveMaxLongEdge)
		}
		seen[s.Name] = true
	}
	return nil
}

// deriveOne makes one JPEG fitting longEdge from src: an original (of
// format, already probed) or a previous, larger derivative.
func deriveOne(src []byte, longEdge int, fromOriginal bool, format Format, srcCMYK bool) (data []byte, w, h int, err error) {
	// Decode failures of the original are the file's fault; of our own
	// derivative, ours.
	fail := func(err error) error {
		err = probeVipsError(err)
		if fromOriginal {
			return fmt.Errorf("%v: %w", err, probeDamaged(err))
		}
		return fmt.Errorf("resize derivative: %w", err)
	}
	// fail=TRUE: stop at the first decoder warning (truncation, corrupt
	// entropy data) instead of padding the picture with grey.
	img, err := vips.LoadThumbnailFromBuffer(src, longEdge, longEdge, vips.InterestingNone, vips.SizeDown, vips.NewImportParams())
	if err != nil {
		return nil, 0, 0, fail(err)
	}
	defer img.Close()
	if fromOriginal {
		if got, want := img.GetString("vips-loader"), format.probeLoader(); got != want {
			return nil, 0, 0, &RefusedError{
				Reason: fmt.Sprintf(probeReasonMismatch, strings.ToUpper(string(format))),
				cause:  fmt.Errorf("%w: read by %q, not %q", ErrUndecodable, got, want),
			}
		}
		if err := deriveToSRGB(img, srcCMYK); err != nil {
			return nil, 0, 0, fmt.Errorf("convert to sRGB: %w", probeVipsError(err))
		}
	}
	if img.Bands() != 3 || img.BandFormat() != vips.BandFormatUchar {
		return nil, 0, 0, fmt.Errorf("resize: got %d bands of format %v, want 3 of 8 bits", img.Bands(), img.BandFormat())
	}
	data, _, err = img.ExportJpeg(deriveJPEGParams(longEdge))
	if err != nil {
		// libvips decodes while encoding, so this is usually the decoder.
		return nil, 0, 0, fail(err)
	}
	return data, img.Width(), img.Height(), nil
}

// deriveToSRGB turns a freshly made thumbnail into 8-bit, three-band sRGB
// without alpha. Metadata is left for the encoder to strip: strip after
// converting, since stripping drops the ICC profile the conversion needs.
func deriveToSRGB(img *vips.ImageRef, srcCMYK bool) error {
	switch {
	case srcCMYK && img.Interpretation() != vips.InterpretationCMYK:
		// vips_thumbnail has already imported CMYK through the embedded
		// (or built-in) CMYK profile; the profile left attached is stale.
		if err := img.RemoveICCProfile(); err != nil {
			return err
		}
	case img.Interpretation() == vips.InterpretationCMYK:
		if err := img.TransformICCProfileWithFallback("srgb", "cmyk"); err != nil {
			return err
		}
	case img.HasICCProfile():
		// "srgb" is libvips' built-in profile: no profile file is written.
		if err := img.TransformICCProfileWithFallback("srgb", "srgb"); err != nil {
			// An unusable profile: take the pixels as sRGB, like a
			// browser would.
			if err := img.RemoveICCProfile(); err != nil {
				return err
			}
		}
	}
	// 16-bit data labelled sRGB or B_W would be clipped by colourspace, not
	// scaled: scale it down here.
	if img.BandFormat() == vips.BandFormatUshort &&
		(img.Interpretation() == vips.InterpretationSRGB || img.Interpretation() == vips.InterpretationBW) {
		if err := img.Linear1(1.0/257, 0); err != nil {
			return err
		}
		if err := img.Cast(vips.BandFormatUchar); err != nil {
			return err
		}
	}
	if img.Interpretation() != vips.InterpretationSRGB || img.BandFormat() != vips.BandFormatUchar {
		if err := img.ToColorSpace(vips.InterpretationSRGB); err != nil {
			return err
		}
	}
	if img.HasAlpha() {
		if err := img.Flatten(&vips.Color{R: 255, G: 255, B: 255}); err != nil {
			return err
		}
	}
	if img.BandFormat() != vips.BandFormatUchar {
		if err := img.Cast(vips.BandFormatUchar); err != nil {
			return err
		}
	}
	return nil
}

// deriveJPEGParams returns the encoder settings for a long edge; the
// package documentation gives the reasons and measurements.
func deriveJPEGParams(longEdge int) *vips.JpegExportParams {
	p := &vips.JpegExportParams{StripMetadata: true, OptimizeCoding: true}
	if longEdge <= deriveThumbEncodingMax {
		p.Quality = 80
		p.SubsampleMode = vips.VipsForeignSubsampleOn // 4:2:0
		p.Interlace = false
	} else {
		p.Quality = 85
		p.SubsampleMode = vips.VipsForeignSubsampleOff // 4:4:4
		p.Interlace = true
	}
	return p
}

// deriveFieldMax caps each copyright field, in bytes, so the packet always
// fits one JPEG segment.
const deriveFieldMax = 2000

func deriveClip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= deriveFieldMax {
		return s
	}
	s = s[:deriveFieldMax]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// deriveCopyrightSegments returns the JPEG APP1 segments (EXIF, then XMP)
// carrying c.
func deriveCopyrightSegments(c Copyright) [][]byte {
	c = Copyright{Creator: deriveClip(c.Creator), Notice: deriveClip(c.Notice), Credit: deriveClip(c.Credit)}
	var segs [][]byte
	if exif := deriveEXIF(c); exif != nil {
		segs = append(segs, deriveAPP1(exif))
	}
	return append(segs, deriveAPP1(append([]byte("http://ns.adobe.com/xap/1.0/\x00"), deriveXMP(c)...)))
}

// deriveXMP builds a minimal XMP packet with dc:creator, dc:rights and
// photoshop:Credit for the non-empty fields of c.
func deriveXMP(c Copyright) []byte {
	var b bytes.Buffer
	esc := func(s string) {
		_ = xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer: cannot fail
	}
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n")
	b.WriteString(" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n")
	b.WriteString("  <rdf:Description rdf:about=\"\"\n")
	b.WriteString("    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n")
	b.WriteString("    xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\">\n")
	if c.Creator != "" {
		b.WriteString("   <dc:creator><rdf:Seq><rdf:li>")
		esc(c.Creator)
		b.WriteString("</rdf:li></rdf:Seq></dc:creator>\n")
	}
	if c.Notice != "" {
		b.WriteString("   <dc:rights><rdf:Alt><rdf:li xml:lang=\"x-default\">")
		esc(c.Notice)
		b.WriteString("</rdf:li></rdf:Alt></dc:rights>\n")
	}
	if c.Credit != "" {
		b.WriteString("   <photoshop:Credit>")
		esc(c.Credit)
		b.WriteString("</photoshop:Credit>\n")
	}
	b.WriteString("  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>")
	return b.Bytes()
}

// deriveEXIF builds an EXIF block (big-endian TIFF, IFD0 only) with Artist
// and Copyright, or returns nil when neither is printable ASCII, the only
// text EXIF 2.3 readers agree on.
func deriveEXIF(c Copyright) []byte {
	type entry struct {
		tag   uint16
		value string
	}
	var entries []entry // in ascending tag order, as TIFF requires
	if deriveIsPrintableASCII(c.Creator) {
		entries = append(entries, entry{0x013B, c.Creator}) // Artist
	}
	if deriveIsPrintableASCII(c.Notice) {
		entries = append(entries, entry{0x8298, c.Notice}) // Copyright
	}
	if len(entries) == 0 {
		return nil
	}
	be := binary.BigEndian
	const ifdOffset = 8
	dataOffset := ifdOffset + 2 + 12*len(entries) + 4
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = be.AppendUint16(tiff, uint16(len(entries)))
	var values []byte
	for _, e := range entries {
		v := append([]byte(e.value), 0)
		tiff = be.AppendUint16(tiff, e.tag)
		tiff = be.AppendUint16(tiff, 2) // ASCII
		tiff = be.AppendUint32(tiff, uint32(len(v)))
		if len(v) <= 4 {
			tiff = append(tiff, append(v, make([]byte, 4-len(v))...)...)
			continue
		}
		tiff = be.AppendUint32(tiff, uint32(dataOffset+len(values)))
		values = append(values, v...)
		if len(values)%2 == 1 { // keep offsets word-aligned
			values = append(values, 0)
		}
	}
	tiff = be.AppendUint32(tiff, 0) // no next IFD
	tiff = append(tiff, values...)
	return append([]byte("Exif\x00\x00"), tiff...)
}

func deriveIsPrintableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// deriveAPP1 wraps payload (at most 65533 bytes; deriveClip ensures it) in
// a JPEG APP1 segment.
func deriveAPP1(payload []byte) []byte {
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// deriveInsertSegments inserts segments into a JPEG produced by libvips,
// after SOI and the JFIF APP0 segment if there is one.
func deriveInsertSegments(jpeg []byte, segments [][]byte) ([]byte, error) {
	if len(segments) == 0 {
		return jpeg, nil
	}
	if len(jpeg) < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
		return nil, errors.New("insert metadata: encoder output is not a JPEG")
	}
	at := 2
	if jpeg[2] == 0xFF && jpeg[3] == 0xE0 && len(jpeg) >= 6 {
		at = 4 + int(binary.BigEndian.Uint16(jpeg[4:6]))
		if at > len(jpeg) {
			return nil, errors.New("insert metadata: encoder output has a bad APP0 segment")
		}
	}
	n := len(jpeg)
	for _, s := range segments {
		n += len(s)
	}
	out := make([]byte, 0, n)
	out = append(out, jpeg[:at]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, jpeg[at:]...), nil
}
