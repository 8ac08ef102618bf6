package media

// This file draws the visible watermark that review links may put on
// previews: the owner's text, repeated diagonally across the whole picture.
//
// Why cgo rather than govips: govips v2.16 exposes libvips' text operation
// only through ImageRef.Label, which draws one horizontal line of text at
// one place in one colour. A watermark that cannot be cropped away needs the
// text image itself (to tile it, rotate it and give it an outline), so the
// pipeline below calls vips_text and the other libvips operations directly,
// as media.go already does for the engine settings. Every pixel is still
// rendered by libvips (text by Pango through vips_text); nothing here
// rasterises glyphs or blends pixels in Go.

/*
#cgo pkg-config: vips pango
#cgo LDFLAGS: -lm
#include <math.h>
#include <stdlib.h>
#include <vips/vips.h>
#include <pango/pango.h>

typedef struct {
	int font_px;          // font size (em) in pixels before any shrinking
	int max_text_width;   // the text is drawn smaller if wider than this
	double gap_x_em;      // space between repetitions along a line, in em
	double gap_y_em;      // space between lines, in em
	double angle;         // degrees, as vips_rotate takes them
	double fill_opacity;  // of the white letters, 0..1
	double shadow_opacity;
	double shadow_sigma_em;
	double shadow_gain;   // widens the blurred shadow into an outline
	int quality;
	int interlace;
	int subsample;        // VipsForeignSubsample
	int optimize_coding;
} WatermarkParams;

enum {
	WATERMARK_OK = 0,
	WATERMARK_VIPS_ERROR = 1,
	WATERMARK_NOT_RGB = 2,
	WATERMARK_BLANK = 3,      // the text draws nothing
	WATERMARK_TEXT_ERROR = 4, // vips_text failed (no glyphs, no font)
};

static int watermark_text(VipsImage **out, const char *markup, const char *family, int px) {
	// dpi 72: a size in points is a size in pixels.
	char *font = g_strdup_printf("%s %d", family, px);
	int r = vips_text(out, markup, "font", font, "dpi", 72, NULL);
	g_free(font);
	return r;
}

// watermark_jpeg decodes a JPEG, draws the tiled text on it and encodes it
// again; *out is g_malloc'ed. Returns a WATERMARK_ status.
static int watermark_jpeg(const void *buf, size_t len, const char *markup, const char *family,
		const WatermarkParams *p, void **out, size_t *outlen) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 26);
	int status = WATERMARK_VIPS_ERROR;
	VipsImage *in, *text;
	VipsArrayDouble *background = NULL;
	int w, h, px, gx, gy, tw, th, side;
	double ink;

	// Sequential: every step below is pixel-local to the photo, so it
	// streams through in strips and is never held whole in memory.
	if (vips_jpegload_buffer((void *) buf, len, &t[0], "access", VIPS_ACCESS_SEQUENTIAL,
			"fail_on", VIPS_FAIL_ON_WARNING, NULL))
		goto done;
	in = t[0];
	if (in->Bands != 3 || in->BandFmt != VIPS_FORMAT_UCHAR) {
		status = WATERMARK_NOT_RGB;
		goto done;
	}
	w = in->Xsize;
	h = in->Ysize;

	// The text once, as an 8-bit mask; drawn smaller when too wide.
	px = p->font_px;
	if (watermark_text(&t[1], markup, family, px)) {
		status = WATERMARK_TEXT_ERROR;
		goto done;
	}
	text = t[1];
	if (text->Xsize > p->max_text_width) {
		px = VIPS_MAX(1, (int) ((double) px * p->max_text_width / text->Xsize));
		if (watermark_text(&t[2], markup, family, px)) {
			status = WATERMARK_TEXT_ERROR;
			goto done;
		}
		text = t[2];
	}
	if (vips_max(text, &ink, NULL))
		goto done;
	if (ink == 0) {
		status = WATERMARK_BLANK;
		goto done;
	}

	// One tile: the text with half a gap around it, as one band that holds
	// both marks around a neutral 128: above it, the opacity of the white
	// letters (halved); below it, that of the dark outline around them
	// (halved). The outline is the letters blurred, amplified and cut out,
	// so the letters stay see-through and the outline makes them read on
	// light photos. One band instead of two halves the cost of rotating.
	gx = VIPS_MAX(2, (int) (p->gap_x_em * px));
	gy = VIPS_MAX(2, (int) (p->gap_y_em * px));
	tw = text->Xsize + gx;
	th = text->Ysize + gy;
	if (vips_embed(text, &t[3], gx / 2, gy / 2, tw, th, NULL) ||
		vips_gaussblur(t[3], &t[4], VIPS_MAX(0.5, p->shadow_sigma_em * px), NULL) ||
		vips_linear1(t[4], &t[5], p->shadow_gain, 0, "uchar", TRUE, NULL) ||
		vips_subtract(t[5], t[3], &t[6], NULL) ||
		vips_linear1(t[6], &t[7], 1, 0, "uchar", TRUE, NULL) ||
		vips_linear1(t[7], &t[8], -p->shadow_opacity / 2, 0, NULL) ||
		vips_linear1(t[3], &t[9], p->fill_opacity / 2, 128, NULL) ||
		vips_add(t[8], t[9], &t[10], NULL) ||
		vips_cast(t[10], &t[11], VIPS_FORMAT_UCHAR, NULL) ||
		// Brick pattern: every second line shifted by half a tile.
		vips_wrap(t[11], &t[12], "x", tw / 2, "y", 0, NULL) ||
		vips_join(t[11], t[12], &t[13], VIPS_DIRECTION_VERTICAL, NULL))
		goto done;
	// Computed once here, then read many times by replicate.
	if (!(t[14] = vips_image_copy_memory(t[13])))
		goto done;

	// A sheet of tiles at least as wide and tall as the photo's diagonal,
	// rotated about its centre: its middle then covers the photo at any
	// angle. Only the cropped part is ever computed.
	side = (int) ceil(hypot(w, h)) + 2;
	background = vips_array_double_newv(1, 128.0);
	if (vips_replicate(t[14], &t[15], side / tw + 2, side / t[14]->Ysize + 2, NULL) ||
		vips_rotate(t[15], &t[16], p->angle, "background", background, NULL) ||
		vips_crop(t[16], &t[17], (t[16]->Xsize - w) / 2, (t[16]->Ysize - h) / 2, w, h, NULL))
		goto done;
	// Rendered once into memory (w×h bytes): both marks below read it, and
	// libvips would otherwise rotate the sheet once for each.
	if (!(t[25] = vips_image_copy_memory(t[17])) ||
		// Back to two opacities, 0..255 each.
		vips_linear1(t[25], &t[18], 2, -256, "uchar", TRUE, NULL) ||
		vips_linear1(t[25], &t[19], -2, 256, "uchar", TRUE, NULL))
		goto done;

	// Outline first, letters over it: with blend, ifthenelse mixes
	// then/else in the proportion cond/255.
	if (vips_black(&t[20], w, h, "bands", 3, NULL) ||
		vips_invert(t[20], &t[21], NULL) ||
		vips_ifthenelse(t[19], t[20], in, &t[22], "blend", TRUE, NULL) ||
		vips_ifthenelse(t[18], t[21], t[22], &t[23], "blend", TRUE, NULL) ||
		vips_copy(t[23], &t[24], "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
		goto done;

	if (vips_jpegsave_buffer(t[24], out, outlen, "strip", TRUE, "Q", p->quality,
			"interlace", p->interlace, "subsample_mode", p->subsample,
			"optimize_coding", p->optimize_coding, NULL))
		goto done;
	status = WATERMARK_OK;
done:
	if (background)
		vips_area_unref(VIPS_AREA(background));
	g_object_unref(base);
	return status;
}

// watermark_vips_error returns a copy of libvips' error text (g_free it)
// and clears it.
static char *watermark_vips_error(void) {
	char *msg = g_strdup(vips_error_buffer());
	vips_error_clear();
	return msg;
}

// watermark_markup_check parses markup as vips_text does (Pango markup,
// no accelerator) and returns the text it would draw (g_free it) and
// whether any markup attribute was set, or NULL if it does not parse.
static char *watermark_markup_check(const char *markup, int *has_attrs) {
	PangoAttrList *attrs = NULL;
	char *text = NULL;
	GError *err = NULL;
	GSList *list;

	if (!pango_parse_markup(markup, -1, 0, &attrs, &text, NULL, &err)) {
		g_clear_error(&err);
		return NULL;
	}
	list = pango_attr_list_get_attributes(attrs);
	*has_attrs = list != NULL;
	g_slist_free_full(list, (GDestroyNotify) pango_attribute_destroy);
	pango_attr_list_unref(attrs);
	return text;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// WatermarkTextMax is the most characters (Unicode code points, after
// CheckWatermarkText's normalisation) a watermark text may have.
const WatermarkTextMax = 60

// ErrWatermarkText is wrapped by every error that refuses a watermark
// text, from CheckWatermarkText or from Watermark when the installed fonts
// draw nothing for it. Such an error's own text (err.Error()) is written for
// the owner and safe to show.
var ErrWatermarkText = errors.New("media: watermark text refused")

// watermarkTextError is a refused text: reason is for the owner, cause
// (if any) for the log.
type watermarkTextError struct {
	reason string
	cause  error
}

func (e *watermarkTextError) Error() string { return e.reason }

func (e *watermarkTextError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrWatermarkText}
	}
	return []error{ErrWatermarkText, e.cause}
}

func watermarkRefuse(format string, args ...any) error {
	return &watermarkTextError{reason: fmt.Sprintf(format, args...)}
}

// CheckWatermarkText validates and normalises the text an owner chose for a
// watermark, and returns the text to store, show and later pass to
// Watermark. Normalisation: every space character (no-break, thin,
// ideographic, …) becomes an ASCII space, runs of spaces become one, and the
// ends are trimmed. The result must then be 1 to WatermarkTextMax
// characters, valid UTF-8, and printable: control characters (tab and line
// breaks included), format characters (bidi overrides, zero-width joiners
// and the like), line and paragraph separators, private-use and unassigned
// code points, and invisible fillers are refused. Refusals wrap
// ErrWatermarkText and say in plain words what is wrong.
//
// The result is plain text, not markup: Watermark escapes it for libvips.
// CheckWatermarkText of its own result returns that result unchanged.
func CheckWatermarkText(text string) (string, error) {
	// Only a bound on the work done on absurd input: the real limit is
	// counted in characters below.
	if len(text) > 64*WatermarkTextMax {
		return "", watermarkRefuse("the watermark text is too long: at most %d characters are allowed", WatermarkTextMax)
	}
	if !utf8.ValidString(text) {
		return "", watermarkRefuse("the watermark text is not valid UTF-8 text")
	}
	var b strings.Builder
	n := 0
	space := false
	for _, r := range text {
		if unicode.Is(unicode.Zs, r) { // U+0020 and the other space characters
			space = n > 0
			continue
		}
		switch {
		case unicode.IsControl(r):
			return "", watermarkRefuse("the watermark text must be a single line without tabs or control characters (found %U)", r)
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return "", watermarkRefuse("the watermark text contains an invisible formatting character (%U); remove it", r)
		case !unicode.IsPrint(r):
			return "", watermarkRefuse("the watermark text contains a character that cannot be printed (%U)", r)
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	switch {
	case n == 0:
		return "", watermarkRefuse("the watermark text is empty")
	case n > WatermarkTextMax:
		return "", watermarkRefuse("the watermark text has %d characters; at most %d are allowed", n, WatermarkTextMax)
	}
	return b.String(), nil
}

// watermarkMarkup escapes plain text (as CheckWatermarkText returns it) for
// vips_text, which reads Pango markup, and proves the escaping with Pango's
// own parser: the markup must parse, set no attribute, and draw exactly
// plain. So no text can turn into markup, whatever it holds.
func watermarkMarkup(plain string) (string, error) {
	cPlain := C.CString(plain)
	defer C.free(unsafe.Pointer(cPlain))
	cMarkup := C.g_markup_escape_text(cPlain, -1)
	defer C.g_free(C.gpointer(cMarkup))
	markup := C.GoString(cMarkup)

	drawn, hasAttrs, ok := watermarkParseMarkup(markup)
	if !ok || hasAttrs || drawn != plain {
		return "", fmt.Errorf("media: watermark: escaped text does not read back as itself (parses %v, attributes %v)", ok, hasAttrs)
	}
	return markup, nil
}

// watermarkParseMarkup parses markup as vips_text does and returns the text
// it draws and whether it sets any attribute (bold, colour, size, …); ok
// is false when the markup does not parse.
func watermarkParseMarkup(markup string) (text string, hasAttrs, ok bool) {
	if strings.IndexByte(markup, 0) >= 0 {
		return "", false, false
	}
	cMarkup := C.CString(markup)
	defer C.free(unsafe.Pointer(cMarkup))
	var attrs C.int
	cText := C.watermark_markup_check(cMarkup, &attrs)
	if cText == nil {
		return "", false, false
	}
	defer C.g_free(C.gpointer(cText))
	return C.GoString(cText), attrs != 0, true
}

// How the watermark looks. TestWatermarkCoversWholeImage and
// TestWatermarkContrast check the result on busy, white and black pictures.
const (
	// watermarkFont is a Pango font description without size: DejaVu Sans
	// (Debian: fonts-dejavu-core) covers Latin, Greek, Cyrillic, Arabic and
	// Hebrew; fontconfig falls back to other installed fonts for the rest.
	watermarkFont = "DejaVu Sans,sans-serif Bold"
	// The letters are 4.5 % of the long edge (92 px on a 2048 px preview),
	// at least watermarkMinFontPx, and shrink so that one repetition is no
	// wider than the long edge.
	watermarkFontFraction = 0.045
	watermarkMinFontPx    = 10
	watermarkAngle        = -30 // rising from bottom left to top right
	watermarkGapXEm       = 1.5
	watermarkGapYEm       = 1.6
	watermarkFillOpacity  = 0.55
	watermarkShadowAlpha  = 0.6
	watermarkShadowSigma  = 0.035 // em; ~3 px at 92 px
	watermarkShadowGain   = 3
)

// Watermark returns preview with text drawn visibly over all of it: white,
// semi-transparent letters with a soft dark outline (legible on light and
// dark photos), 4.5 % of the long edge high, repeated in staggered lines at
// 30° so that no crop of a useful size escapes it.
//
// preview must be a JPEG as Derive makes it: 8-bit sRGB, upright. The
// result has the same dimensions and the encoder settings Derive uses for
// that size. Of the preview's metadata only the copyright fields Derive
// writes (creator, rights notice, credit) are kept: they are read from the
// preview and written again by Derive's own code, so a preview from Derive
// keeps its copyright segments byte for byte, and a JPEG that is not one
// cannot pass anything else (GPS, camera, ICC, comments) through.
//
// text is checked and normalised with CheckWatermarkText (errors wrap
// ErrWatermarkText); it is drawn literally, never read as markup. Watermark
// returns ErrNotStarted before Start; it does not retain preview and is
// safe for concurrent use.
func Watermark(preview []byte, text string) ([]byte, error) {
	plain, err := CheckWatermarkText(text)
	if err != nil {
		return nil, err
	}
	markup, err := watermarkMarkup(plain)
	if err != nil {
		return nil, err
	}
	return watermarkRender(preview, markup)
}

// watermarkRender is Watermark for text already turned into markup.
func watermarkRender(preview []byte, markup string) ([]byte, error) {
	info, err := Probe(preview, Limits{})
	if err != nil {
		return nil, fmt.Errorf("media: watermark: %w", err)
	}
	if info.Format != FormatJPEG || info.Orientation != 1 {
		return nil, fmt.Errorf("media: watermark: want an upright JPEG preview, got %s with orientation %d", info.Format, info.Orientation)
	}
	longEdge := max(info.Width, info.Height)
	if longEdge > deriveMaxLongEdge {
		return nil, fmt.Errorf("media: watermark: preview is %d×%d; previews are at most %d px", info.Width, info.Height, deriveMaxLongEdge)
	}
	meta, err := ExtractMetadata(preview)
	if err != nil {
		return nil, fmt.Errorf("media: watermark: %w", err)
	}
	var segments [][]byte
	if c := (Copyright{Creator: meta.Creator, Notice: meta.Copyright, Credit: meta.Credit}); !c.deriveEmpty() {
		segments = deriveCopyrightSegments(c)
	}

	jp := deriveJPEGParams(longEdge)
	params := C.WatermarkParams{
		font_px:         C.int(max(watermarkMinFontPx, int(math.Round(watermarkFontFraction*float64(longEdge))))),
		max_text_width:  C.int(longEdge),
		gap_x_em:        watermarkGapXEm,
		gap_y_em:        watermarkGapYEm,
		angle:           watermarkAngle,
		fill_opacity:    watermarkFillOpacity,
		shadow_opacity:  watermarkShadowAlpha,
		shadow_sigma_em: watermarkShadowSigma,
		shadow_gain:     watermarkShadowGain,
		quality:         C.int(jp.Quality),
		interlace:       watermarkCBool(jp.Interlace),
		subsample:       C.int(jp.SubsampleMode),
		optimize_coding: watermarkCBool(jp.OptimizeCoding),
	}
	cMarkup := C.CString(markup)
	defer C.free(unsafe.Pointer(cMarkup))
	cFont := C.CString(watermarkFont)
	defer C.free(unsafe.Pointer(cFont))
	var out unsafe.Pointer
	var outLen C.size_t
	// libvips reads preview only during this call: the operation cache is
	// off (Start), so no operation keeps the buffer afterwards.
	status := C.watermark_jpeg(unsafe.Pointer(&preview[0]), C.size_t(len(preview)), cMarkup, cFont, &params, &out, &outLen)
	runtime.KeepAlive(preview)
	switch status {
	case C.WATERMARK_OK:
	case C.WATERMARK_NOT_RGB:
		return nil, errors.New("media: watermark: preview is not 8-bit sRGB")
	case C.WATERMARK_BLANK, C.WATERMARK_TEXT_ERROR:
		cause := errors.New("media: watermark: the text draws nothing")
		if status == C.WATERMARK_TEXT_ERROR {
			cause = fmt.Errorf("media: watermark: draw text: %w", watermarkVipsError())
		}
		return nil, &watermarkTextError{reason: watermarkReasonBlank, cause: cause}
	default:
		return nil, fmt.Errorf("media: watermark: %w", watermarkVipsError())
	}
	encoded := C.GoBytes(out, C.int(outLen))
	C.g_free(C.gpointer(out))
	final, err := deriveInsertSegments(encoded, segments)
	if err != nil {
		return nil, fmt.Errorf("media: watermark: %w", err)
	}
	return final, nil
}

const watermarkReasonBlank = "the watermark text cannot be drawn with the fonts installed on this server; choose other characters"

// watermarkVipsError takes libvips' error message.
func watermarkVipsError() error {
	cMsg := C.watermark_vips_error()
	defer C.g_free(C.gpointer(cMsg))
	return probeVipsError(errors.New(C.GoString(cMsg)))
}

func watermarkCBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
