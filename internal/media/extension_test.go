package media

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckExtension(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format Format
		want   string // "" accepted; else a part of the reason
	}{
		{"IMG_0001.JPG", FormatJPEG, ""},
		{"scan.jpeg", FormatJPEG, ""},
		{"photo.tiff", FormatTIFF, ""},
		{"photo.TIF", FormatTIFF, ""},
		{"IMG_1234.HEIC", FormatHEIF, ""},
		{"still.avif", FormatAVIF, ""},
		{"still.heif", FormatAVIF, ""},
		{"image", FormatPNG, ""},           // no extension: clipboard images, API clients
		{"", FormatWebP, ""},               // no name at all
		{"my.holiday/shot", FormatPNG, ""}, // a dot in a folder name is not an extension
		{"photo.png", FormatJPEG, "named .png but holds a JPEG image, not PNG: rename it to .jpg"},
		{"IMG_1234.jpg", FormatHEIF, "holds a HEIC/HEIF image, not JPEG: rename it to .heic"},
		{"still.avif", FormatHEIF, "holds a HEIC/HEIF image, not AVIF"},
		{"page.html", FormatJPEG, "a file named .html is not an image we take"},
		{"invoice.pdf.exe", FormatPNG, "a file named .exe is not an image we take"},
		{`C:\Users\ann\photo.gif`, FormatPNG, "a file named .gif is not an image we take"},
	} {
		err := CheckExtension(tt.name, tt.format)
		var re *RefusedError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckExtension(%q, %s) = %v; want accepted", tt.name, tt.format, err)
		case tt.want != "" && (!errors.As(err, &re) || !strings.Contains(re.Reason, tt.want)):
			t.Errorf("CheckExtension(%q, %s) = %v; want a refusal containing %q", tt.name, tt.format, err, tt.want)
		}
	}
}
