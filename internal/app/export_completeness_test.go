package app_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/auth/webauthntest"
	"safelight/internal/sqlstore"
)

// exportLeftOut is the reviewed allow-list of columns, in tables that
// refer to a user, that an export deliberately does not carry, each with
// the reason. Every other column of such a table must be in the export.
var exportLeftOut = map[string]string{
	"users.password_hash":              "secret: a password hash is of no use to its owner and a risk in a file",
	"sessions.token_hash":              "secret hash of the session cookie",
	"api_tokens.token_hash":            "secret hash of the API token",
	"invites.token_hash":               "secret hash of the invitation link",
	"devices.token_hash":               "secret hash of the device cookie",
	"pending_logins.token_hash":        "secret hash of the pending sign-in cookie",
	"pending_logins.password_stamp":    "derived from the password hash",
	"mfa_totp.secret_sealed":           "the TOTP secret, sealed: a second factor must not leave in a file",
	"mfa_recovery_codes.code_hash":     "secret hashes of the recovery codes",
	"email_tokens.token_hash":          "secret hash of a mailed link",
	"passkeys.credential_id":           "authenticator key material (the credential's handle)",
	"passkeys.public_key":              "authenticator key material",
	"webauthn_ceremonies.handle_hash":  "secret hash of a ceremony handle",
	"webauthn_ceremonies.session_data": "the ceremony's challenge: key material, valid five minutes",
	"review_links.token_hash":          "secret hash of the review link (has_password and the rest are exported)",
	"review_links.password_hash":       "the link password's hash (exported as has_password)",
	"link_guests.token_hash":           "secret hash of the guest cookie",
	"audit_events.hash":                "a link of the tamper-evident chain, meaningless outside it",
	"exports.link_hash":                "secret hash of the download link",
	"exports.blob_ref":                 "internal name of the sealed blob",
	"assets.owner_id":                  "every asset of the export is the user's own",
	"assets.content_mac":               "owner-keyed hash for duplicate detection (the SHA-256 is exported)",
	"assets.original_ref":              "internal name of the sealed blob (the original itself is exported)",
	"assets.thumb_ref":                 "internal name of a derivative's sealed blob",
	"assets.preview_ref":               "internal name of a derivative's sealed blob",
	"assets.thumb_width":               "size of a derivative made by the instance",
	"assets.thumb_height":              "size of a derivative made by the instance",
	"assets.preview_width":             "size of a derivative made by the instance",
	"assets.preview_height":            "size of a derivative made by the instance",
	"assets.taken_offset":              "part of taken_at (RFC 3339 with its offset)",
	"assets.taken_has_offset":          "part of taken_at",
	"assets.sort_at":                   "the library's order: capture time, or upload time (both exported)",
	"calls.cover_ref":                  "internal name of the organization's sealed cover blob",
}

// exportTablesLeftOut are tables that refer to users and are not
// exported at all, with the reason.
var exportTablesLeftOut = map[string]string{
	"owner_keys": "the owner's wrapped age identity: key material, useless without the instance's root key",
}

// exportUserNames are column names that hold a user id (no foreign key:
// the rows outlive or precede the account, or name a guest or a user).
var exportUserNames = []string{"user_id", "owner_id", "actor_id", "subject_id", "created_by", "invited_by",
	"requested_by", "juror_id", "reviewer_id", "author_id"}

// exportEmailNames are columns holding an e-mail address of a member,
// juror, guest, invitee or mail recipient.
var exportEmailNames = []string{"email", "to_addr"}

type userColumn struct{ table, column string }

// schemaUserColumns migrates a fresh SQLite database and returns every
// (table, column) that refers to a user, every table's columns and its
// primary key.
func schemaUserColumns(t *testing.T) (refs []userColumn, columns, pk map[string][]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schema.db")
	st, err := sqlstore.Open(t.Context(), "sqlite:"+path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	columns, pk = map[string][]string{}, map[string][]string{}
	for _, tb := range tables {
		fks := map[string]bool{}
		fr, err := db.QueryContext(t.Context(), `SELECT "from", "table", "to" FROM pragma_foreign_key_list(?)`, tb)
		if err != nil {
			t.Fatal(err)
		}
		for fr.Next() {
			var from, to, toCol string
			fr.Scan(&from, &to, &toCol)
			if to == "users" {
				fks[from] = true
			}
		}
		fr.Close()
		cr, err := db.QueryContext(t.Context(), `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, tb)
		if err != nil {
			t.Fatal(err)
		}
		for cr.Next() {
			var name string
			var pkPos int
			cr.Scan(&name, &pkPos)
			columns[tb] = append(columns[tb], name)
			if pkPos > 0 {
				pk[tb] = append(pk[tb], name)
			}
			if fks[name] || slices.Contains(exportUserNames, name) || slices.Contains(exportEmailNames, name) ||
				strings.HasSuffix(name, "_by") || (tb == "users" && name == "id") {
				refs = append(refs, userColumn{tb, name})
			}
		}
		cr.Close()
	}
	return refs, columns, pk
}

// exportFileOf is the export's file for a table's rows.
func exportFileOf(table string) string {
	if table == "assets" {
		return "assets.json"
	}
	return "data/" + table + ".json"
}

// TestExportCompleteness fills every table that refers to a user with a
// row of one user (through the API, as she would), exports her data and
// checks that the export holds each of those rows, every column of it
// either exported or in the reviewed allow-list. A new table or column
// that refers to users and is neither exported nor allow-listed fails
// here with its name. It also checks the originals (bytes and names), GPS
// in the metadata, and that the README lists every file.
func TestExportCompleteness(t *testing.T) {
	a, srv := newServer(t, "--public-url", passkeyOrigin, "--signup", "open")
	const email = "olga@example.com"
	// Olga holds every staff role that writes rows naming her: made as
	// "safelight user create --role admin --role dpo" does (roles are
	// given nowhere else), then signed in, enrolled and verified as anyone.
	if _, err := a.Auth.CreateUser(t.Context(), email, "Olga Operator", password, []access.Role{access.RoleAdmin, access.RoleDPO}); err != nil {
		t.Fatal(err)
	}
	olga := newClient(t, srv)
	olga.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	enrolIfRequired(t, olga, email)
	olga.must(202, "POST", "/api/v1/me/verify-email/resend", nil)
	olga.must(204, "POST", "/api/v1/auth/verify-email", map[string]string{"token": linkToken(t, a, email, verifySubject, "/verify-email")})
	erin := verifiedAccount(t, a, srv, "erin@example.com")
	uid := olga.must(200, "GET", "/api/v1/me", nil).json["id"].(string)

	// Account: a token, an invitation, a passkey (and a registration left
	// unfinished), a sign-in waiting for its code.
	olga.must(201, "POST", "/api/v1/invites", map[string]string{"email": "newbie@example.com"})
	olga.must(201, "POST", "/api/v1/invites", map[string]string{"email": email}) // an invitation naming her address
	authn := webauthntest.New(passkeyOrigin)
	begin := olga.must(200, "POST", "/api/v1/me/passkeys/register/begin", withReauth(t, olga, email, nil))
	cred, _, err := authn.Create(begin.body)
	if err != nil {
		t.Fatal(err)
	}
	olga.must(201, "POST", "/api/v1/me/passkeys/register/finish", map[string]any{"handle": begin.json["handle"], "name": "Laptop", "credential": json.RawMessage(cred)})
	olga.must(200, "POST", "/api/v1/me/passkeys/register/begin", withReauth(t, olga, email, nil))
	// After the passkey: a new factor ends every token.
	olga.must(201, "POST", "/api/v1/tokens", withReauth(t, olga, email, map[string]string{"name": "backup script"}))
	pending := newClient(t, srv)
	if r := pending.do("POST", "/login", rawBody{ctype: "application/x-www-form-urlencoded", data: []byte("email=olga%40example.com&password=" + password)}); r.status != 303 {
		t.Fatalf("page sign-in with the password = %d; want 303 to the code step", r.status)
	}

	// Library: two photos with the same name, one with GPS; settings; a
	// download (access log).
	gpsJPEG := withXMP(testJPEG(t, 640, 480, 1), testXMP)
	plainJPEG := testJPEG(t, 640, 480, 2)
	var ids []string
	for _, up := range [][]byte{gpsJPEG, plainJPEG} {
		r := olga.upload("file", "Harbour at dawn.jpg", up)
		if r.status != 201 {
			t.Fatalf("upload = %d %s", r.status, r.body)
		}
		ids = append(ids, r.json["id"].(string))
		olga.waitReady(r.json["id"].(string))
	}
	olga.must(200, "PATCH", "/api/v1/me/library-settings", map[string]bool{"keep_copyright": false})
	olga.must(200, "GET", "/api/v1/assets/"+ids[0]+"/original", nil)

	// Sharing: Olga's project with Erin as reviewer and a link; Erin's
	// project where Olga reviews, comments and is done; Erin's link where
	// Olga reviews as a guest with her address.
	proj := olga.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Harbour", "description": "Selects"}).json["id"].(string)
	p := "/api/v1/projects/" + proj
	olga.must(200, "POST", p+"/assets", map[string]any{"asset_ids": []string{ids[0]}})
	olga.must(201, "POST", p+"/members", map[string]string{"email": "erin@example.com", "role": "reviewer", "download": "preview"})
	olga.must(201, "POST", p+"/links", map[string]string{"download": "preview"})
	erin.must(204, "POST", p+"/done", nil) // Olga is notified
	erinImg := uploadReady(t, erin, 3)
	eproj := erin.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Erin's", "description": ""}).json["id"].(string)
	ep := "/api/v1/projects/" + eproj
	erin.must(200, "POST", ep+"/assets", map[string]any{"asset_ids": []string{erinImg}})
	erin.must(201, "POST", ep+"/members", map[string]string{"email": email, "role": "reviewer", "download": "preview"})
	olga.must(200, "PUT", ep+"/assets/"+erinImg+"/review", map[string]any{"rating": 4, "label": "green"})
	olga.must(201, "POST", ep+"/assets/"+erinImg+"/comments", map[string]string{"body": "Crop the left edge."})
	olga.must(204, "POST", ep+"/done", nil)
	tok := erin.must(201, "POST", ep+"/links", map[string]string{"download": "preview"}).json["token"].(string)
	newClient(t, srv).must(200, "PUT", "/api/v1/links/"+tok+"/assets/"+erinImg+"/review", map[string]any{"rating": 2, "name": "Olga at home", "email": email})

	// Calls: Olga's organization with Erin as juror, a call she enters
	// herself (entry, images, consent), a round she creates and judges
	// in (vote, recusal), an award and an originals request.
	org := olga.must(201, "POST", "/api/v1/orgs", map[string]string{"name": "Harbour Festival"}).json["id"].(string)
	olga.must(201, "POST", "/api/v1/orgs/"+org+"/members", map[string]string{"email": "erin@example.com", "role": "juror"})
	call := olga.must(201, "POST", "/api/v1/orgs/"+org+"/calls", map[string]any{
		"title": "Harbours", "description": "Harbours at dawn.", "deadline": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339),
		"timezone": "Europe/Lisbon", "categories": []string{"Landscape"}, "limits": map[string]any{"entries_per_entrant": 3, "images_per_entry": 2},
		"requirements": map[string]any{"formats": []string{"jpeg"}, "min_long_edge": 600}, "terms": "Judged by the jury.",
		"rights": []string{"publication"}, "shared_data": []string{"name"}}).json["id"].(string)
	c := "/api/v1/calls/" + call
	olga.must(200, "POST", c+"/publish", nil)
	_, sha, _ := flowTerms(t, newClient(t, srv).must(200, "GET", c, nil).json["terms"])
	mine := olga.must(201, "POST", c+"/entries", map[string]any{"title": "Dawn", "category": "Landscape", "asset_ids": []string{ids[1]}, "accept_terms_sha256": sha}).json["id"].(string)
	erinImg2 := uploadReady(t, erin, 4)
	theirs := erin.must(201, "POST", c+"/entries", map[string]any{"title": "Nets", "category": "Landscape", "asset_ids": []string{erinImg2}, "accept_terms_sha256": sha}).json["id"].(string)
	a.Calls.SetClock(func() time.Time { return time.Now().Add(3 * time.Hour) })
	round := olga.must(201, "POST", c+"/rounds", map[string]any{"name": "First", "mode": "stars_avg", "jurors": []string{email, "erin@example.com"}}).json["id"].(string)
	r := "/api/v1/rounds/" + round
	olga.must(200, "PUT", r+"/entries/"+theirs+"/vote", map[string]int{"score": 4})
	olga.must(204, "POST", r+"/entries/"+mine+"/recuse", nil)
	olga.must(200, "POST", r+"/close", nil)
	olga.must(200, "PUT", c+"/entries/"+mine+"/award", map[string]string{"award": "winner"})
	olga.must(201, "POST", c+"/entries/"+mine+"/originals-requests", map[string]any{"image_ids": flowEntryImages(t, olga, mine), "message": "For the print."})

	// A breach recorded by Olga as dpo, naming her account as affected.
	olga.must(201, "POST", "/api/v1/staff/breaches", map[string]any{"description": "A lost laptop.", "measures": "Disk encryption checked.",
		"detected_at": time.Now().UTC().Format(time.RFC3339), "data_categories": []string{"account"}, "affected_accounts": []string{uid}})

	// An erasure scheduled (the grace period is when people export).
	olga.must(202, "DELETE", "/api/v1/me", withReauth(t, olga, email, nil))

	// The export.
	id := requestExport(t, olga)
	files := zipEntries(t, olga.must(200, "GET", waitExport(t, olga, id), nil).body)

	refs, columns, pk := schemaUserColumns(t)
	seenTables := map[string]bool{}
	for _, ref := range refs {
		value := uid
		if slices.Contains(exportEmailNames, ref.column) {
			value = email
		}
		name := ref.table + "." + ref.column
		if exportTablesLeftOut[ref.table] != "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			db, err := a.Store().RowsWhere(t.Context(), ref.table, ref.column, value)
			if err != nil {
				t.Fatal(err)
			}
			if len(db.Rows) == 0 {
				t.Fatalf("the fixture has no row of %s for the user: add one (through the API) so that the export of %s is checked", name, ref.table)
			}
			raw, ok := files[exportFileOf(ref.table)]
			if !ok {
				t.Fatalf("%s refers to users but the export has no %s: export the table, or allow-list the column with a reason", name, exportFileOf(ref.table))
			}
			var exported []map[string]any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&exported); err != nil {
				t.Fatalf("%s: %v", exportFileOf(ref.table), err)
			}
			// Every column is exported or allow-listed (checked once per table).
			if len(exported) == 0 {
				t.Fatalf("export %s is empty; want the user's %d rows", exportFileOf(ref.table), len(db.Rows))
			}
			if !seenTables[ref.table] {
				seenTables[ref.table] = true
				for _, col := range columns[ref.table] {
					_, left := exportLeftOut[ref.table+"."+col]
					if _, in := exported[0][col]; !in && !left {
						t.Errorf("column %s.%s is neither in the export nor in the allow-list (exportLeftOut) with a reason", ref.table, col)
					}
					if _, in := exported[0][col]; in && left {
						t.Errorf("allow-listed column %s.%s is in the export", ref.table, col)
					}
				}
			}
			// Each row of the user is in the export, by its id or its key.
			key := []string{"id"}
			if !slices.Contains(columns[ref.table], "id") {
				key = slices.DeleteFunc(slices.Clone(pk[ref.table]), func(c string) bool { _, left := exportLeftOut[ref.table+"."+c]; return left })
			}
			if len(key) == 0 {
				key = []string{ref.column}
			}
			keyOf := func(get func(string) any) string {
				var parts []string
				for _, k := range key {
					parts = append(parts, fmt.Sprint(get(k)))
				}
				return strings.Join(parts, "|")
			}
			have := map[string]int{}
			for _, row := range exported {
				have[keyOf(func(c string) any { return row[c] })]++
			}
			want := map[string]int{}
			for _, row := range db.Rows {
				want[keyOf(func(c string) any { return row[slices.Index(db.Columns, c)] })]++
			}
			for k, n := range want {
				if have[k] < n {
					t.Errorf("export %s lacks the row %s=%s of %s (has %d of %d)", exportFileOf(ref.table), strings.Join(key, ","), k, name, have[k], n)
				}
			}
		})
	}

	// Originals: byte for byte, under their names, the second renamed.
	if got := files["originals/Harbour at dawn.jpg"]; !bytes.Equal(got, gpsJPEG) {
		t.Errorf("originals/Harbour at dawn.jpg = %d bytes; want the upload's %d, identical", len(got), len(gpsJPEG))
	}
	if got := files["originals/Harbour at dawn (2).jpg"]; !bytes.Equal(got, plainJPEG) {
		t.Errorf("originals/Harbour at dawn (2).jpg = %d bytes; want the second upload's %d, identical", len(got), len(plainJPEG))
	}
	var metas []map[string]any
	json.Unmarshal(files["assets.json"], &metas)
	gpsSeen := false
	for _, m := range metas {
		if m["id"] == ids[0] {
			priv, _ := m["private"].(map[string]any)
			gps, _ := priv["gps"].(map[string]any)
			lat, _ := gps["lat"].(float64)
			gpsSeen = lat > 52.5 && lat < 52.53 && priv["filename"] == "Harbour at dawn.jpg"
		}
	}
	if !gpsSeen {
		t.Errorf("assets.json = %s; want the GPS position (52°31.2'N) and file name of %s", files["assets.json"], ids[0])
	}
	if !strings.Contains(string(files["assets.csv"]), "52.52") {
		t.Errorf("assets.csv lacks the latitude: %s", files["assets.csv"])
	}
	readme := string(files["README.txt"])
	for name := range files {
		if !strings.Contains(readme, name) {
			t.Errorf("README.txt does not list %s", name)
		}
	}
	for _, must := range []string{"Lawful basis", "Recipients", "Kept"} {
		if !strings.Contains(readme, must) {
			t.Errorf("README.txt has no %q (processing information): %s", must, readme)
		}
	}
	// No secret column leaves in any file.
	for name, b := range files {
		for _, secret := range []string{`"password_hash"`, `"token_hash"`, `"code_hash"`, `"secret_sealed"`, `"public_key"`, `"link_hash"`, `"wrapped"`} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains %s", name, secret)
			}
		}
	}
}
