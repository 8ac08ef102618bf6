package web

import (
	"errors"
	"net/http"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/httpx"
	"safelight/internal/library"
)

// The organization side of calls for entries: the caller's organizations
// (orgs_list.go), one organization with its members and calls
// (orgs_show.go), the management page of a call (calls_manage*.go), and
// the jury (jury_*.go). Package calls decides every grant; a page only
// translates. What the caller may not see is the page that does not exist,
// whatever the reason, so nothing can be probed. Forms follow
// Post/Redirect/Get; a refused form shows the page again with the reason
// beside the field.

// registerOrgPages adds the organization, call management and jury pages.
// Every one needs a signed-in caller.
func (p *Pages) registerOrgPages(rt *httpx.Router) {
	if p.opts.Calls == nil {
		return
	}
	rt.Page("GET /orgs", access.Authenticated, p.showOrgs)
	rt.Page("POST /orgs", access.Authenticated, p.createOrg)
	rt.Page("GET /orgs/{id}", access.Authenticated, p.withOrg(p.showOrg))
	rt.Page("POST /orgs/{id}/members", access.Authenticated, p.withOrg(p.addOrgMember))
	rt.Page("POST /orgs/{id}/members/{member}", access.Authenticated, p.withOrg(p.updateOrgMember))
	rt.Page("POST /orgs/{id}/members/{member}/remove", access.Authenticated, p.withOrg(p.removeOrgMember))
	rt.Page("POST /orgs/{id}/calls", access.Authenticated, p.withOrg(p.createOrgCall))

	rt.Page("GET /calls/{id}/manage", access.Authenticated, p.withManagedCall(p.showCallManage))
	rt.Page("POST /calls/{id}/manage/settings", access.Authenticated, p.withManagedCall(p.updateCallSettings))
	rt.Page("POST /calls/{id}/manage/terms", access.Authenticated, p.withManagedCall(p.updateCallTerms))
	rt.Page("POST /calls/{id}/manage/publish", access.Authenticated, p.withManagedCall(p.publishCall))
	rt.Page("POST /calls/{id}/manage/cover", access.Authenticated, p.withManagedCall(p.uploadCallCover))
	rt.Page("POST /calls/{id}/manage/entries/{entry}/award", access.Authenticated, p.withManagedCall(p.setCallAward))
	rt.Page("POST /calls/{id}/manage/entries/{entry}/originals", access.Authenticated, p.withManagedCall(p.requestCallOriginals))
	rt.Page("POST /calls/{id}/manage/rounds", access.Authenticated, p.withManagedCall(p.createCallRound))
	rt.Page("POST /calls/{id}/manage/results", access.Authenticated, p.withManagedCall(p.publishCallResults))

	rt.Page("GET /jury", access.Authenticated, p.showJury)
	rt.Page("GET /jury/{round}", access.Authenticated, p.withRound(p.showJuryRound))
	rt.Page("POST /jury/{round}/close", access.Authenticated, p.withRound(p.closeJuryRound))
	rt.Page("POST /jury/{round}/shortlist", access.Authenticated, p.withRound(p.shortlistJuryRound))
}

// orgPage, callPage and roundPage are handlers that run with the caller's
// grant.
type (
	orgPage   func(w http.ResponseWriter, r *http.Request, g calls.OrgGrant) error
	callPage  func(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error
	roundPage func(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error
)

// withOrg resolves the caller's membership of {id}: a non-member, or an
// account whose address is not verified, gets the page that does not
// exist.
func (p *Pages) withOrg(h orgPage) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := p.opts.Calls.OrgFor(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return orgsError(err)
		}
		return h(w, r, g)
	}
}

// withManagedCall resolves the caller's grant on call {id} and lets only
// its organization's managers and viewers through: for jurors, entrants
// and everyone else the management page does not exist.
func (p *Pages) withManagedCall(h callPage) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := p.opts.Calls.CallFor(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return orgsError(err)
		}
		if !g.Sees() {
			return httpx.NotFound()
		}
		if r.Method == http.MethodPost && !g.Manages() {
			// A viewer knows the call; its forms are not theirs.
			return orgsError(calls.ErrForbidden)
		}
		return h(w, r, g)
	}
}

// withRound resolves the caller's access to round {round}: invited
// jurors who are still members, and the call's managers.
func (p *Pages) withRound(h roundPage) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := p.opts.Calls.RoundFor(r.Context(), principal(r), r.PathValue("round"))
		if err != nil {
			return orgsError(err)
		}
		return h(w, r, g)
	}
}

// callsConflicts are refusals about the state of things rather than about
// one field: shown as an error page with their own words when no form
// shows them.
var callsConflicts = []error{
	calls.ErrDeadlinePassed, calls.ErrNotOpenYet, calls.ErrWrongState, calls.ErrRoundClosed,
	calls.ErrAlreadyDecided, calls.ErrEntrySubmitted, calls.ErrAlreadyMember, calls.ErrLastOwner,
	calls.ErrTooManyEntries, calls.ErrNoVoting, calls.ErrRecused, calls.ErrPreviousRound,
	calls.ErrNoCandidates, calls.ErrNotFinalist, calls.ErrUnverifiedEmail,
}

// callsSentinels are package calls' refusals whose messages are safe to
// show; the store may wrap them with its own words, which are not.
var callsSentinels = []error{
	calls.ErrForbidden, calls.ErrInvalidOrgName, calls.ErrInvalidRole, calls.ErrAlreadyMember, calls.ErrLastOwner,
	calls.ErrUnverifiedEmail, calls.ErrInvalidTitle, calls.ErrInvalidText, calls.ErrInvalidTerms, calls.ErrInvalidRight,
	calls.ErrInvalidShared, calls.ErrInvalidSchedule, calls.ErrDeadlinePast, calls.ErrInvalidCategories, calls.ErrInvalidLimits,
	calls.ErrInvalidRequire, calls.ErrInvalidVisibility, calls.ErrWrongState, calls.ErrNotOpenYet, calls.ErrDeadlinePassed,
	calls.ErrTermsNotAccepted, calls.ErrStaleTerms, calls.ErrTooManyEntries, calls.ErrImageCount, calls.ErrInvalidCategory,
	calls.ErrDuplicateImage, calls.ErrNotOwnAsset, calls.ErrEntrySubmitted, calls.ErrInvalidRound, calls.ErrPreviousRound,
	calls.ErrNoJurors, calls.ErrRoundClosed, calls.ErrNoVoting, calls.ErrInvalidScore, calls.ErrRecused, calls.ErrInvalidAward,
	calls.ErrNotFinalist, calls.ErrAlreadyDecided, calls.ErrNoCandidates, calls.ErrInvalidShortlist, calls.ErrInvalidCover,
	auth.ErrInvalidEmail,
}

// orgRefusal is err as a sentence to show beside a form: the words of the
// package calls refusal it is (the cover's size limit included), never a
// store's wrapping.
func orgRefusal(err error) string {
	for _, s := range callsSentinels {
		if errors.Is(err, s) {
			if errors.Is(err, calls.ErrInvalidCover) {
				return sentence(err.Error()) // package calls adds the size limit in its own words
			}
			return sentence(s.Error())
		}
	}
	return "That did not work. Please try again."
}

// orgsError maps package calls' refusals that no form field shows to
// error pages with safe messages.
func orgsError(err error) error {
	switch {
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, library.ErrNotFound):
		return httpx.NotFound()
	case errors.Is(err, calls.ErrForbidden):
		return &httpx.Error{Status: http.StatusForbidden, Message: calls.ErrForbidden.Error(), Cause: err}
	case errors.Is(err, auth.ErrInvalidEmail):
		return &httpx.Error{Status: http.StatusBadRequest, Message: auth.ErrInvalidEmail.Error(), Cause: err}
	}
	for _, c := range callsConflicts {
		if errors.Is(err, c) {
			return &httpx.Error{Status: http.StatusConflict, Message: c.Error(), Cause: err}
		}
	}
	return err
}

func orgURL(id string) string        { return "/orgs/" + id }
func callManageURL(id string) string { return "/calls/" + id + "/manage" }
func juryRoundURL(id string) string  { return "/jury/" + id }

// orgRoleWords name each organization role and say what it allows.
var orgRoleWords = map[calls.OrgRole][2]string{
	calls.RoleOwner:   {"Owner", "Runs the calls and decides who is a member."},
	calls.RoleManager: {"Manager", "Runs the calls: terms, rounds, results and originals requests."},
	calls.RoleJuror:   {"Juror", "Judges the rounds they are invited to."},
	calls.RoleViewer:  {"Viewer", "Reads the calls and their totals."},
}

func orgRoleName(r calls.OrgRole) string {
	if w, ok := orgRoleWords[r]; ok {
		return w[0]
	}
	return string(r)
}

func orgRoleAbility(r calls.OrgRole) string { return orgRoleWords[r][1] }

// orgCallStates say where a call is, by its effective state.
var orgCallStates = map[calls.State]string{
	calls.StateDraft:   "Draft",
	calls.StateOpen:    "Open for entries",
	calls.StateClosed:  "Closed: deadline passed",
	calls.StateJudging: "Judging",
	calls.StateResults: "Results published",
}

// orgZone is the call's time zone, or UTC when it cannot be loaded.
func orgZone(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}

// orgTime prints t in the call's time zone, naming the zone:
// "31 Mar 2026, 23:59 CEST (Europe/Paris)".
func orgTime(t time.Time, tz string) string {
	if t.IsZero() {
		return ""
	}
	loc := orgZone(tz)
	s := t.In(loc).Format("2 Jan 2006, 15:04 MST")
	if loc != time.UTC {
		s += " (" + loc.String() + ")"
	}
	return s
}

// orgLocalInput is t as a datetime-local field shows it, in the call's zone.
func orgLocalInput(t time.Time, tz string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(orgZone(tz)).Format("2006-01-02T15:04")
}

// orgZoneChoices are the time zones the forms offer without JavaScript
// (static/manage.js adds every zone the browser knows); the call's own
// zone is added when it is not among them.
var orgZoneChoices = []string{
	"UTC",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"Europe/Istanbul", "Europe/Kyiv", "Africa/Cairo", "Africa/Lagos", "Africa/Nairobi", "Africa/Johannesburg",
	"Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong",
	"Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
	"America/St_Johns", "America/Halifax", "America/New_York", "America/Chicago", "America/Denver",
	"America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
	"America/Mexico_City", "America/Bogota", "America/Lima", "America/Santiago", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires",
}

// orgZoneOptions lists orgZoneChoices, with current added when missing.
func orgZoneOptions(current string) []option {
	out := make([]option, 0, len(orgZoneChoices)+1)
	found := false
	for _, z := range orgZoneChoices {
		out = append(out, option{Value: z, Label: z})
		found = found || z == current
	}
	if !found && current != "" {
		out = append(out, option{Value: current, Label: current})
	}
	return out
}

// The notices after the organization, management and jury forms (see
// flash.go; the keys join its fixed list).
var orgFlashes = map[string]string{
	"org-created":              "The organization was created. Add the people who run its calls, then create a call.",
	"org-member-added":         "The member was added. Their role applies once they sign in with that address, confirmed.",
	"org-member-changed":       "Their role was changed. It applies at once.",
	"org-member-removed":       "They were removed from the organization, and from its rounds.",
	"org-left":                 "You left the organization.",
	"call-created":             "The call was created as a draft. Write its terms and check every field, then publish it.",
	"call-saved":               "The call was saved.",
	"call-terms-saved":         "The terms were saved. They are published with the call.",
	"call-terms-published":     "A new version of the terms was published. Entrants are asked to accept it again.",
	"call-terms-unchanged":     "The terms are unchanged: no new version was made.",
	"call-published":           "The call is published and open for entries from its opening date.",
	"call-cover-saved":         "The cover was saved.",
	"call-award-saved":         "The award was saved.",
	"call-originals-requested": "The photographer was asked for the originals. You can download each one once they approve it.",
	"call-results-published":   "The results are published.",
	"round-created":            "The round was created and the jurors were invited.",
	"round-closed":             "The round is closed: no more votes. Choose its shortlist.",
	"round-shortlisted":        "The shortlist was saved.",
}

func init() {
	for k, v := range orgFlashes {
		flashes[k] = v
	}
	// The templates of these pages are checked at start like the others
	// (see pageSamples in web.go), with every branch filled.
	pageSamples["orgs"] = orgsData{Orgs: []orgCard{{ID: "x"}}, NameError: "x", Rounds: 1}
	pageSamples["org"] = orgSample()
	pageSamples["call_manage"] = callManageSample()
	pageSamples["jury"] = juryListData{Rounds: []juryListRow{{ID: "x", Manager: true}, {ID: "y", Juror: true}}}
	pageSamples["jury_round"] = juryRoundSample()
}
