#!/usr/bin/env bash
# Regenerates metadata-rich.jpg: a 96×64 JPEG carrying everything Derive
# must strip (EXIF camera, serial, lens, capture time, GPS, an embedded EXIF
# thumbnail, IPTC, XMP, a JPEG comment and an Adobe RGB ICC profile).
# Needs libvips-tools, libimage-exiftool-perl and colord. Synthetic data:
# temporary files are fine here.
#
# AdobeRGB1998.icc is copied from Debian's colord package
# (/usr/share/color/icc/colord/AdobeRGB1998.icc, © 2012 Richard Hughes,
# CC0-1.0) so the colour tests need no system profile.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp /usr/share/color/icc/colord/AdobeRGB1998.icc AdobeRGB1998.icc
vips xyz "$tmp/xy.v" 96 64
vips linear "$tmp/xy.v" "$tmp/lin.v" "2 3" "10 40"
vips bandjoin_const "$tmp/lin.v" "$tmp/rgb.v" 120
vips cast "$tmp/rgb.v" "$tmp/rgbu.v" uchar
vips copy "$tmp/rgbu.v" "$tmp/rgbs.v" --interpretation srgb
vips jpegsave "$tmp/rgbs.v" "$tmp/rich.jpg" --Q 85 --strip
vips thumbnail "$tmp/rich.jpg" "$tmp/th.jpg" 32
exiftool -q -overwrite_original \
  -Make=SafelightTestMake -Model=SL-TESTMODEL-9000 -SerialNumber=SN-SECRET-123456 \
  -LensModel="SL Secret Lens 50mm" -DateTimeOriginal="2024:05:06 07:08:09" \
  -GPSLatitude=48.8584 -GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E -GPSAltitude=35 \
  -Artist="Original EXIF Artist" -Copyright="Original EXIF Copyright" \
  -IPTC:By-line="IPTC Secret Byline" -IPTC:Keywords=secretkeyword \
  -XMP-dc:Creator="XMP Secret Creator" -XMP-photoshop:City=XMPSECRETCITY -XMP-dc:Description="secret caption" \
  -Comment=SECRET-JPEG-COMMENT \
  "-ThumbnailImage<=$tmp/th.jpg" "-icc_profile<=AdobeRGB1998.icc" \
  "$tmp/rich.jpg"
cp "$tmp/rich.jpg" metadata-rich.jpg
