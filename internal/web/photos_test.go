package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/library"
)

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1, "1 byte"},
		{1023, "1023 bytes"},
		{1024, "1 KB"},
		{1536, "1.5 KB"},
		{200 << 20, "200 MB"},
		{12_900_000, "12.3 MB"},
		{150 << 20, "150 MB"},
		{3 << 30, "3 GB"},
		{27640, "27 KB"},
		{104_815_000, "100 MB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}

func TestExposure(t *testing.T) {
	tests := []struct {
		a    library.Asset
		want string
	}{
		{library.Asset{FocalLengthMM: 35, FNumber: 2.8, ExposureText: "1/250", ISO: 400}, "35 mm · f/2.8 · 1/250 s · ISO 400"},
		{library.Asset{FocalLengthMM: 23.5, FNumber: 8, ExposureSeconds: 2}, "23.5 mm · f/8 · 2 s"},
		{library.Asset{ISO: 100}, "ISO 100"},
		{library.Asset{}, ""},
	}
	for _, tt := range tests {
		if got := exposureOf(tt.a).summary(); got != tt.want {
			t.Errorf("exposureOf(%+v).summary() = %q; want %q", tt.a, got, tt.want)
		}
	}
}

func TestTakenAt(t *testing.T) {
	berlin := time.FixedZone("", 2*3600)
	tests := []struct {
		a           library.Asset
		value, note string
	}{
		{library.Asset{TakenAt: time.Date(2024, 6, 15, 19, 42, 7, 0, berlin), TakenAtHasOffset: true}, "15 Jun 2024, 19:42:07 UTC+02:00", ""},
		{library.Asset{TakenAt: time.Date(2024, 6, 15, 19, 42, 7, 0, time.UTC)}, "15 Jun 2024, 19:42:07", "(camera clock, time zone unknown)"},
		{library.Asset{}, "", ""},
	}
	for _, tt := range tests {
		value, note := takenAt(tt.a)
		if value != tt.value || note != tt.note {
			t.Errorf("takenAt(%v) = %q, %q; want %q, %q", tt.a.TakenAt, value, note, tt.value, tt.note)
		}
	}
}

func TestCoordinates(t *testing.T) {
	tests := []struct {
		g    library.GPS
		want string
	}{
		{library.GPS{Latitude: 52.52, Longitude: 13.405}, "52.52000° N, 13.40500° E"},
		{library.GPS{Latitude: -33.8568, Longitude: -151.2153}, "33.85680° S, 151.21530° W"},
	}
	for _, tt := range tests {
		if got := coordinates(tt.g); got != tt.want {
			t.Errorf("coordinates(%+v) = %q; want %q", tt.g, got, tt.want)
		}
	}
}

// details leaves out what is unknown, so a scan without Exif shows no
// empty "Capture" or "Location" section.
func TestDetailsLeaveOutWhatIsUnknown(t *testing.T) {
	bare := library.Asset{Format: "png", Width: 800, Height: 600, Size: 2048, CreatedAt: time.Now(),
		Private: library.Private{Filename: "scan.png", SHA256: "ab12"}}
	var headings []string
	for _, g := range details(bare) {
		headings = append(headings, g.Heading)
		for _, r := range g.Rows {
			if r.Value == "" && len(r.List) == 0 {
				t.Errorf("details(bare): empty row %q in %q", r.Label, g.Heading)
			}
		}
	}
	if got := strings.Join(headings, ","); got != "Image,File" {
		t.Errorf("details(bare) headings = %s; want Image,File", got)
	}

	alt := 34.4
	full := bare
	full.CameraMake, full.CameraModel, full.Lens = "FUJIFILM", "X-T4", "XF23mmF2 R WR"
	full.Private.Keywords = []string{"harbour", "dawn"}
	full.Private.GPS = &library.GPS{Latitude: 1, Longitude: 2, Altitude: &alt}
	rows := map[string]detailRow{}
	for _, g := range details(full) {
		for _, r := range g.Rows {
			rows[r.Label] = r
		}
	}
	for label, want := range map[string]string{"Camera": "FUJIFILM X-T4", "Lens": "XF23mmF2 R WR", "Altitude": "34 m",
		"Dimensions": "800 × 600 px · 0.5 MP", "Format": "PNG", "Size": "2 KB", "Name": "scan.png"} {
		if got := rows[label].Value; got != want {
			t.Errorf("details(full)[%s] = %q; want %q", label, got, want)
		}
	}
	if got := strings.Join(rows["Keywords"].List, ","); got != "harbour,dawn" {
		t.Errorf("details(full) keywords = %q", got)
	}
}

// The server's tiles for the three states of an asset. static/grid.js
// builds the same markup for tiles it adds: change both together.
func TestTileMarkup(t *testing.T) {
	p, err := New(Options{Auth: &auth.Service{}, Audit: &audit.Recorder{}, Library: &library.Service{}})
	if err != nil {
		t.Fatal(err)
	}
	sort := time.Date(2024, 6, 15, 17, 42, 7, 0, time.UTC)
	assets := []library.Asset{
		{ID: "a1", Status: library.StatusReady, Width: 6000, Height: 4000, ThumbWidth: 512, ThumbHeight: 341, SortAt: sort,
			Private: library.Private{Filename: "DSC_0001.jpg"}},
		{ID: "a2", Status: library.StatusProcessing, Width: 4000, Height: 6000, SortAt: sort,
			Private: library.Private{Filename: "DSC_0002.jpg", Caption: "The <harbour> at dawn"}},
		{ID: "a3", Status: library.StatusFailed, Width: 100, Height: 100, SortAt: sort, FailureReason: "the file is damaged",
			Private: library.Private{Filename: "broken.jpg"}},
	}
	d := libraryData{}
	for _, a := range assets {
		d.Tiles = append(d.Tiles, tileOf(a))
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/library", nil)
	if err := p.render(w, 200, "library", p.newView(r, "library", "Library", d)); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<li class="tile" id="tile-a1" data-id="a1" data-status="ready" data-w="512" data-h="341" data-sort="1718473327000">`,
		`<a class="tile-link" href="/library/a1">`,
		`<img src="/api/v1/assets/a1/thumb" width="512" height="341" loading="lazy" decoding="async" alt="DSC_0001.jpg">`,
		`<li class="tile" id="tile-a2" data-id="a2" data-status="processing" data-w="4000" data-h="6000"`,
		`<span>Processing</span>`,
		`<span class="visually-hidden">The &lt;harbour&gt; at dawn</span>`,
		`data-status="failed"`, `<span>Could not be processed</span>`, `<span class="tile-reason">The file is damaged.</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("library page lacks %s", want)
		}
	}
	if strings.Contains(body, "/api/v1/assets/a2/thumb") || strings.Contains(body, "/api/v1/assets/a3/thumb") {
		t.Error("a tile without a thumbnail links one")
	}
}
