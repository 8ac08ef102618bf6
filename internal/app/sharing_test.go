package app_test

import (
	"archive/zip"
	"bytes"
	"image/jpeg"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
)

// verifiedAccount signs up email on an open instance, signs it in and
// confirms its address through the mailed link: grants by e-mail go only
// to verified addresses.
func verifiedAccount(t *testing.T, a *app.App, srv *httptest.Server, email string) *client {
	t.Helper()
	c := signUpAndLogin(t, srv, email)
	token := linkToken(t, a, email, verifySubject, "/verify-email")
	c.must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": token})
	return c
}

// uploadReady uploads a generated JPEG for c and waits until it is ready.
func uploadReady(t *testing.T, c *client, seed int) string {
	t.Helper()
	r := c.upload("file", "shot.jpg", testJPEG(t, 640, 480, seed))
	if r.status != 201 {
		t.Fatalf("upload = %d %s", r.status, r.body)
	}
	id := r.json["id"].(string)
	if st := c.waitReady(id)["status"]; st != "ready" {
		t.Fatalf("asset %s ended %v", id, st)
	}
	return id
}

// sharingFixture is a project of Ann's with members of every role, and
// the photos the matrix asks about.
type sharingFixture struct {
	a                           *app.App
	srv                         *httptest.Server
	owner, viewer, reviewer     *client
	editor, removed, stranger   *client
	project                     string
	asset                       string // in the project
	outside                     string // Ann's, never in the project
	extra                       string // Ann's, added by the matrix (editor, owner)
	foreign                     string // the stranger's own photo
	viewerMember, removedMember string
}

func newSharingFixture(t *testing.T, extra ...string) *sharingFixture {
	t.Helper()
	a, srv := newServer(t, append([]string{"--signup", "open"}, extra...)...)
	f := &sharingFixture{a: a, srv: srv}
	f.owner = verifiedAccount(t, a, srv, "ann@example.com")
	f.viewer = verifiedAccount(t, a, srv, "vera@example.com")
	f.reviewer = verifiedAccount(t, a, srv, "rita@example.com")
	f.editor = verifiedAccount(t, a, srv, "ed@example.com")
	f.removed = verifiedAccount(t, a, srv, "rob@example.com")
	f.stranger = verifiedAccount(t, a, srv, "olga@example.com")
	f.asset = uploadReady(t, f.owner, 1)
	f.outside = uploadReady(t, f.owner, 2)
	f.extra = uploadReady(t, f.owner, 3)
	f.foreign = uploadReady(t, f.stranger, 4)
	f.project = f.owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Harbour at dawn", "description": "Selects for the client"}).json["id"].(string)
	f.owner.must(200, "POST", "/api/v1/projects/"+f.project+"/assets", map[string]any{"asset_ids": []string{f.asset}})
	invite := func(email, role, download string) string {
		r := f.owner.must(201, "POST", "/api/v1/projects/"+f.project+"/members", map[string]string{"email": email, "role": role, "download": download})
		return r.json["user_id"].(string)
	}
	f.viewerMember = invite("vera@example.com", "viewer", "none")
	invite("rita@example.com", "reviewer", "preview")
	invite("ed@example.com", "editor", "original")
	f.removedMember = invite("rob@example.com", "reviewer", "original")
	// Rob could see the project, until he was removed.
	f.removed.must(200, "GET", "/api/v1/projects/"+f.project+"/assets/"+f.asset+"/thumb", nil)
	f.owner.must(204, "DELETE", "/api/v1/projects/"+f.project+"/members/"+f.removedMember, nil)
	return f
}

// TestProjectAuthorizationMatrix: every principal × every project
// endpoint, with photos outside the project and another owner's photo
// smuggled into the path; each cell's answer is in the table.
func TestProjectAuthorizationMatrix(t *testing.T) {
	f := newSharingFixture(t)
	viewerToken := f.viewer.must(201, "POST", "/api/v1/tokens", withReauth(t, f.viewer, "vera@example.com", map[string]string{"name": "script"})).json["token"].(string)
	viewerScript := newClient(t, f.srv)
	viewerScript.bearer = viewerToken
	anonymous := newClient(t, f.srv)

	p := "/api/v1/projects/" + f.project
	type call struct {
		name, method, path string
		body               any
	}
	calls := []call{
		{"project", "GET", p, nil},
		{"assets", "GET", p + "/assets", nil},
		{"thumb", "GET", p + "/assets/" + f.asset + "/thumb", nil},
		{"preview", "GET", p + "/assets/" + f.asset + "/preview", nil},
		{"preview download", "GET", p + "/assets/" + f.asset + "/preview?download=1", nil},
		{"original", "GET", p + "/assets/" + f.asset + "/original", nil},
		{"review", "PUT", p + "/assets/" + f.asset + "/review", map[string]any{"rating": 4, "label": "green", "flag": "pick"}},
		{"comment", "POST", p + "/assets/" + f.asset + "/comments", map[string]string{"body": "Lovely light"}},
		{"members", "GET", p + "/members", nil},
		{"add asset", "POST", p + "/assets", map[string]any{"asset_ids": []string{f.extra}}},
		{"links", "GET", p + "/links", nil},
		{"reviewers", "GET", p + "/reviewers", nil},
		{"outside thumb", "GET", p + "/assets/" + f.outside + "/thumb", nil},
		{"outside original", "GET", p + "/assets/" + f.outside + "/original", nil},
		{"outside review", "PUT", p + "/assets/" + f.outside + "/review", map[string]any{"rating": 1}},
		{"foreign thumb", "GET", p + "/assets/" + f.foreign + "/thumb", nil},
		{"foreign preview", "GET", p + "/assets/" + f.foreign + "/preview", nil},
		{"foreign comment", "POST", p + "/assets/" + f.foreign + "/comments", map[string]string{"body": "x"}},
		{"library asset", "GET", "/api/v1/assets/" + f.asset, nil},
		{"library thumb", "GET", "/api/v1/assets/" + f.asset + "/thumb", nil},
	}
	//                         project assets thumb preview pdl  orig review comment members add  links reviewers out-thumb out-orig out-review for-thumb for-prev for-comment lib lib-thumb
	want := map[string][]int{
		"owner":         {200, 200, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404, 200, 200},
		"viewer":        {200, 200, 200, 200, 404, 404, 403, 403, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404},
		"viewer token":  {200, 200, 200, 200, 404, 404, 403, 403, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404},
		"reviewer":      {200, 200, 200, 200, 200, 404, 200, 201, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404},
		"editor":        {200, 200, 200, 200, 200, 200, 200, 201, 200, 200, 403, 200, 404, 404, 404, 404, 404, 404, 404, 404},
		"removed":       {404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404},
		"other account": {404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404},
		"anonymous":     {401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401},
	}
	who := map[string]*client{"owner": f.owner, "viewer": f.viewer, "viewer token": viewerScript, "reviewer": f.reviewer,
		"editor": f.editor, "removed": f.removed, "other account": f.stranger, "anonymous": anonymous}
	for name, codes := range want {
		if len(codes) != len(calls) {
			t.Fatalf("row %s has %d cells for %d calls", name, len(codes), len(calls))
		}
		c := who[name]
		for i, cl := range calls {
			r := c.do(cl.method, cl.path, cl.body)
			if r.status != codes[i] {
				t.Errorf("%s: %s (%s %s) = %d %s; want %d", name, cl.name, cl.method, cl.path, r.status, r.body, codes[i])
			}
		}
	}

	// What others see of a photo: no GPS, file name or caption, and no
	// camera details until the owner turns them on.
	items := f.reviewer.must(200, "GET", p+"/assets", nil).json["items"].([]any)
	item := items[0].(map[string]any)
	for _, k := range []string{"gps", "caption", "keywords_private", "camera", "iso"} {
		if v, ok := item[k]; ok && v != nil && v != "" {
			t.Errorf("reviewer sees %s = %v", k, v)
		}
	}
	if item["filename"] != "" || item["sha256"] != "" {
		t.Errorf("reviewer sees filename %v / sha256 %v; want neither", item["filename"], item["sha256"])
	}
	if owned := f.owner.must(200, "GET", p+"/assets", nil).json["items"].([]any)[0].(map[string]any); owned["filename"] != "shot.jpg" {
		t.Errorf("owner's listing filename = %v; want shot.jpg", owned["filename"])
	}
	// A reviewer sees only their own marks; the owner sees everyone's.
	if marks := item["marks"].([]any); len(marks) != 1 {
		t.Errorf("reviewer's listing has %d marks; want only their own", len(marks))
	}
	if marks := f.owner.must(200, "GET", p+"/assets", nil).json["items"].([]any)[0].(map[string]any)["marks"].([]any); len(marks) != 3 {
		t.Errorf("owner's listing has %d marks; want 3 (owner, reviewer, editor)", len(marks))
	}

	// Every view by someone else is in the owner's access log, with the
	// grant used; the owner's own thumbnails are not.
	log := string(f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/access-log", nil).body)
	for _, want := range []string{"member:" + f.viewerMember, "vera@example.com", "rita@example.com", "ed@example.com"} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %q: %s", want, log)
		}
	}
	plog := string(f.owner.must(200, "GET", p+"/access-log", nil).body)
	if !strings.Contains(plog, "member:"+f.viewerMember) || !strings.Contains(plog, f.asset) || strings.Contains(plog, `"via":"owner"`) {
		t.Errorf("project access log = %s; want the members' views by asset, not the owner's", plog)
	}
	f.reviewer.must(403, "GET", p+"/access-log", nil)
	f.stranger.must(404, "GET", p+"/access-log", nil)
	// A removed member's ZIP and exports are gone too.
	for _, path := range []string{p + "/zip", p + "/export/xmp", p + "/access-log"} {
		f.removed.must(404, "GET", path, nil)
	}
}

// TestReviewLinkAuthorization: a link serves only its project, answers
// the same 404 when unknown, revoked or expired, needs its password on
// every endpoint, and a password change ends every unlock.
func TestReviewLinkAuthorization(t *testing.T) {
	f := newSharingFixture(t, "--rate-limits", "bad-credentials=50/15m")
	p := "/api/v1/projects/" + f.project
	open := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "preview"}).json
	openToken := open["token"].(string)
	if !strings.HasPrefix(openToken, "slk_") || len(openToken) < 40 || !strings.HasSuffix(open["url"].(string), "/s/"+openToken) {
		t.Fatalf("link = %v; want an slk_ token of 256 bits and its URL", open)
	}
	locked := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "original", "password": "harbour lights"}).json
	lockedToken, lockedID := locked["token"].(string), locked["id"].(string)

	guest := newClient(t, f.srv)
	l := "/api/v1/links/" + openToken
	r := guest.must(200, "GET", l, nil)
	if r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("link page Referrer-Policy = %q; want no-referrer", r.header.Get("Referrer-Policy"))
	}
	if name := r.json["project"].(map[string]any)["name"]; name != "Harbour at dawn" {
		t.Errorf("link project = %v", name)
	}
	ownerPreview := f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/preview", nil).body
	if got := guest.must(200, "GET", l+"/assets/"+f.asset+"/preview", nil).body; !bytes.Equal(got, ownerPreview) {
		t.Error("the link's preview differs from the owner's (no watermark asked)")
	}
	guest.must(200, "GET", l+"/assets/"+f.asset+"/preview?download=1", nil)
	guest.must(404, "GET", l+"/assets/"+f.asset+"/original", nil)
	for _, id := range []string{f.outside, f.foreign, "not-a-uuid"} {
		guest.must(404, "GET", l+"/assets/"+id+"/thumb", nil)
		guest.must(404, "GET", l+"/assets/"+id+"/preview", nil)
	}
	// Reviewing needs a name first; it can come with the first mark.
	if r := guest.must(403, "PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 5}); r.json["guest_required"] != true {
		t.Errorf("guest review without a name = %s", r.body)
	}
	guest.must(400, "PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 5, "name": "Cleo", "email": "not an address"})
	guest.must(200, "PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 5, "label": "red", "name": "Cleo Client", "email": "cleo@client.example"})
	guest.must(201, "POST", l+"/assets/"+f.asset+"/comments", map[string]string{"body": "<script>alert(1)</script> the one!"})
	guest.must(204, "POST", l+"/done", nil)
	if n := f.owner.must(200, "GET", "/api/v1/me/notifications", nil).json["items"].([]any); len(n) != 1 || !strings.Contains(n[0].(map[string]any)["text"].(string), "Cleo Client") {
		t.Errorf("owner's notifications = %v; want Cleo's done", n)
	}
	// The comment comes back as the text it was, in JSON.
	if got := f.owner.must(200, "GET", p+"/assets", nil).json["items"].([]any)[0].(map[string]any)["comments"].([]any)[0].(map[string]any)["body"]; got != "<script>alert(1)</script> the one!" {
		t.Errorf("comment body = %v", got)
	}

	// A password link: every endpoint needs the unlock.
	lk := "/api/v1/links/" + lockedToken
	visitor := newClient(t, f.srv)
	for _, path := range []string{lk, lk + "/assets/" + f.asset + "/thumb", lk + "/assets/" + f.asset + "/preview", lk + "/assets/" + f.asset + "/original"} {
		if r := visitor.must(401, "GET", path, nil); r.json["password_required"] != true {
			t.Errorf("GET %s before unlock = %s; want password_required", path, r.body)
		}
	}
	visitor.must(401, "POST", lk+"/unlock", map[string]string{"password": "wrong guess"})
	visitor.must(204, "POST", lk+"/unlock", map[string]string{"password": "harbour lights"})
	visitor.must(200, "GET", lk, nil)
	visitor.must(200, "GET", lk+"/assets/"+f.asset+"/original", nil)
	// The unlock of one link opens no other: the open link's token with
	// this link's cookie is still just the open link.
	if r := newClient(t, f.srv).do("GET", lk, nil); r.status != 401 {
		t.Errorf("another browser on the password link = %d; want 401", r.status)
	}
	// A password change ends the unlock.
	f.owner.must(204, "PUT", p+"/links/"+lockedID+"/password", map[string]string{"password": "a new harbour pw"})
	visitor.must(401, "GET", lk+"/assets/"+f.asset+"/thumb", nil)
	visitor.must(204, "POST", lk+"/unlock", map[string]string{"password": "a new harbour pw"})
	visitor.must(200, "GET", lk+"/assets/"+f.asset+"/thumb", nil)

	// Revocation: every endpoint, at once, the same 404 as a token that
	// never existed.
	never := newClient(t, f.srv).do("GET", "/api/v1/links/slk_"+strings.Repeat("A", 43), nil)
	f.owner.must(204, "DELETE", p+"/links/"+lockedID, nil)
	for _, path := range []string{lk, lk + "/assets/" + f.asset + "/thumb", lk + "/assets/" + f.asset + "/original"} {
		r := visitor.do("GET", path, nil)
		if r.status != 404 || !bytes.Equal(r.body, never.body) {
			t.Errorf("GET %s after revocation = %d %s; want the 404 of an unknown token (%s)", path, r.status, r.body, never.body)
		}
	}
	visitor.must(404, "POST", lk+"/unlock", map[string]string{"password": "a new harbour pw"})
	// The rest of the link's endpoints: preview, ZIP, review, comments, done.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", lk + "/assets/" + f.asset + "/preview", nil},
		{"GET", lk + "/zip", nil},
		{"PUT", lk + "/assets/" + f.asset + "/review", map[string]any{"rating": 1, "name": "Late", "email": "late@client.example"}},
		{"POST", lk + "/assets/" + f.asset + "/comments", map[string]string{"body": "late"}},
		{"POST", lk + "/done", nil},
	} {
		if r := visitor.do(c.method, c.path, c.body); r.status != 404 {
			t.Errorf("%s %s after revocation = %d; want 404", c.method, c.path, r.status)
		}
	}

	// Expiry: past the link's end (30 days by default), the same 404.
	guest.must(200, "GET", l, nil)
	f.a.Sharing.SetClock(func() time.Time { return time.Now().Add(31 * 24 * time.Hour) })
	if r := guest.do("GET", l+"/assets/"+f.asset+"/thumb", nil); r.status != 404 || !bytes.Equal(r.body, never.body) {
		t.Errorf("expired link = %d %s; want the unknown token's 404", r.status, r.body)
	}
	f.a.Sharing.SetClock(time.Now)

	// The owner sees who reviewed through which link, and the access log
	// names the guest and the link.
	revs := string(f.owner.must(200, "GET", p+"/reviewers", nil).body)
	if !strings.Contains(revs, "Cleo Client") || !strings.Contains(revs, "cleo@client.example") || !strings.Contains(revs, `"done_at"`) {
		t.Errorf("reviewers = %s", revs)
	}
	log := string(f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/access-log", nil).body)
	if !strings.Contains(log, "link:"+open["id"].(string)) || !strings.Contains(log, "Cleo Client") {
		t.Errorf("access log lacks the link and the guest: %s", log)
	}
}

// TestSharingBadInput: the bad inputs of issue 6 get clear errors and
// change nothing.
func TestSharingBadInput(t *testing.T) {
	f := newSharingFixture(t, "--rate-limits", "bad-credentials=4/15m")
	p := "/api/v1/projects/" + f.project
	a := p + "/assets/" + f.asset
	for _, tt := range []struct {
		method, path string
		body         any
		status       int
		msg          string
	}{
		{"POST", "/api/v1/projects", map[string]string{"name": ""}, 400, "name"},
		{"PUT", a + "/review", map[string]any{"rating": 7}, 400, "rating must be"},
		{"PUT", a + "/review", map[string]any{"label": "orange"}, 400, "label must be"},
		{"PUT", a + "/review", map[string]any{"flag": "maybe"}, 400, "flag must be"},
		{"POST", a + "/comments", map[string]string{"body": strings.Repeat("x", 100_000)}, 400, "at most 5,000"},
		{"POST", a + "/comments", map[string]string{"body": "  "}, 400, "comment"},
		{"POST", p + "/assets", map[string]any{"asset_ids": []string{f.foreign}}, 400, "only your own photos"},
		{"POST", p + "/members", map[string]string{"email": "ann@example.com", "role": "viewer"}, 403, "you own this project"},
		{"POST", p + "/members", map[string]string{"email": "vera@example.com", "role": "viewer"}, 409, "member already"},
		{"POST", p + "/members", map[string]string{"email": "x@example.com", "role": "owner"}, 400, "role must be"},
		{"POST", p + "/members", map[string]string{"email": "x@example.com", "role": "viewer", "download": "all"}, 400, "download must be"},
		{"POST", p + "/links", map[string]any{"expires_at": time.Now().Add(-time.Hour)}, 400, "future"},
		{"POST", p + "/links", map[string]any{"expires_at": time.Now().Add(2 * 365 * 24 * time.Hour)}, 400, "later than"},
		{"POST", p + "/links", map[string]any{"password": "short"}, 400, "link password"},
		{"POST", p + "/links", map[string]any{"watermark": strings.Repeat("w", 61)}, 400, "watermark"},
	} {
		r := f.owner.do(tt.method, tt.path, tt.body)
		if msg, _ := r.json["error"].(string); r.status != tt.status || !strings.Contains(msg, tt.msg) {
			t.Errorf("%s %s = %d %s; want %d mentioning %q", tt.method, tt.path, r.status, r.body, tt.status, tt.msg)
		}
	}
	if items := f.owner.must(200, "GET", p+"/assets", nil).json["items"].([]any); len(items) != 1 || len(items[0].(map[string]any)["comments"].([]any)) != 0 {
		t.Errorf("bad input changed the project: %v", items)
	}

	// Wrong link passwords and unknown tokens are rate-limited per address.
	link := f.owner.must(201, "POST", p+"/links", map[string]string{"password": "harbour lights"}).json["token"].(string)
	guesser := newClient(t, f.srv)
	guesser.must(401, "POST", "/api/v1/links/"+link+"/unlock", map[string]string{"password": "guess one"})
	guesser.must(401, "POST", "/api/v1/links/"+link+"/unlock", map[string]string{"password": "guess two"})
	guesser.must(404, "GET", "/api/v1/links/slk_"+strings.Repeat("B", 43), nil)
	guesser.must(404, "GET", "/api/v1/links/nonsense", nil)
	if r := guesser.do("POST", "/api/v1/links/"+link+"/unlock", map[string]string{"password": "harbour lights"}); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Errorf("after 4 failures the right password = %d %v; want 429 with Retry-After", r.status, r.header)
	}
}

// zipEntries opens a ZIP body and returns its entries' contents by name.
func zipEntries(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP (%d bytes): %v", len(body), err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("entry %s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

// TestProjectExportsAndDownloads: the owner takes the client's marks back
// to Lightroom (XMP sidecars, a file-name list, a CSV of marks and
// comments); members and link holders download ZIPs only at the size
// their grant allows.
func TestProjectExportsAndDownloads(t *testing.T) {
	f := newSharingFixture(t)
	p := "/api/v1/projects/" + f.project
	f.owner.must(200, "POST", p+"/assets", map[string]any{"asset_ids": []string{f.extra}})
	f.reviewer.must(200, "PUT", p+"/assets/"+f.asset+"/review", map[string]any{"rating": 4, "label": "green", "flag": "pick"})
	f.reviewer.must(201, "POST", p+"/assets/"+f.asset+"/comments", map[string]string{"body": "=HYPERLINK(\"x\") crop tighter"})
	f.editor.must(200, "PUT", p+"/assets/"+f.extra+"/review", map[string]any{"rating": 1, "flag": "reject"})

	// XMP sidecars: named after the original file names, only marked
	// photos; the selection narrows it.
	r := f.owner.must(200, "GET", p+"/export/xmp", nil)
	if ct := r.header.Get("Content-Type"); ct != "application/zip" || !strings.Contains(r.header.Get("Content-Disposition"), "harbour-at-dawn-xmp.zip") {
		t.Errorf("XMP export headers = %v", r.header)
	}
	files := zipEntries(t, r.body)
	if len(files) != 2 || files["shot.xmp"] == nil || files["shot-2.xmp"] == nil {
		t.Fatalf("XMP export entries = %v; want shot.xmp and shot-2.xmp (two photos named shot.jpg)", entryNames(files))
	}
	var picked, rejected string
	for _, b := range files {
		switch {
		case strings.Contains(string(b), `xmp:Rating="4"`):
			picked = string(b)
		case strings.Contains(string(b), `xmp:Rating="1"`):
			rejected = string(b)
		}
	}
	if !strings.Contains(picked, `xmp:Label="Green"`) || !strings.Contains(picked, "Client pick") || !strings.Contains(rejected, "Client reject") {
		t.Errorf("sidecars do not carry the marks:\n%s\n%s", picked, rejected)
	}
	if files := zipEntries(t, f.owner.must(200, "GET", p+"/export/xmp?flag=pick", nil).body); len(files) != 1 {
		t.Errorf("XMP export of picks = %v; want one sidecar", entryNames(files))
	}
	if list := string(f.owner.must(200, "GET", p+"/export/list?min_rating=3", nil).body); list != "shot\n" {
		t.Errorf("Lightroom list of 3+ stars = %q; want %q", list, "shot\n")
	}
	csv := string(f.owner.must(200, "GET", p+"/export/csv", nil).body)
	if !strings.Contains(csv, "rita@example.com") || !strings.Contains(csv, "'=HYPERLINK") || strings.Contains(csv, ",=HYPERLINK") {
		t.Errorf("CSV = %s; want the reviewer named and the formula neutralised", csv)
	}
	f.owner.must(400, "GET", p+"/export/list?min_rating=9", nil)
	for _, c := range []*client{f.viewer, f.reviewer, f.editor} {
		c.must(403, "GET", p+"/export/xmp", nil)
		c.must(403, "GET", p+"/export/csv", nil)
	}
	f.stranger.must(404, "GET", p+"/export/xmp", nil)

	// ZIP downloads at the size each grant allows.
	f.viewer.must(404, "GET", p+"/zip", nil) // download none
	previews := zipEntries(t, f.reviewer.must(200, "GET", p+"/zip", nil).body)
	if len(previews) != 2 {
		t.Errorf("reviewer's ZIP = %v; want two previews", entryNames(previews))
	}
	for name := range previews {
		if !strings.HasSuffix(name, "-preview.jpg") || strings.Contains(name, "shot") {
			t.Errorf("reviewer's ZIP entry %q; want a neutral preview name, never the original file name", name)
		}
	}
	f.reviewer.must(404, "GET", p+"/zip?size=original", nil)
	originals := zipEntries(t, f.editor.must(200, "GET", p+"/zip?ids="+f.asset, nil).body)
	if len(originals) != 1 {
		t.Fatalf("editor's ZIP of one = %v", entryNames(originals))
	}
	for _, b := range originals {
		if !bytes.Equal(b, testJPEG(t, 640, 480, 1)) {
			t.Error("editor's ZIP holds something else than the original")
		}
	}
	f.editor.must(404, "GET", p+"/zip?ids="+f.outside, nil)
	f.editor.must(404, "GET", p+"/zip?ids="+f.foreign, nil)

	// A link's ZIP follows the link's policy.
	none := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "none"}).json["token"].(string)
	prev := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "preview"}).json["token"].(string)
	guest := newClient(t, f.srv)
	guest.must(404, "GET", "/api/v1/links/"+none+"/zip", nil)
	if got := zipEntries(t, guest.must(200, "GET", "/api/v1/links/"+prev+"/zip", nil).body); len(got) != 2 {
		t.Errorf("link ZIP = %v; want two previews", entryNames(got))
	}
	guest.must(404, "GET", "/api/v1/links/"+prev+"/zip?size=original", nil)
}

func entryNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSharingNeedsAVerifiedAddress: an invitation by e-mail reaches only
// whoever proved they read that address. Someone who signs up with it
// without confirming it sees nothing; after confirming, the project.
// Invitations and "done" are mailed.
func TestSharingNeedsAVerifiedAddress(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	owner := verifiedAccount(t, a, srv, "ann@example.com")
	project := owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Wedding: Lea & Tom"}).json["id"].(string)
	owner.must(201, "POST", "/api/v1/projects/"+project+"/members", map[string]string{"email": "lea@example.com", "role": "reviewer"})
	if ms := outboxTo(t, a, "lea@example.com", "A project was shared with you"); len(ms) != 1 || !strings.Contains(ms[0].Text, "/projects/"+project) {
		t.Errorf("invitation mails to lea = %v; want one with the project's address", ms)
	}

	lea := signUpAndLogin(t, srv, "lea@example.com")
	lea.must(404, "GET", "/api/v1/projects/"+project, nil)
	if shared := lea.must(200, "GET", "/api/v1/projects", nil).json["shared"].([]any); len(shared) != 0 {
		t.Errorf("unverified account's shared projects = %v; want none", shared)
	}
	lea.must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": linkToken(t, a, "lea@example.com", verifySubject, "/verify-email")})
	lea.must(200, "GET", "/api/v1/projects/"+project, nil)
	if shared := lea.must(200, "GET", "/api/v1/projects", nil).json["shared"].([]any); len(shared) != 1 || shared[0].(map[string]any)["role"] != "reviewer" {
		t.Errorf("verified account's shared projects = %v; want the project as reviewer", shared)
	}

	giveNotifications(t, owner) // "done" is an optional e-mail (TestReviewDoneMailNeedsConsent)
	lea.must(204, "POST", "/api/v1/projects/"+project+"/done", nil)
	if ms := outboxTo(t, a, "ann@example.com", "Review finished: Wedding: Lea & Tom"); len(ms) != 1 || !strings.Contains(ms[0].Text, "lea@example.com finished reviewing") {
		t.Errorf("done mails to ann = %v", ms)
	}
	if ev := string(owner.must(200, "GET", "/api/v1/me/security-events", nil).body); !strings.Contains(ev, `"share.changed"`) || !strings.Contains(ev, `"member_added"`) {
		t.Errorf("owner's security activity lacks the share change: %s", ev)
	}
}

// TestReviewLinkWatermark: a link with a watermark never serves a preview
// without it, single or zipped; thumbnails stay clean, and the owner's
// own preview is untouched.
func TestReviewLinkWatermark(t *testing.T) {
	f := newSharingFixture(t)
	p := "/api/v1/projects/" + f.project
	f.owner.must(400, "POST", p+"/links", map[string]string{"watermark": "Proof\u202e"})
	token := f.owner.must(201, "POST", p+"/links", map[string]string{"download": "preview", "watermark": "PROOF © Ann"}).json["token"].(string)
	guest := newClient(t, f.srv)
	l := "/api/v1/links/" + token
	if v := guest.must(200, "GET", l, nil); v.json["watermark"] != true {
		t.Errorf("link view watermark = %v; want true", v.json["watermark"])
	}
	clean := f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/preview", nil).body
	marked := guest.must(200, "GET", l+"/assets/"+f.asset+"/preview", nil)
	if bytes.Equal(marked.body, clean) || marked.header.Get("Content-Type") != "image/jpeg" || len(marked.body) < 1000 {
		t.Fatalf("watermarked preview: %d bytes, %s; want a JPEG different from the clean one", len(marked.body), marked.header.Get("Content-Type"))
	}
	wantSize := func(b []byte) {
		t.Helper()
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		cleanCfg, _ := jpeg.DecodeConfig(bytes.NewReader(clean))
		if err != nil || cfg.Width != cleanCfg.Width || cfg.Height != cleanCfg.Height {
			t.Errorf("watermarked preview %dx%d (%v); want the clean one's %dx%d", cfg.Width, cfg.Height, err, cleanCfg.Width, cleanCfg.Height)
		}
	}
	wantSize(marked.body)
	for name, b := range zipEntries(t, guest.must(200, "GET", l+"/zip", nil).body) {
		if bytes.Equal(b, clean) {
			t.Errorf("ZIP entry %s is the clean preview", name)
		}
		wantSize(b)
	}
	if !bytes.Equal(f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/preview", nil).body, clean) {
		t.Error("the owner's preview changed")
	}
	thumb := guest.must(200, "GET", l+"/assets/"+f.asset+"/thumb", nil).body
	if !bytes.Equal(thumb, f.owner.must(200, "GET", "/api/v1/assets/"+f.asset+"/thumb", nil).body) {
		t.Error("the link's thumbnail differs from the owner's; only previews carry the watermark")
	}
}

// TestLinkGuestsAreRateLimited: anyone holding a link can make guests, so
// making them counts like sign-ups per address.
func TestLinkGuestsAreRateLimited(t *testing.T) {
	f := newSharingFixture(t, "--rate-limits", "signup=8/1h")
	token := f.owner.must(201, "POST", "/api/v1/projects/"+f.project+"/links", map[string]string{}).json["token"].(string)
	l := "/api/v1/links/" + token
	c := newClient(t, f.srv)
	c.must(201, "POST", l+"/guest", map[string]string{"name": "One", "email": "one@client.example"})
	c.must(200, "PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 2}) // the guest from before: not counted
	fresh := newClient(t, f.srv)
	fresh.must(200, "PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 3, "name": "Two", "email": "two@client.example"})
	for {
		r := newClient(t, f.srv).do("POST", l+"/guest", map[string]string{"name": "Many", "email": "many@client.example"})
		if r.status == 429 {
			if r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
		if r.status != 201 {
			t.Fatalf("guest = %d %s", r.status, r.body)
		}
	}
	if r := newClient(t, f.srv).do("PUT", l+"/assets/"+f.asset+"/review", map[string]any{"rating": 3, "name": "Late", "email": "late@client.example"}); r.status != 429 {
		t.Errorf("joining with a review past the limit = %d; want 429", r.status)
	}
}
