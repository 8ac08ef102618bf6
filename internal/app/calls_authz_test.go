package app_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"math"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"safelight/internal/app"
)

// Calls for entries: who may see and do what (TestCallAuthorizationMatrix),
// what a jury learns of an entrant (TestBlindJudging), and that every
// jury view is in the photographer's access log (TestJuryAccessLogged).

// callsClock moves the calls service's clock (and only its clock) past
// deadlines, so that a test can enter a call and then judge it.
type callsClock struct{ offset atomic.Int64 }

func (c *callsClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// pastDeadline puts the calls clock two hours ahead, past the deadlines
// newCallBody sets.
func (c *callsClock) pastDeadline() { c.offset.Store(int64(2 * time.Hour)) }

// newCallsServer starts an open instance with room for the many accounts
// these tests sign up, its calls clock under the test's control.
func newCallsServer(t *testing.T) (*app.App, *httptest.Server, *callsClock) {
	t.Helper()
	a, srv := newServer(t, "--signup", "open", "--rate-limits", "signup=100/1h")
	clk := &callsClock{}
	a.Calls.SetClock(clk.now) // before any request
	return a, srv, clk
}

// namedAccount is verifiedAccount with a name of the test's choosing.
func namedAccount(t *testing.T, a *app.App, srv *httptest.Server, email, name string) *client {
	t.Helper()
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": email, "password": password, "name": name})
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	enrolIfRequired(t, c, email)
	token := linkToken(t, a, email, verifySubject, "/verify-email")
	c.must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": token})
	return c
}

// newCallBody is a call of the API's shape: deadline in an hour of the
// calls clock, any JPEG accepted, with the given rights and shared data.
func newCallBody(title string, rights, shared []string) map[string]any {
	return map[string]any{
		"title": title, "description": "Open to all members.",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "timezone": "Europe/Lisbon",
		"requirements": map[string]any{"formats": []string{"jpeg"}, "min_long_edge": 0, "orientation": "any"},
		"visibility":   "public", "terms": "Entries are judged by the jury named on the call page.",
		"rights": rights, "shared_data": shared,
	}
}

// createPublishedCall makes a call in org and publishes it.
func createPublishedCall(t *testing.T, owner *client, org, title string, rights, shared []string) string {
	t.Helper()
	id := str(owner.must(201, "POST", "/api/v1/orgs/"+org+"/calls", newCallBody(title, rights, shared)).json, "id")
	owner.must(200, "POST", "/api/v1/calls/"+id+"/publish", nil)
	return id
}

// submitEntry enters assets in call, accepting the current terms.
func submitEntry(t *testing.T, c *client, call, title string, assets ...string) string {
	t.Helper()
	terms, _ := c.must(200, "GET", "/api/v1/calls/"+call, nil).json["terms"].(map[string]any)
	sha, _ := terms["sha256"].(string)
	if sha == "" {
		t.Fatalf("call %s has no terms.sha256", call)
	}
	r := c.must(201, "POST", "/api/v1/calls/"+call+"/entries", map[string]any{
		"title": title, "statement": "Made on one evening.", "asset_ids": assets, "accept_terms_sha256": sha})
	if r.json["state"] != "submitted" {
		t.Fatalf("entry state = %v; want submitted", r.json["state"])
	}
	return str(r.json, "id")
}

// entryImageIDs returns the ids (not the asset ids) of an entry's images,
// in order, as its photographer sees them.
func entryImageIDs(t *testing.T, c *client, entry string) []string {
	t.Helper()
	var ids []string
	for _, im := range itemsOf(c.must(200, "GET", "/api/v1/entries/"+entry, nil).json, "images") {
		ids = append(ids, str(im, "id"))
	}
	if len(ids) == 0 {
		t.Fatalf("entry %s has no images", entry)
	}
	return ids
}

// createRound opens a round of call judged by jurors.
func createRound(t *testing.T, owner *client, call, name, unit, mode string, blind bool, jurors ...string) string {
	t.Helper()
	return str(owner.must(201, "POST", "/api/v1/calls/"+call+"/rounds", map[string]any{
		"name": name, "unit": unit, "mode": mode, "blind": blind, "jurors": jurors}).json, "id")
}

// memberID finds the member row of email in org.
func memberID(t *testing.T, owner *client, org, email string) string {
	t.Helper()
	for _, m := range itemsOf(owner.must(200, "GET", "/api/v1/orgs/"+org+"/members", nil).json, "items") {
		if m["email"] == email {
			return str(m, "id")
		}
	}
	t.Fatalf("%s is not a member of %s", email, org)
	return ""
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func itemsOf(m map[string]any, k string) []map[string]any {
	var out []map[string]any
	list, _ := m[k].([]any)
	for _, x := range list {
		if o, ok := x.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func fieldOf(items []map[string]any, k string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, str(it, k))
	}
	return out
}

// sameSet reports whether got and want hold the same strings.
func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(slices.Compact(g), slices.Compact(w)) && len(got) == len(want)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") && strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\n' }) {
		return fmt.Sprintf("(%d bytes of binary)", len(b))
	}
	return s
}

// ---------------------------------------------------------------------------
// The matrix

// callPrincipals is everyone the matrix asks, in the order each endpoint
// is tried: the entrant comes last (a destructive cell — withdrawing a
// draft, approving an originals request — is theirs) and the manager
// before the owner (of two publications of the results, the second is a
// conflict).
var callPrincipals = []string{"anon", "admin", "stranger", "unverified", "org2owner", "org2juror", "entrant2",
	"jurorB", "jurorA", "viewer", "manager", "owner", "entrant"}

// want is one row of the table: principal → expected status.
type want map[string]int

// everyone is a row where every principal gets status.
func everyone(status int) want {
	w := want{}
	for _, p := range callPrincipals {
		w[p] = status
	}
	return w
}

// but sets status for the principals named.
func (w want) but(status int, who ...string) want {
	for _, p := range who {
		if !slices.Contains(callPrincipals, p) {
			panic("unknown principal " + p)
		}
		w[p] = status
	}
	return w
}

// Groups of principals.
var (
	managers    = []string{"owner", "manager"}
	callSeers   = []string{"owner", "manager", "viewer"}
	org1Members = []string{"owner", "manager", "viewer", "jurorA", "jurorB"}
	org1NonMgrs = []string{"viewer", "jurorA", "jurorB"} // members lacking the role: 403
	roundA      = []string{"owner", "manager", "jurorA"}
	org2        = []string{"org2owner", "org2juror"}
	signedIn    = []string{"admin", "stranger", "unverified", "org2owner", "org2juror", "entrant2", "jurorB", "jurorA", "viewer", "manager", "owner", "entrant"}
)

// endpoint is one column of the table.
type endpoint struct {
	name, method, path string
	body               any
	public             bool // anonymous callers are answered like anyone; else 401
	want               want
	// check looks into a 2xx answer; it returns what is wrong.
	check func(who string, r response) string
}

func api(name, method, path string, body any, w want) endpoint {
	return endpoint{name: name, method: method, path: path, body: body, want: w}
}

func pub(name, method, path string, w want) endpoint {
	return endpoint{name: name, method: method, path: path, public: true, want: w}
}

func (e endpoint) checking(f func(who string, r response) string) endpoint {
	e.check = f
	return e
}

// callsMatrix is the fixture: two organizations with calls, entries and
// rounds, and a client for every principal.
type callsMatrix struct {
	t     *testing.T
	who   map[string]*client
	email map[string]string
	// ghosts replaces each fixture id in a path with an id that names
	// nothing: a 404 must not tell the two apart.
	ghosts map[string]string
}

func (m *callsMatrix) id(id string) string {
	if id == "" {
		m.t.Fatal("empty fixture id")
	}
	m.ghosts[id] = uuid.Must(uuid.NewV7()).String()
	return id
}

func (m *callsMatrix) ghost(path string) string {
	for real, g := range m.ghosts {
		path = strings.ReplaceAll(path, real, g)
	}
	return path
}

// run asks every principal every endpoint, in order, and reports each
// cell that differs from the table, with the table itself.
func (m *callsMatrix) run(phase string, eps []endpoint) {
	t := m.t
	t.Helper()
	var grid strings.Builder
	fmt.Fprintf(&grid, "%-34s", "")
	for _, p := range callPrincipals {
		fmt.Fprintf(&grid, " %-10.10s", p)
	}
	grid.WriteString("\n")
	var bad []string
	for _, e := range eps {
		fmt.Fprintf(&grid, "%-34.34s", e.name)
		for _, p := range callPrincipals {
			exp, ok := e.want[p]
			if !ok {
				t.Fatalf("%s: no expectation for %s", e.name, p)
			}
			if p == "anon" && !e.public {
				exp = 401
			}
			r := m.who[p].do(e.method, e.path, e.body)
			cell := fmt.Sprint(r.status)
			switch {
			case r.status != exp:
				cell = fmt.Sprintf("%d≠%d", r.status, exp)
				bad = append(bad, fmt.Sprintf("  %s as %s: %s %s = %d %s; want %d", e.name, p, e.method, e.path, r.status, snippet(r.body), exp))
			case r.status == 404:
				// Existence must not show: the answer for a real but hidden
				// thing is the answer for nothing at all.
				g := m.who[p].do(e.method, m.ghost(e.path), e.body)
				if g.status != 404 || !bytes.Equal(g.body, r.body) {
					cell += "~"
					bad = append(bad, fmt.Sprintf("  %s as %s: 404 %s differs from the answer for an unknown id: %d %s", e.name, p, snippet(r.body), g.status, snippet(g.body)))
				}
			case r.status < 300 && e.check != nil:
				if msg := e.check(p, r); msg != "" {
					cell += "*"
					bad = append(bad, fmt.Sprintf("  %s as %s: %s", e.name, p, msg))
				}
			}
			fmt.Fprintf(&grid, " %-10s", cell)
		}
		grid.WriteString("\n")
	}
	if len(bad) > 0 {
		t.Errorf("phase %q: %d cells wrong (a≠b: got a, want b; ~: 404 unlike an unknown id's; *: content)\n%s%s",
			phase, len(bad), grid.String(), strings.Join(bad, "\n"))
	}
}

// TestCallAuthorizationMatrix: every principal × every calls endpoint, in
// each state of a call (open, judged, closed round, results published),
// with ids of other entries, calls and organizations mixed into paths.
// Whoever may not see a thing gets the 404 an unknown id gets; only
// members lacking a role get 403; staff get nothing they were not given.
func TestCallAuthorizationMatrix(t *testing.T) {
	a, srv, clock := newCallsServer(t)
	m := &callsMatrix{t: t, who: map[string]*client{}, email: map[string]string{}, ghosts: map[string]string{}}
	// The first account is the instance admin.
	m.email["admin"] = "admin@example.com"
	m.who["admin"] = verifiedAccount(t, a, srv, "admin@example.com")
	if r := m.who["admin"].must(200, "GET", "/api/v1/me", nil); !slices.Contains(r.json["roles"].([]any), any("admin")) {
		t.Fatalf("first account is not admin: %s", r.body)
	}
	for _, p := range []string{"stranger", "org2owner", "org2juror", "entrant2", "jurorB", "jurorA", "viewer", "manager", "owner", "entrant"} {
		m.email[p] = strings.ToLower(p) + "@example.com" // as the instance normalizes it
		m.who[p] = verifiedAccount(t, a, srv, m.email[p])
	}
	// A juror whose account never confirmed its address.
	m.email["unverified"] = "unverified@example.com"
	m.who["unverified"] = signUpAndLogin(t, srv, m.email["unverified"])
	m.who["anon"] = newClient(t, srv)
	owner, entrant, entrant2, org2owner := m.who["owner"], m.who["entrant"], m.who["entrant2"], m.who["org2owner"]

	org1 := m.id(str(owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Harbour Photo Club"}).json, "id"))
	for p, role := range map[string]string{"manager": "manager", "viewer": "viewer", "jurorA": "juror", "jurorB": "juror"} {
		owner.must(201, "POST", "/api/v1/orgs/"+org1+"/members", map[string]string{"email": m.email[p], "role": role})
	}
	org2ID := m.id(str(org2owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Northern Lights Society"}).json, "id"))
	org2owner.must(201, "POST", "/api/v1/orgs/"+org2ID+"/members", map[string]string{"email": m.email["org2juror"], "role": "juror"})

	c1 := m.id(createPublishedCall(t, owner, org1, "Harbour at dusk", []string{"publication"}, []string{}))
	// A draft without terms: it cannot be published yet.
	draftBody := newCallBody("Winter light (draft)", []string{}, []string{})
	delete(draftBody, "terms")
	delete(draftBody, "rights")
	delete(draftBody, "shared_data")
	draft := m.id(str(owner.must(201, "POST", "/api/v1/orgs/"+org1+"/calls", draftBody).json, "id"))
	c2 := m.id(createPublishedCall(t, org2owner, org2ID, "Aurora nights", []string{"publication"}, []string{}))

	original := testJPEG(t, 640, 480, 41)
	up := func(c *client, data []byte) string {
		t.Helper()
		r := c.upload("file", "frame.jpg", data)
		if r.status != 201 {
			t.Fatalf("upload = %d %s", r.status, r.body)
		}
		id := str(r.json, "id")
		if st := c.waitReady(id)["status"]; st != "ready" {
			t.Fatalf("asset %s ended %v", id, st)
		}
		return m.id(id)
	}
	asset1a, asset1b := up(entrant, original), up(entrant, testJPEG(t, 640, 480, 42))
	asset2, asset3 := up(entrant2, testJPEG(t, 480, 640, 43)), up(entrant2, testJPEG(t, 640, 480, 44))
	e1 := m.id(submitEntry(t, entrant, c1, "Quay lights", asset1a, asset1b))
	e2 := m.id(submitEntry(t, entrant2, c1, "Low tide", asset2))
	e3 := m.id(submitEntry(t, entrant2, c2, "Green sky", asset3))
	d := m.id(str(entrant.must(201, "POST", "/api/v1/calls/"+c1+"/entries", map[string]any{"title": "Maybe later", "draft": true}).json, "id"))
	imgs1 := entryImageIDs(t, entrant, e1)
	i1a, i1b := m.id(imgs1[0]), m.id(imgs1[1])
	i2 := m.id(entryImageIDs(t, entrant2, e2)[0])
	i3 := m.id(entryImageIDs(t, entrant2, e3)[0])

	C := "/api/v1/calls/" + c1
	own := func(entries map[string][]string, key string) func(who string, r response) string {
		return func(who string, r response) string {
			// A record naming no entry (the sign-up's terms of use and
			// privacy notice) is everyone's own.
			got := slices.DeleteFunc(fieldOf(itemsOf(r.json, "items"), key), func(g string) bool { return g == "" })
			mine := entries[who]
			for _, g := range got {
				if !slices.Contains(mine, g) {
					return fmt.Sprintf("lists %s %s, not theirs (%s)", key, g, snippet(r.body))
				}
			}
			if (len(mine) > 0) != (len(got) > 0) {
				return fmt.Sprintf("lists %v; want theirs among %v", got, mine)
			}
			return ""
		}
	}
	juryPreviewCheck := func(who string, r response) string {
		if ct := r.header.Get("Content-Type"); ct != "image/jpeg" {
			return "Content-Type " + ct
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(r.body)); err != nil {
			return "not a JPEG: " + err.Error()
		}
		return ""
	}

	// --- The call is open for entries.
	m.run("open", []endpoint{
		pub("call", "GET", C, everyone(200)),
		pub("call terms", "GET", C+"/terms", everyone(200)),
		pub("draft call", "GET", "/api/v1/calls/"+draft, everyone(404).but(200, callSeers...)),
		api("edit draft call", "PATCH", "/api/v1/calls/"+draft, map[string]string{"description": "Frost and fog."},
			everyone(404).but(200, managers...).but(403, "viewer")),
		api("publish draft call (no terms)", "POST", "/api/v1/calls/"+draft+"/publish", nil,
			everyone(404).but(400, managers...).but(403, "viewer")),
		api("edit call", "PATCH", C, map[string]string{"description": "Open to all members and friends."},
			everyone(404).but(200, managers...).but(403, org1NonMgrs...)),
		api("totals", "GET", C+"/totals", nil, everyone(404).but(200, callSeers...)),
		api("entries list", "GET", C+"/entries", nil, everyone(404).but(200, managers...)),
		api("CSV", "GET", C+"/export.csv", nil, everyone(404).but(200, managers...)),
		api("rounds list", "GET", C+"/rounds", nil, everyone(404).but(200, callSeers...)),
		api("originals requests", "GET", C+"/originals-requests", nil, everyone(404).but(200, managers...)),
		pub("results (unpublished)", "GET", C+"/results", everyone(404)),
		api("organization", "GET", "/api/v1/orgs/"+org1, nil, everyone(404).but(200, org1Members...)),
		api("organization members", "GET", "/api/v1/orgs/"+org1+"/members", nil, everyone(404).but(200, org1Members...)),
		api("organization calls", "GET", "/api/v1/orgs/"+org1+"/calls", nil, everyone(404).but(200, org1Members...)).
			checking(func(who string, r response) string {
				ids := fieldOf(itemsOf(r.json, "items"), "id")
				if slices.Contains(callSeers, who) != slices.Contains(ids, draft) {
					return fmt.Sprintf("draft listed: %v", slices.Contains(ids, draft))
				}
				return ""
			}),
		api("another organization", "GET", "/api/v1/orgs/"+org2ID, nil, everyone(404).but(200, org2...)),
		api("my consents", "GET", "/api/v1/me/consents", nil, everyone(200)).
			checking(own(map[string][]string{"entrant": {e1}, "entrant2": {e2, e3}}, "entry_id")),
		api("my entries", "GET", "/api/v1/me/entries", nil, everyone(200)).
			checking(own(map[string][]string{"entrant": {e1, d}, "entrant2": {e2, e3}}, "id")),
		api("entry", "GET", "/api/v1/entries/"+e1, nil, everyone(404).but(200, "entrant")),
		api("edit entry", "PATCH", "/api/v1/entries/"+e1, map[string]string{"title": "Quay lights, 9 pm"}, everyone(404).but(200, "entrant")),
		api("another entrant's entry", "GET", "/api/v1/entries/"+e2, nil, everyone(404).but(200, "entrant2")),
		api("draft entry", "GET", "/api/v1/entries/"+d, nil, everyone(404).but(200, "entrant")),
		api("edit draft entry", "PATCH", "/api/v1/entries/"+d, map[string]string{"statement": "Not sure yet."}, everyone(404).but(200, "entrant")),
		api("submit draft (no images)", "POST", "/api/v1/entries/"+d+"/submit", map[string]string{"accept_terms_sha256": "00"}, everyone(404).but(409, "entrant")),
		api("withdraw draft entry", "DELETE", "/api/v1/entries/"+d, nil, everyone(404).but(204, "entrant")),
	})

	// --- The deadline has passed: round A judges call 1, another round
	// in the other organization judges call 2.
	clock.pastDeadline()
	rA := m.id(createRound(t, owner, c1, "First round", "entry", "stars_avg", true, m.email["jurorA"], m.email["unverified"]))
	r2 := m.id(createRound(t, org2owner, c2, "Aurora round", "entry", "yesno", true, m.email["org2juror"]))
	R := "/api/v1/rounds/" + rA
	R2 := "/api/v1/rounds/" + r2
	m.run("judging", []endpoint{
		api("my rounds", "GET", "/api/v1/me/rounds", nil, everyone(200)).
			checking(own(map[string][]string{"jurorA": {rA}, "org2juror": {r2}}, "id")),
		api("round A", "GET", R, nil, everyone(404).but(200, roundA...)),
		api("round A entries", "GET", R+"/entries", nil, everyone(404).but(200, roundA...)).
			checking(func(who string, r response) string {
				items := itemsOf(r.json, "items")
				if ids := fieldOf(items, "entry_id"); !sameSet(ids, []string{e1, e2}) {
					return fmt.Sprintf("entries %v; want %s and %s", ids, e1, e2)
				}
				if names := strings.Join(fieldOf(items, "entrant"), ""); names != "" {
					return "blind round names entrants: " + names
				}
				return ""
			}),
		api("round A jury thumb", "GET", R+"/entries/"+e1+"/images/"+i1a+"/thumb", nil, everyone(404).but(200, roundA...)).checking(juryPreviewCheck),
		api("round A jury preview", "GET", R+"/entries/"+e1+"/images/"+i1b+"/preview", nil, everyone(404).but(200, roundA...)).checking(juryPreviewCheck),
		api("vote", "PUT", R+"/entries/"+e1+"/vote", map[string]int{"score": 4}, everyone(404).but(200, "jurorA")),
		api("round A results", "GET", R+"/results", nil, everyone(404).but(200, managers...)),
		api("shortlist of an open round", "POST", R+"/shortlist", map[string]int{"top": 1}, everyone(404).but(409, managers...)),
		api("create round (no jurors)", "POST", C+"/rounds", map[string]any{"name": "Extra", "unit": "entry", "mode": "yesno", "jurors": []string{}},
			everyone(404).but(400, managers...).but(403, org1NonMgrs...)),
		api("rounds list", "GET", C+"/rounds", nil, everyone(404).but(200, callSeers...)),
		api("image of another entry in the path", "GET", R+"/entries/"+e1+"/images/"+i2+"/preview", nil, everyone(404)),
		api("entry of another call in round A", "GET", R+"/entries/"+e3+"/images/"+i3+"/preview", nil, everyone(404)),
		api("vote for an entry of another call", "PUT", R+"/entries/"+e3+"/vote", map[string]int{"score": 5}, everyone(404)),
		api("another org's round", "GET", R2, nil, everyone(404).but(200, org2...)),
		api("another org's round entries", "GET", R2+"/entries", nil, everyone(404).but(200, org2...)),
		api("another org's jury thumb", "GET", R2+"/entries/"+e3+"/images/"+i3+"/thumb", nil, everyone(404).but(200, org2...)),
		api("call 1 image through the org2 round", "GET", R2+"/entries/"+e1+"/images/"+i1a+"/thumb", nil, everyone(404)),
		api("edit entry after the deadline", "PATCH", "/api/v1/entries/"+e1, map[string]string{"title": "Late"}, everyone(404).but(409, "entrant")),
		api("withdraw entry after the deadline", "DELETE", "/api/v1/entries/"+e1, nil, everyone(404).but(409, "entrant")),
		api("recuse from an entry of another call", "POST", R+"/entries/"+e3+"/recuse", nil, everyone(404)),
		pub("results (judging)", "GET", C+"/results", everyone(404)),
		api("close round A", "POST", R+"/close", nil, everyone(404).but(200, managers...)),
	})

	// --- Round A is closed.
	m.run("closed", []endpoint{
		api("shortlist", "POST", R+"/shortlist", map[string]int{"top": 1}, everyone(404).but(200, managers...)).
			checking(func(who string, r response) string {
				if keys, _ := r.json["keys"].([]any); len(keys) != 1 || !strings.HasPrefix(fmt.Sprint(keys[0]), e1+"/") {
					return fmt.Sprintf("keys %v; want entry %s", keys, e1)
				}
				return ""
			}),
		api("award", "PUT", C+"/entries/"+e1+"/award", map[string]string{"award": "winner"},
			everyone(404).but(200, managers...).but(403, org1NonMgrs...)),
		api("award an entry of another call", "PUT", C+"/entries/"+e3+"/award", map[string]string{"award": "winner"},
			everyone(404).but(403, org1NonMgrs...)),
		api("request originals", "POST", C+"/entries/"+e1+"/originals-requests", map[string]string{"message": "For the exhibition print."},
			everyone(404).but(201, managers...)),
		api("request originals of a non-finalist", "POST", C+"/entries/"+e2+"/originals-requests", map[string]string{"message": "Please."},
			everyone(404).but(409, managers...)),
		api("request originals of another call's entry", "POST", C+"/entries/"+e3+"/originals-requests", map[string]string{"message": "Please."},
			everyone(404)),
	})
	reqs := itemsOf(entrant.must(200, "GET", "/api/v1/me/originals-requests", nil).json, "items")
	if len(reqs) != 2 {
		t.Fatalf("entrant has %d originals requests; want 2 (one per image)", len(reqs))
	}
	req1, req2 := str(reqs[0], "id"), str(reqs[1], "id")
	if str(reqs[1], "image_id") == i1a {
		req1, req2 = req2, req1
	}
	m.id(req1)
	m.id(req2)
	m.run("requested", []endpoint{
		api("originals requests", "GET", C+"/originals-requests", nil, everyone(404).but(200, managers...)).
			checking(func(who string, r response) string {
				if n := len(itemsOf(r.json, "items")); n != 2 {
					return fmt.Sprintf("%d requests; want 2", n)
				}
				return ""
			}),
		api("original before approval", "GET", C+"/originals-requests/"+req1+"/original", nil, everyone(404)),
		pub("results (unpublished)", "GET", C+"/results", everyone(404)),
		pub("result thumb (unpublished)", "GET", C+"/results/entries/"+e1+"/images/"+i1a+"/thumb", everyone(404)),
		api("my originals requests", "GET", "/api/v1/me/originals-requests", nil, everyone(200)).
			checking(own(map[string][]string{"entrant": {req1, req2}}, "id")),
		api("approve a request", "POST", "/api/v1/me/originals-requests/"+req1, map[string]bool{"approve": true}, everyone(404).but(200, "entrant")),
		api("publish results", "POST", C+"/results/publish", nil,
			everyone(404).but(403, org1NonMgrs...).but(200, "manager").but(409, "owner")),
	})

	// --- Results are published; one original is released.
	m.run("results", []endpoint{
		pub("results", "GET", C+"/results", everyone(200)).
			checking(func(who string, r response) string {
				if ids := fieldOf(itemsOf(r.json, "items"), "entry_id"); !slices.Equal(ids, []string{e1}) {
					return fmt.Sprintf("results list %v; want only %s", ids, e1)
				}
				return ""
			}),
		pub("result thumb", "GET", C+"/results/entries/"+e1+"/images/"+i1a+"/thumb", everyone(200)).checking(juryPreviewCheck),
		pub("result image of an entry without award", "GET", C+"/results/entries/"+e2+"/images/"+i2+"/preview", everyone(404)),
		pub("result image of another call's entry", "GET", C+"/results/entries/"+e3+"/images/"+i3+"/preview", everyone(404)),
		pub("result image of another entry in the path", "GET", C+"/results/entries/"+e1+"/images/"+i2+"/preview", everyone(404)),
		api("approved original", "GET", C+"/originals-requests/"+req1+"/original", nil, everyone(404).but(200, managers...)).
			checking(func(who string, r response) string {
				if !bytes.Equal(r.body, original) {
					return fmt.Sprintf("got %d bytes, not the original's %d", len(r.body), len(original))
				}
				if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
					return "Content-Disposition " + cd
				}
				return ""
			}),
		api("pending original", "GET", C+"/originals-requests/"+req2+"/original", nil, everyone(404)),
		api("original through another call", "GET", "/api/v1/calls/"+c2+"/originals-requests/"+req1+"/original", nil, everyone(404)),
		api("round A (closed)", "GET", R, nil, everyone(404).but(200, roundA...)),
		api("vote in a closed round", "PUT", R+"/entries/"+e1+"/vote", map[string]int{"score": 2}, everyone(404).but(409, "jurorA")),
		api("my consents", "GET", "/api/v1/me/consents", nil, everyone(200)).
			checking(own(map[string][]string{"entrant": {e1}, "entrant2": {e2, e3}}, "entry_id")),
	})

	// A member removed from the organization loses everything at once.
	jurorA, manager := m.who["jurorA"], m.who["manager"]
	jurorA.must(200, "GET", R+"/entries", nil)
	owner.must(204, "DELETE", "/api/v1/orgs/"+org1+"/members/"+memberID(t, owner, org1, m.email["jurorA"]), nil)
	for _, path := range []string{R, R + "/entries", R + "/entries/" + e1 + "/images/" + i1a + "/thumb", R + "/entries/" + e1 + "/images/" + i1a + "/preview", "/api/v1/orgs/" + org1} {
		if r := jurorA.do("GET", path, nil); r.status != 404 {
			t.Errorf("removed juror: GET %s = %d; want 404", path, r.status)
		}
	}
	if r := jurorA.do("PUT", R+"/entries/"+e1+"/vote", map[string]int{"score": 1}); r.status != 404 {
		t.Errorf("removed juror: vote = %d; want 404", r.status)
	}
	if items := itemsOf(jurorA.must(200, "GET", "/api/v1/me/rounds", nil).json, "items"); len(items) != 0 {
		t.Errorf("removed juror still lists %d rounds", len(items))
	}
	manager.must(200, "GET", C+"/originals-requests/"+req1+"/original", nil)
	owner.must(204, "DELETE", "/api/v1/orgs/"+org1+"/members/"+memberID(t, owner, org1, m.email["manager"]), nil)
	for _, path := range []string{R, R + "/entries", R + "/results", C + "/totals", C + "/entries", C + "/export.csv", C + "/originals-requests", C + "/originals-requests/" + req1 + "/original"} {
		if r := manager.do("GET", path, nil); r.status != 404 {
			t.Errorf("removed manager: GET %s = %d; want 404", path, r.status)
		}
	}

	// The unverified juror saw nothing; once the address is confirmed,
	// the invitation holds (so it was the address that kept them out).
	un := m.who["unverified"]
	token := linkToken(t, a, m.email["unverified"], verifySubject, "/verify-email")
	un.must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": token})
	un.must(200, "GET", R, nil)
	if ids := fieldOf(itemsOf(un.must(200, "GET", "/api/v1/me/rounds", nil).json, "items"), "id"); !slices.Equal(ids, []string{rA}) {
		t.Errorf("verified juror's rounds = %v; want %s", ids, rA)
	}
}

// ---------------------------------------------------------------------------
// Blind judging

// What the entrant of TestBlindJudging is, and what their files say.
const (
	blindName     = "Zephyrine Quillfeather"
	blindEmail    = "zephyrine.quillfeather@example.net"
	exifArtist    = "Marmaduke Vantablack"
	exifCopyright = "Copyright Vantablack Imaging Ltd"
	xmpRights     = "(c) 2026 Quillfeather Atelier, all rights reserved"
	xmpCredit     = "Nightjar Press Agency"
	iptcByline    = "Ottoline Brackenbury"
	iptcNotice    = "IPTC notice Brackenbury Holdings"
	xmpGPSLat     = "52,31.2N"
	xmpGPSLon     = "13,24.3E"
)

// jpegSegment is one marker segment.
func jpegSegment(marker byte, payload []byte) []byte {
	return append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

// exifAPP1 is an EXIF segment with IFD0 Artist and Copyright and a GPS IFD
// at 48°51'24"N 2°17'40"E (48.8567, 2.2944).
func exifAPP1() []byte {
	le := binary.LittleEndian
	type tag struct {
		id, typ uint16
		count   uint32
		val     []byte // nil: the GPS IFD's offset
	}
	ascii := func(id uint16, s string) tag {
		return tag{id, 2, uint32(len(s) + 1), append([]byte(s), 0)}
	}
	dms := func(id uint16, d, m, s100 uint32) tag {
		var v []byte
		for _, x := range [][2]uint32{{d, 1}, {m, 1}, {s100, 100}} {
			v = le.AppendUint32(le.AppendUint32(v, x[0]), x[1])
		}
		return tag{id, 5, 3, v}
	}
	ifd0 := []tag{ascii(0x013B, exifArtist), ascii(0x8298, exifCopyright), {0x8825, 4, 1, nil}}
	gps := []tag{ascii(1, "N"), dms(2, 48, 51, 2400), ascii(3, "E"), dms(4, 2, 17, 4000)}
	gpsAt := uint32(8 + 2 + 12*len(ifd0) + 4)
	dataAt := gpsAt + uint32(2+12*len(gps)+4)
	var data []byte
	ifd := func(tags []tag) []byte {
		b := le.AppendUint16(nil, uint16(len(tags)))
		for _, tg := range tags {
			b = le.AppendUint32(le.AppendUint16(le.AppendUint16(b, tg.id), tg.typ), tg.count)
			switch {
			case tg.val == nil:
				b = le.AppendUint32(b, gpsAt)
			case len(tg.val) <= 4:
				b = append(b, append(tg.val, make([]byte, 4-len(tg.val))...)...)
			default:
				b = le.AppendUint32(b, dataAt+uint32(len(data)))
				data = append(data, tg.val...)
				if len(data)%2 == 1 {
					data = append(data, 0)
				}
			}
		}
		return le.AppendUint32(b, 0)
	}
	tiff := le.AppendUint32([]byte("II*\x00"), 8)
	tiff = append(tiff, ifd(ifd0)...)
	tiff = append(tiff, ifd(gps)...)
	tiff = append(tiff, data...)
	return jpegSegment(0xE1, append([]byte("Exif\x00\x00"), tiff...))
}

// xmpAPP1 is an XMP packet naming the entrant as creator, with rights,
// credit and a position.
func xmpAPP1() []byte {
	packet := `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Credit="` + xmpCredit + `"
 exif:GPSLatitude="` + xmpGPSLat + `" exif:GPSLongitude="` + xmpGPSLon + `">
<dc:creator><rdf:Seq><rdf:li>` + blindName + `</rdf:li></rdf:Seq></dc:creator>
<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">` + xmpRights + `</rdf:li></rdf:Alt></dc:rights>
</rdf:Description></rdf:RDF></x:xmpmeta>`
	return jpegSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), packet...))
}

// iptcAPP13 is a Photoshop IRB with IPTC By-line and CopyrightNotice.
func iptcAPP13() []byte {
	var iim []byte
	for _, ds := range []struct {
		n byte
		v string
	}{{80, iptcByline}, {116, iptcNotice}} {
		iim = append(binary.BigEndian.AppendUint16(append(iim, 0x1C, 2, ds.n), uint16(len(ds.v))), ds.v...)
	}
	irb := binary.BigEndian.AppendUint32([]byte("8BIM\x04\x04\x00\x00"), uint32(len(iim)))
	irb = append(irb, iim...)
	if len(iim)%2 == 1 {
		irb = append(irb, 0)
	}
	return jpegSegment(0xED, append([]byte("Photoshop 3.0\x00"), irb...))
}

// withAuthorship puts the EXIF, XMP and IPTC segments after SOI.
func withAuthorship(jpegData []byte) []byte {
	out := append([]byte{}, jpegData[:2]...)
	out = append(out, exifAPP1()...)
	out = append(out, xmpAPP1()...)
	out = append(out, iptcAPP13()...)
	return append(out, jpegData[2:]...)
}

// jpegMetadata walks every segment of a JPEG and lists what is not bare
// image data: APP1–APP15, an APP0 other than JFIF, COM, anything after EOI.
func jpegMetadata(b []byte) []string {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return []string{"not a JPEG"}
	}
	var found []string
	for i := 2; i+2 <= len(b); {
		if b[i] != 0xFF {
			return append(found, fmt.Sprintf("no marker at offset %d", i))
		}
		mk := b[i+1]
		switch {
		case mk == 0xFF:
			i++
			continue
		case mk == 0xD9:
			if i+2 != len(b) {
				found = append(found, fmt.Sprintf("%d bytes after EOI", len(b)-i-2))
			}
			return found
		case mk >= 0xD0 && mk <= 0xD7 || mk == 0x01:
			i += 2
			continue
		}
		if i+4 > len(b) {
			break
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return append(found, fmt.Sprintf("segment %#x overruns the file", mk))
		}
		payload := b[i+4 : i+2+n]
		switch {
		case mk == 0xE0 && bytes.HasPrefix(payload, []byte("JFIF\x00")):
		case mk >= 0xE0 && mk <= 0xEF:
			found = append(found, fmt.Sprintf("APP%d %q", mk-0xE0, payload[:min(len(payload), 16)]))
		case mk == 0xFE:
			found = append(found, fmt.Sprintf("COM %q", payload[:min(len(payload), 16)]))
		}
		i += 2 + n
		if mk == 0xDA { // entropy-coded data up to the next marker
			for {
				j := bytes.IndexByte(b[i:], 0xFF)
				if j < 0 || i+j+1 >= len(b) {
					return append(found, "image data runs to the end")
				}
				i += j
				if nx := b[i+1]; nx != 0 && (nx < 0xD0 || nx > 0xD7) {
					break
				}
				i += 2
			}
		}
	}
	return append(found, "no EOI")
}

// juryLog collects every answer a juror got, to search them all.
type juryLog struct {
	c    *client
	seen []juryAnswer
}

type juryAnswer struct {
	what string
	r    response
}

func (j *juryLog) do(method, path string, body any) response {
	j.c.t.Helper()
	r := j.c.do(method, path, body)
	j.seen = append(j.seen, juryAnswer{method + " " + path, r})
	return r
}

func (j *juryLog) must(want int, method, path string, body any) response {
	j.c.t.Helper()
	r := j.do(method, path, body)
	if r.status != want {
		j.c.t.Fatalf("juror: %s %s = %d %s; want %d", method, path, r.status, snippet(r.body), want)
	}
	return r
}

// leaks reports each forbidden string found, case-insensitively, in the
// headers or body of any answer the juror got.
func (j *juryLog) leaks(t *testing.T, who string, forbidden []string) {
	t.Helper()
	for _, a := range j.seen {
		var raw bytes.Buffer
		for k, vs := range a.r.header {
			fmt.Fprintf(&raw, "%s: %s\n", k, strings.Join(vs, ", "))
		}
		raw.Write(a.r.body)
		low := bytes.ToLower(raw.Bytes())
		for _, f := range forbidden {
			if bytes.Contains(low, []byte(strings.ToLower(f))) {
				t.Errorf("%s: %s (%d) carries %q", who, a.what, a.r.status, f)
			}
		}
	}
}

// images checks every JPEG answer: bare (no metadata segment, no
// metadata signature anywhere) and served as a jury copy should be.
func (j *juryLog) images(t *testing.T, who string) int {
	t.Helper()
	n := 0
	for _, a := range j.seen {
		if a.r.status != 200 || !strings.HasPrefix(a.r.header.Get("Content-Type"), "image/") {
			continue
		}
		n++
		if segs := jpegMetadata(a.r.body); len(segs) > 0 {
			t.Errorf("%s: %s holds %v", who, a.what, segs)
		}
		for _, sig := range []string{"Exif\x00", "http://ns.adobe.com", "Photoshop 3.0", "ICC_PROFILE", "8BIM"} {
			if bytes.Contains(a.r.body, []byte(sig)) {
				t.Errorf("%s: %s contains %q", who, a.what, sig)
			}
		}
		if cc := a.r.header.Get("Cache-Control"); !strings.Contains(cc, "private") || !strings.Contains(cc, "no-store") {
			t.Errorf("%s: %s Cache-Control %q; want private, no-store", who, a.what, cc)
		}
		if ct := a.r.header.Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("%s: %s Content-Type %q", who, a.what, ct)
		}
		if csp := a.r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("%s: %s Content-Security-Policy %q; want a sandbox", who, a.what, csp)
		}
	}
	return n
}

// TestBlindJudging: an entrant whose files name them in EXIF, XMP and
// IPTC, with a position and a telling file name, and whose library keeps
// creator and copyright on previews, enters a call whose terms share
// name and e-mail with the organization. In a blind round no answer a
// juror gets — lists, images, votes, errors — carries any of it, and the
// images hold no metadata segment at all. The owner's own preview does
// carry it (so the jury copy is not a plain preview), and in a round
// that is not blind the juror learns the name, never the e-mail.
func TestBlindJudging(t *testing.T) {
	a, srv, clock := newCallsServer(t)
	verifiedAccount(t, a, srv, "admin@example.com") // the instance admin is none of the below
	owner := verifiedAccount(t, a, srv, "olga@example.com")
	jurors := map[string]*client{
		"jules@example.com": verifiedAccount(t, a, srv, "jules@example.com"),
		"juno@example.com":  verifiedAccount(t, a, srv, "juno@example.com"),
	}
	entrant := namedAccount(t, a, srv, blindEmail, blindName)
	entrantID := str(entrant.must(200, "GET", "/api/v1/me", nil).json, "id")

	org := str(owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Blind Owls Camera Club"}).json, "id")
	call := createPublishedCall(t, owner, org, "Tides", []string{"publication"}, []string{"name", "email"})

	entrant.must(200, "PATCH", "/api/v1/me/library-settings", map[string]bool{"keep_copyright": true})
	fileNames := []string{"ZQ-cove-at-dusk-0417.jpg", "ZQ-harbour-wall-0418.jpg"}
	var assets []string
	for i, name := range fileNames {
		r := entrant.upload("file", name, withAuthorship(testJPEG(t, 800, 600, 60+i)))
		if r.status != 201 {
			t.Fatalf("upload = %d %s", r.status, r.body)
		}
		id := str(r.json, "id")
		got := entrant.waitReady(id)
		// The fixture is read as meant: XMP wins for creator and rights,
		// EXIF for the position.
		gps, _ := got["gps"].(map[string]any)
		if got["status"] != "ready" || got["creator"] != blindName || got["copyright"] != xmpRights || got["credit"] != xmpCredit ||
			gps == nil || math.Abs(gps["lat"].(float64)-48.8567) > 0.001 || got["filename"] != name {
			t.Fatalf("entrant's asset = %v; the test image's metadata was not read as intended", got)
		}
		assets = append(assets, id)
	}
	entry := submitEntry(t, entrant, call, "Tidal study", assets...)

	// Control: the owner's own preview keeps creator, rights and credit.
	for _, id := range assets {
		prev := entrant.must(200, "GET", "/api/v1/assets/"+id+"/preview", nil).body
		for _, s := range []string{blindName, xmpRights, xmpCredit} {
			if !bytes.Contains(prev, []byte(s)) {
				t.Fatalf("the owner's preview lacks %q: the control of this test is void", s)
			}
		}
	}
	// And the organization was given the name and e-mail (the terms say so).
	if list := owner.must(200, "GET", "/api/v1/calls/"+call+"/entries", nil).body; !bytes.Contains(list, []byte(blindEmail)) || !bytes.Contains(list, []byte(blindName)) {
		t.Errorf("managers' entries list lacks the shared name or e-mail: %s", list)
	}

	clock.pastDeadline()
	jurorEmails := []string{"jules@example.com", "juno@example.com"}
	blind := createRound(t, owner, call, "Blind round", "image", "stars_avg", true, jurorEmails...)

	forbidden := []string{blindName, "Zephyrine", "Quillfeather", blindEmail, "zephyrine.quillfeather", entrantID,
		exifArtist, "Vantablack", exifCopyright, xmpRights, xmpCredit, iptcByline, "Brackenbury", iptcNotice,
		"48.856", "2.2944", "48,51", xmpGPSLat, xmpGPSLon, "GPSLatitude"}
	forbidden = append(forbidden, assets...)
	for _, n := range fileNames {
		forbidden = append(forbidden, n, strings.TrimSuffix(n, ".jpg"))
	}
	ghost := uuid.Must(uuid.NewV7()).String()
	R := "/api/v1/rounds/" + blind
	ownerPreview := map[string][]byte{}
	assetOf := map[string]string{} // entry image id → asset id, as the entrant sees it
	for _, im := range itemsOf(entrant.must(200, "GET", "/api/v1/entries/"+entry, nil).json, "images") {
		assetOf[str(im, "id")] = str(im, "asset_id")
	}
	for _, id := range assets {
		ownerPreview[id] = entrant.must(200, "GET", "/api/v1/assets/"+id+"/preview", nil).body
	}
	for i, email := range jurorEmails {
		j := &juryLog{c: jurors[email]}
		if ids := fieldOf(itemsOf(j.must(200, "GET", "/api/v1/me/rounds", nil).json, "items"), "id"); !slices.Equal(ids, []string{blind}) {
			t.Fatalf("%s's rounds = %v; want %s", email, ids, blind)
		}
		j.must(200, "GET", R, nil)
		items := itemsOf(j.must(200, "GET", R+"/entries", nil).json, "items")
		if len(items) != len(assets) {
			t.Fatalf("%s sees %d items; want one per image (%d)", email, len(items), len(assets))
		}
		for _, it := range items {
			if str(it, "entry_id") != entry || str(it, "entrant") != "" {
				t.Errorf("%s: item %v", email, it)
			}
			for _, im := range itemsOf(it, "images") {
				for _, kind := range []string{"thumb", "preview"} {
					r := j.must(200, "GET", R+"/entries/"+entry+"/images/"+str(im, "id")+"/"+kind, nil)
					if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "entry-image-"+str(im, "id")+".jpg") {
						t.Errorf("%s: %s Content-Disposition %q; want the neutral entry-image-<id>.jpg", email, kind, cd)
					}
					if kind == "preview" {
						// The same picture as the owner's preview, stripped.
						got, err1 := jpeg.DecodeConfig(bytes.NewReader(r.body))
						wantCfg, err2 := jpeg.DecodeConfig(bytes.NewReader(ownerPreview[assetOf[str(im, "id")]]))
						if err1 != nil || err2 != nil || got.Width != wantCfg.Width || got.Height != wantCfg.Height {
							t.Errorf("%s: jury preview %dx%d (%v); owner's %dx%d (%v)", email, got.Width, got.Height, err1, wantCfg.Width, wantCfg.Height, err2)
						}
					}
				}
			}
			j.must(200, "PUT", R+"/entries/"+entry+"/vote", map[string]any{"score": 3 + i, "image_id": str(it, "image_id")})
		}
		// Answers to mistakes and to what a juror may not do.
		img := str(items[0], "image_id")
		j.must(400, "PUT", R+"/entries/"+entry+"/vote", map[string]any{"score": 9, "image_id": img})
		j.must(404, "PUT", R+"/entries/"+ghost+"/vote", map[string]any{"score": 3, "image_id": img})
		j.must(404, "GET", R+"/entries/"+entry+"/images/"+ghost+"/preview", nil)
		j.do("GET", R+"/entries/"+entry+"/images/"+img+"/original", nil)
		j.must(404, "GET", R+"/results", nil)
		j.must(404, "GET", "/api/v1/entries/"+entry, nil)
		j.must(404, "GET", "/api/v1/calls/"+call+"/entries", nil)
		j.must(404, "GET", "/api/v1/calls/"+call+"/export.csv", nil)
		j.must(404, "POST", R+"/close", nil)
		j.must(200, "GET", "/api/v1/calls/"+call, nil)
		if i == 1 {
			j.must(204, "POST", R+"/entries/"+entry+"/recuse", nil)
			j.must(409, "PUT", R+"/entries/"+entry+"/vote", map[string]any{"score": 4, "image_id": img})
			j.must(200, "GET", R+"/entries", nil)
		}
		// The jury pages, whatever they answer.
		for _, page := range []string{"/jury", "/jury/" + blind} {
			if r := j.do("GET", page, nil); r.status != 200 {
				t.Logf("%s: GET %s = %d", email, page, r.status)
			}
		}
		if n := j.images(t, email); n != 2*len(assets) {
			t.Errorf("%s got %d images; want %d", email, n, 2*len(assets))
		}
		j.leaks(t, email, forbidden)
	}

	// A round that is not blind names the entrant, as the terms allow —
	// the name, not the e-mail address, and still no metadata.
	named := createRound(t, owner, call, "Named round", "entry", "yesno", false, jurorEmails[0])
	j := &juryLog{c: jurors[jurorEmails[0]]}
	j.must(200, "GET", "/api/v1/me/rounds", nil)
	j.must(200, "GET", "/api/v1/rounds/"+named, nil)
	items := itemsOf(j.must(200, "GET", "/api/v1/rounds/"+named+"/entries", nil).json, "items")
	if len(items) != 1 || str(items[0], "entrant") != blindName {
		t.Errorf("named round items = %v; want the entrant named %q", items, blindName)
	}
	for _, it := range items {
		for _, im := range itemsOf(it, "images") {
			for _, kind := range []string{"thumb", "preview"} {
				j.must(200, "GET", "/api/v1/rounds/"+named+"/entries/"+entry+"/images/"+str(im, "id")+"/"+kind, nil)
			}
		}
	}
	j.must(200, "PUT", "/api/v1/rounds/"+named+"/entries/"+entry+"/vote", map[string]int{"score": 1})
	j.do("GET", "/jury/"+named, nil)
	if n := j.images(t, "named round"); n != 2*len(assets) {
		t.Errorf("named round: %d images; want %d", n, 2*len(assets))
	}
	notName := slices.DeleteFunc(slices.Clone(forbidden), func(s string) bool {
		return s == blindName || s == "Zephyrine" || s == "Quillfeather"
	})
	j.leaks(t, "named round", notName)
}

// TestJuryAccessLogged: every jury copy a juror or a manager opens is in
// the photographer's access log, naming who (address and organization)
// and through which round; refused fetches add nothing.
func TestJuryAccessLogged(t *testing.T) {
	a, srv, clock := newCallsServer(t)
	verifiedAccount(t, a, srv, "admin@example.com")
	owner := verifiedAccount(t, a, srv, "olga@example.com")
	juror := verifiedAccount(t, a, srv, "jules@example.com")
	outsider := verifiedAccount(t, a, srv, "juno@example.com")
	entrant := verifiedAccount(t, a, srv, "ena@example.com")
	org := str(owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Harbour Camera Club"}).json, "id")
	owner.must(201, "POST", "/api/v1/orgs/"+org+"/members", map[string]string{"email": "juno@example.com", "role": "juror"})
	call := createPublishedCall(t, owner, org, "Quays", []string{}, []string{})
	assets := []string{uploadReady(t, entrant, 71), uploadReady(t, entrant, 72)}
	entry := submitEntry(t, entrant, call, "Two quays", assets...)
	imgs := entryImageIDs(t, entrant, entry)

	clock.pastDeadline()
	round := createRound(t, owner, call, "Only round", "entry", "stars_sum", true, "jules@example.com")
	R := "/api/v1/rounds/" + round + "/entries/" + entry + "/images/"
	// What each asset's log must show: juror fetches per kind, and one
	// manager preview of the first image.
	fetches := []struct {
		who  *client
		img  int
		kind string
	}{{juror, 0, "thumb"}, {juror, 0, "thumb"}, {juror, 0, "preview"}, {juror, 1, "thumb"}, {juror, 1, "preview"}, {owner, 0, "preview"}}
	for _, f := range fetches {
		f.who.must(200, "GET", R+imgs[f.img]+"/"+f.kind, nil)
	}
	// Refused: a juror of the organization not invited, a ghost image, an
	// image under another entry's path.
	outsider.must(404, "GET", R+imgs[0]+"/preview", nil)
	juror.must(404, "GET", R+uuid.Must(uuid.NewV7()).String()+"/preview", nil)
	entrant.must(404, "GET", R+imgs[1]+"/thumb", nil)

	for i, asset := range assets {
		log := itemsOf(entrant.must(200, "GET", "/api/v1/assets/"+asset+"/access-log", nil).json, "items")
		got := map[string]int{}
		for _, e := range log {
			if str(e, "via") != "round:"+round {
				continue
			}
			actor := str(e, "actor")
			switch {
			case strings.Contains(actor, "jules@example.com") && strings.Contains(actor, "Harbour Camera Club") && strings.Contains(actor, "juror"):
				got["juror "+str(e, "action")]++
			case strings.Contains(actor, "olga@example.com") && strings.Contains(actor, "Harbour Camera Club") && strings.Contains(actor, "manager"):
				got["manager "+str(e, "action")]++
			default:
				t.Errorf("asset %d: unexpected access %v", i, e)
			}
		}
		wantLog := map[string]int{}
		for _, f := range fetches {
			if f.img == i {
				role := "juror"
				if f.who == owner {
					role = "manager"
				}
				wantLog[role+" "+f.kind]++
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(wantLog) {
			t.Errorf("asset %d: jury accesses %v; want %v (log: %v)", i, got, wantLog, log)
		}
	}
}
