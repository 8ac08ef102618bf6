package app_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRestrictionFreezesSharing: restricting processing (GDPR Art. 18)
// makes the owner's projects and review links answer 404 on every
// endpoint — page, thumb, preview, original, ZIP, review, API — to every
// member and guest, refuses uploads, keeps the trash past its period, and
// is recorded where the owner sees it; lifting it needs the password and
// brings everything back as it was.
func TestRestrictionFreezesSharing(t *testing.T) {
	f := newSharingFixture(t)
	p := "/api/v1/projects/" + f.project
	link := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "original"}).json["token"].(string)
	locked := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "preview", "password": "harbour lights"}).json["token"].(string)
	l, lk := "/api/v1/links/"+link, "/api/v1/links/"+locked
	guest, visitor := newClient(t, f.srv), newClient(t, f.srv)
	guest.must(200, "PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 4, "name": "Cleo Client", "email": "cleo@client.example"})
	trashed := uploadReady(t, f.owner, 9)
	f.owner.must(204, "DELETE", "/api/v1/assets/"+trashed, nil)

	// Everything the others can reach, and the answer while not restricted.
	type call struct {
		who          *client
		method, path string
		body         any
		open         int
	}
	reach := []call{
		{f.viewer, "GET", p, nil, 200},
		{f.viewer, "GET", p + "/assets", nil, 200},
		{f.viewer, "GET", p + "/assets/" + f.asset + "/thumb", nil, 200},
		{f.viewer, "GET", p + "/assets/" + f.asset + "/preview", nil, 200},
		{f.reviewer, "GET", p + "/zip", nil, 200},
		{f.reviewer, "PUT", p + "/assets/" + f.asset + "/review", map[string]any{"rating": 3}, 200},
		{f.reviewer, "POST", p + "/assets/" + f.asset + "/comments", map[string]string{"body": "nice"}, 201},
		{f.editor, "GET", p + "/assets/" + f.asset + "/original", nil, 200},
		{f.editor, "GET", p + "/members", nil, 200},
		{f.editor, "GET", "/projects/" + f.project, nil, 200},
		{guest, "GET", l, nil, 200},
		{guest, "GET", l + "/assets/" + f.asset + "/thumb", nil, 200},
		{guest, "GET", l + "/assets/" + f.asset + "/preview", nil, 200},
		{guest, "GET", l + "/assets/" + f.asset + "/original", nil, 200},
		{guest, "GET", l + "/zip", nil, 200},
		{guest, "PUT", l + "/assets/" + f.asset + "/review", map[string]any{"rating": 5}, 200},
		{guest, "POST", l + "/assets/" + f.asset + "/comments", map[string]string{"body": "still the one"}, 201},
		{guest, "GET", "/s/" + link, nil, 200},
		{visitor, "POST", lk + "/unlock", map[string]string{"password": "harbour lights"}, 204},
	}
	check := func(when string, restricted bool) {
		t.Helper()
		for _, c := range reach {
			want := c.open
			if restricted {
				want = 404
			}
			if r := c.who.do(c.method, c.path, c.body); r.status != want {
				t.Errorf("%s: %s %s = %d; want %d", when, c.method, c.path, r.status, want)
			}
		}
		shared := f.viewer.must(200, "GET", "/api/v1/projects", nil).json["shared"].([]any)
		if listed := len(shared) == 1; listed == restricted {
			t.Errorf("%s: the viewer's shared projects = %v", when, shared)
		}
	}
	check("before", false)
	f.owner.must(200, "GET", "/api/v1/me/restriction", nil)
	if r := f.owner.must(200, "GET", "/api/v1/me/restriction", nil).json; r["restricted"] != false || r["since"] != nil {
		t.Fatalf("restriction before = %v", r)
	}

	on := f.owner.must(200, "POST", "/api/v1/me/restriction", nil).json
	if on["restricted"] != true || on["since"] == nil {
		t.Fatalf("restriction = %v; want restricted with since", on)
	}
	check("restricted", true)
	// Unknown, revoked and frozen links look the same.
	never := newClient(t, f.srv).do("GET", "/api/v1/links/slk_"+strings.Repeat("A", 43), nil)
	if r := guest.do("GET", l, nil); !bytes.Equal(r.body, never.body) {
		t.Errorf("frozen link = %s; want the unknown token's answer %s", r.body, never.body)
	}
	// Restricting again keeps the first time.
	if again := f.owner.must(200, "POST", "/api/v1/me/restriction", nil).json; again["since"] != on["since"] {
		t.Errorf("second restriction since = %v; want the first, %v", again["since"], on["since"])
	}
	// The owner keeps their own view, and new processing waits.
	f.owner.must(200, "GET", p, nil)
	if got := f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/original", nil).body; !bytes.Equal(got, testJPEG(t, 640, 480, 1)) {
		t.Error("the owner's own original differs while restricted")
	}
	if r := f.owner.upload("file", "new.jpg", testJPEG(t, 320, 240, 77)); r.status != 409 || !strings.Contains(r.json["error"].(string), "restricted") {
		t.Errorf("upload while restricted = %d %s; want 409 naming the restriction", r.status, r.body)
	}
	if r := f.owner.must(200, "GET", "/api/v1/assets", nil).json["items"].([]any); len(r) != 3 {
		t.Errorf("library after the refused upload has %d photos; want 3", len(r))
	}
	// Storage only: the trash is kept past its period while restricted.
	f.a.Library.SetClock(func() time.Time { return time.Now().Add(40 * 24 * time.Hour) })
	defer f.a.Library.SetClock(time.Now)
	if err := f.a.Library.PurgeTrash(t.Context()); err != nil {
		t.Fatal(err)
	}
	if items := f.owner.must(200, "GET", "/api/v1/trash", nil).json["items"].([]any); len(items) != 1 {
		t.Errorf("trash after a purge while restricted = %v; want the photo kept", items)
	}

	// Lifting needs the password; a wrong one changes nothing.
	if r := f.owner.must(403, "DELETE", "/api/v1/me/restriction", nil).json; r["password_required"] != true {
		t.Errorf("lifting without the password = %v; want password_required", r)
	}
	f.owner.must(403, "DELETE", "/api/v1/me/restriction", map[string]string{"password": "not the password at all"})
	if r := f.owner.must(200, "GET", "/api/v1/me/restriction", nil).json; r["restricted"] != true {
		t.Fatalf("after refused lifts = %v; want still restricted", r)
	}
	check("after refused lifts", true)
	if off := f.owner.must(200, "DELETE", "/api/v1/me/restriction", withReauth(t, f.owner, "ann@example.com", nil)).json; off["restricted"] != false {
		t.Fatalf("lifted = %v", off)
	}
	check("lifted", false)
	if err := f.a.Library.PurgeTrash(t.Context()); err != nil {
		t.Fatal(err)
	}
	if items := f.owner.must(200, "GET", "/api/v1/trash", nil).json["items"].([]any); len(items) != 0 {
		t.Errorf("trash after the lift's purge = %v; want it emptied", items)
	}
	f.a.Library.SetClock(time.Now)
	uploadReady(t, f.owner, 78)

	// Both changes are in the owner's security events.
	events := string(f.owner.must(200, "GET", "/api/v1/me/security-events", nil).body)
	for _, want := range []string{"account.restricted", "account.restriction_lifted"} {
		if !strings.Contains(events, want) {
			t.Errorf("security events lack %s: %s", want, events)
		}
	}
}

// TestRestrictionFreezesCalls: a photographer who restricts processing is
// out of every jury's, manager's and the public's sight — items, images,
// votes, recusals, results, summaries, awards, the CSV, the results page
// and released originals — and back where they were once they lift it.
func TestRestrictionFreezesCalls(t *testing.T) {
	w := newFlowWorld(t)
	call := w.newCall(t, nil)
	_, sha, _ := flowTerms(t, call["terms"])
	c := "/api/v1/calls/" + call["id"].(string)
	erin := w.erin.must(201, "POST", c+"/entries", map[string]any{"title": "Harbour at dawn", "category": "Landscape",
		"asset_ids": []string{w.erinImg}, "accept_terms_sha256": sha}).json["id"].(string)
	samImg := uploadReady(t, w.sam, 21)
	sam := w.sam.must(201, "POST", c+"/entries", map[string]any{"title": "Tram 28", "category": "Street",
		"asset_ids": []string{samImg}, "accept_terms_sha256": sha}).json["id"].(string)
	w.passDeadline()
	r := "/api/v1/rounds/" + w.manager.must(201, "POST", c+"/rounds", map[string]any{"name": "Round 1", "jurors": []string{"jane@example.com"}}).json["id"].(string)
	img := flowFind(flowItems(t, w.juror.must(200, "GET", r+"/entries", nil)), "entry_id", erin)["images"].([]any)[0].(map[string]any)["id"].(string)
	restrict := func() { w.erin.must(200, "POST", "/api/v1/me/restriction", nil) }
	lift := func() {
		w.erin.must(200, "DELETE", "/api/v1/me/restriction", withReauth(t, w.erin, "erin@example.com", nil))
	}
	entries := func(c *client, path string) []string {
		t.Helper()
		var ids []string
		for _, it := range flowItems(t, c.must(200, "GET", path, nil)) {
			if id, ok := it["entry_id"].(string); ok {
				ids = append(ids, id)
			} else {
				ids = append(ids, it["id"].(string))
			}
		}
		return ids
	}

	// Judging.
	restrict()
	if got := entries(w.juror, r+"/entries"); len(got) != 1 || got[0] != sam {
		t.Errorf("jury items while Erin is restricted = %v; want only Sam's", got)
	}
	w.juror.must(404, "GET", r+"/entries/"+erin+"/images/"+img+"/thumb", nil)
	w.juror.must(404, "GET", r+"/entries/"+erin+"/images/"+img+"/preview", nil)
	w.juror.must(404, "PUT", r+"/entries/"+erin+"/vote", map[string]int{"score": 5})
	w.juror.must(404, "POST", r+"/entries/"+erin+"/recuse", nil)
	w.manager.must(404, "GET", r+"/entries/"+erin+"/images/"+img+"/preview", nil)
	if got := entries(w.manager, c+"/entries"); len(got) != 1 || got[0] != sam {
		t.Errorf("manager's entries while Erin is restricted = %v; want only Sam's", got)
	}
	res := w.manager.must(200, "GET", r+"/results", nil).json
	if sc := res["scores"].([]any); len(sc) != 1 || sc[0].(map[string]any)["entry_id"] != sam {
		t.Errorf("scores while Erin is restricted = %v; want only Sam's", sc)
	}
	w.manager.must(404, "PUT", c+"/entries/"+erin+"/award", map[string]string{"award": "winner"})
	// Her own view is hers.
	if e := w.erin.must(200, "GET", "/api/v1/entries/"+erin, nil).json; e["state"] != "submitted" {
		t.Errorf("Erin's own entry while restricted = %v", e)
	}
	lift()
	if got := entries(w.juror, r+"/entries"); len(got) != 2 {
		t.Errorf("jury items after the lift = %v; want both", got)
	}
	w.juror.must(200, "GET", r+"/entries/"+erin+"/images/"+img+"/preview", nil)
	w.juror.must(200, "PUT", r+"/entries/"+erin+"/vote", map[string]int{"score": 5})
	w.juror.must(200, "PUT", r+"/entries/"+sam+"/vote", map[string]int{"score": 2})
	w.manager.must(200, "POST", r+"/close", nil)
	w.manager.must(200, "PUT", c+"/entries/"+erin+"/award", map[string]string{"award": "winner"})
	w.manager.must(200, "POST", c+"/results/publish", nil)
	reqs := flowItems(t, w.manager.must(201, "POST", c+"/entries/"+erin+"/originals-requests", map[string]any{"message": "For the print."}))
	w.erin.must(200, "POST", "/api/v1/me/originals-requests/"+reqs[0]["id"].(string), map[string]bool{"approve": true})
	original := c + "/originals-requests/" + reqs[0]["id"].(string) + "/original"
	w.manager.must(200, "GET", original, nil)
	winners := flowItems(t, w.anon.must(200, "GET", c+"/results", nil))
	if len(winners) != 1 {
		t.Fatalf("results = %v; want Erin's entry", winners)
	}
	pubPreview := winners[0]["images"].([]any)[0].(map[string]any)["preview_url"].(string)
	w.anon.must(200, "GET", pubPreview, nil)

	// Results, the public page and originals.
	restrict()
	if got := flowItems(t, w.anon.must(200, "GET", c+"/results", nil)); len(got) != 0 {
		t.Errorf("public results while Erin is restricted = %v; want none", got)
	}
	w.anon.must(404, "GET", pubPreview, nil)
	w.manager.must(404, "GET", original, nil)
	w.manager.must(404, "POST", c+"/entries/"+erin+"/originals-requests", map[string]any{})
	if csv := string(w.manager.must(200, "GET", c+"/export.csv", nil).body); strings.Contains(csv, "Harbour at dawn") || !strings.Contains(csv, "Tram 28") {
		t.Errorf("CSV while Erin is restricted = %q; want Sam's entry only", csv)
	}
	lift()
	if got := flowItems(t, w.anon.must(200, "GET", c+"/results", nil)); len(got) != 1 {
		t.Errorf("public results after the lift = %v; want Erin's entry back", got)
	}
	w.anon.must(200, "GET", pubPreview, nil)
	w.manager.must(200, "GET", original, nil)

	// Optional mail: no deadline reminder while restricted, even with the
	// consent to such e-mails; one again once lifted.
	giveNotifications(t, w.erin)
	soon := w.newCall(t, map[string]any{"title": "Night Light", "deadline": time.Now().Add(5 * 24 * time.Hour).UTC().Format(time.RFC3339)})
	w.erin.must(201, "POST", "/api/v1/calls/"+soon["id"].(string)+"/entries", map[string]any{
		"title": "Tide pools", "category": "Landscape", "asset_ids": []string{w.erinImg}, "draft": true})
	w.erin.must(201, "POST", "/api/v1/calls/"+soon["id"].(string)+"/entries", map[string]any{
		"title": "Moon pools", "category": "Landscape", "asset_ids": []string{w.erinImg2}, "draft": true})
	w.a.Calls.SetClock(func() time.Time { return time.Now().Add(60 * time.Hour) })
	restrict()
	if err := w.a.Calls.SendReminders(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ms := outboxTo(t, w.a, "erin@example.com", "Deadline soon"); len(ms) != 0 {
		t.Errorf("reminders while restricted = %d; want none", len(ms))
	}
	lift()
	if err := w.a.Calls.SendReminders(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ms := outboxTo(t, w.a, "erin@example.com", "Deadline soon"); len(ms) == 0 {
		t.Error("no reminder after the lift; want the consent to count again")
	}
}

// TestRestrictionPage: the privacy center switches the restriction on in
// one step, says since when and what it pauses, and lifts it only with
// the password (a wrong one is refused on the field, and changes nothing).
func TestRestrictionPage(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := verifiedAccount(t, a, srv, "ann@example.com")
	if page := string(ann.must(200, "GET", "/account/privacy", nil).body); !strings.Contains(page, `id="restriction-request"`) || strings.Contains(page, `id="restriction-on"`) {
		t.Fatal("the privacy center does not offer the restriction, or shows it on")
	}
	ann.must(303, "POST", "/account/privacy/restrict", form())
	page := string(ann.must(200, "GET", "/account/privacy", nil).body)
	for _, want := range []string{`id="restriction-on"`, "Restricted since", `id="restriction-lift"`, `name="password"`} {
		if !strings.Contains(page, want) {
			t.Errorf("restricted privacy center lacks %q", want)
		}
	}
	if r := ann.do("POST", "/account/privacy/restrict/lift", form("password", "not my password")); r.status != 403 || !strings.Contains(string(r.body), "aria-invalid") {
		t.Errorf("lift with a wrong password = %d; want 403 with the field marked", r.status)
	}
	if r := ann.must(200, "GET", "/api/v1/me/restriction", nil).json; r["restricted"] != true {
		t.Fatalf("after a refused lift = %v; want restricted", r)
	}
	// A personal access token reads the state but cannot switch it.
	secret := ann.must(201, "POST", "/api/v1/tokens", withReauth(t, ann, "ann@example.com", map[string]string{"name": "script"})).json["token"].(string)
	api := newClient(t, srv)
	api.bearer = secret
	if r := api.must(200, "GET", "/api/v1/me/restriction", nil).json; r["restricted"] != true {
		t.Errorf("restriction read with a token = %v", r)
	}
	api.must(403, "POST", "/api/v1/me/restriction", nil)
	api.must(403, "DELETE", "/api/v1/me/restriction", withReauth(t, ann, "ann@example.com", nil))

	var proof []string // the first account is the admin: a second factor too
	for k, v := range withReauth(t, ann, "ann@example.com", nil) {
		proof = append(proof, k, v)
	}
	ann.must(303, "POST", "/account/privacy/restrict/lift", form(proof...))
	if r := ann.must(200, "GET", "/api/v1/me/restriction", nil).json; r["restricted"] != false {
		t.Errorf("after the lift = %v; want not restricted", r)
	}
	// Both are in the account's security events, in words.
	account := string(ann.must(200, "GET", "/account", nil).body)
	for _, want := range []string{"Processing of your data restricted", "Restriction lifted"} {
		if !strings.Contains(account, want) {
			t.Errorf("the account page's events lack %q", want)
		}
	}
}
