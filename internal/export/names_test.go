package export

import (
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"IMG_0001.CR3", "IMG_0001.CR3"},
		{"../../etc/passwd", "passwd"},
		{"/etc/shadow", "shadow"},
		{`C:\Users\ann\shoot\a.jpg`, "a.jpg"},
		{`..\..\boot.ini`, "boot.ini"},
		{"..", fallbackName},
		{".", fallbackName},
		{"", fallbackName},
		{"   ", fallbackName},
		{".hidden.jpg", "hidden.jpg"},
		{"trailing.jpg. . ", "trailing.jpg"},
		{"bad\x00na\x1fme\n\r.jpg", "badname.jpg"},
		{"C1\u0085control.jpg", "C1control.jpg"},
		{"photo\u202Egpj.exe", "photogpj.exe"}, // right-to-left override would show "photoexe.jpg"
		{"\u2066iso\u2069late.jpg", "isolate.jpg"},
		{`a<b>c:d"e|f?g*h.jpg`, "a_b_c_d_e_f_g_h.jpg"},
		{"CON.jpg", "CON_.jpg"},
		{"com1.CR3", "com1_.CR3"},
		{"COM10.jpg", "COM10.jpg"},
		{"console.jpg", "console.jpg"},
		{"bad\xffutf8.jpg", "badutf8.jpg"},
		{"Zoë 📷 写真.heic", "Zoë 📷 写真.heic"},
		{"<script>alert(1)</script>.jpg", "script_.jpg"}, // the "/" cuts the path
	} {
		if got := cleanName(tt.in); got != tt.want {
			t.Errorf("cleanName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanNameLength(t *testing.T) {
	for _, tt := range []struct {
		name, in, wantSuffix string
	}{
		{"ascii", strings.Repeat("a", 300) + ".jpg", ".jpg"},
		{"multibyte", strings.Repeat("é", 200) + ".CR3", ".CR3"},
		{"emoji", strings.Repeat("📷", 100) + ".heic", ".heic"},
		{"long tail is not an extension", strings.Repeat("b", 300) + "." + strings.Repeat("c", 40), "bbb"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanName(tt.in)
			if len(got) > maxNameBytes || !strings.HasSuffix(got, tt.wantSuffix) || !utf8Valid(got) {
				t.Errorf("cleanName(%d bytes) = %q (%d bytes); want ≤ %d bytes of valid UTF-8 ending in %q",
					len(tt.in), got, len(got), maxNameBytes, tt.wantSuffix)
			}
		})
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\x00") == s }

func TestNameSetMakesNamesUnique(t *testing.T) {
	var s nameSet
	in := []string{
		"IMG_0001.jpg",
		"cam2/IMG_0001.jpg",
		"img_0001.JPG", // same name on Windows and macOS
		"IMG_0001-2.jpg",
		"IMG_0001.jpg",
		"IMG_0002.jpg",
		"../IMG_0002.jpg",
		"noext",
		"noext",
		"",
		"..",
	}
	want := []string{
		"IMG_0001.jpg",
		"IMG_0001-2.jpg",
		"img_0001-3.JPG",
		"IMG_0001-2-2.jpg", // its own name was taken by the second IMG_0001.jpg
		"IMG_0001-4.jpg",
		"IMG_0002.jpg",
		"IMG_0002-2.jpg",
		"noext",
		"noext-2",
		"unnamed",
		"unnamed-2",
	}
	for i, name := range in {
		if got := s.claim(name); got != want[i] {
			t.Errorf("claim #%d (%q) = %q; want %q", i, name, got, want[i])
		}
	}
}

func TestNameSetLongDuplicatesStayWithinLimit(t *testing.T) {
	var s nameSet
	long := strings.Repeat("x", 400) + ".jpg"
	seen := map[string]bool{}
	for i := range 12 {
		got := s.claim(long)
		if len(got) > maxNameBytes || !strings.HasSuffix(got, ".jpg") || seen[got] {
			t.Fatalf("claim #%d of a 404-byte name = %q (%d bytes); want a new name ≤ %d bytes ending in .jpg",
				i, got, len(got), maxNameBytes)
		}
		seen[got] = true
	}
}

func TestSidecarName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"IMG_0001.CR3", "IMG_0001.xmp"},
		{"IMG_0001.jpg", "IMG_0001.xmp"},
		{"DSC_1234.NEF", "DSC_1234.xmp"},
		{"holiday.final.jpg", "holiday.final.xmp"},
		{"noext", "noext.xmp"},
		{"../../etc/passwd", "passwd.xmp"},
		{`C:\shoot\IMG_0001.jpg`, "IMG_0001.xmp"},
		{"a\nb\x00c.jpg", "abc.xmp"},
		{"photo\u202Egpj.exe", "photogpj.xmp"},
		{"", "unnamed.xmp"},
		{"Zoë.jpg", "Zoë.xmp"},
		{strings.Repeat("a", 300) + ".jpg", strings.Repeat("a", 251) + ".xmp"},
	} {
		if got := SidecarName(tt.in); got != tt.want {
			t.Errorf("SidecarName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
