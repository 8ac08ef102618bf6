package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// asset is the part of the API's asset JSON the tests look at.
type asset struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Filename      string `json:"filename"`
	SHA256        string `json:"sha256"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
	ThumbURL      string `json:"thumb_url"`
	PreviewURL    string `json:"preview_url"`
	OriginalURL   string `json:"original_url"`
	ThumbWidth    int    `json:"thumb_width"`
	ThumbHeight   int    `json:"thumb_height"`
	PreviewWidth  int    `json:"preview_width"`
	PreviewHeight int    `json:"preview_height"`
	Duplicate     bool   `json:"duplicate"`
}

// upload sends one file through POST /api/v1/assets as the page's script
// does, and returns the status and the asset.
func (b *browser) upload(name string, data []byte) (int, asset) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	r := b.send(http.MethodPost, "/api/v1/assets", &body, http.Header{
		"Content-Type":   {mw.FormDataContentType()},
		"Origin":         {b.base.Scheme + "://" + b.base.Host},
		"Sec-Fetch-Site": {"same-origin"},
	})
	var a asset
	if r.status < 300 {
		if err := json.Unmarshal([]byte(r.body), &a); err != nil {
			b.t.Fatalf("upload %s: %v\n%s", name, err, excerpt(r.body))
		}
	}
	return r.status, a
}

// uploadReady uploads files and waits until the library has made their
// thumbnails and previews.
func (b *browser) uploadReady(files map[string][]byte, order ...string) []asset {
	b.t.Helper()
	var out []asset
	for _, name := range order {
		status, a := b.upload(name, files[name])
		if status != http.StatusCreated {
			b.t.Fatalf("upload %s: status %d; want 201", name, status)
		}
		out = append(out, a)
	}
	for i, a := range out {
		out[i] = b.waitReady(a.ID)
	}
	return out
}

func (b *browser) apiAsset(id string) (int, asset) {
	b.t.Helper()
	r := b.do(http.MethodGet, "/api/v1/assets/"+id, nil, nil)
	var a asset
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &a); err != nil {
			b.t.Fatal(err)
		}
	}
	return r.status, a
}

func (b *browser) waitReady(id string) asset {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, a := b.apiAsset(id)
		if status != http.StatusOK {
			b.t.Fatalf("GET asset %s: %d", id, status)
		}
		switch a.Status {
		case "ready":
			return a
		case "failed":
			b.t.Fatalf("asset %s failed processing", id)
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("asset %s still %s after 30 s", id, a.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var reTileID = regexp.MustCompile(`<li class="tile" id="tile-([^"]+)"`)

// tileIDs lists the photos of a grid page in order.
func tileIDs(body string) []string {
	var ids []string
	for _, m := range reTileID.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// secondAccount invites a second person and signs them in.
func secondAccount(t *testing.T, srv *httptest.Server, admin *browser) *browser {
	t.Helper()
	r := admin.post("/account/invites", form("email", "grace@example.com"))
	m := regexp.MustCompile(`/signup\?invite=(sli_[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no invitation link:\n%s", excerpt(r.body))
	}
	b := newBrowser(t, srv)
	signUp(t, b, "Grace Hopper", "grace@example.com", "invite", m[1])
	signIn(t, b, "grace@example.com", password)
	return b
}

func TestLibraryGridAndViewer(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	files := map[string][]byte{
		"camera.jpg":    cameraJPEG(t, 900, 600, 4, 42),
		"landscape.jpg": testJPEG(t, 640, 480, 1),
		"portrait.jpg":  testJPEG(t, 480, 640, 2),
		"wide.jpg":      testJPEG(t, 800, 400, 3),
	}
	up := b.uploadReady(files, "camera.jpg", "landscape.jpg", "portrait.jpg", "wide.jpg")
	camera, up := up[0], up[1:]

	// Newest capture first; photos without a capture time count from
	// their upload, so the 2024 photo comes last.
	r := b.get("/library")
	wantStatus(t, r, http.StatusOK)
	want := []string{up[2].ID, up[1].ID, up[0].ID, camera.ID}
	if got := tileIDs(r.body); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("library tiles %v; want %v (newest first)", got, want)
	}
	wantNotContains(t, r, "Your library is empty", `id="library-more"`)
	wantContains(t, r, `/static/library.js?v=`, `type="importmap"`, `id="drop-overlay"`, `id="upload-tray"`)
	for _, a := range up {
		if a.ThumbWidth == 0 || a.ThumbHeight == 0 || a.PreviewWidth == 0 {
			t.Fatalf("asset %s has no derivative sizes: %+v", a.Filename, a)
		}
		wantContains(t, r, fmt.Sprintf(`<img src="%s" width="%d" height="%d" loading="lazy" decoding="async" alt="%s">`,
			a.ThumbURL, a.ThumbWidth, a.ThumbHeight, a.Filename))
		// The thumbnail is an image the page may load.
		th := b.do(http.MethodGet, a.ThumbURL, nil, nil)
		if th.status != http.StatusOK || th.header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET %s: %d %q; want a JPEG", a.ThumbURL, th.status, th.header.Get("Content-Type"))
		}
	}
	// The aspect ratio of each thumbnail follows its original's.
	for _, a := range up {
		if got, want := float64(a.ThumbWidth)/float64(a.ThumbHeight), float64(a.Width)/float64(a.Height); got < want*0.97 || got > want*1.03 {
			t.Errorf("%s: thumbnail %d×%d for a %d×%d original", a.Filename, a.ThumbWidth, a.ThumbHeight, a.Width, a.Height)
		}
	}

	// The viewer of the middle photo: the preview, neighbours both ways,
	// download, delete, details.
	mid := up[1]
	r = b.get("/library/" + mid.ID)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r,
		"<title>portrait.jpg · Safelight</title>",
		fmt.Sprintf(`<img id="viewer-image" src="%s" width="%d" height="%d" alt="portrait.jpg">`, mid.PreviewURL, mid.PreviewWidth, mid.PreviewHeight),
		`id="viewer-prev" href="/library/`+up[2].ID+`"`,
		`id="viewer-next" href="/library/`+up[0].ID+`"`,
		`id="viewer-download" href="`+mid.OriginalURL+`" download`,
		`action="/library/`+mid.ID+`/trash"`,
		`href="/library#tile-`+mid.ID+`"`,
		"480 × 640 px", ">JPEG<", "portrait.jpg", mid.SHA256, "Who saw this image", "Nobody has opened it yet",
		`/static/viewer.js?v=`,
	)
	sum := sha256.Sum256(files["portrait.jpg"])
	if mid.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %s; want the file's", mid.SHA256)
	}
	// The details panel is closed unless asked for; links keep its state.
	wantContains(t, r, `id="viewer-info" aria-labelledby="viewer-info-heading" hidden`, `href="/library/`+mid.ID+`?info=1"`)
	r = b.get("/library/" + mid.ID + "?info=1")
	wantNotContains(t, r, `aria-labelledby="viewer-info-heading" hidden`)
	wantContains(t, r, `aria-expanded="true"`, `id="viewer-prev" href="/library/`+up[2].ID+`?info=1"`)

	// The ends of the library have no neighbour on one side.
	r = b.get("/library/" + up[2].ID)
	wantNotContains(t, r, `id="viewer-prev"`)
	wantContains(t, r, `id="viewer-next" href="/library/`+up[1].ID+`"`, "No previous photo")
	r = b.get("/library/" + up[0].ID)
	wantContains(t, r, `id="viewer-next" href="/library/`+camera.ID+`"`)
	r = b.get("/library/" + camera.ID)
	wantNotContains(t, r, `id="viewer-next"`)
	wantContains(t, r, "No next photo", `id="viewer-prev" href="/library/`+up[0].ID+`"`)

	// What the camera recorded, in the words photographers use.
	wantContains(t, r, `<p class="viewer-summary">35 mm · f/2.8 · 1/250 s · ISO 400</p>`,
		"<dt>Camera</dt>", ">"+exifCamera+"<", ">"+exifLens+"<", ">35 mm<", ">f/2.8<", ">1/250 s<", ">400<",
		">"+strings.ReplaceAll(exifTaken, "+", "&#43;")+"<", ">"+exifArtist+"<", ">"+exifCopy+"<", ">"+exifPosition+"<", ">34 m<",
		"900 × 600 px · 0.5 MP")

	// Downloading the original shows in "Who saw this image".
	orig := b.do(http.MethodGet, mid.OriginalURL, nil, nil)
	if orig.status != http.StatusOK || !bytes.Equal([]byte(orig.body), files["portrait.jpg"]) {
		t.Fatalf("GET original: %d, %d bytes; want the uploaded bytes", orig.status, len(orig.body))
	}
	r = b.get("/library/" + mid.ID + "?info=1")
	wantContains(t, r, `<span class="access-actor">You</span> downloaded the original`, "as the owner")
	wantNotContains(t, r, "Nobody has opened it yet")

	// A duplicate upload is not a new photo.
	status, dup := b.upload("again.jpg", files["wide.jpg"])
	if status != http.StatusOK || !dup.Duplicate || dup.ID != up[2].ID {
		t.Errorf("re-upload: %d %+v; want 200, the same asset, duplicate", status, dup)
	}
	if got := tileIDs(b.get("/library").body); len(got) != 4 {
		t.Errorf("after a duplicate upload the library has %d tiles; want 4", len(got))
	}
}

func TestLibraryPages(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	const n = 62 // more than one page of 60
	var ids []string
	for i := range n {
		status, a := b.upload(fmt.Sprintf("frame-%02d.jpg", i), testJPEG(t, 48, 32, i+1))
		if status != http.StatusCreated {
			t.Fatalf("upload %d: %d", i, status)
		}
		ids = append(ids, a.ID)
	}
	r := b.get("/library")
	first := tileIDs(r.body)
	if len(first) != 60 {
		t.Fatalf("first page has %d tiles; want 60", len(first))
	}
	m := regexp.MustCompile(`id="library-more" href="/library\?cursor=([^"]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no link to the next page")
	}
	r = b.get("/library?cursor=" + m[1])
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Earlier photos", `href="/library">Back to the newest`)
	wantNotContains(t, r, `id="library-more"`)
	all := append(first, tileIDs(r.body)...)
	for i, id := range all {
		if want := ids[n-1-i]; id != want {
			t.Fatalf("tile %d is %s; want %s (newest first, no gaps or repeats)", i, id, want)
		}
	}
	if len(all) != n {
		t.Fatalf("%d tiles over both pages; want %d", len(all), n)
	}
	r = b.get("/library?cursor=not-a-cursor")
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "start again from the first page")
}

func TestUploadPage(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	r := b.get("/upload")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Upload · Safelight</title>",
		`<input class="file-input" type="file" id="upload-files" multiple>`,
		`<input class="file-input" type="file" id="upload-folder" multiple webkitdirectory>`,
		`<label for="upload-files"`, `<label for="upload-folder"`,
		"Up to 200 MB per file", `data-max-bytes="209715200"`, `/static/upload-page.js?v=`, `id="upload-tray"`,
		`<a href="/upload" aria-current="page">`)
	// The picker does not pre-judge files by their names: the server does.
	wantNotContains(t, r, "accept=")

	// The modules import each other through the import map, so each
	// resolves to the hashed URL of the current file.
	imports := regexp.MustCompile(`<script type="importmap" nonce="[^"]+">(.*?)</script>`).FindStringSubmatch(r.body)
	if imports == nil {
		t.Fatal("no import map")
	}
	var im struct{ Imports map[string]string }
	if err := json.Unmarshal([]byte(imports[1]), &im); err != nil {
		t.Fatalf("import map: %v", err)
	}
	for _, mod := range []string{"upload.js", "grid.js", "upload-page.js"} {
		u := im.Imports["/static/"+mod]
		if !strings.HasPrefix(u, "/static/"+mod+"?v=") {
			t.Errorf("import map maps %s to %q", mod, u)
			continue
		}
		if res := b.do(http.MethodGet, u, nil, nil); res.status != http.StatusOK {
			t.Errorf("GET %s: %d", u, res.status)
		}
	}
}

func TestOtherPeoplesPhotosAreNotFound(t *testing.T) {
	t.Parallel()
	srv, ada := newAccount(t)
	grace := secondAccount(t, srv, ada)
	mine := ada.uploadReady(map[string][]byte{"ada.jpg": testJPEG(t, 320, 240, 7)}, "ada.jpg")[0]
	theirs := grace.uploadReady(map[string][]byte{"grace.jpg": testJPEG(t, 320, 240, 8)}, "grace.jpg")[0]

	wantNotContains(t, grace.get("/library"), mine.ID)
	wantContains(t, grace.get("/library"), theirs.ID)

	for _, path := range []string{"/library/" + mine.ID, "/library/" + mine.ID + "?info=1"} {
		r := grace.get(path)
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r, "Page not found")
		wantNotContains(t, r, "ada.jpg", mine.SHA256)
	}
	for _, path := range []string{"/library/" + mine.ID + "/trash", "/library/" + mine.ID + "/restore"} {
		r := grace.post(path, nil)
		wantStatus(t, r, http.StatusNotFound)
	}
	// Grace emptying her trash leaves Ada's photos alone, even trashed.
	wantRedirect(t, ada.post("/library/"+mine.ID+"/trash", nil), "/library")
	wantRedirect(t, grace.post("/trash/empty", nil), "/trash")
	wantNotContains(t, grace.get("/trash"), mine.ID)
	wantStatus(t, grace.post("/library/"+mine.ID+"/restore", nil), http.StatusNotFound)
	wantRedirect(t, ada.post("/library/"+mine.ID+"/restore", nil), "/trash")
	if status, _ := ada.apiAsset(mine.ID); status != http.StatusOK {
		t.Errorf("Ada's photo after Grace's attempts: %d; want 200", status)
	}
	wantStatus(t, ada.get("/library/"+mine.ID), http.StatusOK)
}

func TestTrashRestoreAndEmpty(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	up := b.uploadReady(map[string][]byte{
		"keep.jpg": testJPEG(t, 400, 300, 4),
		"drop.jpg": testJPEG(t, 300, 400, 5),
	}, "keep.jpg", "drop.jpg")
	keep, drop := up[0], up[1]

	r := b.get("/trash")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<title>Trash · Safelight</title>", "Items in the trash are deleted for good after 30 days.",
		"The trash is empty", `<a class="nav-quiet" href="/trash" aria-current="page">`)
	wantNotContains(t, r, `action="/trash/empty"`)

	// Delete from the viewer: the photo leaves the library for the trash.
	wantRedirect(t, b.post("/library/"+drop.ID+"/trash", nil), "/library")
	r = b.get("/library")
	wantContains(t, r, "The photo was moved to the trash.")
	if got := tileIDs(r.body); fmt.Sprint(got) != fmt.Sprint([]string{keep.ID}) {
		t.Errorf("library after deleting: %v; want only %s", got, keep.ID)
	}
	wantStatus(t, b.get("/library/"+drop.ID), http.StatusNotFound)
	wantStatus(t, b.post("/library/"+drop.ID+"/trash", nil), http.StatusNotFound)   // already there
	wantStatus(t, b.post("/library/"+keep.ID+"/restore", nil), http.StatusNotFound) // not in the trash

	r = b.get("/trash")
	wantContains(t, r, `id="trash-`+drop.ID+`"`, `action="/library/`+drop.ID+`/restore"`, "drop.jpg",
		"Deleted <time", "Delete 1 photo for good?", `action="/trash/empty"`, "Items in the trash are deleted for good after 30 days.")
	wantNotContains(t, r, keep.ID, "The trash is empty")
	wantContains(t, r, fmt.Sprintf(`<img src="%s" width="%d" height="%d" loading="lazy"`, drop.ThumbURL, drop.ThumbWidth, drop.ThumbHeight))

	// Restore: back in the library, in its place.
	wantRedirect(t, b.post("/library/"+drop.ID+"/restore", nil), "/trash")
	r = b.get("/trash")
	wantContains(t, r, "The photo is back in your library.", "The trash is empty")
	if got := tileIDs(b.get("/library").body); fmt.Sprint(got) != fmt.Sprint([]string{drop.ID, keep.ID}) {
		t.Errorf("library after restoring: %v; want %v", got, []string{drop.ID, keep.ID})
	}

	// Empty: both deleted for good.
	wantRedirect(t, b.post("/library/"+drop.ID+"/trash", nil), "/library")
	wantRedirect(t, b.post("/library/"+keep.ID+"/trash", nil), "/library")
	wantContains(t, b.get("/trash"), "Delete 2 photos for good?")
	wantRedirect(t, b.post("/trash/empty", nil), "/trash")
	r = b.get("/trash")
	wantContains(t, r, "The trash was emptied.", "The trash is empty")
	wantContains(t, b.get("/library"), "Your library is empty")
	for _, a := range up {
		wantStatus(t, b.post("/library/"+a.ID+"/restore", nil), http.StatusNotFound)
		if status, _ := b.apiAsset(a.ID); status != http.StatusNotFound {
			t.Errorf("API asset %s after emptying the trash: %d; want 404", a.ID, status)
		}
	}
}

func TestLibrarySettings(t *testing.T) {
	t.Parallel()
	_, b := newAccount(t)
	checkbox := regexp.MustCompile(`<input id="keep-copyright" name="keep_copyright" type="checkbox"[^>]*>`)
	checked := func() bool {
		t.Helper()
		r := b.get("/account")
		m := checkbox.FindString(r.body)
		if m == "" {
			t.Fatalf("no keep-copyright checkbox on the account page")
		}
		return strings.Contains(m, " checked")
	}
	apiSetting := func() bool {
		t.Helper()
		r := b.do(http.MethodGet, "/api/v1/me/library-settings", nil, nil)
		var s struct {
			KeepCopyright bool `json:"keep_copyright"`
		}
		if err := json.Unmarshal([]byte(r.body), &s); err != nil {
			t.Fatalf("library settings: %d %v", r.status, err)
		}
		return s.KeepCopyright
	}

	r := b.get("/account")
	wantContains(t, r, `action="/account/library-settings"`, "Keep creator, copyright and credit in previews",
		"camera details and GPS location, is always removed from previews", `href="#library-settings"`)
	if !checked() || !apiSetting() {
		t.Fatal("keep copyright is off for a new account; want on by default")
	}

	wantRedirect(t, b.post("/account/library-settings", form()), "/account#library-settings")
	wantContains(t, b.get("/account"), "Your library settings were saved.")
	if checked() || apiSetting() {
		t.Error("keep copyright still on after saving the form unticked")
	}
	wantRedirect(t, b.post("/account/library-settings", form("keep_copyright", "on")), "/account#library-settings")
	if !checked() || !apiSetting() {
		t.Error("keep copyright off after saving the form ticked")
	}
}

// The trash shows each photo's thumbnail, so that people recognise what
// they restore or delete for good: its owner can still load it, nobody
// else can, and the preview and original stay out of reach until the
// photo is restored.
func TestTrashShowsThumbnails(t *testing.T) {
	t.Parallel()
	srv, ada := newAccount(t)
	grace := secondAccount(t, srv, ada)
	a := ada.uploadReady(map[string][]byte{"gone.jpg": testJPEG(t, 400, 300, 9)}, "gone.jpg")[0]
	wantRedirect(t, ada.post("/library/"+a.ID+"/trash", nil), "/library")
	wantContains(t, ada.get("/trash"), `<img src="`+a.ThumbURL+`"`)
	if r := ada.do(http.MethodGet, a.ThumbURL, nil, nil); r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("owner: GET thumbnail of a photo in the trash: %d %q; want 200 image/jpeg", r.status, r.header.Get("Content-Type"))
	}
	if r := grace.do(http.MethodGet, a.ThumbURL, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("someone else: GET thumbnail of a photo in the trash: %d; want 404", r.status)
	}
	for _, u := range []string{a.PreviewURL, a.OriginalURL} {
		if r := ada.do(http.MethodGet, u, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("owner: GET %s of a photo in the trash: %d; want 404", u, r.status)
		}
	}
}
