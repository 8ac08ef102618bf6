package app_test

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/blob"
)

// requestExport asks for an export of c's data and returns its id.
func requestExport(t *testing.T, c *client) string {
	t.Helper()
	r := c.must(202, "POST", "/api/v1/me/export", nil)
	id, _ := r.json["id"].(string)
	if id == "" || (r.json["state"] != "pending" && r.json["state"] != "building") {
		t.Fatalf("POST /api/v1/me/export = %s; want an id, pending", r.body)
	}
	return id
}

// waitExport polls c's export until it is ready and returns the path of
// its (freshly minted) download link.
func waitExport(t *testing.T, c *client, id string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := c.must(200, "GET", "/api/v1/me/export/"+id, nil)
		switch r.json["state"] {
		case "ready":
			u, _ := r.json["download_url"].(string)
			i := strings.Index(u, "/api/v1/exports/sle_")
			if i < 0 || r.json["expires_at"] == nil || r.json["size"] == nil {
				t.Fatalf("ready export = %s; want a download_url, size and expires_at", r.body)
			}
			return u[i:]
		case "pending", "building":
		default:
			t.Fatalf("export = %s; want it to become ready", r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("export %s still %v after 60 s", id, r.json["state"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exportBlobs lists the sealed export blobs in the raw blob store.
func exportBlobs(t *testing.T, a *app.App) []blob.Ref {
	t.Helper()
	var refs []blob.Ref
	for info, err := range a.Blobs().List(t.Context(), "export/") {
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, info.Ref)
	}
	return refs
}

// waitNoExportBlobs waits until the export blobs are deleted.
func waitNoExportBlobs(t *testing.T, a *app.App) {
	t.Helper()
	for range 100 {
		if len(exportBlobs(t, a)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("export blobs %v are still stored", exportBlobs(t, a))
}

// TestExportRequestedTwiceAtOnce: concurrent requests of one user make
// one export (one job); the answer names the same export to all of them,
// and only one row exists.
func TestExportRequestedTwiceAtOnce(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com")
	uid := ann.must(200, "GET", "/api/v1/me", nil).json["id"].(string)

	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			r := ann.do("POST", "/api/v1/me/export", nil)
			if r.status != 202 {
				t.Errorf("POST /api/v1/me/export #%d = %d %s; want 202", i, r.status, r.body)
				return
			}
			ids[i], _ = r.json["id"].(string)
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("concurrent requests answered exports %v; want one id for all", ids)
		}
		_ = i
	}
	rows, err := a.Store().RowsWhere(t.Context(), "exports", "user_id", uid)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Rows) != 1 {
		t.Fatalf("exports rows of Ann = %d; want 1", len(rows.Rows))
	}
	waitExport(t, ann, ids[0])
	// Once built, a new request is a new export.
	if again := requestExport(t, ann); again == ids[0] {
		t.Fatalf("request after the export was ready = %s; want a new export", again)
	}
}

// TestExportDownloadOnce: the link gives the ZIP once, as an attachment
// named by date; the second use, a replaced link and a link without the
// owner's sign-in answer 404; the sealed blob is gone after the download.
func TestExportDownloadOnce(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com")
	bob := signUpAndLogin(t, srv, "bob@example.com")
	id := requestExport(t, ann)
	stale := waitExport(t, ann, id)
	link := waitExport(t, ann, id) // a newer link replaces the first
	if link == stale {
		t.Fatal("two status answers gave the same link; want a new one each time")
	}

	// The raw blob store holds the ZIP sealed: no ZIP signature anywhere,
	// an age header at the start.
	refs := exportBlobs(t, a)
	if len(refs) != 1 {
		t.Fatalf("export blobs = %v; want 1", refs)
	}
	rc, err := a.Blobs().Get(t.Context(), refs[0])
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	if bytes.Contains(raw, []byte("PK\x03\x04")) || bytes.Contains(raw, []byte("README.txt")) || !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) {
		t.Fatalf("stored export blob (%d bytes) is not sealed: starts %q", len(raw), raw[:min(len(raw), 40)])
	}

	ann.must(404, "GET", stale, nil)                   // replaced
	bob.must(404, "GET", link, nil)                    // another account with the secret
	bob.must(404, "GET", "/api/v1/me/export/"+id, nil) // another account's export id
	if r := newClient(t, srv).do("GET", link, nil); r.status != 401 {
		t.Fatalf("download without signing in = %d; want 401", r.status)
	}
	ann.must(404, "GET", "/api/v1/exports/sle_"+strings.Repeat("A", 43), nil)
	ann.must(404, "GET", "/api/v1/me/export/not-an-id", nil)

	r := ann.must(200, "GET", link, nil)
	if ct := r.header.Get("Content-Type"); ct != "application/zip" {
		t.Errorf("Content-Type = %q; want application/zip", ct)
	}
	want := `attachment; filename="safelight-export-` + time.Now().UTC().Format("2006-01-02") + `.zip"`
	if cd := r.header.Get("Content-Disposition"); cd != want {
		t.Errorf("Content-Disposition = %q; want %q", cd, want)
	}
	if files := zipEntries(t, r.body); files["README.txt"] == nil || files["data/users.json"] == nil {
		t.Errorf("export ZIP holds %v; want README.txt and data/users.json", entryNames(files))
	}
	second := ann.do("GET", link, nil)
	if second.status != 404 || !strings.Contains(second.json["error"].(string), "used already") {
		t.Fatalf("second download = %d %s; want 404 saying the link was used", second.status, second.body)
	}
	if st := ann.must(200, "GET", "/api/v1/me/export/"+id, nil).json; st["state"] != "downloaded" || st["download_url"] != nil {
		t.Fatalf("export after download = %v; want downloaded, no link", st)
	}
	waitNoExportBlobs(t, a)
}

// TestExportExpires: a ready export not downloaded within 7 days answers
// 404 on its link, shows expired, and the build task's sweep deletes the
// sealed blob (which the library's orphan sweep never touches).
func TestExportExpires(t *testing.T) {
	a, srv := newServer(t, "--signup", "open")
	ann := signUpAndLogin(t, srv, "ann@example.com")
	id := requestExport(t, ann)
	link := waitExport(t, ann, id)
	if len(exportBlobs(t, a)) != 1 {
		t.Fatal("no export blob stored")
	}
	// The library's orphan sweep (blobs no asset names, older than an
	// hour) leaves the export namespace alone.
	a.Library.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if err := a.Library.SweepOrphans(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(exportBlobs(t, a)) != 1 {
		t.Fatal("the library's orphan sweep deleted the export blob")
	}
	a.Exports.SetClock(func() time.Time { return time.Now().Add(7*24*time.Hour + time.Minute) })
	ann.must(404, "GET", link, nil)
	if st := ann.must(200, "GET", "/api/v1/me/export/"+id, nil).json; st["state"] != "expired" || st["download_url"] != nil {
		t.Fatalf("export after its expiry = %v; want expired, no link", st)
	}
	if err := a.Exports.BuildPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitNoExportBlobs(t, a)
	if st := ann.must(200, "GET", "/api/v1/me/export/"+id, nil).json; st["state"] != "expired" {
		t.Fatalf("export after the sweep = %v; want expired", st)
	}
}
