package media

// This file extracts descriptive metadata (camera, exposure, capture time,
// GPS, rights, caption, keywords, colour profile) from an original held in
// memory. It walks the containers itself (JPEG segments, PNG chunks, RIFF
// chunks, ISOBMFF boxes, TIFF IFDs) and parses XMP, IPTC IIM, Photoshop image
// resources and ICC profile descriptions.
//
// Why hand-written: the Go EXIF libraries that fit (rwcarlsen/goexif,
// dsoprea/go-exif/v3, evanoberholster/imagemeta) were each tried against the
// same fuzz seeds. goexif (unmaintained since 2019) multiplies a tag's count
// by its type size in uint32 and then allocates the count: a 30-byte input
// makes it allocate 17 GB. go-exif/v3 drives its control flow by panic and
// recover, pulls in six extra modules and stalled for most of a 90 s fuzz run.
// imagemeta v0.3.1 is pre-1.0, logs through a package-level zerolog logger,
// keeps GPS and focal length as float32 and stubs out HEIF. The TIFF subset
// needed here (three IFDs, a dozen tags) is small enough to write once with
// every offset checked against the slice, which is what the rest of this file
// does.
//
// Defensive rules kept throughout: every length read from the input is
// checked against the bytes actually present before use; nothing is
// allocated from a claimed size larger than the input (decompression is
// capped); loops either consume input or are bounded; IFDs are followed
// through a visited set and a depth limit. Unreadable blocks are skipped.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Metadata is what Safelight extracts from an original at ingest.
//
// All strings are trimmed, valid UTF-8, free of control characters (Caption
// keeps line breaks as "\n") and capped in length. Zero values mean unknown.
//
// When several sources disagree, the Metadata Working Group order is used:
// for Creator, Copyright and Caption, XMP beats IPTC IIM beats EXIF; for
// Credit, XMP beats IPTC; Keywords come from XMP dc:subject when it has any,
// else from IPTC. For the camera and exposure fields, and GPS, EXIF beats XMP.
// Within one kind of source the first block in the file wins.
type Metadata struct {
	CameraMake, CameraModel string
	// Lens is EXIF LensModel (or XMP exifEX:LensModel / aux:Lens). Lens
	// names that only a maker note records are not decoded.
	Lens string
	// FocalLengthMM is the real (not 35 mm equivalent) focal length; 0 if
	// unknown.
	FocalLengthMM float64
	// FNumber is the aperture, e.g. 5.6; 0 if unknown.
	FNumber float64
	// ExposureSeconds is the shutter time, e.g. 0.004; 0 if unknown.
	ExposureSeconds float64
	// ExposureText is the shutter time as photographers write it, formatted
	// as exiftool does: "1/250" for 0.25 s and shorter, else seconds with at
	// most one decimal ("0.5", "2", "1.3").
	ExposureText string
	ISO          int
	// TakenAt is the capture time: EXIF DateTimeOriginal (+SubSecTimeOriginal),
	// else EXIF CreateDate (DateTimeDigitized), else XMP exif:DateTimeOriginal,
	// photoshop:DateCreated, xmp:CreateDate, else IPTC DateCreated+TimeCreated.
	// Zero if unknown.
	//
	// When TakenAtHasOffset is true the file recorded a UTC offset (EXIF
	// OffsetTimeOriginal/OffsetTimeDigitized, an XMP date with a zone, an IPTC
	// time with a zone) and TakenAt is in that fixed zone, so it is an exact
	// instant. When it is false, no offset was recorded: TakenAt holds the
	// camera's wall clock with its location set to UTC. It is NOT an instant
	// in UTC; only its Year..Nanosecond fields are meaningful, and it must
	// not be converted to other zones or compared with zoned times.
	//
	// An EXIF time without an offset takes the zone of an XMP or IPTC date
	// that shows the same wall clock to the second and has one (Lightroom and
	// Photo Mechanic record it that way).
	TakenAt          time.Time
	TakenAtHasOffset bool
	// ColorProfile is the embedded ICC profile's description, e.g.
	// "Adobe RGB (1998)"; "" if none.
	ColorProfile string
	// Creator: XMP dc:creator, else IPTC By-line, else EXIF Artist. Several
	// names are joined with "; ".
	Creator string
	// Copyright: XMP dc:rights, else IPTC CopyrightNotice, else EXIF Copyright.
	Copyright string
	// Credit: XMP photoshop:Credit, else IPTC Credit.
	Credit string
	// Caption: XMP dc:description, else IPTC Caption-Abstract, else EXIF
	// ImageDescription. Camera-written placeholders such as "OLYMPUS DIGITAL
	// CAMERA" are dropped from EXIF ImageDescription.
	Caption string
	// Keywords: XMP dc:subject, else IPTC Keywords; duplicates (compared
	// case-insensitively) removed, first spelling and order kept; at most 200.
	Keywords []string
	// GPS is nil if the file records no usable position. It is personal data:
	// store it sealed and never log it.
	GPS *GPS
}

// GPS is a position in decimal degrees, south and west negative.
type GPS struct {
	Latitude, Longitude float64
	// Altitude is metres above sea level (negative below); nil if unknown.
	Altitude *float64
}

// ErrMetadataUnsupported is returned (wrapped) by ExtractMetadata when the
// data is none of the containers it reads: JPEG, PNG, TIFF, WebP, HEIF/AVIF.
var ErrMetadataUnsupported = errors.New("media: metadata: unsupported container")

// ExtractMetadata reads the metadata of an original held whole in memory.
// It never touches disk and does not retain or modify data.
//
// Metadata is best effort: malformed or truncated blocks are skipped and what
// could be read is returned with a nil error. The only error is one wrapping
// ErrMetadataUnsupported, when data is not a supported container at all.
// It is safe on hostile input and for concurrent use.
func ExtractMetadata(data []byte) (Metadata, error) {
	var s metaSources
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		metaJPEG(data, &s)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		metaPNG(data, &s)
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")),
		bytes.HasPrefix(data, []byte("II+\x00")), bytes.HasPrefix(data, []byte("MM\x00+")):
		// BigTIFF (43) is accepted as a container but not parsed.
		exifParse(data, &s)
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		metaWebP(data, &s)
	case bmffIsHEIF(data):
		bmffParse(data, &s)
	default:
		return Metadata{}, fmt.Errorf("media: extract metadata: %w", ErrMetadataUnsupported)
	}
	return s.merge(), nil
}

// Limits on what is parsed. The input bounds everything else.
const (
	metaMaxText     = 2000    // runes in one text field
	metaMaxKeyword  = 200     // runes in one keyword
	metaMaxKeywords = 200     // keywords kept
	metaMaxNames    = 50      // creators joined into Creator
	metaMaxXMP      = 8 << 20 // bytes of one XMP packet (after inflating or joining)
	metaMaxICC      = 8 << 20 // bytes of one ICC profile (after inflating or joining)
	metaMaxXMLDepth = 64      // element nesting in XMP
	metaMaxXMLValue = 64 << 10
	metaMaxIFDs     = 8  // TIFF IFDs followed per TIFF block
	metaMaxBMFF     = 16 // ISOBMFF box nesting
	metaMaxItems    = 256
	metaMaxExtents  = 64
)

// metaTime is one recorded date.
type metaTime struct {
	t     time.Time // in a fixed zone when zoned, else wall clock as UTC
	zoned bool
	ok    bool
}

// metaSource holds what one kind of block (EXIF, XMP or IPTC) said. Setters
// keep the first non-empty value so that the first block in a file wins.
type metaSource struct {
	make, model, lens                   string
	focal, fnumber, exposure            float64
	iso                                 int
	original, digitized                 metaTime
	creator, copyright, credit, caption string
	keywords                            []string
	gps                                 *GPS
}

type metaSources struct {
	exif, xmp, iptc metaSource
	icc             string
}

func metaSetStr(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// metaSetNum keeps the first plausible value: focal lengths, f-numbers and
// shutter times all lie well within (1e-9, 1e6).
func metaSetNum(dst *float64, v float64, ok bool) {
	if *dst == 0 && ok && v > 1e-9 && v < 1e6 {
		*dst = v
	}
}

func metaSetTime(dst *metaTime, v metaTime) {
	if !dst.ok && v.ok {
		*dst = v
	}
}

func (s *metaSources) setICC(profile []byte) {
	if s.icc == "" {
		s.icc = metaClean(iccDescription(profile), metaMaxText, false)
	}
}

func metaFirst(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func metaFirstNum(vs ...float64) float64 {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

// merge applies the precedence documented on Metadata.
func (s *metaSources) merge() Metadata {
	e, x, i := &s.exif, &s.xmp, &s.iptc
	m := Metadata{
		CameraMake:      metaFirst(e.make, x.make),
		CameraModel:     metaFirst(e.model, x.model),
		Lens:            metaFirst(e.lens, x.lens),
		FocalLengthMM:   metaFirstNum(e.focal, x.focal),
		FNumber:         metaFirstNum(e.fnumber, x.fnumber),
		ExposureSeconds: metaFirstNum(e.exposure, x.exposure),
		ISO:             e.iso,
		ColorProfile:    s.icc,
		Creator:         metaFirst(x.creator, i.creator, e.creator),
		Copyright:       metaFirst(x.copyright, i.copyright, e.copyright),
		Credit:          metaFirst(x.credit, i.credit),
		Caption:         metaFirst(x.caption, i.caption, e.caption),
	}
	if m.ISO == 0 {
		m.ISO = x.iso
	}
	m.ExposureText = metaExposureText(m.ExposureSeconds)
	switch {
	case len(x.keywords) > 0:
		m.Keywords = x.keywords
	case len(i.keywords) > 0:
		m.Keywords = i.keywords
	}
	m.GPS = e.gps
	if m.GPS == nil {
		m.GPS = x.gps
	}

	var taken metaTime
	for _, c := range []metaTime{e.original, e.digitized, x.original, x.digitized, i.original} {
		if c.ok {
			taken = c
			break
		}
	}
	if taken.ok && !taken.zoned {
		for _, c := range []metaTime{x.original, x.digitized, i.original} {
			if c.ok && c.zoned && metaWall(c.t).Equal(metaWall(taken.t)) {
				w := taken.t
				taken.t = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), c.t.Location())
				taken.zoned = true
				break
			}
		}
	}
	if taken.ok {
		m.TakenAt, m.TakenAtHasOffset = taken.t, taken.zoned
	}
	return m
}

// metaWall is t's wall clock to the second, as UTC.
func metaWall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// metaExposureText formats a shutter time the way exiftool prints
// ExposureTime: "1/N" up to 0.25 s, else seconds with one decimal at most.
func metaExposureText(secs float64) string {
	if secs <= 0 || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return ""
	}
	if secs < 0.25001 {
		return "1/" + strconv.FormatInt(int64(0.5+1/secs), 10)
	}
	return strings.TrimSuffix(strconv.FormatFloat(secs, 'f', 1, 64), ".0")
}

// ---------------------------------------------------------------------------
// Text

// metaCP1252 maps bytes 0x80–0x9F as Windows-1252 does (0 = undefined, which
// stays a C1 control and is dropped by metaClean). Other bytes are Latin-1.
var metaCP1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// metaLatin1 decodes b as Latin-1, reading 0x80–0x9F as Windows-1252 the way
// exiftool's default "Latin" charset does.
func metaLatin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		r := rune(c)
		if c >= 0x80 && c <= 0x9F && metaCP1252[c-0x80] != 0 {
			r = metaCP1252[c-0x80]
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// metaText decodes bytes whose charset is not declared: UTF-8 when they are
// valid UTF-8, else Latin-1.
func metaText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return metaLatin1(b)
}

// metaCString returns b up to its first NUL.
func metaCString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// metaClean makes s safe to store and show: invalid UTF-8 replaced, control
// and bidi-override characters removed (line breaks kept as "\n" only when
// multiline), trimmed, and cut to max runes.
func metaClean(s string, max int, multiline bool) string {
	var sb strings.Builder
	n := 0
	for i := 0; i < len(s) && n < max; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r' || r == '\n':
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			r = ' '
			if multiline {
				r = '\n'
			}
		case r == '\t':
			r = ' '
		case unicode.IsControl(r), r == 0xFEFF, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			continue
		}
		if n == 0 && unicode.IsSpace(r) {
			continue // leading space does not count against max
		}
		sb.WriteRune(r)
		n++
	}
	return strings.TrimSpace(sb.String())
}

// metaAddKeyword appends a cleaned keyword unless it is empty, a duplicate
// (case-insensitive) or over the limit.
func metaAddKeyword(list []string, k string) []string {
	k = metaClean(k, metaMaxKeyword, false)
	if k == "" || len(list) >= metaMaxKeywords {
		return list
	}
	for _, have := range list {
		if strings.EqualFold(have, k) {
			return list
		}
	}
	return append(list, k)
}

// metaJoinNames cleans names and joins them with "; ".
func metaJoinNames(names []string) string {
	var kept []string
	for _, n := range names {
		if len(kept) == metaMaxNames {
			break
		}
		if n = metaClean(n, metaMaxText, false); n != "" && !slices.Contains(kept, n) {
			kept = append(kept, n)
		}
	}
	return metaClean(strings.Join(kept, "; "), metaMaxText, false)
}

// metaCameraPlaceholder reports whether an EXIF ImageDescription is text a
// camera writes into every picture rather than a caption a person wrote.
func metaCameraPlaceholder(s string) bool {
	u := strings.ToUpper(strings.Join(strings.Fields(s), " "))
	switch {
	case u == "", u == "SONY DSC", u == "DIGITAL IMAGE", u == "EXIF_JPEG_PICTURE", u == "DCIM":
		return true
	case strings.HasSuffix(u, "DIGITAL CAMERA"), strings.HasSuffix(u, "DIGITAL STILLCAMERA"),
		strings.HasSuffix(u, "DIGITAL STILL CAMERA"):
		return len(u) <= 40
	}
	// A bare file name such as "DCFC1247.JPG".
	if ext := strings.LastIndexByte(u, '.'); ext > 0 && !strings.Contains(u, " ") {
		switch u[ext:] {
		case ".JPG", ".JPEG", ".TIF", ".TIFF":
			return true
		}
	}
	return false
}

// metaNumbers returns the decimal numbers found in s, as exiftool's
// ToDegrees reads GPS coordinates written as text ("52,50.5N", "52 50 30").
func metaNumbers(s string, max int) []float64 {
	var out []float64
	for i := 0; i < len(s) && len(out) < max; {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' {
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		if f, err := strconv.ParseFloat(s[i:j], 64); err == nil {
			out = append(out, f)
		}
		i = j
	}
	return out
}

// metaDegrees turns degrees, minutes, seconds into decimal degrees.
func metaDegrees(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	d := v[0]
	if len(v) > 1 {
		d += v[1] / 60
	}
	if len(v) > 2 {
		d += v[2] / 3600
	}
	return d, !math.IsNaN(d) && !math.IsInf(d, 0)
}

// metaValidGPS builds a GPS when the coordinates are usable.
func metaValidGPS(lat, lon float64, alt *float64) *GPS {
	if math.IsNaN(lat) || math.IsNaN(lon) || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
		return nil
	}
	if alt != nil && (math.IsNaN(*alt) || math.IsInf(*alt, 0)) {
		alt = nil
	}
	return &GPS{Latitude: lat, Longitude: lon, Altitude: alt}
}

// ---------------------------------------------------------------------------
// Dates

// metaParseOffset reads "+02:00", "-0530" or "Z".
func metaParseOffset(s string) (*time.Location, bool) {
	s = strings.TrimSpace(s)
	if s == "Z" {
		return time.FixedZone("", 0), true
	}
	if len(s) != 6 && len(s) != 5 || s[0] != '+' && s[0] != '-' {
		return nil, false
	}
	hh, mm := s[1:3], s[len(s)-2:]
	if len(s) == 6 && s[3] != ':' {
		return nil, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h > 14 || m > 59 {
		return nil, false
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), true
}

// metaDigits parses exactly the n-digit decimal at s[i:].
func metaDigits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// metaMakeTime validates fields and builds the time (wall clock as UTC when
// loc is nil).
func metaMakeTime(y, mo, d, h, mi, sec, nsec int, loc *time.Location) metaTime {
	if y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return metaTime{}
	}
	zoned := loc != nil
	if loc == nil {
		loc = time.UTC
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, loc)
	if t.Day() != d && sec < 60 {
		return metaTime{} // 31 February and the like
	}
	return metaTime{t: t, zoned: zoned, ok: true}
}

// metaFraction reads sub-second digits ("123" → 123 ms) as nanoseconds.
func metaFraction(s string) int {
	ns, scale := 0, 100_000_000
	for _, c := range []byte(strings.TrimSpace(s)) {
		if c < '0' || c > '9' {
			break
		}
		ns += int(c-'0') * scale
		if scale /= 10; scale == 0 {
			break
		}
	}
	return ns
}

// metaParseEXIFTime reads "YYYY:MM:DD HH:MM:SS" (also with '-' or 'T'
// separators, or without seconds) plus optional sub-seconds and offset.
func metaParseEXIFTime(s, subsec, offset string) metaTime {
	s = strings.TrimSpace(s)
	y, ok1 := metaDigits(s, 0, 4)
	mo, ok2 := metaDigits(s, 5, 2)
	d, ok3 := metaDigits(s, 8, 2)
	h, ok4 := metaDigits(s, 11, 2)
	mi, ok5 := metaDigits(s, 14, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return metaTime{}
	}
	sec, ok := metaDigits(s, 17, 2)
	if !ok {
		sec = 0
	}
	var loc *time.Location
	if offset != "" {
		loc, _ = metaParseOffset(offset)
	}
	return metaMakeTime(y, mo, d, h, mi, sec, metaFraction(subsec), loc)
}

// metaParseXMPTime reads the ISO 8601 forms XMP allows, from a full date on:
// YYYY-MM-DD[Thh:mm[:ss[.s+]][TZD]].
func metaParseXMPTime(s string) metaTime {
	s = strings.TrimSpace(s)
	y, ok1 := metaDigits(s, 0, 4)
	mo, ok2 := metaDigits(s, 5, 2)
	d, ok3 := metaDigits(s, 8, 2)
	if !(ok1 && ok2 && ok3) || s[4] != '-' || s[7] != '-' {
		return metaTime{}
	}
	if len(s) == 10 {
		return metaMakeTime(y, mo, d, 0, 0, 0, 0, nil)
	}
	if len(s) < 16 || s[10] != 'T' && s[10] != ' ' || s[13] != ':' {
		return metaTime{}
	}
	h, ok4 := metaDigits(s, 11, 2)
	mi, ok5 := metaDigits(s, 14, 2)
	if !ok4 || !ok5 {
		return metaTime{}
	}
	rest, sec, nsec := s[16:], 0, 0
	if len(rest) >= 3 && rest[0] == ':' {
		v, ok := metaDigits(rest, 1, 2)
		if !ok {
			return metaTime{}
		}
		sec, rest = v, rest[3:]
		if len(rest) > 0 && rest[0] == '.' {
			j := 1
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			nsec, rest = metaFraction(rest[1:j]), rest[j:]
		}
	}
	var loc *time.Location
	if rest != "" {
		var ok bool
		if loc, ok = metaParseOffset(rest); !ok {
			return metaTime{}
		}
	}
	return metaMakeTime(y, mo, d, h, mi, sec, nsec, loc)
}

// metaParseIPTCTime reads IPTC DateCreated "CCYYMMDD" and TimeCreated
// "HHMMSS±HHMM" (the time may be missing or carry no zone).
func metaParseIPTCTime(date, clock string) metaTime {
	date, clock = strings.TrimSpace(date), strings.TrimSpace(clock)
	y, ok1 := metaDigits(date, 0, 4)
	mo, ok2 := metaDigits(date, 4, 2)
	d, ok3 := metaDigits(date, 6, 2)
	if !(ok1 && ok2 && ok3) {
		return metaTime{}
	}
	h, okh := metaDigits(clock, 0, 2)
	mi, okm := metaDigits(clock, 2, 2)
	sec, oks := metaDigits(clock, 4, 2)
	if !(okh && okm && oks) {
		return metaMakeTime(y, mo, d, 0, 0, 0, 0, nil)
	}
	var loc *time.Location
	if len(clock) == 11 {
		loc, _ = metaParseOffset(clock[6:])
	}
	return metaMakeTime(y, mo, d, h, mi, sec, 0, loc)
}

// ---------------------------------------------------------------------------
// JPEG

var (
	metaJPEGExif      = []byte("Exif\x00")
	metaJPEGXMP       = []byte("http://ns.adobe.com/xap/1.0/\x00")
	metaJPEGExtXMP    = []byte("http://ns.adobe.com/xmp/extension/\x00")
	metaJPEGICC       = []byte("ICC_PROFILE\x00")
	metaJPEGPhotoshop = []byte("Photoshop 3.0\x00")
)

// metaChunk is one piece of a value split over several JPEG segments.
type metaChunk struct {
	seq, total int    // ICC: 1-based sequence and count; extended XMP: offset and full length
	guid       string // extended XMP only
	data       []byte
}

// metaJPEG walks the segments before the image data. Truncated segments are
// ignored.
func metaJPEG(data []byte, s *metaSources) {
	var (
		icc      []metaChunk
		ext      []metaChunk
		irb      []byte
		extGUIDs []string
	)
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			break
		}
		m := data[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD8 || m == 0x01 || m >= 0xD0 && m <= 0xD7 {
			i += 2
			continue
		}
		if m == 0xD9 || m == 0xDA {
			break
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			break
		}
		seg := data[i+4 : i+2+n]
		i += 2 + n
		switch {
		case m == 0xE1 && bytes.HasPrefix(seg, metaJPEGExif) && len(seg) >= 6:
			exifParse(seg[6:], s)
		case m == 0xE1 && bytes.HasPrefix(seg, metaJPEGXMP):
			if g := xmpParse(seg[len(metaJPEGXMP):], &s.xmp); g != "" {
				extGUIDs = append(extGUIDs, g)
			}
		case m == 0xE1 && bytes.HasPrefix(seg, metaJPEGExtXMP):
			p := seg[len(metaJPEGExtXMP):]
			if len(p) < 40 || len(ext) >= 1024 {
				continue
			}
			ext = append(ext, metaChunk{
				guid:  string(p[:32]),
				total: int(binary.BigEndian.Uint32(p[32:])),
				seq:   int(binary.BigEndian.Uint32(p[36:])),
				data:  p[40:],
			})
		case m == 0xE2 && bytes.HasPrefix(seg, metaJPEGICC) && len(seg) >= 14:
			if len(icc) < 256 {
				icc = append(icc, metaChunk{seq: int(seg[12]), total: int(seg[13]), data: seg[14:]})
			}
		case m == 0xED && bytes.HasPrefix(seg, metaJPEGPhotoshop):
			if len(irb)+len(seg) <= len(data) {
				irb = append(irb, seg[len(metaJPEGPhotoshop):]...)
			}
		}
	}
	if len(irb) > 0 {
		irbParse(irb, s)
	}
	if p := metaJoinICC(icc); p != nil {
		s.setICC(p)
	}
	for _, g := range extGUIDs {
		if p := metaJoinExtendedXMP(ext, g); p != nil {
			xmpParse(p, &s.xmp)
		}
	}
}

// metaJoinICC joins APP2 ICC chunks in sequence order. It needs chunks 1..N
// each exactly once, or a single chunk.
func metaJoinICC(chunks []metaChunk) []byte {
	switch len(chunks) {
	case 0:
		return nil
	case 1:
		return chunks[0].data
	}
	total := chunks[0].total
	if total != len(chunks) {
		return nil
	}
	slices.SortStableFunc(chunks, func(a, b metaChunk) int { return a.seq - b.seq })
	size := 0
	for k, c := range chunks {
		if c.seq != k+1 || c.total != total {
			return nil
		}
		size += len(c.data)
	}
	if size > metaMaxICC {
		return nil
	}
	out := make([]byte, 0, size)
	for _, c := range chunks {
		out = append(out, c.data...)
	}
	return out
}

// metaJoinExtendedXMP assembles the extended XMP packet named by guid. The
// chunks must cover the declared length exactly; the allocation is never
// larger than the bytes the chunks carry.
func metaJoinExtendedXMP(chunks []metaChunk, guid string) []byte {
	total, have := -1, 0
	for _, c := range chunks {
		if c.guid != guid {
			continue
		}
		if total == -1 {
			total = c.total
		}
		if c.total != total {
			return nil
		}
		have += len(c.data)
	}
	if total <= 0 || total > metaMaxXMP || have != total {
		return nil
	}
	out := make([]byte, total)
	covered := 0
	for _, c := range chunks {
		if c.guid != guid {
			continue
		}
		if c.seq < 0 || c.seq > total || len(c.data) > total-c.seq {
			return nil
		}
		covered += copy(out[c.seq:], c.data)
	}
	if covered != total {
		return nil
	}
	return out
}

// ---------------------------------------------------------------------------
// TIFF / EXIF

// exifReader reads one TIFF structure: an EXIF block or a whole TIFF file.
// Offsets are relative to the byte-order mark at b[0].
type exifReader struct {
	b       []byte
	bo      binary.ByteOrder
	visited [metaMaxIFDs]uint32
	nvis    int

	s     *metaSources
	gps   exifGPSRaw
	times exifTimes
	// Tags found outside their home IFD (ExposureTime in IFD0, Make in the
	// EXIF IFD) only fill gaps: the tag in its home IFD wins, as in exiftool.
	misplaced metaSource
	mtimes    exifTimes
}

// exifEntry is one IFD entry; val is nil when it points outside the block.
type exifEntry struct {
	tag, typ uint16
	count    uint32
	val      []byte
}

// exifTypeSize gives the byte size of TIFF field types 1..13.
var exifTypeSize = [14]uint64{0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4}

const (
	exifIFD0 = iota
	exifIFDExif
	exifIFDGPS
)

// exifGPSRaw gathers GPS tags until the IFD has been read.
type exifGPSRaw struct {
	lat, lon, alt       []float64
	latRef, lonRef      string
	altRef              int
	latOK, lonOK, altOK bool
}

// exifTimes gathers date tags until all IFDs have been read.
type exifTimes struct {
	original, digitized, subOriginal, subDigitized, offOriginal, offDigitized string
}

// exifParse reads a TIFF structure (EXIF block or TIFF file) into s.exif,
// and hands the XMP, IPTC, Photoshop and ICC blocks that TIFF tags carry to
// their parsers.
func exifParse(b []byte, s *metaSources) {
	if len(b) < 8 {
		return
	}
	r := &exifReader{b: b, s: s}
	switch string(b[:4]) {
	case "II*\x00":
		r.bo = binary.LittleEndian
	case "MM\x00*":
		r.bo = binary.BigEndian
	default:
		return // BigTIFF and anything else
	}
	r.walk(r.bo.Uint32(b[4:]), exifIFD0, 0)

	e, m := &s.exif, &r.misplaced
	for _, f := range [][2]*string{{&e.make, &m.make}, {&e.model, &m.model}, {&e.lens, &m.lens},
		{&e.caption, &m.caption}, {&e.creator, &m.creator}, {&e.copyright, &m.copyright}} {
		metaSetStr(f[0], *f[1])
	}
	metaSetNum(&e.exposure, m.exposure, true)
	metaSetNum(&e.fnumber, m.fnumber, true)
	metaSetNum(&e.focal, m.focal, true)
	if e.iso == 0 {
		e.iso = m.iso
	}
	times, mt := &r.times, &r.mtimes
	for _, f := range [][2]*string{{&times.original, &mt.original}, {&times.digitized, &mt.digitized},
		{&times.subOriginal, &mt.subOriginal}, {&times.subDigitized, &mt.subDigitized},
		{&times.offOriginal, &mt.offOriginal}, {&times.offDigitized, &mt.offDigitized}} {
		metaSetStr(f[0], *f[1])
	}

	t := metaParseEXIFTime(times.original, times.subOriginal, times.offOriginal)
	metaSetTime(&s.exif.original, t)
	t = metaParseEXIFTime(times.digitized, times.subDigitized, times.offDigitized)
	metaSetTime(&s.exif.digitized, t)

	gps := &r.gps
	if s.exif.gps == nil && gps.latOK && gps.lonOK {
		lat, ok1 := metaDegrees(gps.lat)
		lon, ok2 := metaDegrees(gps.lon)
		if ok1 && ok2 {
			if strings.HasPrefix(strings.ToUpper(gps.latRef), "S") {
				lat = -lat
			}
			if strings.HasPrefix(strings.ToUpper(gps.lonRef), "W") {
				lon = -lon
			}
			var alt *float64
			if gps.altOK && len(gps.alt) > 0 {
				a := gps.alt[0]
				if gps.altRef == 1 {
					a = -a
				}
				alt = &a
			}
			s.exif.gps = metaValidGPS(lat, lon, alt)
		}
	}
}

// walk reads one IFD and follows the EXIF and GPS pointers it holds. The
// visited set and depth stop loops.
func (r *exifReader) walk(off uint32, kind int, depth int) {
	if depth > 3 || r.nvis == len(r.visited) || off < 8 || uint64(off)+2 > uint64(len(r.b)) {
		return
	}
	for _, v := range r.visited[:r.nvis] {
		if v == off {
			return
		}
	}
	r.visited[r.nvis] = off
	r.nvis++

	n := int(r.bo.Uint16(r.b[off:]))
	type child struct {
		off  uint32
		kind int
	}
	var children [4]child
	nchild := 0
	s, gps := r.s, &r.gps
	for k := 0; k < n; k++ {
		p := uint64(off) + 2 + 12*uint64(k)
		if p+12 > uint64(len(r.b)) {
			break
		}
		ent := r.entry(r.b[p : p+12])
		e, times := &s.exif, &r.times
		if kind != exifHome(ent.tag) {
			e, times = &r.misplaced, &r.mtimes
		}
		switch kind {
		case exifIFD0, exifIFDExif:
			switch ent.tag {
			case 0x8769, 0x8825: // ExifIFD, GPS IFD pointers (GPS sometimes misplaced in ExifIFD)
				if v, ok := r.uint(ent, 0); ok && nchild < len(children) {
					ck := exifIFDExif
					if ent.tag == 0x8825 {
						ck = exifIFDGPS
					}
					children[nchild] = child{uint32(v), ck}
					nchild++
				}
			case 0x010F:
				metaSetStr(&e.make, metaClean(r.text(ent), metaMaxText, false))
			case 0x0110:
				metaSetStr(&e.model, metaClean(r.text(ent), metaMaxText, false))
			case 0x010E:
				if c := metaClean(r.text(ent), metaMaxText, true); !metaCameraPlaceholder(c) {
					metaSetStr(&e.caption, c)
				}
			case 0x013B:
				metaSetStr(&e.creator, metaClean(r.text(ent), metaMaxText, false))
			case 0x8298:
				metaSetStr(&e.copyright, metaClean(r.copyright(ent), metaMaxText, false))
			case 0x829A:
				v, ok := r.float(ent, 0)
				metaSetNum(&e.exposure, v, ok)
			case 0x829D:
				v, ok := r.float(ent, 0)
				metaSetNum(&e.fnumber, v, ok)
			case 0x920A:
				v, ok := r.float(ent, 0)
				metaSetNum(&e.focal, v, ok)
			case 0x8827: // ISO (PhotographicSensitivity)
				if v, ok := r.uint(ent, 0); ok && e.iso == 0 && v > 0 && v < 1<<24 {
					e.iso = int(v)
				}
			case 0xA434:
				metaSetStr(&e.lens, metaClean(r.text(ent), metaMaxText, false))
			case 0x9003:
				metaSetStr(&times.original, r.text(ent))
			case 0x9004:
				metaSetStr(&times.digitized, r.text(ent))
			case 0x9011:
				metaSetStr(&times.offOriginal, r.text(ent))
			case 0x9012:
				metaSetStr(&times.offDigitized, r.text(ent))
			case 0x9291:
				metaSetStr(&times.subOriginal, r.text(ent))
			case 0x9292:
				metaSetStr(&times.subDigitized, r.text(ent))
			case 700: // XMP (TIFF files)
				if ent.val != nil {
					xmpParse(ent.val, &s.xmp)
				}
			case 33723: // IPTC-NAA
				if ent.val != nil {
					iptcParse(ent.val, &s.iptc)
				}
			case 34377: // Photoshop image resources
				if ent.val != nil {
					irbParse(ent.val, s)
				}
			case 34675: // ICC profile
				if ent.val != nil {
					s.setICC(ent.val)
				}
			}
		case exifIFDGPS:
			switch ent.tag {
			case 1:
				gps.latRef = r.text(ent)
			case 2:
				gps.lat, gps.latOK = r.coords(ent)
			case 3:
				gps.lonRef = r.text(ent)
			case 4:
				gps.lon, gps.lonOK = r.coords(ent)
			case 5:
				if v, ok := r.uint(ent, 0); ok {
					gps.altRef = int(v)
				}
			case 6:
				gps.alt, gps.altOK = r.coords(ent)
			}
		}
	}
	for _, c := range children[:nchild] {
		r.walk(c.off, c.kind, depth+1)
	}
}

// exifHome is the IFD a tag belongs in.
func exifHome(tag uint16) int {
	switch tag {
	case 0x010F, 0x0110, 0x010E, 0x013B, 0x8298:
		return exifIFD0
	}
	return exifIFDExif
}

// entry decodes a 12-byte IFD entry, resolving its value bytes.
func (r *exifReader) entry(p []byte) exifEntry {
	e := exifEntry{tag: r.bo.Uint16(p), typ: r.bo.Uint16(p[2:]), count: r.bo.Uint32(p[4:])}
	if int(e.typ) >= len(exifTypeSize) || e.typ == 0 {
		return e
	}
	size := exifTypeSize[e.typ] * uint64(e.count)
	if size <= 4 {
		e.val = p[8 : 8+size]
		return e
	}
	off := uint64(r.bo.Uint32(p[8:]))
	if off+size <= uint64(len(r.b)) {
		e.val = r.b[off : off+size]
	}
	return e
}

// text reads an ASCII (or byte/undefined) value up to its first NUL.
func (r *exifReader) text(e exifEntry) string {
	switch e.typ {
	case 1, 2, 7:
		return metaText(metaCString(e.val))
	}
	return ""
}

// copyright reads EXIF Copyright, which may hold "photographer\0editor";
// the two parts are joined with ", " (exiftool shows them the same way).
func (r *exifReader) copyright(e exifEntry) string {
	if e.typ != 2 && e.typ != 7 {
		return ""
	}
	parts := bytes.SplitN(e.val, []byte{0}, 3)
	var out []string
	for _, p := range parts[:min(len(parts), 2)] {
		if t := strings.TrimSpace(metaText(p)); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, ", ")
}

// uint reads the i-th value of an unsigned integer field.
func (r *exifReader) uint(e exifEntry, i int) (uint64, bool) {
	sz := exifTypeSize[min(int(e.typ), len(exifTypeSize)-1)]
	if e.val == nil || sz == 0 || uint64(i+1)*sz > uint64(len(e.val)) {
		return 0, false
	}
	v := e.val[uint64(i)*sz:]
	switch e.typ {
	case 1, 7:
		return uint64(v[0]), true
	case 3:
		return uint64(r.bo.Uint16(v)), true
	case 4, 13:
		return uint64(r.bo.Uint32(v)), true
	}
	return 0, false
}

// float reads the i-th value of any numeric field; rationals with a zero
// denominator are not ok.
func (r *exifReader) float(e exifEntry, i int) (float64, bool) {
	sz := exifTypeSize[min(int(e.typ), len(exifTypeSize)-1)]
	if e.val == nil || sz == 0 || uint64(i+1)*sz > uint64(len(e.val)) {
		return 0, false
	}
	v := e.val[uint64(i)*sz:]
	switch e.typ {
	case 1, 7:
		return float64(v[0]), true
	case 6:
		return float64(int8(v[0])), true
	case 3:
		return float64(r.bo.Uint16(v)), true
	case 8:
		return float64(int16(r.bo.Uint16(v))), true
	case 4:
		return float64(r.bo.Uint32(v)), true
	case 9:
		return float64(int32(r.bo.Uint32(v))), true
	case 5:
		num, den := r.bo.Uint32(v), r.bo.Uint32(v[4:])
		if den == 0 {
			return 0, false
		}
		return float64(num) / float64(den), true
	case 10:
		num, den := int32(r.bo.Uint32(v)), int32(r.bo.Uint32(v[4:]))
		if den == 0 {
			return 0, false
		}
		return float64(num) / float64(den), true
	case 11:
		return float64(math.Float32frombits(r.bo.Uint32(v))), true
	case 12:
		return math.Float64frombits(r.bo.Uint64(v)), true
	}
	return 0, false
}

// coords reads up to three numbers (degrees, minutes, seconds, or an
// altitude) from a rational field or, as some writers do, from text.
func (r *exifReader) coords(e exifEntry) ([]float64, bool) {
	if e.typ == 2 {
		v := metaNumbers(r.text(e), 3)
		return v, len(v) > 0
	}
	var out []float64
	for i := 0; i < 3; i++ {
		v, ok := r.float(e, i)
		if !ok {
			if i == 0 {
				return nil, false
			}
			if uint64(i+1)*exifTypeSize[min(int(e.typ), len(exifTypeSize)-1)] <= uint64(len(e.val)) {
				return nil, false // a zero denominator inside the value
			}
			break
		}
		out = append(out, v)
	}
	return out, true
}

// ---------------------------------------------------------------------------
// Photoshop image resources and IPTC IIM

// irbParse walks Photoshop image resource blocks ("8BIM" and the other
// signatures exiftool accepts) for IPTC (0x0404), ICC (0x040F) and XMP
// (0x0424).
func irbParse(b []byte, s *metaSources) {
	for i := 0; i+7 <= len(b); {
		switch string(b[i : i+4]) {
		case "8BIM", "PHUT", "AgHg", "DCSR", "MeSa":
		default:
			return
		}
		id := binary.BigEndian.Uint16(b[i+4:])
		nameLen := 1 + int(b[i+6])
		if nameLen%2 == 1 {
			nameLen++
		}
		i += 6 + nameLen
		if i+4 > len(b) {
			return
		}
		size := uint64(binary.BigEndian.Uint32(b[i:]))
		i += 4
		if size > uint64(len(b)-i) {
			return
		}
		v := b[i : i+int(size)]
		i += int(size) + int(size%2)
		switch id {
		case 0x0404:
			iptcParse(v, &s.iptc)
		case 0x040F:
			s.setICC(v)
		case 0x0424:
			xmpParse(v, &s.xmp)
		}
	}
}

// iptcParse reads IPTC IIM datasets. Text is UTF-8 when record 1:90 says so
// (ESC % G), else Latin-1.
func iptcParse(b []byte, src *metaSource) {
	var (
		isUTF8                                  bool
		byline, keywords                        [][]byte
		copyright, credit, caption, date, clock []byte
	)
	for i := 0; i+5 <= len(b); {
		if b[i] != 0x1C {
			break
		}
		rec, ds := b[i+1], b[i+2]
		size := uint64(binary.BigEndian.Uint16(b[i+3:]))
		i += 5
		if size&0x8000 != 0 { // extended dataset: size is in the next n bytes
			n := int(size & 0x7FFF)
			if n > 4 || i+n > len(b) {
				break
			}
			size = 0
			for k := 0; k < n; k++ {
				size = size<<8 | uint64(b[i+k])
			}
			i += n
		}
		if size > uint64(len(b)-i) {
			break
		}
		v := b[i : i+int(size)]
		i += int(size)
		switch {
		case rec == 1 && ds == 90:
			isUTF8 = bytes.Contains(v, []byte("\x1b%G"))
		case rec != 2:
		case ds == 80 && len(byline) < metaMaxNames:
			byline = append(byline, v)
		case ds == 25 && len(keywords) < 4*metaMaxKeywords:
			keywords = append(keywords, v)
		case ds == 116 && copyright == nil:
			copyright = v
		case ds == 110 && credit == nil:
			credit = v
		case ds == 120 && caption == nil:
			caption = v
		case ds == 55 && date == nil:
			date = v
		case ds == 60 && clock == nil:
			clock = v
		}
	}
	dec := func(v []byte) string {
		if isUTF8 {
			return string(v)
		}
		return metaLatin1(v)
	}
	var names []string
	for _, v := range byline {
		names = append(names, dec(v))
	}
	metaSetStr(&src.creator, metaJoinNames(names))
	metaSetStr(&src.copyright, metaClean(dec(copyright), metaMaxText, false))
	metaSetStr(&src.credit, metaClean(dec(credit), metaMaxText, false))
	metaSetStr(&src.caption, metaClean(dec(caption), metaMaxText, true))
	if len(src.keywords) == 0 {
		for _, v := range keywords {
			src.keywords = metaAddKeyword(src.keywords, dec(v))
		}
	}
	metaSetTime(&src.original, metaParseIPTCTime(string(date), string(clock)))
}

// ---------------------------------------------------------------------------
// ICC

// iccDescription returns the profile's 'desc' text: the ASCII part of a v2
// textDescriptionType, or the en-US (else English, else first) record of a
// v4 multiLocalizedUnicodeType.
func iccDescription(p []byte) string {
	if len(p) < 132 {
		return ""
	}
	n := uint64(binary.BigEndian.Uint32(p[128:]))
	for k := uint64(0); k < n; k++ {
		e := 132 + 12*k
		if e+12 > uint64(len(p)) {
			return ""
		}
		if string(p[e:e+4]) != "desc" {
			continue
		}
		off := uint64(binary.BigEndian.Uint32(p[e+4:]))
		size := uint64(binary.BigEndian.Uint32(p[e+8:]))
		if off+size > uint64(len(p)) || size < 12 {
			return ""
		}
		return iccText(p[off : off+size])
	}
	return ""
}

// iccText decodes a 'desc' or 'mluc' tag.
func iccText(t []byte) string {
	switch string(t[:4]) {
	case "desc":
		n := uint64(binary.BigEndian.Uint32(t[8:]))
		if 12+n > uint64(len(t)) {
			return ""
		}
		return metaLatin1(metaCString(t[12 : 12+n]))
	case "mluc":
		if len(t) < 16 {
			return ""
		}
		count := uint64(binary.BigEndian.Uint32(t[8:]))
		recSize := uint64(binary.BigEndian.Uint32(t[12:]))
		if recSize < 12 {
			return ""
		}
		best, bestScore := -1, -1
		var bestOff, bestLen uint64
		for k := uint64(0); k < count; k++ {
			r := 16 + k*recSize
			if r+12 > uint64(len(t)) {
				break
			}
			score := 0
			switch {
			case string(t[r:r+4]) == "enUS":
				score = 2
			case string(t[r:r+2]) == "en":
				score = 1
			}
			if score > bestScore {
				best, bestScore = int(k), score
				bestLen = uint64(binary.BigEndian.Uint32(t[r+4:]))
				bestOff = uint64(binary.BigEndian.Uint32(t[r+8:]))
			}
		}
		if best < 0 || bestOff+bestLen > uint64(len(t)) {
			return ""
		}
		return metaUTF16BE(t[bestOff : bestOff+bestLen])
	}
	return ""
}

// metaUTF16BE decodes big-endian UTF-16, stopping at a NUL.
func metaUTF16BE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.BigEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// ---------------------------------------------------------------------------
// XMP

const (
	xmpNSRDF       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	xmpNSXML       = "http://www.w3.org/XML/1998/namespace"
	xmpNSDC        = "http://purl.org/dc/elements/1.1/"
	xmpNSPhotoshop = "http://ns.adobe.com/photoshop/1.0/"
	xmpNSXMP       = "http://ns.adobe.com/xap/1.0/"
	xmpNSEXIF      = "http://ns.adobe.com/exif/1.0/"
	xmpNSEXIFEX    = "http://cipa.jp/exif/1.0/"
	xmpNSAux       = "http://ns.adobe.com/exif/1.0/aux/"
	xmpNSTIFF      = "http://ns.adobe.com/tiff/1.0/"
	xmpNSNote      = "http://ns.adobe.com/xmp/note/"
)

// xmpItem is one rdf:li of an array property.
type xmpItem struct {
	lang, text string
}

// xmpProps collects the XMP properties Safelight reads before they are
// interpreted (GPS needs several of them together).
type xmpProps struct {
	src                   *metaSource
	lat, lon, alt, altRef string
	extGUID               string
}

// xmpParse reads an XMP packet into src and returns the GUID of the
// extended XMP packet it announces, if any. It reads rdf:Description
// attributes and property elements holding text or an rdf:Alt/Bag/Seq of
// text; deeper structures are skipped. Parsing stops at the first XML error,
// keeping what was read.
func xmpParse(packet []byte, src *metaSource) string {
	if len(packet) > metaMaxXMP {
		packet = packet[:metaMaxXMP]
	}
	packet = xmpToUTF8(packet)
	d := xml.NewDecoder(bytes.NewReader(packet))
	d.Strict = false
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			b, err := io.ReadAll(io.LimitReader(in, metaMaxXMP))
			return strings.NewReader(metaLatin1(b)), err
		}
		return in, nil // UTF-8, ASCII, or UTF-16 already converted
	}
	px := xmpProps{src: src}

	var (
		depth     int
		descDepth = -1 // depth of the rdf:Description whose children are properties
		propDepth = -1
		prop      xml.Name
		text      strings.Builder
		items     []xmpItem
		inLi      bool
		liLang    string
		li        strings.Builder
	)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > metaMaxXMLDepth {
				px.finish()
				return px.extGUID
			}
			switch {
			case propDepth < 0 && t.Name.Space == xmpNSRDF && t.Name.Local == "Description":
				descDepth = depth
				for _, a := range t.Attr {
					if a.Name.Space != xmpNSRDF && a.Name.Space != xmpNSXML && a.Name.Space != "xmlns" {
						px.set(a.Name, a.Value, nil)
					}
				}
			case propDepth < 0 && depth == descDepth+1:
				propDepth, prop = depth, t.Name
				text.Reset()
				items = items[:0]
			case propDepth > 0 && depth == propDepth+2 && t.Name.Space == xmpNSRDF && t.Name.Local == "li":
				inLi, liLang = true, ""
				li.Reset()
				for _, a := range t.Attr {
					if a.Name.Local == "lang" {
						liLang = a.Value
					}
				}
			}
		case xml.CharData:
			switch {
			case inLi && depth == propDepth+2:
				if li.Len()+len(t) <= metaMaxXMLValue {
					li.Write(t)
				}
			case propDepth > 0 && depth == propDepth:
				if text.Len()+len(t) <= metaMaxXMLValue {
					text.Write(t)
				}
			}
		case xml.EndElement:
			switch {
			case inLi && depth == propDepth+2:
				inLi = false
				if len(items) < 4*metaMaxKeywords {
					items = append(items, xmpItem{lang: liLang, text: li.String()})
				}
			case propDepth > 0 && depth == propDepth:
				px.set(prop, text.String(), items)
				propDepth = -1
			case depth == descDepth:
				descDepth = -1
			}
			depth--
		}
	}
	px.finish()
	return px.extGUID
}

// xmpToUTF8 converts a packet that starts with a UTF-16 byte-order mark.
func xmpToUTF8(b []byte) []byte {
	var bo binary.ByteOrder
	switch {
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		bo = binary.BigEndian
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		bo = binary.LittleEndian
	default:
		return b
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 2; i+1 < len(b); i += 2 {
		u = append(u, bo.Uint16(b[i:]))
	}
	return []byte(string(utf16.Decode(u)))
}

// xmpAlt picks the x-default (else first) entry of a language alternative.
func xmpAlt(simple string, items []xmpItem) string {
	for _, it := range items {
		if it.lang == "x-default" {
			return it.text
		}
	}
	if len(items) > 0 {
		return items[0].text
	}
	return simple
}

// xmpNumber reads "56/10" or "5.6".
func xmpNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.ParseFloat(num, 64)
		d, err2 := strconv.ParseFloat(den, 64)
		if err1 != nil || err2 != nil || d == 0 {
			return 0, false
		}
		return n / d, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// set interprets one property.
func (px *xmpProps) set(name xml.Name, simple string, items []xmpItem) {
	src := px.src
	first := simple
	if len(items) > 0 {
		first = items[0].text
	}
	switch name.Space + name.Local {
	case xmpNSDC + "creator":
		var names []string
		for _, it := range items {
			names = append(names, it.text)
		}
		if len(items) == 0 {
			names = []string{simple}
		}
		metaSetStr(&src.creator, metaJoinNames(names))
	case xmpNSDC + "rights":
		metaSetStr(&src.copyright, metaClean(xmpAlt(simple, items), metaMaxText, false))
	case xmpNSDC + "description":
		metaSetStr(&src.caption, metaClean(xmpAlt(simple, items), metaMaxText, true))
	case xmpNSDC + "subject":
		if len(src.keywords) == 0 {
			if len(items) == 0 {
				items = []xmpItem{{text: simple}}
			}
			for _, it := range items {
				src.keywords = metaAddKeyword(src.keywords, it.text)
			}
		}
	case xmpNSPhotoshop + "Credit":
		metaSetStr(&src.credit, metaClean(first, metaMaxText, false))
	case xmpNSEXIF + "DateTimeOriginal":
		metaSetTime(&src.original, metaParseXMPTime(first))
	case xmpNSPhotoshop + "DateCreated":
		// photoshop:DateCreated is the MWG home of the capture date; it
		// ranks after exif:DateTimeOriginal, which is set above if present.
		if t := metaParseXMPTime(first); t.ok {
			if src.original.ok {
				metaSetTime(&src.digitized, t)
			} else {
				src.original = t
			}
		}
	case xmpNSXMP + "CreateDate":
		metaSetTime(&src.digitized, metaParseXMPTime(first))
	case xmpNSTIFF + "Make":
		metaSetStr(&src.make, metaClean(first, metaMaxText, false))
	case xmpNSTIFF + "Model":
		metaSetStr(&src.model, metaClean(first, metaMaxText, false))
	case xmpNSEXIFEX + "LensModel", xmpNSAux + "Lens":
		metaSetStr(&src.lens, metaClean(first, metaMaxText, false))
	case xmpNSEXIF + "FNumber":
		v, ok := xmpNumber(first)
		metaSetNum(&src.fnumber, v, ok)
	case xmpNSEXIF + "FocalLength":
		v, ok := xmpNumber(first)
		metaSetNum(&src.focal, v, ok)
	case xmpNSEXIF + "ExposureTime":
		v, ok := xmpNumber(first)
		metaSetNum(&src.exposure, v, ok)
	case xmpNSEXIF + "ISOSpeedRatings", xmpNSEXIFEX + "PhotographicSensitivity":
		if v, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && src.iso == 0 && v > 0 && v < 1<<24 {
			src.iso = v
		}
	case xmpNSEXIF + "GPSLatitude":
		px.lat = first
	case xmpNSEXIF + "GPSLongitude":
		px.lon = first
	case xmpNSEXIF + "GPSAltitude":
		px.alt = first
	case xmpNSEXIF + "GPSAltitudeRef":
		px.altRef = first
	case xmpNSNote + "HasExtendedXMP":
		if g := strings.TrimSpace(first); len(g) == 32 {
			px.extGUID = g
		}
	}
}

// finish interprets the GPS properties, written in XMP as "DDD,MM.mmk" or
// "DDD,MM,SSk" with k one of N, S, E, W.
func (px *xmpProps) finish() {
	if px.src.gps != nil || px.lat == "" || px.lon == "" {
		return
	}
	coord := func(s, neg string) (float64, bool) {
		s = strings.TrimSpace(s)
		v, ok := metaDegrees(metaNumbers(s, 3))
		if strings.HasSuffix(strings.ToUpper(s), neg) || strings.HasPrefix(s, "-") {
			v = -v
		}
		return v, ok
	}
	lat, ok1 := coord(px.lat, "S")
	lon, ok2 := coord(px.lon, "W")
	if !ok1 || !ok2 {
		return
	}
	var alt *float64
	if a, ok := xmpNumber(px.alt); ok {
		if strings.TrimSpace(px.altRef) == "1" {
			a = -a
		}
		alt = &a
	}
	px.src.gps = metaValidGPS(lat, lon, alt)
}

// ---------------------------------------------------------------------------
// PNG

// metaPNG walks PNG chunks for eXIf, XMP in iTXt, iCCP, and the hex "Raw
// profile type" text chunks ImageMagick writes.
func metaPNG(data []byte, s *metaSources) {
	for i := 8; i+8 <= len(data); {
		n := uint64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n > uint64(len(data)-i-8) {
			return
		}
		body := data[i+8 : i+8+int(n)]
		i += 8 + int(n) + 4 // CRC not checked: metadata is best effort
		switch typ {
		case "IEND":
			return
		case "eXIf":
			exifParse(bytes.TrimPrefix(body, []byte("Exif\x00\x00")), s)
		case "iCCP":
			_, rest, ok := bytes.Cut(body, []byte{0})
			if ok && len(rest) > 1 && rest[0] == 0 {
				if p := metaInflate(rest[1:], metaMaxICC); p != nil {
					s.setICC(p)
				}
			}
		case "iTXt":
			key, rest, ok := bytes.Cut(body, []byte{0})
			if !ok || len(rest) < 2 {
				continue
			}
			compressed := rest[0] == 1
			_, rest, ok = bytes.Cut(rest[2:], []byte{0}) // language
			if !ok {
				continue
			}
			_, text, ok := bytes.Cut(rest, []byte{0}) // translated keyword
			if !ok {
				continue
			}
			if compressed {
				if text = metaInflate(text, metaMaxXMP); text == nil {
					continue
				}
			}
			metaPNGText(string(key), text, s)
		case "tEXt", "zTXt":
			key, text, ok := bytes.Cut(body, []byte{0})
			if !ok {
				continue
			}
			if typ == "zTXt" {
				if len(text) < 1 || text[0] != 0 {
					continue
				}
				if text = metaInflate(text[1:], metaMaxXMP); text == nil {
					continue
				}
			}
			metaPNGText(string(key), text, s)
		}
	}
}

// metaPNGText handles one PNG text chunk by keyword.
func metaPNGText(key string, text []byte, s *metaSources) {
	switch key {
	case "XML:com.adobe.xmp":
		xmpParse(text, &s.xmp)
	case "Raw profile type exif", "Raw profile type APP1":
		if p := metaRawProfile(text); p != nil {
			p = bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
			if bytes.HasPrefix(p, []byte("http://ns.adobe.com/xap/1.0/\x00")) {
				xmpParse(p[len(metaJPEGXMP):], &s.xmp)
			} else {
				exifParse(p, s)
			}
		}
	case "Raw profile type xmp":
		if p := metaRawProfile(text); p != nil {
			xmpParse(p, &s.xmp)
		}
	case "Raw profile type iptc", "Raw profile type 8bim":
		if p := metaRawProfile(text); p != nil {
			p = bytes.TrimPrefix(p, metaJPEGPhotoshop)
			if len(p) > 0 && p[0] == 0x1C {
				iptcParse(p, &s.iptc)
			} else {
				irbParse(p, s)
			}
		}
	case "Raw profile type icc", "Raw profile type icm":
		if p := metaRawProfile(text); p != nil {
			s.setICC(p)
		}
	}
}

// metaRawProfile decodes ImageMagick's "\nNAME\n  LENGTH\nHEX..." text.
func metaRawProfile(text []byte) []byte {
	f := bytes.Fields(text)
	if len(f) < 3 {
		return nil
	}
	n, err := strconv.Atoi(string(f[1]))
	if err != nil || n <= 0 {
		return nil
	}
	hexLen := 0
	for _, h := range f[2:] {
		hexLen += len(h)
	}
	if n > hexLen/2 {
		return nil
	}
	out := make([]byte, 0, n)
	var hi byte
	half := false
	for _, h := range f[2:] {
		for _, c := range h {
			var v byte
			switch {
			case c >= '0' && c <= '9':
				v = c - '0'
			case c >= 'a' && c <= 'f':
				v = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v = c - 'A' + 10
			default:
				return nil
			}
			if half {
				out = append(out, hi<<4|v)
				if len(out) == n {
					return out
				}
			} else {
				hi = v
			}
			half = !half
		}
	}
	return nil
}

// metaInflate decompresses zlib data, giving up (nil) past max bytes. It
// inflates twice, first only counting, so that it allocates exactly the
// output size once instead of growing a buffer. A truncated stream yields
// what it held.
func metaInflate(b []byte, max int64) []byte {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, max+1))
	if n == 0 || n > max {
		return nil
	}
	if err := zr.(zlib.Resetter).Reset(bytes.NewReader(b), nil); err != nil {
		return nil
	}
	out := make([]byte, n)
	n2, _ := io.ReadFull(zr, out)
	return out[:n2]
}

// ---------------------------------------------------------------------------
// WebP

// metaWebP walks RIFF chunks for EXIF, XMP and ICCP.
func metaWebP(data []byte, s *metaSources) {
	for i := 12; i+8 <= len(data); {
		typ := string(data[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(data[i+4:]))
		if n > uint64(len(data)-i-8) {
			return
		}
		body := data[i+8 : i+8+int(n)]
		i += 8 + int(n) + int(n%2)
		switch typ {
		case "EXIF":
			exifParse(bytes.TrimPrefix(body, []byte("Exif\x00\x00")), s)
		case "XMP ":
			xmpParse(body, &s.xmp)
		case "ICCP":
			s.setICC(body)
		}
	}
}

// ---------------------------------------------------------------------------
// HEIF / AVIF (ISOBMFF)

// bmffIsHEIF reports whether data starts with an ftyp box naming a HEIF or
// AVIF brand.
func bmffIsHEIF(data []byte) bool {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return false
	}
	n := uint64(binary.BigEndian.Uint32(data))
	if n < 16 || n > uint64(len(data)) {
		n = uint64(min(len(data), 256))
	}
	for i := uint64(8); i+4 <= n; i += 4 {
		if i == 12 {
			continue // minor version
		}
		switch string(data[i : i+4]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs",
			"mif1", "mif2", "msf1", "miaf", "avif", "avis", "avio", "MiHE", "MiHA", "MiHB":
			return true
		}
	}
	return false
}

// bmffBoxes calls fn for each box in b, stopping at the first malformed one.
func bmffBoxes(b []byte, fn func(typ string, body []byte)) {
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return
		}
		fn(typ, b[hdr:size])
		b = b[size:]
	}
}

// bmffItem is what iinf and iloc say about one item.
type bmffItem struct {
	id      uint32
	typ     string
	mime    string
	method  int // iloc construction method: 0 file, 1 idat
	extents [][2]uint64
	located bool
}

// bmffParse reads the top-level meta box: Exif and XMP items, and the first
// colr box carrying an ICC profile.
func bmffParse(data []byte, s *metaSources) {
	bmffBoxes(data, func(typ string, body []byte) {
		if typ != "meta" || len(body) < 4 {
			return
		}
		var (
			items []bmffItem
			idat  []byte
		)
		find := func(id uint32) *bmffItem {
			for k := range items {
				if items[k].id == id {
					return &items[k]
				}
			}
			if len(items) >= metaMaxItems {
				return nil
			}
			items = append(items, bmffItem{id: id})
			return &items[len(items)-1]
		}
		bmffBoxes(body[4:], func(typ string, b []byte) {
			switch typ {
			case "iinf":
				bmffIinf(b, find)
			case "iloc":
				bmffIloc(b, find)
			case "idat":
				idat = b
			case "iprp":
				bmffColr(b, s, 0)
			}
		})
		for _, it := range items {
			if !it.located {
				continue
			}
			switch {
			case it.typ == "Exif":
				p := bmffItemData(data, idat, it)
				if len(p) < 4 {
					continue
				}
				off := uint64(binary.BigEndian.Uint32(p))
				if 4+off <= uint64(len(p)) && metaIsTIFF(p[4+off:]) {
					exifParse(p[4+off:], s)
					continue
				}
				// Some writers get the offset wrong: look for the header.
				for k := 4; k+4 <= len(p) && k < 64; k++ {
					if metaIsTIFF(p[k:]) {
						exifParse(p[k:], s)
						break
					}
				}
			case it.typ == "mime" && strings.HasPrefix(it.mime, "application/rdf+xml"):
				if p := bmffItemData(data, idat, it); p != nil {
					xmpParse(p, &s.xmp)
				}
			}
		}
	})
}

func metaIsTIFF(b []byte) bool {
	return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
}

// bmffIinf reads item infos (infe version 2 and 3: id, type, mime type).
func bmffIinf(b []byte, find func(uint32) *bmffItem) {
	if len(b) < 4 {
		return
	}
	skip := 6 // FullBox header + 16-bit entry count
	if b[0] != 0 {
		skip = 8
	}
	if len(b) < skip {
		return
	}
	bmffBoxes(b[skip:], func(typ string, e []byte) {
		if typ != "infe" || len(e) < 4 || e[0] < 2 {
			return
		}
		p := 4
		var id uint32
		if e[0] == 2 {
			if len(e) < p+2 {
				return
			}
			id = uint32(binary.BigEndian.Uint16(e[p:]))
			p += 2
		} else {
			if len(e) < p+4 {
				return
			}
			id = binary.BigEndian.Uint32(e[p:])
			p += 4
		}
		p += 2 // protection index
		if len(e) < p+4 {
			return
		}
		it := find(id)
		if it == nil {
			return
		}
		it.typ = string(e[p : p+4])
		p += 4
		if it.typ == "mime" {
			if _, rest, ok := bytes.Cut(e[p:], []byte{0}); ok { // item name
				it.mime = string(metaCString(rest))
			}
		}
	})
}

// bmffIloc reads item locations (versions 0, 1 and 2).
func bmffIloc(b []byte, find func(uint32) *bmffItem) {
	if len(b) < 6 {
		return
	}
	v := b[0]
	if v > 2 {
		return
	}
	offSize, lenSize := int(b[4]>>4), int(b[4]&15)
	baseSize, idxSize := int(b[5]>>4), 0
	if v >= 1 {
		idxSize = int(b[5] & 15)
	}
	p := 6
	read := func(n int) (uint64, bool) {
		if p+n > len(b) {
			return 0, false
		}
		var x uint64
		switch n {
		case 0:
		case 4:
			x = uint64(binary.BigEndian.Uint32(b[p:]))
		case 8:
			x = binary.BigEndian.Uint64(b[p:])
		default:
			return 0, false
		}
		p += n
		return x, true
	}
	read2 := func() (uint64, bool) {
		if p+2 > len(b) {
			return 0, false
		}
		x := uint64(binary.BigEndian.Uint16(b[p:]))
		p += 2
		return x, true
	}
	var count uint64
	var ok bool
	if v < 2 {
		count, ok = read2()
	} else {
		count, ok = read(4)
	}
	if !ok {
		return
	}
	for k := uint64(0); k < count; k++ {
		var id uint64
		if v < 2 {
			id, ok = read2()
		} else {
			id, ok = read(4)
		}
		if !ok {
			return
		}
		method := uint64(0)
		if v >= 1 {
			if method, ok = read2(); !ok {
				return
			}
			method &= 15
		}
		if _, ok = read2(); !ok { // data reference index
			return
		}
		base, ok := read(baseSize)
		if !ok {
			return
		}
		n, ok := read2()
		if !ok {
			return
		}
		if idxSize+offSize+lenSize == 0 {
			n = min(n, 1) // such extents take no bytes and are all alike
		}
		var extents [][2]uint64
		for x := uint64(0); x < n; x++ {
			if _, ok = read(idxSize); !ok {
				return
			}
			off, ok1 := read(offSize)
			ln, ok2 := read(lenSize)
			if !ok1 || !ok2 {
				return
			}
			if len(extents) < metaMaxExtents {
				extents = append(extents, [2]uint64{base + off, ln})
			}
		}
		if it := find(uint32(id)); it != nil && !it.located {
			it.method, it.extents, it.located = int(method), extents, true
		}
	}
}

// bmffItemData joins an item's extents from the file or the idat box. A
// zero length means "to the end" for a single extent.
func bmffItemData(file, idat []byte, it bmffItem) []byte {
	src := file
	switch it.method {
	case 0:
	case 1:
		src = idat
	default:
		return nil
	}
	if len(it.extents) == 1 {
		off, n := it.extents[0][0], it.extents[0][1]
		if off > uint64(len(src)) {
			return nil
		}
		if n == 0 {
			n = uint64(len(src)) - off
		}
		if n > uint64(len(src))-off {
			return nil
		}
		return src[off : off+n]
	}
	var out []byte
	for _, e := range it.extents {
		off, n := e[0], e[1]
		if off > uint64(len(src)) || n > uint64(len(src))-off || uint64(len(out))+n > uint64(len(src)) {
			return nil
		}
		out = append(out, src[off:off+n]...)
	}
	return out
}

// bmffColr finds the first colr box with an ICC profile under iprp/ipco.
func bmffColr(b []byte, s *metaSources, depth int) {
	if depth > metaMaxBMFF {
		return
	}
	bmffBoxes(b, func(typ string, body []byte) {
		switch typ {
		case "ipco":
			bmffColr(body, s, depth+1)
		case "colr":
			if len(body) >= 4 && (string(body[:4]) == "prof" || string(body[:4]) == "rICC") {
				s.setICC(body[4:])
			}
		}
	})
}
