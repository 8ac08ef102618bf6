package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"safelight/internal/auth"
	"safelight/internal/sharing"
)

// maxGuestName is the longest name a guest may give (package sharing
// refuses longer ones too).
const maxGuestName = 200

// submitShareGuest records the name and e-mail address a link's holder
// gives before reviewing, sets their guest cookie for the link's life and
// goes on to the review.
func (p *Pages) submitShareGuest(w http.ResponseWriter, r *http.Request) error {
	shareHeaders(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	g, err := p.openLink(r)
	if errors.Is(err, sharing.ErrPasswordNeeded) {
		// The unlock ended (or never was): the link asks for it again.
		http.Redirect(w, r, "/s/"+r.PathValue("token"), http.StatusSeeOther)
		return nil
	} else if err != nil {
		return err
	}
	d := shareData{Name: strings.TrimSpace(r.PostFormValue("name")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	switch {
	case d.Name == "":
		d.NameError = "Enter your name."
	case utf8.RuneCountInString(d.Name) > maxGuestName:
		d.NameError = "Use at most 200 characters for your name."
	}
	if d.Email == "" {
		d.EmailError = "Enter your e-mail address."
	} else if _, err := auth.NormalizeEmail(d.Email); err != nil {
		d.EmailError = "Enter a valid e-mail address."
	}
	if d.NameError != "" || d.EmailError != "" {
		return p.renderShareGuest(w, r, http.StatusBadRequest, g, d)
	}
	_, secret, err := p.opts.Sharing.JoinAsGuest(r.Context(), g, d.Name, d.Email)
	if errors.Is(err, sharing.ErrInvalidGuest) {
		// What is left after the checks above: characters a name cannot hold.
		d.NameError = "Use letters, digits and punctuation only in your name."
		return p.renderShareGuest(w, r, http.StatusBadRequest, g, d)
	} else if err != nil {
		return err
	}
	p.opts.Cookies.SetLinkGuest(w, r.PathValue("token"), secret, g.Link.ExpiresAt)
	http.Redirect(w, r, "/s/"+r.PathValue("token"), http.StatusSeeOther)
	return nil
}
