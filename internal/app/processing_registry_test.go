package app_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"safelight/internal/app/apptest"
	"safelight/internal/privacy"
)

// processingRecords fetches GET /api/v1/privacy/processing anonymously.
func processingRecords(t *testing.T, c *client) privacy.Registry {
	t.Helper()
	r := c.must(200, "GET", "/api/v1/privacy/processing", nil)
	var reg privacy.Registry
	if err := json.Unmarshal(r.body, &reg); err != nil {
		t.Fatalf("records of processing: %v: %s", err, r.body)
	}
	return reg
}

// TestProcessingRegistryTasks: every periodic task the instance runs is
// mapped to a purpose in the records it publishes. (Job kinds, mail and
// outbound integrations are found in the source by internal/privacy's
// tests; tasks are registered at run time, so they are checked here.)
func TestProcessingRegistryTasks(t *testing.T) {
	a, srv := newServer(t)
	reg := processingRecords(t, newClient(t, srv))
	names := a.TaskNames()
	if !slices.Contains(names, "call_reminders") {
		t.Fatalf("periodic tasks = %v; want call_reminders among them", names)
	}
	for _, name := range names {
		if reg.PurposeOfTask(name) == "" {
			t.Errorf("periodic task %q is not mapped to a purpose: add it to the Tasks of a purpose in internal/privacy/registry.go", name)
		}
	}
	for _, p := range reg.Purposes {
		for _, task := range p.Tasks {
			if !slices.Contains(names, task) {
				t.Errorf("purpose %q lists periodic task %q, which this instance does not run", p.ID, task)
			}
		}
	}
}

// TestPrivacyProcessingFromConfig: the public records show the contact,
// the periods and the processors this instance is configured with, and
// the /privacy page says the same in words, to anonymous visitors.
func TestPrivacyProcessingFromConfig(t *testing.T) {
	_, srv := newServer(t, "--privacy-contact", "dpo@example.com", "--trash-retention", "240h",
		"--review-link-max-age", "240h", "--smtp-host", "smtp.mailer.example.net", "--mail-from", "photos@example.com")
	anon := newClient(t, srv)
	reg := processingRecords(t, anon)
	if reg.Controller.Contact != "dpo@example.com" {
		t.Errorf("controller contact = %q; want dpo@example.com", reg.Controller.Contact)
	}
	lib, ok := reg.Purpose(privacy.PurposeLibrary)
	if !ok {
		t.Fatalf("no library purpose in %+v", reg.Purposes)
	}
	found := false
	for _, r := range lib.Retention {
		if strings.Contains(r.What, "deleted image") {
			found = true
			if r.PeriodText != "240h0m0s" || !strings.Contains(r.Text, "10 days") {
				t.Errorf("trash retention = %+v; want the configured 240h (10 days)", r)
			}
		}
	}
	if !found {
		t.Errorf("library retention %+v has no trash period", lib.Retention)
	}
	sharingP, _ := reg.Purpose(privacy.PurposeSharing)
	if r := sharingP.Retention[0]; r.PeriodText != "240h0m0s" {
		t.Errorf("review link expiry = %+v; want the 30-day default capped to the configured maximum, 240h", r)
	}

	procs := map[string]privacy.Processor{}
	for _, p := range reg.Processors {
		procs[p.ID] = p
	}
	if procs["smtp"].Host != "smtp.mailer.example.net" {
		t.Errorf("processors = %+v; want the SMTP relay smtp.mailer.example.net", reg.Processors)
	}
	if _, ok := procs["acme"]; ok {
		t.Errorf("processors = %+v; an ACME CA is listed without --acme-domains", reg.Processors)
	}
	if _, ok := procs["s3"]; ok != apptest.ScaleOut() {
		t.Errorf("processors = %+v; S3 listed = %v, want %v (the blob store of this mode)", reg.Processors, ok, apptest.ScaleOut())
	}
	mailP, _ := reg.Purpose(privacy.PurposeMail)
	if !slices.Contains(mailP.Processors, "smtp") {
		t.Errorf("mail purpose processors = %v; want smtp", mailP.Processors)
	}

	page := anon.must(200, "GET", "/privacy", nil)
	body := string(page.body)
	for _, want := range []string{`href="mailto:dpo@example.com"`, "smtp.mailer.example.net", "10 days", "Art. 6(1)(a) GDPR", "To withdraw:", `href="/entries"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/privacy lacks %q", want)
		}
	}
	for _, p := range reg.Purposes {
		if !strings.Contains(body, `id="purpose-`+p.ID+`"`) {
			t.Errorf("/privacy has no section for purpose %q", p.ID)
		}
	}
	// Every page links it from the footer.
	if login := anon.must(200, "GET", "/login", nil); !strings.Contains(string(login.body), `href="/privacy"`) {
		t.Errorf("/login has no link to /privacy in its footer")
	}
}

// TestPrivacyPageWithoutContact: with no --privacy-contact the page says
// whom to ask instead of inventing a contact, and lists no processor on
// an embedded instance without SMTP.
func TestPrivacyPageWithoutContact(t *testing.T) {
	_, srv := newServer(t)
	anon := newClient(t, srv)
	body := string(anon.must(200, "GET", "/privacy", nil).body)
	if !strings.Contains(body, "ask the operator of this instance") || strings.Contains(body, "mailto:") {
		t.Errorf("/privacy without a contact does not say to ask the operator")
	}
	if reg := processingRecords(t, anon); reg.Controller.Contact != "" || (!apptest.ScaleOut() && len(reg.Processors) != 0) {
		t.Errorf("records without contact or processors = %+v / %+v", reg.Controller, reg.Processors)
	}
}
