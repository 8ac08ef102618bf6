package web

import (
	"net/http"
	"strconv"
	"time"

	"safelight/internal/sharing"
)

// projectData is what a project's page shows. Members see the header and
// the review grid; the owner (and, for people, editors) also the share
// dialog; the owner the settings and the link to the access log.
type projectData struct {
	ID          string
	Name        string
	Description string
	Owner       bool
	Role        string // "Owner", "Reviewer", …
	Ability     string // what the caller may do, one sentence
	SharedBy    string // the owner's name, for members
	Summary     string // the owner's: "Shared with 2 people and 1 link."

	Review       reviewMount
	ReviewScript string // URL of static/review.js once it exists, else ""

	CanShare   bool // owner or editor: the share dialog (people)
	CanLink    bool // owner: review links
	ShareOpen  bool // render the dialog open: asked for (?share=1), or answering one of its forms
	ShareFlash string
	Members    []memberRow
	Links      []linkRow
	Invite     inviteForm
	Link       linkForm
	NewLink    *shownSecret // the link just created, shown this once
	NewLinkSay string       // what it allows
	Roles      []option
	Downloads  []option
	MinExpiry  string // dates for the expiry field (yyyy-mm-dd, UTC)
	MaxExpiry  string
	LinkDays   int // a link's default life in days

	Settings     settingsForm
	SettingsOpen bool
}

// reviewMount is what static/review.js reads from its section's data
// attributes (see /tmp/notes/ui-contract.md): where the items and the
// review API are, and what the caller may do.
type reviewMount struct {
	Items     string
	API       string
	CanReview bool
	Download  string // none, preview or original
	Owner     bool
	Reviewers string // owner only
	Export    string // owner only
	Done      bool   // an "I'm done" button: members who review
}

type memberRow struct {
	ID       string
	Email    string
	Role     string
	Download string
	Sentence string
	Since    string
	Error    string // why a change of this member was refused
}

type linkRow struct {
	ID            string
	Name          string // "Link created 3 Dec"
	Sentence      string
	State         string // active, expired, revoked
	Password      bool
	PasswordError string
}

type inviteForm struct {
	Email, Role, Download                string
	EmailError, RoleError, DownloadError string
}

type linkForm struct {
	Download, Expires, Watermark                             string
	PasswordError, ExpiresError, WatermarkError, DownloadErr string
}

type settingsForm struct {
	Name, Description    string
	ShowCamera           bool
	NameError, DescError string
}

// showProject shows a project to anyone with a grant on it.
func (p *Pages) showProject(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	flash := p.takeFlash(w, r)
	return p.renderProject(w, r, g, http.StatusOK, flash, func(d *projectData) {
		d.ShareOpen = d.CanShare && r.URL.Query().Get("share") == "1"
	})
}

// renderProject loads what g may see of the project, lets edit adjust the
// data for the form that was just submitted, and renders the page. A
// notice goes inside the share dialog when that is open, where the owner
// is looking.
func (p *Pages) renderProject(w http.ResponseWriter, r *http.Request, g sharing.Grant, status int, flash string, edit func(*projectData)) error {
	ctx := r.Context()
	pj := g.Project
	now := time.Now()
	cfg := p.opts.Sharing.Config()
	base := "/api/v1/projects/" + pj.ID
	d := projectData{ID: pj.ID, Name: pj.Name, Description: pj.Description, Owner: g.Owner,
		Role: roleName(g), Ability: grantSentence(g),
		Review: reviewMount{Items: base + "/assets", API: base, CanReview: g.CanReview(), Download: string(g.Download),
			Owner: g.Owner, Done: !g.Owner && g.CanReview()},
		CanShare: g.CanEdit(), CanLink: g.Owner,
		Invite: inviteForm{Role: string(sharing.RoleReviewer), Download: string(sharing.DownloadNone)},
		Link:   linkForm{Download: string(sharing.DownloadPreview)},
		Roles:  roleOptions, Downloads: downloadOptions,
		MinExpiry: now.UTC().Format(time.DateOnly), MaxExpiry: now.Add(cfg.MaxLinkTTL).UTC().Format(time.DateOnly),
		LinkDays: int(cfg.LinkTTL / (24 * time.Hour)),
		Settings: settingsForm{Name: pj.Name, Description: pj.Description, ShowCamera: pj.ShowCamera},
	}
	if g.Owner {
		d.Review.Reviewers, d.Review.Export = base+"/reviewers", base+"/export"
	} else if u, err := p.opts.Auth.User(ctx, pj.OwnerID); err == nil {
		d.SharedBy = u.Name
	}
	if v, ok := p.assets["review.js"]; ok {
		d.ReviewScript = "/static/review.js?v=" + v
	}
	if d.CanShare {
		ms, err := p.opts.Sharing.Members(ctx, g)
		if err != nil {
			return projectError(err)
		}
		for _, m := range ms {
			d.Members = append(d.Members, memberRow{ID: m.ID, Email: m.Email, Role: string(m.Role), Download: string(m.Download),
				Sentence: memberSentence(m), Since: "Invited " + shortDate(m.CreatedAt, now)})
		}
	}
	active := 0
	if d.CanLink {
		ls, err := p.opts.Sharing.Links(ctx, g)
		if err != nil {
			return projectError(err)
		}
		for _, l := range ls {
			row := linkRow{ID: l.ID, Name: "Link created " + shortDate(l.CreatedAt, now), Sentence: linkSentence(l, now),
				State: linkState(l, now), Password: l.PasswordHash != ""}
			if row.State == "active" {
				active++
			}
			d.Links = append(d.Links, row)
		}
		d.Summary = shareSummary(len(d.Members), active)
	}
	if edit != nil {
		edit(&d)
	}
	if d.ShareOpen {
		d.ShareFlash, flash = flash, ""
	}
	v := p.newView(r, "project", pj.Name, d)
	v.Nav = "projects"
	v.Flash = flash
	v.Script = "project.js"
	return p.render(w, status, "project", v)
}

// shareSummary says who the owner shares the project with.
func shareSummary(members, links int) string {
	switch {
	case members == 0 && links == 0:
		return "Only you can see this project."
	case links == 0:
		return "Shared with " + people(members) + "."
	case members == 0:
		return "Shared through " + linkCount(links) + "."
	}
	return "Shared with " + people(members) + " and through " + linkCount(links) + "."
}

func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return strconv.Itoa(n) + " people"
}

func linkCount(n int) string {
	if n == 1 {
		return "1 link"
	}
	return count(n, "link")
}

// projectSample is the data New checks the project template with: every
// branch filled.
func projectSample() projectData {
	return projectData{Owner: true, CanShare: true, CanLink: true, ShareOpen: true, ShareFlash: "x", SettingsOpen: true,
		ReviewScript: "/static/review.js", SharedBy: "x", Summary: "x",
		Members:   []memberRow{{ID: "m", Error: "x"}},
		Links:     []linkRow{{ID: "l", State: "active", Password: true, PasswordError: "x"}, {ID: "k", State: "revoked"}},
		Invite:    inviteForm{EmailError: "x", RoleError: "x", DownloadError: "x"},
		Link:      linkForm{PasswordError: "x", ExpiresError: "x", WatermarkError: "x", DownloadErr: "x"},
		NewLink:   &shownSecret{Secret: "x"},
		Roles:     roleOptions,
		Downloads: downloadOptions,
		Settings:  settingsForm{NameError: "x", DescError: "x", ShowCamera: true},
	}
}
