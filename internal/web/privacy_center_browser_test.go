package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPrivacyCenter drives /account/privacy in Chromium as Pat, a
// photographer with a photo that Rita, a member of Pat's project, has
// looked at:
//   - "who saw your images" lists Rita's view of that photo;
//   - the consents recorded at sign-up (terms of use, privacy notice) are
//     listed, and a receipt opens with Pat's address and the text's hash;
//   - "Prepare my export" says it is being prepared, then the page shows
//     it ready with a download link;
//   - erasure asks for the password first (refused beside the field when
//     missing or wrong), then shows the date and the countdown of the
//     grace period; cancelling brings the form back;
//   - the link to the security activity lands on that section.
//
// The page never scrolls sideways at 320 or 1280 px, and the elements
// this test uses stay on screen. Only these elements are looked at (by
// id): other sections of the page are other tests' business.
func TestBrowserPrivacyCenter(t *testing.T) {
	w := newProjectsWorld(t) // Ann, the admin, shares nothing here
	pat := w.person("Pat Photographer", "pat@example.com", false)
	rita := w.person("Rita Reviewer", "rita@example.com", true)
	photo := pat.uploadReady(map[string][]byte{"IMG_0042.jpg": testJPEG(t, 640, 480, 42)}, "IMG_0042.jpg")[0].ID
	project := newProject(t, pat, "Harbour")
	p := "/api/v1/projects/" + project
	wantAPI(t, projAPI(t, pat, "POST", p+"/assets", map[string]any{"asset_ids": []string{photo}}), http.StatusOK)
	wantRedirect(t, pat.post("/projects/"+project+"/members", form("email", "rita@example.com", "role", "reviewer", "download", "none")), "/projects/"+project+"?share=1")
	wantAPI(t, projAPI(t, rita, "GET", p+"/assets/"+photo+"/preview", nil), http.StatusOK)

	c := startChrome(t, w.srv.URL)
	c.signInAs("pat@example.com", "#library-grid")
	open := func() {
		c.t.Helper()
		c.do("open the privacy center", chromedp.Navigate(c.base+"/account/privacy"), chromedp.WaitVisible(chromedp.CSS("#privacy-center")))
	}
	open()
	c.noCSPViolations("privacy center")
	c.screenshot("privacy-center")

	// Who saw: Rita's view of the photo, with a link to it.
	views := evaluate[[]string](c, `[...document.querySelectorAll("#views-table tbody tr")].map(tr => tr.textContent.replace(/\s+/g, " ").trim() + " → " + tr.querySelector("a").getAttribute("href"))`)
	if len(views) != 1 || !strings.Contains(views[0], "rita@example.com") || !strings.HasSuffix(views[0], " → /library/"+photo) {
		t.Errorf("who saw = %q; want one row: Rita's view of /library/%s", views, photo)
	}

	// The consents of sign-up, and a receipt.
	consents := evaluate[map[string]string](c, `Object.fromEntries([...document.querySelectorAll("#consents li[id^='consent-']")].map(li => [li.querySelector(".row-title").textContent.trim(), li.querySelector("a[href^='/consents/']").getAttribute("href")]))`)
	receipt, ok := consents["The terms of use of this instance, at sign-up"]
	if _, notice := consents["The privacy notice, shown at sign-up"]; !ok || !notice {
		t.Fatalf("consents = %v; want the terms of use and the privacy notice of sign-up", consents)
	}
	c.do("open the receipt",
		chromedp.Click(chromedp.CSS(`#consents a[href="`+receipt+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#receipt")),
	)
	c.location(receipt)
	facts := evaluate[map[string]string](c, `Object.fromEntries([...document.querySelectorAll("#receipt .terms-facts dt")].map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\s+/g, " ").trim()]))`)
	if facts["By"] != "pat@example.com" || !strings.Contains(facts["Text"], "SHA-256 ") || facts["Receipt"] == "" {
		t.Errorf("receipt facts = %v; want Pat's address, the text's SHA-256 and a receipt id", facts)
	}
	if href := evaluate[string](c, `document.querySelector("#receipt-json").getAttribute("href")`); href != "/api/v1/me/consents/"+strings.TrimPrefix(receipt, "/consents/")+"/receipt" {
		t.Errorf("JSON receipt link = %q", href)
	}
	c.noCSPViolations("consent receipt")
	c.screenshot("privacy-receipt")

	// Export: asked for, being prepared, then ready.
	open()
	c.do("ask for an export",
		chromedp.Click(chromedp.CSS("#export-request")),
		chromedp.WaitVisible(chromedp.CSS("#export-state")),
	)
	c.waitLoaded("/account/privacy#export")
	if got := c.text(".flash"); !strings.HasPrefix(got, "Your export is being prepared.") {
		t.Errorf("notice = %q", got)
	}
	if state := evaluate[string](c, `document.querySelector("#export-state").dataset.state`); state != "pending" && state != "building" && state != "ready" {
		t.Errorf("export state right after asking = %q; want pending, building or ready", state)
	}
	deadline := time.Now().Add(30 * time.Second)
	for evaluate[string](c, `document.querySelector("#export-state").dataset.state`) != "ready" {
		if time.Now().After(deadline) {
			t.Fatalf("the export is still %q after 30 s", c.text("#export-state"))
		}
		time.Sleep(200 * time.Millisecond)
		c.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#export-state")))
	}
	if got := c.text("#export-state"); !strings.Contains(got, "ready (") {
		t.Errorf("export state = %q; want ready with its size", got)
	}
	if href := evaluate[string](c, `document.querySelector("#export-download").getAttribute("href")`); !strings.HasPrefix(href, "/api/v1/exports/") {
		t.Errorf("download link = %q", href)
	}
	c.screenshot("privacy-export-ready")

	// Erasure: the password first.
	for _, pw := range []string{"", "not the password at all"} {
		// The second refusal's page looks like the first: mark the page
		// shown, and wait for a new one, not for the old page's error.
		_, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`window.refusedBefore = true`))
		c.must("mark the page", err)
		c.do(fmt.Sprintf("erase with password %q", pw),
			chromedp.SendKeys(chromedp.CSS("#erase-password"), pw),
			chromedp.Click(chromedp.CSS("#erasure-request")),
		)
		c.waitFor("the refusal's page", `window.refusedBefore !== true && document.readyState === "complete" && document.querySelector("#erase-password-error") !== null`)
		c.location("/account/privacy/erase")
		if n := evaluate[int](c, `document.querySelectorAll("#erasure-scheduled").length`); n != 0 {
			t.Fatalf("with password %q the erasure was scheduled", pw)
		}
		if invalid := evaluate[string](c, `document.querySelector("#erase-password").getAttribute("aria-invalid")`); invalid != "true" {
			t.Errorf("with password %q, the field is not marked invalid", pw)
		}
	}
	c.screenshot("privacy-erase-refused")
	asked := time.Now()
	c.do("erase with the password",
		chromedp.SendKeys(chromedp.CSS("#erase-password"), password),
		chromedp.Click(chromedp.CSS("#erasure-request")),
		chromedp.WaitVisible(chromedp.CSS("#erasure-scheduled")),
	)
	c.location("/account/privacy#erase")
	if got := c.text("#erasure-left"); got != "7 days left" {
		t.Errorf("countdown = %q; want 7 days left", got)
	}
	iso := evaluate[string](c, `document.querySelector("#erasure-scheduled time").getAttribute("datetime")`)
	if at, err := time.Parse(time.RFC3339, iso); err != nil || at.Before(asked.Add(7*24*time.Hour-time.Minute)) || at.After(time.Now().Add(7*24*time.Hour+time.Minute)) {
		t.Errorf("erasure date = %q; want 7 days from now", iso)
	}
	if n := evaluate[int](c, `document.querySelectorAll("#erasure-request").length`); n != 0 {
		t.Error("with an erasure scheduled, the page still offers to ask for one")
	}
	c.noCSPViolations("erasure scheduled")
	c.screenshot("privacy-erasure-scheduled")

	// The layout, with every section filled: no sideways scrolling, and
	// this test's elements on screen.
	for _, width := range []int{320, 1280} {
		c.do(fmt.Sprintf("%d px wide", width), chromedp.EmulateViewport(int64(width), 900))
		c.waitFor(fmt.Sprintf("%d px laid out", width), fmt.Sprintf(`window.innerWidth === %d`, width))
		problems := evaluate[string](c, `(() => {
		  const problems = [], de = document.documentElement;
		  if (de.scrollWidth > window.innerWidth) problems.push("the page scrolls sideways: " + de.scrollWidth + " > " + window.innerWidth);
		  for (const id of ["export-state", "export-download", "export-request", "views-scroll", "consents", "erasure-scheduled", "erasure-cancel", "security-link"]) {
		    const e = document.getElementById(id);
		    if (!e) { problems.push("#" + id + " is missing"); continue; }
		    const r = e.getBoundingClientRect();
		    if (r.width === 0 || r.left < 0 || r.right > window.innerWidth + 0.5) problems.push("#" + id + " is at " + r.left + "–" + r.right);
		  }
		  return problems.join("; ");
		})()`)
		if problems != "" {
			t.Errorf("at %d px: %s", width, problems)
		}
		c.screenshot(fmt.Sprintf("privacy-center-%d", width))
	}

	// Cancel.
	c.do("cancel the erasure",
		chromedp.Click(chromedp.CSS("#erasure-cancel")),
		chromedp.WaitVisible(chromedp.CSS("#erasure-request")),
	)
	c.location("/account/privacy#erase")
	if got := c.text(".flash"); !strings.HasPrefix(got, "The erasure is cancelled.") {
		t.Errorf("notice = %q", got)
	}
	if n := evaluate[int](c, `document.querySelectorAll("#erasure-scheduled").length`); n != 0 {
		t.Error("after cancelling, the erasure is still shown as scheduled")
	}

	// The security events are one link away.
	c.do("follow the link to the security activity",
		chromedp.Click(chromedp.CSS("#security-link")),
		chromedp.WaitVisible(chromedp.CSS("#activity")),
	)
	c.location("/account#activity")
	if got := evaluate[string](c, `[...document.querySelectorAll("#activity .event-title")].map(e => e.textContent).join("\n")`); !strings.Contains(got, "Signed in") {
		t.Errorf("security activity = %q; want Pat's sign-in", got)
	}
	c.noCSPViolations("privacy center at every width")
}
