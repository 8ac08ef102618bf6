package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/jpeg"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
)

// flowWorld is an instance with an organization run by Olga (owner) and
// Max (manager), a juror and a viewer added by Max, and two
// photographers, Erin and Sam; every account is verified.
type flowWorld struct {
	a                 *app.App
	srv               *httptest.Server
	owner, manager    *client
	juror, viewer     *client
	erin, sam         *client
	anon              *client
	org               string
	jurorMember       string
	erinImg, erinImg2 string // Erin's library photos (640×480)
}

func newFlowWorld(t *testing.T) *flowWorld {
	t.Helper()
	a, srv := newServer(t, "--signup", "open")
	w := &flowWorld{a: a, srv: srv, anon: newClient(t, srv)}
	w.owner = verifiedAccount(t, a, srv, "olga@example.com")
	w.manager = verifiedAccount(t, a, srv, "max@example.com")
	w.juror = verifiedAccount(t, a, srv, "jane@example.com")
	w.viewer = verifiedAccount(t, a, srv, "vic@example.com")
	w.erin = verifiedAccount(t, a, srv, "erin@example.com")
	w.sam = verifiedAccount(t, a, srv, "sam@example.com")

	org := w.owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Lisbon Photo Festival"}).json
	if org["role"] != "owner" || org["name"] != "Lisbon Photo Festival" {
		t.Fatalf("new organization = %v; want it named, with role owner", org)
	}
	w.org = org["id"].(string)
	o := "/api/v1/orgs/" + w.org
	w.owner.must(201, "POST", o+"/members", map[string]string{"email": "max@example.com", "role": "manager"})
	// A manager adds jurors and viewers, never managers.
	w.jurorMember = w.manager.must(201, "POST", o+"/members", map[string]string{"email": "jane@example.com", "role": "juror"}).json["id"].(string)
	w.manager.must(201, "POST", o+"/members", map[string]string{"email": "vic@example.com", "role": "viewer"})
	w.manager.must(403, "POST", o+"/members", map[string]string{"email": "mo@example.com", "role": "manager"})
	w.manager.must(403, "PATCH", o+"/members/"+w.jurorMember, map[string]string{"role": "manager"}) // owners only
	if m := w.owner.must(200, "PATCH", o+"/members/"+w.jurorMember, map[string]string{"role": "juror"}).json; m["email"] != "jane@example.com" || m["role"] != "juror" {
		t.Fatalf("changed member = %v", m)
	}
	if ms := flowItems(t, w.juror.must(200, "GET", o+"/members", nil)); len(ms) != 4 {
		t.Fatalf("members = %v; want owner, manager, juror, viewer", ms)
	}
	if got := w.manager.must(200, "GET", o, nil).json["role"]; got != "manager" {
		t.Fatalf("Max's role = %v; want manager", got)
	}
	w.erin.must(404, "GET", o, nil) // not a member: the organization does not exist for her
	w.erinImg = uploadReady(t, w.erin, 11)
	w.erinImg2 = uploadReady(t, w.erin, 12)
	return w
}

// newCall has Max create and publish a call whose deadline is two hours
// away, with extra fields merged over sensible ones; it returns the call
// as the public sees it.
func (w *flowWorld) newCall(t *testing.T, extra map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{
		"title":        "Atlantic Light 2025",
		"description":  "Photographs of the coast.",
		"deadline":     time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339),
		"timezone":     "Europe/Lisbon",
		"categories":   []string{"Landscape", "Street"},
		"limits":       map[string]any{"entries_per_entrant": 3, "images_per_entry": 2},
		"requirements": map[string]any{"formats": []string{"jpeg"}, "min_long_edge": 600},
		"terms":        "Entries are judged by the festival's jury. Winners are shown on the festival's site.",
		"rights":       []string{"publication"},
		"shared_data":  []string{"name"},
	}
	for k, v := range extra {
		body[k] = v
	}
	c := w.manager.must(201, "POST", "/api/v1/orgs/"+w.org+"/calls", body).json
	if c["state"] != "draft" || c["role"] != "manager" {
		t.Fatalf("new call = %v; want a draft with role manager", c)
	}
	id := c["id"].(string)
	w.manager.must(200, "POST", "/api/v1/calls/"+id+"/publish", nil)
	return w.anon.must(200, "GET", "/api/v1/calls/"+id, nil).json
}

// passDeadline moves the calls' clock past every deadline the tests set.
func (w *flowWorld) passDeadline() {
	w.a.Calls.SetClock(func() time.Time { return time.Now().Add(3 * time.Hour) })
}

// flowTerms returns the version, hash and text of a call's or a terms
// answer's terms, checking that the hash is the SHA-256 of the text.
func flowTerms(t *testing.T, terms any) (int, string, string) {
	t.Helper()
	m, ok := terms.(map[string]any)
	if !ok {
		t.Fatalf("terms = %v; want an object", terms)
	}
	text, _ := m["text"].(string)
	sum, _ := m["sha256"].(string)
	if h := sha256.Sum256([]byte(text)); sum != hex.EncodeToString(h[:]) || text == "" {
		t.Fatalf("terms sha256 %q is not the SHA-256 of the text %q", sum, text)
	}
	v, _ := m["version"].(float64)
	return int(v), sum, text
}

// flowItems returns the "items" of a list answer.
func flowItems(t *testing.T, r response) []map[string]any {
	t.Helper()
	raw, ok := r.json["items"].([]any)
	if !ok {
		t.Fatalf("answer has no items: %s", r.body)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

// flowFind returns the item whose key equals value, or nil.
func flowFind(items []map[string]any, key string, value any) map[string]any {
	for _, it := range items {
		if it[key] == value {
			return it
		}
	}
	return nil
}

// flowEntryImages returns the entry-image ids of one of the caller's entries.
func flowEntryImages(t *testing.T, c *client, entry string) []string {
	t.Helper()
	var ids []string
	for _, im := range c.must(200, "GET", "/api/v1/entries/"+entry, nil).json["images"].([]any) {
		ids = append(ids, im.(map[string]any)["id"].(string))
	}
	return ids
}

// TestCallFlow runs a call from creation to published results: terms
// with their hash, an entry drafted, autosaved and submitted with the
// consent recorded, the deadline locking it, a blind jury round, results,
// the public winners page, and an originals request approved, downloaded
// and withdrawn — every view of the photographer's images in their
// access log.
func TestCallFlow(t *testing.T) {
	w := newFlowWorld(t)

	// A draft exists for its organization's managers and viewers only.
	draft := w.manager.must(201, "POST", "/api/v1/orgs/"+w.org+"/calls", map[string]any{
		"title": "Atlantic Light 2025", "description": "Photographs of the coast.",
		"deadline": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339), "timezone": "Europe/Lisbon",
		"categories": []string{"Landscape", "Street"}, "limits": map[string]any{"entries_per_entrant": 2, "images_per_entry": 3},
		"requirements": map[string]any{"formats": []string{"jpeg"}, "min_long_edge": 600},
		"terms":        "Entries are judged by the festival's jury. Winners are shown on the festival's site.",
		"rights":       []string{"publication"}, "shared_data": []string{"name"},
	}).json
	id := draft["id"].(string)
	c := "/api/v1/calls/" + id
	w.anon.must(404, "GET", c, nil)
	w.erin.must(404, "GET", c, nil)
	w.juror.must(404, "GET", c, nil)
	if v := w.viewer.must(200, "GET", c, nil).json; v["role"] != "viewer" || v["state"] != "draft" {
		t.Errorf("viewer's view of the draft = role %v state %v; want viewer, draft", v["role"], v["state"])
	}
	w.viewer.must(403, "PATCH", c, map[string]string{"title": "Mine now"})
	w.erin.must(404, "PATCH", c, map[string]string{"title": "Mine now"})
	w.erin.must(404, "POST", c+"/entries", map[string]any{"draft": true})
	orgCalls := "/api/v1/orgs/" + w.org + "/calls"
	if flowFind(flowItems(t, w.viewer.must(200, "GET", orgCalls, nil)), "id", id) == nil ||
		flowFind(flowItems(t, w.juror.must(200, "GET", orgCalls, nil)), "id", id) != nil {
		t.Error("the organization's list of calls shows the draft to a juror, or not to a viewer")
	}
	w.erin.must(404, "GET", orgCalls, nil)

	// The cover: an image body, kept without metadata, shown once published.
	w.manager.must(415, "PUT", c+"/cover", rawBody{ctype: "text/plain", data: []byte("not an image")})
	w.manager.must(400, "PUT", c+"/cover", rawBody{ctype: "image/jpeg", data: []byte("not an image")})
	w.viewer.must(403, "PUT", c+"/cover", rawBody{ctype: "image/jpeg", data: testJPEG(t, 300, 200, 5)})
	w.manager.must(204, "PUT", c+"/cover", rawBody{ctype: "image/jpeg", data: testJPEG(t, 300, 200, 5)})
	w.anon.must(404, "GET", c+"/cover", nil)

	opened := w.manager.must(200, "POST", c+"/publish", nil).json
	if opened["state"] != "open" || opened["published_at"] == nil {
		t.Fatalf("published call = %v; want open with published_at", opened)
	}
	// The public view: the terms in full, with the hash to accept.
	pub := w.anon.must(200, "GET", c, nil).json
	if _, ok := pub["role"]; ok {
		t.Errorf("anonymous view carries role %v", pub["role"])
	}
	version, sha, text := flowTerms(t, pub["terms"])
	if version != 1 || !strings.Contains(text, "judged by the festival's jury") || !strings.Contains(text, "publication") {
		t.Errorf("terms = v%d %q; want version 1 with the body and the publication right", version, text)
	}
	if pub["timezone"] != "Europe/Lisbon" || pub["org"].(map[string]any)["name"] != "Lisbon Photo Festival" {
		t.Errorf("public call = %v", pub)
	}
	if flowFind(flowItems(t, w.anon.must(200, "GET", "/api/v1/calls", nil)), "id", id) == nil {
		t.Error("the published public call is not listed")
	}
	if got := w.manager.must(200, "GET", c, nil).json["role"]; got != "manager" {
		t.Errorf("manager's role on the public route = %v; want manager", got)
	}
	cover := w.anon.must(200, "GET", c+"/cover", nil)
	if _, err := jpeg.Decode(bytes.NewReader(cover.body)); err != nil || cover.header.Get("Content-Type") != "image/jpeg" || pub["has_cover"] != true {
		t.Errorf("cover = %q (decode: %v), has_cover %v", cover.header.Get("Content-Type"), err, pub["has_cover"])
	}
	// The organization's routes of a published call do not exist for
	// others; its members with another role are refused.
	w.erin.must(404, "PATCH", c, map[string]string{"title": "Mine now"})
	w.erin.must(404, "GET", c+"/totals", nil)
	w.juror.must(403, "PATCH", c, map[string]string{"title": "Mine now"})
	w.juror.must(404, "GET", c+"/totals", nil)

	// Erin drafts an entry, autosaves it and submits it with the hash.
	e := w.erin.must(201, "POST", c+"/entries", map[string]any{"title": "Harbour at dawn", "category": "Landscape",
		"asset_ids": []string{w.erinImg}, "draft": true}).json
	entry := e["id"].(string)
	if e["state"] != "draft" || e["number"] != float64(1) {
		t.Errorf("new entry = %v; want draft number 1", e)
	}
	saved := w.erin.must(200, "PATCH", "/api/v1/entries/"+entry, map[string]any{"statement": "Fishing boats leaving Cascais.",
		"asset_ids": []string{w.erinImg, w.erinImg2}}).json
	if saved["state"] != "draft" || len(saved["images"].([]any)) != 2 || saved["statement"] != "Fishing boats leaving Cascais." || saved["editable"] != true {
		t.Errorf("autosaved entry = %v", saved)
	}
	sub := w.erin.must(200, "POST", "/api/v1/entries/"+entry+"/submit", map[string]string{"accept_terms_sha256": sha}).json
	if sub["state"] != "submitted" || sub["terms_version"] != float64(1) || sub["needs_consent"] != false {
		t.Errorf("submitted entry = %v", sub)
	}
	// Sam enters and submits at once.
	samImg := uploadReady(t, w.sam, 21)
	samEntry := w.sam.must(201, "POST", c+"/entries", map[string]any{"title": "Tram 28", "category": "Street",
		"asset_ids": []string{samImg}, "accept_terms_sha256": sha}).json
	if samEntry["state"] != "submitted" {
		t.Errorf("Sam's entry = %v; want submitted", samEntry)
	}

	// The consent record names the text by its hash.
	consents := flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil))
	ct := flowFind(consents, "kind", "call_terms")
	if ct == nil || ct["call_id"] != id || ct["entry_id"] != entry || ct["terms_sha256"] != sha || ct["method"] == "" || ct["at"] == nil {
		t.Fatalf("consents = %v; want a call_terms record of %s with the hash", consents, entry)
	}
	if scope := fmt.Sprint(ct["scope"]); !strings.Contains(scope, "judging") || !strings.Contains(scope, "publication") {
		t.Errorf("consent scope = %s; want judging and publication", scope)
	}
	if tot := w.viewer.must(200, "GET", c+"/totals", nil).json; tot["entries"] != float64(2) || tot["entrants"] != float64(2) || tot["images"] != float64(3) {
		t.Errorf("totals = %v; want 2 entries by 2 entrants, 3 images", tot)
	}

	// The deadline passes: the entry is locked.
	w.passDeadline()
	if st := w.anon.must(200, "GET", c, nil).json["state"]; st != "closed" {
		t.Errorf("state after the deadline = %v; want closed", st)
	}
	w.erin.must(409, "PATCH", "/api/v1/entries/"+entry, map[string]string{"title": "Changed"})
	w.erin.must(409, "DELETE", "/api/v1/entries/"+entry, nil)
	if ed := w.erin.must(200, "GET", "/api/v1/entries/"+entry, nil).json["editable"]; ed != false {
		t.Errorf("entry editable after the deadline = %v", ed)
	}

	// A blind round with Jane.
	round := w.manager.must(201, "POST", c+"/rounds", map[string]any{"name": "First round", "mode": "stars_avg",
		"jurors": []string{"jane@example.com"}}).json
	rid := round["id"].(string)
	if round["blind"] != true || round["unit"] != "entry" || round["number"] != float64(1) {
		t.Errorf("new round = %v; want blind, by entry, number 1", round)
	}
	if st := w.anon.must(200, "GET", c, nil).json["state"]; st != "judging" {
		t.Errorf("state with a round = %v; want judging", st)
	}
	r := "/api/v1/rounds/" + rid
	if mine := flowItems(t, w.juror.must(200, "GET", "/api/v1/me/rounds", nil)); len(mine) != 1 || mine[0]["id"] != rid || mine[0]["juror"] != true {
		t.Errorf("Jane's rounds = %v", mine)
	}
	w.erin.must(404, "GET", r, nil)
	w.viewer.must(404, "GET", r+"/entries", nil)
	items := flowItems(t, w.juror.must(200, "GET", r+"/entries", nil))
	if len(items) != 2 {
		t.Fatalf("jury items = %v; want both entries", items)
	}
	erinItem := flowFind(items, "entry_id", entry)
	if erinItem == nil || erinItem["title"] != "Harbour at dawn" || erinItem["entrant"] != nil {
		t.Fatalf("Erin's item = %v; want her title and no name (blind)", erinItem)
	}
	img := erinItem["images"].([]any)[0].(map[string]any)["id"].(string)
	if img == w.erinImg || img == w.erinImg2 {
		t.Error("the jury sees the photographer's asset id")
	}
	prev := w.juror.must(200, "GET", r+"/entries/"+entry+"/images/"+img+"/preview", nil)
	if prev.header.Get("Content-Type") != "image/jpeg" || prev.header.Get("Cache-Control") != "private, no-store" ||
		!strings.Contains(prev.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("jury copy headers = %v", prev.header)
	}
	if _, err := jpeg.Decode(bytes.NewReader(prev.body)); err != nil || bytes.Contains(prev.body, []byte("Exif")) {
		t.Errorf("jury copy is not a metadata-free JPEG (decode: %v)", err)
	}
	w.juror.must(200, "PUT", r+"/entries/"+entry+"/vote", map[string]int{"score": 5})
	w.juror.must(200, "PUT", r+"/entries/"+samEntry["id"].(string)+"/vote", map[string]int{"score": 2})
	if mine := flowFind(flowItems(t, w.juror.must(200, "GET", r+"/entries", nil)), "entry_id", entry); mine["my_score"] != float64(5) {
		t.Errorf("Jane's own score = %v; want 5", mine["my_score"])
	}

	// The manager's results and progress; a juror has none.
	w.juror.must(404, "GET", r+"/results", nil)
	if g := w.manager.must(200, "GET", r, nil).json; g["manager"] != true || g["juror"] != false || g["call_title"] != "Atlantic Light 2025" {
		t.Errorf("manager's view of the round = %v", g)
	}
	if rs := flowItems(t, w.viewer.must(200, "GET", c+"/rounds", nil)); len(rs) != 1 || rs[0]["id"] != rid {
		t.Errorf("rounds seen by the viewer = %v", rs)
	}
	w.juror.must(404, "GET", c+"/rounds", nil)
	sums := flowItems(t, w.manager.must(200, "GET", c+"/entries", nil))
	if s := flowFind(sums, "id", entry); len(sums) != 2 || s["name"] != "Ann Adams" || s["email"] != nil || s["images"] != float64(2) {
		t.Errorf("entries seen by the manager = %v; want 2, named (shared) without address (not shared)", sums)
	}
	w.viewer.must(404, "GET", c+"/entries", nil)
	res := w.manager.must(200, "GET", r+"/results", nil).json
	scores := res["scores"].([]any)
	best := scores[0].(map[string]any)
	if best["entry_id"] != entry || best["average"] != float64(5) || best["votes"] != float64(1) {
		t.Errorf("best score = %v; want Erin's entry at 5", best)
	}
	jurors := res["jurors"].([]any)
	if j := jurors[0].(map[string]any); len(jurors) != 1 || j["email"] != "jane@example.com" || j["voted"] != float64(2) || j["total"] != float64(2) {
		t.Errorf("juror progress = %v; want Jane 2 of 2", jurors)
	}
	if closed := w.manager.must(200, "POST", r+"/close", nil).json; closed["state"] != "closed" {
		t.Errorf("closed round = %v", closed)
	}
	w.juror.must(409, "PUT", r+"/entries/"+entry+"/vote", map[string]int{"score": 1})
	keys := w.manager.must(200, "POST", r+"/shortlist", map[string]int{"top": 1}).json["keys"].([]any)
	if len(keys) != 1 || keys[0] != entry+"/" {
		t.Errorf("shortlist = %v; want Erin's entry", keys)
	}
	w.manager.must(200, "PUT", c+"/entries/"+entry+"/award", map[string]string{"award": "winner"})
	w.anon.must(404, "GET", c+"/results", nil) // not published yet
	if st := w.manager.must(200, "POST", c+"/results/publish", nil).json["state"]; st != "results" {
		t.Errorf("state after publishing results = %v", st)
	}

	// The public winners page, with images (publication was granted).
	winners := flowItems(t, w.anon.must(200, "GET", c+"/results", nil))
	if len(winners) != 1 || winners[0]["entry_id"] != entry || winners[0]["award"] != "winner" ||
		winners[0]["title"] != "Harbour at dawn" || winners[0]["name"] != "Ann Adams" || len(winners[0]["images"].([]any)) != 2 {
		t.Fatalf("results = %v; want Erin's entry, named, with its 2 images", winners)
	}
	pubImg := winners[0]["images"].([]any)[0].(map[string]any)
	if res := w.anon.must(200, "GET", pubImg["preview_url"].(string), nil); res.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("public image type = %q", res.header.Get("Content-Type"))
	}
	w.anon.must(404, "GET", c+"/results/entries/"+samEntry["id"].(string)+"/images/"+img+"/preview", nil)

	// Every view is in Erin's access log: the juror's, the public page's.
	alog := string(w.erin.must(200, "GET", "/api/v1/assets/"+w.erinImg+"/access-log", nil).body)
	for _, want := range []string{"jane@example.com", "round:" + rid, "Lisbon Photo Festival", "call:" + id} {
		if !strings.Contains(alog, want) {
			t.Errorf("access log lacks %q: %s", want, alog)
		}
	}

	// Originals: asked for both images, Erin approves one and declines
	// the other; only the approved one downloads, and it is her file.
	imgs := flowEntryImages(t, w.erin, entry)
	reqs := flowItems(t, w.manager.must(201, "POST", c+"/entries/"+entry+"/originals-requests", map[string]any{
		"image_ids": imgs, "message": "For the exhibition print."}))
	if len(reqs) != 2 {
		t.Fatalf("originals requests = %v; want 2", reqs)
	}
	mine := flowItems(t, w.erin.must(200, "GET", "/api/v1/me/originals-requests", nil))
	approve, decline := flowFind(mine, "asset_id", w.erinImg), flowFind(mine, "asset_id", w.erinImg2)
	if approve == nil || decline == nil || approve["state"] != "pending" || approve["org_name"] != "Lisbon Photo Festival" {
		t.Fatalf("Erin's requests = %v", mine)
	}
	if got := w.erin.must(200, "POST", "/api/v1/me/originals-requests/"+approve["id"].(string), map[string]bool{"approve": true}).json; got["state"] != "approved" {
		t.Errorf("approved request = %v", got)
	}
	w.erin.must(200, "POST", "/api/v1/me/originals-requests/"+decline["id"].(string), map[string]bool{"approve": false})
	w.erin.must(409, "POST", "/api/v1/me/originals-requests/"+decline["id"].(string), map[string]bool{"approve": true})
	orig := w.manager.must(200, "GET", c+"/originals-requests/"+approve["id"].(string)+"/original", nil)
	if !bytes.Equal(orig.body, testJPEG(t, 640, 480, 11)) {
		t.Errorf("downloaded original (%d bytes) differs from the upload", len(orig.body))
	}
	if cd := orig.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || strings.Contains(cd, "shot") {
		t.Errorf("original's Content-Disposition = %q; want an attachment with a neutral name", cd)
	}
	w.manager.must(404, "GET", c+"/originals-requests/"+decline["id"].(string)+"/original", nil)
	w.viewer.must(404, "GET", c+"/originals-requests/"+approve["id"].(string)+"/original", nil)
	if alog := string(w.erin.must(200, "GET", "/api/v1/assets/"+w.erinImg+"/access-log", nil).body); !strings.Contains(alog, "originals:"+approve["id"].(string)) {
		t.Errorf("access log lacks the original's download: %s", alog)
	}

	// Erin withdraws the release: the original is gone for the organization.
	release := flowFind(flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil)), "kind", "originals_release")
	if release == nil || release["asset_id"] != w.erinImg {
		t.Fatalf("no originals_release consent for %s", w.erinImg)
	}
	w.erin.must(204, "POST", "/api/v1/me/consents/"+release["id"].(string)+"/withdraw", nil)
	w.manager.must(404, "GET", c+"/originals-requests/"+approve["id"].(string)+"/original", nil)
	if q := flowFind(flowItems(t, w.manager.must(200, "GET", c+"/originals-requests", nil)), "id", approve["id"]); q["state"] != "withdrawn" {
		t.Errorf("request after the release's withdrawal = %v; want withdrawn", q)
	}

	// The export: titles and scores, no address the terms did not share.
	csv := w.manager.must(200, "GET", c+"/export.csv", nil)
	body := string(csv.body)
	if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "Harbour at dawn") || !strings.Contains(body, "5.00") {
		t.Errorf("CSV export = %q", body)
	}
	if strings.Contains(body, "@example.com") {
		t.Errorf("CSV export carries an e-mail address the terms do not share: %q", body)
	}
	w.viewer.must(404, "GET", c+"/export.csv", nil)
}

// TestCallConsent: a consent names the exact terms text; changed terms
// are a new version with a new hash, entries accepted under the old one
// wait for a new acceptance (and are not judged), and acceptance records
// a second consent.
func TestCallConsent(t *testing.T) {
	w := newFlowWorld(t)
	call := w.newCall(t, map[string]any{"limits": map[string]any{"entries_per_entrant": 5, "images_per_entry": 2}})
	id := call["id"].(string)
	c := "/api/v1/calls/" + id
	_, sha1, text1 := flowTerms(t, call["terms"])

	submit := func(title, asset string) string {
		return w.erin.must(201, "POST", c+"/entries", map[string]any{"title": title, "category": "Landscape",
			"asset_ids": []string{asset}, "accept_terms_sha256": sha1}).json["id"].(string)
	}
	stale, renewed := submit("Cliffs", w.erinImg), submit("Dunes", w.erinImg2)
	draft := w.erin.must(201, "POST", c+"/entries", map[string]any{"title": "Fog", "category": "Landscape",
		"asset_ids": []string{w.erinImg}, "draft": true}).json["id"].(string)

	// The manager changes the terms: version 2, another hash.
	changed := w.manager.must(200, "PATCH", c, map[string]any{"terms": "Entries are judged by the festival's jury. Winners may be printed in the catalogue."}).json
	v2, sha2, text2 := flowTerms(t, changed["terms"])
	if v2 != 2 || sha2 == sha1 || text2 == text1 {
		t.Fatalf("changed terms = v%d %s; want version 2 with a new hash", v2, sha2)
	}
	if v, s, _ := flowTerms(t, w.anon.must(200, "GET", c, nil).json["terms"]); v != 2 || s != sha2 {
		t.Errorf("public terms = v%d %s; want v2 %s", v, s, sha2)
	}
	// Categories, limits and requirements are fixed once published.
	w.manager.must(409, "PATCH", c, map[string]any{"categories": []string{"Other"}})

	// A submission must name the current text.
	for _, body := range []map[string]string{{"accept_terms_sha256": sha1}, {}} {
		res := w.erin.must(409, "POST", "/api/v1/entries/"+draft+"/submit", body)
		if res.json["terms_sha256"] != sha2 || res.json["terms_version"] != float64(2) {
			t.Errorf("refused submission %v = %s; want the current hash and version", body, res.body)
		}
	}
	if res := w.erin.must(409, "POST", c+"/entries", map[string]any{"title": "Rocks", "category": "Landscape",
		"asset_ids": []string{w.erinImg}, "accept_terms_sha256": "0123"}); res.json["terms_sha256"] != sha2 {
		t.Errorf("stale creation = %s; want the current hash", res.body)
	}

	// The earlier entries wait for a new acceptance.
	old := w.erin.must(200, "GET", "/api/v1/entries/"+stale, nil).json
	if old["needs_consent"] != true || old["terms_version"] != float64(1) || old["current_terms_sha256"] != sha2 {
		t.Errorf("entry under the old terms = %v; want needs_consent", old)
	}
	w.erin.must(409, "PATCH", "/api/v1/entries/"+stale, map[string]string{"title": "Cliffs at noon"})
	again := w.erin.must(200, "POST", "/api/v1/entries/"+renewed+"/submit", map[string]string{"accept_terms_sha256": sha2}).json
	if again["needs_consent"] != false || again["terms_version"] != float64(2) {
		t.Errorf("re-accepted entry = %v", again)
	}
	var versions []float64
	for _, ct := range flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil)) {
		if ct["kind"] == "call_terms" && ct["entry_id"] == renewed {
			versions = append(versions, ct["terms_version"].(float64))
		}
	}
	slices.Sort(versions)
	if !slices.Equal(versions, []float64{1, 2}) {
		t.Errorf("consents of the re-accepted entry name versions %v; want 1 and 2", versions)
	}
	if tot := w.manager.must(200, "GET", c+"/totals", nil).json; tot["stale_terms"] != float64(1) || tot["drafts"] != float64(1) {
		t.Errorf("totals = %v; want 1 stale, 1 draft", tot)
	}

	// Every published version stays readable, with its hash.
	list := flowItems(t, w.anon.must(200, "GET", c+"/terms", nil))
	if len(list) != 2 {
		t.Fatalf("terms versions = %v; want 2", list)
	}
	for i, want := range []string{sha1, sha2} {
		if v, s, _ := flowTerms(t, list[i]); v != i+1 || s != want {
			t.Errorf("terms[%d] = v%d %s; want v%d %s", i, v, s, i+1, want)
		}
	}
	if _, s, _ := flowTerms(t, w.anon.must(200, "GET", c+"/terms/1", nil).json); s != sha1 {
		t.Errorf("terms/1 hash = %s; want %s", s, sha1)
	}
	w.anon.must(404, "GET", c+"/terms/3", nil)
	w.anon.must(404, "GET", c+"/terms/x", nil)

	// After the deadline a round judges only what was accepted under the
	// current terms.
	staleImg := flowEntryImages(t, w.erin, stale)[0]
	w.passDeadline()
	rid := w.manager.must(201, "POST", c+"/rounds", map[string]any{"name": "Round 1", "jurors": []string{"jane@example.com"}}).json["id"].(string)
	items := flowItems(t, w.juror.must(200, "GET", "/api/v1/rounds/"+rid+"/entries", nil))
	if len(items) != 1 || items[0]["entry_id"] != renewed {
		t.Errorf("round candidates = %v; want only the re-accepted entry", items)
	}
	w.juror.must(404, "GET", "/api/v1/rounds/"+rid+"/entries/"+stale+"/images/"+staleImg+"/preview", nil)
	w.juror.must(404, "PUT", "/api/v1/rounds/"+rid+"/entries/"+stale+"/vote", map[string]int{"score": 3})
	w.erin.must(409, "POST", "/api/v1/entries/"+stale+"/submit", map[string]string{"accept_terms_sha256": sha2})
}

// TestCallBadInput: every refusal answers the documented status and
// leaves nothing behind.
func TestCallBadInput(t *testing.T) {
	w := newFlowWorld(t)
	call := w.newCall(t, map[string]any{"limits": map[string]any{"entries_per_entrant": 2, "images_per_entry": 2}})
	id := call["id"].(string)
	c := "/api/v1/calls/" + id
	_, sha, _ := flowTerms(t, call["terms"])
	stranger := verifiedAccount(t, w.a, w.srv, "stan@example.com")
	foreign := uploadReady(t, stranger, 31)
	small := w.erin.upload("file", "small.jpg", testJPEG(t, 400, 300, 13)).json["id"].(string)
	if st := w.erin.waitReady(small)["status"]; st != "ready" {
		t.Fatalf("small upload ended %v", st)
	}
	entry := func(assets []string, extra map[string]any) map[string]any {
		b := map[string]any{"title": "Waves", "category": "Landscape", "asset_ids": assets, "accept_terms_sha256": sha}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}

	// Malformed requests, unknown fields, another content type.
	w.erin.must(400, "POST", c+"/entries", "{")
	if res := w.erin.must(400, "POST", c+"/entries", `{"titel": "Waves"}`); !strings.Contains(res.json["error"].(string), "titel") {
		t.Errorf("unknown field answer = %s", res.body)
	}
	w.erin.must(415, "POST", c+"/entries", rawBody{ctype: "text/plain", data: []byte(`{"draft": true}`)})
	w.anon.must(401, "POST", c+"/entries", map[string]any{"draft": true})
	w.erin.must(400, "POST", c+"/entries", map[string]any{"draft": true, "accept_terms_sha256": sha})
	w.manager.must(400, "POST", "/api/v1/orgs/"+w.org+"/calls", map[string]any{"title": "No deadline"})
	w.manager.must(400, "POST", "/api/v1/orgs/"+w.org+"/calls", map[string]any{"title": "Past", "deadline": "2020-01-01T10:00", "timezone": "Europe/Lisbon"})
	w.manager.must(400, "POST", "/api/v1/orgs/"+w.org+"/calls", map[string]any{"title": "Bad zone", "deadline": "2099-01-01T10:00", "timezone": "Mars/Olympus"})

	// Bad ids are simply not found.
	for _, p := range []string{"/api/v1/calls/nope", "/api/v1/calls/0197a000-0000-7000-8000-000000000000", "/api/v1/entries/nope",
		"/api/v1/entries/0197a000-0000-7000-8000-000000000000", "/api/v1/rounds/nope", "/api/v1/orgs/nope", c + "/terms/0"} {
		w.erin.must(404, "GET", p, nil)
	}

	// Refused entries create nothing.
	cases := []struct {
		name   string
		status int
		body   map[string]any
	}{
		{"another user's asset", 400, entry([]string{foreign}, nil)},
		{"another user's asset in a draft", 400, entry([]string{foreign}, map[string]any{"accept_terms_sha256": "", "draft": true})},
		{"too many images", 400, entry([]string{w.erinImg, w.erinImg2, small}, nil)},
		{"an image twice", 400, entry([]string{w.erinImg, w.erinImg}, nil)},
		{"unknown category", 400, entry([]string{w.erinImg}, map[string]any{"category": "Portrait"})},
		{"wrong terms hash", 409, entry([]string{w.erinImg}, map[string]any{"accept_terms_sha256": strings.Repeat("0", 64)})},
		{"no terms hash", 409, entry([]string{w.erinImg}, map[string]any{"accept_terms_sha256": ""})},
		{"too small", 422, entry([]string{w.erinImg, small}, nil)},
	}
	for _, tc := range cases {
		res := w.erin.do("POST", c+"/entries", tc.body)
		if res.status != tc.status {
			t.Errorf("%s: POST entries = %d %s; want %d", tc.name, res.status, res.body, tc.status)
		}
		if tc.status == 409 && res.json["terms_sha256"] != sha {
			t.Errorf("%s: answer %s lacks the current terms hash", tc.name, res.body)
		}
		if tc.status == 422 {
			probs, _ := res.json["problems"].([]any)
			if len(probs) != 1 || probs[0].(map[string]any)["asset_id"] != small || !strings.Contains(probs[0].(map[string]any)["reason"].(string), "long edge") {
				t.Errorf("%s: problems = %v; want the small image's long edge", tc.name, probs)
			}
		}
	}
	if mine := flowItems(t, w.erin.must(200, "GET", "/api/v1/me/entries", nil)); len(mine) != 0 {
		t.Fatalf("refused submissions left entries: %v", mine)
	}

	// Two entries fill the limit; the withdrawn one frees its place.
	kept := w.erin.must(201, "POST", c+"/entries", entry([]string{w.erinImg}, nil)).json["id"].(string)
	gone := w.erin.must(201, "POST", c+"/entries", entry([]string{w.erinImg2}, map[string]any{"title": "Spray"})).json["id"].(string)
	w.erin.must(409, "POST", c+"/entries", entry([]string{w.erinImg}, map[string]any{"title": "Third"}))
	w.erin.must(409, "POST", "/api/v1/entries/"+kept+"/submit", map[string]string{"accept_terms_sha256": sha}) // submitted already
	goneImg := flowEntryImages(t, w.erin, gone)[0]
	w.erin.must(204, "DELETE", "/api/v1/entries/"+gone, nil)
	if st := w.erin.must(200, "GET", "/api/v1/entries/"+gone, nil).json["state"]; st != "withdrawn" {
		t.Errorf("withdrawn entry's state = %v", st)
	}
	if ct := flowFind(flowItems(t, w.erin.must(200, "GET", "/api/v1/me/consents", nil)), "entry_id", gone); ct == nil || ct["withdrawn_at"] == nil {
		t.Errorf("the withdrawn entry's consent = %v; want withdrawn", ct)
	}
	w.erin.must(404, "DELETE", "/api/v1/entries/"+gone, nil)
	w.checkHidden(t, stranger, kept)

	// After the deadline.
	w.passDeadline()
	w.erin.must(409, "POST", c+"/entries", entry([]string{w.erinImg2}, map[string]any{"title": "Late"}))
	w.manager.must(400, "POST", c+"/rounds", map[string]any{"name": "R", "jurors": []string{}})
	w.manager.must(400, "POST", c+"/rounds", map[string]any{"name": "R", "mode": "thumbs", "jurors": []string{"jane@example.com"}})
	rid := w.manager.must(201, "POST", c+"/rounds", map[string]any{"name": "Round 1", "jurors": []string{"jane@example.com"}}).json["id"].(string)
	r := "/api/v1/rounds/" + rid
	if items := flowItems(t, w.juror.must(200, "GET", r+"/entries", nil)); len(items) != 1 || items[0]["entry_id"] != kept {
		t.Errorf("candidates = %v; want only the entry not withdrawn", items)
	}
	// The withdrawn entry's image is gone for the jury and the organization.
	for _, who := range []*client{w.juror, w.manager} {
		who.must(404, "GET", r+"/entries/"+gone+"/images/"+goneImg+"/preview", nil)
		who.must(404, "GET", r+"/entries/"+gone+"/images/"+goneImg+"/thumb", nil)
	}
	w.juror.must(404, "PUT", r+"/entries/"+gone+"/vote", map[string]int{"score": 3})

	// Votes off the scale, or by someone not invited.
	for _, body := range []any{map[string]int{"score": 6}, map[string]int{"score": 0}, map[string]int{}, `{"score": "five"}`} {
		w.juror.must(400, "PUT", r+"/entries/"+kept+"/vote", body)
	}
	w.juror.must(404, "PUT", r+"/entries/nope/vote", map[string]int{"score": 3})
	w.manager.must(404, "PUT", r+"/entries/"+kept+"/vote", map[string]int{"score": 3}) // managers are not jurors
	w.viewer.must(404, "PUT", r+"/entries/"+kept+"/vote", map[string]int{"score": 3})
	w.erin.must(404, "PUT", r+"/entries/"+kept+"/vote", map[string]int{"score": 5})
	stranger.must(404, "PUT", r+"/entries/"+kept+"/vote", map[string]int{"score": 5})
	// A juror of the organization who is not invited to this round.
	jim := verifiedAccount(t, w.a, w.srv, "jim@example.com")
	w.manager.must(201, "POST", "/api/v1/orgs/"+w.org+"/members", map[string]string{"email": "jim@example.com", "role": "juror"})
	jim.must(404, "GET", r, nil)
	jim.must(404, "PUT", r+"/entries/"+kept+"/vote", map[string]int{"score": 5})
	// A juror who recuses, without having voted, no longer votes on that
	// entry, and her progress counts the recusal; removing Jane from the
	// organization ends her round at once.
	w.juror.must(204, "POST", r+"/entries/"+kept+"/recuse", nil)
	w.juror.must(409, "PUT", r+"/entries/"+kept+"/vote", map[string]int{"score": 5})
	if it := flowItems(t, w.juror.must(200, "GET", r+"/entries", nil))[0]; it["recused"] != true {
		t.Errorf("item after recusal = %v; want recused", it)
	}
	if js, _ := w.manager.must(200, "GET", r+"/results", nil).json["jurors"].([]any); len(js) != 1 ||
		js[0].(map[string]any)["recused"] != float64(1) || js[0].(map[string]any)["voted"] != float64(0) {
		t.Errorf("progress of a juror who only recused = %v; want 1 recused, 0 voted", js)
	}
	w.owner.must(204, "DELETE", "/api/v1/orgs/"+w.org+"/members/"+w.jurorMember, nil)
	w.juror.must(404, "GET", r+"/entries", nil)

	// Shortlists and awards need the right state and a valid choice.
	w.manager.must(409, "POST", r+"/shortlist", map[string]int{"top": 1})
	w.manager.must(200, "POST", r+"/close", nil)
	w.manager.must(400, "POST", r+"/shortlist", map[string]any{"top": 1, "keys": []string{kept + "/"}})
	w.manager.must(400, "POST", r+"/shortlist", map[string]any{"keys": []string{gone + "/"}})
	w.manager.must(400, "PUT", c+"/entries/"+kept+"/award", map[string]string{"award": "gold"})
	w.manager.must(404, "PUT", c+"/entries/"+gone+"/award", map[string]string{"award": "winner"})
	w.manager.must(409, "POST", c+"/entries/"+kept+"/originals-requests", map[string]any{}) // not a finalist
	w.anon.must(404, "GET", c+"/results", nil)
}

// checkHidden checks that another account sees nothing of Erin's entry.
func (w *flowWorld) checkHidden(t *testing.T, c *client, entry string) {
	t.Helper()
	c.must(404, "GET", "/api/v1/entries/"+entry, nil)
	c.must(404, "PATCH", "/api/v1/entries/"+entry, map[string]string{"title": "Mine"})
	c.must(404, "POST", "/api/v1/entries/"+entry+"/submit", map[string]string{"accept_terms_sha256": "x"})
	c.must(404, "DELETE", "/api/v1/entries/"+entry, nil)
}
