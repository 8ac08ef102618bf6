package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/auth"
	"safelight/internal/blob"
	"safelight/internal/blob/disk"
	"safelight/internal/keys"
	"safelight/internal/privacy"
)

// TestErasureScheduleAndCancel: erasing an account needs a signed-in
// session and re-authentication (none, a wrong password, a token: all
// refused); it is scheduled after the grace period, during which the
// holder still signs in and can cancel (Art. 17; bad input: erasure
// without re-authentication).
func TestErasureScheduleAndCancel(t *testing.T) {
	_, srv := newServer(t, "--signup", "open", "--erasure-grace", "72h")
	signUpAndLogin(t, srv, "ann@example.com") // the admin
	bob := signUpAndLogin(t, srv, "bob@example.com")
	tok := bob.must(201, "POST", "/api/v1/tokens", map[string]string{"name": "cli", "password": password}).json["token"].(string)
	script := newClient(t, srv)
	script.bearer = tok

	if r := bob.must(200, "GET", "/api/v1/me/erasure", nil); r.json["scheduled"] != false {
		t.Fatalf("erasure status before = %s; want not scheduled", r.body)
	}
	if r := bob.must(403, "DELETE", "/api/v1/me", nil); r.json["password_required"] != true {
		t.Errorf("erase without re-authentication = %s; want 403 password_required", r.body)
	}
	bob.must(403, "DELETE", "/api/v1/me", map[string]string{"password": "not the password"})
	if r := script.do("DELETE", "/api/v1/me", map[string]string{"password": password}); r.status != 403 || r.json["session_required"] != true {
		t.Errorf("erase with a token = %d %s; want 403 session_required", r.status, r.body)
	}
	if r := bob.must(200, "GET", "/api/v1/me/erasure", nil); r.json["scheduled"] != false {
		t.Fatalf("erasure status after refusals = %s; want not scheduled", r.body)
	}

	before := time.Now()
	r := bob.must(202, "DELETE", "/api/v1/me", map[string]string{"password": password})
	eraseAt, err := time.Parse(time.RFC3339Nano, r.json["erase_at"].(string))
	if err != nil || eraseAt.Before(before.Add(72*time.Hour-time.Minute)) || eraseAt.After(time.Now().Add(72*time.Hour)) {
		t.Fatalf("erase_at = %v (%v); want 72 h from now", r.json["erase_at"], err)
	}
	// Asking again keeps the first date.
	if again := bob.must(202, "DELETE", "/api/v1/me", map[string]string{"password": password}); again.json["erase_at"] != r.json["erase_at"] {
		t.Errorf("second request = %s; want the first erase_at %v", again.body, r.json["erase_at"])
	}
	if r := bob.must(200, "GET", "/api/v1/me/erasure", nil); r.json["scheduled"] != true {
		t.Errorf("erasure status = %s; want scheduled", r.body)
	}
	// The grace period: signing in works, and so does the library.
	phone := newClient(t, srv)
	phone.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})
	phone.must(200, "GET", "/api/v1/assets", nil)
	if r := script.do("POST", "/api/v1/me/erasure/cancel", nil); r.status != 403 {
		t.Errorf("cancel with a token = %d %s; want 403", r.status, r.body)
	}
	phone.must(204, "POST", "/api/v1/me/erasure/cancel", nil)
	phone.must(404, "POST", "/api/v1/me/erasure/cancel", nil)
	if r := bob.must(200, "GET", "/api/v1/me/erasure", nil); r.json["scheduled"] != false {
		t.Errorf("erasure status after cancel = %s; want not scheduled", r.body)
	}
	var types []string
	for _, e := range bob.must(200, "GET", "/api/v1/me/security-events", nil).json["items"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	for _, want := range []string{"account.erasure_requested", "account.erasure_cancelled"} {
		if !slices.Contains(types, want) {
			t.Errorf("security events = %v; want %s", types, want)
		}
	}
}

// blobCopy is a copy of a blob store taken at one moment, as a stolen
// disk or an old backup would hold it, with a Sealer that opens it with
// the instance's live keys.
type blobCopy struct {
	blobs  map[blob.Ref][]byte
	sealer *keys.Sealer
}

func copyBlobStore(t *testing.T, a *app.App) *blobCopy {
	t.Helper()
	ctx := t.Context()
	store, err := disk.New(filepath.Join(t.TempDir(), "copy"))
	if err != nil {
		t.Fatal(err)
	}
	c := &blobCopy{blobs: map[blob.Ref][]byte{}, sealer: keys.NewSealer(a.Keyring, store)}
	for info, err := range a.Blobs().List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		rc, err := a.Blobs().Get(ctx, info.Ref)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		c.blobs[info.Ref] = data
		if _, err := store.Put(ctx, info.Ref, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// open decrypts the copy of ref as owner's.
func (c *blobCopy) open(ctx context.Context, owner string, ref blob.Ref) error {
	rc, err := c.sealer.Open(ctx, owner, ref)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// waitErased waits until the account's row is gone.
func waitErased(t *testing.T, a *app.App, userID string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := a.Store().UserByID(t.Context(), userID); errors.Is(err, auth.ErrNotFound) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("account %s not erased after 30 s", userID)
}

// TestErasureCryptoShreds: with no grace period the erasure runs at once.
// A copy of the blob store taken before it (which opened then) can no
// longer be decrypted for the erased account, while the others' blobs in
// the same copy still open; the erased account's blobs and keys are gone,
// its comment in another owner's project stays under "deleted user", it
// cannot sign in (password, session or token), and the erasure journal
// holds its id with a tag that verifies with the root key. Replaying the
// journal, as after a restore, is harmless when nothing came back.
func TestErasureCryptoShreds(t *testing.T) {
	ctx := t.Context()
	rootKeyFile := apptest.NewRootKey(t)
	opts := append(apptest.ModeOptions(t), "--root-key-file", rootKeyFile, "--signup", "open", "--erasure-grace", "0")
	a, srv := newServer(t, opts...)
	ann := verifiedAccount(t, a, srv, "ann@example.com")
	bob := verifiedAccount(t, a, srv, "bob@example.com")
	carol := verifiedAccount(t, a, srv, "carol@example.com")
	bobID := bob.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	carolID := carol.must(200, "GET", "/api/v1/me", nil).json["id"].(string)
	bobAssets := []string{uploadReady(t, bob, 11), uploadReady(t, bob, 12)}
	carolAsset := uploadReady(t, carol, 13)
	annAsset := uploadReady(t, ann, 14)
	bob.must(204, "DELETE", "/api/v1/assets/"+bobAssets[1], nil) // trashed blobs are erased too

	// Bob reviews Ann's project.
	project := ann.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Harbour", "description": ""}).json["id"].(string)
	ann.must(200, "POST", "/api/v1/projects/"+project+"/assets", map[string]any{"asset_ids": []string{annAsset}})
	ann.must(201, "POST", "/api/v1/projects/"+project+"/members", map[string]string{"email": "bob@example.com", "role": "reviewer", "download": "preview"})
	bob.must(201, "POST", "/api/v1/projects/"+project+"/assets/"+annAsset+"/comments", map[string]string{"body": "Lovely light"})
	bob.must(200, "GET", "/api/v1/projects/"+project+"/assets/"+annAsset+"/preview", nil)
	tok := bob.must(201, "POST", "/api/v1/tokens", map[string]string{"name": "cli", "password": password}).json["token"].(string)

	bobRefs, err := a.Store().ErasureBlobRefs(ctx, bobID)
	if err != nil || len(bobRefs) != 6 {
		t.Fatalf("Bob's blobs = %v, %v; want 2 × (original, thumb, preview)", bobRefs, err)
	}
	carolRefs, _ := a.Store().ErasureBlobRefs(ctx, carolID)
	snapshot := copyBlobStore(t, a)
	for _, ref := range bobRefs {
		if _, ok := snapshot.blobs[ref]; !ok {
			t.Fatalf("the copy lacks Bob's blob %s", ref)
		}
		if err := snapshot.open(ctx, bobID, ref); err != nil {
			t.Fatalf("before erasure, the copy of %s = %v; want it to open", ref, err)
		}
	}

	r := bob.must(202, "DELETE", "/api/v1/me", map[string]string{"password": password})
	if at, _ := time.Parse(time.RFC3339Nano, r.json["erase_at"].(string)); at.After(time.Now()) {
		t.Errorf("erase_at = %v; want now with no grace period", at)
	}
	waitErased(t, a, bobID)

	if ks, err := a.Store().OwnerKeys(ctx, bobID); err != nil || len(ks) != 0 {
		t.Errorf("Bob's owner keys after erasure = %d, %v; want none", len(ks), err)
	}
	for ref := range snapshot.blobs {
		err := snapshot.open(ctx, bobID, ref)
		if err == nil {
			t.Errorf("the copy of %s still decrypts for the erased account", ref)
		} else if slices.Contains(bobRefs, ref) && !errors.Is(err, keys.ErrNoOwnerKey) && !errors.Is(err, keys.ErrCannotDecrypt) {
			t.Errorf("the copy of Bob's %s = %v; want ErrNoOwnerKey or ErrCannotDecrypt", ref, err)
		}
	}
	for _, ref := range bobRefs {
		if _, err := a.Blobs().Stat(ctx, ref); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Bob's blob %s in the store = %v; want deleted", ref, err)
		}
	}
	for _, ref := range carolRefs {
		if err := snapshot.open(ctx, carolID, ref); err != nil {
			t.Errorf("Carol's copy of %s = %v; want it to open still", ref, err)
		}
	}
	carol.must(200, "GET", "/api/v1/assets/"+carolAsset+"/original", nil)

	// Bob is gone in every way he could come in.
	bob.must(401, "GET", "/api/v1/me", nil)
	script := newClient(t, srv)
	script.bearer = tok
	script.must(401, "GET", "/api/v1/me", nil)
	newClient(t, srv).must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": password})

	// His comment stays in Ann's project, without him.
	items := ann.must(200, "GET", "/api/v1/projects/"+project+"/assets", nil).json["items"].([]any)
	comments := items[0].(map[string]any)["comments"].([]any)
	if len(comments) != 1 || comments[0].(map[string]any)["body"] != "Lovely light" || comments[0].(map[string]any)["author"] != "user:"+privacy.DeletedUserID {
		t.Errorf("comments in Ann's project = %v; want Bob's text by %q", comments, "user:"+privacy.DeletedUserID)
	}
	if ms := ann.must(200, "GET", "/api/v1/projects/"+project+"/members", nil).json["items"].([]any); len(ms) != 0 {
		t.Errorf("members of Ann's project = %v; want the grant to Bob's address gone", ms)
	}
	var actors []string
	for _, e := range ann.must(200, "GET", "/api/v1/assets/"+annAsset+"/access-log", nil).json["items"].([]any) {
		if a := e.(map[string]any)["actor"].(string); a != "you" {
			actors = append(actors, a)
		}
	}
	if len(actors) == 0 || slices.ContainsFunc(actors, func(a string) bool { return a != privacy.DeletedUserName }) {
		t.Errorf("others in Ann's access log = %q; want Bob's view, as %q", actors, privacy.DeletedUserName)
	}

	// The journal: Bob's id, the destroyed key version, a tag that verifies.
	root, err := keys.LoadRootKeyFile(rootKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := privacy.NewJournal(a.Blobs(), root).Entries(ctx)
	if err != nil || len(entries) != 1 || entries[0].UserID != bobID || !slices.Equal(entries[0].KeyVersions, []int{1}) {
		t.Fatalf("journal = %+v, %v; want one verified entry for Bob with key version 1", entries, err)
	}
	events, _ := a.Store().AuditEventsAbout(ctx, bobID, 50)
	var completed bool
	for _, e := range events {
		completed = completed || e.Type == "account.erasure_completed"
	}
	if !completed {
		t.Errorf("audit events about Bob = %+v; want account.erasure_completed", events)
	}

	// Replay (what "safelight erasure replay" runs): nothing came back,
	// nothing changes, no new journal entry.
	if n, err := a.Erasure.Replay(ctx); err != nil || n != 1 {
		t.Errorf("Replay = %d, %v; want 1 entry replayed", n, err)
	}
	if entries, _ := privacy.NewJournal(a.Blobs(), root).Entries(ctx); len(entries) != 1 {
		t.Errorf("journal after replay = %d entries; want still 1", len(entries))
	}
	carol.must(200, "GET", "/api/v1/assets/"+carolAsset+"/original", nil)
}
