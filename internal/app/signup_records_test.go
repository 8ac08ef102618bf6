package app_test

import (
	"strings"
	"testing"

	"safelight/internal/privacy"
)

// TestSignupRecordsTermsAndNotice: a sign-up, by the API or the page form,
// appends to the person's consent ledger the terms of use and the privacy
// notice in the versions shown (their SHA-256) and how they were shown;
// each has a receipt. A sign-up with an address in use records nothing,
// and answers as for a new account.
func TestSignupRecordsTermsAndNotice(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com")

	cs := flowItems(t, ann.must(200, "GET", "/api/v1/me/consents", nil))
	byKind := map[string]map[string]any{}
	for _, c := range cs {
		byKind[c["kind"].(string)] = c
	}
	terms, notice := byKind[privacy.ConsentTermsOfUse], byKind[privacy.ConsentPrivacyNotice]
	if len(cs) != 2 || terms == nil || notice == nil {
		t.Fatalf("consents after sign-up = %v; want the terms of use and the privacy notice", cs)
	}
	if terms["terms_sha256"] != privacy.TermsOfUseSHA256() || notice["terms_sha256"] != a.Ledger.NoticeSHA256() {
		t.Errorf("recorded versions = %v, %v; want the texts' hashes", terms["terms_sha256"], notice["terms_sha256"])
	}
	if terms["method"] != privacy.SignupAPI || terms["at"] == "" {
		t.Errorf("terms record = %v; want the API method and a time", terms)
	}
	page := string(newClient(t, srv).must(200, "GET", "/terms", nil).body)
	if !strings.Contains(page, privacy.TermsOfUseSHA256()) || !strings.Contains(page, "Your images stay yours") {
		t.Error("/terms does not show the text and the hash that sign-up records")
	}
	rc := ann.must(200, "GET", terms["receipt_url"].(string), nil).json
	if rc["safelightTermsSha256"] != privacy.TermsOfUseSHA256() || !strings.HasSuffix(rc["safelightTermsUrl"].(string), "/terms") ||
		rc["piiPrincipalId"] != "ann@example.com" {
		t.Errorf("terms receipt = %v", rc)
	}
	ann.must(200, "GET", "/consents/"+terms["id"].(string), nil)
	ann.must(404, "POST", "/api/v1/me/consents/"+terms["id"].(string)+"/withdraw", nil) // the contract ends with erasure

	// The page form records its own method.
	form := form("name", "Bea Brown", "email", "bea@example.com", "password", password)
	newClient(t, srv).must(303, "POST", "/signup", form)
	bea := newClient(t, srv)
	bea.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bea@example.com", "password": password})
	for _, c := range flowItems(t, bea.must(200, "GET", "/api/v1/me/consents", nil)) {
		if c["method"] != privacy.SignupForm {
			t.Errorf("form sign-up recorded method %q", c["method"])
		}
	}

	// An address in use: the same answer, and nothing recorded anywhere.
	newClient(t, srv).must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Not Ann"})
	if got := flowItems(t, ann.must(200, "GET", "/api/v1/me/consents", nil)); len(got) != 2 {
		t.Errorf("after a duplicate sign-up Ann has %d records; want 2", len(got))
	}
}
