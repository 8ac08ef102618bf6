package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// utf8BOM starts the CSV. Excel on Windows opens a UTF-8 file without it
// in the local ANSI code page, which garbles every accented or non-Latin
// reviewer name and comment; with it, Excel, Numbers, LibreOffice and
// Google Sheets all read UTF-8. Programs that read the file should skip it
// (Python: encoding="utf-8-sig").
const utf8BOM = "\ufeff"

// csvHeader names the columns CSV writes.
var csvHeader = []string{"file", "kind", "name", "time_utc", "rating", "label", "flag", "comment"}

// CSV writes every reviewer mark and every comment of items to w as CSV:
// a header, then per item (in the order given) one "mark" row per Mark and
// one "comment" row per Comment, in their order. Columns:
//
//	file      original file name, cleaned as in downloads
//	kind      "mark" or "comment"
//	name      the reviewer or comment author
//	time_utc  "2006-01-02 15:04:05" in UTC, a form spreadsheets parse as a date; empty if unknown
//	rating    1–5, empty when not rated (marks only)
//	label     red, yellow, green, blue, purple or empty (marks only)
//	flag      pick, reject or empty (marks only)
//	comment   the comment text, line breaks kept (comments only)
//
// An item without marks or comments has no row; FileList lists the whole
// selection.
//
// The file starts with a UTF-8 byte order mark and ends lines with CRLF,
// for Excel. Every text cell that a spreadsheet would read as a formula
// (starting with = + - @, a tab, CR, LF, NUL, or the full-width ＝ ＋ － ＠
// that Excel also accepts) gets a leading ' — OWASP's advice against CSV
// injection, ASVS 5.0 V1.2.10 — because names and comments are typed by
// guests and the file is opened by the photographer. Invalid UTF-8 and
// control characters other than tab and line breaks are removed from
// text cells.
//
// All marks are validated first; an invalid one (ErrInvalidMark) fails
// before anything is written. Write errors from w are returned.
func CSV(w io.Writer, items []Item) error {
	for _, it := range items {
		if err := it.Validate(); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	for _, it := range items {
		file := csvText(cleanName(it.Filename))
		for _, m := range it.Marks {
			rating := ""
			if m.Rating > 0 {
				rating = strconv.Itoa(m.Rating)
			}
			row := []string{file, "mark", csvText(m.Reviewer), csvTime(m.At), rating, m.Label, m.Flag, ""}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("export: write csv: %w", err)
			}
		}
		for _, c := range it.Comments {
			row := []string{file, "comment", csvText(c.Author), csvTime(c.At), "", "", "", csvText(c.Body)}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("export: write csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime)
}

// csvText makes user text safe to open in a spreadsheet (see CSV).
func csvText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return neutralizeFormula(s)
}

// formulaStarts are the first characters that make Excel, LibreOffice or
// Google Sheets treat a cell as a formula (or, for the whitespace ones,
// skip to a formula behind them).
const formulaStarts = "=+-@\t\r\n\x00＝＋－＠"

// neutralizeFormula prefixes s with ' when its first character could
// start a formula; a spreadsheet shows the text as typed.
func neutralizeFormula(s string) string {
	if s == "" {
		return s
	}
	for _, r := range s {
		if strings.ContainsRune(formulaStarts, r) {
			return "'" + s
		}
		break
	}
	return s
}

// Table writes a spreadsheet-safe CSV of header and rows, as CSV does:
// UTF-8 with a byte-order mark, CRLF, and every cell made safe to open
// (formula starts neutralized, control characters removed).
func Table(w io.Writer, header []string, rows [][]string) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, cell := range row {
			safe[i] = csvText(cell)
		}
		if err := cw.Write(safe); err != nil {
			return fmt.Errorf("export: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: write csv: %w", err)
	}
	return nil
}
