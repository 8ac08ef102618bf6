package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"safelight/internal/calls"
)

// juryRoundData is a round's page: the grid of what it judges (drawn by
// static/jury.js from Mount, which the page carries as JSON so the grid
// needs no further request), and for the call's managers the results,
// every juror's progress, closing and the shortlist.
type juryRoundData struct {
	ID        string
	CallID    string
	CallTitle string
	OrgName   string
	Name      string // "Round 2: Finals"
	Mode      string // in words
	Unit      string
	Blind     bool
	Open      bool
	Juror     bool
	Manager   bool
	Progress  string // "0 of 12 scored"
	Mount     juryMount

	Results        []juryResultRow
	Jurors         []juryJurorRow
	ModeKey        string // stars_avg, stars_sum, yesno, none
	Shortlisted    int
	ShortlistError string
	Top, MinScore  string
	NextRoundURL   string // the management page's round form, from this round
}

// juryMount is what static/jury.js reads: the round, and each thing it
// judges with the caller's own score. No names unless the round is not
// blind and the entrant's terms share theirs; no file names ever.
type juryMount struct {
	Round string     `json:"round"`
	API   string     `json:"api"`
	Mode  string     `json:"mode"`
	Unit  string     `json:"unit"`
	Open  bool       `json:"open"`
	Juror bool       `json:"juror"`
	Items []juryItem `json:"items"`
}

type juryItem struct {
	Key       string      `json:"key"` // entry id "/" image id
	EntryID   string      `json:"entry_id"`
	ImageID   string      `json:"image_id"`
	Title     string      `json:"title"`
	Statement string      `json:"statement"`
	Category  string      `json:"category"`
	Entrant   string      `json:"entrant,omitempty"`
	Images    []juryImage `json:"images"`
	Score     *int        `json:"score"`
	Recused   bool        `json:"recused"`
}

type juryImage struct {
	ID      string `json:"id"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Thumb   string `json:"thumb"`
	Preview string `json:"preview"`
}

type juryResultRow struct {
	Rank        int
	Key         string
	Number      int
	Title       string
	Thumb       string // the judged image, when the round scores images
	Votes       int
	Average     string
	Sum         int
	Yes         int
	Recusals    int
	Shortlisted bool
}

type juryJurorRow struct {
	Email    string
	Progress string
	Recused  int
	Done     bool
}

// showJuryRound shows a round to its jurors and the call's managers.
func (p *Pages) showJuryRound(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	return p.renderJuryRound(w, r, g, http.StatusOK, p.takeFlash(w, r), nil)
}

func (p *Pages) renderJuryRound(w http.ResponseWriter, r *http.Request, g calls.RoundGrant, status int, flash string, edit func(*juryRoundData)) error {
	ctx := r.Context()
	rd := g.Round
	api := "/api/v1/rounds/" + rd.ID
	d := juryRoundData{ID: rd.ID, CallID: g.Call.ID, CallTitle: g.Call.Title, OrgName: g.Org.Name,
		Name: "Round " + strconv.Itoa(rd.Number) + ": " + rd.Name, Mode: orgOptionLabel(modeOptions, string(rd.Mode)),
		Unit: orgOptionLabel(unitOptions, string(rd.Unit)), Blind: rd.Blind, Open: rd.State == calls.RoundOpen,
		Juror: g.Juror, Manager: g.Manager, ModeKey: string(rd.Mode),
		Mount: juryMount{Round: rd.ID, API: api, Mode: string(rd.Mode), Unit: string(rd.Unit), Open: rd.State == calls.RoundOpen,
			Juror: g.Juror, Items: []juryItem{}}}
	items, err := p.opts.Calls.JuryItems(ctx, g)
	if err != nil {
		return orgsError(err)
	}
	for _, it := range items {
		ji := juryItem{Key: it.EntryID + "/" + it.ImageID, EntryID: it.EntryID, ImageID: it.ImageID, Title: it.Title,
			Statement: it.Statement, Category: it.Category, Entrant: it.Entrant, Score: it.MyScore, Recused: it.Recused,
			Images: []juryImage{}}
		for _, im := range it.Images {
			base := api + "/entries/" + it.EntryID + "/images/" + im.ID
			ji.Images = append(ji.Images, juryImage{ID: im.ID, Width: im.Width, Height: im.Height, Thumb: base + "/thumb", Preview: base + "/preview"})
		}
		d.Mount.Items = append(d.Mount.Items, ji)
	}
	scored, total := juryProgress(items)
	d.Progress = strconv.Itoa(scored) + " of " + strconv.Itoa(total) + " scored"

	if g.Manager {
		res, err := p.opts.Calls.RoundResults(ctx, g)
		if err != nil {
			return orgsError(err)
		}
		for i, sc := range res.Scores {
			row := juryResultRow{Rank: i + 1, Key: sc.EntryID + "/" + sc.ImageID, Number: sc.Number, Title: sc.Title,
				Votes: sc.Votes, Sum: sc.Sum, Yes: sc.Yes, Recusals: sc.Recusals, Shortlisted: sc.Shortlisted, Average: "–"}
			if sc.Votes > 0 {
				row.Average = strconv.FormatFloat(sc.Average, 'f', 2, 64)
			}
			if sc.ImageID != "" {
				row.Thumb = api + "/entries/" + sc.EntryID + "/images/" + sc.ImageID + "/thumb"
			}
			if sc.Shortlisted {
				d.Shortlisted++
			}
			d.Results = append(d.Results, row)
		}
		for _, j := range res.Jurors {
			d.Jurors = append(d.Jurors, juryJurorRow{Email: j.Email, Recused: j.Recused,
				Progress: strconv.Itoa(j.Voted) + " of " + strconv.Itoa(j.Total-j.Recused) + " scored",
				Done:     j.Total > 0 && j.Voted >= j.Total-j.Recused})
		}
		if rd.State == calls.RoundClosed && d.Shortlisted > 0 {
			d.NextRoundURL = callManageURL(g.Call.ID) + "?from_round=" + rd.ID + "#new-round"
		}
	}
	if edit != nil {
		edit(&d)
	}
	v := p.newView(r, "jury-round", rd.Name+" · "+g.Call.Title, d)
	v.Nav = "jury"
	v.Flash = flash
	v.Script = "jury.js"
	return p.render(w, status, "jury_round", v)
}

// closeJuryRound ends voting in the round; managers only.
func (p *Pages) closeJuryRound(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if !g.Manager {
		return orgsError(calls.ErrForbidden)
	}
	if _, err := p.opts.Calls.CloseRound(r.Context(), g); err != nil {
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, juryRoundURL(g.Round.ID)+"#results", "round-closed")
}

// shortlistJuryRound sets a closed round's shortlist in one of three
// ways: the top places, a minimum score, or the ticked rows.
func (p *Pages) shortlistJuryRound(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	if err := parseLongForm(w, r); err != nil {
		return err
	}
	if !g.Manager {
		return orgsError(calls.ErrForbidden)
	}
	var in calls.ShortlistInput
	top, minScore := strings.TrimSpace(r.PostFormValue("top")), strings.TrimSpace(r.PostFormValue("min_score"))
	refuse := func(msg string) error {
		return p.renderJuryRound(w, r, g, http.StatusBadRequest, "", func(d *juryRoundData) {
			d.ShortlistError, d.Top, d.MinScore = msg, top, minScore
		})
	}
	switch r.PostFormValue("by") {
	case "top":
		n, err := strconv.Atoi(top)
		if err != nil || n < 1 {
			return refuse("Give the number of places to keep, 1 or more.")
		}
		in.Top = n
	case "min":
		v, err := strconv.ParseFloat(strings.ReplaceAll(minScore, ",", "."), 64)
		if err != nil {
			return refuse("Give the lowest score to keep, such as 3.5.")
		}
		in.MinRank = &v
	default:
		in.Keys = r.PostForm["key"]
		if in.Keys == nil {
			in.Keys = []string{}
		}
	}
	_, err := p.opts.Calls.Shortlist(r.Context(), g, in)
	switch {
	case errors.Is(err, calls.ErrInvalidShortlist):
		return refuse(orgRefusal(err))
	case errors.Is(err, calls.ErrWrongState):
		return refuse("Close the round before choosing its shortlist.")
	case err != nil:
		return orgsError(err)
	}
	return p.redirectWithFlash(w, r, juryRoundURL(g.Round.ID)+"#results", "round-shortlisted")
}

// juryRoundSample is the data New checks the round template with.
func juryRoundSample() juryRoundData {
	return juryRoundData{ID: "x", Blind: true, Open: true, Juror: true, Manager: true, ModeKey: "stars_avg",
		Mount:   juryMount{Items: []juryItem{{Key: "a/", Images: []juryImage{{ID: "i"}}}}},
		Results: []juryResultRow{{Key: "a/", Thumb: "/x", Shortlisted: true}}, Jurors: []juryJurorRow{{Done: true}},
		Shortlisted: 1, ShortlistError: "x", NextRoundURL: "/x"}
}
