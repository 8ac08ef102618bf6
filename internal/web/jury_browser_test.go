package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// signInChrome signs email in through the sign-in form and waits for the
// library.
func (c *chrome) signInChrome(email string) {
	c.t.Helper()
	c.do("sign in "+email,
		chromedp.Navigate(c.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		// The sign-in page has a navigation too: wait for the signed-in
		// one, or the next click can land on a page being replaced.
		chromedp.WaitVisible(chromedp.CSS("form.signout")),
	)
}

// TestBrowserJury drives a jury round in Chromium. After the deadline of
// a call with two entries, the owner starts a blind 1–5 stars round with
// one juror. The juror finds it from the Jury link ("0 of 2 scored"),
// opens it: a justified grid of the jury copies (the round's own image
// URLs), with no name. A digit scores the first entry at once and its
// tile says "Saved"; the right arrow moves to the second, a digit scores
// it, and the counter reads "2 of 2 scored". Enter opens the loupe with
// the preview, the entry's title and statement and the score; a new digit
// there changes the score, Escape closes it, and a reload shows what the
// server holds. The owner then sees the averages, ranked, and every
// juror's progress in the results panel; as a juror too, recuses from
// an entry (confirmed; it greys out and leaves their count), closes the
// round through the confirmation dialog and keeps the top entry, which
// offers the next round. Screenshots of the list, grid, loupe and results go to
// $SAFELIGHT_TEST_SCREENSHOTS; no page breaks the CSP.
func TestBrowserJury(t *testing.T) {
	w := newProjectsWorld(t)
	olga := w.person("Olga Owner", "olga@example.com", true)
	eve := w.person("Eve Entrant", "eve@example.com", true)
	w.person("Jane Juror", "jane@example.com", true)
	orgID := newOrg(t, olga, "Harbour Photo Club")
	callID := newOrgCall(t, olga, orgID, "Harbour Light")
	callToJudge(t, w, olga, callID, orgEntrant{b: eve, titles: []string{"Breakwater at dawn", "Lighthouse in fog"},
		photos: [][]byte{cameraJPEG(t, 1600, 1067, 1, 20), cameraJPEG(t, 1067, 1600, 2, 21)}})
	roundID := newJuryRound(t, olga, callID, "First pass", "stars_avg", true, "jane@example.com", "olga@example.com")

	c := startChrome(t, w.srv.URL)
	c.signInChrome("jane@example.com")
	c.do("open the jury list", chromedp.WaitVisible(chromedp.CSS("#nav-jury")), chromedp.Click(chromedp.CSS("#nav-jury")), chromedp.WaitVisible(chromedp.CSS("#jury-rounds")))
	c.location("/jury")
	if got := c.text("#jury-round-" + roundID + " .jury-progress"); got != "0 of 2 scored" {
		t.Errorf("progress on /jury = %q; want 0 of 2 scored", got)
	}
	c.noCSPViolations("jury list")
	c.screenshot("jury-list")

	// The grid.
	c.do("open the round", chromedp.Click(chromedp.CSS(`#jury-rounds a[href="/jury/`+roundID+`"]`)), chromedp.WaitVisible(chromedp.CSS("#jury-grid")))
	c.waitFor("jury ready", `document.querySelector("#jury").dataset.ready === "true"`)
	c.waitFor("thumbnails load", `(() => {
	  const imgs = [...document.querySelectorAll("#jury-grid .tile img")];
	  return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0);
	})()`)
	if problems := evaluate[string](c, strings.ReplaceAll(checkJustified, "#grid", "#jury-grid")); problems != "" {
		t.Errorf("jury grid is not justified: %s", problems)
	}
	srcs := evaluate[[]string](c, `[...document.querySelectorAll("#jury-grid img")].map(i => new URL(i.src).pathname)`)
	for _, s := range srcs {
		if !strings.HasPrefix(s, "/api/v1/rounds/"+roundID+"/entries/") || !strings.HasSuffix(s, "/thumb") {
			t.Errorf("grid image %q is not a jury copy of the round", s)
		}
	}
	alts := evaluate[[]string](c, `[...document.querySelectorAll("#jury-grid img")].map(i => i.alt)`)
	if strings.Join(alts, "|") != "Breakwater at dawn|Lighthouse in fog" {
		t.Errorf("grid alt texts = %v; want the entries' titles in order", alts)
	}
	if body := evaluate[string](c, `document.body.innerText`); strings.Contains(body, "Eve") || strings.Contains(body, "eve@example.com") {
		t.Error("the blind round's page names the entrant")
	}
	if got := c.text("#jury-count"); got != "0 of 2 scored" {
		t.Errorf("count = %q; want 0 of 2 scored", got)
	}
	c.noCSPViolations("jury grid")
	c.screenshot("jury-grid")

	// Keys: a digit scores the current entry and saves it at once.
	c.do("score the first", chromedp.KeyEvent("4"))
	c.waitFor("first saved", `document.querySelector("#jury-item-0").dataset.state === "saved"`)
	if got := c.text("#jury-item-0 .jury-tile-state"); got != "Saved" {
		t.Errorf("first tile says %q; want Saved", got)
	}
	if got := c.text("#jury-item-0 .badge-stars"); got != "★★★★" {
		t.Errorf("first tile's stars = %q", got)
	}
	c.waitFor("count 1", `document.querySelector("#jury-count").textContent === "1 of 2 scored"`)
	c.do("next entry", chromedp.KeyEvent(kb.ArrowRight))
	c.waitFor("second current", `document.querySelector("#jury-item-1").classList.contains("is-current") && document.activeElement === document.querySelector("#jury-item-1 .tile-link")`)
	c.do("score the second", chromedp.KeyEvent("2"))
	c.waitFor("count 2", `document.querySelector("#jury-count").textContent === "2 of 2 scored"`)
	c.waitFor("second saved", `document.querySelector("#jury-item-1").dataset.state === "saved"`)

	// The loupe: Enter on the current entry.
	c.do("open the loupe", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("dialog.jury-loupe[open]")))
	c.waitFor("preview loads", `(() => { const i = document.querySelector(".jury-loupe-image"); return i.complete && i.naturalWidth > 0 && new URL(i.src).pathname.endsWith("/preview"); })()`)
	if got := c.text("#jury-entry-title"); got != "Lighthouse in fog" {
		t.Errorf("loupe title = %q", got)
	}
	if got := c.text(".jury-statement"); got != "Taken at first light, from the breakwater." {
		t.Errorf("loupe statement = %q", got)
	}
	if got := c.text("#jury-save-state"); got != "Saved: 2 stars." {
		t.Errorf("loupe score state = %q; want Saved: 2 stars.", got)
	}
	c.do("rescore in the loupe", chromedp.KeyEvent("5"))
	c.waitFor("rescored", `document.querySelector("#jury-save-state").textContent === "Saved: 5 stars."`)
	if n := evaluate[int](c, `document.querySelectorAll(".jury-loupe .loupe-panel .mark-star.is-on").length`); n != 5 {
		t.Errorf("stars lit in the loupe = %d; want 5", n)
	}
	c.noCSPViolations("jury loupe")
	c.viewportShot("jury-loupe")
	c.do("close the loupe", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("dialog.jury-loupe")))
	c.waitFor("focus back on the tile", `document.activeElement === document.querySelector("#jury-item-1 .tile-link")`)

	// What the server holds.
	c.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#jury-grid")))
	c.waitFor("jury ready again", `document.querySelector("#jury").dataset.ready === "true"`)
	if got := c.text("#jury-count"); got != "2 of 2 scored" {
		t.Errorf("count after reload = %q", got)
	}
	if got := evaluate[[]string](c, `[...document.querySelectorAll("#jury-grid .badge-stars")].map(b => b.textContent)`); strings.Join(got, ",") != "★★★★,★★★★★" {
		t.Errorf("stars after reload = %v; want 4 and 5", got)
	}

	// The owner's results.
	c.do("sign out", chromedp.Click(chromedp.CSS(`form.signout button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#login-email")))
	c.signInChrome("olga@example.com")
	c.do("open the results", chromedp.Navigate(c.base+"/jury/"+roundID), chromedp.WaitVisible(chromedp.CSS("#results-table")))
	if got := evaluate[[]string](c, `[...document.querySelectorAll("#results-table .jury-average")].map(td => td.textContent)`); strings.Join(got, ",") != "5.00,4.00" {
		t.Errorf("averages = %v; want 5.00 then 4.00", got)
	}
	if got := evaluate[string](c, `document.querySelector("#results-table tbody tr").innerText`); !strings.Contains(got, "Lighthouse in fog") {
		t.Errorf("first place = %q; want the lighthouse", got)
	}
	if got := c.text("#jurors"); !strings.Contains(got, "jane@example.com") || !strings.Contains(got, "2 of 2 scored") {
		t.Errorf("juror progress = %q", got)
	}
	c.noCSPViolations("jury results")
	c.screenshot("jury-results")

	// The owner is a juror too, and knows who made the first entry:
	// recusal, after a confirmation, greys it out and takes it off their
	// count; a digit on it then saves nothing.
	c.waitFor("owner's grid", `document.querySelector("#jury").dataset.ready === "true"`)
	if got := c.text("#jury-count"); got != "0 of 2 scored" {
		t.Errorf("the owner's count = %q; want 0 of 2 scored", got)
	}
	c.do("open the first entry", chromedp.Click(chromedp.CSS("#jury-item-0 .tile-link")), chromedp.WaitVisible(chromedp.CSS("dialog.jury-loupe[open]")))
	c.do("recuse", chromedp.Click(chromedp.CSS("#jury-recuse")), chromedp.WaitVisible(chromedp.CSS("#jury-recuse-yes")))
	c.do("confirm the recusal", chromedp.Click(chromedp.CSS("#jury-recuse-yes")))
	c.waitFor("recused", `document.querySelector("#jury-item-0").classList.contains("is-recused") && document.querySelector("#jury-count").textContent === "0 of 1 scored"`)
	if got := c.text("#jury-save-state"); got != "You recused yourself from this entry." {
		t.Errorf("loupe after recusal = %q", got)
	}
	if !evaluate[bool](c, `[...document.querySelectorAll(".jury-loupe .loupe-panel .mark-star")].every(b => b.disabled)`) {
		t.Error("the stars still work on an entry the juror recused from")
	}
	c.do("score it anyway", chromedp.KeyEvent("3"))
	c.waitFor("refused in words", `!document.querySelector("#jury-message").hidden && document.querySelector("#jury-message").textContent.includes("You recused yourself")`)
	c.do("close the loupe", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("dialog.jury-loupe")))
	c.do("reload the results", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#results-table")))
	c.waitFor("owner's grid again", `document.querySelector("#jury").dataset.ready === "true"`)
	if got := evaluate[string](c, `document.querySelector("#results-table tbody tr:nth-child(2)").innerText`); !strings.Contains(got, "Breakwater at dawn") || !strings.Contains(got, "4.00") || !strings.Contains(got, "\t1\t") {
		t.Errorf("second place after the recusal = %q; want the breakwater, 4.00 and one recusal", got)
	}
	if !evaluate[bool](c, `document.querySelector("#jury-item-0").classList.contains("is-recused")`) {
		t.Error("the recusal did not last")
	}

	// Close, through the confirmation, and keep the top entry.
	c.do("close the round", chromedp.Click(chromedp.CSS("#close-round button")), chromedp.WaitVisible(chromedp.CSS("dialog.manage-confirm[open]")))
	c.do("confirm", chromedp.Click(chromedp.CSS("#manage-confirm-yes")), chromedp.WaitVisible(chromedp.CSS("#shortlist")))
	if got := c.text(".flash"); !strings.Contains(got, "The round is closed") {
		t.Errorf("flash = %q", got)
	}
	c.do("keep the top one",
		chromedp.SendKeys(chromedp.CSS("#shortlist-top"), "1"),
		chromedp.Click(chromedp.CSS(`#shortlist form:first-child button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#next-round")),
	)
	if got := evaluate[int](c, `document.querySelectorAll("#results-table tr.is-shortlisted").length`); got != 1 {
		t.Errorf("shortlisted rows = %d; want 1", got)
	}
	c.noCSPViolations("shortlist")
	c.screenshot("jury-shortlist")

	// The owner's other screens, for people to look at.
	c.do("organization page", chromedp.Navigate(c.base+"/orgs/"+orgID), chromedp.WaitVisible(chromedp.CSS("#new-call")))
	c.waitFor("manage.js ready", `document.querySelector("#org").dataset.ready === "true"`)
	if n := evaluate[int](c, `document.querySelector("#call-timezone").options.length`); n < 100 {
		t.Errorf("the time zone select offers %d zones; want every zone the browser knows", n)
	}
	c.noCSPViolations("organization page")
	c.screenshot("org")
	c.do("management page", chromedp.Navigate(c.base+"/calls/"+callID+"/manage"), chromedp.WaitVisible(chromedp.CSS("#entries")))
	c.noCSPViolations("management page")
	c.screenshot("call-manage")
	c.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	c.screenshot("call-manage-phone")
	c.do("phone jury", chromedp.Navigate(c.base+"/jury/"+roundID), chromedp.WaitVisible(chromedp.CSS("#jury-grid")))
	c.waitFor("jury ready on a phone", `document.querySelector("#jury").dataset.ready === "true"`)
	c.screenshot("jury-phone")
	c.noCSPViolations("phone pages")
}

// TestBrowserJuryCompare compares two entries in the jury loupe. The
// juror opens the first of three entries and pins it with C: the Compare
// button now reads "Stop comparing" and a status says what is pinned.
// Two steps right, the loupe shows the pinned entry and the current one
// side by side: two previews, the round's jury copies of those two
// entries, each under its title with its own stars, and a visible line
// saying that the keys score the right one. A digit scores the right
// one; a click on the left's stars scores the pinned one; the API then
// holds exactly those two scores, on those entries, and none on the one
// passed over. At phone width the two stack. C ends the comparison, the
// button starts another, "Stop comparing" ends it, and Escape closes the
// loupe with the focus back on the current tile; C in the grid opens the
// current entry pinned. Screenshots of both
// widths go to $SAFELIGHT_TEST_SCREENSHOTS; no page breaks the CSP.
func TestBrowserJuryCompare(t *testing.T) {
	w := newProjectsWorld(t)
	olga := w.person("Olga Owner", "olga@example.com", true)
	eve := w.person("Eve Entrant", "eve@example.com", true)
	jane := w.person("Jane Juror", "jane@example.com", true)
	orgID := newOrg(t, olga, "Harbour Photo Club")
	callID := newOrgCall(t, olga, orgID, "Harbour Light")
	titles := []string{"Breakwater at dawn", "Lighthouse in fog", "Nets at noon"}
	callToJudge(t, w, olga, callID, orgEntrant{b: eve, titles: titles,
		photos: [][]byte{cameraJPEG(t, 1600, 1067, 1, 20), cameraJPEG(t, 1067, 1600, 2, 21), cameraJPEG(t, 1600, 1067, 3, 22)}})
	roundID := newJuryRound(t, olga, callID, "First pass", "stars_avg", true, "jane@example.com")

	// The round's items, as the API gives them to the juror.
	type apiItem struct {
		EntryID string `json:"entry_id"`
		Title   string `json:"title"`
		MyScore *int   `json:"my_score"`
		Images  []struct {
			PreviewURL string `json:"preview_url"`
		} `json:"images"`
	}
	roundItems := func() []apiItem {
		t.Helper()
		r, _ := jane.shareAPI(http.MethodGet, "/api/v1/rounds/"+roundID+"/entries", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET entries = %d %s", r.status, excerpt(r.body))
		}
		var out struct {
			Items []apiItem `json:"items"`
		}
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 3 {
			t.Fatalf("the round has %d items; want 3", len(out.Items))
		}
		return out.Items
	}
	before := roundItems()
	for i, it := range before {
		if it.Title != titles[i] || len(it.Images) != 1 || it.MyScore != nil {
			t.Fatalf("item %d = %+v; want %q with one image and no score", i, it, titles[i])
		}
	}

	c := startChrome(t, w.srv.URL)
	c.signInChrome("jane@example.com")
	c.do("open the round", chromedp.Navigate(c.base+"/jury/"+roundID), chromedp.WaitVisible(chromedp.CSS("#jury-grid")))
	c.waitFor("jury ready", `document.querySelector("#jury").dataset.ready === "true"`)
	c.do("open the first", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("dialog.jury-loupe[open]")))
	if got := c.text("#jury-compare"); got != "Compare" {
		t.Errorf("compare button = %q; want Compare", got)
	}

	// Pin the first with C: nothing side by side yet, but it says so.
	c.do("pin", chromedp.KeyEvent("c"))
	c.waitFor("pinned", `document.querySelector("#jury-compare").textContent === "Stop comparing"`)
	if got := c.text("#jury-compare-status"); got != "“Breakwater at dawn” is pinned. Move with ← or → to set another entry beside it." {
		t.Errorf("status after pinning = %q", got)
	}
	if evaluate[bool](c, `document.querySelector("#jury-compare-view").checkVisibility()`) {
		t.Error("the comparison shows before the juror moved")
	}

	// Two steps right: the first and the third, side by side.
	c.do("move twice", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	c.waitFor("side by side", `document.querySelector("#jury-compare-view").checkVisibility() && !document.querySelector(".jury-loupe .loupe-stage").checkVisibility()`)
	c.waitFor("both previews load", `[...document.querySelectorAll("#jury-compare-view img.jury-compare-image")].every(i => i.complete && i.naturalWidth > 0)`)
	srcs := evaluate[[]string](c, `[...document.querySelectorAll("#jury-compare-view img.jury-compare-image")].map(i => new URL(i.src).pathname)`)
	if want := []string{before[0].Images[0].PreviewURL, before[2].Images[0].PreviewURL}; strings.Join(srcs, " ") != strings.Join(want, " ") {
		t.Errorf("previews side by side = %v; want the jury copies %v", srcs, want)
	}
	for _, s := range srcs {
		if !strings.HasPrefix(s, "/api/v1/rounds/"+roundID+"/entries/") || !strings.HasSuffix(s, "/preview") {
			t.Errorf("compared image %q is not a jury copy of the round", s)
		}
	}
	if got := evaluate[string](c, `(() => {
	  const [l, r] = [...document.querySelectorAll("#jury-compare-view .jury-compare-pane")].map(p => p.getBoundingClientRect());
	  if (l.width < 200 || r.width < 200) return "panes " + l.width + " and " + r.width + " wide";
	  if (l.right > r.left || Math.abs(l.top - r.top) > 1) return "not side by side: " + JSON.stringify([l, r]);
	  return "";
	})()`); got != "" {
		t.Errorf("at 1280 px: %s", got)
	}
	if got := c.text("#jury-compare-title-left"); got != "Breakwater at dawn" {
		t.Errorf("left title = %q", got)
	}
	if got := c.text("#jury-compare-title-right"); got != "Nets at noon" {
		t.Errorf("right title = %q", got)
	}
	if got := evaluate[string](c, `document.querySelector("#jury-compare-tag-right").textContent`); got != "Your keys score this one" {
		t.Errorf("right label = %q", got)
	}
	if got := evaluate[string](c, `document.querySelector("#jury-compare-tag-left").textContent`); got != "Pinned" {
		t.Errorf("left label = %q", got)
	}
	if got := c.text("#jury-compare-status"); !strings.Contains(got, "Your keys score “Nets at noon”") {
		t.Errorf("status while comparing = %q; want it to name the entry the keys score", got)
	}
	if got := c.text("#jury-loupe-title"); got != "Entry 3 of 3 · beside entry 1" {
		t.Errorf("loupe title = %q", got)
	}

	// A digit scores the right one; the left's own stars the pinned one.
	c.do("score the right one", chromedp.KeyEvent("3"))
	c.waitFor("right saved", `document.querySelector("#jury-save-state-right").textContent === "Saved: 3 stars."`)
	if got := c.text("#jury-save-state-left"); got != "Not scored yet." {
		t.Errorf("left after the key = %q; want Not scored yet.", got)
	}
	c.do("score the pinned one", chromedp.Click(chromedp.CSS(`.jury-compare-left .mark-star[aria-label="5 stars"]`)))
	c.waitFor("left saved", `document.querySelector("#jury-save-state-left").textContent === "Saved: 5 stars."`)
	if n := evaluate[int](c, `document.querySelectorAll(".jury-compare-left .mark-star.is-on").length`); n != 5 {
		t.Errorf("stars lit on the left = %d; want 5", n)
	}
	if n := evaluate[int](c, `document.querySelectorAll(".jury-compare-right .mark-star.is-on").length`); n != 3 {
		t.Errorf("stars lit on the right = %d; want 3", n)
	}
	c.waitFor("count 2", `document.querySelector("#jury-count").textContent === "2 of 3 scored"`)
	after := roundItems()
	for i, want := range []int{5, 0, 3} {
		got := after[i].MyScore
		switch {
		case want == 0 && got != nil:
			t.Errorf("%q my_score = %d; want none", after[i].Title, *got)
		case want != 0 && (got == nil || *got != want):
			t.Errorf("%q my_score = %v; want %d", after[i].Title, got, want)
		}
	}
	c.noCSPViolations("comparison")
	c.viewportShot("jury-compare")

	// At phone width the two stack.
	c.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	c.waitFor("phone laid out", `window.innerWidth === 390`)
	if got := evaluate[string](c, `(() => {
	  const [l, r] = [...document.querySelectorAll("#jury-compare-view .jury-compare-pane")].map(p => p.getBoundingClientRect());
	  if (l.bottom > r.top) return "not stacked: " + JSON.stringify([l, r]);
	  if (l.right > window.innerWidth || r.right > window.innerWidth) return "wider than the window: " + JSON.stringify([l, r]);
	  return "";
	})()`); got != "" {
		t.Errorf("at 390 px: %s", got)
	}
	c.viewportShot("jury-compare-phone")
	c.do("desktop width", chromedp.EmulateViewport(1280, 860))

	// C ends it; the button starts another; "Stop comparing" ends that.
	c.do("unpin with C", chromedp.KeyEvent("c"))
	c.waitFor("one entry again", `!document.querySelector("#jury-compare-view").checkVisibility() && document.querySelector(".jury-loupe .loupe-stage").checkVisibility()`)
	if got := c.text("#jury-compare"); got != "Compare" {
		t.Errorf("compare button after C = %q; want Compare", got)
	}
	if got := c.text("#jury-entry-title"); got != "Nets at noon" {
		t.Errorf("loupe shows %q after the comparison; want the current entry", got)
	}
	c.do("pin with the button", chromedp.Click(chromedp.CSS("#jury-compare")), chromedp.KeyEvent(kb.ArrowLeft))
	c.waitFor("side by side again", `document.querySelector("#jury-compare-view").checkVisibility()`)
	if got := c.text("#jury-compare-title-left") + " | " + c.text("#jury-compare-title-right"); got != "Nets at noon | Lighthouse in fog" {
		t.Errorf("second comparison = %q", got)
	}
	if !evaluate[bool](c, `document.activeElement === document.querySelector("#jury-compare")`) {
		t.Error("focus left the Compare button")
	}
	c.do("stop with the button", chromedp.Click(chromedp.CSS("#jury-compare")))
	c.waitFor("stopped", `!document.querySelector("#jury-compare-view").checkVisibility() && document.querySelector("#jury-compare").textContent === "Compare"`)
	c.do("close", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("dialog.jury-loupe")))
	c.waitFor("focus back on the tile", `document.activeElement === document.querySelector("#jury-item-1 .tile-link")`)

	// From the grid, C opens the current entry pinned.
	c.do("pin from the grid", chromedp.KeyEvent("c"), chromedp.WaitVisible(chromedp.CSS("dialog.jury-loupe[open]")))
	c.waitFor("pinned from the grid", `document.querySelector("#jury-compare").textContent === "Stop comparing"`)
	if got := c.text("#jury-compare-status"); !strings.HasPrefix(got, "“Lighthouse in fog” is pinned.") {
		t.Errorf("status after C in the grid = %q", got)
	}
	c.do("close again", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS("dialog.jury-loupe")))
	c.noCSPViolations("after the comparison")
}
