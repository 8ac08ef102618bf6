package export

import (
	"testing"
)

func items(names ...string) []Item {
	var out []Item
	for _, n := range names {
		out = append(out, Item{Filename: n})
	}
	return out
}

func TestFileList(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []Item
		want string
	}{
		{"empty", nil, ""},
		{"order kept", items("IMG_0010.jpg", "IMG_0002.CR3"), "IMG_0010.jpg\nIMG_0002.CR3\n"},
		{"duplicates once", items("IMG_0001.jpg", "a/IMG_0001.jpg", "img_0001.JPG"), "IMG_0001.jpg\n"},
		{"raw and proof both listed", items("IMG_0001.CR3", "IMG_0001.jpg"), "IMG_0001.CR3\nIMG_0001.jpg\n"},
		{"hostile names stay one line each", items("evil\nname.jpg", "../../etc/passwd", "x\r\ny.jpg"),
			"evilname.jpg\npasswd\nxy.jpg\n"},
		{"unicode", items("Zoë 📷.heic"), "Zoë 📷.heic\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(FileList(tt.in)); got != tt.want {
				t.Errorf("FileList(%v) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLightroomFilter(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []Item
		want string
	}{
		{"empty", nil, ""},
		{"base names, comma separated", items("IMG_0001.jpg", "IMG_0007.jpg"), "IMG_0001, IMG_0007"},
		{"raw and proof are one frame", items("IMG_0001.CR3", "IMG_0001.jpg", "img_0001.JPG"), "IMG_0001"},
		{"comma in a name becomes a space", items("a,b.jpg", "c.jpg"), "a b, c"},
		{"name of only commas is dropped", items(",,,.jpg", "d.jpg"), "d"},
		{"no path, no newline", items("../x/IMG_1.jpg", "IMG\n2.jpg"), "IMG_1, IMG2"},
		{"unicode", items("Zoë.heic"), "Zoë"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := LightroomFilter(tt.in); got != tt.want {
				t.Errorf("LightroomFilter(%v) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}
