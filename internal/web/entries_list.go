package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"safelight/internal/calls"
	"safelight/internal/library"
)

// The entrant's overview, /entries: their entries in every call with the
// deadlines, the reminders of drafts due soon, the organizations'
// requests for original files (approved or declined image by image, each
// approval a consent of its own), and every consent they gave, with a
// button to withdraw it.

// entriesData is what /entries shows.
type entriesData struct {
	Error     string // why the last form was refused
	Reminders []entryRow
	Entries   []entryRow
	Requests  []requestRow
	Consents  []consentRow
}

// entryRow is one entry of the list.
type entryRow struct {
	ID           string
	CallID       string
	CallTitle    string
	Title        string
	State        string // draft, submitted, withdrawn
	StateText    string
	Images       string // "3 images"
	Deadline     callTime
	Countdown    string
	Open         bool // the deadline is ahead: the entry may change
	NeedsConsent bool
	Award        string // "Winner", "Honourable mention" or ""
}

// requestRow is one originals request made to the caller.
type requestRow struct {
	ID         string
	CallID     string
	CallTitle  string
	Org        string
	EntryID    string
	EntryTitle string
	ThumbURL   string // the caller's own thumbnail of the image
	Message    string
	State      string // pending, approved, declined, withdrawn
	StateText  string
	Requested  string
	Decided    string
}

// consentRow is one consent the caller gave.
type consentRow struct {
	ID          string
	Kind        string // call_terms, originals_release
	KindText    string
	CallID      string
	CallTitle   string
	EntryTitle  string
	Version     int
	SHA256      string
	SHA256Short string
	Scope       string
	Method      string
	At          string
	Withdrawn   string // when it was withdrawn, or ""
	CanWithdraw bool
	// Effect says what withdrawing does.
	Effect string
}

// showEntries shows the caller's entries, requests and consents.
func (p *Pages) showEntries(w http.ResponseWriter, r *http.Request) error {
	return p.renderEntries(w, r, http.StatusOK, p.takeFlash(w, r), "")
}

func (p *Pages) renderEntries(w http.ResponseWriter, r *http.Request, status int, flash, formErr string) error {
	ctx := r.Context()
	pr := principal(r)
	now := time.Now()
	d := entriesData{Error: formErr}

	mine, err := p.opts.Calls.MyEntries(ctx, pr)
	if err != nil {
		return err
	}
	callTitles := map[string]string{}
	entryTitles := map[string]string{}
	open := map[string]bool{} // calls that still take changes
	for _, e := range mine {
		c := e.Call
		callTitles[c.ID] = c.Title
		entryTitles[e.ID] = entryTitle(e.Title)
		open[c.ID] = c.AcceptsEntries(now) == nil
		row := entryRow{ID: e.ID, CallID: c.ID, CallTitle: c.Title, Title: entryTitle(e.Title), State: string(e.State),
			StateText: entryStateText(e.Entry, e.NeedsConsent), Images: imageCount(len(e.Images)),
			Deadline: inZone(c.Deadline, c.TimeZone), Countdown: countdown(c.Deadline, now), Open: e.Editable,
			NeedsConsent: e.NeedsConsent, Award: awardText(e.Award)}
		if p.opts.Calls.ReminderDue(e.Entry, c, now) {
			d.Reminders = append(d.Reminders, row)
		}
		d.Entries = append(d.Entries, row)
	}

	reqs, err := p.opts.Calls.MyOriginalsRequests(ctx, pr)
	if err != nil {
		return err
	}
	for _, q := range reqs {
		d.Requests = append(d.Requests, requestRow{ID: q.ID, CallID: q.CallID, CallTitle: q.Call.Title, Org: q.Org.Name,
			EntryID: q.EntryID, EntryTitle: entryTitle(q.Entry.Title), ThumbURL: "/api/v1/assets/" + q.AssetID + "/thumb",
			Message: q.Message, State: q.State, StateText: requestStateText(q.State),
			Requested: exact(q.RequestedAt), Decided: exactOrEmpty(q.DecidedAt)})
		callTitles[q.CallID] = q.Call.Title
	}

	cs, err := p.opts.Calls.Consents(ctx, pr)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.CallID == "" {
			continue // the instance's own records: the privacy center lists them
		}
		title, ok := callTitles[c.CallID]
		if !ok {
			if g, err := p.opts.Calls.CallFor(ctx, pr, c.CallID); err == nil {
				title = g.Call.Title
				open[c.CallID] = g.Call.AcceptsEntries(now) == nil
			} else {
				title = "A call that is no longer available"
			}
			callTitles[c.CallID] = title
		}
		row := consentRow{ID: c.ID, Kind: c.Kind, CallID: c.CallID, CallTitle: title, EntryTitle: entryTitles[c.EntryID],
			Version: c.TermsVersion, SHA256: c.TermsSHA256, SHA256Short: shortHash(c.TermsSHA256),
			Scope: termsRightsText(c.Scope), Method: c.Method, At: exact(c.At), Withdrawn: exactOrEmpty(c.WithdrawnAt)}
		switch c.Kind {
		case calls.ConsentCallTerms:
			row.KindText = "Terms of the call"
			// Withdrawing the terms withdraws the entry, which is possible
			// until the deadline only.
			row.CanWithdraw = row.Withdrawn == "" && open[c.CallID] && entryTitles[c.EntryID] != ""
			row.Effect = "Withdrawing this consent withdraws your entry from the call: the organizer and the jury no longer see it."
		case calls.ConsentOriginalsRelease:
			row.KindText = "Release of an original file"
			row.CanWithdraw = row.Withdrawn == ""
			row.Effect = "Withdrawing this consent stops the organizer from downloading that original. Copies they already made are theirs to delete under the terms."
		default:
			row.KindText = c.Kind
		}
		d.Consents = append(d.Consents, row)
	}

	v := p.newView(r, "entries", "Your entries", d)
	v.Nav = "entries"
	v.Flash = flash
	v.Script = "calls.js"
	return p.render(w, status, "entries", v)
}

// decideOriginalsRequest approves or declines one originals request made
// to the caller. Approving, on this page where the request, the image
// and the organization are shown, records the release as a consent
// collected by web form.
func (p *Pages) decideOriginalsRequest(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "decline":
	default:
		return p.renderEntries(w, r, http.StatusBadRequest, "", "Choose Approve or Decline.")
	}
	_, err := p.opts.Calls.DecideOriginals(r.Context(), principal(r), r.PathValue("id"), approve, calls.MethodApprove)
	switch {
	case errors.Is(err, calls.ErrAlreadyDecided):
		return p.renderEntries(w, r, http.StatusConflict, "", sentence(err.Error()))
	case err != nil:
		return callError(err)
	}
	if approve {
		return p.redirectWithFlash(w, r, "/entries#requests", "entry-originals-approved")
	}
	return p.redirectWithFlash(w, r, "/entries#requests", "entry-originals-declined")
}

// withdrawEntryConsent withdraws one of the caller's consents: a call's
// terms with the entry (until the deadline), an originals release at
// any time.
func (p *Pages) withdrawEntryConsent(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	err := p.opts.Calls.WithdrawConsent(r.Context(), principal(r), r.PathValue("id"))
	switch {
	case errors.Is(err, calls.ErrDeadlinePassed), errors.Is(err, calls.ErrNotOpenYet):
		return p.renderEntries(w, r, http.StatusConflict, "",
			"The deadline has passed: entries are locked, and the consent to the call's terms stays with the entry.")
	case err != nil:
		return callError(err)
	}
	return p.redirectWithFlash(w, r, "/entries#consents", "entry-consent-withdrawn")
}

// entryFlashes are the notices after the entrant's forms (see flash.go).
var entryFlashes = map[string]string{
	"entry-saved":              "Your entry was saved.",
	"entry-submitted":          "Your entry was submitted. You can change or withdraw it until the deadline.",
	"entry-terms-accepted":     "You accepted the new terms. Your entry is judged under them.",
	"entry-withdrawn":          "Your entry was withdrawn. The organizer and the jury no longer see it.",
	"entry-draft-deleted":      "The draft was deleted.",
	"entry-originals-approved": "You approved the request. The organizer can now download that original; you can withdraw the release below.",
	"entry-originals-declined": "You declined the request. The organizer cannot download that original.",
	"entry-consent-withdrawn":  "Your consent was withdrawn.",
}

func awardText(a string) string {
	switch a {
	case calls.AwardWinner:
		return "Winner"
	case calls.AwardHonourableMention:
		return "Honourable mention"
	}
	return ""
}

func requestStateText(s string) string {
	switch s {
	case calls.RequestPending:
		return "Waiting for your answer"
	case calls.RequestApproved:
		return "Approved"
	case calls.RequestDeclined:
		return "Declined"
	case calls.RequestWithdrawn:
		return "Release withdrawn"
	}
	return s
}

// shortHash is the start of a hex hash, enough to tell versions apart.
func shortHash(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}

func exactOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return exact(t)
}

// assetThumbURL is the owner's own thumbnail of an asset.
func assetThumbURL(id string) string { return "/api/v1/assets/" + id + "/thumb" }

// assetName is what an entrant calls their image: its file name.
func assetName(a library.Asset) string {
	if n := strings.TrimSpace(a.Private.Filename); n != "" {
		return n
	}
	return "Photo"
}

// entriesSample is the data New checks the entries template with.
func entriesSample() entriesData {
	at := callTime{Text: "x", Zone: "x", ISO: "x"}
	row := entryRow{ID: "x", Deadline: at, Open: true, NeedsConsent: true, Award: "x"}
	return entriesData{Error: "x", Reminders: []entryRow{row}, Entries: []entryRow{row, {}},
		Requests: []requestRow{{ID: "x", Message: "x", State: calls.RequestPending, Decided: "x"}, {State: calls.RequestApproved}},
		Consents: []consentRow{{ID: "x", Kind: calls.ConsentCallTerms, EntryTitle: "x", CanWithdraw: true}, {Withdrawn: "x"}}}
}
