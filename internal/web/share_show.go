package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/ratelimit"
	"safelight/internal/sharing"
)

// The guest pages of review links, /s/{token}: the link's password, then
// a name and an e-mail address, then the review (static/review.js against
// the link's API). The token in the path is the credential; unknown,
// revoked and expired tokens all get the site's ordinary 404 page.

// registerShare adds the guest pages. They are public: package sharing
// decides on every request what the link (with this browser's unlock and
// guest cookies) opens.
func (p *Pages) registerShare(rt *httpx.Router) {
	if p.opts.Sharing == nil {
		return
	}
	rt.Page("GET /s/{token}", access.Public, p.showShare)
	rt.Page("POST /s/{token}/unlock", access.Public, p.submitShareUnlock)
	// A guest is an identity anyone holding the link can make: as many
	// per address as sign-ups.
	rt.Page("POST /s/{token}/guest", access.Public, p.limitByAddress(ratelimit.Signup, p.submitShareGuest))
}

// shareHeaders goes on every answer about a link, error pages included:
// the token is in the address, so no Referer may carry it anywhere, and
// search engines must not index what someone forwarded a link to.
func shareHeaders(w http.ResponseWriter) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
}

// shareData is what the guest pages show.
type shareData struct {
	Token       string
	Project     string
	Description string
	// Summary says in one sentence what the guest can do ("You can rate,
	// label, flag and comment. Downloads: previews. Available until 28
	// Dec.").
	Summary  string
	Download string // none, preview or original
	API      string // /api/v1/links/{token}
	Guest    string // the name the guest gave (review page)

	// The forms.
	Error      string
	Name       string
	Email      string
	NameError  string
	EmailError string
}

// openLink resolves the link of the request's token with the browser's
// cookies for it. Before it, an address over the bad-credentials limit is
// refused; a token that opens nothing counts against that limit (it may
// be a guess), as it does on the link's API.
func (p *Pages) openLink(r *http.Request) (sharing.Grant, error) {
	token := r.PathValue("token")
	subject := ratelimit.Address(httpx.ClientIP(r))
	if p.opts.Limits != nil {
		if err := p.opts.Limits.Check(r.Context(), ratelimit.BadCredentials, subject); err != nil {
			return sharing.Grant{}, err
		}
	}
	g, err := p.opts.Sharing.OpenLink(r.Context(), token, sharing.LinkSecrets{
		Unlock: p.opts.Cookies.LinkUnlock(r, token), Guest: p.opts.Cookies.LinkGuest(r, token)})
	if errors.Is(err, sharing.ErrNotFound) {
		if err := p.countBadCredential(r); err != nil {
			return sharing.Grant{}, err
		}
		return sharing.Grant{}, httpx.NotFound()
	}
	return g, err
}

// countBadCredential counts a wrong link secret (unknown token, wrong
// password) for the client's address; past the limit it is the 429 to
// show instead.
func (p *Pages) countBadCredential(r *http.Request) error {
	if p.opts.Limits == nil {
		return nil
	}
	err := p.opts.Limits.Allow(r.Context(), ratelimit.BadCredentials, ratelimit.Address(httpx.ClientIP(r)))
	if err != nil {
		if e, first := httpauth.LimitedEvent(err, "", client(r)); first && p.opts.Audit != nil {
			p.opts.Audit.Record(r.Context(), e)
		}
	}
	return err
}

// showShare shows the step the browser is at: the password form, the
// name form, or the review.
func (p *Pages) showShare(w http.ResponseWriter, r *http.Request) error {
	shareHeaders(w)
	g, err := p.openLink(r)
	switch {
	case errors.Is(err, sharing.ErrPasswordNeeded):
		return p.renderShareUnlock(w, r, http.StatusOK, "")
	case err != nil:
		return err
	}
	if g.Guest == nil {
		return p.renderShareGuest(w, r, http.StatusOK, g, shareData{})
	}
	d := newShareData(r, g)
	d.Guest = g.Guest.Name
	v := p.newView(r, "share", g.Project.Name, d)
	v.Script = "review.js"
	return p.render(w, http.StatusOK, "share", v)
}

func newShareData(r *http.Request, g sharing.Grant) shareData {
	token := r.PathValue("token")
	return shareData{Token: token, Project: g.Project.Name, Description: g.Project.Description,
		Summary:  linkSummary(g.Link, time.Now()),
		Download: string(g.Link.Download), API: "/api/v1/links/" + token}
}

// renderShareUnlock shows the password form; it names nothing about the
// project, which the password guards.
func (p *Pages) renderShareUnlock(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	d := shareData{Token: r.PathValue("token"), Error: msg}
	return p.render(w, status, "share_unlock", p.newView(r, "share-unlock", "Password needed", d))
}

// renderShareGuest shows the name form, with d's values and errors.
func (p *Pages) renderShareGuest(w http.ResponseWriter, r *http.Request, status int, g sharing.Grant, d shareData) error {
	base := newShareData(r, g)
	base.Error, base.Name, base.Email, base.NameError, base.EmailError = d.Error, d.Name, d.Email, d.NameError, d.EmailError
	return p.render(w, status, "share_guest", p.newView(r, "share-guest", g.Project.Name, base))
}

// linkSummary says in plain words what a link's holder can do.
func linkSummary(l *sharing.Link, now time.Time) string {
	var b strings.Builder
	b.WriteString("You can rate, label, flag and comment. ")
	switch l.Download {
	case sharing.DownloadOriginal:
		b.WriteString("Downloads: originals and previews. ")
	case sharing.DownloadPreview:
		b.WriteString("Downloads: previews. ")
	default:
		b.WriteString("Downloads: none. ")
	}
	if l.Watermark != "" {
		b.WriteString("Previews carry a watermark. ")
	}
	b.WriteString("Available until " + untilDate(l.ExpiresAt, now) + ".")
	return b.String()
}

// untilDate words the end of a link: "28 Dec" this year, "28 Dec 2027"
// in another (UTC, as the link's end is kept).
func untilDate(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Year() == now.Year() {
		return t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}
