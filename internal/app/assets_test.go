package app_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
)

// testJPEG makes a real JPEG with varied content (so compressed bytes are
// distinctive), w×h pixels, seeded by seed.
func testJPEG(t *testing.T, w, h int, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*7 + seed*31), uint8(y*5 + seed*17), uint8((x*y)/(seed+3) + seed), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeaderOnly is a PNG whose header claims w×h pixels, with a tiny body.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// upload posts one file in the multipart field "file" (or another field).
func (c *client) upload(field, name string, data []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return c.do("POST", "/api/v1/assets", rawBody{ctype: mw.FormDataContentType(), data: body.Bytes()})
}

// waitReady polls the asset until it leaves "processing".
func (c *client) waitReady(id string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r := c.must(200, "GET", "/api/v1/assets/"+id, nil)
		if r.json["status"] != "processing" {
			return r.json
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("asset %s still processing after 60 s", id)
	return nil
}

func TestUploadAndServe(t *testing.T) {
	dir := t.TempDir()
	a, srv := newServer(t, "--data", dir)
	c := signUpAndLogin(t, srv, "ann@example.com")
	orig := testJPEG(t, 900, 600, 1)

	r := c.upload("file", "Évora at dawn.jpg", orig)
	if r.status != 201 {
		t.Fatalf("upload = %d %s", r.status, r.body)
	}
	id := r.json["id"].(string)
	if r.json["status"] != "processing" || r.json["format"] != "jpeg" || r.json["width"] != 900.0 || r.json["height"] != 600.0 {
		t.Errorf("upload answer = %s", r.body)
	}
	if r.json["filename"] != "Évora at dawn.jpg" || len(r.json["sha256"].(string)) != 64 {
		t.Errorf("filename/sha256 = %v %v", r.json["filename"], r.json["sha256"])
	}
	got := c.waitReady(id)
	if got["status"] != "ready" {
		t.Fatalf("asset = %v; want ready", got)
	}
	if got["thumb_width"] != 480.0 || got["thumb_height"] != 320.0 || got["preview_width"] != 900.0 {
		t.Errorf("derivative sizes = %v×%v, %v; want 480×320 and no upscaling (900)", got["thumb_width"], got["thumb_height"], got["preview_width"])
	}

	// The original comes back byte for byte, as an attachment.
	o := c.must(200, "GET", "/api/v1/assets/"+id+"/original", nil)
	if !bytes.Equal(o.body, orig) {
		t.Errorf("original = %d bytes; want the %d uploaded, identical", len(o.body), len(orig))
	}
	h := o.header
	if h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || !strings.Contains(h.Get("Cache-Control"), "private") {
		t.Errorf("original headers = %v", h)
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''%C3%89vora%20at%20dawn.jpg") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	// HTTP Range through seekable decryption.
	c.header = http.Header{"Range": {"bytes=100-299"}}
	rg := c.do("GET", "/api/v1/assets/"+id+"/original", nil)
	c.header = http.Header{}
	if rg.status != 206 || !bytes.Equal(rg.body, orig[100:300]) || rg.header.Get("Content-Range") != fmt.Sprintf("bytes 100-299/%d", len(orig)) {
		t.Errorf("range = %d %q, %d bytes", rg.status, rg.header.Get("Content-Range"), len(rg.body))
	}
	for _, kind := range []string{"thumb", "preview"} {
		d := c.must(200, "GET", "/api/v1/assets/"+id+"/"+kind, nil)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(d.body))
		if err != nil || format != "jpeg" || d.header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("%s = %v %s %v", kind, err, format, d.header.Get("Content-Type"))
		}
		if kind == "thumb" && (cfg.Width != 480 || cfg.Height != 320) {
			t.Errorf("thumb is %d×%d; want 480×320", cfg.Width, cfg.Height)
		}
	}

	// The owner's original download is in the access log.
	log := c.must(200, "GET", "/api/v1/assets/"+id+"/access-log", nil).json["items"].([]any)
	if len(log) < 2 || log[0].(map[string]any)["action"] != "original" {
		t.Errorf("access log = %v; want the original downloads", log)
	}

	// No plaintext byte sequence of the original anywhere under the data
	// directory (blobs, database, WAL, keys).
	assertNoPlaintext(t, a, dir, orig)
}

// assertNoPlaintext fails if any 32-byte window of plain (sampled every
// 997 bytes) occurs in any file under dir or in any stored blob (which in
// scale-out mode live in the S3 bucket, not under dir).
func assertNoPlaintext(t *testing.T, a *app.App, dir string, plain []byte) {
	t.Helper()
	var windows [][]byte
	for i := 0; i+32 <= len(plain); i += 997 {
		windows = append(windows, plain[i:i+32])
	}
	scanned := 0
	forEachStored(t, a, dir, func(name string, b []byte) {
		scanned++
		for _, w := range windows {
			if bytes.Contains(b, w) {
				t.Errorf("plaintext of the original found in %s", name)
				return
			}
		}
	})
	// At least the three blobs (original, thumb, preview); in embedded
	// mode the database, its WAL and the key file too.
	if scanned < 3 {
		t.Errorf("scanned only %d files and blobs", scanned)
	}
}

// forEachStored calls fn with the content of every file under dir and of
// every blob in a's blob store, as stored (sealed).
func forEachStored(t *testing.T, a *app.App, dir string, fn func(name string, b []byte)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fn(p, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for info, err := range a.Blobs().List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		rc, err := a.Blobs().Get(t.Context(), info.Ref)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		fn("blob "+string(info.Ref), b)
	}
}

func TestUploadBadInput(t *testing.T) {
	dir := t.TempDir()
	a, srv := newServer(t, "--data", dir, "--max-upload-size", "1MiB")
	c := signUpAndLogin(t, srv, "ann@example.com")
	good := testJPEG(t, 320, 240, 2)
	tests := []struct {
		name     string
		field    string
		filename string // "" is x.jpg
		data     []byte
		status   int
		msg      string
	}{
		{"empty file", "file", "", nil, 400, "empty"},
		{"JPEG named .png", "file", "x.png", good, 415, "named .png but holds a JPEG image"},
		{"JPEG named .exe", "file", "setup.exe", good, 415, "a file named .exe is not an image we take"},
		{"text named .jpg", "file", "", []byte("just some text, not a photo\n"), 415, "not an image"},
		{"HTML", "file", "", []byte("<!doctype html><html><script>alert(1)</script></html>"), 415, "not an image"},
		{"SVG", "file", "", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415, "not an image"},
		{"PDF", "file", "", []byte("%PDF-1.7\n1 0 obj\n"), 415, "not an image"},
		{"truncated JPEG", "file", "", good[:200], 422, ""},
		{"pixel bomb PNG", "file", "", pngHeaderOnly(100000, 100000), 422, "megapixels"},
		{"over the size limit", "file", "", bytes.Repeat(good, 1+(1<<20)/len(good)), 413, "limit"},
		{"no file field", "photo", "", good, 400, `"file"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.filename
			if name == "" {
				name = "x.jpg"
			}
			r := c.upload(tt.field, name, tt.data)
			if r.status != tt.status {
				t.Fatalf("status = %d %s; want %d", r.status, r.body, tt.status)
			}
			if msg, _ := r.json["error"].(string); !strings.Contains(msg, tt.msg) {
				t.Errorf("error = %q; want it to mention %q", msg, tt.msg)
			}
		})
	}
	// Nothing was stored: no rows, no blobs.
	if items := c.must(200, "GET", "/api/v1/assets", nil).json["items"].([]any); len(items) != 0 {
		t.Errorf("refused uploads left %d assets", len(items))
	}
	n := 0
	for info, err := range a.Blobs().List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		t.Logf("left behind: %s", info.Ref)
	}
	if n != 0 {
		t.Errorf("refused uploads left %d blobs", n)
	}
	// A body announced as too large is refused before it is read.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/assets", strings.NewReader("x"))
	req.ContentLength = 50 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	if res, err := http.DefaultClient.Do(req); err == nil {
		if res.StatusCode != 413 {
			t.Errorf("announced 50 MB upload = %d; want 413", res.StatusCode)
		}
		res.Body.Close()
	}
}

func TestJPEGWithAppendedHTML(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLogin(t, srv, "ann@example.com")
	payload := []byte("<html><script>alert('xss')</script></html>")
	data := append(testJPEG(t, 400, 300, 3), payload...)
	r := c.upload("file", "polyglot.jpg", data)
	if r.status != 201 {
		t.Fatalf("upload = %d %s; a JPEG that decodes is stored", r.status, r.body)
	}
	id := r.json["id"].(string)
	if a := c.waitReady(id); a["status"] != "ready" {
		t.Fatalf("asset = %v", a)
	}
	for _, kind := range []string{"thumb", "preview"} {
		d := c.must(200, "GET", "/api/v1/assets/"+id+"/"+kind, nil)
		if bytes.Contains(d.body, []byte("<script")) || bytes.Contains(d.body, []byte("<html")) {
			t.Errorf("%s carries the appended HTML", kind)
		}
	}
	o := c.must(200, "GET", "/api/v1/assets/"+id+"/original", nil)
	if o.header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(o.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("original served as %q with CSP %q", o.header.Get("Content-Type"), o.header.Get("Content-Security-Policy"))
	}
}

func TestCrossUserAssetsAnswer404(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com")
	bob := signUpAndLogin(t, srv, "bob@example.com")
	r := ann.upload("file", "private.jpg", testJPEG(t, 300, 200, 4))
	id := r.json["id"].(string)
	ann.waitReady(id)
	for _, ep := range []struct{ method, path string }{
		{"GET", "/api/v1/assets/" + id},
		{"GET", "/api/v1/assets/" + id + "/original"},
		{"GET", "/api/v1/assets/" + id + "/thumb"},
		{"GET", "/api/v1/assets/" + id + "/preview"},
		{"GET", "/api/v1/assets/" + id + "/access-log"},
		{"DELETE", "/api/v1/assets/" + id},
		{"POST", "/api/v1/assets/" + id + "/restore"},
	} {
		if res := bob.do(ep.method, ep.path, nil); res.status != 404 {
			t.Errorf("bob %s %s = %d; want 404", ep.method, ep.path, res.status)
		}
	}
	if items := bob.must(200, "GET", "/api/v1/assets", nil).json["items"].([]any); len(items) != 0 {
		t.Errorf("bob's library lists %d of ann's assets", len(items))
	}
	bob.must(204, "DELETE", "/api/v1/trash", nil)
	// Ann's asset survived all of it.
	if a := ann.must(200, "GET", "/api/v1/assets/"+id, nil); a.json["status"] != "ready" {
		t.Errorf("ann's asset after bob's attempts = %s", a.body)
	}
	// A missing id and a malformed one are 404 too.
	ann.must(404, "GET", "/api/v1/assets/0197a000-0000-7000-8000-000000000000", nil)
	ann.must(404, "GET", "/api/v1/assets/not-a-uuid", nil)
	ann.must(404, "GET", "/api/v1/assets/not-a-uuid/original", nil)
}

func TestDuplicatesTrashAndPaging(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLogin(t, srv, "ann@example.com")
	img := testJPEG(t, 200, 150, 5)
	first := c.upload("file", "a.jpg", img)
	if first.status != 201 {
		t.Fatalf("upload = %d %s", first.status, first.body)
	}
	id := first.json["id"].(string)
	again := c.upload("file", "a-copy.jpg", img)
	if again.status != 200 || again.json["duplicate"] != true || again.json["id"] != id {
		t.Errorf("second upload of the same file = %d %s; want 200 duplicate of %s", again.status, again.body, id)
	}
	var ids []string
	for i := range 4 {
		r := c.upload("file", fmt.Sprintf("b%d.jpg", i), testJPEG(t, 200, 150, 10+i))
		ids = append(ids, r.json["id"].(string))
	}
	// Pages of 2 cover all 5, newest first, no repeats.
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		r := c.must(200, "GET", "/api/v1/assets?limit=2&cursor="+cursor, nil)
		for _, it := range r.json["items"].([]any) {
			aid := it.(map[string]any)["id"].(string)
			if seen[aid] {
				t.Errorf("asset %s listed twice", aid)
			}
			seen[aid] = true
		}
		pages++
		cursor, _ = r.json["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("paging saw %d assets in %d pages; want 5 in 3", len(seen), pages)
	}
	c.must(400, "GET", "/api/v1/assets?cursor=not-a-cursor", nil)
	c.must(400, "GET", "/api/v1/assets?limit=100000", nil)

	// Trash, restore, and empty.
	c.must(204, "DELETE", "/api/v1/assets/"+id, nil)
	c.must(404, "GET", "/api/v1/assets/"+id, nil)
	c.must(404, "GET", "/api/v1/assets/"+id+"/original", nil)
	trash := c.must(200, "GET", "/api/v1/trash", nil).json["items"].([]any)
	if len(trash) != 1 || trash[0].(map[string]any)["trashed_at"] == nil {
		t.Fatalf("trash = %v", trash)
	}
	c.must(200, "POST", "/api/v1/assets/"+id+"/restore", nil)
	c.must(200, "GET", "/api/v1/assets/"+id, nil)
	c.must(204, "DELETE", "/api/v1/assets/"+ids[0], nil)
	c.must(204, "DELETE", "/api/v1/trash", nil)
	c.must(404, "POST", "/api/v1/assets/"+ids[0]+"/restore", nil)
	if n := len(c.must(200, "GET", "/api/v1/trash", nil).json["items"].([]any)); n != 0 {
		t.Errorf("trash after emptying = %d items", n)
	}
	// After the purge, the same bytes are a new upload again.
	if r := c.upload("file", "again.jpg", testJPEG(t, 200, 150, 10)); r.status != 201 {
		t.Errorf("re-upload after purge = %d %s; want 201", r.status, r.body)
	}
}

func TestLibrarySettings(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLogin(t, srv, "ann@example.com")
	if r := c.must(200, "GET", "/api/v1/me/library-settings", nil); r.json["keep_copyright"] != true {
		t.Errorf("default keep_copyright = %v; want true", r.json["keep_copyright"])
	}
	c.must(200, "PATCH", "/api/v1/me/library-settings", map[string]bool{"keep_copyright": false})
	if r := c.must(200, "GET", "/api/v1/me/library-settings", nil); r.json["keep_copyright"] != false {
		t.Errorf("keep_copyright after PATCH = %v", r.json["keep_copyright"])
	}
	c.must(400, "PATCH", "/api/v1/me/library-settings", map[string]string{"keep_copyright": "yes"})
}

// TestAdminHasNoPathToContent: the instance admin (the first account) is
// a stranger to everyone else's images, on every endpoint.
func TestAdminHasNoPathToContent(t *testing.T) {
	_, srv := newServer(t, "--signup", "open")
	admin := signUpAndLogin(t, srv, "admin@example.com")
	if r := admin.must(200, "GET", "/api/v1/me", nil); r.json["roles"].([]any)[0] != "admin" {
		t.Fatalf("first account is not admin: %s", r.body)
	}
	bea := signUpAndLogin(t, srv, "bea@example.com")
	id := bea.upload("file", "bea.jpg", testJPEG(t, 300, 200, 6)).json["id"].(string)
	bea.waitReady(id)
	for _, sub := range []string{"", "/original", "/thumb", "/preview", "/access-log"} {
		if r := admin.do("GET", "/api/v1/assets/"+id+sub, nil); r.status != 404 {
			t.Errorf("admin GET /api/v1/assets/%s%s = %d; want 404", id, sub, r.status)
		}
	}
	if r := admin.do("GET", "/library/"+id, nil); r.status != 404 {
		t.Errorf("admin GET /library/%s = %d; want 404", id, r.status)
	}
	if items := admin.must(200, "GET", "/api/v1/assets", nil).json["items"].([]any); len(items) != 0 {
		t.Errorf("admin's library lists %d of bea's images", len(items))
	}
	// And nothing the admin did shows in bea's access log but her own download.
	bea.must(200, "GET", "/api/v1/assets/"+id+"/original", nil)
	log := bea.must(200, "GET", "/api/v1/assets/"+id+"/access-log", nil).json["items"].([]any)
	if len(log) != 1 || log[0].(map[string]any)["actor"] != "you" {
		t.Errorf("access log = %v; want only bea's own download", log)
	}
}

// withXMP inserts an XMP packet (APP1) after the SOI marker of a JPEG.
func withXMP(jpegData []byte, xmp string) []byte {
	payload := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmp...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpegData[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpegData[2:]...)
}

const testXMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Credit="Studio Nord"
 exif:GPSLatitude="52,31.2N" exif:GPSLongitude="13,24.3E">
<dc:creator><rdf:Seq><rdf:li>Ada Lovelace</rdf:li></rdf:Seq></dc:creator>
<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2026 Ada Lovelace</rdf:li></rdf:Alt></dc:rights>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Private caption at the secret cove</rdf:li></rdf:Alt></dc:description>
</rdf:Description></rdf:RDF></x:xmpmeta>`

// TestDerivativesKeepOnlyWhatTheOwnerAllows: previews carry the creator,
// copyright and credit when the owner's setting says so (the default) and
// nothing when it is off; never the caption or a position.
func TestDerivativesKeepOnlyWhatTheOwnerAllows(t *testing.T) {
	_, srv := newServer(t)
	c := signUpAndLogin(t, srv, "ada@example.com")
	fetch := func(seed int) (map[string]any, []byte) {
		r := c.upload("file", "cove.jpg", withXMP(testJPEG(t, 640, 480, seed), testXMP))
		if r.status != 201 {
			t.Fatalf("upload = %d %s", r.status, r.body)
		}
		a := c.waitReady(r.json["id"].(string))
		return a, c.must(200, "GET", "/api/v1/assets/"+r.json["id"].(string)+"/preview", nil).body
	}
	a, kept := fetch(21)
	if a["creator"] != "Ada Lovelace" || a["copyright"] != "© 2026 Ada Lovelace" || a["caption"] == nil {
		t.Errorf("extracted metadata = creator %v, copyright %v, caption %v", a["creator"], a["copyright"], a["caption"])
	}
	for _, want := range []string{"Ada Lovelace", "Studio Nord"} {
		if !bytes.Contains(kept, []byte(want)) {
			t.Errorf("preview (copyright kept) lacks %q", want)
		}
	}
	for _, never := range []string{"secret cove", "GPSLatitude", "52,31"} {
		if bytes.Contains(kept, []byte(never)) {
			t.Errorf("preview carries %q", never)
		}
	}
	c.must(200, "PATCH", "/api/v1/me/library-settings", map[string]bool{"keep_copyright": false})
	_, stripped := fetch(22)
	for _, never := range []string{"Ada Lovelace", "Studio Nord", "secret cove", "GPSLatitude", "http://ns.adobe.com/xap/1.0/"} {
		if bytes.Contains(stripped, []byte(never)) {
			t.Errorf("preview (copyright not kept) carries %q", never)
		}
	}
}
