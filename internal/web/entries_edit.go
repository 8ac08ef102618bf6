package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/calls"
	"safelight/internal/library"
)

// The entry page, /entries/{id}: the entrant's own entry only (anyone
// else's is the page that does not exist). It reads without JavaScript;
// static/entry.js adds the editing: autosave through
// PATCH /api/v1/entries/{id}, the library picker, uploads on the spot,
// and the requirement problems of each image as the server finds them.
// Submitting and withdrawing are plain forms: the submission records the
// consent to the terms shown in full on this page, collected by web form.

// entryData is what the entry page shows.
type entryData struct {
	ID          string
	CallID      string
	CallTitle   string
	Org         string
	Number      int
	Title       string
	Statement   string
	Category    string
	Categories  []option
	State       string // draft, submitted, withdrawn
	StateText   string
	Editable    bool   // before the deadline, not withdrawn: may be withdrawn
	CanEdit     bool   // Editable, and not waiting for the new terms to be accepted
	LockedSince string // "Entries are locked since …" once the deadline passed
	Withdrawn   string // when
	Submitted   string // when
	Deadline    callTime
	Countdown   string

	Images      []entryImageRow
	MaxImages   int
	ImagesLimit string // "1 to 10 images per entry"
	// ImageTemplate is the markup entry.js copies for an image it adds.
	ImageTemplate entryImageRow
	Require       []string
	RequireLine   string
	Limits        []string

	Terms        termsRef
	TermsText    string
	Rights       string
	Shared       string
	NeedsConsent bool // submitted under older terms
	CanSubmit    bool // a draft, or the new terms to accept
	Accepted     bool // the box stays ticked after a refusal

	API            string // the entry's JSON API, for entry.js
	MaxUploadBytes int64

	// Refusals of the forms.
	Error         string
	TitleError    string
	CategoryError string
	ImagesError   string
	AcceptError   string
}

// entryImageRow is one image of the entry.
type entryImageRow struct {
	AssetID  string
	ThumbURL string
	Name     string
	Size     string // "6000 × 4000 px · 12.4 MB"
	Status   string // the asset's: ready, processing, failed
	Problems []string
}

// showEntry shows the caller's entry.
func (p *Pages) showEntry(w http.ResponseWriter, r *http.Request) error {
	ev, err := p.opts.Calls.Entry(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return callError(err)
	}
	return p.renderEntry(w, r, ev, http.StatusOK, p.takeFlash(w, r), nil)
}

// renderEntry renders entry ev; edit adjusts the data for the form that
// was just refused.
func (p *Pages) renderEntry(w http.ResponseWriter, r *http.Request, ev calls.EntryView, status int, flash string, edit func(*entryData)) error {
	ctx := r.Context()
	c, t, now := ev.Call, ev.Terms, time.Now()
	g, err := p.opts.Calls.CallFor(ctx, principal(r), c.ID)
	if err != nil {
		return callError(err)
	}
	d := entryData{ID: ev.ID, CallID: c.ID, CallTitle: c.Title, Org: g.Org.Name, Number: ev.Number,
		Title: ev.Title, Statement: ev.Statement, Category: ev.Category,
		State: string(ev.State), StateText: entryStateText(ev.Entry, ev.NeedsConsent), Editable: ev.Editable,
		Deadline: inZone(c.Deadline, c.TimeZone), Countdown: countdown(c.Deadline, now),
		MaxImages: c.Limits.ImagesPerEntry, Require: requirementWords(c), Limits: limitWords(c.Limits),
		Terms:     termsRef{Version: t.Version, SHA256: t.SHA256, Published: publishedText(t)},
		TermsText: t.Text, Rights: termsRightsText(t.Rights), Shared: termsSharedText(t.SharedData),
		NeedsConsent: ev.NeedsConsent, CanSubmit: ev.Editable && (ev.State == calls.EntryDraft || ev.NeedsConsent),
		API: "/api/v1/entries/" + ev.ID, MaxUploadBytes: p.opts.Library.Config().MaxUploadBytes}
	d.CanEdit = ev.Editable && !ev.NeedsConsent
	d.RequireLine = requirementLine(d.Require)
	d.ImagesLimit = d.Limits[1]
	d.ImageTemplate = entryImageRow{ThumbURL: "#thumb", Status: "processing"}
	if len(c.Categories) > 0 {
		d.Categories = []option{{"", "Choose a category"}}
		for _, cat := range c.Categories {
			d.Categories = append(d.Categories, option{cat, cat})
		}
	}
	if !ev.Editable && ev.State != calls.EntryWithdrawn {
		// An entry exists only once its call opened: what locks it is
		// the deadline (package calls' clock decided).
		d.LockedSince = "Entries are locked since " + inZone(c.Deadline, c.TimeZone).Text + "."
	}
	if ev.State == calls.EntryWithdrawn {
		d.Withdrawn = exact(ev.WithdrawnAt)
	}
	if !ev.SubmittedAt.IsZero() {
		d.Submitted = exact(ev.SubmittedAt)
	}
	d.Images = entryImages(c, ev)
	if edit != nil {
		edit(&d)
	}
	title := entryTitle(ev.Title)
	v := p.newView(r, "entry", title, d)
	v.Nav = "entries"
	v.Flash = flash
	v.Script = "entry.js"
	return p.render(w, status, "entry", v)
}

// entryImages lists the entry's images in order, each with the problems
// the call's requirements find in it (as a submission would).
func entryImages(c calls.Call, ev calls.EntryView) []entryImageRow {
	byID := map[string]library.Asset{}
	for _, a := range ev.Assets {
		byID[a.ID] = a
	}
	out := make([]entryImageRow, 0, len(ev.Images))
	for _, im := range ev.Images {
		a, ok := byID[im.AssetID]
		if !ok {
			// Deleted or trashed since it was added.
			out = append(out, entryImageRow{AssetID: im.AssetID, Name: "A photo no longer in your library", Status: "failed",
				Problems: []string{"This photo is no longer in your library. Remove it from the entry."}})
			continue
		}
		row := entryImageRow{AssetID: a.ID, ThumbURL: assetThumbURL(a.ID), Name: assetName(a), Status: string(a.Status)}
		if a.Width > 0 {
			row.Size = strconv.Itoa(a.Width) + " × " + strconv.Itoa(a.Height) + " px · "
		}
		row.Size += humanBytes(a.Size)
		for _, pr := range calls.CheckRequirements(c, []library.Asset{a}) {
			row.Problems = append(row.Problems, sentence(pr.Reason))
		}
		out = append(out, row)
	}
	return out
}

// saveEntry saves the text fields of the entry: the form's way without
// JavaScript (entry.js saves as the entrant types).
func (p *Pages) saveEntry(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	title, statement, category := r.PostFormValue("title"), r.PostFormValue("statement"), r.PostFormValue("category")
	in := calls.EntryInput{Title: &title, Statement: &statement}
	if _, ok := r.PostForm["category"]; ok {
		in.Category = &category
	}
	_, err := p.opts.Calls.UpdateEntry(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		return p.entryRefused(w, r, err, func(d *entryData) {
			d.Title, d.Statement = title, statement
			if in.Category != nil {
				d.Category = category
			}
		})
	}
	return p.redirectWithFlash(w, r, entryURL(r.PathValue("id")), "entry-saved")
}

// submitEntry submits the draft, or accepts the call's changed terms for
// a submitted entry. The acceptance names the SHA-256 of the terms the
// page showed (a hidden field), and counts only with the box ticked; the
// consent record says it was collected by this web form.
func (p *Pages) submitEntry(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if r.PostFormValue("accept") != "yes" {
		return p.entryRefused(w, r, calls.ErrTermsNotAccepted, nil)
	}
	before, err := p.opts.Calls.Entry(r.Context(), principal(r), id)
	if err != nil {
		return callError(err)
	}
	acc := calls.Acceptance{TermsSHA256: r.PostFormValue("terms_sha256"), Method: calls.MethodWebForm}
	if _, err := p.opts.Calls.Submit(r.Context(), principal(r), id, acc); err != nil {
		return p.entryRefused(w, r, err, func(d *entryData) { d.Accepted = !errors.Is(err, calls.ErrStaleTerms) })
	}
	if before.State == calls.EntrySubmitted {
		return p.redirectWithFlash(w, r, "/entries", "entry-terms-accepted")
	}
	return p.redirectWithFlash(w, r, "/entries", "entry-submitted")
}

// withdrawEntry withdraws the entry (a draft is deleted) until the
// deadline.
func (p *Pages) withdrawEntry(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	before, err := p.opts.Calls.Entry(r.Context(), principal(r), id)
	if err != nil {
		return callError(err)
	}
	if err := p.opts.Calls.Withdraw(r.Context(), principal(r), id); err != nil {
		return p.entryRefused(w, r, err, nil)
	}
	if before.State == calls.EntryDraft {
		return p.redirectWithFlash(w, r, "/entries", "entry-draft-deleted")
	}
	return p.redirectWithFlash(w, r, "/entries", "entry-withdrawn")
}

// entryRefused shows the entry page again with the reason err gives,
// beside the field it is about; edit keeps what was typed.
func (p *Pages) entryRefused(w http.ResponseWriter, r *http.Request, err error, edit func(*entryData)) error {
	ev, lerr := p.opts.Calls.Entry(r.Context(), principal(r), r.PathValue("id"))
	if lerr != nil {
		return callError(lerr)
	}
	msg := sentence(err.Error())
	status := http.StatusBadRequest
	var re *calls.RequirementError
	var set func(*entryData)
	switch {
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, library.ErrNotFound):
		return callError(err)
	case errors.As(err, &re):
		status = http.StatusUnprocessableEntity
		set = func(d *entryData) {
			d.Error = "Some images do not meet the call's requirements: remove them or replace them, then submit again."
			for i, im := range d.Images {
				d.Images[i].Problems = nil
				for _, pr := range re.Problems {
					if pr.AssetID == im.AssetID {
						d.Images[i].Problems = append(d.Images[i].Problems, sentence(pr.Reason))
					}
				}
			}
		}
	case errors.Is(err, calls.ErrInvalidTitle), errors.Is(err, calls.ErrInvalidText):
		set = func(d *entryData) { d.TitleError = msg }
	case errors.Is(err, calls.ErrInvalidCategory):
		set = func(d *entryData) { d.CategoryError = msg }
	case errors.Is(err, calls.ErrImageCount), errors.Is(err, calls.ErrNotOwnAsset), errors.Is(err, calls.ErrDuplicateImage):
		set = func(d *entryData) { d.ImagesError = msg }
	case errors.Is(err, calls.ErrTermsNotAccepted):
		set = func(d *entryData) { d.AcceptError = "Tick the box to accept the terms, then submit." }
	case errors.Is(err, calls.ErrStaleTerms), errors.Is(err, calls.ErrDeadlinePassed), errors.Is(err, calls.ErrNotOpenYet),
		errors.Is(err, calls.ErrEntrySubmitted):
		status = http.StatusConflict
		set = func(d *entryData) { d.Error = msg }
	default:
		return callError(err)
	}
	return p.renderEntry(w, r, ev, status, "", func(d *entryData) {
		if edit != nil {
			edit(d)
		}
		set(d)
	})
}

// entrySample is the data New checks the entry template with: every
// branch filled.
func entrySample() entryData {
	at := callTime{Text: "x", Zone: "x", ISO: "x"}
	return entryData{ID: "x", Editable: true, CanEdit: true, LockedSince: "x", Withdrawn: "x", Submitted: "x", Deadline: at,
		Categories: []option{{"", "x"}, {"x", "x"}}, Category: "x",
		Images:  []entryImageRow{{AssetID: "x", ThumbURL: "/x", Problems: []string{"x"}}, {Status: "failed"}},
		Require: []string{"x"}, Limits: []string{"x"}, RequireLine: "x",
		Terms: termsRef{Version: 1, SHA256: "x", Published: "x"}, TermsText: "x", NeedsConsent: true, CanSubmit: true, Accepted: true,
		Error: "x", TitleError: "x", CategoryError: "x", ImagesError: "x", AcceptError: "x"}
}
