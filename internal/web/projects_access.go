package web

import (
	"net/http"
	"strings"
	"time"

	"safelight/internal/library"
	"safelight/internal/sharing"
)

// projectAccessData is the owner's access log of a project: who saw
// which photo, through which grant. The owner's own views are not in it.
type projectAccessData struct {
	ID   string
	Name string
	Rows []projectAccessRow
}

// projectAccessRow is one view or download, in words: "Cleo Client
// (review link created 3 Dec) viewed the preview of DSC_0101.jpg".
type projectAccessRow struct {
	Who      string
	Through  string
	Did      string
	Photo    string
	ThumbURL string // "" for a photo no longer in the project
	When     string
	At       string
	ISO      string
}

// projectAccessLimit is how many entries the page shows, newest first.
const projectAccessLimit = 500

// showProjectAccess shows the project's access log to its owner; anyone
// else with a grant is refused in words.
func (p *Pages) showProjectAccess(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	ctx := r.Context()
	evs, err := p.opts.Sharing.AccessLog(ctx, g, projectAccessLimit)
	if err != nil {
		return projectError(err)
	}
	// The owner's own listing, to name the photos: not logged.
	as, err := p.opts.Sharing.Assets(ctx, g)
	if err != nil {
		return projectError(err)
	}
	names, ready := map[string]string{}, map[string]bool{}
	for _, a := range as {
		names[a.ID], ready[a.ID] = altText(a.Asset), a.Status == library.StatusReady
	}
	ms, err := p.opts.Sharing.Members(ctx, g)
	if err != nil {
		return projectError(err)
	}
	ls, err := p.opts.Sharing.Links(ctx, g)
	if err != nil {
		return projectError(err)
	}
	now := time.Now()
	grants := map[string]string{}
	for _, m := range ms {
		grants["member:"+m.ID] = "member, " + strings.ToLower(roleWord(m.Role))
	}
	for _, l := range ls {
		grants["link:"+l.ID] = "review link created " + shortDate(l.CreatedAt, now)
	}
	d := projectAccessData{ID: g.Project.ID, Name: g.Project.Name}
	for _, e := range evs {
		row := projectAccessRow{Who: e.ActorLabel, Through: grants[e.Via], Photo: names[e.AssetID],
			When: ago(e.At, now), At: exact(e.At), ISO: e.At.UTC().Format(time.RFC3339)}
		kind, _, _ := strings.Cut(e.Via, ":")
		switch {
		case row.Who == "" || row.Who == "guest" && kind == "link":
			row.Who = "Someone with the link" // before giving a name
		}
		if row.Through == "" {
			switch kind {
			case "member":
				row.Through = "a member since removed"
			case "link":
				row.Through = "a review link"
			default:
				row.Through = e.Via
			}
		}
		if row.Photo == "" {
			row.Photo = "a photo no longer in this project"
		} else if ready[e.AssetID] {
			row.ThumbURL = projectThumbURL(g.Project.ID, e.AssetID)
		}
		row.Did = projectAccessActions[e.Action]
		if row.Did == "" {
			row.Did = "opened (" + e.Action + ")"
		}
		d.Rows = append(d.Rows, row)
	}
	v := p.newView(r, "project-access", "Who saw “"+g.Project.Name+"”", d)
	v.Nav = "projects"
	return p.render(w, http.StatusOK, "project_access", v)
}
