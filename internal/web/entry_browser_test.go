package web_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"safelight/internal/calls"
)

// TestBrowserEntry drives an entry in Chromium: a photographer finds the
// published call on /calls, opens it (dates in the call's zone and in
// hers), enters, types a title (autosaved: "Saved"), picks a category,
// adds two photos from the library picker, sees the requirement problem
// of the one that is too small beside it and removes it, uploads a third
// photo on the spot and moves it first, ticks the terms box (which enables Submit), submits,
// and finds the entry submitted on /entries with her consent listed,
// collected by web form. Screenshots of each screen, the call page also
// at phone width, go to $SAFELIGHT_TEST_SCREENSHOTS; no page breaks the
// CSP.
func TestBrowserEntry(t *testing.T) {
	w := newEntrantWorld(t)
	if err := w.a.Calls.SetCover(t.Context(), w.grant(w.callID), bytes.NewReader(testJPEG(t, 2400, 1000, 6))); err != nil {
		t.Fatal(err)
	}
	c := startChrome(t, w.srv.URL)
	base := c.base

	c.signUpAndSignIn("Pete Park", "pete@example.com", "#library-grid")
	api := newBrowser(t, w.srv)
	signIn(t, api, "pete@example.com", password)
	photos := api.uploadReady(map[string][]byte{
		"harbour.jpg": cameraJPEG(t, 1600, 1067, 1, 20),
		"small.jpg":   testJPEG(t, 800, 533, 2),
	}, "harbour.jpg", "small.jpg")
	big, small := photos[0].ID, photos[1].ID
	upload := filepath.Join(t.TempDir(), "pier.jpg")
	if err := os.WriteFile(upload, testJPEG(t, 1500, 1000, 4), 0o644); err != nil {
		t.Fatal(err)
	}

	// The list of calls, then the call.
	c.do("open calls", chromedp.Navigate(base+"/calls"), chromedp.WaitVisible(chromedp.CSS("#open-calls")))
	c.waitFor("cover", `[...document.querySelectorAll("#open-calls img")].every(i => i.complete && i.naturalWidth > 0)`)
	evaluate[bool](c, `Promise.all([...document.querySelectorAll("#open-calls img")].map(i => i.decode())).then(() => true)`, chromedp.EvalAwaitPromise)
	if got := c.text(`.site-nav a[aria-current="page"]`); got != "Calls" {
		t.Errorf("current navigation entry = %q; want Calls", got)
	}
	c.noCSPViolations("calls")
	c.screenshot("calls")
	c.do("open the call", chromedp.Click(chromedp.CSS(`#call-`+w.callID+` a`)), chromedp.WaitVisible(chromedp.CSS("#call")))
	c.location("/calls/" + w.callID)
	c.waitFor("local time", `document.querySelector("#call-deadline").parentElement.querySelector(".local-time") !== null`)
	if got := c.text("#requirements-line"); got != "Every image: JPEG or TIFF, long edge at least 1200 px, landscape." {
		t.Errorf("requirements line = %q", got)
	}
	if got := c.text("#call-countdown"); got != "Closes in 10 days" {
		t.Errorf("countdown = %q; want Closes in 10 days", got)
	}
	c.noCSPViolations("call")
	c.screenshot("call")

	// Enter.
	c.do("enter", chromedp.Click(chromedp.CSS("#enter-call")), chromedp.WaitVisible(chromedp.CSS("#entry-title")))
	m := regexp.MustCompile(`^/entries/([0-9a-f-]{36})$`).FindStringSubmatch(c.path())
	if m == nil {
		t.Fatalf("after entering, location = %q; want the new entry", c.path())
	}
	id := m[1]
	c.waitFor("entry script", `document.querySelector("#entry").dataset.ready === "true" && !document.querySelector("#image-actions").hidden`)
	if !evaluate[bool](c, `document.querySelector("#entry-save").hidden`) {
		t.Error("the Save button is shown although the entry saves as it is typed")
	}
	if !evaluate[bool](c, `document.querySelector("#submit-entry").disabled`) {
		t.Error("Submit is enabled before the terms box is ticked")
	}

	// The title, autosaved; the category.
	c.do("type the title", chromedp.SendKeys(chromedp.CSS("#entry-title"), "Harbour at dawn"))
	c.waitFor("saved", `document.querySelector("#save-status").textContent === "Saved"`)
	c.do("choose the category", chromedp.SetValue(chromedp.CSS("#entry-category"), "Landscape"))
	c.must("dispatch change", chromedp.Do(c.ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#entry-category").dispatchEvent(new Event("change"))`)))
	c.waitFor("category saved", `document.querySelector("#save-status").textContent === "Saved"`)
	if got := c.text("#entry-heading"); got != "Harbour at dawn" {
		t.Errorf("heading after the title was saved = %q", got)
	}

	// Two photos from the library picker.
	c.do("open the picker", chromedp.Click(chromedp.CSS("#open-picker")))
	c.waitFor("picker", `document.querySelector("#picker").open && document.querySelector("#picker").dataset.loaded === "true"`)
	c.waitFor("picker thumbnails", `[...document.querySelectorAll("#picker-grid img")].every(i => i.complete && i.naturalWidth > 0)`)
	c.do("pick the big photo", chromedp.Click(chromedp.CSS(`#picker-grid .picker-tile[data-id="`+big+`"]`)))
	c.do("pick the small photo", chromedp.Click(chromedp.CSS(`#picker-grid .picker-tile[data-id="`+small+`"]`)))
	if got := c.text("#picker-add"); got != "Add 2 photos" {
		t.Errorf("picker button = %q; want Add 2 photos", got)
	}
	c.noCSPViolations("picker")
	c.screenshot("entry-picker")
	c.do("add them", chromedp.Click(chromedp.CSS("#picker-add")))
	c.waitFor("two images checked", `document.querySelectorAll("#entry-images .entry-image").length === 2 && Number(document.querySelector("#entry").dataset.checked) >= 1`)
	problem := c.text(`#entry-images .entry-image[data-asset="` + small + `"] .image-problem`)
	if problem != "The long edge is 800 pixels; at least 1200 are required." {
		t.Errorf("problem beside the small photo = %q", problem)
	}
	if n := evaluate[int](c, `document.querySelectorAll('#entry-images .entry-image[data-asset="`+big+`"] .image-problem').length`); n != 0 {
		t.Errorf("the big photo shows %d problems; want none", n)
	}
	c.noCSPViolations("entry with a problem")
	c.screenshot("entry-problem")

	// Remove the small one.
	c.do("remove the small photo", chromedp.Click(chromedp.CSS(`#entry-images .entry-image[data-asset="`+small+`"] [data-remove]`)))
	c.waitFor("one image", `document.querySelectorAll("#entry-images .entry-image").length === 1 && document.querySelector("#save-status").textContent === "Saved" && Number(document.querySelector("#entry").dataset.checked) >= 2`)

	// Upload a third on the spot: it joins the entry once in the library.
	c.must("choose a file", chromedp.Do(c.ctx, chromedp.SetUploadFiles(chromedp.CSS("#entry-upload"), []string{upload})))
	c.waitFor("uploaded image checked", `document.querySelectorAll("#entry-images .entry-image").length === 2 && `+
		`!document.querySelector('#entry-images .entry-image[data-status="processing"]') && `+
		`document.querySelectorAll("#entry-images .image-problem").length === 0 && document.querySelector("#save-status").textContent === "Saved"`)
	uploaded := evaluate[string](c, `document.querySelector("#entry-images .entry-image:last-child").dataset.asset`)
	if uploaded == big || uploaded == "" {
		t.Fatalf("the uploaded photo is not last in the entry (%q)", uploaded)
	}
	// Move it first, with its button; focus stays on its controls.
	c.do("move the upload up", chromedp.Click(chromedp.CSS(`#entry-images .entry-image[data-asset="`+uploaded+`"] [data-move="-1"]`)))
	c.waitFor("moved and saved", `document.querySelector("#entry-images .entry-image").dataset.asset === "`+uploaded+`" && `+
		`document.querySelector("#save-status").textContent === "Saved" && document.activeElement.dataset.move === "1"`)
	ev := wantAPI(t, api.do(http.MethodGet, "/api/v1/entries/"+id, nil, nil), http.StatusOK)
	imgs, _ := ev["images"].([]any)
	if ev["title"] != "Harbour at dawn" || ev["category"] != "Landscape" || len(imgs) != 2 ||
		imgs[0].(map[string]any)["asset_id"] != uploaded || imgs[1].(map[string]any)["asset_id"] != big {
		t.Errorf("the entry as saved = %v; want the title, the category, the upload then the big photo", ev)
	}
	c.noCSPViolations("entry")
	c.screenshot("entry-ready")

	// The terms, in full; the box enables Submit.
	if got := c.text("#terms-hash"); got != w.grant(w.callID).Terms.SHA256 {
		t.Errorf("terms hash shown = %q; want the current version's", got)
	}
	c.do("tick the terms box", chromedp.Click(chromedp.CSS("#accept-terms")))
	if evaluate[bool](c, `document.querySelector("#submit-entry").disabled`) {
		t.Fatal("Submit stays disabled after the terms box was ticked")
	}
	c.do("submit", chromedp.Click(chromedp.CSS("#submit-entry")), chromedp.WaitVisible(chromedp.CSS("#entry-rows")))
	c.location("/entries")
	if got := c.text("#entry-" + id + " .state-badge"); got != "Submitted" {
		t.Errorf("entry state on /entries = %q; want Submitted", got)
	}
	consents := c.text("#consent-rows")
	for _, want := range []string{"Terms of the call", entrantCallTitle, "Harbour at dawn", calls.MethodWebForm} {
		if !strings.Contains(consents, want) {
			t.Errorf("consents on /entries lack %q: %s", want, consents)
		}
	}
	cs := wantAPI(t, api.do(http.MethodGet, "/api/v1/me/consents", nil, nil), http.StatusOK)
	var items []any // the call's consents; the sign-up's records are beside them
	all, _ := cs["items"].([]any)
	for _, it := range all {
		if it.(map[string]any)["kind"] == calls.ConsentCallTerms {
			items = append(items, it)
		}
	}
	if len(items) != 1 || items[0].(map[string]any)["method"] != calls.MethodWebForm {
		t.Errorf("consents = %v; want one collected by web form", cs)
	}
	c.noCSPViolations("entries")
	c.screenshot("entries")

	// The submitted entry, and the call page at phone width.
	c.do("open the entry", chromedp.Navigate(base+"/entries/"+id), chromedp.WaitVisible(chromedp.CSS("#entry")))
	c.screenshot("entry-submitted")
	c.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	c.do("phone call", chromedp.Navigate(base+"/calls/"+w.callID), chromedp.WaitVisible(chromedp.CSS("#call")))
	c.screenshot("call-phone")
	c.do("phone terms", chromedp.Navigate(base+"/calls/"+w.callID+"/terms"), chromedp.WaitVisible(chromedp.CSS("#terms-text")))
	c.screenshot("call-terms-phone")
	c.noCSPViolations("phone pages")
}
