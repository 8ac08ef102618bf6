package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/auth"
	"safelight/internal/config"
	"safelight/internal/testsvc"
)

// TestTwoReplicas runs two "safelight serve" processes on one PostgreSQL
// database and one S3 bucket, as a load balancer would spread users over
// them, and checks that they behave as one instance.
func TestTwoReplicas(t *testing.T) {
	db := testsvc.Postgres(t)
	dbURL, _ := url.Parse(db)
	bucket := testsvc.S3(t)
	bin := buildBinary(t)
	key := apptest.NewRootKey(t)

	// Secrets reach the replicas the way deploy.md says: from files.
	secrets := t.TempDir()
	dbFile := filepath.Join(secrets, "db")
	s3File := filepath.Join(secrets, "s3-secret")
	os.WriteFile(dbFile, []byte(db+"\n"), 0o600)
	os.WriteFile(s3File, []byte(bucket.SecretKey+"\n"), 0o600)
	env := []string{
		"SAFELIGHT_DB_FILE=" + dbFile,
		"SAFELIGHT_BLOBS=" + bucket.URL(),
		"SAFELIGHT_S3_ACCESS_KEY_ID=" + bucket.AccessKey,
		"SAFELIGHT_S3_SECRET_ACCESS_KEY_FILE=" + s3File,
		"SAFELIGHT_ROOT_KEY_FILE=" + key,
	}
	// Both start at once: their migrations must not trip over each other.
	var a, b served
	var wg sync.WaitGroup
	wg.Go(func() { a = startServeWith(t, bin, env, "--data", t.TempDir()) })
	wg.Go(func() {
		b = startServeWith(t, bin, env, "--data", t.TempDir(), "--log-format", "json", "--metrics-listen", "127.0.0.1:0")
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	defer func() {
		b.cmd.Process.Signal(syscall.SIGTERM)
		b.cmd.Wait()
		// B logged structured JSON, one object per line, and no secret.
		logs := <-b.logs
		for line := range strings.Lines(logs) {
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Errorf("B's log line is not JSON: %q", line)
			}
		}
		dbPassword, _ := dbURL.User.Password()
		for what, secret := range map[string]string{"database password": dbPassword, "S3 secret": bucket.SecretKey, "user password": password, "session token": "sls_"} {
			if strings.Contains(logs, secret) {
				t.Errorf("B's log contains the %s", what)
			}
		}
	}()
	killA := sync.OnceFunc(func() { a.cmd.Process.Kill(); a.cmd.Wait() })
	defer killA()

	// One browser, two replicas: the session cookie made by A works on B.
	jar, _ := cookiejar.New(nil)
	httpc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	onA := &client{t: t, base: a.base, http: httpc, header: http.Header{}}
	onB := &client{t: t, base: b.base, http: httpc, header: http.Header{}}
	onA.must(201, "POST", "/api/v1/auth/signup", map[string]string{"email": "ann@example.com", "password": password, "name": "Ann"})
	onA.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password})
	enrolIfRequired(t, onA, "ann@example.com") // the admin must use MFA (mfa_test.go)
	if me := onB.must(200, "GET", "/api/v1/me", nil); me.json["email"] != "ann@example.com" {
		t.Errorf("B's /me = %s", me.body)
	}

	// A second browser signs in on B and out on A: B no longer takes its
	// session, and the first browser's session is untouched.
	jar2, _ := cookiejar.New(nil)
	second := &http.Client{Jar: jar2, CheckRedirect: httpc.CheckRedirect}
	secondOnA := &client{t: t, base: a.base, http: second, header: http.Header{}}
	secondOnB := &client{t: t, base: b.base, http: second, header: http.Header{}}
	secondOnB.must(200, "POST", "/api/v1/auth/login", map[string]string{
		"email": "ann@example.com", "password": password, "otp": mfaOf[a.base+" ann@example.com"].nextRecovery(t),
	})
	secondOnA.must(200, "GET", "/api/v1/me", nil)
	secondOnA.must(204, "POST", "/api/v1/auth/logout", nil)
	secondOnB.must(401, "GET", "/api/v1/me", nil)
	onB.must(200, "GET", "/api/v1/me", nil)

	// Failed sign-ins count against one limit whichever replica they
	// reach: five on each, and the next, on either, is throttled even with
	// the right password.
	noJar := &http.Client{CheckRedirect: httpc.CheckRedirect}
	guessOnA := &client{t: t, base: a.base, http: noJar, header: http.Header{}}
	guessOnB := &client{t: t, base: b.base, http: noJar, header: http.Header{}}
	for i := range auth.ThrottleAccountMax {
		guesser := []*client{guessOnA, guessOnB}[i%2]
		guesser.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "not the password"})
	}
	for _, guesser := range []*client{guessOnA, guessOnB} {
		if r := guesser.do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": password}); r.status != http.StatusTooManyRequests {
			t.Errorf("sign-in on %s after %d failures spread over both replicas = %d %s; want 429", guesser.base, auth.ThrottleAccountMax, r.status, r.body)
		}
	}
	onA.must(200, "GET", "/api/v1/me", nil) // signed-in browsers are not affected

	// Uploaded through A, made ready by whichever replica takes the job,
	// served by B byte for byte.
	photo := testJPEG(t, 1600, 1000, 11)
	up := onA.upload("file", "harbour.jpg", photo)
	if up.status != 201 {
		t.Fatalf("upload on A = %d %s", up.status, up.body)
	}
	id := up.json["id"].(string)
	if got := onB.waitReady(id); got["status"] != "ready" {
		t.Fatalf("asset on B = %v", got)
	}
	if o := onB.must(200, "GET", "/api/v1/assets/"+id+"/original", nil); !bytes.Equal(o.body, photo) {
		t.Errorf("original from B = %d bytes; want the %d uploaded to A", len(o.body), len(photo))
	}
	onB.must(200, "GET", "/api/v1/assets/"+id+"/thumb", nil)

	// A second photo, deleted on B: A sees it gone from the library and in
	// the trash.
	up2 := onA.upload("file", "second.jpg", testJPEG(t, 800, 600, 12))
	if up2.status != 201 {
		t.Fatalf("second upload = %d %s", up2.status, up2.body)
	}
	id2 := up2.json["id"].(string)
	onB.waitReady(id2)
	onB.must(204, "DELETE", "/api/v1/assets/"+id2, nil)
	if ids := listIDs(onA, "/api/v1/assets"); !ids[id] || ids[id2] {
		t.Errorf("A's library after delete on B = %v; want %s only", ids, id)
	}
	if ids := listIDs(onA, "/api/v1/trash"); !ids[id2] {
		t.Errorf("A's trash = %v; want %s", ids, id2)
	}

	// A dies in the middle of an upload. Nothing of it may appear, and B
	// goes on serving.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequest("POST", a.base+"/api/v1/assets", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	u, _ := url.Parse(a.base)
	for _, ck := range jar.Cookies(u) {
		req.AddCookie(ck)
	}
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("upload answered %d", res.StatusCode)
		}
		done <- err
	}()
	half := testJPEG(t, 2000, 1500, 13)
	fw, _ := mw.CreateFormFile("file", "interrupted.jpg")
	if _, err := fw.Write(half[:len(half)/2]); err != nil {
		t.Fatal(err)
	}
	killA()
	pw.CloseWithError(io.ErrUnexpectedEOF)
	if err := <-done; err == nil || strings.Contains(err.Error(), "answered") {
		t.Errorf("interrupted upload: %v; want a broken connection", err)
	}
	onB.must(200, "GET", "/readyz", nil)
	ids := listIDs(onB, "/api/v1/assets")
	if len(ids) != 1 || !ids[id] {
		t.Errorf("B's library after A died mid-upload = %v; want only %s", ids, id)
	}
	if o := onB.must(200, "GET", "/api/v1/assets/"+id+"/preview", nil); len(o.body) == 0 {
		t.Error("B serves an empty preview")
	}
	// And B still takes uploads.
	if r := onB.upload("file", "after.jpg", testJPEG(t, 640, 480, 14)); r.status != 201 {
		t.Errorf("upload on B after A died = %d %s", r.status, r.body)
	} else {
		onB.waitReady(r.json["id"].(string))
	}

	// B's metrics, on their own listener, saw its upload and requests, and
	// see the shared job queue.
	if b.metrics == "" {
		t.Fatal("B did not report its metrics address")
	}
	res, err := http.Get("http://" + b.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scrape, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`safelight_uploads_total{outcome="created"} 1`,
		`safelight_upload_bytes_total `,
		`safelight_http_request_duration_seconds_count{code="200",method="GET",route="GET /api/v1/assets/{id}/original"} 1`,
		`safelight_job_queue_depth{state="available"}`,
		`safelight_job_duration_seconds_count{kind="derive",outcome="ok"}`,
	} {
		if !bytes.Contains(scrape, []byte(want)) {
			t.Errorf("B's metrics lack %s", want)
		}
	}
	if r, err := http.Get(b.base + "/metrics"); err == nil {
		if r.StatusCode == 200 {
			t.Error("metrics are served on the public listener too")
		}
		r.Body.Close()
	}
}

func listIDs(c *client, path string) map[string]bool {
	c.t.Helper()
	ids := map[string]bool{}
	for _, it := range c.must(200, "GET", path, nil).json["items"].([]any) {
		ids[it.(map[string]any)["id"].(string)] = true
	}
	return ids
}

// TestBackendOutages takes PostgreSQL and then S3 away from a running
// instance: requests that need them answer 503 with Retry-After (never a
// 500 or a logged-out 401), /readyz says not ready, /healthz stays up,
// and everything recovers when the service returns, with nothing
// acknowledged lost.
func TestBackendOutages(t *testing.T) {
	db := testsvc.Postgres(t)
	bucket := testsvc.S3(t)
	dbURL, _ := url.Parse(db)
	pgProxy := testsvc.NewProxy(t, dbURL.Host)
	dbURL.Host = pgProxy.Addr()
	s3URL, _ := url.Parse(bucket.Endpoint)
	s3Proxy := testsvc.NewProxy(t, s3URL.Host)
	viaProxy := bucket
	viaProxy.Endpoint = "http://" + s3Proxy.Addr()

	opts := append([]string{"--db", dbURL.String(), "--root-key-file", apptest.NewRootKey(t)}, apptest.BucketOptions(viaProxy)...)
	_, srv := newServer(t, opts...)
	c := signUpAndLogin(t, srv, "ann@example.com")
	photo := testJPEG(t, 900, 600, 21)
	up := c.upload("file", "kept.jpg", photo)
	if up.status != 201 {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	id := up.json["id"].(string)
	c.waitReady(id)

	expect503 := func(what, method, path string) {
		t.Helper()
		r := c.do(method, path, nil)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Errorf("%s: %s %s = %d %s (Retry-After %q); want 503 with Retry-After", what, method, path, r.status, r.body, r.header.Get("Retry-After"))
		}
	}
	recovered := func(what string, check func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !check() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not recovered 30 s after the service came back", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	pgProxy.Cut()
	expect503("database down", "GET", "/api/v1/assets")
	expect503("database down", "GET", "/api/v1/me")
	expect503("database down", "GET", "/readyz")
	c.must(200, "GET", "/healthz", nil)
	if r := c.upload("file", "during-db-outage.jpg", testJPEG(t, 640, 480, 22)); r.status != http.StatusServiceUnavailable {
		t.Errorf("upload while the database is down = %d %s; want 503", r.status, r.body)
	}
	pgProxy.Restore()
	recovered("database back", func() bool { return c.do("GET", "/readyz", nil).status == 200 })
	c.must(200, "GET", "/api/v1/me", nil)

	s3Proxy.Cut()
	expect503("object store down", "GET", "/api/v1/assets/"+id+"/original")
	expect503("object store down", "GET", "/readyz")
	if r := c.upload("file", "during-s3-outage.jpg", testJPEG(t, 640, 480, 23)); r.status != http.StatusServiceUnavailable {
		t.Errorf("upload while the object store is down = %d %s; want 503", r.status, r.body)
	}
	c.must(200, "GET", "/api/v1/assets", nil) // metadata does not need S3
	s3Proxy.Restore()
	recovered("object store back", func() bool { return c.do("GET", "/readyz", nil).status == 200 })

	// What was acknowledged is all there; what was refused left nothing.
	if o := c.must(200, "GET", "/api/v1/assets/"+id+"/original", nil); !bytes.Equal(o.body, photo) {
		t.Error("the acknowledged upload changed across the outages")
	}
	if ids := listIDs(c, "/api/v1/assets"); len(ids) != 1 || !ids[id] {
		t.Errorf("library after the outages = %v; want only %s", ids, id)
	}
	if r := c.upload("file", "after.jpg", testJPEG(t, 640, 480, 24)); r.status != 201 {
		t.Errorf("upload after recovery = %d %s", r.status, r.body)
	}
}

// TestUnreachableBackendsAtStart: the server says what it cannot reach and
// exits, instead of hanging.
func TestUnreachableBackendsAtStart(t *testing.T) {
	bin := buildBinary(t)
	key := apptest.NewRootKey(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"postgres", []string{"--db", "postgres://safelight:hunter2@127.0.0.1:1/safelight?sslmode=disable"}, "PostgreSQL"},
		{"s3", []string{"--blobs", "s3://photos?endpoint=http://127.0.0.1:1&region=us-east-1", "--s3-access-key-id", "k", "--s3-secret-access-key", "hunter2"}, "127.0.0.1:1"},
		{"s3 without credentials", []string{"--blobs", "s3://photos?endpoint=http://127.0.0.1:1&region=us-east-1"}, "credentials"},
		{"shared database without a root key", []string{"--db", "postgres://safelight:hunter2@127.0.0.1:1/safelight", "--root-key-file", filepath.Join(t.TempDir(), "missing.key")}, "root-key create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--root-key-file", key}, tt.args...)
			start := time.Now()
			r := runBinary(t, bin, "", args...)
			if r.code == 0 {
				t.Fatalf("serve exited 0; want a failure")
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr = %q; want it to mention %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, "hunter2") {
				t.Errorf("stderr leaks a secret: %q", r.stderr)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v to give up", d)
			}
		})
	}
}

// TestWrongRootKeyRefused: a process given another root key file than the
// one the database was set up with refuses to start, before sealing
// anything with it.
func TestWrongRootKeyRefused(t *testing.T) {
	dir := t.TempDir()
	load := func(extra ...string) config.Config {
		cfg, err := config.Load("safelight serve", append([]string{"--data", dir}, extra...), nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := app.New(t.Context(), load(), log)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	_, err = app.New(t.Context(), load("--root-key-file", apptest.NewRootKey(t)), log)
	if err == nil || !strings.Contains(err.Error(), "not the key this database was set up with") {
		t.Errorf("start with another root key: %v; want a refusal", err)
	}
	again, err := app.New(t.Context(), load(), log)
	if err != nil {
		t.Errorf("start with the right key after the refusal: %v", err)
	} else {
		again.Close()
	}
}
