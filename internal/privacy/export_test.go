package privacy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/blob"
	"safelight/internal/library"
)

// TestExportOriginalNames: originals keep their uploaded names, reduced
// to one harmless path element, with repeats (any case) numbered in
// order, and a name for files that had none; failed assets have none.
func TestExportOriginalNames(t *testing.T) {
	asset := func(id, name string, st library.Status) library.Asset {
		return library.Asset{ID: id, Status: st, Format: "jpeg", OriginalRef: blob.Ref("orig/" + id), Private: library.Private{Filename: name}}
	}
	got := originalNames([]library.Asset{
		asset("1", "IMG_1.jpg", library.StatusReady),
		asset("2", "img_1.JPG", library.StatusReady),
		asset("3", "IMG_1.jpg", library.StatusProcessing),
		asset("4", `..\..\windows\evil.jpg`, library.StatusReady),
		asset("5", "../../etc/passwd", library.StatusReady),
		asset("6", "photo\u202egpj.exe", library.StatusReady),
		asset("7", "", library.StatusReady),
		asset("8", "broken.jpg", library.StatusFailed),
	})
	want := []string{
		"originals/IMG_1.jpg", "originals/img_1 (2).JPG", "originals/IMG_1 (3).jpg", "originals/evil.jpg",
		"originals/passwd", "originals/photogpj.exe", "originals/photo-7.jpeg", "",
	}
	if !slices.Equal(got, want) {
		t.Errorf("originalNames = %q; want %q", got, want)
	}
}

// TestExportValues: stored times become RFC 3339 (nil when unset); other
// values stay as they are; CSV cells are plain text.
func TestExportValues(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if v := exportValue("created_at", at.UnixMicro()); v != at {
		t.Errorf("exportValue(created_at) = %v; want %v", v, at)
	}
	if v := exportValue("withdrawn_at", int64(0)); v != nil {
		t.Errorf("exportValue(withdrawn_at, 0) = %v; want nil", v)
	}
	if v := exportValue("score", int64(4)); v != int64(4) {
		t.Errorf("exportValue(score) = %v; want 4 as it is", v)
	}
	if c := cellText(nil); c != "" {
		t.Errorf("cellText(nil) = %q", c)
	}
	if c := cellText(at); c != "2026-03-01T12:00:00Z" {
		t.Errorf("cellText(time) = %q", c)
	}
}

// TestExportProcessingText: the README's processing section names each
// purpose with its lawful basis, recipients and retention.
func TestExportProcessingText(t *testing.T) {
	r := Registry{Controller: Controller{Instance: "https://photos.example", Contact: "dpo@example.com"},
		Purposes: []Purpose{{Name: "Sharing", Description: "Projects and links.", Basis: basis("b", "the contract"),
			Recipients: []string{"project members"}, Retention: []StoragePeriod{{What: "links", Text: "until they expire"}}}}}
	text := ProcessingText(r)
	for _, want := range []string{"https://photos.example", "dpo@example.com", "Sharing", "Art. 6(1)(b) GDPR", "project members", "links: until they expire"} {
		if !strings.Contains(text, want) {
			t.Errorf("ProcessingText lacks %q:\n%s", want, text)
		}
	}
}
