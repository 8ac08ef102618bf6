package library

import (
	"strings"
	"testing"
	"time"
)

func TestCleanFilename(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"IMG_0001.JPG", "IMG_0001.JPG"},
		{"C:\\Users\\ann\\shoot\\a.jpg", "a.jpg"},
		{"../../etc/passwd", "passwd"},
		{"bad\x00name\n.jpg", "badname.jpg"},
		{"", "image"},
		{"..", "image"},
		{"  spaced.jpg  ", "spaced.jpg"},
		{strings.Repeat("é", 200) + ".jpg", strings.Repeat("é", 127)},
	} {
		if got := cleanFilename(tt.in); got != tt.want {
			t.Errorf("cleanFilename(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{SortAt: time.Date(2024, 5, 1, 10, 0, 0, 123000, time.UTC), ID: "0197a000-0000-7000-8000-000000000001"}
	got, err := decodeCursor(encodeCursor(c))
	if err != nil || !got.SortAt.Equal(c.SortAt) || got.ID != c.ID {
		t.Errorf("decodeCursor(encodeCursor(%v)) = %v, %v", c, got, err)
	}
	for _, bad := range []string{"!!", "bm90LWEtY3Vyc29y", encodeCursor(Cursor{ID: "x' OR 1=1"})} {
		if _, err := decodeCursor(bad); err != ErrBadCursor {
			t.Errorf("decodeCursor(%q) = %v; want ErrBadCursor", bad, err)
		}
	}
}

func TestCamera(t *testing.T) {
	for _, tt := range []struct{ make_, model, want string }{
		{"Canon", "Canon EOS R5", "Canon EOS R5"},
		{"FUJIFILM", "X-T4", "FUJIFILM X-T4"},
		{"NIKON CORPORATION", "NIKON D750", "NIKON D750"},
		{"", "iPhone 15", "iPhone 15"},
		{"Leica", "", "Leica"},
		{"", "", ""},
	} {
		if got := (Asset{CameraMake: tt.make_, CameraModel: tt.model}).Camera(); got != tt.want {
			t.Errorf("Camera(%q, %q) = %q; want %q", tt.make_, tt.model, got, tt.want)
		}
	}
}

func TestDeriveReservation(t *testing.T) {
	s := &Service{cfg: Config{MemoryBudget: 1 << 30, MaxUploadBytes: 200 << 20}}
	jpeg := s.deriveReservation(Asset{Format: "jpeg", Size: 10 << 20, Width: 6000, Height: 4000})
	heif := s.deriveReservation(Asset{Format: "heif", Size: 10 << 20, Width: 6000, Height: 4000})
	if jpeg >= heif {
		t.Errorf("reservation jpeg %d >= heif %d; HEIF decodes whole", jpeg, heif)
	}
	if jpeg < 10<<20+24_000_000 {
		t.Errorf("jpeg reservation %d below file size plus a byte per pixel", jpeg)
	}
	if huge := s.deriveReservation(Asset{Format: "avif", Size: 50 << 20, Width: 20000, Height: 12500}); huge != 1<<30 {
		t.Errorf("250 MP AVIF reservation = %d; want clamped to the budget", huge)
	}
}
