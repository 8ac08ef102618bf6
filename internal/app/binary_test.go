package app_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles cmd/safelight once per test run.
func buildBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "safelight")
	cmd := exec.Command("go", "build", "-o", bin, "safelight/cmd/safelight")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type run struct {
	code           int
	stdout, stderr string
}

func runBinary(t *testing.T, bin, stdin string, args ...string) run {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdin = strings.NewReader(stdin)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{code, so.String(), se.String()}
}

func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()

	if r := runBinary(t, bin, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "safelight ") {
		t.Errorf("version = %d %q", r.code, r.stdout)
	}
	if r := runBinary(t, bin, "", "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command = %d %q; want 2", r.code, r.stderr)
	}
	r := runBinary(t, bin, "", "serve", "--help")
	if r.code != 0 {
		t.Errorf("serve --help exit %d", r.code)
	}
	for _, opt := range []string{"--listen", "SAFELIGHT_LISTEN", "--data", "--db", "SAFELIGHT_DB_FILE", "--blobs", "--root-key-file", "--signup", "--public-url", "--session-idle"} {
		if !strings.Contains(r.stderr+r.stdout, opt) {
			t.Errorf("serve --help does not document %s", opt)
		}
	}

	if r := runBinary(t, bin, "", "migrate", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "schema version") {
		t.Fatalf("migrate = %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, bin, "", "migrate", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "applied 0") {
		t.Errorf("second migrate = %d %q", r.code, r.stdout)
	}

	// Bad configuration: clear message, non-zero exit, nothing started.
	cfgFile := filepath.Join(t.TempDir(), "safelight.toml")
	os.WriteFile(cfgFile, []byte("listen = \"127.0.0.1:0\"\nlisten_port = 9\n"), 0o600)
	if r := runBinary(t, bin, "", "serve", "--data", data, "--config", cfgFile); r.code == 0 || !strings.Contains(r.stderr, "listen_port") {
		t.Errorf("serve with an unknown config key = %d %q; want failure naming the key", r.code, r.stderr)
	}
	if r := runBinary(t, bin, "", "serve", "--data", data, "--session-idle", "forever"); r.code == 0 || !strings.Contains(r.stderr, "session-idle") {
		t.Errorf("serve with a bad duration = %d %q", r.code, r.stderr)
	}

	// user create reads the password from standard input.
	if r := runBinary(t, bin, "short\n", "user", "create", "--data", data, "--email", "x@example.com", "--name", "X"); r.code == 0 || !strings.Contains(r.stderr, "at least 10") {
		t.Errorf("user create with a short password = %d %q", r.code, r.stderr)
	}
	if r := runBinary(t, bin, password+"\n", "user", "create", "--data", data, "--email", "root@example.com", "--name", "Root", "--admin"); r.code != 0 || !strings.Contains(r.stdout, "admin") {
		t.Fatalf("user create = %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, bin, password+"\n", "user", "create", "--data", data, "--email", "root@example.com", "--name", "Root"); r.code == 0 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("user create of an existing address = %d %q", r.code, r.stderr)
	}

	// serve, then SIGTERM: graceful exit 0.
	srv := startServe(t, bin, data)
	base := srv.base
	res, err := http.Get(base + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /readyz = %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"root@example.com","password":"`+password+`"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login as the CLI-created admin = %v %v", res, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"admin"`) {
		t.Errorf("CLI-created admin roles: %s", body)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	err = srv.cmd.Wait()
	out := <-srv.logs
	if err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, out)
	}
	if !strings.Contains(out, "shutting down") {
		t.Errorf("no graceful shutdown in the log:\n%s", out)
	}
	for _, secret := range []string{password, "sls_", "sld_"} {
		if strings.Contains(out, secret) {
			t.Errorf("server log contains a secret (%q)", secret)
		}
	}
}

type served struct {
	cmd     *exec.Cmd
	base    string
	metrics string      // the metrics listener's address, if one was asked for
	logs    chan string // the whole log, once the process has exited
}

// startServe runs "safelight serve" on a free loopback port and waits until
// it answers.
func startServe(t testing.TB, bin, data string) served {
	t.Helper()
	return startServeWith(t, bin, nil, "--data", data)
}

// startServeWith runs "safelight serve" with args and the environment
// variables env (besides PATH) on a free loopback port, and waits until
// it answers.
func startServeWith(t testing.TB, bin string, env []string, args ...string) served {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan [2]string, 1)
	logs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var all strings.Builder
		// Text or JSON logs; "serving metrics" comes before "serving".
		serving := regexp.MustCompile(`(?:msg=serving|"msg":"serving",)\s*"?addr"?[=:]"?([^"\s]+)`)
		metrics := regexp.MustCompile(`(?:msg="serving metrics"|"msg":"serving metrics",)\s*"?addr"?[=:]"?([^"\s]+)`)
		var metricsAddr string
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if m := metrics.FindStringSubmatch(sc.Text()); m != nil {
				metricsAddr = m[1]
			}
			if m := serving.FindStringSubmatch(sc.Text()); m != nil {
				addr <- [2]string{m[1], metricsAddr}
			}
		}
		logs <- all.String()
	}()
	select {
	case a := <-addr:
		return served{cmd: cmd, base: "http://" + a[0], metrics: a[1], logs: logs}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not start; log:\n%s", <-logs)
	}
	panic("unreachable")
}

// TestAcknowledgedWritesSurviveKill: what the server acknowledged is there
// after the process dies without warning.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	srv := startServe(t, bin, data)
	post := func(base, path, body, bearer string) (int, string) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	login := `{"email":"ann@example.com","password":"` + password + `"}`
	if code, body := post(srv.base, "/api/v1/auth/signup", `{"email":"ann@example.com","password":"`+password+`","name":"Ann"}`, ""); code != 201 {
		t.Fatalf("signup = %d %s", code, body)
	}
	// Sign in with a cookie-less client and mint a token through the API.
	res, err := http.Post(srv.base+"/api/v1/auth/login", "application/json", strings.NewReader(login))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login = %v %v", res, err)
	}
	res.Body.Close()
	var session string
	for _, c := range res.Cookies() {
		if c.Name == "safelight_session" {
			session = c.Value
		}
	}
	// The first account is the admin, which must enrol MFA first (mfa_test.go).
	enroller := &client{t: t, base: srv.base, http: &http.Client{}, header: http.Header{"Cookie": {"safelight_session=" + session}}}
	enrolIfRequired(t, enroller, "ann@example.com")
	if m := mfaOf[srv.base+" ann@example.com"]; m != nil {
		login = `{"email":"ann@example.com","password":"` + password + `","otp":"` + m.nextRecovery(t) + `"}`
	}
	tokenReq := `{"name":"durable","password":"` + password + `"}`
	if m := mfaOf[srv.base+" ann@example.com"]; m != nil {
		tokenReq = `{"name":"durable","password":"` + password + `","code":"` + m.nextRecovery(t) + `"}`
	}
	req, _ := http.NewRequest("POST", srv.base+"/api/v1/tokens", strings.NewReader(tokenReq))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "safelight_session", Value: session})
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create token = %v %v", res, err)
	}
	tokBody, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(string(tokBody))[1]

	// An upload acknowledged with 201, then an immediate kill: derivative
	// work may be queued or half done.
	photo := testJPEG(t, 1200, 800, 7)
	up := &client{t: t, base: srv.base, http: &http.Client{}, header: http.Header{}, bearer: token}
	ur := up.upload("file", "kept.jpg", photo)
	if ur.status != 201 {
		t.Fatalf("upload = %d %s", ur.status, ur.body)
	}
	assetID := ur.json["id"].(string)

	srv.cmd.Process.Kill() // no shutdown, no checkpoint
	srv.cmd.Wait()

	srv = startServe(t, bin, data)
	defer func() { srv.cmd.Process.Kill(); srv.cmd.Wait() }()
	if code, body := post(srv.base, "/api/v1/auth/login", login, ""); code != 200 {
		t.Errorf("login after SIGKILL = %d %s; the acknowledged sign-up was lost", code, body)
	}
	after := &client{t: t, base: srv.base, http: &http.Client{}, header: http.Header{}, bearer: token}
	if o := after.do("GET", "/api/v1/assets/"+assetID+"/original", nil); o.status != 200 || !bytes.Equal(o.body, photo) {
		t.Errorf("original after SIGKILL = %d, %d bytes; want the acknowledged upload, byte for byte", o.status, len(o.body))
	}
	req, _ = http.NewRequest("GET", srv.base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Errorf("token after SIGKILL = %v %v; the acknowledged token was lost", res, err)
	} else {
		res.Body.Close()
	}
}
