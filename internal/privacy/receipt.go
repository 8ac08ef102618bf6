package privacy

import (
	"fmt"
	"strings"

	"safelight/internal/calls"
)

// ReceiptVersion is the Kantara Initiative Consent Receipt Specification
// version the receipts follow.
const ReceiptVersion = "KI-CR-v1.1.0"

// Receipt is a consent receipt with the fields of the Kantara Initiative
// Consent Receipt Specification v1.1 (JSON names as the specification
// spells them). It is what the person who consented keeps as proof of
// what they agreed to, with whom, when and how.
type Receipt struct {
	Version          string              `json:"version"`
	Jurisdiction     string              `json:"jurisdiction"`
	ConsentTimestamp int64               `json:"consentTimestamp"` // Unix seconds, UTC
	CollectionMethod string              `json:"collectionMethod"`
	ConsentReceiptID string              `json:"consentReceiptID"`
	Language         string              `json:"language"`
	PIIPrincipalID   string              `json:"piiPrincipalId"`
	PIIControllers   []ReceiptController `json:"piiControllers"`
	PolicyURL        string              `json:"policyUrl"`
	Services         []ReceiptService    `json:"services"`
	Sensitive        bool                `json:"sensitive"`
	SPICat           []string            `json:"spiCat"`

	// Safelight's additions, outside the specification's names: the
	// exact text version consented to, and the withdrawal if any.
	TermsVersion int    `json:"safelightTermsVersion,omitempty"`
	TermsSHA256  string `json:"safelightTermsSha256,omitempty"`
	TermsURL     string `json:"safelightTermsUrl,omitempty"`
	WithdrawnAt  int64  `json:"safelightWithdrawnAt,omitempty"`
}

// ReceiptController is a PII controller of a receipt.
type ReceiptController struct {
	Name     string `json:"piiController"`
	OnBehalf bool   `json:"onBehalf"`
	Contact  string `json:"contact"`
	Email    string `json:"email,omitempty"`
	URL      string `json:"piiControllerUrl,omitempty"`
}

// ReceiptService is what a consent was given for.
type ReceiptService struct {
	Service  string           `json:"service"`
	Purposes []ReceiptPurpose `json:"purposes"`
}

// ReceiptPurpose is one purpose of a service.
type ReceiptPurpose struct {
	Purpose              string   `json:"purpose"`
	PurposeCategory      []string `json:"purposeCategory"`
	ConsentType          string   `json:"consentType"`
	PIICategory          []string `json:"piiCategory"`
	PrimaryPurpose       bool     `json:"primaryPurpose"`
	Termination          string   `json:"termination"`
	ThirdPartyDisclosure bool     `json:"thirdPartyDisclosure"`
	ThirdPartyName       string   `json:"thirdPartyName,omitempty"`
}

// Instance describes the operator for receipts: the controller of the
// platform, and where its privacy notice is.
type Instance struct {
	Name         string // what people call the instance: its host name
	Contact      string // the controller's contact (e-mail address or URL); "" if not configured
	PublicURL    string // without a trailing slash
	Jurisdiction string // ISO 3166-1 alpha-2 or a region such as "EU"
}

func (in Instance) controller() ReceiptController {
	c := ReceiptController{Name: in.Name + " (operator of this Safelight instance)", Contact: in.Contact, URL: in.PublicURL}
	if c.Contact == "" {
		c.Contact = "the operator of " + in.PublicURL
	}
	if strings.Contains(in.Contact, "@") && !strings.Contains(in.Contact, "/") {
		c.Email = in.Contact
	}
	return c
}

// newReceipt fills the fields every receipt of c has.
func newReceipt(in Instance, c calls.Consent, principal string) Receipt {
	r := Receipt{
		Version:          ReceiptVersion,
		Jurisdiction:     in.Jurisdiction,
		ConsentTimestamp: c.At.UTC().Unix(),
		CollectionMethod: c.Method,
		ConsentReceiptID: c.ID,
		Language:         "en",
		PIIPrincipalID:   principal,
		PolicyURL:        in.PublicURL + "/privacy",
		SPICat:           []string{},
		TermsVersion:     c.TermsVersion,
		TermsSHA256:      c.TermsSHA256,
	}
	if r.Jurisdiction == "" {
		r.Jurisdiction = "EU"
	}
	if !c.WithdrawnAt.IsZero() {
		r.WithdrawnAt = c.WithdrawnAt.UTC().Unix()
	}
	return r
}

// rightWords are the purposes each right a call's terms can grant
// stands for.
var rightWords = map[string]string{
	calls.RightJudging:     "Judging of your entry by the organization's jury, in the rounds it runs",
	calls.RightExhibition:  "Exhibition of your images by the organization, as its terms describe",
	calls.RightPublication: "Publication of your images on the call's results page and by the organization, as its terms describe",
	calls.RightPromotion:   "Promotion of the call and the organization with your images, as its terms describe",
}

// CallReceipt is the receipt of a consent given in a call for entries:
// to its terms (an entry), or to the release of an original.
func CallReceipt(in Instance, c calls.Consent, principal string, call calls.Call, org calls.Org) Receipt {
	r := newReceipt(in, c, principal)
	r.TermsURL = fmt.Sprintf("%s/calls/%s/terms/%d", in.PublicURL, c.CallID, c.TermsVersion)
	orgCtl := ReceiptController{Name: org.Name, Contact: "through the call's page", URL: in.PublicURL + "/calls/" + call.ID}
	r.PIIControllers = []ReceiptController{orgCtl, in.controller()}
	images := []string{"Images of your entry (the photographs' pixels; no file names, no embedded metadata)"}
	switch c.Kind {
	case calls.ConsentOriginalsRelease:
		r.Services = []ReceiptService{{
			Service: "Release of an original file to " + org.Name + " for “" + call.Title + "”",
			Purposes: []ReceiptPurpose{{
				Purpose:              "Download of the full-resolution original of one image by the organization, for the uses its terms grant: " + strings.Join(c.Scope, ", "),
				PurposeCategory:      []string{"2 - Contracted ReceiptService"},
				ConsentType:          "EXPLICIT",
				PIICategory:          []string{"Original image file, as uploaded (including its embedded metadata)"},
				PrimaryPurpose:       true,
				Termination:          "When you withdraw this release; the organization can no longer download the file from then on",
				ThirdPartyDisclosure: true,
				ThirdPartyName:       org.Name,
			}},
		}}
	default:
		var ps []ReceiptPurpose
		for i, right := range c.Scope {
			p := ReceiptPurpose{
				Purpose:              rightWords[right],
				PurposeCategory:      []string{"2 - Contracted ReceiptService"},
				ConsentType:          "EXPLICIT",
				PIICategory:          images,
				PrimaryPurpose:       i == 0,
				Termination:          "When you withdraw the entry (until the call's deadline) or erase your account",
				ThirdPartyDisclosure: true,
				ThirdPartyName:       org.Name,
			}
			if p.Purpose == "" {
				p.Purpose = right
			}
			ps = append(ps, p)
		}
		r.Services = []ReceiptService{{Service: "Entry to the call “" + call.Title + "” by " + org.Name, Purposes: ps}}
	}
	return r
}

// InstanceReceipt is the receipt of a record of the instance's own: the
// terms of use, or the privacy notice shown, at sign-up; or the consent
// to the optional e-mails (NotificationsReceipt).
func InstanceReceipt(in Instance, c calls.Consent, principal string) Receipt {
	if c.Kind == ConsentEmailNotifications {
		return NotificationsReceipt(in, c, principal)
	}
	r := newReceipt(in, c, principal)
	r.PIIControllers = []ReceiptController{in.controller()}
	r.TermsURL = in.PublicURL + "/terms"
	if c.Kind == ConsentPrivacyNotice {
		r.TermsURL = in.PublicURL + "/privacy"
	}
	purpose := ReceiptPurpose{
		Purpose:         "Providing your account and storing, showing and sharing your images as you choose",
		PurposeCategory: []string{"2 - Contracted Service"},
		ConsentType:     "EXPLICIT",
		PIICategory:     []string{"2 - Contact (e-mail address)", "Name", "Images and their metadata", "Sign-in records (addresses, devices)"},
		PrimaryPurpose:  true,
		Termination:     "When you erase your account",
	}
	service := "Terms of use of " + in.Name
	if c.Kind == ConsentPrivacyNotice {
		service = "Privacy notice of " + in.Name + " (shown at sign-up)"
		purpose.Purpose = "You were informed of the processing the privacy notice describes: purposes, legal bases, recipients, retention"
		purpose.ConsentType = "IMPLICIT"
	}
	r.Services = []ReceiptService{{Service: service, Purposes: []ReceiptPurpose{purpose}}}
	return r
}
