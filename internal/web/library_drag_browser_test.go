package web_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// dragJS lets the test play a drag in the page: Chromium driven over the
// DevTools protocol does not run native HTML5 drags reliably, so DragEvents
// sharing one DataTransfer are dispatched as the browser would, and the
// library's own handlers answer them. drag(sel, type) returns false when a
// handler cancelled the event (as dragover does over a drop target).
const dragJS = `window.drag = window.drag || ((sel, type) => {
  if (type === "dragstart") window.dragData = new DataTransfer();
  const el = typeof sel === "string" ? document.querySelector(sel) : sel;
  return el.dispatchEvent(new DragEvent(type, {dataTransfer: window.dragData, bubbles: true, cancelable: true}));
});`

// TestBrowserLibraryDrag drags photos from the library onto projects in
// Chromium: the selection (when the dragged photo is part of it) or just
// the dragged photo goes to the project it is dropped on, through the
// same API as the selection bar; the drop panel lists the owner's
// projects (names as text, never markup), lights up the one under the pointer, goes away on a drop, on
// Escape and on a drop elsewhere (adding nothing), and its "New project…"
// opens the add dialog for the dragged photos. A plain click still opens
// a photo; no page breaks the CSP. A screenshot of the drop panel goes to
// $SAFELIGHT_TEST_SCREENSHOTS.
func TestBrowserLibraryDrag(t *testing.T) {
	_, srv := newServer(t)
	c := startChrome(t, srv.URL)
	base := c.base

	api := c.ownerWithThreePhotos(srv)
	harbour := wantAPI(t, projAPI(t, api, "POST", "/api/v1/projects", map[string]string{"name": "Harbour"}), 201)["id"].(string)
	beach := wantAPI(t, projAPI(t, api, "POST", "/api/v1/projects", map[string]string{"name": "Beach <b>at</b> noon"}), 201)["id"].(string)
	projectHolds := func(id string) []string {
		t.Helper()
		got := evaluate[[]string](c, `fetch("/api/v1/projects/`+id+`/assets").then(r => r.json()).then(j => j.items.map(a => a.id))`, chromedp.EvalAwaitPromise)
		slices.Sort(got)
		return got
	}
	sorted := func(ids ...string) []string { ids = slices.Clone(ids); slices.Sort(ids); return ids }
	panelOpen := `!document.querySelector("#drag-panel").hidden && document.querySelector("#drag-panel").classList.contains("is-open")`
	panelGone := `document.querySelector("#drag-panel").hidden`
	entry := func(id string) string { return `#drag-projects [data-project="` + id + `"]` }

	c.do("open library", chromedp.Navigate(base+"/library"), chromedp.WaitVisible(chromedp.CSS("#grid")))
	c.waitFor("library script", `document.querySelector("#library").dataset.ready === "true"`)
	c.waitFor("thumbnails", `[...document.querySelectorAll("#grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`)
	ids := evaluate[[]string](c, `[...document.querySelectorAll("#grid .tile")].map(t => t.dataset.id)`)
	if len(ids) != 3 {
		t.Fatalf("tiles: %v", ids)
	}
	// The tile is what is dragged: not its link (a URL) nor its image (a file).
	if got := evaluate[[]bool](c, `[...document.querySelectorAll("#grid .tile")].map(t => t.draggable && !t.querySelector("a").draggable && !t.querySelector("img").draggable)`); slices.Contains(got, false) {
		t.Errorf("tiles draggable (tile, not link or image): %v", got)
	}
	evaluate[bool](c, dragJS+"true")

	// Select the first and the third photo, then drag the third: the whole
	// selection goes.
	links, err := chromedp.Run(c.ctx, chromedp.Nodes(chromedp.CSSAll("#grid .tile-link")))
	c.must("find tiles", err)
	c.do("ctrl-click the first", chromedp.MouseClickNode(links[0], chromedp.ButtonModifiers(chromedp.ModifierCtrl)))
	c.do("ctrl-click the third", chromedp.MouseClickNode(links[2], chromedp.ButtonModifiers(chromedp.ModifierCtrl)))
	c.waitFor("two selected", `document.querySelectorAll("#grid .tile.is-selected").length === 2`)
	evaluate[bool](c, `drag("#tile-`+ids[2]+`", "dragstart")`)
	if got := evaluate[string](c, `dragData.getData("application/x-safelight-assets")`); got != `["`+ids[0]+`","`+ids[2]+`"]` {
		t.Errorf("drag data = %s; want the selection in the grid's order", got)
	}
	c.waitFor("panel open", panelOpen+` && document.querySelectorAll("#drag-projects .drag-target").length === 3`)
	if got := c.text("#drag-panel-heading"); got != "Add 2 photos to a project" {
		t.Errorf("panel heading = %q", got)
	}
	names := evaluate[[]string](c, `[...document.querySelectorAll("#drag-projects .drag-target")].map(e => e.dataset.project + " " + e.textContent)`)
	want := []string{beach + " Beach <b>at</b> noon", harbour + " Harbour", "new New project…"}
	if !slices.Equal(sorted(names...), sorted(want...)) {
		t.Errorf("panel lists %q; want the owner's two projects and a new one: %q", names, want)
	}
	if n := evaluate[int](c, `document.querySelectorAll("#drag-projects b").length`); n != 0 {
		t.Errorf("a project's name was parsed as markup: %d <b> elements", n)
	}
	if !strings.Contains(c.text("#drag-panel-hint"), "Ctrl+Enter") {
		t.Errorf("panel hint %q does not tell keyboard users the other way", c.text("#drag-panel-hint"))
	}
	// Over a project: the drop is accepted (dragover cancelled) and the
	// project lights up; moving on moves the light.
	if evaluate[bool](c, `drag('`+entry(harbour)+`', "dragenter"), drag('`+entry(harbour)+`', "dragover")`) {
		t.Error("dragover on a project was not cancelled: the drop would be refused")
	}
	if evaluate[bool](c, `drag('`+entry(beach)+`', "dragover")`) {
		t.Error("dragover on the second project was not cancelled")
	}
	if got := evaluate[[]string](c, `[...document.querySelectorAll("#drag-projects .is-over")].map(e => e.dataset.project)`); !slices.Equal(got, []string{beach}) {
		t.Errorf("highlighted %v; want only the project under the pointer %s", got, beach)
	}
	if !evaluate[bool](c, `document.querySelector("#drop-overlay").hidden`) {
		t.Error("dragging a photo showed the upload overlay")
	}
	c.waitFor("slid in", `getComputedStyle(document.querySelector("#drag-panel")).transform === "none"`)
	c.noCSPViolations("drop panel")
	c.viewportShot("library-drag-panel")

	evaluate[bool](c, `drag('`+entry(beach)+`', "drop")`)
	c.waitFor("panel gone after drop", panelGone)
	c.waitFor("added", `document.querySelector("#selection-notice").textContent.includes("2 photos added to “Beach <b>at</b> noon”.")`)
	if got := evaluate[string](c, `document.querySelector("#selection-notice a").getAttribute("href")`); got != "/projects/"+beach {
		t.Errorf("notice links to %q; want the project", got)
	}
	if got := projectHolds(beach); !slices.Equal(got, sorted(ids[0], ids[2])) {
		t.Errorf("Beach holds %v; want the two selected %v", got, []string{ids[0], ids[2]})
	}
	if got := projectHolds(harbour); len(got) != 0 {
		t.Errorf("Harbour holds %v; want nothing (only highlighted, not dropped on)", got)
	}
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile.is-selected").length`); n != 0 {
		t.Errorf("%d photos still selected after the selection was added", n)
	}
	c.location("/library")

	// Escape cancels: nothing is added, and the selection stays.
	c.do("ctrl-click the first again", chromedp.MouseClickNode(links[0], chromedp.ButtonModifiers(chromedp.ModifierCtrl)))
	c.waitFor("one selected", `document.querySelectorAll("#grid .tile.is-selected").length === 1`)
	evaluate[bool](c, `drag("#tile-`+ids[1]+`", "dragstart")`)
	c.waitFor("panel for one photo", panelOpen+` && document.querySelector("#drag-panel-heading").textContent === "Add 1 photo to a project"`)
	c.do("escape", chromedp.KeyEvent(kb.Escape))
	c.waitFor("panel gone after Escape", panelGone)
	if n := evaluate[int](c, `document.querySelectorAll("#grid .tile.is-selected").length`); n != 1 {
		t.Errorf("Escape that closed the panel also changed the selection: %d selected", n)
	}
	// Dropping elsewhere cancels too: the page refuses the drop, the drag ends.
	evaluate[bool](c, `drag("#tile-`+ids[1]+`", "dragstart")`)
	c.waitFor("panel again", panelOpen)
	if !evaluate[bool](c, `drag(".page-head", "dragover")`) {
		t.Error("the page outside the panel accepted the drop")
	}
	evaluate[bool](c, `drag(".page-head", "drop"), drag("#tile-`+ids[1]+`", "dragend")`)
	c.waitFor("panel gone after dropping elsewhere", panelGone)
	if got := projectHolds(harbour); len(got) != 0 {
		t.Errorf("Harbour holds %v after cancelled drags; want nothing", got)
	}

	// A photo outside the selection goes alone; the selection stays.
	evaluate[bool](c, `drag("#tile-`+ids[1]+`", "dragstart")`)
	c.waitFor("panel once more", panelOpen+` && !!document.querySelector('`+entry(harbour)+`')`)
	evaluate[bool](c, `drag('`+entry(harbour)+`', "dragover"), drag('`+entry(harbour)+`', "drop")`)
	c.waitFor("added one", `document.querySelector("#selection-notice").textContent.includes("1 photo added to “Harbour”.")`)
	c.waitFor("panel gone", panelGone)
	if got := projectHolds(harbour); !slices.Equal(got, []string{ids[1]}) {
		t.Errorf("Harbour holds %v; want only the dragged photo %s", got, ids[1])
	}
	if got := evaluate[[]string](c, `[...document.querySelectorAll("#grid .tile.is-selected")].map(t => t.dataset.id)`); !slices.Equal(got, []string{ids[0]}) {
		t.Errorf("selection after dragging another photo = %v; want it kept: %s", got, ids[0])
	}

	// "New project…" opens the add dialog for the dragged photo.
	c.do("clear the selection", chromedp.Click(chromedp.CSS("#selection-clear")))
	evaluate[bool](c, `drag("#tile-`+ids[2]+`", "dragstart")`)
	c.waitFor("panel for new", panelOpen+` && !!document.querySelector('`+entry("new")+`')`)
	evaluate[bool](c, `drag('`+entry("new")+`', "dragover"), drag('`+entry("new")+`', "drop")`)
	c.waitFor("dialog", `document.querySelector("#add-dialog").open && !document.querySelector("#add-project").disabled`)
	if got := evaluate[string](c, `document.activeElement.id`); got != "add-new-name" {
		t.Errorf("focus in the dialog on %q; want the new project's name", got)
	}
	if got := c.text("#add-dialog-heading"); got != "Add 1 photo to a project" {
		t.Errorf("dialog heading = %q", got)
	}
	if got := evaluate[string](c, `document.querySelector("#add-project").value`); got != "new" {
		t.Errorf("dialog project = %q; want new", got)
	}
	c.do("name it", chromedp.SendKeys(chromedp.CSS("#add-new-name"), "Dunes"), chromedp.Click(chromedp.CSS("#add-submit")))
	c.waitFor("added to new", `document.querySelector("#selection-notice").textContent.includes("1 photo added to “Dunes”.")`)
	dunes := strings.TrimPrefix(evaluate[string](c, `document.querySelector("#selection-notice a").getAttribute("href")`), "/projects/")
	if got := projectHolds(dunes); !slices.Equal(got, []string{ids[2]}) {
		t.Errorf("Dunes holds %v; want the dragged photo %s", got, ids[2])
	}
	// The panel knows the new project without asking the server again.
	evaluate[bool](c, `drag("#tile-`+ids[0]+`", "dragstart")`)
	c.waitFor("panel with Dunes", panelOpen+` && !!document.querySelector('`+entry(dunes)+`')`)
	c.do("escape again", chromedp.KeyEvent(kb.Escape))
	c.waitFor("panel gone again", panelGone)
	c.noCSPViolations("library after drags")

	// A plain click still opens the photo.
	c.do("click a photo", chromedp.Click(chromedp.CSS("#tile-"+ids[1]+" .tile-link")), chromedp.WaitVisible(chromedp.CSS("body")))
	c.waitFor("viewer", `location.pathname === "/library/`+ids[1]+`"`)
}
