package export

import (
	"errors"
	"fmt"
	"time"
)

// Item is one asset of an export: its original file name and the marks
// to hand back to the photographer's editing tool.
//
// Rating, Label and Flag are the single verdict that goes into the XMP
// sidecar. How several reviewers' marks become one verdict (the owner's
// pick of a reviewer, the latest mark, a consensus) is the caller's
// decision, made before export; Marks and Comments keep every reviewer's
// own word for the CSV.
type Item struct {
	// Filename is the original file name as uploaded. Only its last path
	// element is used, cleaned (see SidecarName).
	Filename string
	Rating   int    // 0–5; 0 means not rated
	Label    string // "", "red", "yellow", "green", "blue" or "purple"
	Flag     string // "", "pick" or "reject"
	Marks    []Mark
	Comments []Comment
}

// Mark is one reviewer's rating, colour label and flag on one asset, as
// of At. Values follow the same rules as Item's.
type Mark struct {
	Reviewer string // display name; a guest's is whatever they typed
	Rating   int
	Label    string
	Flag     string
	At       time.Time
}

// Comment is one reviewer comment, plain text.
type Comment struct {
	Author string
	At     time.Time
	Body   string
}

// Colour labels and flags, as the review feature stores them.
const (
	LabelRed    = "red"
	LabelYellow = "yellow"
	LabelGreen  = "green"
	LabelBlue   = "blue"
	LabelPurple = "purple"

	FlagPick   = "pick"
	FlagReject = "reject"
)

// ErrInvalidMark is returned (wrapped, with the offending value) for a
// rating outside 0–5, an unknown label or an unknown flag. The review
// service refuses such values on input, so seeing this means a bug or a
// damaged row, and exporting a guess would hand the photographer a
// wrong selection.
var ErrInvalidMark = errors.New("invalid mark")

// lightroomLabels maps our labels to the text Lightroom's default colour
// label set ("Lightroom Default") stores in xmp:Label.
var lightroomLabels = map[string]string{
	LabelRed:    "Red",
	LabelYellow: "Yellow",
	LabelGreen:  "Green",
	LabelBlue:   "Blue",
	LabelPurple: "Purple",
}

func validateMark(rating int, label, flag string) error {
	if rating < 0 || rating > 5 {
		return fmt.Errorf("%w: rating %d is not 0–5", ErrInvalidMark, rating)
	}
	if _, ok := lightroomLabels[label]; label != "" && !ok {
		return fmt.Errorf("%w: unknown label %q", ErrInvalidMark, label)
	}
	if flag != "" && flag != FlagPick && flag != FlagReject {
		return fmt.Errorf("%w: unknown flag %q", ErrInvalidMark, flag)
	}
	return nil
}

// Validate reports whether the item's verdict and every mark are within
// the rules above. The error names the file so a log line is enough to
// find the row.
func (it Item) Validate() error {
	if err := validateMark(it.Rating, it.Label, it.Flag); err != nil {
		return fmt.Errorf("export: %s: %w", cleanName(it.Filename), err)
	}
	for _, m := range it.Marks {
		if err := validateMark(m.Rating, m.Label, m.Flag); err != nil {
			return fmt.Errorf("export: %s, mark by %q: %w", cleanName(it.Filename), m.Reviewer, err)
		}
	}
	return nil
}

// marked reports whether the verdict says anything at all.
func (it Item) marked() bool {
	return it.Rating != 0 || it.Label != "" || it.Flag != ""
}
