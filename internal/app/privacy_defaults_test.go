package app_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/media"
	"safelight/internal/privacy"
)

// Privacy by default (GDPR Art. 25): what a fresh instance does before
// anyone changes a setting. Each assertion pins one default and fails
// if that default changes.

// TestPrivacyDefaultsSharing: a new project is private, a new review
// link expires (30 days unless the owner chooses, never unlimited), GPS
// is in no derivative and never shown to members or link holders, and
// camera details are hidden from others.
func TestPrivacyDefaultsSharing(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	owner := verifiedAccount(t, a, srv, "ann@example.com")
	member := verifiedAccount(t, a, srv, "vera@example.com")
	stranger := verifiedAccount(t, a, srv, "olga@example.com")

	// A photo with a GPS position in both EXIF and XMP (calls_authz_test.go).
	up := owner.upload("file", "secret-cove.jpg", withAuthorship(testJPEG(t, 800, 600, 7)))
	if up.status != 201 {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	asset := str(up.json, "id")
	if got := owner.waitReady(asset); got["gps"] == nil {
		t.Fatalf("owner's asset = %v; want its GPS position read (the control of this test)", got)
	}

	// A new project: no members, no links, invisible to others, camera
	// details off.
	pj := owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Selects"}).json
	p := "/api/v1/projects/" + str(pj, "id")
	if pj["show_camera_details"] != false {
		t.Errorf("new project show_camera_details = %v; want false", pj["show_camera_details"])
	}
	if ms := itemsOf(owner.must(200, "GET", p+"/members", nil).json, "items"); len(ms) != 0 {
		t.Errorf("new project members = %v; want none", ms)
	}
	if ls := itemsOf(owner.must(200, "GET", p+"/links", nil).json, "items"); len(ls) != 0 {
		t.Errorf("new project links = %v; want none", ls)
	}
	owner.must(200, "POST", p+"/assets", map[string]any{"asset_ids": []string{asset}})
	for _, path := range []string{p, p + "/assets", p + "/assets/" + asset + "/thumb"} {
		if r := stranger.do("GET", path, nil); r.status != http.StatusNotFound {
			t.Errorf("another account's GET %s = %d; want 404 (a new project is private)", path, r.status)
		}
	}

	// A new review link expires after 30 days; asking for no expiry
	// (null) gets the default, and beyond the instance's maximum
	// (365 days by default) is refused.
	link := owner.must(201, "POST", p+"/links", map[string]any{"download": "preview"}).json
	expires, err := time.Parse(time.RFC3339Nano, str(link, "expires_at"))
	if err != nil {
		t.Fatalf("link expires_at = %v: %v", link["expires_at"], err)
	}
	if d := time.Until(expires); d < 30*24*time.Hour-time.Hour || d > 30*24*time.Hour+time.Hour {
		t.Errorf("new link expires in %v; want 30 days", d)
	}
	nullLink := owner.must(201, "POST", p+"/links", map[string]any{"expires_at": nil}).json
	if e, _ := time.Parse(time.RFC3339Nano, str(nullLink, "expires_at")); time.Until(e) > 31*24*time.Hour {
		t.Errorf("link asked with expires_at null expires %v; want the 30-day default", e)
	}
	for _, far := range []time.Time{time.Now().Add(366 * 24 * time.Hour), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		if r := owner.do("POST", p+"/links", map[string]any{"expires_at": far.Format(time.RFC3339)}); r.status != http.StatusBadRequest {
			t.Errorf("link expiring %v = %d %s; want 400 (longer than the instance allows)", far, r.status, r.body)
		}
	}

	// GPS: the owner's own derivatives hold none; members and link
	// holders get derivatives without any metadata, and no position in
	// what the API says about the photo.
	owner.must(201, "POST", p+"/members", map[string]string{"email": "vera@example.com", "role": "viewer", "download": "preview"})
	gpsMarks := []string{"GPSLatitude", xmpGPSLat, xmpGPSLon, "48.856", "2.2944"}
	noGPS := func(who, path string, b []byte) {
		t.Helper()
		for _, m := range gpsMarks {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("%s: %s holds %q", who, path, m)
			}
		}
		// A JPEG is also read as Safelight reads uploads: the EXIF GPS
		// IFD is binary, not text.
		if bytes.HasPrefix(b, []byte{0xFF, 0xD8}) {
			if md, err := media.ExtractMetadata(b); err != nil || md.GPS != nil {
				t.Errorf("%s: %s carries a GPS position %v (err %v)", who, path, md.GPS, err)
			}
		}
	}
	if md, err := media.ExtractMetadata(withAuthorship(testJPEG(t, 80, 60, 7))); err != nil || md.GPS == nil {
		t.Fatalf("the fixture's GPS position is not read (%v): the control of this test is void", err)
	}
	for _, kind := range []string{"thumb", "preview"} {
		path := "/api/v1/assets/" + asset + "/" + kind
		noGPS("owner", path, owner.must(200, "GET", path, nil).body)
		if !bytes.Contains(owner.must(200, "GET", "/api/v1/assets/"+asset, nil).body, []byte(`"gps"`)) {
			t.Fatalf("owner's asset JSON lacks gps: the control of this test is void")
		}
		path = p + "/assets/" + asset + "/" + kind
		noGPS("member", path, member.must(200, "GET", path, nil).body)
		path = "/api/v1/links/" + str(link, "token") + "/assets/" + asset + "/" + kind
		noGPS("link holder", path, newClient(t, srv).must(200, "GET", path, nil).body)
	}
	listing := member.must(200, "GET", p+"/assets", nil)
	noGPS("member", p+"/assets", listing.body)
	for _, item := range itemsOf(listing.json, "items") {
		for _, k := range []string{"gps", "camera"} {
			if v, ok := item[k]; ok && v != nil && v != "" {
				t.Errorf("member sees %s = %v on a new project", k, v)
			}
		}
	}
	noGPS("link holder", "the link", newClient(t, srv).must(200, "GET", "/api/v1/links/"+str(link, "token"), nil).body)
}

// TestPrivacyDefaultsNoPublicProfile: no public route names a person: no
// profile, library or account of anyone can be reached without a grant.
// Public parameters are link tokens, calls and their published parts.
func TestPrivacyDefaultsNoPublicProfile(t *testing.T) {
	a, _ := newServer(t)
	param := regexp.MustCompile(`\{([^}.$]*)(\.\.\.)?\$?\}`)
	allowed := []string{"token", "asset_id", "id", "version", "entry", "image", "kind"}
	personal := []string{"user", "profile", "people", "person", "member", "owner", "account", "photographer", "author", "library", "/u/", "/me"}
	var public int
	for _, r := range a.Routes() {
		if r.Policy != access.Public {
			continue
		}
		public++
		lower := strings.ToLower(r.Pattern)
		for _, w := range personal {
			if strings.Contains(lower, w) {
				t.Errorf("public route %q names %q: a person's profile or data would be public", r.Pattern, w)
			}
		}
		for _, m := range param.FindAllStringSubmatch(r.Pattern, -1) {
			if m[1] == "" {
				continue // {$}
			}
			if !slices.Contains(allowed, m[1]) {
				t.Errorf("public route %q takes {%s}; public routes take only %v", r.Pattern, m[1], allowed)
			}
			if m[1] == "id" && !strings.Contains(r.Pattern, "/calls/{id}") {
				t.Errorf("public route %q takes an {id} that is not a call's", r.Pattern)
			}
		}
	}
	if public < 10 {
		t.Fatalf("found %d public routes; the route table was not read", public)
	}
}

// TestPrivacyDefaultsCalls: a new call's terms give the organization no
// entrant data, and a jury round is blind unless asked otherwise.
func TestPrivacyDefaultsCalls(t *testing.T) {
	a, srv, clock := newCallsServer(t)
	owner := verifiedAccount(t, a, srv, "olga@example.com")
	org := str(owner.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Harbour Camera Club"}).json, "id")
	body := newCallBody("Tides", nil, nil)
	delete(body, "rights")
	delete(body, "shared_data")
	call := str(owner.must(201, "POST", "/api/v1/orgs/"+org+"/calls", body).json, "id")
	owner.must(200, "POST", "/api/v1/calls/"+call+"/publish", nil)
	terms, _ := owner.must(200, "GET", "/api/v1/calls/"+call, nil).json["terms"].(map[string]any)
	if shared, _ := terms["shared_data"].([]any); terms == nil || len(shared) != 0 {
		t.Errorf("new call's terms shared_data = %v; want none", terms["shared_data"])
	}
	if text, _ := terms["text"].(string); !strings.Contains(text, "the organizer receives: nothing") {
		t.Errorf("new call's terms text does not say the organizer receives nothing:\n%s", text)
	}

	entrant := verifiedAccount(t, a, srv, "erin@example.com")
	submitEntry(t, entrant, call, "Rock pools", uploadReady(t, entrant, 21))
	clock.pastDeadline()
	round := owner.must(201, "POST", "/api/v1/calls/"+call+"/rounds", map[string]any{
		"name": "First round", "unit": "image", "mode": "stars_avg", "jurors": []string{"jules@example.com"}}).json
	if round["blind"] != true {
		t.Errorf("round created without \"blind\" = %v; want blind", round["blind"])
	}
}

// TestPrivacyDefaultsSignup: with no --signup, the first account signs
// up freely (it becomes the admin) and every later one needs an
// invitation.
func TestPrivacyDefaultsSignup(t *testing.T) {
	_, srv := newServer(t)
	c := newClient(t, srv)
	c.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	if r := c.do("POST", "/api/v1/auth/signup", map[string]string{"email": "bea@example.com", "password": password, "name": "Bea"}); r.status != http.StatusForbidden {
		t.Errorf("second sign-up without invitation = %d %s; want 403", r.status, r.body)
	}
}

// TestPrivacyDefaultsNoOptionalEmails: no account gets the optional
// e-mails ("review done", "deadline reminder") unless its holder asks:
// the sign-up form's box is unticked, and a sign-up by the API or by the
// form without ticking it records no e-mail notifications consent.
func TestPrivacyDefaultsNoOptionalEmails(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	page := string(newClient(t, srv).must(200, "GET", "/signup", nil).body)
	i := strings.Index(page, `id="signup-notifications"`)
	if i < 0 {
		t.Fatal("the sign-up form offers no e-mail notifications box: the control of this test is void")
	}
	if tag := page[i : i+strings.IndexByte(page[i:], '>')]; strings.Contains(tag, "checked") {
		t.Errorf("the sign-up form's e-mail notifications box is ticked by default: %s", tag)
	}
	ann := signUpAndLogin(t, srv, "ann@example.com")
	newClient(t, srv).must(303, "POST", "/signup", form("name", "Bea Brown", "email", "bea@example.com", "password", password,
		"notifications_sha256", privacy.NotificationsTextSHA256()))
	bea := newClient(t, srv)
	bea.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bea@example.com", "password": password})
	for who, c := range map[string]*client{"API sign-up": ann, "form sign-up, box unticked": bea} {
		if got := notificationConsents(t, c); len(got) != 0 {
			t.Errorf("%s: e-mail notifications consents = %v; want none", who, got)
		}
		id := str(c.must(200, "GET", "/api/v1/me", nil).json, "id")
		if ok, err := a.Notifications.Allowed(t.Context(), id); err != nil || ok {
			t.Errorf("%s: optional e-mails allowed = %v, %v; want false", who, ok, err)
		}
	}
}
