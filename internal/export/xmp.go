package export

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"time"
)

// Keywords that carry a pick or a reject in every Lightroom version (see
// XMPSidecar). They are plain keywords, so the photographer filters by
// them, flags the photos with P or X, and deletes the keyword.
const (
	KeywordPick   = "Client pick"
	KeywordReject = "Client reject"
)

// XMP namespaces, as Adobe's applications declare them.
const (
	nsX         = "adobe:ns:meta/"
	nsRDF       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsXMP       = "http://ns.adobe.com/xap/1.0/"
	nsPhotoshop = "http://ns.adobe.com/photoshop/1.0/"
	nsXMPDM     = "http://ns.adobe.com/xmp/1.0/DynamicMedia/"
	nsDC        = "http://purl.org/dc/elements/1.1/"
)

// XMPSidecar returns an XMP sidecar carrying the item's verdict, for
// Lightroom Classic's "Metadata → Read Metadata from Files" (and Bridge,
// Camera Raw, Capture One, darktable, which read the same properties):
//
//   - xmp:Rating: the stars, 1–5. Left out when 0, so an unrated photo
//     does not claim "0 stars". A reject does not become xmp:Rating="-1":
//     -1 is the XMP specification's (and Bridge's) "rejected", but
//     Lightroom keeps stars and the reject flag apart, and folding them
//     would throw the client's stars away.
//   - xmp:Label: the colour *name* of Lightroom's default label set
//     ("Red" … "Purple"). Lightroom stores text, not a colour, and shows
//     a colour only when the text matches the active label set; a
//     catalogue using another set (Bridge's "Select", "Second" …) shows
//     the label white. photoshop:LabelColor ("red" …) is written too, as
//     current Lightroom does, because it does not depend on the UI
//     language.
//   - the pick/reject flag, twice. Current Lightroom versions write it as
//     xmpDM:pick ("1" / "-1") and xmpDM:good ("True" / "False"), and
//     those are written here. Lightroom Classic before that kept flags in
//     the catalogue only and neither wrote nor read them, so the flag is
//     also the keyword "Client pick" or "Client reject" in dc:subject,
//     which every version reads. (Adobe does not document which versions
//     read xmpDM flags back; the keyword does not depend on it.)
//
// Comments are not written: the only fitting field, the caption
// (dc:description), is the photographer's own and travels into every
// exported JPEG; client comments belong in the CSV.
//
// The output has no <?xpacket?> wrapper and no XML declaration, like the
// sidecars Lightroom writes, is UTF-8, and is byte-for-byte the same for
// the same item. Names and values are fixed or validated, and are
// escaped anyway. The error wraps ErrInvalidMark.
func XMPSidecar(it Item) ([]byte, error) {
	if err := validateMark(it.Rating, it.Label, it.Flag); err != nil {
		return nil, fmt.Errorf("export: xmp for %s: %w", cleanName(it.Filename), err)
	}
	var attrs [][2]string
	if it.Rating > 0 {
		attrs = append(attrs, [2]string{"xmp:Rating", strconv.Itoa(it.Rating)})
	}
	if it.Label != "" {
		attrs = append(attrs,
			[2]string{"xmp:Label", lightroomLabels[it.Label]},
			[2]string{"photoshop:LabelColor", it.Label})
	}
	var keyword string
	switch it.Flag {
	case FlagPick:
		attrs = append(attrs, [2]string{"xmpDM:pick", "1"}, [2]string{"xmpDM:good", "True"})
		keyword = KeywordPick
	case FlagReject:
		attrs = append(attrs, [2]string{"xmpDM:pick", "-1"}, [2]string{"xmpDM:good", "False"})
		keyword = KeywordReject
	}

	var b bytes.Buffer
	b.WriteString(`<x:xmpmeta xmlns:x="` + nsX + `" x:xmptk="Safelight">` + "\n")
	b.WriteString(` <rdf:RDF xmlns:rdf="` + nsRDF + `">` + "\n")
	b.WriteString(`  <rdf:Description rdf:about=""` + "\n")
	b.WriteString(`    xmlns:xmp="` + nsXMP + `"` + "\n")
	b.WriteString(`    xmlns:photoshop="` + nsPhotoshop + `"` + "\n")
	b.WriteString(`    xmlns:xmpDM="` + nsXMPDM + `"` + "\n")
	b.WriteString(`    xmlns:dc="` + nsDC + `"`)
	for _, a := range attrs {
		b.WriteString("\n   " + a[0] + `="`)
		_ = xml.EscapeText(&b, []byte(a[1])) // a bytes.Buffer does not fail
		b.WriteString(`"`)
	}
	if keyword == "" {
		b.WriteString("/>\n")
	} else {
		b.WriteString(">\n")
		b.WriteString("   <dc:subject>\n    <rdf:Bag>\n     <rdf:li>")
		_ = xml.EscapeText(&b, []byte(keyword))
		b.WriteString("</rdf:li>\n    </rdf:Bag>\n   </dc:subject>\n")
		b.WriteString("  </rdf:Description>\n")
	}
	b.WriteString(" </rdf:RDF>\n")
	b.WriteString("</x:xmpmeta>\n")
	return b.Bytes(), nil
}

// SidecarName returns the sidecar name Lightroom looks for next to the
// original: the base name with ".xmp" ("IMG_0001.CR3" and "IMG_0001.jpg"
// both give "IMG_0001.xmp"). Lightroom reads sidecars only for raw files
// (and DNG); for a JPEG it reads the XMP inside the file. That is what the
// photographer needs: clients review JPEG proofs whose base name is the
// raw file's, and the sidecar lands next to the raw.
//
// The name is cleaned like every exported name (no path, no control or
// bidi characters, nothing Windows refuses, at most 255 bytes). It is not
// made unique: ZipWriter does that within one archive, so the second
// "IMG_0001.xmp" of an export is "IMG_0001-2.xmp".
func SidecarName(filename string) string {
	stem, _ := splitExt(cleanName(filename))
	return fitName(stem, "", ".xmp")
}

// WriteSidecars adds a sidecar (XMPSidecar, named by SidecarName) for each
// item with a rating, label or flag to zw, in the order given, each with
// modTime. Items without any mark get no sidecar: reading an empty one
// would only clear what the photographer set in Lightroom. Every item is
// validated before anything is written, so a bad row fails the export
// instead of producing half an archive.
func WriteSidecars(zw *ZipWriter, items []Item, modTime time.Time) error {
	sidecars := make([][]byte, len(items))
	for i, it := range items {
		if !it.marked() {
			continue
		}
		data, err := XMPSidecar(it)
		if err != nil {
			return err
		}
		sidecars[i] = data
	}
	for i, data := range sidecars {
		if data == nil {
			continue
		}
		if err := zw.Add(SidecarName(items[i].Filename), modTime, bytes.NewReader(data)); err != nil {
			return err
		}
	}
	return nil
}
