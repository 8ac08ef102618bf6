package web

import (
	"testing"

	"safelight/internal/audit"
)

// TestRefusalEventsInWords: the refusals recorded once per window have
// labels of their own, and say how many more went unlisted.
func TestRefusalEventsInWords(t *testing.T) {
	seen := map[string]bool{}
	for _, typ := range []audit.Type{audit.AccessDenied, audit.UploadRefused, audit.TokenInvalid} {
		l := eventLabel(typ)
		if l == "Security event" || seen[l] {
			t.Errorf("eventLabel(%q) = %q; want a label of its own", typ, l)
		}
		seen[l] = true
	}
	tests := []struct {
		e    audit.Event
		want string
	}{
		{audit.Event{Type: audit.UploadRefused, Details: map[string]string{"reason": "too_large", "size": "99"}}, "Larger than the upload limit"},
		{audit.Event{Type: audit.UploadRefused, Details: map[string]string{"reason": "unsupported_type", "suppressed": "3"}},
			"Not an image Safelight can read; 3 more like it in the quarter hour before"},
		{audit.Event{Type: audit.AccessDenied, Details: map[string]string{"route": "GET /library/{id}", "suppressed": "1"}},
			"1 more like it in the quarter hour before"},
		{audit.Event{Type: audit.AccessDenied, Details: map[string]string{"route": "GET /library/{id}"}}, ""},
		{audit.Event{Type: audit.TokenInvalid, Details: map[string]string{"suppressed": "x"}}, ""},
	}
	for _, tt := range tests {
		if got := eventDetail(tt.e); got != tt.want {
			t.Errorf("eventDetail(%v) = %q; want %q", tt.e, got, tt.want)
		}
	}
}
