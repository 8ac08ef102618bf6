package web

import (
	"net/http"
	"strings"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

func (p *Pages) registerTerms(rt *httpx.Router) {
	rt.Page("GET /terms", access.Public, p.showTerms)
}

// termsOfUseData is the instance's terms of use, with the hash that sign-up
// records.
type termsOfUseData struct {
	Paragraphs []string
	SHA256     string
}

func (p *Pages) showTerms(w http.ResponseWriter, r *http.Request) error {
	d := termsOfUseData{SHA256: privacy.TermsOfUseSHA256()}
	for _, para := range strings.Split(strings.TrimSpace(privacy.TermsOfUse), "\n\n") {
		d.Paragraphs = append(d.Paragraphs, strings.TrimSpace(para))
	}
	return p.render(w, http.StatusOK, "terms_of_use", p.newView(r, "terms_of_use", "Terms of use", d))
}

func init() {
	pageSamples["terms_of_use"] = termsOfUseData{Paragraphs: []string{"x"}}
}
