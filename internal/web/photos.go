package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/httpx"
	"safelight/internal/library"
)

// pageSize is how many photos a grid page renders on the server; the
// library's script asks the API for more as the visitor scrolls.
const pageSize = 60

// tile is one photo of a grid (templates/partials/tile.html; the trash
// uses it too).
type tile struct {
	ID       string
	Status   string // "ready", "processing" or "failed"
	Alt      string
	ThumbURL string
	W, H     int   // the thumbnail's size when ready, else the original's (for the aspect ratio)
	Sort     int64 // position in the library's order, in Unix milliseconds
	Reason   string

	// Trash only.
	TrashedAgo string
	TrashedAt  string
	TrashedISO string
	PurgeOn    string
}

// altText is what a photo's tile says to people who cannot see it.
func altText(a library.Asset) string {
	if a.Private.Caption != "" {
		return a.Private.Caption
	}
	if a.Private.Filename != "" {
		return a.Private.Filename
	}
	return "Photo"
}

func thumbURL(id string) string    { return "/api/v1/assets/" + id + "/thumb" }
func previewURL(id string) string  { return "/api/v1/assets/" + id + "/preview" }
func originalURL(id string) string { return "/api/v1/assets/" + id + "/original" }

func tileOf(a library.Asset) tile {
	t := tile{ID: a.ID, Status: string(a.Status), Alt: altText(a), W: a.Width, H: a.Height,
		Sort: a.SortAt.UnixMilli(), Reason: sentence(a.FailureReason)}
	if a.Status == library.StatusReady && a.ThumbWidth > 0 && a.ThumbHeight > 0 {
		t.ThumbURL, t.W, t.H = thumbURL(a.ID), a.ThumbWidth, a.ThumbHeight
	} else if a.Status == library.StatusReady {
		t.Status = string(library.StatusProcessing) // no thumbnail recorded: let the page ask again
	}
	return t
}

// libraryError maps the library's errors on page routes: anything the
// caller may not see, or that is gone, is a page that does not exist.
func libraryError(err error) error {
	switch {
	case errors.Is(err, library.ErrNotFound), errors.Is(err, library.ErrNotReady):
		return httpx.NotFound()
	case errors.Is(err, library.ErrBadCursor):
		return &httpx.Error{Status: http.StatusBadRequest, Message: "this page of photos does not exist any more; start again from the first page", Cause: err}
	}
	return err
}

// humanBytes writes a size the way the library words its upload limit
// ("200 MB" is 200 × 1024 × 1024 bytes), with one decimal below 100.
func humanBytes(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
	units := []string{"KB", "MB", "GB", "TB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if r := math.Round(v*10) / 10; v < 100 && r != math.Trunc(r) {
		return strconv.FormatFloat(r, 'f', 1, 64) + " " + units[i]
	}
	return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + " " + units[i]
}

// formatNames are the names photographers use for the formats the
// library reads.
var formatNames = map[string]string{
	"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF", "webp": "WebP", "heif": "HEIF", "avif": "AVIF",
}

func formatName(f string) string {
	if n, ok := formatNames[f]; ok {
		return n
	}
	return strings.ToUpper(f)
}

// number writes a measurement without trailing zeros: 50, 2.8, 0.5.
func number(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// exposure words the exposure triangle and focal length the way cameras
// show them: "50 mm", "f/2.8", "1/250 s", "ISO 200"; empty when unknown.
type exposure struct{ Focal, Aperture, Shutter, ISO string }

func exposureOf(a library.Asset) exposure {
	var e exposure
	if a.FocalLengthMM > 0 {
		e.Focal = number(a.FocalLengthMM) + " mm"
	}
	if a.FNumber > 0 {
		e.Aperture = "f/" + number(a.FNumber)
	}
	switch {
	case a.ExposureText != "":
		e.Shutter = a.ExposureText + " s"
	case a.ExposureSeconds > 0:
		e.Shutter = number(a.ExposureSeconds) + " s"
	}
	if a.ISO > 0 {
		e.ISO = "ISO " + strconv.Itoa(a.ISO)
	}
	return e
}

// summary is the one line under a photo's name: "50 mm · f/2.8 · 1/250 s
// · ISO 200".
func (e exposure) summary() string {
	var parts []string
	for _, s := range []string{e.Focal, e.Aperture, e.Shutter, e.ISO} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}

// takenAt words a capture time. With the camera's offset it is exact;
// without one it is the camera's clock in a time zone nobody recorded.
func takenAt(a library.Asset) (value, note string) {
	if a.TakenAt.IsZero() {
		return "", ""
	}
	if a.TakenAtHasOffset {
		return a.TakenAt.Format("2 Jan 2006, 15:04:05 UTC-07:00"), ""
	}
	return a.TakenAt.Format("2 Jan 2006, 15:04:05"), "(camera clock, time zone unknown)"
}

// coordinates words a position in degrees with hemispheres, to about a
// metre: "52.52000° N, 13.40500° E".
func coordinates(g library.GPS) string {
	hemi := func(v float64, pos, neg string) string {
		h := pos
		if v < 0 {
			h, v = neg, -v
		}
		return strconv.FormatFloat(v, 'f', 5, 64) + "° " + h
	}
	return hemi(g.Latitude, "N", "S") + ", " + hemi(g.Longitude, "E", "W")
}

// detailGroup is one section of the viewer's details panel.
type detailGroup struct {
	Heading string
	Rows    []detailRow
}

type detailRow struct {
	Label string
	Value string
	Note  string   // quieter words after the value
	Title string   // a tooltip with the exact value
	List  []string // shown as chips instead of Value
	Mono  bool     // hashes and such
}

// details lists everything known about a photo for its owner, in the
// order photographers look for it; rows without a value are left out.
func details(a library.Asset) []detailGroup {
	var groups []detailGroup
	add := func(heading string, rows ...detailRow) {
		var kept []detailRow
		for _, r := range rows {
			if r.Value != "" || len(r.List) > 0 {
				kept = append(kept, r)
			}
		}
		if len(kept) > 0 {
			groups = append(groups, detailGroup{Heading: heading, Rows: kept})
		}
	}
	e := exposureOf(a)
	taken, note := takenAt(a)
	add("Capture",
		detailRow{Label: "Taken", Value: taken, Note: note},
		detailRow{Label: "Camera", Value: a.Camera()},
		detailRow{Label: "Lens", Value: a.Lens},
		detailRow{Label: "Focal length", Value: e.Focal},
		detailRow{Label: "Aperture", Value: e.Aperture},
		detailRow{Label: "Shutter", Value: e.Shutter},
		detailRow{Label: "ISO", Value: strings.TrimPrefix(e.ISO, "ISO ")},
	)
	var dims string
	if a.Width > 0 && a.Height > 0 {
		mp := float64(a.Width) * float64(a.Height) / 1e6
		dims = fmt.Sprintf("%d × %d px", a.Width, a.Height)
		if mp >= 0.1 {
			dims += fmt.Sprintf(" · %.1f MP", mp)
		}
	}
	add("Image",
		detailRow{Label: "Dimensions", Value: dims},
		detailRow{Label: "Format", Value: formatName(string(a.Format))},
		detailRow{Label: "Size", Value: humanBytes(a.Size), Title: strconv.FormatInt(a.Size, 10) + " bytes"},
		detailRow{Label: "Colour profile", Value: a.ColorProfile},
	)
	add("Description",
		detailRow{Label: "Caption", Value: a.Private.Caption},
		detailRow{Label: "Keywords", List: a.Private.Keywords},
	)
	add("Rights",
		detailRow{Label: "Creator", Value: a.Private.Creator},
		detailRow{Label: "Copyright", Value: a.Private.Copyright},
		detailRow{Label: "Credit", Value: a.Private.Credit},
	)
	if g := a.Private.GPS; g != nil {
		var alt string
		if g.Altitude != nil {
			alt = number(math.Round(*g.Altitude)) + " m"
		}
		add("Location",
			detailRow{Label: "Coordinates", Value: coordinates(*g)},
			detailRow{Label: "Altitude", Value: alt},
		)
	}
	add("File",
		detailRow{Label: "Name", Value: a.Private.Filename},
		detailRow{Label: "Uploaded", Value: exact(a.CreatedAt)},
		detailRow{Label: "SHA-256", Value: a.Private.SHA256, Mono: true},
	)
	return groups
}

// accessRow is one line of "Who saw this image".
type accessRow struct {
	Actor  string
	Action string
	Via    string
	When   string
	At     string
	ISO    string
}

var accessActions = map[string]string{
	"original": "downloaded the original",
	"preview":  "viewed the preview",
	"thumb":    "saw the thumbnail",
	"metadata": "read the details",
}

var accessVias = map[string]string{
	"owner": "as the owner",
}

func accessRowOf(e library.AccessEvent, now time.Time) accessRow {
	actor := e.ActorLabel
	switch actor {
	case "":
		actor = "Someone"
	case "you":
		actor = "You"
	}
	action, ok := accessActions[e.Action]
	if !ok {
		action = "opened it (" + e.Action + ")"
	}
	via, ok := accessVias[e.Via]
	if !ok {
		via = "through " + e.Via
	}
	return accessRow{Actor: actor, Action: action, Via: via, When: ago(e.At, now), At: exact(e.At),
		ISO: e.At.UTC().Format(time.RFC3339)}
}
