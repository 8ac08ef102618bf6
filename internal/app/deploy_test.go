package app_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"safelight/internal/config"
	"safelight/internal/keys"
)

// unit is what the shipped systemd unit sets.
type unit struct {
	env  map[string]string
	exec []string
	text string
}

func readUnit(t *testing.T) unit {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/safelight.service")
	if err != nil {
		t.Fatal(err)
	}
	u := unit{env: map[string]string{}, text: string(raw)}
	sc := bufio.NewScanner(strings.NewReader(u.text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok {
			switch k {
			case "Environment":
				name, val, _ := strings.Cut(v, "=")
				u.env[name] = val
			case "ExecStart":
				u.exec = strings.Fields(v)
			}
		}
	}
	return u
}

// TestSystemdUnitConfiguresAReplica loads the configuration exactly as the
// shipped unit hands it over, with the credential files systemd would
// provide, so an option renamed in code cannot leave the unit behind.
func TestSystemdUnitConfiguresAReplica(t *testing.T) {
	u := readUnit(t)
	if len(u.exec) < 2 || u.exec[0] != "/usr/local/bin/safelight" || u.exec[1] != "serve" {
		t.Fatalf("ExecStart = %q; want /usr/local/bin/safelight serve …", u.exec)
	}
	creds := t.TempDir() // what systemd's %d expands to
	if err := keys.CreateRootKeyFile(filepath.Join(creds, "root.key")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(creds, "db"), []byte("postgres://safelight:pw@db.internal/safelight\n"), 0o600)
	os.WriteFile(filepath.Join(creds, "s3-secret"), []byte("s3-secret-value\n"), 0o600)
	getenv := func(k string) string { return strings.ReplaceAll(u.env[k], "%d", creds) }

	cfg, err := config.Load("safelight serve", u.exec[2:], getenv, io.Discard)
	if err != nil {
		t.Fatalf("the unit's configuration does not load: %v", err)
	}
	if cfg.DB != "postgres://safelight:pw@db.internal/safelight" || cfg.S3SecretAccessKey != "s3-secret-value" ||
		!strings.HasPrefix(cfg.Blobs, "s3://") || cfg.RootKeyFile != filepath.Join(creds, "root.key") ||
		cfg.MetricsListen != "127.0.0.1:9090" || cfg.LogFormat != "json" || cfg.TrustedProxies != "10.0.0.0/8" || !strings.HasPrefix(cfg.PublicURL, "https://") {
		t.Errorf("configuration from the unit = %+v", cfg)
	}
	for _, secretVar := range []string{"SAFELIGHT_DB", "SAFELIGHT_S3_SECRET_ACCESS_KEY"} {
		if _, ok := u.env[secretVar]; ok {
			t.Errorf("the unit sets %s inline; secrets must come from credential files", secretVar)
		}
	}
	for _, d := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes", "UMask=0077"} {
		if !strings.Contains(u.text, "\n"+d+"\n") {
			t.Errorf("the unit lacks %s", d)
		}
	}
}

// TestSystemdUnitVerifies runs systemd's own checker on the unit, with
// ExecStart pointing at a freshly built binary.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := os.Getenv("SAFELIGHT_TEST_SYSTEMD_ANALYZE")
	if analyze == "" {
		t.Skip("SAFELIGHT_TEST_SYSTEMD_ANALYZE not set (path of systemd-analyze; make test sets it)")
	}
	bin := buildBinary(t)
	u := readUnit(t)
	path := filepath.Join(t.TempDir(), "safelight.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(u.text, "/usr/local/bin/safelight", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
