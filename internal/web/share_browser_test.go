package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// loupeState is what the loupe shows of the current photo.
type loupeState struct {
	Open    bool   `json:"open"`
	Title   string `json:"title"`
	Stars   int    `json:"stars"` // the pressed star button, 0 for none
	Label   string `json:"label"` // the pressed label button
	Flag    string `json:"flag"`  // the pressed flag button
	Loaded  bool   `json:"loaded"`
	Hash    string `json:"hash"`
	Focused string `json:"focused"` // class of the focused element
}

const readLoupe = `(() => {
  const d = document.querySelector("dialog.review-loupe");
  const pressed = (sel) => [...d.querySelectorAll(sel)].findIndex(b => b.getAttribute("aria-pressed") === "true");
  const labels = ["red", "yellow", "green", "blue", "purple"];
  const l = d ? pressed(".mark-label") : -1;
  const f = d ? pressed(".mark-flag") : -1;
  const img = d && d.querySelector(".loupe-image");
  return {
    open: !!d && d.open,
    title: d ? d.querySelector(".loupe-title").textContent : "",
    stars: d ? pressed(".mark-star") + 1 : 0,
    label: l >= 0 ? labels[l] : "",
    flag: f === 0 ? "pick" : f === 1 ? "reject" : "",
    loaded: !!img && img.complete && img.naturalWidth > 0,
    hash: location.hash,
    focused: document.activeElement ? document.activeElement.className : "",
  };
})()`

// tileMarks is what a grid tile shows of its photo's marks.
const readTiles = `[...document.querySelectorAll("#review-grid .review-tile")].map(t => ({
  stars: t.querySelector(".badge-stars")?.textContent || "",
  label: [...(t.querySelector(".badge-label")?.classList || [])].find(c => c.startsWith("label-")) || "",
  flag: t.querySelector(".badge-flag")?.textContent || "",
  rejected: t.classList.contains("is-rejected"),
  name: t.querySelector(".tile-link").textContent.trim() + "|" + (t.querySelector("img")?.alt || ""),
}))`

type tileState struct {
	Stars    string `json:"stars"`
	Label    string `json:"label"`
	Flag     string `json:"flag"`
	Rejected bool   `json:"rejected"`
	Name     string `json:"name"`
}

// TestBrowserReviewLink drives a guest's review in Chromium. The owner
// (over HTTP) uploads three photos, puts them in a project and makes a
// password link with preview downloads; in a fresh browser the guest
// opens the link, gives the password, then a name and an e-mail address,
// and reviews with the keyboard only: Space opens the first photo, 4
// rates it, 7 labels it yellow, P picks it, → moves on, X rejects the
// second; a comment with markup in it shows as text; "I'm done" confirms.
// The owner then finds the marks, the comment and the notice, and the
// XMP export carries xmp:Rating="4". All under the CSP; screenshots of
// each screen, and at phone width, go to $SAFELIGHT_TEST_SCREENSHOTS.
func TestBrowserReviewLink(t *testing.T) {
	f := newShareFixture(t, [][2]int{{1600, 1067}, {1067, 1600}, {1500, 1000}})
	token, linkID := f.link(t, map[string]string{"download": "preview", "password": "harbour lights"})
	c := startChrome(t, f.srv.URL)
	_, err := chromedp.Call(c.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	c.must("reduce motion", err)

	// The password.
	c.do("open the link",
		chromedp.Navigate(c.base+"/s/"+token),
		chromedp.WaitVisible(chromedp.CSS("#share-password")),
	)
	c.noCSPViolations("unlock form")
	c.screenshot("review-unlock")
	c.do("wrong password",
		chromedp.SendKeys(chromedp.CSS("#share-password"), "harbour light"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#share-unlock-error")),
	)
	if got := c.text("#share-unlock-error"); !strings.Contains(got, "The password is not correct") {
		t.Errorf("wrong password message = %q", got)
	}
	c.screenshot("review-unlock-wrong")
	c.do("right password",
		chromedp.SendKeys(chromedp.CSS("#share-password"), "harbour lights"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#share-name")),
	)
	c.location("/s/" + token)

	// Who are you.
	c.noCSPViolations("guest form")
	c.screenshot("review-guest")
	c.do("give a name",
		chromedp.SendKeys(chromedp.CSS("#share-name"), "Cleo Client"),
		chromedp.SendKeys(chromedp.CSS("#share-email"), "cleo@client.example"),
		chromedp.Click(chromedp.CSS(`form[action$="/guest"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#review-grid")),
	)
	c.location("/s/" + token)
	c.waitFor("review ready", `document.querySelector("#review").dataset.ready === "true"`)
	c.waitFor("thumbnails load", `(() => {
	  const imgs = [...document.querySelectorAll("#review-grid .tile img")];
	  return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0);
	})()`)
	if problems := evaluate[string](c, strings.ReplaceAll(checkJustified, "#grid", "#review-grid")); problems != "" {
		t.Errorf("review grid is not justified: %s", problems)
	}
	if got := c.text(".review-count"); got != "0 of 3 marked" {
		t.Errorf("count = %q; want 0 of 3 marked", got)
	}
	if got := c.text("#share-summary"); !strings.HasPrefix(got, "You can rate, label, flag and comment. Downloads: previews. Available until ") {
		t.Errorf("summary = %q", got)
	}
	c.noCSPViolations("review grid")
	c.screenshot("review-grid")

	// The key map.
	c.do("open the key map", chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.CSS("dialog.review-keys[open]")))
	c.screenshot("review-keys")
	c.do("close the key map", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("dialog.review-keys")))

	// Keyboard review: Space opens the first photo in the loupe.
	c.do("focus the first photo", chromedp.Focus(chromedp.CSS("#review-grid .review-tile .tile-link")))
	c.do("open the loupe", chromedp.KeyEvent(" "))
	c.waitFor("loupe shows the first photo", `(() => { const s = `+readLoupe+`; return s.open && s.loaded && s.title === "Photo 1 of 3"; })()`)
	if s := evaluate[loupeState](c, readLoupe); !strings.HasPrefix(s.Hash, "#photo-"+f.assets[0].ID) {
		t.Errorf("loupe address hash = %q; want the first photo's", s.Hash)
	}
	if full := evaluate[bool](c, `(() => {
	  const r = document.querySelector("dialog.review-loupe").getBoundingClientRect();
	  return Math.abs(r.width - innerWidth) < 1 && Math.abs(r.height - innerHeight) < 1;
	})()`); !full {
		t.Error("the loupe does not fill the window")
	}
	c.do("rate, label, pick", chromedp.KeyEvent("4"), chromedp.KeyEvent("7"), chromedp.KeyEvent("p"))
	s := evaluate[loupeState](c, readLoupe)
	if s.Stars != 4 || s.Label != "yellow" || s.Flag != "pick" {
		t.Errorf("after 4, 7, P the loupe shows %+v; want 4 stars, yellow, pick", s)
	}
	c.do("next photo", chromedp.KeyEvent(kb.ArrowRight))
	c.waitFor("loupe shows the second photo", `(() => { const s = `+readLoupe+`; return s.loaded && s.title === "Photo 2 of 3"; })()`)
	if s := evaluate[loupeState](c, readLoupe); s.Stars != 0 || s.Label != "" || s.Flag != "" {
		t.Errorf("the second photo shows marks before any: %+v", s)
	}
	c.do("reject", chromedp.KeyEvent("x"))
	if s := evaluate[loupeState](c, readLoupe); s.Flag != "reject" {
		t.Errorf("after X the loupe shows flag %q; want reject", s.Flag)
	}

	// A comment beside the image; markup in it is text.
	comment := "Too dark for me <b>sorry</b> & no thanks"
	c.do("write a comment",
		chromedp.Focus(chromedp.CSS("#review-comment")),
		chromedp.KeyEvent("x"), // typing in the box is typing, not culling
		chromedp.KeyEvent(kb.Backspace),
		chromedp.SendKeys(chromedp.CSS("#review-comment"), comment),
		chromedp.Click(chromedp.CSS(".comment-form button[type=submit]")),
	)
	c.waitFor("comment listed", `document.querySelectorAll(".comment-list .comment").length === 1`)
	if got := c.text(".comment-list .comment-body"); got != comment {
		t.Errorf("comment shown = %q; want %q", got, comment)
	}
	if n := evaluate[int](c, `document.querySelectorAll(".comment-list b").length`); n != 0 {
		t.Error("markup in a comment became an element")
	}
	if got := c.text(".comment-list .comment-meta strong"); got != "You" {
		t.Errorf("comment author = %q; want You", got)
	}
	if s := evaluate[loupeState](c, readLoupe); s.Flag != "reject" || s.Title != "Photo 2 of 3" {
		t.Errorf("typing x in the comment box changed the review: %+v", s)
	}
	c.noCSPViolations("loupe")
	c.viewportShot("review-loupe-comments")

	// Z: the photo at 100 % (this link allows previews: the preview), the
	// stage scrolls; Escape fits it back and keeps the loupe open.
	c.do("zoom", chromedp.Focus(chromedp.CSS(".review-loupe .loupe-stage")), chromedp.KeyEvent("z"))
	c.waitFor("zoomed to 100 %", `(() => { const st = document.querySelector(".review-loupe .loupe-stage"); const img = st.querySelector(".loupe-image");
	  return st.classList.contains("is-zoomed") && img.complete && img.naturalWidth > 0 && Math.abs(img.getBoundingClientRect().width - img.naturalWidth) < 2 && /\/preview$/.test(img.getAttribute("src")); })()`)
	c.viewportShot("review-loupe-zoom")
	c.do("fit again", chromedp.KeyEvent(kb.Escape))
	c.waitFor("fitted, loupe open", `(() => { const d = document.querySelector("dialog.review-loupe"); return d.open && !d.querySelector(".loupe-stage").classList.contains("is-zoomed"); })()`)

	// Back to the grid (Escape): the marks are on the tiles, the count
	// has moved, focus is on the photo the loupe showed.
	c.do("back to the grid", chromedp.Focus(chromedp.CSS(".review-loupe .loupe-stage")), chromedp.KeyEvent(kb.Escape))
	c.waitFor("loupe closed", `!document.querySelector("dialog.review-loupe").open`)
	s = evaluate[loupeState](c, readLoupe)
	if s.Hash != "" || !strings.Contains(s.Focused, "tile-link") {
		t.Errorf("after Escape: hash %q, focus on %q; want no hash and a tile focused", s.Hash, s.Focused)
	}
	if got := evaluate[string](c, `document.activeElement.closest(".review-tile").dataset.id`); got != f.assets[1].ID {
		t.Errorf("focus is on tile %s; want the second photo's", got)
	}
	if got := c.text(".review-count"); got != "2 of 3 marked" {
		t.Errorf("count = %q; want 2 of 3 marked", got)
	}
	tiles := evaluate[[]tileState](c, readTiles)
	if len(tiles) != 3 || tiles[0].Stars != "★★★★" || tiles[0].Label != "label-yellow" || tiles[0].Flag != "Pick" ||
		!tiles[1].Rejected || tiles[1].Flag != "Reject" || tiles[2].Stars != "" || tiles[2].Flag != "" {
		t.Errorf("tiles = %+v; want the first 4 stars, yellow, picked; the second rejected; the third unmarked", tiles)
	}
	if !strings.Contains(tiles[0].Name, "4 stars, Yellow label, picked") || !strings.Contains(tiles[0].Name, "Photo 1 of 3") {
		t.Errorf("first tile's text for screen readers = %q", tiles[0].Name)
	}
	c.screenshot("review-grid-marked")

	// "I'm done".
	c.do("press I'm done", chromedp.Click(chromedp.CSS("#review-done")), chromedp.WaitVisible(chromedp.CSS(".review-message.notice")))
	if got := c.text(".review-message"); !strings.Contains(got, "told you are done") {
		t.Errorf("done notice = %q", got)
	}
	c.noCSPViolations("done")
	c.screenshot("review-done")

	// The owner sees it all.
	p := "/api/v1/projects/" + f.project
	var items []any
	deadline := time.Now().Add(10 * time.Second)
	for {
		items, _ = f.owner.mustAPI(http.StatusOK, "GET", p+"/assets", nil)["items"].([]any)
		if len(items) == 3 && len(items[0].(map[string]any)["marks"].([]any)) > 0 && len(items[1].(map[string]any)["marks"].([]any)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the marks did not arrive: %v", items)
		}
		time.Sleep(100 * time.Millisecond)
	}
	first := items[0].(map[string]any)["marks"].([]any)[0].(map[string]any)
	if first["rating"] != 4.0 || first["label"] != "yellow" || first["flag"] != "pick" || !strings.HasPrefix(first["reviewer"].(string), "guest:") {
		t.Errorf("first photo's mark = %v; want 4, yellow, pick by the guest", first)
	}
	second := items[1].(map[string]any)
	if m := second["marks"].([]any)[0].(map[string]any); m["flag"] != "reject" || m["rating"] != 0.0 {
		t.Errorf("second photo's mark = %v; want a reject without stars", m)
	}
	if cs := second["comments"].([]any); len(cs) != 1 || cs[0].(map[string]any)["body"] != comment {
		t.Errorf("second photo's comments = %v; want the guest's", cs)
	}
	if n := len(items[2].(map[string]any)["marks"].([]any)); n != 0 {
		t.Errorf("third photo has %d marks; want none", n)
	}
	revs := f.owner.mustAPI(http.StatusOK, "GET", p+"/reviewers", nil)["items"].([]any)
	if len(revs) != 1 || revs[0].(map[string]any)["name"] != "Cleo Client" || revs[0].(map[string]any)["done_at"] == nil {
		t.Errorf("reviewers = %v; want Cleo Client, done", revs)
	}
	r, _ := f.owner.shareAPI("GET", p+"/export/xmp", nil)
	if r.status != http.StatusOK {
		t.Fatalf("XMP export = %d", r.status)
	}
	sidecars := zipFiles(t, []byte(r.body))
	if x := sidecars["DSC_0001.xmp"]; !strings.Contains(string(x), `xmp:Rating="4"`) || !strings.Contains(string(x), `xmp:Label="Yellow"`) {
		t.Errorf("DSC_0001.xmp = %s; want xmp:Rating=\"4\" and the yellow label (entries %v)", x, slices.Sorted(maps.Keys(sidecars)))
	}

	// At phone width: the grid, then the loupe opened by a tap, with the
	// comments below the photo; nothing wider than the screen.
	c.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	c.do("reload", chromedp.Navigate(c.base+"/s/"+token), chromedp.WaitVisible(chromedp.CSS("#review-grid")))
	c.waitFor("phone grid ready", `document.querySelector("#review").dataset.ready === "true" &&
	  [...document.querySelectorAll("#review-grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`)
	if got := c.text(".review-count"); got != "2 of 3 marked" {
		t.Errorf("after reload the count = %q; want 2 of 3 marked (saved)", got)
	}
	if wide := evaluate[bool](c, `document.documentElement.scrollWidth > innerWidth`); wide {
		t.Error("the review page is wider than a phone")
	}
	c.screenshot("review-grid-phone")
	c.do("tap the second photo", chromedp.Click(chromedp.CSS(`#review-tile-`+f.assets[1].ID+` .tile-link`)))
	c.waitFor("phone loupe", `(() => { const s = `+readLoupe+`; return s.open && s.loaded && s.title === "Photo 2 of 3" && s.flag === "reject"; })()`)
	c.viewportShot("review-loupe-phone")
	c.do("back with the browser", chromedp.NavigateBack())
	c.waitFor("loupe closed by Back", `!document.querySelector("dialog.review-loupe").open && location.hash === ""`)
	c.noCSPViolations("phone")

	// The owner revokes the link: the next mark is refused, said in plain
	// words, and taken back from the page.
	f.owner.mustAPI(http.StatusNoContent, "DELETE", p+"/links/"+linkID, nil)
	c.do("rate after revocation", chromedp.Focus(chromedp.CSS(`#review-tile-`+f.assets[2].ID+` .tile-link`)), chromedp.KeyEvent("5"))
	c.waitFor("refusal shown", `document.querySelector(".review-message.form-error")?.textContent.includes("no longer available")`)
	if tiles := evaluate[[]tileState](c, readTiles); len(tiles) != 3 || tiles[2].Stars != "" {
		t.Errorf("after a refused mark the tiles show %+v; want the third photo without stars", tiles)
	}
	c.screenshot("review-refused-phone")
}

// zipFiles opens a ZIP body and returns its entries' contents by name.
func zipFiles(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP (%d bytes): %v", len(body), err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("entry %s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

// TestBrowserReviewOwner drives the owner's side of review.js on the
// project page: two guests have reviewed through a link (over the API);
// the owner sees the combined marks on the tiles (the verdict the exports
// use), narrows them with the filter bar (one reviewer, picks only), gets
// export buttons that carry the same selection, and reads every
// reviewer's marks beside the photo in the loupe.
func TestBrowserReviewOwner(t *testing.T) {
	f := newShareFixture(t, [][2]int{{1600, 1067}, {1067, 1600}, {1500, 1000}})
	token, _ := f.link(t, map[string]string{"download": "none"})
	link := "/api/v1/links/" + token + "/assets/"
	ada, ben := newBrowser(t, f.srv), newBrowser(t, f.srv)
	ada.mustAPI(http.StatusOK, "PUT", link+f.assets[0].ID+"/review", map[string]any{"rating": 5, "label": "green", "flag": "pick", "name": "Ada Guest", "email": "ada@guest.example"})
	ada.mustAPI(http.StatusOK, "PUT", link+f.assets[1].ID+"/review", map[string]any{"flag": "reject"})
	ben.mustAPI(http.StatusOK, "PUT", link+f.assets[0].ID+"/review", map[string]any{"rating": 2, "label": "green", "name": "Ben Guest", "email": "ben@guest.example"})
	ben.mustAPI(http.StatusOK, "PUT", link+f.assets[2].ID+"/review", map[string]any{"flag": "pick", "label": "red"})
	ben.mustAPI(http.StatusCreated, "POST", "/api/v1/links/"+token+"/assets/"+f.assets[2].ID+"/comments", map[string]string{"body": "This one, please."})
	benID := ""
	for _, r := range f.owner.mustAPI(http.StatusOK, "GET", "/api/v1/projects/"+f.project+"/reviewers", nil)["items"].([]any) {
		if r.(map[string]any)["name"] == "Ben Guest" {
			benID = r.(map[string]any)["id"].(string)
		}
	}
	if benID == "" {
		t.Fatal("Ben is not among the reviewers")
	}

	// The owner signs in in the browser (password, then a recovery code of
	// the second factor the helper enrolled).
	c := startChrome(t, f.srv.URL)
	c.do("sign in",
		chromedp.Navigate(c.base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#login-email"), "ann@example.com"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#login-code")),
		chromedp.SendKeys(chromedp.CSS("#login-code"), helperMFA(t, "ann@example.com", f.owner).nextRecovery(t)),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#library-grid")),
	)
	c.do("open the project", chromedp.Navigate(c.base+"/projects/"+f.project), chromedp.WaitVisible(chromedp.CSS("#review-grid")))
	c.waitFor("review ready", `document.querySelector("#review").dataset.ready === "true" &&
	  [...document.querySelectorAll("#review-grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`)
	if got := c.text(".review-count"); got != "3 of 3 marked" {
		t.Errorf("owner's count = %q; want 3 of 3 marked", got)
	}
	// Combined: photo 1 is (5+2)/2 → 4 stars, green (both), picked (1 pick,
	// no reject); photo 2 rejected; photo 3 picked, red.
	tiles := evaluate[[]tileState](c, readTiles)
	if len(tiles) != 3 || tiles[0].Stars != "★★★★" || tiles[0].Label != "label-green" || tiles[0].Flag != "Pick" ||
		tiles[1].Flag != "Reject" || !tiles[1].Rejected || tiles[2].Flag != "Pick" || tiles[2].Label != "label-red" {
		t.Errorf("owner's combined tiles = %+v", tiles)
	}
	c.noCSPViolations("owner's review")
	c.screenshot("review-owner")

	// Ben's marks only, then his picks only.
	choose := func(id, value string) {
		t.Helper()
		evaluate[bool](c, `(() => { const s = document.getElementById(`+jsString(id)+`); s.value = `+jsString(value)+
			`; s.dispatchEvent(new Event("change", {bubbles: true})); return s.value === `+jsString(value)+`; })()`)
	}
	choose("review-filter-reviewer", benID)
	tiles = evaluate[[]tileState](c, readTiles)
	if tiles[0].Stars != "★★" || tiles[0].Flag != "" || tiles[1].Flag != "" {
		t.Errorf("tiles with Ben's marks = %+v; want photo 1 at 2 stars unflagged, photo 2 unmarked", tiles)
	}
	choose("review-filter-flag", "pick")
	visible := evaluate[[]string](c, `[...document.querySelectorAll("#review-grid .review-tile")].filter(t => !t.hidden).map(t => t.dataset.id)`)
	if len(visible) != 1 || visible[0] != f.assets[2].ID {
		t.Errorf("Ben's picks show %v; want only photo 3", visible)
	}
	if got := c.text(".review-count"); got != "2 of 3 marked · 1 shown" { // Ben marked two
		t.Errorf("filtered count = %q", got)
	}
	href := evaluate[string](c, `document.querySelector('a[data-export="xmp"]').getAttribute("href")`)
	if !strings.Contains(href, "/api/v1/projects/"+f.project+"/export/xmp?") || !strings.Contains(href, "flag=pick") || !strings.Contains(href, "reviewer=guest%3A") {
		t.Errorf("XMP export link = %q; want the filter's query", href)
	}
	r, _ := f.owner.shareAPI("GET", href, nil)
	if sidecars := zipFiles(t, []byte(r.body)); len(sidecars) != 1 || sidecars["DSC_0003.xmp"] == nil {
		t.Errorf("the XMP button's selection = %v; want DSC_0003.xmp only", slices.Sorted(maps.Keys(sidecars)))
	}
	c.screenshot("review-owner-filtered")

	// The loupe: every reviewer's marks and the comments beside the photo.
	c.do("open photo 3", chromedp.Click(chromedp.CSS("#review-tile-"+f.assets[2].ID+" .tile-link")))
	c.waitFor("owner's loupe", `(() => { const s = `+readLoupe+`; return s.open && s.loaded; })()`)
	if got := c.text(".loupe-everyone"); !strings.Contains(got, "Ben Guest") {
		t.Errorf("everyone's marks = %q; want Ben's", got)
	}
	if got := c.text(".comment-list"); !strings.Contains(got, "Ben Guest") || !strings.Contains(got, "This one, please.") {
		t.Errorf("comments = %q; want Ben's, named", got)
	}
	c.noCSPViolations("owner's loupe")
	c.viewportShot("review-owner-loupe")
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
