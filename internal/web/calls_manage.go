package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"safelight/internal/calls"
)

// callManageData is a call's management page. Managers get every form;
// viewers read the same page without any (ReadOnly), and without the
// entries, which only managers may list.
type callManageData struct {
	ID        string
	Title     string
	OrgID     string
	OrgName   string
	State     string // effective state, for CSS
	StateName string
	ReadOnly  bool
	Draft     bool
	Deadline  string // in the call's zone
	Opens     string
	Public    bool // published: /calls/{id} exists

	CanEdit  bool // manager, and the call is a draft or still open
	Locked   bool // published: categories, limits, requirements and opening are fixed
	Settings callForm

	Terms         termsForm
	TermsVersions []termsRow

	HasCover   bool
	CoverError string

	CanPublish   bool
	PublishError string

	Totals     callTotals
	Entries    []manageEntryRow
	CanAward   bool
	Requests   []originalsRow
	Rounds     []manageRoundRow
	CanRound   bool // the deadline has passed: rounds may be created
	Round      roundForm
	FromRounds []option // closed rounds, for the next round's "from" select

	CanPublishResults bool
	ResultsError      string

	// Options of the selects.
	Zones, Orientations, Visibilities, Awards, Units, Modes []option
}

// callForm is the call's settings form.
type callForm struct {
	Title, Description, OpensAt, Deadline, TimeZone, Categories string
	EntriesPerEntrant, ImagesPerEntry, MaxFileMB, MinLongEdge   string
	Formats                                                     []orgCheck
	FormatNames                                                 string // the ticked formats, for reading
	ColorProfile                                                bool
	Orientation, Visibility                                     string

	TitleError, DescriptionError, ScheduleError, CategoriesError string
	LimitsError, RequirementsError, VisibilityError, Error       string
}

// orgCheck is one checkbox of a group.
type orgCheck struct {
	Value, Label string
	Checked      bool
}

// termsForm edits the call's terms: the organizer's text and the rights
// and entrant data it grants.
type termsForm struct {
	Body        string
	Rights      []orgCheck
	Shared      []orgCheck
	Version     int
	SHA256      string
	Text        string // the whole document entrants accept
	Published   bool   // the current version is published
	NextVersion int    // what saving a change publishes, once the call is published
	Editable    bool
	Error       string
}

type termsRow struct {
	Version   int
	SHA256    string
	Published string
	Current   bool
}

type callTotals struct {
	Entries, Drafts, Withdrawn, Entrants, Images, StaleTerms int
	ByCategory                                               []orgCategoryCount
}

type orgCategoryCount struct {
	Category string
	Count    int
}

type manageEntryRow struct {
	ID           string
	Number       int
	Title        string
	Category     string
	Images       int
	Submitted    string
	TermsVersion int
	StaleTerms   bool
	Award        string
	Name, Email  string
	Finalist     bool
	Requested    int // originals requests made for it
	Error        string
}

type originalsRow struct {
	ID          string
	Entry       string // "#3 Harbour at dawn"
	Image       string // a short, neutral image reference
	State       string
	StateName   string
	Requested   string
	Decided     string
	DownloadURL string // approved requests only
}

type manageRoundRow struct {
	ID, Name, Unit, Mode, State string
	Number                      int
	Blind                       bool
	Created                     string
}

// roundForm creates a round.
type roundForm struct {
	Name, Unit, Mode, Jurors, FromRound string
	Blind                               bool
	NameError, JurorsError, FromError   string
	Error                               string
}

// Choices of the management forms.
var (
	orientationOptions = []option{
		{string(calls.AnyOrientation), "Any"}, {string(calls.Landscape), "Landscape"},
		{string(calls.Portrait), "Portrait"}, {string(calls.Square), "Square"},
	}
	visibilityOptions = []option{
		{string(calls.Public), "Public: listed on the calls page"},
		{string(calls.Unlisted), "Unlisted: only for those with the address"},
	}
	awardOptions = []option{
		{calls.AwardNone, "No award"}, {calls.AwardWinner, "Winner"}, {calls.AwardHonourableMention, "Honourable mention"},
	}
	unitOptions = []option{
		{string(calls.UnitEntry), "Each entry as a whole"}, {string(calls.UnitImage), "Each image on its own"},
	}
	modeOptions = []option{
		{string(calls.ModeStarsAvg), "1–5 stars, ranked by the average"},
		{string(calls.ModeStarsSum), "1–5 stars, ranked by the sum"},
		{string(calls.ModeYesNo), "Yes or no, ranked by the yeses"},
		{string(calls.ModeNone), "No voting: view only"},
	}
	rightWords = map[string]string{
		calls.RightExhibition:  "Exhibition: show the images in an exhibition",
		calls.RightPublication: "Publication: show the winners on the results page and in publications",
		calls.RightPromotion:   "Promotion: use the images to promote the call and the organization",
	}
	sharedWords = map[string]string{
		calls.ShareName:  "The entrant's name",
		calls.ShareEmail: "The entrant's e-mail address",
	}
	formatWords = map[string]string{
		"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF", "webp": "WebP", "heif": "HEIF", "avif": "AVIF",
	}
	requestStateWords = map[string]string{
		calls.RequestPending:   "Waiting for the photographer",
		calls.RequestApproved:  "Approved",
		calls.RequestDeclined:  "Declined",
		calls.RequestWithdrawn: "Release withdrawn",
	}
)

func orgOptionLabel(opts []option, value string) string {
	for _, o := range opts {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

// settingsOf fills the settings form from the call as it is.
func settingsOf(c calls.Call) callForm {
	f := callForm{Title: c.Title, Description: c.Description, OpensAt: orgLocalInput(c.OpensAt, c.TimeZone),
		Deadline: orgLocalInput(c.Deadline, c.TimeZone), TimeZone: c.TimeZone, Categories: strings.Join(c.Categories, "\n"),
		EntriesPerEntrant: strconv.Itoa(c.Limits.EntriesPerEntrant), ImagesPerEntry: strconv.Itoa(c.Limits.ImagesPerEntry),
		MaxFileMB: strconv.FormatInt(c.Limits.MaxFileBytes>>20, 10), MinLongEdge: strconv.Itoa(c.Requirements.MinLongEdge),
		ColorProfile: c.Requirements.ColorProfile, Orientation: string(c.Requirements.Orientation), Visibility: string(c.Visibility)}
	f.Formats = formatChecks(c.Requirements.Formats)
	var names []string
	for _, o := range f.Formats {
		if o.Checked {
			names = append(names, o.Label)
		}
	}
	f.FormatNames = strings.Join(names, ", ")
	return f
}

func formatChecks(chosen []string) []orgCheck {
	out := make([]orgCheck, 0, len(calls.Formats))
	for _, v := range calls.Formats {
		out = append(out, orgCheck{Value: v, Label: formatWords[v], Checked: slices.Contains(chosen, v)})
	}
	return out
}

// termsOf fills the terms form from a terms version.
func termsOf(t calls.Terms) termsForm {
	return termsForm{Body: t.Body, Rights: rightChecks(t.Rights), Shared: sharedChecks(t.SharedData),
		Version: t.Version, SHA256: t.SHA256, Text: t.Text, Published: !t.PublishedAt.IsZero(), NextVersion: t.Version + 1}
}

func rightChecks(chosen []string) []orgCheck {
	out := make([]orgCheck, 0, len(calls.OptionalRights))
	for _, v := range calls.OptionalRights {
		out = append(out, orgCheck{Value: v, Label: rightWords[v], Checked: slices.Contains(chosen, v)})
	}
	return out
}

func sharedChecks(chosen []string) []orgCheck {
	out := []orgCheck{}
	for _, v := range []string{calls.ShareName, calls.ShareEmail} {
		out = append(out, orgCheck{Value: v, Label: sharedWords[v], Checked: slices.Contains(chosen, v)})
	}
	return out
}

// showCallManage shows the management page to the call's managers and
// viewers.
func (p *Pages) showCallManage(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	from := r.URL.Query().Get("from_round")
	return p.renderCallManage(w, r, g, http.StatusOK, p.takeFlash(w, r), func(d *callManageData) {
		if from != "" {
			d.Round.FromRound = from
		}
	})
}

// renderCallManage loads what g may see of the call, lets edit adjust
// the data for the form just submitted, and renders the page.
func (p *Pages) renderCallManage(w http.ResponseWriter, r *http.Request, g calls.CallGrant, status int, flash string, edit func(*callManageData)) error {
	ctx := r.Context()
	c := g.Call
	now := time.Now()
	st := c.Effective(now)
	manages := g.Manages()
	d := callManageData{ID: c.ID, Title: c.Title, OrgID: g.Org.ID, OrgName: g.Org.Name, State: string(st), StateName: orgCallStates[st],
		ReadOnly: !manages, Draft: c.State == calls.StateDraft, Deadline: orgTime(c.Deadline, c.TimeZone),
		Opens: orgTime(c.OpensAt, c.TimeZone), Public: c.State != calls.StateDraft,
		CanEdit: manages && (st == calls.StateDraft || st == calls.StateOpen), Locked: c.State != calls.StateDraft,
		Settings: settingsOf(c), Terms: termsOf(g.Terms), HasCover: c.CoverRef != "",
		CanPublish:        manages && c.State == calls.StateDraft,
		CanAward:          manages && (c.State == calls.StateJudging || c.State == calls.StateResults),
		CanRound:          manages && (st == calls.StateClosed || st == calls.StateJudging),
		Round:             roundForm{Unit: string(calls.UnitEntry), Mode: string(calls.ModeStarsAvg), Blind: true},
		CanPublishResults: manages && c.State == calls.StateJudging,
		Orientations:      orientationOptions, Visibilities: visibilityOptions, Awards: awardOptions, Units: unitOptions, Modes: modeOptions,
	}
	d.Terms.Editable = d.CanEdit

	versions, err := p.opts.Calls.TermsVersions(ctx, g)
	if err != nil {
		return orgsError(err)
	}
	for i := len(versions) - 1; i >= 0; i-- {
		t := versions[i]
		row := termsRow{Version: t.Version, SHA256: t.SHA256, Current: t.Version == g.Terms.Version, Published: "not published yet"}
		if !t.PublishedAt.IsZero() {
			row.Published = "published " + exact(t.PublishedAt)
		}
		d.TermsVersions = append(d.TermsVersions, row)
	}

	t, err := p.opts.Calls.Totals(ctx, g)
	if err != nil {
		return orgsError(err)
	}
	d.Totals = callTotals{Entries: t.Entries, Drafts: t.Drafts, Withdrawn: t.Withdrawn, Entrants: t.Entrants, Images: t.Images, StaleTerms: t.StaleTerms}
	for cat, n := range t.ByCategory {
		if cat != "" {
			d.Totals.ByCategory = append(d.Totals.ByCategory, orgCategoryCount{Category: cat, Count: n})
		}
	}
	slices.SortFunc(d.Totals.ByCategory, func(a, b orgCategoryCount) int { return strings.Compare(a.Category, b.Category) })

	if manages {
		sums, err := p.opts.Calls.EntrySummaries(ctx, g)
		if err != nil {
			return orgsError(err)
		}
		reqs, err := p.opts.Calls.OriginalsRequests(ctx, g)
		if err != nil {
			return orgsError(err)
		}
		names := map[string]string{}
		for _, e := range sums {
			row := manageEntryRow{ID: e.ID, Number: e.Number, Title: e.Title, Category: e.Category, Images: e.Images,
				Submitted: inZone(e.SubmittedAt, c.TimeZone).Text, TermsVersion: e.TermsVersion, StaleTerms: e.TermsVersion != c.TermsVersion,
				Award: e.Award, Name: e.Name, Email: e.Email, Finalist: e.Finalist}
			for _, rq := range reqs {
				if rq.EntryID == e.ID && rq.State != calls.RequestDeclined {
					row.Requested++
				}
			}
			d.Entries = append(d.Entries, row)
			names[e.ID] = "#" + strconv.Itoa(e.Number) + " " + e.Title
		}
		for _, rq := range reqs {
			row := originalsRow{ID: rq.ID, Entry: names[rq.EntryID], Image: "image " + orgShortRef(rq.ImageID), State: rq.State,
				StateName: requestStateWords[rq.State], Requested: exact(rq.RequestedAt)}
			if row.Entry == "" {
				row.Entry = "an entry withdrawn since"
			}
			if !rq.DecidedAt.IsZero() {
				row.Decided = exact(rq.DecidedAt)
			}
			if rq.State == calls.RequestApproved {
				row.DownloadURL = "/api/v1/calls/" + c.ID + "/originals-requests/" + rq.ID + "/original"
			}
			d.Requests = append(d.Requests, row)
		}
	}

	rounds, err := p.opts.Calls.Rounds(ctx, g)
	if err != nil {
		return orgsError(err)
	}
	for _, rd := range rounds {
		d.Rounds = append(d.Rounds, manageRoundRow{ID: rd.ID, Number: rd.Number, Name: rd.Name,
			Unit: orgOptionLabel(unitOptions, string(rd.Unit)), Mode: orgOptionLabel(modeOptions, string(rd.Mode)),
			State: rd.State, Blind: rd.Blind, Created: exact(rd.CreatedAt)})
		if rd.State == calls.RoundClosed {
			d.FromRounds = append(d.FromRounds, option{Value: rd.ID, Label: "Round " + strconv.Itoa(rd.Number) + ": " + rd.Name + " (its shortlist)"})
		}
	}

	if edit != nil {
		edit(&d)
	}
	d.Zones = orgZoneOptions(d.Settings.TimeZone)
	v := p.newView(r, "call-manage", "Manage “"+c.Title+"”", d)
	v.Nav = "orgs"
	v.Flash = flash
	if manages {
		v.Script = "manage.js"
	}
	return p.render(w, status, "call_manage", v)
}

// orgShortRef is the first block of an id: enough to tell images apart in a
// list, and no file name.
func orgShortRef(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// callManageSample is the data New checks the management template with:
// every branch filled.
func callManageSample() callManageData {
	f := settingsOf(calls.Call{TimeZone: "UTC", Categories: []string{"x"}})
	f.TitleError, f.DescriptionError, f.ScheduleError, f.CategoriesError = "x", "x", "x", "x"
	f.LimitsError, f.RequirementsError, f.VisibilityError, f.Error = "x", "x", "x", "x"
	tf := termsOf(calls.Terms{Version: 1, Rights: []string{"judging"}})
	tf.Published, tf.Editable, tf.Error = true, true, "x"
	return callManageData{ID: "x", Draft: true, Public: true, CanEdit: true, Locked: true, Settings: f, Terms: tf,
		TermsVersions: []termsRow{{Version: 1, Current: true}}, HasCover: true, CoverError: "x",
		CanPublish: true, PublishError: "x",
		Totals:   callTotals{ByCategory: []orgCategoryCount{{"x", 1}}, StaleTerms: 1},
		Entries:  []manageEntryRow{{ID: "e", Finalist: true, StaleTerms: true, Name: "x", Email: "x", Error: "x", Requested: 1}},
		CanAward: true,
		Requests: []originalsRow{{ID: "r", DownloadURL: "/x", Decided: "x"}},
		Rounds:   []manageRoundRow{{ID: "r", Blind: true, State: calls.RoundOpen}},
		CanRound: true, Round: roundForm{NameError: "x", JurorsError: "x", FromError: "x", Error: "x", Blind: true},
		FromRounds: []option{{"r", "x"}}, CanPublishResults: true, ResultsError: "x",
		Zones: orgZoneOptions("UTC"), Orientations: orientationOptions, Visibilities: visibilityOptions, Awards: awardOptions,
		Units: unitOptions, Modes: modeOptions,
	}
}
