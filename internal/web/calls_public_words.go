package web

import (
	"strconv"
	"strings"
	"time"

	"safelight/internal/calls"
)

// The words the call and entry pages use for schedules, limits,
// requirements and states, so that an entrant never decodes a setting.

// callTime is a moment of a call as the page shows it: in the call's own
// time zone, named, and as an instant that static/calls.js also shows in
// the visitor's local time.
type callTime struct {
	Text string // "Friday 13 March 2026, 23:59 CET"
	Zone string // "Europe/Berlin"
	ISO  string // RFC 3339, UTC
}

// inZone shows t in the IANA zone tz (UTC when tz is unknown).
func inZone(t time.Time, tz string) callTime {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		loc, tz = time.UTC, "UTC"
	}
	return callTime{Text: t.In(loc).Format("Monday 2 January 2006, 15:04 MST"), Zone: tz, ISO: t.UTC().Format(time.RFC3339)}
}

// countdown words the time left until deadline ("Closes in 3 days"), or
// since it passed ("Closed 2 hours ago"). static/calls.js keeps it
// current with the same words.
func countdown(deadline, now time.Time) string {
	d := deadline.Sub(now)
	switch {
	case d <= 0:
		return "Closed " + ago(deadline, now)
	case d < time.Minute:
		return "Closes in less than a minute"
	case d < time.Hour:
		return "Closes in " + count(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return "Closes in " + count(int(d/time.Hour), "hour")
	}
	return "Closes in " + count(int(d/(24*time.Hour)), "day")
}

// stateText says where a call is, for people.
func stateText(c calls.Call, now time.Time) string {
	switch c.Effective(now) {
	case calls.StateDraft:
		return "Draft: not published"
	case calls.StateOpen:
		if now.Before(c.OpensAt) {
			return "Opens soon"
		}
		return "Open for entries"
	case calls.StateClosed:
		return "Closed: the jury will judge soon"
	case calls.StateJudging:
		return "Closed: being judged"
	case calls.StateResults:
		return "Results published"
	}
	return string(c.State)
}

// limitWords lists a call's limits.
func limitWords(l calls.Limits) []string {
	entries := "One entry per photographer"
	if l.EntriesPerEntrant > 1 {
		entries = "Up to " + strconv.Itoa(l.EntriesPerEntrant) + " entries per photographer"
	}
	images := "One image per entry"
	if l.ImagesPerEntry > 1 {
		images = "1 to " + strconv.Itoa(l.ImagesPerEntry) + " images per entry"
	}
	return []string{entries, images, "Files up to " + humanBytes(l.MaxFileBytes) + " each"}
}

// requirementWords lists what every image must be, one check each:
// "JPEG or TIFF", "Long edge at least 3000 px", "Embedded colour
// profile", "Landscape".
func requirementWords(c calls.Call) []string {
	r := c.Requirements
	var out []string
	if len(r.Formats) > 0 {
		names := make([]string, len(r.Formats))
		for i, f := range r.Formats {
			names[i] = formatName(f)
		}
		out = append(out, orList(names))
	} else {
		out = append(out, "Any image format Safelight reads")
	}
	if r.MinLongEdge > 0 {
		out = append(out, "Long edge at least "+strconv.Itoa(r.MinLongEdge)+" px")
	}
	if r.ColorProfile {
		out = append(out, "Embedded colour profile")
	}
	switch r.Orientation {
	case calls.Landscape:
		out = append(out, "Landscape")
	case calls.Portrait:
		out = append(out, "Portrait")
	case calls.Square:
		out = append(out, "Square")
	}
	return out
}

// requirementLine is the checks in one line: "JPEG or TIFF, long edge at
// least 3000 px, embedded colour profile, landscape".
func requirementLine(checks []string) string {
	parts := make([]string, len(checks))
	for i, c := range checks {
		if i > 0 { // only the formats come first, and they keep their capitals
			c = strings.ToLower(c[:1]) + c[1:]
		}
		parts[i] = c
	}
	return strings.Join(parts, ", ")
}

// orList joins words with commas and a final "or".
func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// termsRightNames are the rights a call's terms may grant, as the entrant
// reads them.
var termsRightNames = map[string]string{
	calls.RightJudging:     "judging",
	calls.RightExhibition:  "exhibition",
	calls.RightPublication: "publication (results page, winners gallery)",
	calls.RightPromotion:   "promotion",
}

func termsRightsText(rights []string) string {
	out := make([]string, len(rights))
	for i, r := range rights {
		if w, ok := termsRightNames[r]; ok {
			out[i] = w
		} else {
			out[i] = r
		}
	}
	return strings.Join(out, ", ")
}

// termsSharedText says what the organizer learns about the entrant.
func termsSharedText(shared []string) string {
	if len(shared) == 0 {
		return "Nothing: jurors and organizers see your entry without your name."
	}
	words := map[string]string{calls.ShareName: "your name", calls.ShareEmail: "your e-mail address"}
	out := make([]string, len(shared))
	for i, s := range shared {
		out[i] = words[s]
		if out[i] == "" {
			out[i] = s
		}
	}
	s := strings.Join(out, " and ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// entryTitle is an entry's title, or what stands in for none yet.
func entryTitle(t string) string {
	if t == "" {
		return "Untitled entry"
	}
	return t
}

// entryStateText says where an entry is.
func entryStateText(e calls.Entry, needsConsent bool) string {
	switch {
	case e.State == calls.EntryDraft:
		return "Draft"
	case e.State == calls.EntryWithdrawn:
		return "Withdrawn"
	case needsConsent:
		return "Submitted: accept the new terms"
	}
	return "Submitted"
}

// imageCount words a number of images.
func imageCount(n int) string {
	switch n {
	case 0:
		return "No images yet"
	case 1:
		return "1 image"
	}
	return count(n, "image")
}
