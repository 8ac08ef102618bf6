package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// The staff console at /staff: one page whose sections follow the
// caller's roles — support finds accounts (and opens one at
// /staff/accounts/{id}: counts, disable, reset of second factors),
// security reads the audit log, the dpo keeps the breach register, an
// admin is pointed at the accounts page. Nothing on these pages is
// content: no image, file name or asset metadata, only accounts and
// numbers. While --staff-mfa=optional is set a banner says that staff
// sign in without a second factor.

// staffData is what the console shows.
type staffData struct {
	Roles          []string
	MFAOff         bool // --staff-mfa=optional
	Support        bool
	Query          string
	QueryError     string
	Found          []staffAccountRow
	Searched       bool
	Security       bool
	Filter         staffAuditFilter
	FilterError    string
	Events         []staffEventRow
	DPO            bool
	Requests       []staffRequestRow
	Breaches       []staffBreachRow
	BreachError    string
	Categories     []string
	Admin          bool
	Settings       []staffCount // the instance's settings, for an admin
	DetectedSample string       // a value for the form's placeholder
}

type staffAccountRow struct {
	ID, Name, Email, Joined string
	Staff, Disabled         bool
}

type staffAuditFilter struct {
	Type, Actor, Subject string
}

type staffEventRow struct {
	At, Type, Label, Actor, Subject, IP, Details string
}

type staffRequestRow struct {
	Kind, Email, State, Requested, Due string
}

type staffBreachRow struct {
	ID, Description, Measures, Detected, Reported, Notified string
	Categories                                              string
	Affected                                                int
}

// registerStaff adds the console and its forms (staff.go and
// staff_account.go).
func (p *Pages) registerStaff(rt *httpx.Router) {
	rt.Page("GET /staff", access.Staff, p.showStaff)
	rt.Page("GET /staff/accounts/{id}", access.Support, p.showStaffAccount)
	rt.Page("POST /staff/accounts/{id}/disable", access.Support, p.disableStaffAccount)
	rt.Page("POST /staff/accounts/{id}/mfa-reset", access.Support, p.resetStaffAccountMFA)
	rt.Page("POST /staff/breaches", access.DPO, p.recordStaffBreach)
}

func (p *Pages) showStaff(w http.ResponseWriter, r *http.Request) error {
	return p.renderStaff(w, r, http.StatusOK, "")
}

// renderStaff renders the console, with a refusal of the breach form.
func (p *Pages) renderStaff(w http.ResponseWriter, r *http.Request, status int, breachErr string) error {
	noReferrer(w)
	ctx, pr, q := r.Context(), principal(r), r.URL.Query()
	d := staffData{MFAOff: p.opts.Auth.Config().StaffMFA == auth.MFAOptional, Support: pr.Has(access.RoleSupport),
		Security: pr.Has(access.RoleSecurity), DPO: pr.Has(access.RoleDPO), Admin: pr.Has(access.RoleAdmin),
		Categories: auth.BreachDataCategories, BreachError: breachErr, DetectedSample: time.Now().UTC().Format("2006-01-02T15:04")}
	for _, role := range pr.Roles {
		d.Roles = append(d.Roles, string(role))
	}
	if d.Support && q.Has("q") {
		d.Query, d.Searched = q.Get("q"), true
		found, err := p.opts.Auth.FindAccounts(ctx, pr, d.Query)
		switch {
		case errors.Is(err, auth.ErrSearchTooShort):
			d.QueryError = sentence(err.Error())
		case err != nil:
			return err
		}
		for _, a := range found {
			d.Found = append(d.Found, staffAccountRow{ID: a.User.ID, Name: a.User.Name, Email: a.User.Email,
				Joined: dateOnly(a.User.CreatedAt), Staff: len(a.User.Roles) > 0, Disabled: a.User.Disabled()})
		}
	}
	if d.Security {
		d.Filter = staffAuditFilter{Type: q.Get("type"), Actor: q.Get("actor"), Subject: q.Get("subject")}
		ev, err := p.opts.Auth.AuditLog(ctx, pr, auth.AuditFilter{Type: audit.Type(d.Filter.Type), ActorID: d.Filter.Actor,
			SubjectID: d.Filter.Subject, Limit: 100}, client(r))
		switch {
		case errors.Is(err, auth.ErrInvalidAccountID):
			d.FilterError = "Actor and subject are account ids."
		case err != nil:
			return err
		}
		for _, e := range ev {
			d.Events = append(d.Events, staffEventRow{At: exact(e.At), Type: string(e.Type), Label: staffEventLabel(e.Type),
				Actor: e.ActorID, Subject: e.SubjectID, IP: e.IP, Details: detailsText(e.Details)})
		}
	}
	if d.DPO {
		reqs, err := p.opts.Auth.DataSubjectRequests(ctx, pr)
		if err != nil {
			return err
		}
		for _, q := range reqs {
			row := staffRequestRow{Kind: q.Kind, Email: q.Email, State: q.State, Requested: exact(q.RequestedAt)}
			if !q.DueAt.IsZero() {
				row.Due = exact(q.DueAt)
			}
			d.Requests = append(d.Requests, row)
		}
		list, err := p.opts.Auth.Breaches(ctx, pr)
		if err != nil {
			return err
		}
		for _, b := range list {
			row := staffBreachRow{ID: b.ID, Description: b.Description, Measures: b.Measures, Detected: exact(b.DetectedAt),
				Reported: "not yet", Notified: "not yet", Categories: strings.Join(b.DataCategories, ", "), Affected: len(b.AffectedAccounts)}
			if !b.ReportedAt.IsZero() {
				row.Reported = exact(b.ReportedAt)
			}
			if !b.SubjectsNotifiedAt.IsZero() {
				row.Notified = exact(b.SubjectsNotifiedAt)
			}
			d.Breaches = append(d.Breaches, row)
		}
	}
	if d.Admin {
		signup, err := p.opts.Auth.EffectiveSignupPolicy(ctx)
		if err != nil {
			return err
		}
		if d.Settings, err = p.instanceSettings(ctx, signup); err != nil {
			return err
		}
	}
	v := p.newView(r, "staff", "Staff console", d)
	v.Nav = "staff"
	return p.render(w, status, "staff", v)
}

// instanceSettings lists the settings an admin is asked about most, as
// the server runs with them (they are set in its configuration, so the
// console shows them and changes none).
func (p *Pages) instanceSettings(ctx context.Context, signup auth.SignupPolicy) ([]staffCount, error) {
	cfg := p.opts.Auth.Config()
	staffMFA, mfa := "Required", "Optional"
	if cfg.StaffMFA == auth.MFAOptional {
		staffMFA = "Optional (--staff-mfa=optional): for local evaluation only"
	}
	if cfg.MFA == auth.MFARequired {
		mfa = "Required for every account"
	}
	out := []staffCount{
		{"Sign-up", map[auth.SignupPolicy]string{auth.SignupOpen: "Open to anyone", auth.SignupInvite: "By invitation",
			auth.SignupClosed: "Closed"}[signup]},
		{"Two-step sign-in for staff", staffMFA},
		{"Two-step sign-in for others", mfa},
		{"Sessions end after", graceWords(cfg.SessionIdle) + " unused, " + graceWords(cfg.SessionMaxAge) + " at most"},
		{"Largest upload", humanBytes(p.opts.Library.Config().MaxUploadBytes)},
		{"Trash kept for", graceWords(p.opts.Library.Config().TrashRetention)},
	}
	if p.opts.Erasure != nil {
		out = append(out, staffCount{"Erasure grace period", graceWords(p.opts.Erasure.Grace())})
	}
	if p.opts.RootKey != nil {
		v, pending, err := p.opts.RootKey(ctx)
		if err != nil {
			return nil, err
		}
		state := "every stored key is wrapped with it"
		if pending {
			state = "some stored keys are still wrapped with an older version: once every server has this key file, run safelight root-key rewrap"
		}
		out = append(out, staffCount{"Root key", fmt.Sprintf("Version %d; %s", v, state)})
	}
	return out, nil
}

// detailsText writes an event's details as "key: value" pairs, sorted.
func detailsText(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + d[k]
	}
	return strings.Join(parts, " · ")
}

// recordStaffBreach adds an entry to the breach register from the
// console's form; affected accounts are ids, one per line or comma.
func (p *Pages) recordStaffBreach(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpx.BadRequest(errors.New("the form could not be read"))
	}
	in := auth.BreachInput{Description: r.PostForm.Get("description"), Measures: r.PostForm.Get("measures"),
		DataCategories: r.PostForm["category"]}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"detected_at", &in.DetectedAt}, {"reported_at", &in.ReportedAt}} {
		if v := strings.TrimSpace(r.PostForm.Get(f.name)); v != "" {
			t, err := time.Parse("2006-01-02T15:04", v)
			if err != nil {
				return p.renderStaff(w, r, http.StatusBadRequest, "Times are a date and time such as "+time.Now().UTC().Format("2006-01-02T15:04")+" (UTC).")
			}
			*f.dst = t
		}
	}
	for _, id := range strings.FieldsFunc(r.PostForm.Get("accounts"), func(c rune) bool { return c == ',' || c == '\n' || c == '\r' || c == ' ' }) {
		in.AffectedAccounts = append(in.AffectedAccounts, id)
	}
	_, err := p.opts.Auth.RecordBreach(r.Context(), principal(r), in, client(r))
	if errors.Is(err, auth.ErrInvalidBreach) {
		return p.renderStaff(w, r, http.StatusBadRequest, sentence(err.Error()))
	} else if err != nil {
		return staffPageError(err)
	}
	http.Redirect(w, r, "/staff#breaches", http.StatusSeeOther)
	return nil
}

// staffPageError maps what a staff form cannot recover from.
func staffPageError(err error) error {
	if errors.Is(err, auth.ErrNotFound) || errors.Is(err, auth.ErrInvalidAccountID) {
		return httpx.NotFound()
	}
	return err
}

// isStaff reports whether p holds a role with a section in the staff
// console.
func isStaff(p *access.Principal) bool {
	return p.Has(access.RoleSupport) || p.Has(access.RoleDPO) || p.Has(access.RoleSecurity)
}
