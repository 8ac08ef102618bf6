#!/usr/bin/env bash
# Rebuilds the metadata fixtures in this folder. They are committed; tests do
# not run this. Needs libvips-tools (vips 8.14), libimage-exiftool-perl
# (exiftool 12.57) and colord's ICC profiles (/usr/share/color/icc/colord).
# metadata_test.go asserts the exact values written here.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
icc=/usr/share/color/icc/colord
et() { exiftool -q -overwrite_original -charset iptc=UTF8 "$@"; }

vips black "$tmp/base.v" 8 8 --bands 3

# full.jpg: EXIF (GPS south/west, offset time), IPTC IIM in UTF-8 (1:90),
# XMP, Adobe RGB ICC (v4 'mluc' with 30 languages). XMP must win.
vips copy "$tmp/base.v" full.jpg[Q=50,strip]
et -EXIF:Make='NIKON CORPORATION' -EXIF:Model='NIKON Z 6_2' \
   -EXIF:LensModel='NIKKOR Z 24-70mm f/4 S' -EXIF:FocalLength=35 -EXIF:FNumber=5.6 \
   -EXIF:ExposureTime=1/250 -EXIF:ISO=400 \
   -EXIF:DateTimeOriginal='2024:05:17 18:42:07' -EXIF:SubSecTimeOriginal=25 -EXIF:OffsetTimeOriginal=-03:00 \
   -EXIF:CreateDate='2024:05:17 18:42:07' \
   -EXIF:GPSLatitude=22.951916 -EXIF:GPSLatitudeRef=S -EXIF:GPSLongitude=43.210487 -EXIF:GPSLongitudeRef=W \
   -EXIF:GPSAltitude=704.5 -EXIF:GPSAltitudeRef='Above Sea Level' \
   -EXIF:Artist='EXIF Artist' -EXIF:Copyright='EXIF Copyright' -EXIF:ImageDescription='EXIF description' \
   -IPTC:CodedCharacterSet=UTF8 -IPTC:By-line='IPTC Byline' -IPTC:CopyrightNotice='IPTC ©' \
   -IPTC:Credit='IPTC Credit' -IPTC:Caption-Abstract='IPTC caption' -IPTC:Keywords=Rio -IPTC:Keywords=Cristo \
   -XMP-dc:Creator='Zoë Ångström' -XMP-dc:Creator='Jo Bloggs' -XMP-dc:Rights='© 2024 Zoë Ångström' \
   -XMP-dc:Description="Cristo Redentor at dusk
second line" \
   -XMP-dc:Subject='Rio de Janeiro' -XMP-dc:Subject=statue -XMP-dc:Subject=Statue -XMP-dc:Subject=dusk \
   -XMP-photoshop:Credit='Agência Exemplo' \
   "-ICC_Profile<=$icc/AdobeRGB1998.icc" full.jpg

# iptc-latin1.jpg: IPTC without 1:90 (Latin-1/cp1252) and EXIF, no XMP.
# IPTC must win over EXIF; EXIF Copyright is the only copyright.
vips copy "$tmp/base.v" iptc-latin1.jpg[Q=50,strip]
exiftool -q -overwrite_original -charset iptc=Latin \
   -EXIF:Artist='EXIF Artist' -EXIF:Copyright='EXIF only' -EXIF:ImageDescription='EXIF description' \
   -EXIF:DateTimeOriginal='2021:12:31 23:59:58' \
   -IPTC:By-line='François Müller' -IPTC:Caption-Abstract='Café ‘Zürich’' \
   -IPTC:Keywords='Zürich' -IPTC:Keywords='zürich' -IPTC:Keywords='Café' \
   -IPTC:DateCreated=20211231 -IPTC:TimeCreated=235958+0100 iptc-latin1.jpg

# full.png: eXIf (no offset, GPS below sea level), XMP in iTXt with a zoned
# photoshop:DateCreated of the same wall clock, sRGB ICC in iCCP.
vips copy "$tmp/base.v" full.png[strip]
et -EXIF:Make=Canon -EXIF:Model='Canon EOS R5' -EXIF:FocalLength=50 -EXIF:FNumber=1.8 \
   -EXIF:ExposureTime=0.5 -EXIF:ISO=100 -EXIF:DateTimeOriginal='2023:01:02 03:04:05' \
   -EXIF:GPSLatitude=31.559 -EXIF:GPSLatitudeRef=N -EXIF:GPSLongitude=35.4732 -EXIF:GPSLongitudeRef=E \
   -EXIF:GPSAltitude=430.5 -EXIF:GPSAltitudeRef='Below Sea Level' \
   -XMP-photoshop:DateCreated='2023-01-02T03:04:05+02:00' -XMP-dc:Creator='PNG Creator' \
   -XMP-dc:Subject=desert -XMP-dc:Subject=salt \
   "-ICC_Profile<=$icc/sRGB.icc" full.png

# full.tif: EXIF in IFD0/ExifIFD/GPS IFD, XMP (tag 700), IPTC (33723), ICC
# (34675; ProPhoto RGB).
vips copy "$tmp/base.v" full.tif[strip]
et -EXIF:Make=FUJIFILM -EXIF:Model=X-T5 -EXIF:FocalLength=23 -EXIF:FNumber=2 -EXIF:ExposureTime=2 \
   -EXIF:ISO=3200 -EXIF:DateTimeOriginal='2022:07:08 09:10:11' -EXIF:OffsetTimeOriginal=+09:00 \
   -EXIF:GPSLatitude=35.6586 -EXIF:GPSLatitudeRef=N -EXIF:GPSLongitude=139.7454 -EXIF:GPSLongitudeRef=E \
   -IPTC:CodedCharacterSet=UTF8 -IPTC:By-line='東京 Photographer' -IPTC:Keywords=Tokyo \
   -XMP-dc:Rights='TIFF rights' -XMP-photoshop:Credit='TIFF credit' \
   "-ICC_Profile<=$icc/ProPhotoRGB.icc" full.tif

# full.webp, full.avif, full.heic: libvips carries EXIF, XMP and ICC over.
vips copy full.jpg full.webp
vips copy full.jpg full.avif[Q=30]
vips copy full.jpg full.heic[Q=30]
