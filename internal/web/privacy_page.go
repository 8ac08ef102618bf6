package web

import (
	"net/http"
	"strings"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

// The /privacy page: the instance's records of processing (GDPR Art. 30)
// in words, with the controller's contact and where each right of the
// data subject is exercised. Public, like its JSON form
// (GET /api/v1/privacy/processing): a guest of a review link is entitled
// to read it without an account.

// registerPrivacyPage adds /privacy.
func (p *Pages) registerPrivacyPage(rt *httpx.Router) {
	if p.opts.Processing == nil {
		return
	}
	rt.Page("GET /privacy", access.Public, p.showPrivacy)
}

type privacyData struct {
	Registry privacy.Registry
	// ContactHref is the contact as a link (mailto: for an address), ""
	// when the operator gave none.
	ContactHref string
	Rights      []privacyRight
}

// privacyRight is one right of the data subject and where it is
// exercised. Href is "" where the feature does not exist yet: the page
// then says it is coming, and never claims more.
type privacyRight struct {
	Name   string // "Access (Art. 15)"
	Where  string // what to do
	Href   string
	Link   string // the link's text
	Coming string // what is not there yet, or ""
}

// privacyRights lists the rights with what the instance offers today.
var privacyRights = []privacyRight{
	{Name: "Access (Art. 15)", Where: "Ask for a copy of everything about you — your originals and every record, with who saw your images — in your privacy center; see your library, sessions, tokens and security activity any time.",
		Href: "/account/privacy", Link: "Your privacy"},
	{Name: "Rectification (Art. 16)", Where: "Change your name and your e-mail address (confirmed by a link sent to the new one) on your account page; for anything else, write to the controller below.",
		Href: "/account", Link: "Your account"},
	{Name: "Erasure (Art. 17)", Where: "Erase your account in your privacy center: your key is destroyed, so every copy of your images becomes unreadable, then everything is deleted after the grace period, which you can cancel. Single images leave through the trash.",
		Href: "/account/privacy", Link: "Your privacy"},
	{Name: "Restriction (Art. 18)", Where: "Pause the use of your data in your privacy center: your projects, review links and call entries answer “not found” to everyone but you, uploads and image processing wait, and nothing is deleted by retention, until you lift it (with your password).",
		Href: "/account/privacy#restrict", Link: "Your privacy"},
	{Name: "Portability (Art. 20)", Where: "The export is a ZIP of your originals under their own names, and JSON and CSV of everything else.",
		Href: "/account/privacy", Link: "Your privacy"},
	{Name: "Withdrawing consent (Art. 7(3))", Where: "Withdraw an entry's consent or an originals release under consents on the Entries page; it stops the processing it covered.",
		Href: "/entries", Link: "Your entries"},
	{Name: "Objection (Art. 21)", Where: "Object to processing based on legitimate interests (the purposes marked Art. 6(1)(f) above) by writing to the controller below."},
	{Name: "Complaint (Art. 77)", Where: "You may complain to the data-protection supervisory authority where you live or work, or where the operator is established."},
}

func (p *Pages) showPrivacy(w http.ResponseWriter, r *http.Request) error {
	reg := *p.opts.Processing
	d := privacyData{Registry: reg, Rights: privacyRights}
	if c := reg.Controller.Contact; c != "" {
		d.ContactHref = c
		if strings.Contains(c, "@") && !strings.Contains(c, "/") {
			d.ContactHref = "mailto:" + c
		}
	}
	return p.render(w, http.StatusOK, "privacy", p.newView(r, "privacy", "Privacy", d))
}

func init() {
	// Checked at start like every page (pageSamples in web.go), with
	// every branch filled.
	pageSamples["privacy"] = privacyData{ContactHref: "mailto:x@example.com", Rights: privacyRights,
		Registry: privacy.BuildRegistry(privacy.RegistrySettings{Contact: "x@example.com", SMTPHost: "smtp.example.com",
			S3Endpoint: "https://s3.example.com", ACMEDirectory: "https://acme.example.com/directory"})}
}
