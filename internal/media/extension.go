package media

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Extensions of each accepted format, lower case, the usual first. A file
// name with no extension is accepted (clipboard images, API clients); one
// with an extension must name the format the bytes hold (ASVS 5.2.2), so
// a file that is not what its name says is caught before anyone relies on
// the name.
var formatExtensions = map[Format][]string{
	FormatJPEG: {".jpg", ".jpeg", ".jpe", ".jfif"},
	FormatPNG:  {".png"},
	FormatTIFF: {".tif", ".tiff"},
	FormatWebP: {".webp"},
	FormatHEIF: {".heic", ".heif", ".hif"},
	FormatAVIF: {".avif", ".heif"}, // AVIF is a HEIF profile; .heif is the container's own name
}

// formatNames are the names people know the formats by.
var formatNames = map[Format]string{
	FormatJPEG: "JPEG", FormatPNG: "PNG", FormatTIFF: "TIFF", FormatWebP: "WebP", FormatHEIF: "HEIC/HEIF", FormatAVIF: "AVIF",
}

// CheckExtension compares the extension of filename (the name the client
// gave) with f, the format the bytes were found to hold. It returns nil
// when they agree or the name has no extension, and a *RefusedError
// saying what to do otherwise.
func CheckExtension(filename string, f Format) error {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(filename, `\`, "/")))
	if ext == "" || ext == "." {
		return nil
	}
	if slices.Contains(formatExtensions[f], ext) {
		return nil
	}
	for other, exts := range formatExtensions {
		if slices.Contains(exts, ext) {
			return &RefusedError{Reason: fmt.Sprintf("the file is named %s but holds a %s image, not %s: rename it to %s or export it again",
				ext, formatNames[f], formatNames[other], formatExtensions[f][0])}
		}
	}
	return &RefusedError{Reason: fmt.Sprintf("a file named %s is not an image we take: send JPEG, PNG, TIFF, WebP, HEIC/HEIF or AVIF files", ext)}
}
