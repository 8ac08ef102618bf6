package export

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes is the longest file name most file systems accept
// (ext4, APFS, NTFS all stop at 255 bytes or UTF-16 units).
const maxNameBytes = 255

// fallbackName stands in for a name that is empty once cleaned.
const fallbackName = "unnamed"

// cleanName reduces a user-supplied file name to one harmless path element
// that unpacks the same way on Windows, macOS and Linux:
//   - only the last element of a path survives (both / and \ separate), so
//     no entry can climb out of the folder it is unpacked into;
//   - control characters go, and so do Unicode bidi controls, which can
//     make "photo\u202Egpj.exe" display as "photoexe.jpg";
//   - characters Windows refuses in names (<>:"|?*) become "_";
//   - leading dots (hidden files, "..") and trailing dots and spaces
//     (which Windows silently drops) go;
//   - Windows device names (CON, NUL, COM1…) get a "_" so they can be
//     created at all;
//   - at most 255 bytes, cut on a rune boundary and keeping the extension.
//
// A name with nothing left becomes "unnamed".
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	name = strings.TrimLeft(name, ".")
	name = strings.TrimRight(name, ". ")
	if name == "" {
		return fallbackName
	}
	stem, ext := splitExt(name)
	if isWindowsDeviceName(stem) {
		stem += "_"
	}
	return fitName(stem, "", ext)
}

// splitExt splits "IMG_0001.CR3" into "IMG_0001" and ".CR3". A name
// without a dot, or whose only dot is its first byte, has no extension.
// An "extension" longer than 16 bytes is taken to be part of the stem:
// real ones are short, and cutting a long name must not keep its whole
// tail.
func splitExt(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > 16 {
		return name, ""
	}
	return name[:i], name[i:]
}

// fitName joins stem, suffix and ext, shortening stem (on a rune
// boundary) so the result stays within maxNameBytes.
func fitName(stem, suffix, ext string) string {
	room := maxNameBytes - len(suffix) - len(ext)
	for len(stem) > room {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	if stem == "" {
		stem = fallbackName
	}
	return stem + suffix + ext
}

func isWindowsDeviceName(stem string) bool {
	switch s := strings.ToUpper(stem); s {
	case "CON", "PRN", "AUX", "NUL":
		return true
	default:
		return len(s) == 4 && (strings.HasPrefix(s, "COM") || strings.HasPrefix(s, "LPT")) &&
			s[3] >= '1' && s[3] <= '9'
	}
}

// nameSet hands out file names that are unique within one export, so two
// "IMG_0001.jpg" from two cameras do not overwrite each other when
// unpacked. The first keeps its name; later ones get "-2", "-3"… before
// the extension ("IMG_0001-2.jpg"), skipping any name already handed out.
// Names are compared case-insensitively because Windows and macOS file
// systems are. The result depends only on the order of the calls, so an
// export of the same selection always names its files the same way.
//
// The zero value is ready to use. A nameSet is not safe for concurrent use.
type nameSet struct {
	used map[string]bool
	next map[string]int // next suffix to try, per folded clean name
}

// claim returns name cleaned (see cleanName) and made unique.
func (s *nameSet) claim(name string) string {
	if s.used == nil {
		s.used = make(map[string]bool)
		s.next = make(map[string]int)
	}
	clean := cleanName(name)
	key := fold(clean)
	if !s.used[key] {
		s.used[key] = true
		return clean
	}
	stem, ext := splitExt(clean)
	for n := max(s.next[key], 2); ; n++ {
		candidate := fitName(stem, "-"+strconv.Itoa(n), ext)
		if !s.used[fold(candidate)] {
			s.used[fold(candidate)] = true
			s.next[key] = n + 1
			return candidate
		}
	}
}

// fold is the comparison key for names on case-insensitive file systems.
func fold(name string) string { return strings.ToLower(name) }
