package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/httpx"
)

// The forms of the management page. Each answers with the page again and
// the reason beside the form when package calls refuses, or redirects
// back with a notice.

// maxManageFormBytes bounds the settings and terms forms: a description of
// 20,000 and terms of 50,000 characters, URL-encoded, need more than the
// other forms' limit.
const maxManageFormBytes = 1 << 20

// maxCoverFormBytes bounds the cover upload; package calls checks the
// image's own limit.
const maxCoverFormBytes = 64 << 20

// parseLongForm reads a POSTed form of the management page.
func parseLongForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxManageFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return &httpx.Error{Status: http.StatusBadRequest, Message: "the form could not be read", Cause: err}
	}
	return nil
}

// updateCallSettings saves the call's fields. Once the call is published,
// only the title, description, deadline, time zone and visibility change:
// the fixed fields are not sent, so they are not refused either.
func (p *Pages) updateCallSettings(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseLongForm(w, r); err != nil {
		return err
	}
	c := g.Call
	pf := r.PostForm
	f := callForm{Title: pf.Get("title"), Description: pf.Get("description"), OpensAt: pf.Get("opens_at"),
		Deadline: pf.Get("deadline"), TimeZone: pf.Get("timezone"), Categories: pf.Get("categories"),
		EntriesPerEntrant: pf.Get("entries_per_entrant"), ImagesPerEntry: pf.Get("images_per_entry"),
		MaxFileMB: pf.Get("max_file_mb"), MinLongEdge: pf.Get("min_long_edge"), ColorProfile: pf.Get("color_profile") == "on",
		Orientation: pf.Get("orientation"), Visibility: pf.Get("visibility"), Formats: formatChecks(pf["formats"])}
	if f.TimeZone == "" {
		f.TimeZone = c.TimeZone
	}
	refuse := func(status int, set func(*callForm)) error {
		return p.renderCallManage(w, r, g, status, "", func(d *callManageData) {
			if d.Locked {
				// The fixed fields show what they are, not what was sent.
				keep := d.Settings
				f.OpensAt, f.Categories, f.EntriesPerEntrant, f.ImagesPerEntry = keep.OpensAt, keep.Categories, keep.EntriesPerEntrant, keep.ImagesPerEntry
				f.MaxFileMB, f.MinLongEdge, f.ColorProfile, f.Orientation, f.Formats = keep.MaxFileMB, keep.MinLongEdge, keep.ColorProfile, keep.Orientation, keep.Formats
			}
			set(&f)
			d.Settings = f
		})
	}
	vis := calls.Visibility(f.Visibility)
	in := calls.CallInput{Title: &f.Title, Description: &f.Description, TimeZone: &f.TimeZone, Visibility: &vis}
	dl, err := calls.ParseTime(f.Deadline, f.TimeZone)
	if err != nil {
		return refuse(http.StatusBadRequest, func(f *callForm) { f.ScheduleError = "Give the deadline as a date and time." })
	}
	if !dl.Equal(c.Deadline) {
		in.Deadline = &dl
	}
	if c.State == calls.StateDraft {
		opens := time.Time{}
		if strings.TrimSpace(f.OpensAt) != "" {
			if opens, err = calls.ParseTime(f.OpensAt, f.TimeZone); err != nil {
				return refuse(http.StatusBadRequest, func(f *callForm) { f.ScheduleError = "Give the opening as a date and time, or leave it empty." })
			}
		}
		in.OpensAt = &opens
		cats := []string{}
		for _, line := range strings.Split(f.Categories, "\n") {
			if s := strings.TrimSpace(line); s != "" {
				cats = append(cats, s)
			}
		}
		in.Categories = &cats
		lim, ok := limitsOf(f)
		if !ok {
			return refuse(http.StatusBadRequest, func(f *callForm) { f.LimitsError = sentence(calls.ErrInvalidLimits.Error()) })
		}
		in.Limits = &lim
		edge, err := strconv.Atoi(strings.TrimSpace(f.MinLongEdge))
		if err != nil {
			return refuse(http.StatusBadRequest, func(f *callForm) { f.RequirementsError = sentence(calls.ErrInvalidRequire.Error()) })
		}
		req := calls.Requirements{Formats: pf["formats"], MinLongEdge: edge, ColorProfile: f.ColorProfile, Orientation: calls.Orientation(f.Orientation)}
		if req.Formats == nil {
			req.Formats = []string{}
		}
		in.Requirements = &req
	}
	_, err = p.opts.Calls.UpdateCall(r.Context(), g, in)
	msg := ""
	if err != nil {
		msg = orgRefusal(err)
	}
	switch {
	case errors.Is(err, calls.ErrInvalidTitle):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.TitleError = msg })
	case errors.Is(err, calls.ErrInvalidText):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.DescriptionError = msg })
	case errors.Is(err, calls.ErrInvalidSchedule), errors.Is(err, calls.ErrDeadlinePast):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.ScheduleError = msg })
	case errors.Is(err, calls.ErrInvalidCategories):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.CategoriesError = msg })
	case errors.Is(err, calls.ErrInvalidLimits):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.LimitsError = msg })
	case errors.Is(err, calls.ErrInvalidRequire):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.RequirementsError = msg })
	case errors.Is(err, calls.ErrInvalidVisibility):
		return refuse(http.StatusBadRequest, func(f *callForm) { f.VisibilityError = msg })
	case errors.Is(err, calls.ErrWrongState):
		return refuse(http.StatusConflict, func(f *callForm) {
			f.Error = "The deadline has passed: the call can no longer change."
		})
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, callManageURL(c.ID)+"#settings", "call-saved")
}

// limitsOf reads the limits fields; false when one is not a number.
func limitsOf(f callForm) (calls.Limits, bool) {
	entries, err1 := strconv.Atoi(strings.TrimSpace(f.EntriesPerEntrant))
	images, err2 := strconv.Atoi(strings.TrimSpace(f.ImagesPerEntry))
	mb, err3 := strconv.ParseInt(strings.TrimSpace(f.MaxFileMB), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || mb < 0 || mb > 1<<20 {
		return calls.Limits{}, false
	}
	return calls.Limits{EntriesPerEntrant: entries, ImagesPerEntry: images, MaxFileBytes: mb << 20}, true
}

// updateCallTerms saves the terms. While the call is a draft the draft
// version changes in place; once it is published, a changed text is a new
// version that every entrant must accept again (the page says so next to
// the button).
func (p *Pages) updateCallTerms(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseLongForm(w, r); err != nil {
		return err
	}
	in := calls.TermsInput{Body: r.PostFormValue("body"), Rights: r.PostForm["rights"], SharedData: r.PostForm["shared"]}
	c, err := p.opts.Calls.UpdateCall(r.Context(), g, calls.CallInput{Terms: &in})
	switch {
	case errors.Is(err, calls.ErrInvalidTerms), errors.Is(err, calls.ErrInvalidRight), errors.Is(err, calls.ErrInvalidShared),
		errors.Is(err, calls.ErrWrongState):
		msg := orgRefusal(err)
		if errors.Is(err, calls.ErrWrongState) {
			msg = "The deadline has passed: the terms can no longer change."
		}
		return p.renderCallManage(w, r, g, http.StatusBadRequest, "", func(d *callManageData) {
			d.Terms.Body, d.Terms.Rights, d.Terms.Shared, d.Terms.Error = in.Body, rightChecks(in.Rights), sharedChecks(in.SharedData), msg
		})
	case err != nil:
		return orgsError(err)
	}
	flash := "call-terms-saved"
	switch {
	case c.TermsVersion > g.Call.TermsVersion:
		flash = "call-terms-published"
	case c.State != calls.StateDraft:
		flash = "call-terms-unchanged"
	}
	return p.redirectWithFlash(w, r, callManageURL(c.ID)+"#terms", flash)
}

// publishCall opens a draft call; its terms become version 1 for good.
func (p *Pages) publishCall(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err := p.opts.Calls.Publish(r.Context(), g)
	switch {
	case errors.Is(err, calls.ErrInvalidTerms):
		return p.renderCallManage(w, r, g, http.StatusBadRequest, "", func(d *callManageData) {
			d.PublishError = "Write the terms first: entrants accept them when they enter."
		})
	case errors.Is(err, calls.ErrDeadlinePast), errors.Is(err, calls.ErrWrongState):
		return p.renderCallManage(w, r, g, http.StatusConflict, "", func(d *callManageData) { d.PublishError = orgRefusal(err) })
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, callManageURL(g.Call.ID), "call-published")
}

// uploadCallCover stores the cover image sent as the "cover" part of a
// multipart form; it streams to package calls, which bounds and checks it.
func (p *Pages) uploadCallCover(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxCoverFormBytes)
	refuse := func(msg string) error {
		return p.renderCallManage(w, r, g, http.StatusBadRequest, "", func(d *callManageData) { d.CoverError = msg })
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return refuse("Choose an image file for the cover.")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return refuse("Choose an image file for the cover.")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return refuse("The upload could not be read. Please try again.")
		}
		if part.FormName() != "cover" {
			continue
		}
		err = p.opts.Calls.SetCover(r.Context(), g, part)
		switch {
		case errors.Is(err, calls.ErrInvalidCover):
			return refuse(orgRefusal(err))
		case err != nil:
			return orgsError(err)
		}
		return p.redirectWithFlash(w, r, callManageURL(g.Call.ID)+"#cover", "call-cover-saved")
	}
}

// setCallAward marks an entry a winner or honourable mention, or clears
// it.
func (p *Pages) setCallAward(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("entry")
	err := p.opts.Calls.SetAward(r.Context(), g, id, r.PostFormValue("award"))
	switch {
	case errors.Is(err, calls.ErrInvalidAward), errors.Is(err, calls.ErrWrongState):
		return p.renderCallManage(w, r, g, http.StatusBadRequest, "", func(d *callManageData) { d.entryError(id, err) })
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, callManageURL(g.Call.ID)+"#entries", "call-award-saved")
}

// requestCallOriginals asks a finalist's photographer for the originals
// of every image of the entry.
func (p *Pages) requestCallOriginals(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("entry")
	_, err := p.opts.Calls.RequestOriginals(r.Context(), g, id, nil, r.PostFormValue("message"))
	switch {
	case errors.Is(err, calls.ErrNotFinalist), errors.Is(err, calls.ErrInvalidText):
		return p.renderCallManage(w, r, g, http.StatusBadRequest, "", func(d *callManageData) { d.entryError(id, err) })
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, callManageURL(g.Call.ID)+"#originals", "call-originals-requested")
}

func (d *callManageData) entryError(id string, err error) {
	for i := range d.Entries {
		if d.Entries[i].ID == id {
			d.Entries[i].Error = orgRefusal(err)
		}
	}
}

// createCallRound starts a round and opens it.
func (p *Pages) createCallRound(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseLongForm(w, r); err != nil {
		return err
	}
	f := roundForm{Name: r.PostFormValue("name"), Unit: r.PostFormValue("unit"), Mode: r.PostFormValue("mode"),
		Jurors: r.PostFormValue("jurors"), FromRound: r.PostFormValue("from_round"), Blind: r.PostFormValue("blind") == "on"}
	var jurors []string
	for _, line := range strings.FieldsFunc(f.Jurors, func(c rune) bool { return c == '\n' || c == ',' || c == ';' }) {
		if s := strings.TrimSpace(line); s != "" {
			jurors = append(jurors, s)
		}
	}
	blind := f.Blind
	rd, err := p.opts.Calls.CreateRound(r.Context(), g, calls.RoundInput{Name: f.Name, Unit: calls.Unit(f.Unit), Mode: calls.Mode(f.Mode),
		Blind: &blind, Jurors: jurors, FromRoundID: f.FromRound})
	if err != nil {
		msg := orgRefusal(err)
		switch {
		case errors.Is(err, calls.ErrInvalidRound):
			f.NameError = msg
		case errors.Is(err, calls.ErrNoJurors):
			f.JurorsError = msg
		case errors.Is(err, auth.ErrInvalidEmail):
			f.JurorsError = "Write one valid e-mail address per line."
		case errors.Is(err, calls.ErrPreviousRound):
			f.FromError = msg
		case errors.Is(err, calls.ErrWrongState):
			f.Error = "Rounds start once the deadline has passed."
		case errors.Is(err, calls.ErrNoCandidates):
			f.Error = "There is nothing to judge: no submitted entry accepted the current terms."
		default:
			return orgsError(err)
		}
		return p.renderCallManage(w, r, g, http.StatusBadRequest, "", func(d *callManageData) { d.Round = f })
	}
	return p.redirectWithFlash(w, r, juryRoundURL(rd.ID), "round-created")
}

// publishCallResults shows the public results page.
func (p *Pages) publishCallResults(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err := p.opts.Calls.PublishResults(r.Context(), g)
	switch {
	case errors.Is(err, calls.ErrWrongState):
		return p.renderCallManage(w, r, g, http.StatusConflict, "", func(d *callManageData) {
			d.ResultsError = "Results are published while the call is being judged."
		})
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, callManageURL(g.Call.ID)+"#results", "call-results-published")
}
