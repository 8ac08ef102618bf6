package export

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// ZipWriter streams a ZIP archive to an io.Writer (an
// http.ResponseWriter, typically) as entries are added: each entry's bytes
// are copied through a 64 KiB buffer and compressed or stored on the way,
// so memory stays flat however large the files are, and the client starts
// receiving data at once.
//
// Entry names are cleaned and made unique within the archive (the rules
// are those of SidecarName: a flat archive of plain file names, no path,
// so nothing can unpack outside the folder chosen, and a second
// "IMG_0001.jpg" becomes "IMG_0001-2.jpg"). Names carry the ZIP UTF-8 flag,
// so accented and non-Latin names unpack correctly.
//
// Because the size and checksum of an entry are known only after it is
// written, each entry ends with a data descriptor; sizes over 4 GiB use
// ZIP64. Every common unpacker (Windows Explorer, macOS Archive Utility,
// unzip, 7-Zip) reads these.
//
// If Add fails (the reader or the destination failed), the archive is
// broken on purpose: Close then returns the error and does not write the
// central directory, so the client's unpacker reports a damaged download
// instead of unpacking a silently truncated photo. An HTTP handler should
// then abort the response (panic(http.ErrAbortHandler)) so the client
// sees the transfer fail.
//
// A ZipWriter is not safe for concurrent use. It does not close the
// underlying writer.
type ZipWriter struct {
	zw    *zip.Writer
	names nameSet
	buf   []byte
	err   error // sticky: the first failure
}

// errClosed is returned by Add after Close.
var errClosed = errors.New("export: zip: archive already closed")

// NewZipWriter returns a ZipWriter writing to w.
func NewZipWriter(w io.Writer) *ZipWriter {
	return &ZipWriter{zw: zip.NewWriter(w), buf: make([]byte, 64<<10)}
}

// Add writes one entry named name (cleaned and made unique) with the
// content read from r until EOF. modTime is stored as given (old unpackers
// show its wall-clock time without a zone). Formats that are compressed
// already (JPEG, HEIC, raw files, anything not known to be text) are
// stored; text (XMP, CSV, TXT…) is deflated.
func (z *ZipWriter) Add(name string, modTime time.Time, r io.Reader) error {
	if z.err != nil {
		return z.err
	}
	entry := z.names.claim(name)
	fh := &zip.FileHeader{
		Name:     entry,
		Method:   methodFor(entry),
		Modified: modTime,
		Flags:    0x800, // names are valid UTF-8 (cleanName guarantees it)
	}
	fh.SetMode(0o644)
	w, err := z.zw.CreateHeader(fh)
	if err != nil {
		z.err = fmt.Errorf("export: zip: add %s: %w", entry, err)
		return z.err
	}
	if _, err := io.CopyBuffer(w, r, z.buf); err != nil {
		z.err = fmt.Errorf("export: zip: add %s: %w", entry, err)
		return z.err
	}
	return nil
}

// Close finishes the archive (writes the central directory and flushes).
// After a failed Add it returns that error and leaves the archive
// unfinished. Calling Close again returns nil once the archive is
// finished.
func (z *ZipWriter) Close() error {
	if z.err == errClosed {
		return nil
	}
	if z.err != nil {
		return z.err
	}
	if err := z.zw.Close(); err != nil {
		z.err = fmt.Errorf("export: zip: close: %w", err)
		return z.err
	}
	z.err = errClosed
	return nil
}

// deflated are the extensions of formats worth compressing: text. Image,
// raw and video formats are compressed already, and deflating them costs
// CPU to save next to nothing, so everything else is stored.
var deflated = map[string]bool{
	".xmp": true, ".csv": true, ".txt": true, ".json": true, ".xml": true,
}

func methodFor(name string) uint16 {
	if deflated[strings.ToLower(path.Ext(name))] {
		return zip.Deflate
	}
	return zip.Store
}
