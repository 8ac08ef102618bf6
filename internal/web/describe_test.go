package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"safelight/internal/audit"
)

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/account", "/account"},
		{"/", "/"},
		{"/library?sort=name#top", "/library?sort=name#top"},
		{"", ""},
		{"//evil.example", ""},
		{"///evil.example", ""},
		{`/\evil.example`, ""},
		{`\/evil.example`, ""},
		{`/a\b`, ""},
		{"https://evil.example", ""},
		{"HTTPS://evil.example/", ""},
		{"javascript:alert(1)", ""},
		{"account", ""},
		{"/\t/evil.example", ""},
		{"/\n/evil.example", ""},
		{"/%2F%2Fevil.example", ""},
		{"/" + strings.Repeat("a", 3000), ""},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if got := nextOr("//evil.example"); got != "/library" {
		t.Errorf("nextOr(//evil.example) = %q; want /library", got)
	}
}

func TestDeviceSummary(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Safari on macOS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0", "Edge on Windows"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari on iPhone"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36", "Chrome on Android"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36", "Headless Chrome on Linux"},
		{"curl/8.5.0", "curl"},
		{"Go-http-client/1.1", "A Go program"},
		{"", "Unknown device"},
		{"Something (Windows NT 10.0)", "A browser on Windows"},
	}
	for _, tt := range tests {
		if got := deviceSummary(tt.ua); got != tt.want {
			t.Errorf("deviceSummary(%q) = %q; want %q", tt.ua, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(-20 * time.Second), "just now"},
		{now.Add(-time.Minute), "1 minute ago"},
		{now.Add(-5 * time.Minute), "5 minutes ago"},
		{now.Add(-3 * time.Hour), "3 hours ago"},
		{now.Add(-49 * time.Hour), "2 days ago"},
		{now.Add(-30 * 24 * time.Hour), "8 Feb 2026"},
	}
	for _, tt := range tests {
		if got := ago(tt.t, now); got != tt.want {
			t.Errorf("ago(%v) = %q; want %q", tt.t, got, tt.want)
		}
	}
}

func TestSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"enter a valid e-mail address", "Enter a valid e-mail address."},
		{"already a sentence.", "Already a sentence."},
		{"  ", ""},
		{"émigré names", "Émigré names."},
	}
	for _, tt := range tests {
		if got := sentence(tt.in); got != tt.want {
			t.Errorf("sentence(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// auditTypes reads every audit.Type constant from package audit's
// source, so that a type added there without words here fails the test
// below instead of showing as "Security event".
func auditTypes(t *testing.T) []audit.Type {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("../audit/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var types []audit.Type
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Type" {
					continue
				}
				for _, v := range vs.Values {
					lit := v.(*ast.BasicLit)
					s, _ := strconv.Unquote(lit.Value)
					types = append(types, audit.Type(s))
				}
			}
		}
	}
	if len(types) < 50 {
		t.Fatalf("found %d audit types in ../audit; the parse missed some", len(types))
	}
	return types
}

// Every security event has words for people: its own label for the
// account's holder, and for staff one that does not speak to "you".
func TestEventLabels(t *testing.T) {
	seen := map[string]audit.Type{}
	youWord := regexp.MustCompile(`(?i)\byour?\b`)
	for _, typ := range auditTypes(t) {
		l := eventLabel(typ)
		if l == "Security event" || strings.Contains(l, ".") {
			t.Errorf("eventLabel(%q) = %q; want a plain-language label", typ, l)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("eventLabel(%q) = eventLabel(%q) = %q", typ, other, l)
		}
		seen[l] = typ
		if sl := staffEventLabel(typ); youWord.MatchString(sl) {
			t.Errorf("staffEventLabel(%q) = %q; staff read about somebody else, not \"you\"", typ, sl)
		}
	}
	if got := eventLabel("some.future_event"); got != "Security event" {
		t.Errorf("eventLabel(unknown) = %q", got)
	}
	if got := eventDetail(audit.Event{Type: audit.PasswordChanged, Details: map[string]string{"other_sessions_ended": "3"}}); got != "3 other devices signed out" {
		t.Errorf("eventDetail(password changed, 3) = %q", got)
	}
}
