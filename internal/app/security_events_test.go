package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/audit"
)

// auditLog reads every recorded event of the instance, oldest first: what
// an administrator reads with "safelight audit".
func auditLog(t *testing.T, a *app.App) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := a.Store().WalkAuditChain(t.Context(), 0, func(e audit.ChainedEvent) error {
		out = append(out, e.Event)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func eventsOf(evs []audit.Event, typ audit.Type) []audit.Event {
	var out []audit.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// ownEventTypes counts the event types in c's own security activity.
func ownEventTypes(c *client) map[string]int {
	c.t.Helper()
	n := map[string]int{}
	for _, it := range c.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		n[it.(map[string]any)["type"].(string)]++
	}
	return n
}

// nonces differ per page; the rest of a 404 page must not.
var nonceAttr = regexp.MustCompile(`nonce="[^"]*"`)

// TestFailedAuthorizationIsRecorded (ASVS V16.3.2): a signed-in caller
// who asks for someone else's asset, on any API or page route, or for a
// route their role does not open, is recorded as access.denied with the
// caller, the route, the resource and the client; at most once per caller
// and window; the answer is the same 404 as for an asset that does not
// exist; the owner is never named and does not see it.
func TestFailedAuthorizationIsRecorded(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com") // the admin
	bob := signUpAndLogin(t, srv, "bob@example.com")
	carol := signUpAndLogin(t, srv, "carol@example.com")
	dave := signUpAndLogin(t, srv, "dave@example.com")
	annID := ann.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	bobID := bob.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	carolID := carol.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	id := ann.upload("file", "private.jpg", testJPEG(t, 300, 200, 71)).json["id"].(string)
	ann.waitReady(id)
	const missing = "0197a000-0000-7000-8000-000000000000"
	bob.header.Set("User-Agent", "prober/2.0")

	// Every route that takes an asset id answers bob exactly as for an id
	// that names nothing.
	assetRoutes := map[string]bool{}
	for _, ep := range []struct{ method, path string }{
		{"GET", "/api/v1/assets/{id}"},
		{"GET", "/api/v1/assets/{id}/original"},
		{"GET", "/api/v1/assets/{id}/thumb"},
		{"GET", "/api/v1/assets/{id}/preview"},
		{"GET", "/api/v1/assets/{id}/access-log"},
		{"DELETE", "/api/v1/assets/{id}"},
		{"POST", "/api/v1/assets/{id}/restore"},
		{"GET", "/library/{id}"},
		{"POST", "/library/{id}/trash"},
		{"POST", "/library/{id}/restore"},
	} {
		assetRoutes[ep.method+" "+ep.path] = true
		theirs := bob.do(ep.method, strings.ReplaceAll(ep.path, "{id}", id), nil)
		none := bob.do(ep.method, strings.ReplaceAll(ep.path, "{id}", missing), nil)
		tb, nb := nonceAttr.ReplaceAll(theirs.body, nil), nonceAttr.ReplaceAll(none.body, nil)
		if theirs.status != 404 || none.status != 404 || !bytes.Equal(tb, nb) ||
			theirs.header.Get("Content-Type") != none.header.Get("Content-Type") {
			t.Errorf("bob %s %s: someone else's asset = %d %q (%s); missing asset = %d %q (%s); want the same 404",
				ep.method, ep.path, theirs.status, theirs.body, theirs.header.Get("Content-Type"), none.status, none.body, none.header.Get("Content-Type"))
		}
	}
	// carol is refused admin routes, API and page.
	carol.must(404, "GET", "/api/v1/admin/outbox", nil)
	carol.must(404, "POST", "/api/v1/invites", map[string]string{"email": "x@example.com"})
	carol.must(404, "GET", "/admin/outbox", nil)
	// dave asks only for assets that do not exist: nothing to record.
	dave.must(404, "GET", "/api/v1/assets/"+missing, nil)
	dave.must(404, "GET", "/api/v1/assets/not-a-uuid/original", nil)
	dave.must(404, "GET", "/library/"+missing, nil)
	a.Denied.Wait() // recorded off the answers' path

	evs := auditLog(t, a)
	denied := eventsOf(evs, audit.AccessDenied)
	byActor := map[string][]audit.Event{}
	for _, e := range denied {
		byActor[e.ActorID] = append(byActor[e.ActorID], e)
		if e.ActorID == annID || e.SubjectID != e.ActorID || strings.Contains(e.Details["route"], annID) {
			t.Errorf("access.denied %+v names the owner or someone other than the caller", e)
		}
	}
	// Recordings run concurrently: which refusal of a window came first
	// is not fixed, only that there is one.
	if got := byActor[bobID]; len(got) != 1 {
		t.Errorf("bob's access.denied events = %+v; want 1 for 10 refusals in one window", got)
	} else if e := got[0]; !assetRoutes[e.Details["route"]] || e.Details["resource_id"] != id || e.IP != "127.0.0.1" || e.UserAgent != "prober/2.0" || e.Details["policy"] != "" {
		t.Errorf("bob's access.denied = %+v; want an asset route, resource %s, 127.0.0.1, prober/2.0", e, id)
	}
	adminRoutes := map[string]bool{"GET /api/v1/admin/outbox": true, "POST /api/v1/invites": true, "GET /admin/outbox": true}
	if got := byActor[carolID]; len(got) != 1 {
		t.Errorf("carol's access.denied events = %+v; want 1 for 3 refusals in one window", got)
	} else if e := got[0]; !adminRoutes[e.Details["route"]] || e.Details["policy"] != "role:admin" || e.Details["resource_id"] != "" {
		t.Errorf("carol's access.denied = %+v; want an admin route and its policy", e)
	}
	if len(denied) != 2 {
		t.Errorf("access.denied events = %+v; want 2 (bob, carol; none for dave's missing assets)", denied)
	}

	// Neither the caller nor the owner sees it in their security
	// activity: to the caller it would confirm that the probed id exists;
	// the owner must not learn who probed. It is the operator's record.
	if n := ownEventTypes(bob)[string(audit.AccessDenied)]; n != 0 {
		t.Errorf("bob's security activity lists %d access.denied; want none (it would confirm the id exists)", n)
	}
	if n := ownEventTypes(ann)[string(audit.AccessDenied)]; n != 0 {
		t.Errorf("ann's security activity lists %d access.denied; want none (she must not learn who probed)", n)
	}
	if page := bob.must(200, "GET", "/account", nil); bytes.Contains(page.body, []byte("Access refused to a page or photo this account may not open")) {
		t.Errorf("bob's account page shows the refusal")
	}
	// Nothing of ann's changed.
	if r := ann.must(200, "GET", "/api/v1/assets/"+id, nil); r.json["trashed_at"] != nil {
		t.Errorf("ann's asset after bob's attempts = %s", r.body)
	}
}

// TestRefusedUploadsAreRecorded (ASVS V16.3.3): an upload refused for
// the client's input is recorded as upload.refused with the caller, the
// reason and the announced size, once per account and window.
func TestRefusedUploadsAreRecorded(t *testing.T) {
	a, srv := newServer(t, "--signup", "open", "--max-upload-size", "1MiB")
	signUpAndLogin(t, srv, "ann@example.com") // the admin
	bob := signUpAndLogin(t, srv, "bob@example.com")
	bobID := bob.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	carol := signUpAndLogin(t, srv, "carol@example.com")

	text := []byte("just some text, not a photo\n")
	r := bob.upload("file", "notes.jpg", text)
	if r.status != 415 {
		t.Fatalf("text upload = %d %s; want 415", r.status, r.body)
	}
	bob.upload("file", "notes2.jpg", text)                  // same refusal
	bob.upload("file", "bomb.png", pngHeaderOnly(1e5, 1e5)) // another reason, same window
	if r := bob.upload("file", "ok.jpg", testJPEG(t, 320, 240, 72)); r.status != 201 {
		t.Fatalf("good upload = %d %s", r.status, r.body)
	}
	// Refused before a byte is read: the size announced is over the limit.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/assets", io.LimitReader(zeros{}, 50<<20))
	req.ContentLength = 50 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	for _, ck := range carol.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	if res, err := http.DefaultClient.Do(req); err == nil { // the client may see the connection closed first
		if res.Body.Close(); res.StatusCode != 413 {
			t.Fatalf("announced 50 MB upload = %d; want 413", res.StatusCode)
		}
	}

	var refused []audit.Event
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if refused = eventsOf(auditLog(t, a), audit.UploadRefused); len(refused) >= 2 {
			break
		}
	}
	if len(refused) != 2 {
		t.Fatalf("upload.refused events = %+v; want 2 (bob once for three refusals, carol once)", refused)
	}
	e := refused[0]
	size, _ := strconv.Atoi(e.Details["size"])
	if e.ActorID != bobID || e.SubjectID != bobID || e.Details["reason"] != "unsupported_type" ||
		size <= len(text) || size > len(text)+1024 || e.IP != "127.0.0.1" || e.Details["suppressed"] != "" {
		t.Errorf("bob's upload.refused = %+v; want actor bob, reason unsupported_type, the request's size", e)
	}
	if e := refused[1]; e.Details["reason"] != "too_large" || e.Details["size"] != strconv.Itoa(50<<20) {
		t.Errorf("carol's upload.refused = %+v; want reason too_large, size %d", e, 50<<20)
	}
	raw, _ := json.Marshal(refused)
	if bytes.Contains(raw, []byte("notes")) || bytes.Contains(raw, []byte("bomb")) {
		t.Errorf("upload.refused carries a file name (private): %s", raw)
	}
	if n := ownEventTypes(bob)[string(audit.UploadRefused)]; n != 1 {
		t.Errorf("bob's security activity lists %d upload.refused; want 1", n)
	}
}

// TestWrongBearerTokensAreRecorded (ASVS V16.3.3): a bearer token that
// matches no token is recorded as auth.token_invalid with the address and
// the token's marker only, once per address and window; going over the
// wrong-token limit is recorded once as abuse.rate_limited. Answers are
// unchanged (401, then 429).
func TestWrongBearerTokensAreRecorded(t *testing.T) {
	a, srv := newServer(t, "--rate-limits", "bad-credentials=3/15m")
	guesser := newClient(t, srv)
	guesser.header.Set("User-Agent", "guesser/1.0")
	const guess = "slp_QmV0dGVyTHVja05leHRUaW1lR3Vlc3Nlcnh4eHh4"
	const session = "sls_U2Vzc2lvbnNBcmVOb3RCZWFyZXJUb2tlbnN4eHh4"
	for _, bearer := range []string{guess, session, "not even a token"} { // wrong, of the wrong kind, malformed
		guesser.bearer = bearer
		guesser.must(401, "GET", "/api/v1/me", nil)
	}
	guesser.bearer = guess
	for range 3 {
		if r := guesser.do("GET", "/api/v1/me", nil); r.status != 429 {
			t.Fatalf("wrong token over the limit = %d; want 429", r.status)
		}
	}

	evs := auditLog(t, a)
	invalid := eventsOf(evs, audit.TokenInvalid)
	if len(invalid) != 1 {
		t.Fatalf("auth.token_invalid events = %+v; want 1 for three wrong tokens from one address", invalid)
	}
	if e := invalid[0]; e.IP != "127.0.0.1" || e.UserAgent != "guesser/1.0" || e.Details["token_prefix"] != "slp_" ||
		e.ActorID != "" || e.SubjectID != "" {
		t.Errorf("auth.token_invalid = %+v; want 127.0.0.1, guesser/1.0, marker slp_, anonymous", e)
	}
	limited := eventsOf(evs, audit.RateLimited)
	if len(limited) != 1 || limited[0].Details["rule"] != "bad-credentials" || limited[0].IP != "127.0.0.1" {
		t.Errorf("abuse.rate_limited events = %+v; want one for bad-credentials", limited)
	}
	raw, _ := json.Marshal(evs)
	for _, secret := range []string{guess[4:], session[4:], "not even"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the audit log holds a presented token's secret part %q", secret)
		}
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
