package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// trayState is what the upload tray shows at one moment.
type trayState struct {
	Tray    string   `json:"tray"`    // "busy" or "idle"
	Meta    string   `json:"meta"`    // bytes, speed, time left
	States  []string `json:"states"`  // each row's data-state
	Percent []int    `json:"percent"` // each row's bar
}

const readTray = `(() => {
  const rows = [...document.querySelectorAll("#upload-tray .upload-row")];
  return {
    tray: document.querySelector("#upload-tray").dataset.state || "",
    meta: document.querySelector("#upload-tray .tray-meta")?.textContent || "",
    states: rows.map(r => r.dataset.state),
    percent: rows.map(r => Number(r.querySelector(".bar").getAttribute("aria-valuenow"))),
  };
})()`

// checkJustified is true when every full row of the grid fills its width
// exactly with tiles of one height, and no row is taller than the target.
const checkJustified = `(() => {
  const grid = document.querySelector("#grid");
  const gap = parseFloat(getComputedStyle(grid).columnGap);
  const rows = new Map();
  for (const t of grid.querySelectorAll(".tile")) {
    const r = t.getBoundingClientRect();
    const key = Math.round(r.top);
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key).push(r);
  }
  const list = [...rows.values()];
  const problems = [];
  list.forEach((row, i) => {
    const heights = new Set(row.map(r => Math.round(r.height)));
    if (heights.size !== 1) problems.push("row " + i + " has heights " + [...heights]);
    const width = row.reduce((w, r) => w + r.width, 0) + gap * (row.length - 1);
    if (i < list.length - 1 && Math.abs(width - grid.clientWidth) > 1) problems.push("row " + i + " is " + width + " wide, grid " + grid.clientWidth);
  });
  return problems.join("; ");
})()`

// TestBrowserLibrary drives the library in Chromium: upload photos and a
// file that is not one through the upload page (slowed down so progress
// shows), see them in the justified grid, move through them in the
// viewer with the keyboard, read the details, delete one, find it in the
// trash and restore it, and drop a file on the library. Screenshots of
// each screen go to $SAFELIGHT_TEST_SCREENSHOTS.
func TestBrowserLibrary(t *testing.T) {
	_, srv := newServer(t)
	c := startChrome(t, srv.URL)
	base := c.base

	dir := t.TempDir()
	sizes := [][2]int{{1600, 1067}, {1067, 1600}, {1800, 900}, {1200, 1200}, {1500, 1000}, {1000, 1500}}
	var photos []string
	for i, s := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("DSC_%04d.jpg", 101+i))
		// Capture times one minute apart, the first file the newest.
		c.must("write photo", os.WriteFile(path, cameraJPEG(t, s[0], s[1], i+1, 20-i), 0o644))
		photos = append(photos, path)
	}
	// People who ask for reduced motion get no transitions: screenshots
	// then show finished states, and the CSS that honours it is exercised.
	_, err := chromedp.Call(c.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	c.must("reduce motion", err)
	notes := filepath.Join(dir, "notes.txt")
	c.must("write notes", os.WriteFile(notes, []byte("Shot list for Saturday: the harbour at dawn.\n"), 0o644))

	// Sign up and sign in through the forms.
	c.signUpAndSignIn("Ada Lovelace", "ada@example.com", "#start")
	c.enrolTOTP("ada@example.com") // the first account is the admin, who must use two-step sign-in
	c.do("open library",
		chromedp.Navigate(base+"/library"),
		chromedp.WaitVisible(chromedp.CSS("#library-grid .empty-state")),
	)
	c.location("/library")
	if got := c.text(".empty-actions"); !strings.Contains(got, "or drop them anywhere on this page") {
		t.Errorf("empty library = %q; want the drop hint revealed by its script", got)
	}

	// Upload through the file input, with uploads slowed to 120 KB/s so
	// that their progress can be watched.
	_, err = chromedp.Call(c.ctx, network.Enable, network.EnableParams{})
	c.must("enable network", err)
	_, err = chromedp.Call(c.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{URLPattern: base + "/api/v1/assets", UploadThroughput: 120 << 10, DownloadThroughput: -1}},
	})
	c.must("slow uploads down", err)
	c.do("open upload",
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/upload"]`)),
		chromedp.WaitVisible(chromedp.CSS("#dropzone")),
	)
	c.location("/upload")
	c.noCSPViolations("upload")
	c.waitFor("upload script", `document.querySelector("#upload-page").dataset.ready === "true"`)
	c.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#upload-files"), append(photos, notes), chromedp.NodeReady))

	// Watch the tray until everything has settled: never more than three
	// at a time, progress that moves, speed and time left on the way.
	var (
		maxParallel int
		sawProgress bool
		sawSpeed    bool
		shotTaken   bool
		last        trayState
	)
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := evaluate[trayState](c, readTray)
		last = s
		active := 0
		for i, st := range s.States {
			if st == "uploading" || st == "finishing" {
				active++
			}
			if st == "uploading" && s.Percent[i] > 0 && s.Percent[i] < 100 {
				sawProgress = true
			}
		}
		maxParallel = max(maxParallel, active)
		if os.Getenv("DEBUG_TRAY") != "" {
			t.Logf("tray: %+v", s)
		}
		if strings.Contains(s.Meta, "/s") && strings.Contains(s.Meta, "left") {
			sawSpeed = true
		}
		if !shotTaken && sawSpeed && active > 0 && slices.Contains(s.States, "done") {
			c.screenshot("upload-progress")
			shotTaken = true
		}
		if len(s.States) == 7 && s.Tray == "idle" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("uploads did not finish: %+v", s)
		}
		time.Sleep(40 * time.Millisecond)
	}
	if maxParallel > 3 || maxParallel == 0 {
		t.Errorf("at most %d uploads ran at once; want 1 to 3", maxParallel)
	}
	if !shotTaken {
		c.screenshot("upload-progress") // too fast to catch midway; still show the tray
	}
	if !sawProgress || !sawSpeed {
		t.Errorf("progress seen: %v, speed and time left seen: %v; want both", sawProgress, sawSpeed)
	}
	for i, st := range last.States[:6] {
		if st != "done" || last.Percent[i] != 100 {
			t.Errorf("photo row %d ended %s at %d %%; want done at 100 %%", i, st, last.Percent[i])
		}
	}
	if last.States[6] != "error" {
		t.Errorf("notes.txt row ended %s; want error", last.States[6])
	}
	msg := c.text(`.upload-row[data-state="error"] .upload-message`)
	if !strings.Contains(strings.ToLower(msg), "not an image") {
		t.Errorf("notes.txt message = %q; want the server's plain words", msg)
	}
	if n := evaluate[int](c, `document.querySelectorAll('.upload-row[data-state="error"] .upload-action button').length`); n != 0 {
		t.Errorf("a file that is not an image offers %d buttons; retrying it cannot help", n)
	}
	if got := c.text("#upload-tray .tray-title"); got != "6 photos uploaded, 1 not uploaded" {
		t.Errorf("tray title = %q", got)
	}
	_, err = chromedp.Call(c.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{},
	})
	c.must("stop slowing uploads", err)
	c.noCSPViolations("upload done")
	c.screenshot("upload-done")

	// The library: six thumbnails, loaded, in a justified grid.
	c.do("open library",
		chromedp.Click(chromedp.CSS(`#upload-tray a[href="/library"]`)),
		chromedp.WaitVisible(chromedp.CSS("#grid")),
	)
	c.waitFor("thumbnails load", `(() => {
	  const imgs = [...document.querySelectorAll("#grid .tile img")];
	  return imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth > 0) && !document.querySelector(".tile.is-loading");
	})()`)
	if problems := evaluate[string](c, checkJustified); problems != "" {
		t.Errorf("grid not justified: %s", problems)
	}
	c.noCSPViolations("library")
	c.screenshot("library-grid")

	ids := evaluate[[]string](c, `[...document.querySelectorAll("#grid .tile")].map(t => t.dataset.id)`)

	// The viewer, by keyboard: Tab to the first photo and press Enter.
	c.do("focus first photo", chromedp.Focus(chromedp.CSS("#grid .tile-link")), chromedp.KeyEvent(kb.Enter))
	c.waitFor("viewer", `location.pathname === "/library/`+ids[0]+`" && document.querySelector("#viewer")?.dataset.ready === "true"`)
	c.waitFor("preview loads", `document.querySelector("#viewer-image").naturalWidth > 0`)
	// The preview is as large as the stage allows on one side.
	fit := evaluate[bool](c, `(() => {
	  const s = document.querySelector(".viewer-stage").getBoundingClientRect();
	  const i = document.querySelector("#viewer-image").getBoundingClientRect();
	  return i.height >= s.height - 40 || i.width >= s.width - 40;
	})()`)
	if !fit {
		t.Error("the preview does not fill the stage")
	}
	if href := evaluate[string](c, `document.querySelector("#viewer-download").getAttribute("href")`); href != "/api/v1/assets/"+ids[0]+"/original" {
		t.Errorf("download link = %q; want the original's URL", href)
	}
	if evaluate[bool](c, `document.querySelector("#viewer-download").hasAttribute("download")`) != true {
		t.Error("download link lacks the download attribute")
	}
	c.do("arrow right", chromedp.KeyEvent(kb.ArrowRight))
	c.waitFor("next photo", `location.pathname === "/library/`+ids[1]+`" && document.querySelector("#viewer")?.dataset.ready === "true"`)
	c.do("arrow left", chromedp.KeyEvent(kb.ArrowLeft))
	c.waitFor("previous photo", `location.pathname === "/library/`+ids[0]+`" && document.querySelector("#viewer")?.dataset.ready === "true"`)
	if !evaluate[bool](c, `document.querySelector("#viewer-info").hidden`) {
		t.Error("details panel open before pressing I")
	}
	c.do("press I", chromedp.KeyEvent("i"))
	c.waitFor("details open", `!document.querySelector("#viewer-info").hidden`)
	info := evaluate[string](c, `document.querySelector("#viewer-info").textContent`)
	for _, want := range []string{"Dimensions", " px", "JPEG", "DSC_01", "SHA-256", "Who saw this image"} {
		if !strings.Contains(info, want) {
			t.Errorf("details panel lacks %q:\n%s", want, info)
		}
	}
	c.waitFor("preview loads", `document.querySelector("#viewer-image").naturalWidth > 0`)
	c.noCSPViolations("viewer")
	c.screenshot("viewer-info")
	// The panel stays open on the next photo.
	c.do("arrow right with details", chromedp.KeyEvent(kb.ArrowRight))
	c.waitFor("next photo with details", `location.pathname === "/library/`+ids[1]+`" && document.querySelector("#viewer")?.dataset.ready === "true" && !document.querySelector("#viewer-info").hidden`)
	c.do("close details", chromedp.KeyEvent("i"))
	c.waitFor("details closed", `document.querySelector("#viewer-info").hidden`)
	c.screenshot("viewer")
	c.do("escape", chromedp.KeyEvent(kb.Escape))
	c.waitFor("back to the grid", `location.pathname === "/library" && location.hash === "#tile-`+ids[1]+`"`)

	// Delete one from the viewer; it waits in the trash.
	victim := ids[2]
	c.do("open the third photo", chromedp.Navigate(base+"/library/"+victim), chromedp.WaitVisible(chromedp.CSS("#viewer-image")))
	c.do("delete",
		chromedp.Click(chromedp.CSS(".viewer-delete button")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	c.location("/library")
	if got := c.text(".flash"); !strings.Contains(got, "moved to the trash") {
		t.Errorf("after deleting, notice = %q", got)
	}
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile").length`); n != 5 {
		t.Errorf("library has %d photos after deleting one; want 5", n)
	}
	c.do("open trash",
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/trash"]`)),
		chromedp.WaitVisible(chromedp.CSS("#trash-"+victim)),
	)
	c.location("/trash")
	if got := c.text(".trash .page-head"); !strings.Contains(got, "Items in the trash are deleted for good after 30 days.") {
		t.Errorf("trash head = %q", got)
	}
	c.waitFor("trash thumbnail", `(() => { const i = document.querySelector("#trash-`+victim+` img"); return !!i && i.complete; })()`)
	if !evaluate[bool](c, `document.querySelector("#trash-`+victim+` img").naturalWidth > 0`) {
		t.Error("the thumbnail of a photo in the trash does not load")
	}
	c.do("ask to empty", chromedp.Click(chromedp.CSS("#empty-trash summary")), chromedp.WaitVisible(chromedp.CSS(".confirm-panel")))
	if got := c.text(".confirm-panel p"); got != "Delete 1 photo for good? This cannot be undone." {
		t.Errorf("confirm question = %q", got)
	}
	c.noCSPViolations("trash")
	c.screenshot("trash")
	c.do("change my mind", chromedp.Click(chromedp.CSS("#empty-trash summary")))
	c.waitFor("confirm closed", `!document.querySelector("#empty-trash").open`)
	c.do("restore",
		chromedp.Click(chromedp.CSS("#trash-"+victim+" .trash-restore button")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	c.location("/trash")
	if got := c.text(".flash"); got != "The photo is back in your library." {
		t.Errorf("after restoring, notice = %q", got)
	}
	c.do("library again", chromedp.Navigate(base+"/library"), chromedp.WaitVisible(chromedp.CSS("#tile-"+victim)))
	c.waitFor("library script", `document.querySelector("#library").dataset.ready === "true"`)
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile").length`); n != 6 {
		t.Errorf("library has %d photos after restoring; want 6", n)
	}

	// Drop a photo anywhere on the library: the overlay, the floating
	// tray, and the new tile in the grid.
	dropped := filepath.Join(dir, "harbour.jpg")
	c.must("write dropped photo", os.WriteFile(dropped, testJPEG(t, 1400, 933, 42), 0o644))
	drag := &input.DragData{Items: []*input.DragDataItem{}, Files: []string{dropped}, DragOperationsMask: 1}
	for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver} {
		_, err := chromedp.Call(c.ctx, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: 640, Y: 420, Data: drag})
		c.must("drag "+typ.String(), err)
	}
	c.waitFor("drop overlay", `!document.querySelector("#drop-overlay").hidden`)
	c.screenshot("library-drop")
	_, err = chromedp.Call(c.ctx, input.DispatchDragEvent, input.DispatchDragEventParams{Type: input.DispatchDragEventTypeDrop, X: 640, Y: 420, Data: drag})
	c.must("drop", err)
	c.waitFor("drop overlay hides", `document.querySelector("#drop-overlay").hidden`)
	c.waitFor("dropped photo uploaded", `document.querySelector("#upload-tray").dataset.state === "idle" &&
	  document.querySelectorAll('#upload-tray .upload-row[data-state="done"]').length === 1`)
	c.waitFor("dropped photo in the grid", `(() => {
	  const tiles = document.querySelectorAll("#grid .tile");
	  const img = tiles[0].querySelector("img");
	  return tiles.length === 7 && !!img && img.complete && img.naturalWidth > 0;
	})()`)
	if problems := evaluate[string](c, checkJustified); problems != "" {
		t.Errorf("grid not justified after the drop: %s", problems)
	}
	c.noCSPViolations("library drop")
	c.screenshot("library-uploaded")

	// More than a page of photos: the grid starts with the first 60 (some
	// maybe still processing, which turn into thumbnails by themselves)
	// and brings the rest through the API when scrolled to the end.
	api := newBrowser(t, srv)
	signIn(t, api, "ada@example.com", password)
	for i := range 60 {
		if status, _ := api.upload(fmt.Sprintf("roll-%02d.jpg", i), testJPEG(t, 480, 320, 100+i)); status != http.StatusCreated {
			t.Fatalf("upload roll-%02d.jpg: %d", i, status)
		}
	}
	c.do("library with more", chromedp.Navigate(base+"/library"), chromedp.WaitVisible(chromedp.CSS("#library-more")))
	c.waitFor("library script", `document.querySelector("#library").dataset.ready === "true"`)
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile").length`); n != 60 {
		t.Errorf("first page shows %d photos; want 60", n)
	}
	evaluate[bool](c, `(window.scrollTo(0, document.documentElement.scrollHeight), true)`)
	c.waitFor("the rest arrives", `document.querySelectorAll("#grid .tile").length === 67 && !document.querySelector("#grid-more")`)
	c.waitFor("every photo ready", `document.querySelectorAll('#grid .tile[data-status="ready"] img').length === 67`)
	want := evaluate[[]string](c, `fetch("/api/v1/assets?limit=200").then(r => r.json()).then(j => j.items.map(a => a.id))`, chromedp.EvalAwaitPromise)
	got := evaluate[[]string](c, `[...document.querySelectorAll("#grid .tile")].map(t => t.dataset.id)`)
	if !slices.Equal(got, want) {
		t.Errorf("grid after scrolling:\n%v\nwant the library's order:\n%v", got, want)
	}
	if problems := evaluate[string](c, checkJustified); problems != "" {
		t.Errorf("grid not justified after scrolling: %s", problems)
	}
	c.noCSPViolations("library scrolled")

	// Phone width.
	c.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	c.do("phone library", chromedp.Navigate(base+"/library"), chromedp.WaitVisible(chromedp.CSS("#grid")))
	c.waitFor("phone thumbnails", `[...document.querySelectorAll("#grid .tile img")]
	  .filter(i => i.getBoundingClientRect().top < innerHeight).every(i => i.complete && i.naturalWidth > 0)`)
	if problems := evaluate[string](c, checkJustified); problems != "" {
		t.Errorf("phone grid not justified: %s", problems)
	}
	c.viewportShot("library-grid-phone")
	c.do("phone viewer", chromedp.Navigate(base+"/library/"+ids[0]+"?info=1"), chromedp.WaitVisible(chromedp.CSS("#viewer-image")))
	c.waitFor("phone preview", `document.querySelector("#viewer-image").naturalWidth > 0`)
	c.screenshot("viewer-phone")
	c.do("phone upload", chromedp.Navigate(base+"/upload"), chromedp.WaitVisible(chromedp.CSS("#dropzone")))
	c.screenshot("upload-phone")
	c.noCSPViolations("phone pages")
}
