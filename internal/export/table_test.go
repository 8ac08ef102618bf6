package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestTableIsSafeToOpen(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]string{
		{"1", "=HYPERLINK(\"http://evil\")", "Street", "+1", "@SUM(A1)"},
		{"2", "Quiet\x00 river\x07", "-", "ok", "＝1+1"},
	}
	if err := Table(&buf, []string{"entry", "title", "category", "a", "b"}, rows); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, utf8BOM) || !strings.Contains(out, "\r\n") {
		t.Fatalf("not Excel-ready UTF-8 CSV: %q", out)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"entry", "title", "category", "a", "b"},
		{"1", "'=HYPERLINK(\"http://evil\")", "Street", "'+1", "'@SUM(A1)"},
		{"2", "Quiet river", "'-", "ok", "'＝1+1"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records; want %d: %q", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q; want %q", i, recs[i], want[i])
		}
	}
}
