package export

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sidecarCases are the verdicts the golden files and the parsers check.
var sidecarCases = []struct {
	golden string
	item   Item
	// what a namespace-aware reader must find: property → value
	want map[string]string
	// the keyword in dc:subject, if any
	keyword string
}{
	{"rated-labelled-pick.xmp",
		Item{Filename: "IMG_0001.CR3", Rating: 4, Label: LabelRed, Flag: FlagPick},
		map[string]string{nsXMP + " Rating": "4", nsXMP + " Label": "Red", nsPhotoshop + " LabelColor": "red", nsXMPDM + " pick": "1", nsXMPDM + " good": "True"},
		KeywordPick},
	{"reject-keeps-stars.xmp",
		Item{Filename: "IMG_0002.jpg", Rating: 2, Flag: FlagReject},
		map[string]string{nsXMP + " Rating": "2", nsXMPDM + " pick": "-1", nsXMPDM + " good": "False"},
		KeywordReject},
	{"label-only.xmp",
		Item{Filename: "IMG_0003.jpg", Label: LabelPurple},
		map[string]string{nsXMP + " Label": "Purple", nsPhotoshop + " LabelColor": "purple"},
		""},
	{"rating-only.xmp",
		Item{Filename: "IMG_0004.jpg", Rating: 5},
		map[string]string{nsXMP + " Rating": "5"},
		""},
	{"unmarked.xmp",
		Item{Filename: "IMG_0005.jpg"},
		map[string]string{},
		""},
}

func TestXMPSidecarGolden(t *testing.T) {
	for _, tc := range sidecarCases {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := XMPSidecar(tc.item)
			if err != nil {
				t.Fatalf("XMPSidecar(%+v) = %v", tc.item, err)
			}
			golden(t, tc.golden, got)
			again, _ := XMPSidecar(tc.item)
			if !bytes.Equal(got, again) {
				t.Errorf("XMPSidecar(%+v) is not deterministic", tc.item)
			}
		})
	}
}

// TestXMPSidecarNamespaces reads each sidecar with a namespace-aware XML
// parser, so a wrong or missing namespace declaration fails even when the
// text looks right.
func TestXMPSidecarNamespaces(t *testing.T) {
	for _, tc := range sidecarCases {
		t.Run(tc.golden, func(t *testing.T) {
			data, err := XMPSidecar(tc.item)
			if err != nil {
				t.Fatal(err)
			}
			props, keywords := parseXMP(t, data)
			if !reflect.DeepEqual(props, tc.want) {
				t.Errorf("properties = %v; want %v", props, tc.want)
			}
			var wantKeywords []string
			if tc.keyword != "" {
				wantKeywords = []string{tc.keyword}
			}
			if !reflect.DeepEqual(keywords, wantKeywords) {
				t.Errorf("dc:subject = %q; want %q", keywords, wantKeywords)
			}
		})
	}
}

// parseXMP returns the rdf:Description's property attributes as
// "namespace local" → value, and the dc:subject bag. It fails the test
// unless the document is x:xmpmeta / rdf:RDF / rdf:Description with
// rdf:about="".
func parseXMP(t *testing.T, data []byte) (map[string]string, []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var path []xml.Name
	props := map[string]string{}
	var keywords []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name)
			if tok.Name == (xml.Name{Space: nsRDF, Local: "Description"}) {
				want := []xml.Name{{Space: nsX, Local: "xmpmeta"}, {Space: nsRDF, Local: "RDF"}, tok.Name}
				if !reflect.DeepEqual(path, want) {
					t.Errorf("rdf:Description at %v; want %v", path, want)
				}
				about := false
				for _, a := range tok.Attr {
					switch {
					case a.Name == xml.Name{Space: nsRDF, Local: "about"}:
						about = a.Value == ""
					case a.Name.Space == "xmlns":
					default:
						props[a.Name.Space+" "+a.Name.Local] = a.Value
					}
				}
				if !about {
					t.Errorf(`rdf:Description has no rdf:about=""`)
				}
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			n := len(path)
			if n >= 3 && path[n-1] == (xml.Name{Space: nsRDF, Local: "li"}) &&
				path[n-3] == (xml.Name{Space: nsDC, Local: "subject"}) {
				keywords = append(keywords, string(tok))
			}
		}
	}
	return props, keywords
}

// TestXMPSidecarExifTool has ExifTool, which photographers and many
// culling tools use to read XMP, read the sidecars: the properties must
// come out under the names and groups Lightroom uses.
func TestXMPSidecarExifTool(t *testing.T) {
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Skip("exiftool is not installed (apt-get install libimage-exiftool-perl); skipping the check with a second XMP reader")
	}
	dir := t.TempDir()
	var files []string
	for _, tc := range sidecarCases[:2] {
		data, err := XMPSidecar(tc.item)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, SidecarName(tc.item.Filename))
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out, err := exec.Command(exiftool, append([]string{"-json", "-G1", "-XMP:all"}, files...)...).Output()
	if err != nil {
		t.Fatalf("exiftool: %v", err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("exiftool output: %v\n%s", err, out)
	}
	want := []map[string]any{
		{"XMP-xmp:Rating": 4.0, "XMP-xmp:Label": "Red", "XMP-photoshop:LabelColor": "red",
			"XMP-xmpDM:Pick": 1.0, "XMP-xmpDM:Good": true, "XMP-dc:Subject": KeywordPick},
		{"XMP-xmp:Rating": 2.0, "XMP-xmpDM:Pick": -1.0, "XMP-xmpDM:Good": false, "XMP-dc:Subject": KeywordReject},
	}
	if len(got) != len(want) {
		t.Fatalf("exiftool read %d files; want %d\n%s", len(got), len(want), out)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("%s: exiftool %s = %v (%T); want %v\n%s", filepath.Base(files[i]), k, got[i][k], got[i][k], v, out)
			}
		}
	}
}

func TestXMPSidecarRefusesInvalidMarks(t *testing.T) {
	for _, it := range []Item{
		{Filename: "a.jpg", Rating: 7},
		{Filename: "a.jpg", Rating: -1},
		{Filename: "a.jpg", Label: "orange"},
		{Filename: "a.jpg", Label: "Red"},
		{Filename: "a.jpg", Label: `"/><script>x</script>`},
		{Filename: "a.jpg", Flag: "maybe"},
	} {
		if got, err := XMPSidecar(it); !errors.Is(err, ErrInvalidMark) || got != nil {
			t.Errorf("XMPSidecar(%+v) = %q, %v; want nil, ErrInvalidMark", it, got, err)
		}
	}
}

func TestWriteSidecars(t *testing.T) {
	mod := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	items := []Item{
		{Filename: "IMG_0001.jpg", Rating: 3},
		{Filename: "cam-b/IMG_0001.jpg", Label: LabelGreen}, // another camera, same name
		{Filename: "IMG_0002.jpg"},                          // unmarked: no sidecar
		{Filename: "../../IMG_0003.CR3", Flag: FlagReject},
		{Filename: "IMG_0004.jpg\n<script>", Flag: FlagPick},
	}
	var buf bytes.Buffer
	zw := NewZipWriter(&buf)
	if err := WriteSidecars(zw, items, mod); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"IMG_0001.xmp", "IMG_0001-2.xmp", "IMG_0003.xmp", "IMG_0004.xmp"}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("entries = %q; want %q", names, wantNames)
	}
	// Each entry holds its own item's sidecar.
	for i, idx := range []int{0, 1, 3, 4} {
		want, _ := XMPSidecar(items[idx])
		rc, err := zr.File[i].Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s = %q, %v; want the sidecar of %q", names[i], got, err, items[idx].Filename)
		}
		if !zr.File[i].Modified.Equal(mod) {
			t.Errorf("%s modified %v; want %v", names[i], zr.File[i].Modified, mod)
		}
	}
}

func TestWriteSidecarsValidatesBeforeWriting(t *testing.T) {
	var buf bytes.Buffer
	zw := NewZipWriter(&buf)
	err := WriteSidecars(zw, []Item{{Filename: "ok.jpg", Rating: 2}, {Filename: "bad.jpg", Rating: 9}}, time.Now())
	if !errors.Is(err, ErrInvalidMark) || !strings.Contains(err.Error(), "bad.jpg") {
		t.Fatalf("WriteSidecars with rating 9 = %v; want ErrInvalidMark naming bad.jpg", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || len(zr.File) != 0 {
		t.Errorf("archive after a refused export has %d entries (%v); want none", len(zr.File), err)
	}
}
