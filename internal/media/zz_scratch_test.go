package media

import (
	"os"
	"strings"
	"testing"
	"time"
)

func zzHWM(t *testing.T) string {
	st, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmHWM") || strings.HasPrefix(l, "VmRSS") {
			t.Log(l)
		}
	}
	return ""
}

func TestZZMem(t *testing.T) {
	f := Format(os.Getenv("ZZFMT"))
	if f == "" {
		t.Skip()
	}
	engineTestStart(t)
	var data []byte
	if in := os.Getenv("ZZIN"); in != "" {
		data, _ = os.ReadFile(in)
	} else {
		img := probeTestGradient(t, 10000, 10000)
		data = probeTestEncode(t, img, f)
		img.Close()
		os.WriteFile("/tmp/zz100mp."+string(f), data, 0o600)
		return
	}
	t.Logf("%s input %d MB", f, len(data)>>20)
	zzHWM(t)
	s := time.Now()
	ds, err := Derive(data, DeriveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("derive %v %dx%d", time.Since(s), ds[1].Width, ds[1].Height)
	zzHWM(t)
}
