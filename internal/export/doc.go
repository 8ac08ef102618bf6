// Package export turns a client's review of a shoot into files the
// photographer takes back to their editing tool, and streams downloads as
// ZIP archives:
//
//   - XMPSidecar, SidecarName, WriteSidecars: XMP sidecars that Lightroom
//     Classic's "Read Metadata from Files" applies (stars, colour label,
//     pick/reject);
//   - LightroomFilter and FileList: the selected file names, for
//     Lightroom's Library Filter or anything else;
//   - CSV: every reviewer's marks and comments, safe to open in Excel;
//   - ZipWriter: a ZIP written as it is read, for downloads of any size.
//
// The package knows nothing of HTTP, storage or who may export what: the
// caller checks the grant, loads the items, decides how several
// reviewers' marks become one verdict per file, and passes the time
// (there is no clock here, so output depends only on input).
//
// # Lightroom conventions, and where they come from
//
// Adobe does not document Lightroom's sidecar handling in one place; what
// follows is from the XMP specification and from what Lightroom is seen
// to write and read:
//
//   - xmp:Rating is "-1 or 0–5, -1 = rejected, 0 = unrated" in the XMP
//     specification (Part 2, XMP basic namespace); Bridge and darktable
//     write -1 for a reject. Lightroom does not: it keeps the stars and
//     writes its flag separately, as xmpDM:good="True"/"False" (and
//     xmpDM:pick="1"/"-1" in recent Lightroom Classic), according to
//     sidecars written by Lightroom that culling tools (Riffle, Cull,
//     ProjectLoupe) studied to be compatible. Older Lightroom Classic kept
//     flags in the catalogue only; that is why a keyword carries them too.
//   - xmp:Label holds text, and Lightroom shows a colour when the text
//     matches the active colour label set; its default set uses "Red",
//     "Yellow", "Green", "Blue", "Purple", Bridge's default set other
//     words (John Nack, Adobe, "Why Lightroom labels appear white in
//     Bridge", 2008). Lightroom also writes photoshop:LabelColor with the
//     lowercase colour, independent of the UI language.
//   - Lightroom reads a sidecar named base-name.xmp for raw and DNG files
//     only; for JPEG, TIFF and PSD it reads and writes the XMP inside the
//     file (Tim Grey, Ask Tim Grey 2018; Rob Cole's xEmP plugin notes).
//     Photographers review JPEG proofs named like their raws, so the
//     sidecar is named after the base name and placed next to the raw.
//   - Lightroom's sidecars start at <x:xmpmeta>, without the <?xpacket?>
//     wrapper.
package export
