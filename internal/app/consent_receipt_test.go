package app_test

import (
	"strings"
	"testing"
)

// TestConsentReceipts: every consent has a receipt with the Kantara v1.1
// fields, naming the person, the organization, the terms' hash and how
// consent was collected, as JSON and as a page; nobody else gets it.
func TestConsentReceipts(t *testing.T) {
	w := newFlowWorld(t)
	call := w.newCall(t, nil)
	id := call["id"].(string)
	_, sum, _ := flowTerms(t, call["terms"])
	w.erin.must(201, "POST", "/api/v1/calls/"+id+"/entries", map[string]any{
		"title": "Tide pools", "category": "Landscape", "asset_ids": []string{w.erinImg}, "accept_terms_sha256": sum})

	var cs []map[string]any
	for _, c := range flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil)) {
		if c["kind"] == "call_terms" { // the sign-up's records are TestSignupRecordsTermsAndNotice's
			cs = append(cs, c)
		}
	}
	if len(cs) != 1 {
		t.Fatalf("consents = %v; want one", cs)
	}
	url, _ := cs[0]["receipt_url"].(string)
	if url != "/api/v1/me/consents/"+cs[0]["id"].(string)+"/receipt" {
		t.Fatalf("receipt_url = %q", url)
	}
	r := w.erin.must(200, "GET", url, nil)
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("receipt Content-Disposition = %q; want a file to keep", cd)
	}
	rc := r.json
	for _, f := range []string{"version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID", "language",
		"piiPrincipalId", "piiControllers", "policyUrl", "services", "sensitive", "spiCat"} {
		if _, ok := rc[f]; !ok {
			t.Errorf("receipt has no %q", f)
		}
	}
	if rc["version"] != "KI-CR-v1.1.0" || rc["piiPrincipalId"] != "erin@example.com" || rc["consentReceiptID"] != cs[0]["id"] ||
		rc["safelightTermsSha256"] != sum || rc["collectionMethod"] != cs[0]["method"] {
		t.Errorf("receipt = %v", rc)
	}
	if ctl, _ := rc["piiControllers"].([]any); len(ctl) != 2 || ctl[0].(map[string]any)["piiController"] != "Lisbon Photo Festival" {
		t.Errorf("controllers = %v; want the organization first, then the operator", rc["piiControllers"])
	}
	if !strings.Contains(string(r.body), "Publication of your images") {
		t.Errorf("the receipt does not name the publication the terms grant: %s", r.body)
	}

	// The page says the same in words.
	page := w.erin.must(200, "GET", "/consents/"+cs[0]["id"].(string), nil)
	for _, want := range []string{"Consent receipt", sum, "Lisbon Photo Festival", "Atlantic Light", url} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("receipt page lacks %q", want)
		}
	}

	// Nobody else: not another entrant, not the organization, not anonymous.
	for name, c := range map[string]*client{"sam": w.sam, "the call's manager": w.manager, "the owner": w.owner} {
		c.must(404, "GET", url, nil)
		c.must(404, "GET", "/consents/"+cs[0]["id"].(string), nil)
		_ = name
	}
	w.anon.must(401, "GET", url, nil)
}

// TestWhoSawMyImages: the library-wide access log lists every view of the
// owner's images by someone else — here a project member — with the
// asset, and not the owner's own views; nobody else reads it.
func TestWhoSawMyImages(t *testing.T) {
	w := newFlowWorld(t)
	project := w.erin.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Proofs"}).json["id"].(string)
	w.erin.must(200, "POST", "/api/v1/projects/"+project+"/assets", map[string]any{"asset_ids": []string{w.erinImg}})
	w.erin.must(201, "POST", "/api/v1/projects/"+project+"/members", map[string]string{"email": "sam@example.com", "role": "viewer", "download": "preview"})
	w.erin.must(200, "GET", "/api/v1/assets/"+w.erinImg+"/original", nil) // her own view: not "someone else"
	w.sam.must(200, "GET", "/api/v1/projects/"+project+"/assets/"+w.erinImg+"/preview", nil)

	items := flowItems(t, w.erin.must(200, "GET", "/api/v1/me/access-log", nil))
	var seen bool
	for _, it := range items {
		if it["actor"] == "you" || it["asset_id"] != w.erinImg {
			t.Errorf("unexpected entry %v", it)
		}
		if it["actor"] == "sam@example.com" && it["action"] == "preview" && strings.HasPrefix(it["via"].(string), "member:") {
			seen = true
		}
	}
	if !seen {
		t.Errorf("Sam's view is not in Erin's log: %v", items)
	}
	if got := flowItems(t, w.sam.must(200, "GET", "/api/v1/me/access-log", nil)); len(got) != 0 {
		t.Errorf("Sam reads entries of a log that is not his: %v", got)
	}
	w.anon.must(401, "GET", "/api/v1/me/access-log", nil)
}
