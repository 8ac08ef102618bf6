package media

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/davidbyttow/govips/v2/vips"
)

// engineTestLog collects what libvips logs through the engine's logger.
var engineTestLog struct {
	sync.Mutex
	buf bytes.Buffer
}

type engineTestLogWriter struct{}

func (engineTestLogWriter) Write(p []byte) (int, error) {
	engineTestLog.Lock()
	defer engineTestLog.Unlock()
	return engineTestLog.buf.Write(p)
}

func engineTestLogged() string {
	engineTestLog.Lock()
	defer engineTestLog.Unlock()
	return engineTestLog.buf.String()
}

// engineTestStart starts the engine for a test. Every test in the package
// uses it, so the first call's logger is the one installed.
func engineTestStart(t testing.TB) {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(engineTestLogWriter{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := Start(StartOptions{Logger: logger}); err != nil {
		t.Fatalf("Start() = %v; want nil", err)
	}
}

func TestStartIsIdempotent(t *testing.T) {
	engineTestStart(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Start(StartOptions{Concurrency: 1})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Start() #%d = %v; want nil", i, err)
		}
	}
	// Later calls do not change the first call's settings.
	concurrency, cacheMax, discThreshold := engineSettings()
	if concurrency != runtime.NumCPU() {
		t.Errorf("libvips concurrency = %d; want runtime.NumCPU() = %d", concurrency, runtime.NumCPU())
	}
	if cacheMax != 0 {
		t.Errorf("libvips operation cache max = %d; want 0 (disabled)", cacheMax)
	}
	// Big enough that no accepted image (250 MP of 16-bit RGBA is 2 GB) is
	// ever decompressed to a temporary file.
	if discThreshold < 1<<40 {
		t.Errorf("libvips disc threshold = %d bytes; want ≥ 1 TiB so decoded pixels never go to disk", discThreshold)
	}
}

// TestUntrustedLoadersBlocked loads formats through govips directly, around
// Probe's sniffing, the way a file fooling the sniffer would reach libvips.
// The SVG and PDF loaders are built into this libvips and marked untrusted;
// the GIF loader is trusted by libvips but outside our allow-list.
func TestUntrustedLoadersBlocked(t *testing.T) {
	engineTestStart(t)
	for _, name := range []string{"drawing.svg", "doc.pdf", "anim.gif"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "probe", name))
			if err != nil {
				t.Fatal(err)
			}
			img, err := vips.NewImageFromBuffer(data)
			if err == nil {
				img.Close()
				t.Fatalf("vips.NewImageFromBuffer(%s) = nil error; want the loader blocked", name)
			}
			if !strings.Contains(err.Error(), "operation is blocked") {
				t.Errorf("vips.NewImageFromBuffer(%s) = %v; want an 'operation is blocked' error", name, probeVipsError(err))
			}
			thumb, err := vips.NewThumbnailFromBuffer(data, 32, 32, vips.InterestingNone)
			if err == nil {
				thumb.Close()
				t.Fatalf("vips.NewThumbnailFromBuffer(%s) = nil error; want the loader blocked", name)
			}
		})
	}
	// The allowed loaders still work.
	img := probeTestGradient(t, 32, 24)
	defer img.Close()
	for _, f := range probeTestFormats {
		if _, err := Probe(probeTestEncode(t, img, f), Limits{}); err != nil {
			t.Errorf("Probe(%s) = %v; want nil", f, err)
		}
	}
}

func TestLibvipsWarningsAreLogged(t *testing.T) {
	engineTestStart(t)
	img := probeTestGradient(t, 600, 400)
	defer img.Close()
	data := probeTestEncode(t, img, FormatJPEG)
	if _, err := Derive(data[:len(data)*2/3], DeriveOptions{}); err == nil {
		t.Fatal("Derive(truncated JPEG) = nil error; want one")
	}
	logged := engineTestLogged()
	if !strings.Contains(logged, `"component":"media"`) || !strings.Contains(logged, `"msg":"libvips"`) {
		t.Errorf("engine log = %q; want libvips records with component=media", logged)
	}
}
