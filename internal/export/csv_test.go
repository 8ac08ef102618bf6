package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	t1 = time.Date(2025, 5, 1, 9, 30, 0, 0, time.UTC)
	t2 = time.Date(2025, 5, 1, 11, 45, 10, 0, time.FixedZone("CEST", 2*3600)) // 09:45:10 UTC
)

// hostileComments are comment bodies a guest could type; each must reach
// the CSV as text, never as a formula.
var hostileComments = []string{
	"Love this one!",
	"-2 stops darker please",
	"=cmd|' /C calc'!A0",
	"+1 from me",
	"@SUM(1+1)",
	"\t=1+1",
	"\r\n=1+1",
	"＝1+1",
	"first line\nsecond line",
	"<script>alert(1)</script>",
	`"]]><!--`,
	"😍👍 perfect",
	"nul\x00byte\x07bell",
}

func reviewItems() []Item {
	var comments []Comment
	for i, body := range hostileComments {
		comments = append(comments, Comment{Author: "Ben", At: t1.Add(time.Duration(i) * time.Minute), Body: body})
	}
	return []Item{
		{
			Filename: "IMG_0001.jpg", Rating: 4, Label: LabelRed, Flag: FlagPick,
			Marks: []Mark{
				{Reviewer: "Anna", Rating: 4, Label: LabelRed, Flag: FlagPick, At: t1},
				{Reviewer: `=HYPERLINK("http://evil.example","click")`, Flag: FlagReject, At: t2},
			},
			Comments: comments,
		},
		{
			Filename: "Zoë, café.jpg",
			Marks:    []Mark{{Reviewer: "Zoë 🌸", Rating: 5, Label: LabelPurple}}, // no time known
		},
		{Filename: "IMG_0009.jpg"}, // nothing to say: no row
	}
}

func TestCSVGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := CSV(&buf, reviewItems()); err != nil {
		t.Fatal(err)
	}
	golden(t, "review.csv", buf.Bytes())
}

func TestCSVReadsBackAsText(t *testing.T) {
	var buf bytes.Buffer
	if err := CSV(&buf, reviewItems()); err != nil {
		t.Fatal(err)
	}
	data, ok := bytes.CutPrefix(buf.Bytes(), []byte(utf8BOM))
	if !ok {
		t.Fatalf("CSV does not start with the UTF-8 BOM: %q", buf.Bytes()[:8])
	}
	if !bytes.Contains(data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("CSV lines do not all end with CRLF")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], csvHeader) {
		t.Errorf("header = %q; want %q", rows[0], csvHeader)
	}
	want := [][]string{
		{"IMG_0001.jpg", "mark", "Anna", "2025-05-01 09:30:00", "4", "red", "pick", ""},
		{"IMG_0001.jpg", "mark", `'=HYPERLINK("http://evil.example","click")`, "2025-05-01 09:45:10", "", "", "reject", ""},
	}
	for i, body := range hostileComments {
		cell := strings.NewReplacer("\x00", "", "\x07", "", "\r\n", "\n").Replace(body)
		if strings.ContainsAny(cell[:1], "=+-@\t\n") || strings.HasPrefix(cell, "＝") {
			cell = "'" + cell
		}
		at := t1.Add(time.Duration(i) * time.Minute).Format(time.DateTime)
		want = append(want, []string{"IMG_0001.jpg", "comment", "Ben", at, "", "", "", cell})
	}
	want = append(want, []string{"Zoë, café.jpg", "mark", "Zoë 🌸", "", "5", "purple", "", ""})
	if !reflect.DeepEqual(rows[1:], want) {
		for i := range max(len(rows)-1, len(want)) {
			var g, w []string
			if i+1 < len(rows) {
				g = rows[i+1]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("row %d = %q; want %q", i+1, g, w)
			}
		}
	}
	// Whatever the input, no cell may start a formula.
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune(formulaStarts, []rune(cell)[0]) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
}

func TestCSVLongCommentRoundTrips(t *testing.T) {
	body := strings.Repeat(`He said "no", then: 写真 📷, `+"\n", 100<<10/10)[:100<<10]
	body = strings.ToValidUTF8(body, "")
	var buf bytes.Buffer
	err := CSV(&buf, []Item{{Filename: "a.jpg", Comments: []Comment{{Author: "A", At: t1, Body: body}}}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte(utf8BOM)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][7] != body {
		t.Errorf("a %d-byte comment did not come back unchanged (%d rows)", len(body), len(rows))
	}
}

func TestCSVRefusesInvalidMarksBeforeWriting(t *testing.T) {
	for _, m := range []Mark{{Rating: 6}, {Label: "orange"}, {Flag: "later"}} {
		var buf bytes.Buffer
		err := CSV(&buf, []Item{{Filename: "ok.jpg"}, {Filename: "bad.jpg", Marks: []Mark{m}}})
		if !errors.Is(err, ErrInvalidMark) || buf.Len() != 0 {
			t.Errorf("CSV with mark %+v = %v, %d bytes written; want ErrInvalidMark and nothing written", m, err, buf.Len())
		}
	}
}

type failingWriter struct{ after int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errDiskFull
	}
	n := min(len(p), w.after)
	w.after -= n
	if n < len(p) {
		return n, errDiskFull
	}
	return n, nil
}

func TestCSVReportsWriteErrors(t *testing.T) {
	for _, after := range []int{0, 10, 200} {
		err := CSV(&failingWriter{after: after}, reviewItems())
		if !errors.Is(err, errDiskFull) {
			t.Errorf("CSV to a writer failing after %d bytes = %v; want errDiskFull", after, err)
		}
	}
}
