package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
)

// shareAPI sends a JSON request the way the pages' scripts do (same
// origin, the browser's cookies) and decodes a JSON answer.
func (b *browser) shareAPI(method, path string, body any) (response, map[string]any) {
	b.t.Helper()
	h := http.Header{"Accept": {"application/json"}, "Origin": {b.base.Scheme + "://" + b.base.Host}, "Sec-Fetch-Site": {"same-origin"}}
	var rd *bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
		h.Set("Content-Type", "application/json")
	}
	var r response
	if rd != nil {
		r = b.send(method, path, rd, h)
	} else {
		r = b.send(method, path, nil, h)
	}
	var j map[string]any
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal([]byte(r.body), &j)
	}
	return r, j
}

// mustAPI is shareAPI that fails the test unless the status is want.
func (b *browser) mustAPI(want int, method, path string, body any) map[string]any {
	b.t.Helper()
	r, j := b.shareAPI(method, path, body)
	if r.status != want {
		b.t.Fatalf("%s %s = %d %s; want %d", method, path, r.status, excerpt(r.body), want)
	}
	return j
}

// shareFixture is an owner with a project of photos, ready to make
// review links.
type shareFixture struct {
	a       *app.App
	srv     *httptest.Server
	owner   *browser
	project string
	assets  []asset
}

// newShareFixture starts an instance, signs its owner in (the first
// account, with two-step sign-in enrolled), uploads photos of the given
// sizes and puts them in the project "Harbour at dawn", in order.
func newShareFixture(t *testing.T, sizes [][2]int, extra ...string) *shareFixture {
	t.Helper()
	a, srv := newServer(t, extra...)
	owner := newBrowser(t, srv)
	signUp(t, owner, "Ann Owner", "ann@example.com")
	signIn(t, owner, "ann@example.com", password)
	enrolIfRequired(t, owner, "ann@example.com")
	files := map[string][]byte{}
	var names []string
	for i, s := range sizes {
		name := fmt.Sprintf("DSC_%04d.jpg", i+1)
		files[name] = testJPEG(t, s[0], s[1], i+1)
		names = append(names, name)
	}
	assets := owner.uploadReady(files, names...)
	project := owner.mustAPI(http.StatusCreated, "POST", "/api/v1/projects",
		map[string]string{"name": "Harbour at dawn", "description": "Selects for the client.\nPick your favourites."})["id"].(string)
	var ids []string
	for _, a := range assets {
		ids = append(ids, a.ID)
	}
	owner.mustAPI(http.StatusOK, "POST", "/api/v1/projects/"+project+"/assets", map[string]any{"asset_ids": ids})
	return &shareFixture{a: a, srv: srv, owner: owner, project: project, assets: assets}
}

// link makes a review link with opts and returns its token and id.
func (f *shareFixture) link(t *testing.T, opts map[string]string) (token, id string) {
	t.Helper()
	j := f.owner.mustAPI(http.StatusCreated, "POST", "/api/v1/projects/"+f.project+"/links", opts)
	return j["token"].(string), j["id"].(string)
}

// wantShareHeaders checks what every answer about a link must carry.
func wantShareHeaders(t *testing.T, r response) {
	t.Helper()
	if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s %s: Referrer-Policy = %q; want no-referrer", r.method, r.path, got)
	}
	if got := r.header.Get("X-Robots-Tag"); !strings.Contains(got, "noindex") {
		t.Errorf("%s %s: X-Robots-Tag = %q; want noindex", r.method, r.path, got)
	}
}

// linkCookieName is the browser cookie of a link's unlock or guest
// (package httpauth; plain HTTP, so no __Host- prefix).
func linkCookieName(kind, token string) string {
	h := sha256.Sum256([]byte(token))
	return "safelight_" + kind + "_" + hex.EncodeToString(h[:8])
}

// TestShareLinkNotFound: an unknown, malformed, revoked or expired token
// gets the very same 404 page, on the page and on its forms, with
// no-referrer and noindex (ASVS 8.2.2: the link decides every access).
func TestShareLinkNotFound(t *testing.T) {
	t.Parallel()
	f := newShareFixture(t, [][2]int{{800, 600}})
	openToken, _ := f.link(t, map[string]string{"download": "none"})
	revokedToken, revokedID := f.link(t, map[string]string{"download": "preview", "password": "harbour lights"})
	expiringToken, _ := f.link(t, map[string]string{"download": "preview"})
	f.owner.mustAPI(http.StatusNoContent, "DELETE", "/api/v1/projects/"+f.project+"/links/"+revokedID, nil)

	anon := newBrowser(t, f.srv)
	// A link without a password goes straight to the name form; a
	// password sent to it is not needed and changes nothing.
	r := anon.get("/s/" + openToken)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `action="/s/`+openToken+`/guest"`, "Harbour at dawn", "Downloads: none.")
	wantShareHeaders(t, r)
	wantRedirect(t, anon.post("/s/"+openToken+"/unlock", form("password", "anything at all")), "/s/"+openToken)
	if anon.cookie(linkCookieName("unlock", openToken)) != "" {
		t.Error("a link without a password set an unlock cookie")
	}

	never := anon.get("/s/slk_" + strings.Repeat("A", 43))
	wantStatus(t, never, http.StatusNotFound)
	wantContains(t, never, "<title>Page not found · Safelight</title>", "There is nothing at this address")
	wantShareHeaders(t, never)
	wantNotContains(t, never, "Harbour at dawn")

	same := func(r response) {
		t.Helper()
		wantStatus(t, r, http.StatusNotFound)
		wantShareHeaders(t, r)
		if r.body != never.body {
			t.Errorf("%s %s: the 404 page differs from an unknown token's:\n%s\n---\n%s", r.method, r.path, excerpt(r.body), excerpt(never.body))
		}
	}
	same(anon.get("/s/nonsense"))
	same(anon.get("/s/" + revokedToken))
	same(anon.post("/s/"+revokedToken+"/unlock", form("password", "harbour lights")))
	same(anon.post("/s/"+revokedToken+"/guest", form("name", "Cleo", "email", "cleo@client.example")))

	// Expiry: past the link's end (30 days by default), the same page.
	wantStatus(t, anon.get("/s/"+expiringToken), http.StatusOK)
	f.a.Sharing.SetClock(func() time.Time { return time.Now().Add(31 * 24 * time.Hour) })
	same(anon.get("/s/" + expiringToken))
	same(anon.post("/s/"+expiringToken+"/guest", form("name", "Cleo", "email", "cleo@client.example")))
	f.a.Sharing.SetClock(time.Now)
	wantStatus(t, anon.get("/s/"+expiringToken), http.StatusOK)
}

// TestShareLinkPasswordAndGuest walks a password link as its guest: the
// password form (which names nothing of the project), a wrong password
// (401), the unlock cookie (bound to that link only), the name form and
// its validation (markup in a name is shown as text), and the review page
// that mounts review.js against the link's API.
func TestShareLinkPasswordAndGuest(t *testing.T) {
	t.Parallel()
	f := newShareFixture(t, [][2]int{{800, 600}, {600, 800}})
	tokA, idA := f.link(t, map[string]string{"download": "preview", "password": "harbour lights"})
	tokB, _ := f.link(t, map[string]string{"download": "none", "password": "harbour lights"})
	guest := newBrowser(t, f.srv)

	r := guest.get("/s/" + tokA)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "This link needs a password", `action="/s/`+tokA+`/unlock"`, `type="password"`)
	wantNotContains(t, r, "Harbour at dawn", "Selects for the client", `src="/static/review.js`)
	wantShareHeaders(t, r)

	r = guest.post("/s/"+tokA+"/unlock", form("password", "wrong guess"))
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, "The password is not correct.", `aria-invalid="true"`)
	wantNotContains(t, r, "Harbour at dawn", "wrong guess")
	wantShareHeaders(t, r)
	r = guest.post("/s/"+tokA+"/unlock", form("password", ""))
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "Enter the password.")

	// The forms are refused from another site, like every page's.
	for _, h := range []http.Header{{"Sec-Fetch-Site": {"cross-site"}}, {"Origin": {"https://evil.example"}}} {
		r = guest.do(http.MethodPost, "/s/"+tokA+"/unlock", form("password", "harbour lights"), h)
		wantStatus(t, r, http.StatusForbidden)
		r = guest.do(http.MethodPost, "/s/"+tokA+"/guest", form("name", "Mallory", "email", "m@evil.example"), h)
		wantStatus(t, r, http.StatusForbidden)
	}
	if guest.cookie(linkCookieName("unlock", tokA)) != "" {
		t.Fatal("a cross-site form unlocked the link")
	}

	r = guest.post("/s/"+tokA+"/unlock", form("password", "harbour lights"))
	wantRedirect(t, r, "/s/"+tokA)
	wantShareHeaders(t, r)
	setCookie := r.header.Get("Set-Cookie")
	for _, want := range []string{linkCookieName("unlock", tokA) + "=slu_", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("unlock Set-Cookie = %q; want it to hold %q", setCookie, want)
		}
	}
	unlockA := guest.cookie(linkCookieName("unlock", tokA))

	r = guest.get("/s/" + tokA)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `action="/s/`+tokA+`/guest"`, "<h1 id=\"share-guest-heading\">Harbour at dawn</h1>",
		"You can rate, label, flag and comment. Downloads: previews. Available until ")
	wantShareHeaders(t, r)

	// The unlock opens that link only: link B (same password) still asks,
	// in this browser and with A's unlock presented under B's cookie name.
	r = guest.get("/s/" + tokB)
	wantContains(t, r, `action="/s/`+tokB+`/unlock"`)
	wantNotContains(t, r, "Harbour at dawn")
	forged := newBrowser(t, f.srv)
	forged.http.Jar.SetCookies(forged.base, []*http.Cookie{{Name: linkCookieName("unlock", tokB), Value: unlockA, Path: "/"}})
	r = forged.get("/s/" + tokB)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `action="/s/`+tokB+`/unlock"`)
	wantNotContains(t, r, "Harbour at dawn")

	// The name form refuses what it cannot use, keeps what was typed and
	// shows markup as text.
	for _, tt := range []struct {
		name   string
		form   map[string]string
		want   []string
		absent []string
	}{
		{"empty name", map[string]string{"name": " ", "email": "cleo@client.example"},
			[]string{"Enter your name.", `value="cleo@client.example"`, `aria-describedby="share-name-error"`}, nil},
		{"bad e-mail", map[string]string{"name": "Cleo Client", "email": "not an address"},
			[]string{"Enter a valid e-mail address.", `value="not an address"`, `value="Cleo Client"`}, nil},
		{"no e-mail", map[string]string{"name": "Cleo Client", "email": ""}, []string{"Enter your e-mail address."}, nil},
		{"name too long", map[string]string{"name": strings.Repeat("n", 201), "email": "cleo@client.example"},
			[]string{"Use at most 200 characters for your name."}, nil},
		{"control characters", map[string]string{"name": "Cleo\u0007Client", "email": "cleo@client.example"},
			[]string{"Use letters, digits and punctuation only in your name."}, nil},
		{"markup is escaped", map[string]string{"name": `<script>alert(1)</script>`, "email": "bad"},
			[]string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`}, []string{"<script>alert"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f2 := form()
			for k, v := range tt.form {
				f2.Set(k, v)
			}
			r := guest.post("/s/"+tokA+"/guest", f2)
			wantStatus(t, r, http.StatusBadRequest)
			wantContains(t, r, tt.want...)
			wantNotContains(t, r, tt.absent...)
			wantShareHeaders(t, r)
			if guest.cookie(linkCookieName("guest", tokA)) != "" {
				t.Error("a refused name set a guest cookie")
			}
		})
	}

	// A name with markup is taken as the text it is.
	name := `<script>alert(1)</script> Cleo`
	r = guest.post("/s/"+tokA+"/guest", form("name", name, "email", "Cleo@Client.example"))
	wantRedirect(t, r, "/s/"+tokA)
	r = guest.get("/s/" + tokA)
	wantStatus(t, r, http.StatusOK)
	wantShareHeaders(t, r)
	wantContains(t, r, "<title>Harbour at dawn · Safelight</title>",
		`<section id="review" class="review"`,
		`data-items="/api/v1/links/`+tokA+`"`, `data-api="/api/v1/links/`+tokA+`"`,
		`data-can-review="true"`, `data-done="true"`, `data-download="preview"`, `data-owner="false"`,
		`src="/static/review.js?v=`, `<script type="importmap"`,
		"Reviewing as <strong>&lt;script&gt;alert(1)&lt;/script&gt; Cleo</strong>",
		"Selects for the client.\nPick your favourites.",
		"You can rate, label, flag and comment. Downloads: previews. Available until ")
	wantNotContains(t, r, "<script>alert")
	// The guest cookie the page set is the one the link's API reads.
	j := guest.mustAPI(http.StatusOK, "GET", "/api/v1/links/"+tokA, nil)
	if g, _ := j["guest"].(map[string]any); g == nil || g["name"] != name || g["email"] != "cleo@client.example" {
		t.Errorf("the link's API sees guest %v; want %q <cleo@client.example>", j["guest"], name)
	}
	if items, _ := j["items"].([]any); len(items) != 2 {
		t.Errorf("the link's API lists %d photos; want 2", len(items))
	}

	// A password change ends the unlock: the form comes back.
	f.owner.mustAPI(http.StatusNoContent, "PUT", "/api/v1/projects/"+f.project+"/links/"+idA+"/password", map[string]string{"password": "a new harbour pw"})
	r = guest.get("/s/" + tokA)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `action="/s/`+tokA+`/unlock"`)
	wantNotContains(t, r, "Harbour at dawn", `src="/static/review.js`)
	// The name form, posted without the unlock, goes back to the password.
	wantRedirect(t, guest.post("/s/"+tokA+"/guest", form("name", "Cleo", "email", "cleo@client.example")), "/s/"+tokA)
}

// TestShareLinkPasswordRateLimited: wrong link passwords count against the
// bad-credentials limit of the address; past it even the right password
// is refused (429 with Retry-After) before it is checked, and so is the
// page (ASVS 6.3.1).
func TestShareLinkPasswordRateLimited(t *testing.T) {
	t.Parallel()
	f := newShareFixture(t, [][2]int{{800, 600}}, "--rate-limits", "bad-credentials=3/15m")
	token, _ := f.link(t, map[string]string{"download": "none", "password": "harbour lights"})
	g := newBrowser(t, f.srv)
	for i := range 3 {
		r := g.post("/s/"+token+"/unlock", form("password", fmt.Sprintf("guess %d", i)))
		wantStatus(t, r, http.StatusUnauthorized)
	}
	r := g.post("/s/"+token+"/unlock", form("password", "harbour lights"))
	wantStatus(t, r, http.StatusTooManyRequests)
	wantContains(t, r, "Too many requests")
	wantShareHeaders(t, r)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if g.cookie(linkCookieName("unlock", token)) != "" {
		t.Error("the right password past the limit still unlocked the link")
	}
	r = g.get("/s/" + token)
	wantStatus(t, r, http.StatusTooManyRequests)
	wantShareHeaders(t, r)
}
