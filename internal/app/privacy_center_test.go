package app_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// form is a URL-encoded page form body.
func form(kv ...string) rawBody {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return rawBody{ctype: "application/x-www-form-urlencoded", data: []byte(v.Encode())}
}

// TestPrivacyCenter: the privacy center page gathers the rights of its
// holder — an export asked for and then downloadable, who saw the
// images, the consents with their receipts, and erasure, asked for with
// the password (a wrong one changes nothing) and cancelled — and shows
// nothing of anyone else.
func TestPrivacyCenter(t *testing.T) {
	w := newFlowWorld(t)
	// Someone else sees one of Erin's photos, and Erin enters a call.
	project := w.erin.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Proofs"}).json["id"].(string)
	w.erin.must(200, "POST", "/api/v1/projects/"+project+"/assets", map[string]any{"asset_ids": []string{w.erinImg}})
	w.erin.must(201, "POST", "/api/v1/projects/"+project+"/members", map[string]string{"email": "sam@example.com", "role": "viewer", "download": "preview"})
	w.sam.must(200, "GET", "/api/v1/projects/"+project+"/assets/"+w.erinImg+"/preview", nil)
	call := w.newCall(t, nil)
	_, sum, _ := flowTerms(t, call["terms"])
	w.erin.must(201, "POST", "/api/v1/calls/"+call["id"].(string)+"/entries", map[string]any{
		"title": "Tide pools", "category": "Landscape", "asset_ids": []string{w.erinImg}, "accept_terms_sha256": sum})
	consent := flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil))[0]["id"].(string)

	page := string(w.erin.must(200, "GET", "/account/privacy", nil).body)
	for _, want := range []string{"Who saw your images", "sam@example.com", "/library/" + w.erinImg, "/consents/" + consent,
		"Atlantic Light", "Prepare my export", "Erase my account", "7 days"} {
		if !strings.Contains(page, want) {
			t.Errorf("privacy center lacks %q", want)
		}
	}
	if strings.Contains(string(w.sam.must(200, "GET", "/account/privacy", nil).body), "/consents/"+consent) {
		t.Error("Sam's privacy center shows Erin's consent")
	}

	// Export: asked on the page, built, then offered for download once.
	w.erin.must(303, "POST", "/account/privacy/export", form())
	deadline := time.Now().Add(60 * time.Second)
	var link string
	for link == "" && time.Now().Before(deadline) {
		page = string(w.erin.must(200, "GET", "/account/privacy", nil).body)
		if i := strings.Index(page, `href="/api/v1/exports/`); i >= 0 {
			link = page[i+len(`href="`):]
			link = link[:strings.IndexByte(link, '"')]
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if link == "" {
		t.Fatalf("no download link on the privacy center after a minute:\n%s", page)
	}
	if r := w.erin.must(200, "GET", link, nil); r.header.Get("Content-Type") != "application/zip" || len(r.body) < 100 {
		t.Errorf("download = %s, %d bytes", r.header.Get("Content-Type"), len(r.body))
	}
	if page = string(w.erin.must(200, "GET", "/account/privacy", nil).body); !strings.Contains(page, "downloaded") {
		t.Error("the page does not say the export was downloaded")
	}

	// Erasure: a wrong password schedules nothing; the right one does, and
	// cancelling undoes it.
	r := w.erin.do("POST", "/account/privacy/erase", form("password", "not my password"))
	if r.status != 403 || !strings.Contains(string(r.body), "aria-invalid") {
		t.Fatalf("erasure with a wrong password = %d; want 403 with the field marked", r.status)
	}
	if got := w.erin.must(200, "GET", "/api/v1/me/erasure", nil).json["scheduled"]; got != false {
		t.Fatalf("a refused request scheduled an erasure: %v", got)
	}
	w.erin.must(303, "POST", "/account/privacy/erase", form("password", password))
	page = string(w.erin.must(200, "GET", "/account/privacy", nil).body)
	if !strings.Contains(page, `id="erasure-scheduled"`) || !strings.Contains(page, "Cancel the erasure") {
		t.Fatalf("after asking, the page does not show the scheduled erasure:\n%s", page)
	}
	if got := w.erin.must(200, "GET", "/api/v1/me/erasure", nil).json["scheduled"]; got != true {
		t.Fatalf("erasure not scheduled: %v", got)
	}
	w.erin.must(303, "POST", "/account/privacy/erase/cancel", form())
	page = string(w.erin.must(200, "GET", "/account/privacy", nil).body)
	if strings.Contains(page, `id="erasure-scheduled"`) || !strings.Contains(page, "Nothing was removed") {
		t.Error("after cancelling, the page still shows an erasure")
	}
	if got := w.erin.must(200, "GET", "/api/v1/me/erasure", nil).json["scheduled"]; got != false {
		t.Errorf("erasure still scheduled after cancelling: %v", got)
	}
	if loc := w.anon.must(303, "GET", "/account/privacy", nil).header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Errorf("anonymous visitor sent to %q; want the sign-in page", loc)
	}
}
