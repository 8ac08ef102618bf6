package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/access"
	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/httpx"
)

// registerStaff adds the routes of the operator's staff, each for one role
// (access.Support, DPO, Security): support looks accounts up, sees their
// counts, disables them and resets their second factors; security reads
// the audit log; dpo keeps the breach register. None of them returns
// content: no image, derivative, file name or asset metadata. Other
// callers, admins included, get 404; a personal access token gets 403
// (staff routes need a signed-in session, which had its second factor).
func (s *Server) registerStaff(rt *httpx.Router) {
	rt.API("GET /api/v1/staff/accounts", access.Support, s.staffFindAccounts)
	rt.API("GET /api/v1/staff/accounts/{id}", access.Support, s.staffAccount)
	rt.API("POST /api/v1/staff/accounts/{id}/disable", access.Support, s.staffDisable)
	rt.API("POST /api/v1/staff/accounts/{id}/mfa-reset", access.Support, s.staffResetMFA)
	rt.API("GET /api/v1/staff/audit-events", access.Security, s.staffAuditEvents)
	rt.API("GET /api/v1/staff/requests", access.DPO, s.staffRequests)
	rt.API("GET /api/v1/staff/breaches", access.DPO, s.staffBreaches)
	rt.API("POST /api/v1/staff/breaches", access.DPO, s.staffRecordBreach)
	rt.API("GET /api/v1/staff/breaches/{id}", access.DPO, s.staffBreach)
	rt.API("PUT /api/v1/staff/breaches/{id}", access.DPO, s.staffUpdateBreach)
}

// staffError maps the staff errors to answers with their messages.
func staffError(err error) error {
	switch {
	case errors.Is(err, auth.ErrIdentityCheckRequired), errors.Is(err, auth.ErrReasonRequired),
		errors.Is(err, auth.ErrSearchTooShort), errors.Is(err, auth.ErrInvalidBreach):
		return httpx.BadRequest(err)
	case errors.Is(err, auth.ErrStaffTarget):
		return &httpx.Error{Status: http.StatusForbidden, Message: err.Error(), Cause: err}
	}
	return adminError(err)
}

type accountCountsJSON struct {
	Assets        int   `json:"assets"`
	TrashedAssets int   `json:"trashed_assets"`
	Bytes         int64 `json:"bytes"`
	Projects      int   `json:"projects"`
	ReviewLinks   int   `json:"review_links"`
	Entries       int   `json:"entries"`
	Passkeys      int   `json:"passkeys"`
	TOTP          bool  `json:"totp"`
}

func (s *Server) staffFindAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Auth.FindAccounts(r.Context(), principal(r), r.URL.Query().Get("q"))
	if err != nil {
		return staffError(err)
	}
	items := make([]accountJSON, len(list))
	for i, a := range list {
		items[i] = toAccountJSON(a)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) staffAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Auth.StaffAccount(r.Context(), principal(r), r.PathValue("id"), client(r))
	if err != nil {
		return staffError(err)
	}
	c := a.Counts
	return httpx.WriteJSON(w, http.StatusOK, struct {
		accountJSON
		Counts accountCountsJSON `json:"counts"`
	}{toAccountJSON(a.AccountSummary), accountCountsJSON{Assets: c.Assets, TrashedAssets: c.TrashedAssets, Bytes: c.Bytes,
		Projects: c.Projects, ReviewLinks: c.ReviewLinks, Entries: c.Entries, Passkeys: c.Passkeys, TOTP: c.TOTP}})
}

func (s *Server) staffDisable(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	ended, err := s.Auth.SupportDisable(r.Context(), principal(r), id, req.Reason, client(r))
	if err != nil {
		return staffError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "disabled": true,
		"ended": map[string]int{"sessions": ended.Sessions, "tokens": ended.Tokens, "pending_logins": ended.PendingLogins}})
}

func (s *Server) staffResetMFA(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		IdentityCheck string `json:"identity_check"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := s.Auth.ResetMFA(r.Context(), principal(r), id, req.IdentityCheck, client(r))
	if err != nil {
		return staffError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "totp_removed": res.TOTP, "passkeys_removed": res.Passkeys,
		"ended": map[string]int{"sessions": res.Sessions, "tokens": res.Tokens}})
}

// staffEventJSON is an audit event as the security role reads it.
type staffEventJSON struct {
	ID        string            `json:"id"`
	At        time.Time         `json:"at"`
	Type      string            `json:"type"`
	ActorID   string            `json:"actor_id"`
	SubjectID string            `json:"subject_id"`
	IP        string            `json:"ip"`
	UserAgent string            `json:"user_agent"`
	Details   map[string]string `json:"details"`
}

// parseAuditFilter reads the audit log's filters from a query string:
// type, actor, subject, since and until (RFC 3339), limit.
func parseAuditFilter(q map[string][]string) (auth.AuditFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := auth.AuditFilter{Type: audit.Type(get("type")), ActorID: get("actor"), SubjectID: get("subject")}
	for k, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := get(k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, errors.New(k + ": not an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
			*dst = t
		}
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, errors.New("limit: a number from 1 to 500")
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) staffAuditEvents(w http.ResponseWriter, r *http.Request) error {
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		return httpx.BadRequest(err)
	}
	ev, err := s.Auth.AuditLog(r.Context(), principal(r), f, client(r))
	if err != nil {
		return staffError(err)
	}
	items := make([]staffEventJSON, len(ev))
	for i, e := range ev {
		items[i] = staffEventJSON{ID: e.ID, At: e.At, Type: string(e.Type), ActorID: e.ActorID, SubjectID: e.SubjectID,
			IP: e.IP, UserAgent: e.UserAgent, Details: e.Details}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// breachJSON is an entry of the breach register; optional times are null
// until set.
type breachJSON struct {
	ID                 string     `json:"id"`
	Description        string     `json:"description"`
	Measures           string     `json:"measures"`
	DetectedAt         time.Time  `json:"detected_at"`
	ReportedAt         *time.Time `json:"reported_at"`
	SubjectsNotifiedAt *time.Time `json:"subjects_notified_at"`
	DataCategories     []string   `json:"data_categories"`
	AffectedAccounts   []string   `json:"affected_accounts"`
	RecordedBy         string     `json:"recorded_by"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toBreachJSON(b auth.Breach) breachJSON {
	return breachJSON{ID: b.ID, Description: b.Description, Measures: b.Measures, DetectedAt: b.DetectedAt,
		ReportedAt: optionalTime(b.ReportedAt), SubjectsNotifiedAt: optionalTime(b.SubjectsNotifiedAt),
		DataCategories: b.DataCategories, AffectedAccounts: b.AffectedAccounts, RecordedBy: b.RecordedBy,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

// readBreach reads a register entry from the request body.
func readBreach(w http.ResponseWriter, r *http.Request) (auth.BreachInput, error) {
	var req struct {
		Description        string     `json:"description"`
		Measures           string     `json:"measures"`
		DetectedAt         time.Time  `json:"detected_at"`
		ReportedAt         *time.Time `json:"reported_at"`
		SubjectsNotifiedAt *time.Time `json:"subjects_notified_at"`
		DataCategories     []string   `json:"data_categories"`
		AffectedAccounts   []string   `json:"affected_accounts"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return auth.BreachInput{}, err
	}
	in := auth.BreachInput{Description: req.Description, Measures: req.Measures, DetectedAt: req.DetectedAt,
		DataCategories: req.DataCategories, AffectedAccounts: req.AffectedAccounts}
	if req.ReportedAt != nil {
		in.ReportedAt = *req.ReportedAt
	}
	if req.SubjectsNotifiedAt != nil {
		in.SubjectsNotifiedAt = *req.SubjectsNotifiedAt
	}
	return in, nil
}

func (s *Server) staffBreaches(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Auth.Breaches(r.Context(), principal(r))
	if err != nil {
		return staffError(err)
	}
	items := make([]breachJSON, len(list))
	for i, b := range list {
		items[i] = toBreachJSON(b)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) staffRecordBreach(w http.ResponseWriter, r *http.Request) error {
	in, err := readBreach(w, r)
	if err != nil {
		return err
	}
	b, err := s.Auth.RecordBreach(r.Context(), principal(r), in, client(r))
	if err != nil {
		return staffError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, toBreachJSON(b))
}

func (s *Server) staffBreach(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Auth.Breach(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return staffError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toBreachJSON(b))
}

func (s *Server) staffUpdateBreach(w http.ResponseWriter, r *http.Request) error {
	in, err := readBreach(w, r)
	if err != nil {
		return err
	}
	b, err := s.Auth.UpdateBreach(r.Context(), principal(r), r.PathValue("id"), in, client(r))
	if err != nil {
		return staffError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toBreachJSON(b))
}

// staffRequests lists the exports and erasures in progress for the dpo.
func (s *Server) staffRequests(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Auth.DataSubjectRequests(r.Context(), principal(r))
	if err != nil {
		return staffError(err)
	}
	type requestJSON struct {
		Kind        string     `json:"kind"`
		AccountID   string     `json:"account_id"`
		Email       string     `json:"email"`
		State       string     `json:"state"`
		RequestedAt time.Time  `json:"requested_at"`
		DueAt       *time.Time `json:"due_at"`
	}
	items := make([]requestJSON, len(list))
	for i, q := range list {
		items[i] = requestJSON{Kind: q.Kind, AccountID: q.AccountID, Email: q.Email, State: q.State, RequestedAt: q.RequestedAt, DueAt: optionalTime(q.DueAt)}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
