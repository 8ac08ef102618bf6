package web

import (
	"net/http"
	"strconv"

	"safelight/internal/calls"
)

// juryListData is the rounds the caller is invited to judge.
type juryListData struct {
	Rounds []juryListRow
}

type juryListRow struct {
	ID        string
	CallTitle string
	OrgName   string
	Name      string // "Round 1: First pass"
	Mode      string
	State     string // open, closed
	Progress  string // "3 of 12 scored"
	Done      bool   // every item scored
	Juror     bool
	Manager   bool
}

// showJury lists the caller's rounds with their progress in each.
func (p *Pages) showJury(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	gs, err := p.opts.Calls.MyRounds(ctx, principal(r))
	if err != nil {
		return err
	}
	var d juryListData
	for _, g := range gs {
		row := juryListRow{ID: g.Round.ID, CallTitle: g.Call.Title, OrgName: g.Org.Name,
			Name: "Round " + strconv.Itoa(g.Round.Number) + ": " + g.Round.Name, Mode: orgOptionLabel(modeOptions, string(g.Round.Mode)),
			State: g.Round.State, Juror: g.Juror, Manager: g.Manager}
		items, err := p.opts.Calls.JuryItems(ctx, g)
		if err != nil {
			return orgsError(err)
		}
		scored, total := juryProgress(items)
		if g.Round.Mode == calls.ModeNone {
			row.Progress = strconv.Itoa(total) + " to view"
		} else {
			row.Progress = strconv.Itoa(scored) + " of " + strconv.Itoa(total) + " scored"
			row.Done = total > 0 && scored == total
		}
		d.Rounds = append(d.Rounds, row)
	}
	v := p.newView(r, "jury", "Jury", d)
	v.Nav = "jury"
	return p.render(w, http.StatusOK, "jury", v)
}

// juryProgress counts what the caller scored of what they judge: items
// they recused from are not theirs to score.
func juryProgress(items []calls.JuryItem) (scored, total int) {
	for _, it := range items {
		if it.Recused {
			continue
		}
		total++
		if it.MyScore != nil {
			scored++
		}
	}
	return scored, total
}

// invitedToJudge reports whether the signed-in caller is invited to a
// jury round, for the navigation's Jury link.
func (p *Pages) invitedToJudge(r *http.Request) bool {
	pr := principal(r)
	if pr == nil || p.opts.Calls == nil {
		return false
	}
	ok, err := p.opts.Calls.InvitedToJudge(r.Context(), pr)
	return err == nil && ok
}
