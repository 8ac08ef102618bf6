package privacy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"safelight/internal/calls"
)

// TestCallReceiptHasTheKantaraFields: a receipt carries every field the
// Kantara Consent Receipt v1.1 specification requires, under its JSON
// names, filled from the consent record.
func TestCallReceiptHasTheKantaraFields(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	c := calls.Consent{ID: "0194f0c2-1111-7000-8000-000000000001", UserID: "u1", Kind: calls.ConsentCallTerms, CallID: "call1",
		EntryID: "e1", TermsVersion: 2, TermsSHA256: strings.Repeat("ab", 32), Scope: []string{calls.RightJudging, calls.RightPublication},
		Method: calls.MethodWebForm, At: at}
	in := Instance{Name: "photos.example.org", Contact: "privacy@example.org", PublicURL: "https://photos.example.org"}
	r := CallReceipt(in, c, "erin@example.com", calls.Call{ID: "call1", Title: "Atlantic Light"}, calls.Org{Name: "Lisbon Photo Festival"})

	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID", "language",
		"piiPrincipalId", "piiControllers", "policyUrl", "services", "sensitive", "spiCat"} {
		if _, ok := m[f]; !ok {
			t.Errorf("receipt has no %q: %s", f, raw)
		}
	}
	if r.Version != "KI-CR-v1.1.0" || r.ConsentTimestamp != at.Unix() || r.ConsentReceiptID != c.ID || r.CollectionMethod != c.Method ||
		r.PIIPrincipalID != "erin@example.com" || r.PolicyURL != "https://photos.example.org/privacy" || r.Jurisdiction == "" {
		t.Errorf("receipt header = %+v", r)
	}
	if r.TermsSHA256 != c.TermsSHA256 || r.TermsURL != "https://photos.example.org/calls/call1/terms/2" {
		t.Errorf("receipt does not point at the terms consented to: %s, %s", r.TermsSHA256, r.TermsURL)
	}
	if len(r.PIIControllers) != 2 || r.PIIControllers[0].Name != "Lisbon Photo Festival" || r.PIIControllers[1].Email != "privacy@example.org" {
		t.Errorf("controllers = %+v; want the organization and the operator", r.PIIControllers)
	}
	ps := r.Services[0].Purposes
	if len(ps) != 2 || !ps[0].PrimaryPurpose || ps[1].PrimaryPurpose || !strings.Contains(ps[1].Purpose, "Publication") ||
		ps[0].ConsentType != "EXPLICIT" || !ps[0].ThirdPartyDisclosure || ps[0].ThirdPartyName != "Lisbon Photo Festival" {
		t.Errorf("purposes = %+v; want judging (primary) and publication, disclosed to the organization", ps)
	}
	if r.WithdrawnAt != 0 {
		t.Error("a live consent reads as withdrawn")
	}

	c.Kind, c.AssetID, c.WithdrawnAt = calls.ConsentOriginalsRelease, "a1", at.Add(time.Hour)
	r = CallReceipt(Instance{Name: "x", PublicURL: "https://x"}, c, "erin@example.com", calls.Call{ID: "call1", Title: "Atlantic Light"}, calls.Org{Name: "Lisbon Photo Festival"})
	if !strings.Contains(r.Services[0].Service, "Release of an original") || r.WithdrawnAt != at.Add(time.Hour).Unix() {
		t.Errorf("originals release receipt = %+v", r.Services)
	}
	if r.PIIControllers[1].Contact == "" {
		t.Error("an instance without a configured contact leaves the contact empty")
	}
}
