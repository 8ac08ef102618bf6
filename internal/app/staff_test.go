package app_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/app"
	"safelight/internal/httpx"
)

// staffWorld is a flowWorld (an organization, a call, photographers) with
// Erin's content in every place content lives — her library, a project
// of hers with a review link, an entry judged in a round, an original
// released to the organization — and one account per staff role, each
// with its second factor, plus an admin who is nothing else.
type staffWorld struct {
	*flowWorld
	staff   map[string]*client // "admin", "support", "dpo", "security"
	staffID map[string]string
	// ids fills a route's placeholders, keyed "literal/{name}" (the path
	// segment before the placeholder and its name).
	ids                map[string]string
	project, link      string
	linkToken          string
	call, entry, round string
	juryImage, consent string
	originals, erinID  string
	export             string // Erin's export (a ZIP of her originals)
	projectMember      string
	samEntry           string
}

// staffAccount creates an account with roles as "safelight user create
// --role" does, signs it in and enrols its second factor.
func staffAccount(t *testing.T, a *app.App, srv *httptest.Server, email string, roles ...access.Role) (*client, string) {
	t.Helper()
	u, err := a.Auth.CreateUser(t.Context(), email, "Staff "+email, password, roles)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	if r := c.must(403, "GET", "/api/v1/assets", nil); r.json["mfa_enrollment_required"] != true {
		t.Fatalf("%s without a second factor: GET /api/v1/assets = %s; want enrolment required", email, r.body)
	}
	mfaOf[srv.URL+" "+email] = enrolTOTP(t, c)
	return c, u.ID
}

// newStaffFlowWorld is newFlowWorld on an instance whose limit on wrong
// link secrets does not step in: the sweep below calls every link route
// with a wrong one, as every role, and wants the answer of the route
// rather than of the abuse limit.
func newStaffFlowWorld(t *testing.T) *flowWorld {
	t.Helper()
	a, srv := newServer(t, "--signup", "open", "--rate-limits", "bad-credentials=10000/15m,signup=10000/1h")
	w := &flowWorld{a: a, srv: srv, anon: newClient(t, srv)}
	w.owner = verifiedAccount(t, a, srv, "olga@example.com")
	w.manager = verifiedAccount(t, a, srv, "max@example.com")
	w.juror = verifiedAccount(t, a, srv, "jane@example.com")
	w.viewer = verifiedAccount(t, a, srv, "vic@example.com")
	w.erin = verifiedAccount(t, a, srv, "erin@example.com")
	w.sam = verifiedAccount(t, a, srv, "sam@example.com")
	w.org = w.owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Lisbon Photo Festival"}).json["id"].(string)
	o := "/api/v1/orgs/" + w.org
	w.owner.must(201, "POST", o+"/members", map[string]string{"email": "max@example.com", "role": "manager"})
	w.jurorMember = w.manager.must(201, "POST", o+"/members", map[string]string{"email": "jane@example.com", "role": "juror"}).json["id"].(string)
	w.manager.must(201, "POST", o+"/members", map[string]string{"email": "vic@example.com", "role": "viewer"})
	w.erinImg = uploadReady(t, w.erin, 11)
	w.erinImg2 = uploadReady(t, w.erin, 12)
	return w
}

func newStaffWorld(t *testing.T) *staffWorld {
	t.Helper()
	w := &staffWorld{flowWorld: newStaffFlowWorld(t), staff: map[string]*client{}, staffID: map[string]string{}}
	// Erin's project, with a member and a review link.
	w.project = w.erin.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Harbour selects"}).json["id"].(string)
	w.erin.must(200, "POST", "/api/v1/projects/"+w.project+"/assets", map[string]any{"asset_ids": []string{w.erinImg}})
	w.projectMember = w.erin.must(201, "POST", "/api/v1/projects/"+w.project+"/members",
		map[string]string{"email": "sam@example.com", "role": "reviewer", "download": "preview"}).json["user_id"].(string)
	link := w.erin.must(201, "POST", "/api/v1/projects/"+w.project+"/links", map[string]string{"download": "original"}).json
	w.link, w.linkToken = link["id"].(string), link["token"].(string)

	// Her entry to a call, judged blind by Jane, awarded, and an original
	// released to the organization.
	call := w.newCall(t, nil)
	w.call = call["id"].(string)
	_, sha, _ := flowTerms(t, call["terms"])
	c := "/api/v1/calls/" + w.call
	w.entry = w.erin.must(201, "POST", c+"/entries", map[string]any{"title": "Harbour at dawn", "category": "Landscape",
		"asset_ids": []string{w.erinImg, w.erinImg2}, "accept_terms_sha256": sha}).json["id"].(string)
	samImg := uploadReady(t, w.sam, 21)
	w.samEntry = w.sam.must(201, "POST", c+"/entries", map[string]any{"title": "Tram 28", "category": "Street",
		"asset_ids": []string{samImg}, "accept_terms_sha256": sha}).json["id"].(string)
	w.passDeadline()
	w.round = w.manager.must(201, "POST", c+"/rounds", map[string]any{"name": "First round", "mode": "stars_avg",
		"jurors": []string{"jane@example.com"}}).json["id"].(string)
	items := flowItems(t, w.juror.must(200, "GET", "/api/v1/rounds/"+w.round+"/entries", nil))
	w.juryImage = flowFind(items, "entry_id", w.entry)["images"].([]any)[0].(map[string]any)["id"].(string)
	w.manager.must(200, "PUT", c+"/entries/"+w.entry+"/award", map[string]string{"award": "winner"})
	imgs := flowEntryImages(t, w.erin, w.entry)
	w.manager.must(201, "POST", c+"/entries/"+w.entry+"/originals-requests", map[string]any{"image_ids": imgs[:1], "message": "For the print."})
	req := flowItems(t, w.erin.must(200, "GET", "/api/v1/me/originals-requests", nil))[0]
	w.originals = req["id"].(string)
	w.erin.must(200, "POST", "/api/v1/me/originals-requests/"+w.originals, map[string]bool{"approve": true})
	w.consent = flowFind(flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil)), "kind", "call_terms")["id"].(string)
	w.erinID = w.erin.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	w.export = w.erin.must(202, "POST", "/api/v1/me/export", nil).json["id"].(string)

	// The positive controls: the ids are right, the content is there for
	// those its owner granted it to.
	w.erin.must(200, "GET", "/api/v1/assets/"+w.erinImg+"/original", nil)
	w.sam.must(200, "GET", "/api/v1/projects/"+w.project+"/assets/"+w.erinImg+"/thumb", nil)
	w.anon.must(200, "GET", "/api/v1/links/"+w.linkToken+"/assets/"+w.erinImg+"/original", nil)
	w.juror.must(200, "GET", "/api/v1/rounds/"+w.round+"/entries/"+w.entry+"/images/"+w.juryImage+"/preview", nil)
	w.manager.must(200, "GET", c+"/originals-requests/"+w.originals+"/original", nil)

	for role, r := range map[string]access.Role{"admin": access.RoleAdmin, "support": access.RoleSupport, "dpo": access.RoleDPO, "security": access.RoleSecurity} {
		w.staff[role], w.staffID[role] = staffAccount(t, w.a, w.srv, role+"@staff.example", r)
	}

	w.ids = map[string]string{
		"assets/{id}":                  w.erinImg,
		"assets/{asset_id}":            w.erinImg,
		"library/{id}":                 w.erinImg,
		"projects/{id}":                w.project,
		"members/{member_id}":          w.projectMember,
		"links/{link_id}":              w.link,
		"links/{token}":                w.link, // see TestStaffSeeNoContent: staff can know ids, never the token
		"s/{token}":                    w.link,
		"calls/{id}":                   w.call,
		"entries/{entry}":              w.entry,
		"entries/{entry_id}":           w.entry,
		"entries/{id}":                 w.entry,
		"images/{image}":               w.juryImage,
		"images/{image_id}":            w.juryImage,
		"{image}/{kind}":               "preview",
		"rounds/{id}":                  w.round,
		"jury/{round}":                 w.round,
		"originals-requests/{request}": w.originals,
		"originals-requests/{id}":      w.originals,
		"consents/{id}":                w.consent,
		"export/{id}":                  w.export,
		"exports/{token}":              w.export, // the id, never the single-use download token
	}
	return w
}

// contentRoute selects the routes that serve or change content or the
// metadata of assets: anything under an asset, a project, a review link,
// a round, an entry, results images, originals, exports and ZIPs — every
// route with a placeholder whose path names one of those.
var contentRoute = regexp.MustCompile(`/(assets|library|projects|links|s|rounds|jury|entries|images|originals-requests|export|exports|export\.csv|zip)(/|$)`)

// notContent are the routes the selection above takes that serve no one's
// content but the caller's own, each with the reason. Growing it is a
// reviewed change.
var notContent = map[string]string{
	"POST /api/v1/calls/{id}/entries": "enters the caller's own photos in a public call",
	"POST /calls/{id}/enter":          "the same, from the call's page",
}

// sweepBodies are the bodies of the content routes that read their input
// before deciding the grant: each gets a valid one, so that it answers for
// the grant (Erin's own ids where an id is asked for). Other routes get an
// empty JSON object (API) or an empty form (pages).
func (w *staffWorld) sweepBodies() map[string]any {
	form := func(v url.Values) rawBody {
		return rawBody{ctype: "application/x-www-form-urlencoded", data: []byte(v.Encode())}
	}
	return map[string]any{
		"PATCH /api/v1/entries/{id}":                   map[string]any{"title": "Mine now"},
		"POST /api/v1/entries/{id}/submit":             map[string]any{"accept_terms_sha256": strings.Repeat("0", 64)},
		"POST /api/v1/me/originals-requests/{id}":      map[string]any{"approve": true},
		"POST /api/v1/links/{token}/unlock":            map[string]any{"password": "harbour lights"},
		"POST /s/{token}/unlock":                       form(url.Values{"password": {"harbour lights"}}),
		"POST /entries/originals-requests/{id}/decide": form(url.Values{"decision": {"approve"}}),
	}
}

// fill replaces each placeholder of path with the photographer's id for
// it; it fails the test on a placeholder it does not know, so that a new
// content route cannot be skipped silently.
func (w *staffWorld) fill(t *testing.T, pattern string) (string, string) {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	segs := strings.Split(path, "/")
	filled := slices.Clone(segs)
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		v, ok := w.ids[segs[i-1]+"/"+s]
		if !ok {
			t.Fatalf("content route %q: the test does not know how to fill %s after %q; add the photographer's id for it to staffWorld.ids", pattern, s, segs[i-1])
		}
		filled[i] = v
	}
	return method, strings.Join(filled, "/")
}

// TestStaffSeeNoContent: every content endpoint, called by every staff
// role (and a plain admin) with the ids of a photographer's content,
// answers 404 and never a byte of an image or an asset's JSON. Staff
// roles grant no path to content; only the owner's grants do, and a
// review link's token is such a grant (the test gives staff the link's
// id, which a staff member could learn, never its token).
func TestStaffSeeNoContent(t *testing.T) {
	w := newStaffWorld(t)
	bodies := w.sweepBodies()
	var checked []string
	for _, r := range w.a.Routes() {
		method, path, _ := strings.Cut(r.Pattern, " ")
		if !strings.Contains(path, "{") || !contentRoute.MatchString(placeholder.ReplaceAllString(path, "x")) {
			continue
		}
		if _, ok := notContent[r.Pattern]; ok {
			continue
		}
		checked = append(checked, r.Pattern)
		_, p := w.fill(t, r.Pattern)
		body, ok := bodies[r.Pattern]
		switch {
		case ok:
		case r.Kind == httpx.Page:
			body = rawBody{ctype: "application/x-www-form-urlencoded"}
		default:
			body = map[string]any{}
		}
		for role, c := range w.staff {
			res := c.do(method, p, body)
			if res.status != 404 {
				t.Errorf("%s: %s %s = %d; want 404", role, method, p, res.status)
			}
			if bytes.HasPrefix(res.body, []byte{0xff, 0xd8}) || bytes.HasPrefix(res.body, []byte("PK")) ||
				bytes.Contains(res.body, []byte(`"width"`)) || bytes.Contains(res.body, []byte(`"images"`)) ||
				bytes.Contains(res.body, []byte("Harbour")) {
				t.Errorf("%s: %s %s answered content: %.200q", role, method, p, res.body)
			}
		}
	}
	// The selection is what this test means it to be: the places content
	// lives are all in it.
	for _, must := range []string{
		"GET /api/v1/assets/{id}/original", "GET /api/v1/assets/{id}", "GET /api/v1/projects/{id}/assets/{asset_id}/preview",
		"GET /api/v1/links/{token}/assets/{asset_id}/original", "GET /api/v1/links/{token}/zip", "GET /api/v1/projects/{id}/zip",
		"GET /api/v1/rounds/{id}/entries/{entry_id}/images/{image_id}/preview",
		"GET /api/v1/calls/{id}/results/entries/{entry}/images/{image}/{kind}",
		"GET /api/v1/calls/{id}/originals-requests/{request}/original", "GET /api/v1/projects/{id}/export/xmp",
		"GET /api/v1/calls/{id}/export.csv", "GET /library/{id}", "GET /s/{token}", "GET /jury/{round}",
	} {
		if !slices.Contains(checked, must) {
			t.Errorf("content route %s was not checked (selected: %d routes)", must, len(checked))
		}
	}
	if len(checked) < 60 {
		t.Errorf("only %d content routes checked; the selection lost some", len(checked))
	}
	// The real token is the owner's grant: it still works, for anyone.
	w.anon.must(200, "GET", "/api/v1/links/"+w.linkToken+"/assets/"+w.erinImg+"/thumb", nil)
}

// staffRouteRoles is the least-privilege matrix of the staff routes: who
// may use each. A staff route missing here fails TestStaffRouteMatrix.
var staffRouteRoles = map[string][]string{
	"GET /api/v1/staff/accounts":                 {"support"},
	"GET /api/v1/staff/accounts/{id}":            {"support"},
	"POST /api/v1/staff/accounts/{id}/disable":   {"support"},
	"POST /api/v1/staff/accounts/{id}/mfa-reset": {"support"},
	"GET /api/v1/staff/audit-events":             {"security"},
	"GET /api/v1/staff/requests":                 {"dpo"},
	"GET /api/v1/staff/breaches":                 {"dpo"},
	"POST /api/v1/staff/breaches":                {"dpo"},
	"GET /api/v1/staff/breaches/{id}":            {"dpo"},
	"PUT /api/v1/staff/breaches/{id}":            {"dpo"},
	"GET /staff":                                 {"admin", "support", "dpo", "security"},
	"GET /staff/accounts/{id}":                   {"support"},
	"POST /staff/accounts/{id}/disable":          {"support"},
	"POST /staff/accounts/{id}/mfa-reset":        {"support"},
	"POST /staff/breaches":                       {"dpo"},
}

// TestStaffRouteMatrix: each staff route refuses plain accounts, the
// organization's people and every staff role but its own with 404 (and
// anonymous callers with 401 or the sign-in page), and a staff account's
// personal access token with 403.
func TestStaffRouteMatrix(t *testing.T) {
	w := newStaffWorld(t)
	callers := map[string]*client{"photographer": w.erin, "org manager": w.manager, "juror": w.juror}
	for role, c := range w.staff {
		callers[role] = c
	}
	script := newClient(t, w.srv)
	script.bearer = w.staff["support"].must(201, "POST", "/api/v1/tokens",
		withReauth(t, w.staff["support"], "support@staff.example", map[string]string{"name": "script"})).json["token"].(string)
	seen := 0
	for _, r := range w.a.Routes() {
		_, path, _ := strings.Cut(r.Pattern, " ")
		if !strings.HasPrefix(path, "/api/v1/staff") && !strings.HasPrefix(path, "/staff") {
			continue
		}
		seen++
		allowed, ok := staffRouteRoles[r.Pattern]
		if !ok {
			t.Errorf("staff route %s is not in the reviewed matrix", r.Pattern)
			continue
		}
		method, p := concrete(r.Pattern)
		for name, c := range callers {
			res := c.do(method, p, map[string]any{})
			if slices.Contains(allowed, name) {
				if res.status == 404 && !strings.Contains(p, "0197a000") {
					t.Errorf("%s: %s %s = 404; want it served", name, method, p)
				}
				continue
			}
			if res.status != 404 {
				t.Errorf("%s: %s %s = %d; want 404", name, method, p, res.status)
			}
		}
		if res := w.anon.do(method, p, nil); res.status != 401 && res.status != 303 {
			t.Errorf("anonymous %s %s = %d; want 401 or 303", method, p, res.status)
		}
		if strings.HasPrefix(path, "/api/") && slices.Contains(allowed, "support") {
			if res := script.do(method, p, map[string]any{}); res.status != 403 {
				t.Errorf("support's token: %s %s = %d; want 403 (a session is needed)", method, p, res.status)
			}
		}
	}
	if seen != len(staffRouteRoles) {
		t.Errorf("%d staff routes registered; the matrix lists %d", seen, len(staffRouteRoles))
	}
}

// securityEvent returns the newest event of type typ in c's security
// activity, or nil.
func securityEvent(t *testing.T, c *client, typ string) map[string]any {
	t.Helper()
	for _, e := range flowItems(t, c.must(200, "GET", "/api/v1/me/security-events", nil)) {
		if e["type"] == typ {
			return e
		}
	}
	return nil
}

// TestStaffSupportActions: support finds an account, sees its counts,
// resets its second factors after an identity check and disables another;
// each action is in the holder's security activity, in words on the
// account page. Staff accounts and support's own are refused.
func TestStaffSupportActions(t *testing.T) {
	w := newStaffWorld(t)
	sup := w.staff["support"]
	found := flowItems(t, sup.must(200, "GET", "/api/v1/staff/accounts?q=ERIN@", nil))
	if len(found) != 1 || found[0]["id"] != w.erinID {
		t.Fatalf("search for erin@ = %v", found)
	}
	sup.must(400, "GET", "/api/v1/staff/accounts?q=er", nil)
	acct := sup.must(200, "GET", "/api/v1/staff/accounts/"+w.erinID, nil)
	counts := acct.json["counts"].(map[string]any)
	want := map[string]any{"assets": 2.0, "trashed_assets": 0.0, "projects": 1.0, "review_links": 1.0, "entries": 1.0, "totp": false}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("counts[%s] = %v; want %v (all: %v)", k, counts[k], v, counts)
		}
	}
	if bytes.Contains(acct.body, []byte(w.erinImg)) || bytes.Contains(acct.body, []byte("Harbour")) || bytes.Contains(acct.body, []byte("shot.jpg")) {
		t.Errorf("support's view of an account names content: %s", acct.body)
	}
	if e := securityEvent(t, w.erin, "staff.account_viewed"); e == nil {
		t.Error("Erin's security activity does not show that support looked at her account")
	}

	// Erin lost her phone: support checks her identity and resets.
	enrolTOTP(t, w.erin)
	reset := "/api/v1/staff/accounts/" + w.erinID + "/mfa-reset"
	sup.must(400, "POST", reset, map[string]string{"identity_check": "ok"})
	for _, id := range []string{w.staffID["admin"], w.staffID["dpo"], w.staffID["support"]} {
		sup.must(403, "POST", "/api/v1/staff/accounts/"+id+"/mfa-reset", map[string]string{"identity_check": "Video call, passport matched the name"})
	}
	sup.must(404, "POST", "/api/v1/staff/accounts/0197a000-0000-7000-8000-000000000000/mfa-reset", map[string]string{"identity_check": "Video call, passport matched the name"})
	const check = "Video call; passport matched the account name; asked for the title of her last project"
	r := sup.must(200, "POST", reset, map[string]string{"identity_check": check})
	if r.json["totp_removed"] != true {
		t.Errorf("reset = %s; want totp_removed", r.body)
	}
	w.erin.must(401, "GET", "/api/v1/me", nil) // her sessions ended with the factor
	erin := newClient(t, w.srv)
	erin.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "erin@example.com", "password": password}) // no code needed any more
	e := securityEvent(t, erin, "staff.mfa_reset")
	if e == nil {
		t.Fatal("Erin's security activity does not show the reset")
	}
	if d := e["details"].(map[string]any); d["identity_check"] != check || d["staff_role"] != "support" {
		t.Errorf("reset event details = %v; want the identity check and the role", d)
	}
	page := string(erin.must(200, "GET", "/account", nil).body)
	if !strings.Contains(page, "Two-step sign-in reset by support") || !strings.Contains(page, "passport matched") {
		t.Errorf("the account page does not describe the reset in words")
	}

	// Support disables Sam for a reason; once an admin enables him again,
	// he sees why.
	samID := flowItems(t, sup.must(200, "GET", "/api/v1/staff/accounts?q=sam@", nil))[0]["id"].(string)
	sup.must(400, "POST", "/api/v1/staff/accounts/"+samID+"/disable", map[string]string{"reason": "spam"})
	sup.must(403, "POST", "/api/v1/staff/accounts/"+w.staffID["security"]+"/disable", map[string]string{"reason": "Reported for abuse twice"})
	sup.must(200, "POST", "/api/v1/staff/accounts/"+samID+"/disable", map[string]string{"reason": "Reported for abuse twice"})
	w.sam.must(401, "GET", "/api/v1/me", nil)
	newClient(t, w.srv).must(403, "POST", "/api/v1/auth/login", map[string]string{"email": "sam@example.com", "password": password})
	w.staff["admin"].must(200, "POST", "/api/v1/admin/users/"+samID+"/enable", nil)
	sam := newClient(t, w.srv)
	sam.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "sam@example.com", "password": password})
	if e := securityEvent(t, sam, "staff.account_disabled"); e == nil || e["details"].(map[string]any)["reason"] != "Reported for abuse twice" {
		t.Errorf("Sam's disabling event = %v; want it with the reason", e)
	}
}

// TestStaffDPOAndSecurity: the dpo keeps the breach register (the
// affected account sees the entry); security reads the audit log with
// filters (the account read about sees that too); neither sees the other's.
func TestStaffDPOAndSecurity(t *testing.T) {
	w := newStaffWorld(t)
	dpo, sec := w.staff["dpo"], w.staff["security"]
	detected := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	body := map[string]any{"description": "A backup disk was lost in transit", "measures": "Disk was encrypted; keys rotated",
		"detected_at": detected, "data_categories": []string{"account", "images"}, "affected_accounts": []string{w.erinID}}
	b := dpo.must(201, "POST", "/api/v1/staff/breaches", body).json
	id := b["id"].(string)
	if b["reported_at"] != nil || b["recorded_by"] != w.staffID["dpo"] || fmt.Sprint(b["data_categories"]) != "[account images]" {
		t.Errorf("new breach = %v", b)
	}
	for field, v := range map[string]any{"data_categories": []string{"secrets"}, "affected_accounts": []string{"0197a000-0000-7000-8000-000000000000"},
		"description": "short", "detected_at": time.Now().Add(time.Hour)} {
		bad := map[string]any{}
		for k, x := range body {
			bad[k] = x
		}
		bad[field] = v
		dpo.must(400, "POST", "/api/v1/staff/breaches", bad)
	}
	body["reported_at"] = detected.Add(time.Hour)
	samID := w.sam.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	body["affected_accounts"] = []string{w.erinID, samID}
	if u := dpo.must(200, "PUT", "/api/v1/staff/breaches/"+id, body).json; u["reported_at"] == nil || len(u["affected_accounts"].([]any)) != 2 {
		t.Errorf("updated breach = %v", u)
	}
	if list := flowItems(t, dpo.must(200, "GET", "/api/v1/staff/breaches", nil)); len(list) != 1 || list[0]["id"] != id {
		t.Errorf("register = %v", list)
	}
	for _, c := range []*client{w.erin, w.sam} {
		if e := securityEvent(t, c, "staff.breach_recorded"); e == nil || e["details"].(map[string]any)["breach_id"] != id {
			t.Errorf("affected account's activity lacks the breach: %v", e)
		}
	}
	sec.must(404, "GET", "/api/v1/staff/breaches/"+id, nil)

	// Security reads the log: everything, or filtered.
	all := flowItems(t, sec.must(200, "GET", "/api/v1/staff/audit-events?limit=500", nil))
	if len(all) < 20 {
		t.Errorf("audit log = %d events; want the whole instance's", len(all))
	}
	mine := flowItems(t, sec.must(200, "GET", "/api/v1/staff/audit-events?type=staff.breach_recorded&subject="+w.erinID, nil))
	if len(mine) != 1 || mine[0]["actor_id"] != w.staffID["dpo"] {
		t.Errorf("filtered audit log = %v; want the one breach event about Erin", mine)
	}
	sec.must(400, "GET", "/api/v1/staff/audit-events?since=yesterday", nil)
	sec.must(400, "GET", "/api/v1/staff/audit-events?subject=erin", nil)
	if e := securityEvent(t, w.erin, "staff.audit_viewed"); e == nil {
		t.Error("Erin's activity does not show that security read her events")
	}
	dpo.must(404, "GET", "/api/v1/staff/audit-events", nil)

	// The dpo follows data-subject requests: Erin's export, Sam's erasure.
	if r := w.sam.do("DELETE", "/api/v1/me", withReauth(t, w.sam, "sam@example.com", nil)); r.status/100 != 2 {
		t.Fatalf("Sam's erasure request = %d %s", r.status, r.body)
	}
	reqs := flowItems(t, dpo.must(200, "GET", "/api/v1/staff/requests", nil))
	export, erasure := flowFind(reqs, "kind", "export"), flowFind(reqs, "kind", "erasure")
	if export == nil || export["account_id"] != w.erinID || export["email"] != "erin@example.com" ||
		erasure == nil || erasure["account_id"] != samID || erasure["state"] != "scheduled" || erasure["due_at"] == nil {
		t.Errorf("data-subject requests = %v; want Erin's export and Sam's scheduled erasure", reqs)
	}
	sec.must(404, "GET", "/api/v1/staff/requests", nil)
}

// TestStaffCLIRoles: "safelight user create --role" takes every staff
// role, several at once, and refuses unknown ones.
func TestStaffCLIRoles(t *testing.T) {
	data := t.TempDir()
	var out, errb bytes.Buffer
	code := app.Main(t.Context(), []string{"user", "create", "--data", data, "--email", "dora@example.com", "--name", "Dora",
		"--role", "support,dpo", "--role", "security"}, strings.NewReader(password+"\n"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "roles=[dpo security support]") {
		t.Fatalf("user create --role support,dpo --role security = %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code = app.Main(t.Context(), []string{"user", "create", "--data", data, "--email", "eve@example.com", "--name", "Eve",
		"--role", "support,root"}, strings.NewReader(password+"\n"), &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), `unknown role "root"`) {
		t.Errorf("user create --role support,root = %d %q; want refused naming the role", code, errb.String())
	}
}

// TestStaffMFAOptional: --staff-mfa=optional lets staff work without a
// second factor (local evaluation only), and the console says so.
func TestStaffMFAOptional(t *testing.T) {
	a, srv := newServer(t, "--staff-mfa", "optional", "--signup", "open")
	signUpAndLogin(t, srv, "first@example.com")
	if _, err := a.Auth.CreateUser(t.Context(), "sue@staff.example", "Sue", password, []access.Role{access.RoleSupport}); err != nil {
		t.Fatal(err)
	}
	sue := newClient(t, srv)
	sue.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "sue@staff.example", "password": password})
	sue.must(400, "GET", "/api/v1/staff/accounts?q=x", nil) // in, without a second factor
	if page := string(sue.must(200, "GET", "/staff", nil).body); !strings.Contains(page, "without two-step sign-in") {
		t.Error("the staff console does not warn that staff MFA is off")
	}
}
