package export

import (
	"strings"
)

// FileList returns the items' original file names, cleaned (see
// SidecarName), one per line, in the order given, each name once
// (compared case-insensitively). It is the list to keep with the shoot, or
// to hand to a script or another tool; names that cleaning had to change
// are listed as cleaned, which is also how they are named in downloads.
func FileList(items []Item) []byte {
	var b strings.Builder
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		name := cleanName(it.Filename)
		if seen[fold(name)] {
			continue
		}
		seen[fold(name)] = true
		b.WriteString(name)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// LightroomFilter returns the items' base names without extension,
// separated by ", " ("IMG_0001, IMG_0007"), each once, for Lightroom
// Classic's Library Filter: Text → Filename → Contains, paste. Without
// extensions it finds the raw and the JPEG proof of each frame alike,
// which is what the photographer wants to flag or collect. Comma-separated
// base names are the form photographers commonly paste there; Adobe's
// help does not spell out how the filter splits a pasted list, so FileList
// exists for anything this form does not suit.
//
// "Contains" matches parts of names, so "IMG_001" would also find
// "IMG_0010"; camera names have fixed-width numbers, so base names do not
// hit each other in practice. A comma inside a name would split it into
// two search terms; it becomes a space, so the filter may find a little
// more but never misses the photo.
func LightroomFilter(items []Item) string {
	var names []string
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		stem, _ := splitExt(cleanName(it.Filename))
		stem = strings.TrimSpace(strings.ReplaceAll(stem, ",", " "))
		if stem == "" || seen[fold(stem)] {
			continue
		}
		seen[fold(stem)] = true
		names = append(names, stem)
	}
	return strings.Join(names, ", ")
}
