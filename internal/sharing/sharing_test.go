package sharing

import (
	"strings"
	"testing"
	"time"

	"safelight/internal/library"
)

func TestVerdict(t *testing.T) {
	r := func(kind, id string) Reviewer { return Reviewer{Kind: kind, ID: id} }
	for _, tt := range []struct {
		name        string
		marks       []Mark
		rating      int
		label, flag string
	}{
		{"none", nil, 0, "", ""},
		{"one", []Mark{{Reviewer: r("user", "a"), Rating: 4, Label: "green", Flag: FlagPick}}, 4, "green", FlagPick},
		{"mean rounds", []Mark{{Rating: 4}, {Rating: 5}}, 5, "", ""},
		{"unrated ignored", []Mark{{Rating: 3}, {Rating: 0, Label: "red"}}, 3, "red", ""},
		{"most frequent label", []Mark{{Label: "red"}, {Label: "blue"}, {Label: "blue"}}, 0, "blue", ""},
		{"label tie: earliest", []Mark{{Label: "purple"}, {Label: "yellow"}}, 0, "purple", ""},
		{"picks outnumber", []Mark{{Flag: FlagPick}, {Flag: FlagPick}, {Flag: FlagReject}}, 0, "", FlagPick},
		{"even: no flag", []Mark{{Flag: FlagPick}, {Flag: FlagReject}}, 0, "", ""},
		{"rejects outnumber", []Mark{{Flag: FlagReject}}, 0, "", FlagReject},
	} {
		rating, label, flag := verdict(tt.marks)
		if rating != tt.rating || label != tt.label || flag != tt.flag {
			t.Errorf("%s: verdict = %d %q %q; want %d %q %q", tt.name, rating, label, flag, tt.rating, tt.label, tt.flag)
		}
	}
}

func TestCleanText(t *testing.T) {
	for _, tt := range []struct {
		in        string
		max       int
		multiline bool
		want      string
		ok        bool
	}{
		{"  Harbour  ", 200, false, "Harbour", true},
		{"a\nb", 200, false, "", false},
		{"a\r\nb\rc", 200, true, "a\nb\nc", true},
		{"bell\a", 200, true, "", false},
		{"bidi\u202eevil", 200, true, "", false},
		{"family 👨\u200d👩\u200d👧", 200, false, "family 👨\u200d👩\u200d👧", true},
		{strings.Repeat("é", 201), 200, false, "", false},
		{"\xff", 200, false, "", false},
	} {
		got, ok := cleanText(tt.in, tt.max, tt.multiline)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cleanText(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDownloadPolicies(t *testing.T) {
	if DownloadNone.Allows("preview") || !DownloadPreview.Allows("preview") || DownloadPreview.Allows("original") || !DownloadOriginal.Allows("preview") {
		t.Error("Allows does not follow none < preview < original")
	}
	if !downloadWithin(DownloadPreview, DownloadOriginal) || downloadWithin(DownloadOriginal, DownloadPreview) || !downloadWithin(DownloadNone, DownloadNone) {
		t.Error("downloadWithin does not follow none < preview < original")
	}
	if Role("owner").Valid() || !RoleEditor.Valid() || RoleViewer.CanReview() || !RoleReviewer.CanReview() {
		t.Error("roles")
	}
}

func TestArchiveName(t *testing.T) {
	for in, want := range map[string]string{
		"Harbour at dawn":   "harbour-at-dawn.zip",
		"Lea & Tom — 2026!": "lea-tom-2026.zip",
		"../../etc/passwd":  "etc-passwd.zip",
		"日本":                "project.zip",
	} {
		if got := ArchiveName(Project{Name: in}, ".zip"); got != want {
			t.Errorf("ArchiveName(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCheckWatermark(t *testing.T) {
	if _, err := CheckWatermark(""); err == nil {
		t.Error("empty watermark accepted")
	}
	if _, err := CheckWatermark(strings.Repeat("w", 61)); err == nil {
		t.Error("61-character watermark accepted")
	}
	if got, err := CheckWatermark("  © Ann Adams  "); err != nil || got != "© Ann Adams" {
		t.Errorf("CheckWatermark = %q, %v", got, err)
	}
}

func TestRedact(t *testing.T) {
	a := library.Asset{ID: "a", CameraMake: "Fujifilm", CameraModel: "X-T5", ISO: 400, FNumber: 2.8, TakenAt: time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC),
		Private: library.Private{Filename: "DSCF0001.jpg", SHA256: "ab", Caption: "Lea at home", Keywords: []string{"home"}, Creator: "Ann",
			Copyright: "© Ann", GPS: &library.GPS{Latitude: 1, Longitude: 2}}}
	owner := redact(a, Grant{Owner: true})
	if owner.Private.Filename != "DSCF0001.jpg" || owner.Private.GPS == nil || owner.ISO != 400 {
		t.Errorf("owner's view = %+v; want everything", owner)
	}
	hidden := redact(a, Grant{Project: Project{ShowCamera: false}})
	if hidden.Private.Filename != "" || hidden.Private.SHA256 != "" || hidden.Private.GPS != nil || hidden.Private.Caption != "" ||
		hidden.Private.Keywords != nil || hidden.CameraMake != "" || hidden.ISO != 0 || hidden.FNumber != 0 || !hidden.TakenAt.IsZero() {
		t.Errorf("member's view without camera details = %+v", hidden)
	}
	if hidden.Private.Creator != "Ann" || hidden.Private.Copyright != "© Ann" {
		t.Errorf("member's view lost the credit: %+v", hidden.Private)
	}
	shown := redact(a, Grant{Project: Project{ShowCamera: true}})
	if shown.CameraModel != "X-T5" || shown.ISO != 400 || shown.Private.GPS != nil || shown.Private.Filename != "" {
		t.Errorf("member's view with camera details = %+v; want camera, never GPS or file name", shown)
	}
}
