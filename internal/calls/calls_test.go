package calls

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"safelight/internal/library"
	"safelight/internal/media"
)

func TestTermsHashIsOfTheTextShown(t *testing.T) {
	tm, err := checkTerms(TermsInput{Body: "Entrants keep copyright.", Rights: []string{RightPublication, RightExhibition}, SharedData: []string{ShareEmail, ShareName}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tm.Text))
	if tm.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 = %s; want the hash of Text", tm.SHA256)
	}
	// Rights and shared data are in the text, in a fixed order, so that
	// the hash changes with them and not with the order they were given.
	if want := []string{RightJudging, RightExhibition, RightPublication}; strings.Join(tm.Rights, ",") != strings.Join(want, ",") {
		t.Errorf("Rights = %v; want %v", tm.Rights, want)
	}
	if !strings.Contains(tm.Text, "judging, exhibition, publication") || !strings.Contains(tm.Text, "name, email") {
		t.Errorf("the text does not name the rights and shared data:\n%s", tm.Text)
	}
	fewer, err := checkTerms(TermsInput{Body: "Entrants keep copyright.", Rights: []string{RightExhibition}})
	if err != nil {
		t.Fatal(err)
	}
	if fewer.SHA256 == tm.SHA256 {
		t.Error("terms granting fewer rights have the same hash")
	}
	if !strings.Contains(fewer.Text, "organizer receives: nothing") {
		t.Errorf("terms sharing nothing do not say so:\n%s", fewer.Text)
	}
	for _, bad := range []TermsInput{{Body: ""}, {Body: "x", Rights: []string{"sell"}}, {Body: "x", SharedData: []string{"phone"}}, {Body: strings.Repeat("x", 50001)}, {Body: "a\x00b"}} {
		if _, err := checkTerms(bad); err == nil {
			t.Errorf("checkTerms(%.40q) accepted", bad)
		}
	}
}

func TestEffectiveState(t *testing.T) {
	deadline := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := Call{State: StateOpen, OpensAt: deadline.Add(-48 * time.Hour), Deadline: deadline}
	cases := []struct {
		now   time.Time
		state State
		err   error
	}{
		{deadline.Add(-72 * time.Hour), StateOpen, ErrNotOpenYet},
		{deadline.Add(-time.Second), StateOpen, nil},
		{deadline, StateClosed, ErrDeadlinePassed},
	}
	for _, tc := range cases {
		if got := c.Effective(tc.now); got != tc.state {
			t.Errorf("Effective(%v) = %s; want %s", tc.now, got, tc.state)
		}
		if err := c.AcceptsEntries(tc.now); !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
			t.Errorf("AcceptsEntries(%v) = %v; want %v", tc.now, err, tc.err)
		}
	}
	c.State = StateDraft
	if err := c.AcceptsEntries(deadline.Add(-time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a draft accepts entries: %v", err)
	}
}

func TestScales(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		ok   []int
		fail []int
	}{
		{ModeStarsAvg, []int{1, 3, 5}, []int{0, 6, -1}},
		{ModeStarsSum, []int{1, 5}, []int{0, 6}},
		{ModeYesNo, []int{0, 1}, []int{2, -1, 5}},
		{ModeNone, nil, []int{0, 1, 3}},
	} {
		for _, s := range tc.ok {
			if !tc.m.ValidScore(s) {
				t.Errorf("%s refuses %d", tc.m, s)
			}
		}
		for _, s := range tc.fail {
			if tc.m.ValidScore(s) {
				t.Errorf("%s accepts %d", tc.m, s)
			}
		}
	}
}

func TestParseTime(t *testing.T) {
	got, err := ParseTime("2026-12-31T23:59", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 31, 22, 59, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("local time in Berlin = %v; want %v", got, want)
	}
	got, err = ParseTime("2026-06-30T12:00:00-04:00", "")
	if err != nil || !got.Equal(time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("RFC 3339 = %v, %v", got, err)
	}
	for _, bad := range [][2]string{{"2026-12-31T23:59", ""}, {"2026-12-31T23:59", "Mars/Olympus"}, {"tomorrow", "UTC"}} {
		if _, err := ParseTime(bad[0], bad[1]); !errors.Is(err, ErrInvalidSchedule) {
			t.Errorf("ParseTime(%q, %q) = %v; want ErrInvalidSchedule", bad[0], bad[1], err)
		}
	}
}

func TestCheckRequirements(t *testing.T) {
	c := Call{Limits: Limits{MaxFileBytes: 10 << 20}, Requirements: Requirements{
		Formats: []string{"jpeg", "tiff"}, MinLongEdge: 3000, ColorProfile: true, Orientation: Landscape}}
	good := library.Asset{ID: "good", Status: library.StatusReady, Format: media.FormatJPEG, Width: 4000, Height: 3000,
		PreviewWidth: 2048, PreviewHeight: 1536, Size: 5 << 20, ColorProfile: "Adobe RGB (1998)"}
	if p := CheckRequirements(c, []library.Asset{good}); len(p) != 0 {
		t.Fatalf("a conforming image has problems: %v", p)
	}
	bad := good
	bad.ID, bad.Format, bad.Width, bad.Height, bad.ColorProfile, bad.Size = "bad", media.FormatPNG, 2000, 2500, "", 11<<20
	bad.PreviewWidth, bad.PreviewHeight = 1638, 2048 // portrait once upright
	p := CheckRequirements(c, []library.Asset{good, bad})
	var reasons []string
	for _, pr := range p {
		if pr.AssetID != "bad" {
			t.Errorf("problem reported for %s", pr.AssetID)
		}
		reasons = append(reasons, pr.Reason)
	}
	all := strings.Join(reasons, " | ")
	for _, want := range []string{"png files are not accepted", "long edge is 2500 pixels", "no embedded colour profile", "must be landscape", "limit is 10.0 MB"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems %q do not say %q", all, want)
		}
	}
	processing := good
	processing.Status = library.StatusProcessing
	if p := CheckRequirements(c, []library.Asset{processing}); len(p) != 1 || !strings.Contains(p[0].Reason, "processed") {
		t.Errorf("an image still processing: %v", p)
	}
}
