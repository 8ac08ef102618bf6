package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// photoJPEG makes a w×h JPEG with photo-like detail (gradients and grain),
// so that its size and decode cost resemble a camera file.
func photoJPEG(tb testing.TB, w, h int, seed uint64) []byte {
	tb.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	for y := range h {
		for x := range w {
			v := 128 + 90*float64(x)/float64(w) - 60*float64(y)/float64(h) + float64(rng.IntN(40)) - 20
			img.Y[y*img.YStride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = uint8(100 + x*60/(w/2) + rng.IntN(8))
			img.Cr[y*img.CStride+x] = uint8(150 - y*50/(h/2) + rng.IntN(8))
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// benchUser is a signed-in HTTP client of a running server.
type benchUser struct {
	base string
	http *http.Client
}

func newBenchUser(tb testing.TB, base string) *benchUser {
	jar, _ := cookiejar.New(nil)
	u := &benchUser{base: base, http: &http.Client{Jar: jar}}
	for _, step := range []struct{ path, body string }{
		{"/api/v1/auth/signup", `{"email":"bench@example.com","password":"` + password + `","name":"Bench"}`},
		{"/api/v1/auth/login", `{"email":"bench@example.com","password":"` + password + `"}`},
	} {
		res, err := u.http.Post(base+step.path, "application/json", strings.NewReader(step.body))
		if err != nil || res.StatusCode/100 != 2 {
			tb.Fatalf("POST %s = %v %v", step.path, res, err)
		}
		res.Body.Close()
	}
	return u
}

func (u *benchUser) upload(tb testing.TB, name string, data []byte) string {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		pw.Close()
	}()
	res, err := u.http.Post(u.base+"/api/v1/assets", mw.FormDataContentType(), pr)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var a struct{ ID, Error string }
	json.NewDecoder(res.Body).Decode(&a)
	if res.StatusCode != 201 {
		tb.Fatalf("upload %s = %d %s", name, res.StatusCode, a.Error)
	}
	return a.ID
}

func (u *benchUser) waitReady(tb testing.TB, id string) {
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := u.http.Get(u.base + "/api/v1/assets/" + id)
		if err != nil {
			tb.Fatal(err)
		}
		var a struct{ Status string }
		json.NewDecoder(res.Body).Decode(&a)
		res.Body.Close()
		switch a.Status {
		case "ready":
			return
		case "failed":
			tb.Fatalf("asset %s failed", id)
		}
	}
	tb.Fatalf("asset %s not ready after 5 minutes", id)
}

// peakRSS reads the process's peak resident set size (VmHWM).
func peakRSS(tb testing.TB, pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}

func stopServe(s served) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

// BenchmarkIngest measures the real server binary over loopback:
//   - ingest throughput: 24-megapixel JPEGs uploaded three at a time (as the
//     UI does) until each is "ready" (sealed original, thumb and preview),
//     against the baseline of copying the same files to disk with fsync;
//     and until every upload is acknowledged (original sealed and stored);
//   - the server's peak memory (VmHWM) while ingesting one 100-megapixel
//     JPEG, in a fresh process.
//
// Run with -benchtime 1x (make bench does).
func BenchmarkIngest(b *testing.B) {
	bin := buildBinary(b)
	const photos = 6
	files := make([][]byte, photos)
	var total int64
	for i := range files {
		files[i] = photoJPEG(b, 6000, 4000, uint64(i+1))
		total += int64(len(files[i]))
	}
	big := photoJPEG(b, 10000, 10000, 99)
	mb := float64(total) / 1e6

	for b.Loop() {
		dir := b.TempDir()
		t0 := time.Now()
		for i, f := range files {
			fh, err := os.Create(filepath.Join(dir, strconv.Itoa(i)+".jpg"))
			if err != nil {
				b.Fatal(err)
			}
			fh.Write(f)
			fh.Sync()
			fh.Close()
		}
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
		copyTime := time.Since(t0)

		srv := startServe(b, bin, b.TempDir())
		u := newBenchUser(b, srv.base)
		t1 := time.Now()
		sem := make(chan struct{}, 3)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ids []string
		var ackTime time.Duration
		for i, f := range files {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				id := u.upload(b, fmt.Sprintf("p%d.jpg", i), f)
				mu.Lock()
				ids = append(ids, id)
				if len(ids) == len(files) {
					ackTime = time.Since(t1)
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		for _, id := range ids {
			u.waitReady(b, id)
		}
		ingestTime := time.Since(t1)
		stopServe(srv)

		srv = startServe(b, bin, b.TempDir())
		u = newBenchUser(b, srv.base)
		u.waitReady(b, u.upload(b, "big.jpg", big))
		peak := peakRSS(b, srv.cmd.Process.Pid)
		stopServe(srv)

		b.ReportMetric(mb/ingestTime.Seconds(), "ingest-MB/s")
		b.ReportMetric(mb/ackTime.Seconds(), "acknowledged-MB/s")
		b.ReportMetric(mb/copyTime.Seconds(), "cp+fsync-MB/s")
		b.ReportMetric(copyTime.Seconds()/ingestTime.Seconds(), "x-of-cp")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB-100MP")
		b.Logf("ingest of %d 24 MP JPEGs (%.0f MB): %v = %.1f MB/s; cp+fsync: %v = %.1f MB/s; ratio %.2f× (target ≥ 0.5×)",
			photos, mb, ingestTime.Round(time.Millisecond), mb/ingestTime.Seconds(),
			copyTime.Round(time.Millisecond), mb/copyTime.Seconds(), copyTime.Seconds()/ingestTime.Seconds())
		b.Logf("uploads acknowledged (sealed and stored, previews still running): %v = %.1f MB/s, %.2f× of cp+fsync",
			ackTime.Round(time.Millisecond), mb/ackTime.Seconds(), copyTime.Seconds()/ackTime.Seconds())
		b.Logf("one 100 MP JPEG (%d MB): server peak RSS %d MiB (target < 1024 MiB)", len(big)>>20, peak>>20)
	}
}
