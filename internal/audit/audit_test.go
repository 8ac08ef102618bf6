package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"safelight/internal/audit"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "Mozilla/5.0 (X11; Linux) Firefox/140.0", 256, "Mozilla/5.0 (X11; Linux) Firefox/140.0"},
		{"CRLF", "ua\r\ntype=auth.login actor=admin", 256, `ua\u000d\u000atype=auth.login actor=admin`},
		{"ANSI escape", "\x1b[2J\x1b[31mred", 256, `\u001b[2J\u001b[31mred`},
		{"NUL", "a\x00b", 256, `a\u0000b`},
		{"invalid UTF-8", "a\xff\xfeb", 256, `a\ufffd\ufffdb`},
		{"NEL and separators", "a\u0085b\u2028c\u2029d", 256, `a\u0085b\u2028c\u2029d`},
		{"bidi override", "abc\u202edcba", 256, `abc\u202edcba`},
		{"tag character", "a\U000e0041", 256, `a\U000e0041`},
		{"backslash is escaped", `a\u000ab`, 256, `a\\u000ab`},
		{"cut", "abcdef", 3, "abc…"},
		{"cut counts input runes", "\n\n\n\n", 2, `\u000a\u000a…`},
		{"non-ASCII kept", "Zoë 東京 📷", 256, "Zoë 東京 📷"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := audit.Sanitize(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Sanitize(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
			checkClean(t, got)
		})
	}
}

// checkClean fails unless s is valid UTF-8 with no control, format or
// line-breaking character.
func checkClean(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			t.Errorf("%q holds %U", s, r)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("a\r\nb\x00\x1b[0m\xff\u202e", 10)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1000 {
			return
		}
		checkClean(t, audit.Sanitize(s, max))
	})
}

// memStore keeps events in memory: Record's contract is what is tested.
type memStore struct{ events []audit.Event }

func (m *memStore) AppendAuditEvent(_ context.Context, e audit.Event) error {
	m.events = append(m.events, e)
	return nil
}

func (m *memStore) AuditEventsAbout(context.Context, string, int) ([]audit.Event, error) {
	return m.events, nil
}

// TestRecordSanitizes: no field of a recorded event can carry a control
// character into the store or the structured log, and the caller's
// details map is left as it was.
func TestRecordSanitizes(t *testing.T) {
	hostile := "x\r\n{\"type\":\"auth.login\"}\x1b[31m\x00\xff\u2028"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var logBuf bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&logBuf, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&logBuf, nil)
			}
			st := &memStore{}
			details := map[string]string{"name": hostile, hostile: "v"}
			err := audit.NewRecorder(st, slog.New(h)).Record(t.Context(), audit.Event{
				Type: audit.TokenCreated, ActorID: hostile, SubjectID: hostile, IP: hostile, UserAgent: hostile, Details: details,
			})
			if err != nil {
				t.Fatal(err)
			}
			if details["name"] != hostile {
				t.Errorf("Record changed the caller's details: %q", details["name"])
			}
			e := st.events[0]
			for _, v := range []string{string(e.Type), e.ActorID, e.SubjectID, e.IP, e.UserAgent} {
				checkClean(t, v)
			}
			for k, v := range e.Details {
				checkClean(t, k)
				checkClean(t, v)
			}
			if e.UserAgent != audit.Sanitize(hostile, 256) {
				t.Errorf("stored user agent = %q", e.UserAgent)
			}
			lines := strings.Split(strings.TrimSuffix(logBuf.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("log = %d lines; want 1:\n%s", len(lines), logBuf.String())
			}
			checkClean(t, lines[0])
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m["type"] != string(audit.TokenCreated) || m["ip"] != e.IP {
					t.Errorf("log line %s = %v, %v; want type %s and the sanitized ip", lines[0], m, err, audit.TokenCreated)
				}
			}
		})
	}
}
