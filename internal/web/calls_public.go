package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/calls"
	"safelight/internal/httpx"
	"safelight/internal/library"
)

// The public pages of calls for entries: the list of open calls, a call
// with its requirements and schedule, its terms at their own addresses
// (every published version, with the SHA-256 a consent names), and its
// results. Package calls decides what a visitor may read: a draft is the
// page that does not exist, except for its organization's members.
//
// The entrant's pages (entering a call, their entries, consents and
// originals requests) are in calls_enter.go and entries_*.go.

// registerCallPages adds the public call pages and the entrant's pages.
func (p *Pages) registerCallPages(rt *httpx.Router) {
	if p.opts.Calls == nil {
		return
	}
	rt.Page("GET /calls", access.Public, p.showCalls)
	rt.Page("GET /calls/{id}", access.Public, p.showCall)
	rt.Page("GET /calls/{id}/terms", access.Public, p.showCallTerms)
	rt.Page("GET /calls/{id}/terms/{version}", access.Public, p.showCallTerms)
	rt.Page("GET /calls/{id}/results", access.Public, p.showCallResults)

	rt.Page("POST /calls/{id}/enter", access.Authenticated, p.enterCall)
	rt.Page("GET /entries", access.Authenticated, p.showEntries)
	rt.Page("GET /entries/{id}", access.Authenticated, p.showEntry)
	rt.Page("POST /entries/{id}", access.Authenticated, p.saveEntry)
	rt.Page("POST /entries/{id}/submit", access.Authenticated, p.submitEntry)
	rt.Page("POST /entries/{id}/withdraw", access.Authenticated, p.withdrawEntry)
	rt.Page("POST /entries/originals-requests/{id}/decide", access.Authenticated, p.decideOriginalsRequest)
	rt.Page("POST /entries/consents/{id}/withdraw", access.Authenticated, p.withdrawEntryConsent)
}

// callError maps package calls' refusals that are not about one field of
// a form to error pages with safe messages. Whatever a caller may not
// see is the page that does not exist.
func callError(err error) error {
	var re *calls.RequirementError
	switch {
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, library.ErrNotFound):
		return httpx.NotFound()
	case errors.Is(err, calls.ErrForbidden):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err}
	case errors.As(err, &re):
		return &httpx.Error{Status: http.StatusUnprocessableEntity, Message: re.Error(), Cause: err}
	case errors.Is(err, calls.ErrDeadlinePassed), errors.Is(err, calls.ErrNotOpenYet), errors.Is(err, calls.ErrWrongState),
		errors.Is(err, calls.ErrAlreadyDecided), errors.Is(err, calls.ErrEntrySubmitted), errors.Is(err, calls.ErrTooManyEntries),
		errors.Is(err, calls.ErrStaleTerms), errors.Is(err, calls.ErrTermsNotAccepted):
		return &httpx.Error{Status: http.StatusConflict, Message: err.Error(), Cause: err}
	}
	return err
}

// callCard is one call of the list.
type callCard struct {
	ID        string
	Title     string
	Org       string
	CoverURL  string // "" without a cover
	State     string // the effective state: open, closed, judging, results
	StateText string // "Open for entries", …
	Deadline  callTime
	Countdown string // "Closes in 3 days"
}

// callsData is what /calls shows: the open calls, then the others.
type callsData struct {
	Open    []callCard
	Earlier []callCard
}

// showCalls lists the public calls that are published.
func (p *Pages) showCalls(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cs, err := p.opts.Calls.PublicCalls(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	var d callsData
	for _, c := range cs {
		// The organization's name comes with the call's public grant.
		g, err := p.opts.Calls.CallFor(ctx, nil, c.ID)
		if err != nil {
			continue // unpublished or gone meanwhile
		}
		card := callCard{ID: c.ID, Title: c.Title, Org: g.Org.Name, CoverURL: callCoverURL(c),
			State: string(c.Effective(now)), StateText: stateText(c, now),
			Deadline: inZone(c.Deadline, c.TimeZone), Countdown: countdown(c.Deadline, now)}
		if c.Effective(now) == calls.StateOpen {
			d.Open = append(d.Open, card)
		} else {
			d.Earlier = append(d.Earlier, card)
		}
	}
	// Earlier calls: the most recent first.
	for i, j := 0, len(d.Earlier)-1; i < j; i, j = i+1, j-1 {
		d.Earlier[i], d.Earlier[j] = d.Earlier[j], d.Earlier[i]
	}
	v := p.newView(r, "calls", "Calls for entries", d)
	v.Nav = "calls"
	v.Script = "calls.js"
	return p.render(w, http.StatusOK, "calls", v)
}

// callData is what a call's page shows.
type callData struct {
	ID          string
	Title       string
	Org         string
	CoverURL    string
	Paragraphs  []string // the description
	State       string
	StateText   string
	Draft       bool // shown to the organization's members only
	Manages     bool // a link to the management page
	Opens       callTime
	OpensLater  bool // the opening is still ahead
	Deadline    callTime
	Countdown   string
	Categories  []string
	Limits      []string
	Require     []string // the requirements, one check each
	RequireLine string   // the same in one line
	Terms       termsRef
	Results     bool // results are published

	// Entering.
	Accepting bool   // the call takes entries now
	SignedIn  bool   // else the button is a sign-in link
	SignInURL string // /login?next=…
	EnterErr  string // why the last "Enter" was refused
	Mine      []myEntryLink
}

// termsRef names a version of the terms.
type termsRef struct {
	Version   int
	SHA256    string
	Published string
}

// myEntryLink is one of the caller's entries to the call.
type myEntryLink struct {
	ID, Title, State string
}

// showCall shows a call.
func (p *Pages) showCall(w http.ResponseWriter, r *http.Request) error {
	g, err := p.opts.Calls.CallFor(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return callError(err)
	}
	return p.renderCall(w, r, g, http.StatusOK, "")
}

// renderCall renders call g's page, with enterErr beside the Enter
// button when entering was refused.
func (p *Pages) renderCall(w http.ResponseWriter, r *http.Request, g calls.CallGrant, status int, enterErr string) error {
	c, now := g.Call, time.Now()
	d := callData{ID: c.ID, Title: c.Title, Org: g.Org.Name, CoverURL: callCoverURL(c), Paragraphs: paragraphs(c.Description),
		State: string(c.Effective(now)), StateText: stateText(c, now), Draft: c.State == calls.StateDraft, Manages: g.Manages(),
		Deadline: inZone(c.Deadline, c.TimeZone), Countdown: countdown(c.Deadline, now),
		Categories: c.Categories, Limits: limitWords(c.Limits), Require: requirementWords(c),
		Terms:   termsRef{Version: g.Terms.Version, SHA256: g.Terms.SHA256, Published: publishedText(g.Terms)},
		Results: c.State == calls.StateResults, Accepting: c.AcceptsEntries(now) == nil,
		SignedIn: principal(r) != nil, SignInURL: "/login?next=" + url.QueryEscape("/calls/"+c.ID), EnterErr: enterErr}
	d.RequireLine = requirementLine(d.Require)
	if !c.OpensAt.IsZero() {
		d.Opens = inZone(c.OpensAt, c.TimeZone)
		d.OpensLater = now.Before(c.OpensAt)
	}
	if pr := principal(r); pr != nil {
		mine, err := p.opts.Calls.MyEntries(r.Context(), pr)
		if err != nil {
			return err
		}
		for _, e := range mine {
			if e.CallID == c.ID && e.State != calls.EntryWithdrawn {
				d.Mine = append(d.Mine, myEntryLink{ID: e.ID, Title: entryTitle(e.Title), State: entryStateText(e.Entry, e.NeedsConsent)})
			}
		}
	}
	v := p.newView(r, "call", c.Title, d)
	v.Nav = "calls"
	v.Script = "calls.js"
	return p.render(w, status, "call", v)
}

// termsData is what a terms page shows.
type termsData struct {
	CallID    string
	CallTitle string
	Org       string
	Version   int
	Current   bool // the version entrants accept now
	Draft     bool // not published yet (organization members only)
	SHA256    string
	Published string
	Text      string
	Rights    string
	Shared    string
	Versions  []termsVersionRow
}

type termsVersionRow struct {
	Version   int
	SHA256    string
	Published string
	Shown     bool // the version on the page
	Current   bool
}

// showCallTerms shows the current version of a call's terms, or the one
// in the path, with every published version and its hash: a consent
// names a version by its SHA-256, and the entrant can check that what
// they accepted is what is shown here.
func (p *Pages) showCallTerms(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, err := p.opts.Calls.CallFor(ctx, principal(r), r.PathValue("id"))
	if err != nil {
		return callError(err)
	}
	t := g.Terms
	if v := r.PathValue("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || strconv.Itoa(n) != v {
			return httpx.NotFound()
		}
		if t, err = p.opts.Calls.Terms(ctx, g, n); err != nil {
			return callError(err)
		}
	}
	all, err := p.opts.Calls.TermsVersions(ctx, g)
	if err != nil {
		return callError(err)
	}
	d := termsData{CallID: g.Call.ID, CallTitle: g.Call.Title, Org: g.Org.Name, Version: t.Version,
		Current: t.Version == g.Call.TermsVersion, Draft: t.PublishedAt.IsZero(), SHA256: t.SHA256,
		Published: publishedText(t), Text: t.Text, Rights: termsRightsText(t.Rights), Shared: termsSharedText(t.SharedData)}
	for i := len(all) - 1; i >= 0; i-- { // newest first
		o := all[i]
		d.Versions = append(d.Versions, termsVersionRow{Version: o.Version, SHA256: o.SHA256, Published: publishedText(o),
			Shown: o.Version == t.Version, Current: o.Version == g.Call.TermsVersion})
	}
	title := "Terms of " + g.Call.Title
	if !d.Current {
		title += " (version " + strconv.Itoa(t.Version) + ")"
	}
	v := p.newView(r, "call_terms", title, d)
	v.Nav = "calls"
	v.Script = "calls.js"
	return p.render(w, http.StatusOK, "call_terms", v)
}

// resultsData is what a call's results page shows.
type resultsData struct {
	CallID    string
	CallTitle string
	Org       string
	Published string
	Winners   []winnerCard
	Mentions  []winnerCard
}

type winnerCard struct {
	Title    string
	Category string
	Name     string // "" unless the entrant's accepted terms share it
	Images   []resultImage
}

type resultImage struct {
	URL           string
	Alt           string
	Width, Height int
}

// showCallResults shows the awarded entries of a call whose results are
// published: the public copies of their images, only where the terms
// the entrant accepted grant publication (package calls decides, and
// logs every view in the photographer's access log).
func (p *Pages) showCallResults(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, err := p.opts.Calls.CallFor(ctx, principal(r), r.PathValue("id"))
	if err != nil {
		return callError(err)
	}
	ws, err := p.opts.Calls.PublicResults(ctx, g)
	if err != nil {
		return callError(err)
	}
	d := resultsData{CallID: g.Call.ID, CallTitle: g.Call.Title, Org: g.Org.Name, Published: dateOnly(g.Call.ResultsAt)}
	for _, win := range ws {
		card := winnerCard{Title: entryTitle(win.Title), Category: win.Category, Name: win.Name}
		for i, im := range win.Images {
			alt := card.Title
			if len(win.Images) > 1 {
				alt += ", image " + strconv.Itoa(i+1)
			}
			card.Images = append(card.Images, resultImage{
				URL: "/api/v1/calls/" + g.Call.ID + "/results/entries/" + win.EntryID + "/images/" + im.ID + "/preview",
				Alt: alt, Width: im.Width, Height: im.Height})
		}
		if win.Award == calls.AwardWinner {
			d.Winners = append(d.Winners, card)
		} else {
			d.Mentions = append(d.Mentions, card)
		}
	}
	v := p.newView(r, "call_results", "Results of "+g.Call.Title, d)
	v.Nav = "calls"
	return p.render(w, http.StatusOK, "call_results", v)
}

// callCoverURL is the address of a call's cover, "" without one.
func callCoverURL(c calls.Call) string {
	if c.CoverRef == "" {
		return ""
	}
	return "/api/v1/calls/" + c.ID + "/cover"
}

// paragraphs splits plain text at blank lines; single line breaks stay
// inside a paragraph (the template keeps them with white-space).
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func publishedText(t calls.Terms) string {
	if t.PublishedAt.IsZero() {
		return ""
	}
	return exact(t.PublishedAt)
}

func init() {
	for k, v := range entryFlashes {
		flashes[k] = v
	}
	// The templates of these pages are checked at start like the others
	// (see pageSamples in web.go): every branch filled.
	at := callTime{Text: "x", Zone: "x", ISO: "x"}
	pageSamples["calls"] = callsData{Open: []callCard{{CoverURL: "/x", Deadline: at}, {}}, Earlier: []callCard{{}}}
	pageSamples["call"] = callData{CoverURL: "/x", Paragraphs: []string{"x"}, Draft: true, Manages: true, Opens: at, OpensLater: true,
		Deadline: at, Categories: []string{"x"}, Limits: []string{"x"}, Require: []string{"x"}, RequireLine: "x",
		Terms: termsRef{Version: 1, SHA256: "x", Published: "x"}, Results: true, Accepting: true, SignedIn: true, EnterErr: "x",
		Mine: []myEntryLink{{ID: "x"}}}
	pageSamples["call_terms"] = termsData{Draft: true, Published: "x", Shared: "x",
		Versions: []termsVersionRow{{Shown: true, Current: true}, {Published: "x"}}}
	pageSamples["call_results"] = resultsData{Winners: []winnerCard{{Name: "x", Category: "x", Images: []resultImage{{URL: "/x"}}}}, Mentions: []winnerCard{{}}}
	pageSamples["entries"] = entriesSample()
	pageSamples["entry"] = entrySample()
}
