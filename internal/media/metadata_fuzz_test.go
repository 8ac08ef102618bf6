package media

import (
	"encoding/binary"
	"testing"
)

// FuzzExtractMetadata (metadata_test.go) fuzzes the whole-file entry point:
// JPEG, PNG, TIFF, WebP and HEIF/AVIF containers, and through them every
// block parser. To reach a block parser that way the fuzzer must first keep
// a container intact around it, so FuzzMetadataBlocks also feeds each block
// parser directly. Together they cover every metadata entry point:
//
//	EXIF     exifParse (TIFF structure: IFD0, EXIF IFD, GPS IFD)
//	XMP      xmpParse (RDF/XML packet, UTF-16/32 detection)
//	IPTC     iptcParse (IIM datasets), irbParse (Photoshop image resources)
//	ICC      iccDescription via setICC (desc / mluc tags)
//	ISOBMFF  bmffParse (meta, iinf, iloc, idat, iprp/ipco/colr) without the ftyp check
//	PNG      metaPNGText (ImageMagick "Raw profile type" hex text, XMP iTXt)

// metaFuzzBlock runs the parser kind names on block into a fresh
// metaSources and returns the merged Metadata.
func metaFuzzBlock(kind uint8, block []byte) Metadata {
	var s metaSources
	switch kind % 9 {
	case 0:
		exifParse(block, &s)
	case 1:
		xmpParse(block, &s.xmp)
	case 2:
		iptcParse(block, &s.iptc)
	case 3:
		irbParse(block, &s)
	case 4:
		s.setICC(block)
	case 5:
		bmffParse(block, &s)
	case 6:
		metaPNGText("Raw profile type exif", block, &s)
	case 7:
		metaPNGText("Raw profile type 8bim", block, &s)
	case 8:
		metaPNGText("XML:com.adobe.xmp", block, &s)
	}
	return s.merge()
}

// FuzzMetadataBlocks checks that no block parser panics, allocates more
// than a bounded amount, or returns text and numbers that break the
// documented invariants of Metadata (metaCheckInvariants), whatever the
// block holds.
func FuzzMetadataBlocks(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	tiff := func(bo metaBO) []byte {
		return metaTestTIFF(bo,
			[]metaTestTag{metaASCII(0x010F, "Make"), metaASCII(0x0110, "Model"), metaASCII(0x010E, "caption"), metaASCII(0x8298, "c\x00p")},
			[]metaTestTag{metaShort(0x8827, 100), metaRational(0x829A, 1, 250), metaRational(0x829D, 28, 10),
				metaASCII(0x9003, "2020:01:02 03:04:05"), metaASCII(0x9011, "+02:00"), metaASCII(0x9291, "25")},
			[]metaTestTag{metaASCII(1, "N"), metaRational(2, 52, 1, 30, 1, 0, 1), metaASCII(3, "W"), metaRational(4, 1, 1, 2, 1, 3, 100),
				metaByte(5, 1), metaRational(6, 12, 1)})
	}
	xmp := metaTestXMPPacket(
		`<dc:subject><rdf:Bag><rdf:li>a</rdf:li><rdf:li>B</rdf:li></rdf:Bag></dc:subject>`+
			`<dc:creator><rdf:Seq><rdf:li>Ann</rdf:li></rdf:Seq></dc:creator>`+
			`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">cap</rdf:li></rdf:Alt></dc:description>`,
		`exif:GPSLatitude="52,30.5N" exif:GPSLongitude="13,24W" exif:DateTimeOriginal="2020-01-02T03:04:05+01:00" xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF"`)
	iim := metaTestIIM([3]string{"1", "90", "\x1b%G"}, [3]string{"2", "80", "By"}, [3]string{"2", "25", "k1"},
		[3]string{"2", "55", "20200102"}, [3]string{"2", "60", "030405+0100"}, [3]string{"2", "120", "caption"})
	icc := metaTestICC(metaTestMluc([3]string{"en", "US", "Display P3"}, [3]string{"de", "DE", "x"}))
	seeds := []struct {
		kind  uint8
		block []byte
	}{
		{0, tiff(le)},
		{0, tiff(be)},
		{1, xmp},
		{2, iim},
		{3, append(metaTestIRB(0x0404, iim), append(metaTestIRB(0x040F, icc), metaTestIRB(0x0424, xmp)...)...)},
		{4, icc},
		{4, metaTestICC(metaTestDesc("Adobe RGB (1998)"))},
		{5, metaTestHEIF(tiff(be), xmp)},
		{6, metaTestRawProfile("exif", append([]byte("Exif\x00\x00"), tiff(le)...))},
		{7, metaTestRawProfile("8bim", metaTestIRB(0x0404, iim))},
		{8, xmp},
	}
	for _, s := range seeds {
		f.Add(s.kind, s.block)
	}
	f.Fuzz(func(t *testing.T, kind uint8, block []byte) {
		if len(block) > probeFuzzMaxInput {
			return
		}
		before := probeFuzzAllocated()
		m := metaFuzzBlock(kind, block)
		if grown := probeFuzzAllocated() - before; grown > probeFuzzAllocLimit(len(block)) {
			t.Errorf("parser %d on %d bytes allocated %d bytes", kind%9, len(block), grown)
		}
		metaCheckInvariants(t, m)
	})
}
