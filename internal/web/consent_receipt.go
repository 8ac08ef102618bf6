package web

import (
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

func (p *Pages) registerReceipts(rt *httpx.Router) {
	rt.Page("GET /consents/{id}", access.Authenticated, p.showConsentReceipt)
}

// receiptData is a consent receipt in words, beside the JSON file.
type receiptData struct {
	Receipt   privacy.Receipt
	At        string
	Withdrawn string
	CallID    string
	CallTitle string
	JSONURL   string
}

// showConsentReceipt shows the caller's receipt of one consent: the
// fields of the Kantara v1.1 receipt in words, and the JSON to keep.
func (p *Pages) showConsentReceipt(w http.ResponseWriter, r *http.Request) error {
	pr := principal(r)
	c, err := p.opts.Calls.Consent(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		return callError(err)
	}
	u, err := p.opts.Auth.User(r.Context(), pr.UserID)
	if err != nil {
		return err
	}
	rc := privacy.InstanceReceipt(p.opts.Instance, c.Consent, u.Email)
	if c.CallID != "" {
		rc = privacy.CallReceipt(p.opts.Instance, c.Consent, u.Email, c.Call, c.Org)
	}
	d := receiptData{Receipt: rc, At: c.At.UTC().Format("Monday 2 January 2006, 15:04:05 UTC"), CallID: c.CallID,
		CallTitle: c.Call.Title, JSONURL: "/api/v1/me/consents/" + c.ID + "/receipt"}
	if !c.WithdrawnAt.IsZero() {
		d.Withdrawn = c.WithdrawnAt.UTC().Format(time.DateTime + " UTC")
	}
	return p.render(w, http.StatusOK, "consent_receipt", p.newView(r, "consent_receipt", "Consent receipt", d))
}

func init() {
	// Checked at start like every page (pageSamples in web.go).
	pageSamples["consent_receipt"] = receiptData{Withdrawn: "x", Receipt: privacy.Receipt{TermsSHA256: "x",
		PIIControllers: []privacy.ReceiptController{{}},
		Services:       []privacy.ReceiptService{{Purposes: []privacy.ReceiptPurpose{{PrimaryPurpose: true, ThirdPartyDisclosure: true, PIICategory: []string{"x", "y"}}, {}}}}}}
}
