package export_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"safelight/internal/export"
)

func ExampleSidecarName() {
	fmt.Println(export.SidecarName("IMG_0001.jpg"))
	fmt.Println(export.SidecarName("../shoot/DSC_1234.NEF"))
	// Output:
	// IMG_0001.xmp
	// DSC_1234.xmp
}

func ExampleLightroomFilter() {
	picks := []export.Item{{Filename: "IMG_0001.CR3"}, {Filename: "IMG_0001.jpg"}, {Filename: "IMG_0042.jpg"}}
	fmt.Println(export.LightroomFilter(picks))
	// Output: IMG_0001, IMG_0042
}

// An export handler streams the sidecars straight into the response; here
// the archive goes to a file.
func ExampleWriteSidecars() {
	f, err := os.CreateTemp("", "sidecars-*.zip")
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()

	zw := export.NewZipWriter(f)
	items := []export.Item{
		{Filename: "IMG_0001.jpg", Rating: 4, Label: export.LabelGreen, Flag: export.FlagPick},
		{Filename: "other-camera/IMG_0001.jpg", Flag: export.FlagReject},
	}
	if err := export.WriteSidecars(zw, items, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		panic(err) // in a handler: log it and abort the response
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	xmp, _ := export.XMPSidecar(items[0])
	fmt.Println(strings.Contains(string(xmp), `xmp:Label="Green"`))
	// Output: true
}
