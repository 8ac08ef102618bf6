package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/privacy"
)

// The privacy center: one page where a person exercises their rights —
// a copy of everything (export), who saw their images, what they agreed
// to (with receipts), and erasure with its grace period.
func (p *Pages) registerPrivacyCenter(rt *httpx.Router) {
	rt.Page("GET /account/privacy", access.Authenticated, p.showPrivacyCenter)
	p.registerNotifications(rt) // the optional e-mails (privacy_notifications.go)
	rt.Page("POST /account/privacy/export", access.Authenticated, p.requestPrivacyExport)
	rt.Page("POST /account/privacy/erase", access.Authenticated, p.requestErasure)
	rt.Page("POST /account/privacy/erase/cancel", access.Authenticated, p.cancelErasure)
	rt.Page("POST /account/privacy/restrict", access.Authenticated, p.restrictProcessing)
	rt.Page("POST /account/privacy/restrict/lift", access.Authenticated, p.liftRestriction)
}

// whoSawLimit bounds the views listed on the page.
const whoSawLimit = 200

type privacyCenterData struct {
	Export       *exportRow
	ExportError  string
	Views        []viewRow
	Consents     []consentLink
	Erasure      *erasureRow
	EraseForm    reauthFields
	Restricted   *restrictionRow // nil while processing is not restricted
	LiftForm     reauthFields
	Grace        string
	GraceNone    bool
	PrivacyPage  string
	SecurityPage string

	// Notifications is the consent to the optional e-mails
	// (privacy_notifications.go); nil when the instance has none.
	Notifications *notificationsRow
}

type exportRow struct {
	State    string // pending, building, ready, downloaded, expired, failed
	Created  string
	Expires  string
	Size     string
	Download string // the single-use link, when ready
}

type viewRow struct {
	At      string
	Who     string
	Via     string
	Action  string
	AssetID string
}

type consentLink struct {
	ID, Kind, Call, At, Withdrawn string
}

type restrictionRow struct {
	Since string
	ISO   string
}

type erasureRow struct {
	EraseAt string
	ISO     string
	Left    string // the countdown: "7 days left"
}

func (p *Pages) privacyCenterData(r *http.Request) (privacyCenterData, error) {
	ctx := r.Context()
	pr := principal(r)
	d := privacyCenterData{PrivacyPage: "/privacy", SecurityPage: "/account#activity"}
	if p.opts.Exports != nil {
		st, err := p.opts.Exports.Latest(ctx, pr)
		switch {
		case err == nil:
			row := &exportRow{State: string(st.State), Created: st.CreatedAt.UTC().Format(time.DateTime + " UTC")}
			if !st.ExpiresAt.IsZero() {
				row.Expires = st.ExpiresAt.UTC().Format(time.DateTime + " UTC")
			}
			if st.Size > 0 {
				row.Size = humanBytes(st.Size)
			}
			if st.Link != "" {
				row.Download = "/api/v1/exports/" + st.Link
			}
			d.Export = row
		case errors.Is(err, privacy.ErrExportNotFound):
		default:
			return d, err
		}
	}
	evs, err := p.opts.Library.WhoSaw(ctx, pr.UserID, whoSawLimit)
	if err != nil {
		return d, err
	}
	for _, e := range evs {
		d.Views = append(d.Views, viewRow{At: e.At.UTC().Format(time.DateTime + " UTC"), Who: e.ActorLabel, Via: viaWords(e.Via), Action: e.Action, AssetID: e.AssetID})
	}
	if p.opts.Ledger != nil && p.opts.Calls != nil {
		cs, err := p.opts.Ledger.Consents(ctx, pr.UserID)
		if err != nil {
			return d, err
		}
		titles := map[string]string{} // call id → title, each call read once
		for _, c := range cs {
			cl := consentLink{ID: c.ID, Kind: consentKinds[c.Kind], At: c.At.UTC().Format(time.DateTime + " UTC")}
			if !c.WithdrawnAt.IsZero() {
				cl.Withdrawn = c.WithdrawnAt.UTC().Format(time.DateTime + " UTC")
			}
			if c.CallID != "" {
				title, ok := titles[c.CallID]
				if !ok {
					if cv, err := p.opts.Calls.Consent(ctx, pr, c.ID); err == nil {
						title = cv.Call.Title
					}
					titles[c.CallID] = title
				}
				cl.Call = title
			}
			d.Consents = append(d.Consents, cl)
		}
	}
	if d.Notifications, err = p.notificationsSection(ctx, pr.UserID); err != nil {
		return d, err
	}
	if p.opts.Erasure != nil {
		e, scheduled, err := p.opts.Erasure.Scheduled(ctx, pr.UserID)
		if err != nil {
			return d, err
		}
		if scheduled {
			d.Erasure = &erasureRow{EraseAt: e.EraseAt.UTC().Format("Monday 2 January 2006, 15:04 UTC"), ISO: e.EraseAt.UTC().Format(time.RFC3339),
				Left: timeLeft(e.EraseAt, time.Now())}
		}
		g := p.opts.Erasure.Grace()
		d.GraceNone = g == 0
		d.Grace = graceWords(g)
	}
	st, err := p.opts.Auth.MFAStatus(ctx, pr.UserID)
	if err != nil {
		return d, err
	}
	d.EraseForm = newReauthFields("erase", st, p.opts.Auth.PasskeysEnabled())
	d.LiftForm = newReauthFields("lift", st, p.opts.Auth.PasskeysEnabled())
	u, err := p.opts.Auth.User(ctx, pr.UserID)
	if err != nil {
		return d, err
	}
	if u.Restricted() {
		d.Restricted = &restrictionRow{Since: u.RestrictedAt.UTC().Format("Monday 2 January 2006, 15:04 UTC"), ISO: u.RestrictedAt.UTC().Format(time.RFC3339)}
	}
	return d, nil
}

// viaWords says through what a view happened; an access-log entry's
// Via is "kind:id" (library.Viewer).
func viaWords(via string) string {
	kind, _, _ := strings.Cut(via, ":")
	switch kind {
	case "member":
		return "a project shared with them"
	case "link":
		return "a review link"
	case "round":
		return "a jury round"
	case "call":
		return "a call's results page"
	case "originals":
		return "an originals release"
	}
	return via
}

// timeLeft words the time until an erasure runs, rounded to the unit
// people count it in ("7 days left", "5 hours left").
func timeLeft(at, now time.Time) string {
	d := at.Sub(now)
	switch {
	case d < time.Minute:
		return "less than a minute left"
	case d < time.Hour:
		return count(int(d.Round(time.Minute)/time.Minute), "minute") + " left"
	case d < 48*time.Hour:
		return count(int(d.Round(time.Hour)/time.Hour), "hour") + " left"
	}
	return count(int(d.Round(24*time.Hour)/(24*time.Hour)), "day") + " left"
}

// graceWords says a grace period in days or hours.
func graceWords(g time.Duration) string {
	switch {
	case g <= 0:
		return "at once"
	case g%(24*time.Hour) == 0:
		if g == 24*time.Hour {
			return "1 day"
		}
		return strconv.Itoa(int(g/(24*time.Hour))) + " days"
	default:
		return g.Round(time.Minute).String()
	}
}

func (p *Pages) showPrivacyCenter(w http.ResponseWriter, r *http.Request) error {
	return p.renderPrivacyCenter(w, r, http.StatusOK, nil)
}

func (p *Pages) renderPrivacyCenter(w http.ResponseWriter, r *http.Request, status int, edit func(*privacyCenterData)) error {
	flash := p.takeFlash(w, r)
	d, err := p.privacyCenterData(r)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(&d)
	}
	v := p.newView(r, "privacy_center", "Your privacy", d)
	v.Nav, v.Flash = "account", flash
	if d.EraseForm.Passkey {
		v.Script = "passkey.js" // confirm the erasure or the lifting with a passkey
	}
	return p.render(w, status, "privacy_center", v)
}

func (p *Pages) requestPrivacyExport(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if p.opts.Exports == nil {
		return httpx.NotFound()
	}
	if _, err := p.opts.Exports.Request(r.Context(), principal(r)); err != nil {
		return err
	}
	p.opts.Exports.Kick() // build now rather than at the next minute's run
	return p.redirectWithFlash(w, r, "/account/privacy#export", "privacy-export-requested")
}

func (p *Pages) requestErasure(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if p.opts.Erasure == nil {
		return httpx.NotFound()
	}
	_, err := p.opts.Erasure.Request(r.Context(), principal(r), reauthFrom(r, "password"), client(r))
	if err != nil {
		return p.privacyReauthFailed(w, r, err, func(d *privacyCenterData) *reauthFields { return &d.EraseForm })
	}
	return p.redirectWithFlash(w, r, "/account/privacy#erase", "privacy-erasure-scheduled")
}

func (p *Pages) cancelErasure(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if p.opts.Erasure == nil {
		return httpx.NotFound()
	}
	if err := p.opts.Erasure.Cancel(r.Context(), principal(r), client(r)); err != nil && !errors.Is(err, privacy.ErrNoErasure) {
		return err
	}
	return p.redirectWithFlash(w, r, "/account/privacy#erase", "privacy-erasure-cancelled")
}

// restrictProcessing switches the restriction of processing on (Art. 18).
func (p *Pages) restrictProcessing(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := p.opts.Auth.Restrict(r.Context(), principal(r), client(r)); err != nil {
		return err
	}
	return p.redirectWithFlash(w, r, "/account/privacy#restrict", "privacy-restricted")
}

// liftRestriction lifts it after the re-authentication in the form.
func (p *Pages) liftRestriction(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := p.opts.Auth.LiftRestriction(r.Context(), principal(r), reauthFrom(r, "password"), client(r)); err != nil {
		return p.privacyReauthFailed(w, r, err, func(d *privacyCenterData) *reauthFields { return &d.LiftForm })
	}
	return p.redirectWithFlash(w, r, "/account/privacy#restrict", "privacy-restriction-lifted")
}

// privacyReauthFailed shows the privacy center again with a failed
// re-authentication's message at the form that asked for it; any other
// error goes to the router.
func (p *Pages) privacyReauthFailed(w http.ResponseWriter, r *http.Request, err error, form func(*privacyCenterData) *reauthFields) error {
	var f reauthFields
	status, ok := reauthProblem(w, err, &f)
	if !ok {
		return err
	}
	return p.renderPrivacyCenter(w, r, status, func(d *privacyCenterData) {
		fd := form(d)
		fd.PasswordError, fd.OTPError, fd.PasskeyError = f.PasswordError, f.OTPError, f.PasskeyError
	})
}

func init() {
	flashes["privacy-restricted"] = "Processing of your data is restricted. Your shares, review links and call entries are paused for everyone else until you lift it."
	flashes["privacy-restriction-lifted"] = "The restriction is lifted. Your shares, review links and call entries work again."
	flashes["privacy-export-requested"] = "Your export is being prepared. It appears here when it is ready; this takes a minute or more for a large library."
	flashes["privacy-erasure-scheduled"] = "Your account is scheduled for erasure. You can cancel until the date shown."
	flashes["privacy-erasure-cancelled"] = "The erasure is cancelled. Nothing was removed."
	// Checked at start like every page (pageSamples in web.go).
	pageSamples["privacy_center"] = privacyCenterData{Export: &exportRow{Download: "/x", Expires: "x", Size: "x"}, ExportError: "x",
		Views: []viewRow{{}}, Consents: []consentLink{{Withdrawn: "x"}}, Erasure: &erasureRow{}, EraseForm: reauthFields{Code: true, Passkey: true},
		Restricted: &restrictionRow{}, LiftForm: reauthFields{Code: true, Passkey: true},
		Notifications: &notificationsRow{Paragraphs: []string{"x"}, ConsentID: "x", Error: "x"}}
}
