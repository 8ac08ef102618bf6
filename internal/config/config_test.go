package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const cmd = "safelight serve"

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeTemp writes content to a new file in a test directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fieldValue returns the current value of o's field in c.
func fieldValue(o *option, c *Config) any {
	return reflect.ValueOf(o.field(c)).Elem().Interface()
}

// tomlLine renders name = value in TOML, quoting everything but booleans.
func tomlLine(o *option, v string) string {
	if o.isBool() {
		return fmt.Sprintf("%s = %s\n", o.name, v)
	}
	return fmt.Sprintf("%s = %q\n", o.name, v)
}

func defaultConfig() Config {
	return Config{
		Listen:           "localhost:8080",
		Data:             "./data",
		DB:               "sqlite:" + filepath.FromSlash("data/safelight.db"),
		Blobs:            "file:" + filepath.FromSlash("data/blobs"),
		RootKeyFile:      filepath.FromSlash("data/keys/root.key"),
		Signup:           "",
		PublicURL:        "http://localhost:8080",
		InsecureHTTP:     false,
		SessionIdle:      72 * time.Hour,
		SessionMaxAge:    720 * time.Hour,
		MaxUploadSize:    200 << 20,
		MaxMegapixels:    250,
		IngestMemory:     1 << 30,
		TrashRetention:   720 * time.Hour,
		ReviewLinkMaxAge: 8760 * time.Hour,
		ErasureGrace:     168 * time.Hour,
		AuditRetention:   8760 * time.Hour,
		ShutdownTimeout:  20 * time.Second,
		JobWorkers:       2,
		SMTPPort:         587,
		SMTPSecurity:     "starttls",
		LogLevel:         "info",
		LogFormat:        "text",
		ConfigFile:       "",
	}
}

func TestLoadDefaults(t *testing.T) {
	for _, getenv := range []func(string) string{nil, envOf(nil)} {
		got, err := Load(cmd, nil, getenv, nil)
		if err != nil {
			t.Fatalf("Load(no input) error = %v; want nil", err)
		}
		if want := defaultConfig(); got != want {
			t.Errorf("Load(no input) = %+v; want %+v", got, want)
		}
	}
}

// TestOptionTableCoversConfig fails when a Config field has no option, or
// two options share a field, so every field is settable and documented.
func TestOptionTableCoversConfig(t *testing.T) {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	owner := make(map[uintptr]string)
	for i := range options {
		o := &options[i]
		p := reflect.ValueOf(o.field(&c)).Pointer()
		if prev, ok := owner[p]; ok {
			t.Errorf("options %s and %s share a field", prev, o.name)
		}
		owner[p] = o.name
		if o.derive != nil {
			if _, ok := o.field(&c).(*string); !ok {
				t.Errorf("option %s has derive but its field is not a string", o.name)
			}
		}
	}
	for i := 0; i < v.NumField(); i++ {
		if _, ok := owner[v.Field(i).Addr().Pointer()]; !ok {
			t.Errorf("Config.%s has no entry in the option table", v.Type().Field(i).Name)
		}
	}
}

// precedenceSamples holds, per option, valid values for the file, the
// environment and the flag, each different. Every option must have one.
var precedenceSamples = map[string][3]string{
	"listen":               {"127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003"},
	"data":                 {"/srv/file", "/srv/env", "/srv/flag"},
	"db":                   {"sqlite:/srv/file.db", "postgres://env.example/db", "postgresql://flag.example/db"},
	"blobs":                {"file:/srv/file", "s3://env?region=x", "file:/srv/flag"},
	"root-key-file":        {"/srv/file.key", "/srv/env.key", "/srv/flag.key"},
	"signup":               {"open", "invite", "closed"},
	"mfa-policy":           {"optional", "required", "optional"},
	"staff-mfa":            {"optional", "required", "optional"},
	"breached-passwords":   {"/srv/file-pwned.txt", "/srv/env-pwned.txt", "/srv/flag-pwned.txt"},
	"public-url":           {"https://file.example", "https://env.example", "http://localhost:9"},
	"insecure-http":        {"true", "false", "true"},
	"session-idle":         {"1h", "2h", "3h"},
	"session-max-age":      {"800h", "900h", "1000h"},
	"shutdown-timeout":     {"1s", "2s", "3s"},
	"max-upload-size":      {"10MiB", "20MB", "1GiB"},
	"max-megapixels":       {"100", "150", "400"},
	"ingest-memory":        {"512MiB", "2GiB", "3GiB"},
	"trash-retention":      {"24h", "48h", "240h"},
	"review-link-max-age":  {"100h", "200h", "300h"},
	"erasure-grace":        {"0s", "24h", "1h30m"},
	"audit-retention":      {"0s", "720h", "17520h"},
	"s3-access-key-id":     {"file-id", "env-id", "flag-id"},
	"s3-secret-access-key": {"file-secret", "env-secret", "flag-secret"},
	"job-workers":          {"1", "3", "8"},
	"rate-limits":          {"signup=1/1h", "upload=0/1m", "login=5/10m,signup=3/2h"},
	"trusted-proxies":      {"10.0.0.0/8", "192.0.2.7", "fd00::/8,10.1.2.3"},
	"metrics-listen":       {"127.0.0.1:9001", "127.0.0.1:9002", ":9003"},
	"log-level":            {"debug", "warn", "error"},
	"log-format":           {"json", "text", "json"},
	"tls-cert":             {"/srv/file.crt", "/srv/env.crt", "/srv/flag.crt"},
	"tls-key":              {"/srv/file.key", "/srv/env.key", "/srv/flag.key"},
	"acme-domains":         {"file.example.com", "env.example.com", "flag.example.com,www.flag.example.com"},
	"acme-email":           {"file@example.com", "env@example.com", "flag@example.com"},
	"acme-directory":       {"https://file.example/dir", "https://env.example/dir", "http://127.0.0.1:14000/dir"},
	"http-redirect-listen": {":80", "0.0.0.0:8081", "127.0.0.1:8082"},
	"smtp-host":            {"mail.file.example", "mail.env.example", "127.0.0.1"},
	"smtp-port":            {"25", "465", "2525"},
	"smtp-security":        {"tls", "none", "starttls"},
	"smtp-username":        {"file-user", "env-user", "flag-user"},
	"smtp-password":        {"file-pass", "env-pass", "flag-pass"},
	"mail-from":            {"file@example.com", "Env <env@example.com>", "flag@example.com"},
	"privacy-contact":      {"dpo@file.example", "https://env.example/privacy", "privacy@flag.example"},
}

// precedenceCompanions holds, per option that is only valid together with
// another, the flags that make its samples valid.
var precedenceCompanions = map[string][]string{
	"tls-cert":             {"--tls-key=/srv/companion.key"},
	"tls-key":              {"--tls-cert=/srv/companion.crt"},
	"acme-email":           {"--acme-domains=companion.example.com"},
	"acme-directory":       {"--acme-domains=companion.example.com"},
	"http-redirect-listen": {"--acme-domains=companion.example.com"},
	"smtp-host":            {"--mail-from=companion@example.com"},
	"smtp-username":        {"--smtp-host=mail.companion.example", "--mail-from=companion@example.com"},
	"smtp-password":        {"--smtp-host=mail.companion.example", "--mail-from=companion@example.com", "--smtp-username=companion"},
}

func TestPrecedence(t *testing.T) {
	defaults := defaultConfig()
	for i := range options {
		o := &options[i]
		if o.name == "config" {
			continue // the file's own path: TestConfigFilePath
		}
		s, ok := precedenceSamples[o.name]
		if !ok {
			t.Errorf("option %s has no precedence samples; add them", o.name)
			continue
		}
		fileV, envV, flagV := s[0], s[1], s[2]
		tests := []struct {
			name               string
			inFile, inEnv, inF bool
			want               string // "" for the default
		}{
			{"default", false, false, false, ""},
			{"file beats default", true, false, false, fileV},
			{"env beats file", true, true, false, envV},
			{"env beats default", false, true, false, envV},
			{"flag beats env and file", true, true, true, flagV},
			{"flag beats file", true, false, true, flagV},
			{"flag beats default", false, false, true, flagV},
		}
		for _, tt := range tests {
			t.Run(o.name+"/"+tt.name, func(t *testing.T) {
				var args []string
				env := map[string]string{}
				if tt.inFile {
					args = append(args, "--config="+writeTemp(t, "safelight.toml", tomlLine(o, fileV)))
				}
				if tt.inEnv {
					env[o.env()] = envV
				}
				if tt.inFile || tt.inEnv || tt.inF {
					// Options valid only together with another get it as a flag.
					args = append(args, precedenceCompanions[o.name]...)
				}
				if tt.inF {
					args = append(args, "--"+o.name+"="+flagV)
				}
				got, err := Load(cmd, args, envOf(env), nil)
				if err != nil {
					t.Fatalf("Load(%q, %v) error = %v", args, env, err)
				}
				want := defaults
				if tt.want != "" {
					if err := o.set(&want, tt.want); err != nil {
						t.Fatal(err)
					}
				}
				if g, w := fieldValue(o, &got), fieldValue(o, &want); g != w {
					t.Errorf("Load(%q, %v).%s = %v; want %v", args, env, o.name, g, w)
				}
			})
		}
	}
}

func TestConfigFilePath(t *testing.T) {
	fromEnv := writeTemp(t, "env.toml", `log-level = "warn"`)
	fromFlag := writeTemp(t, "flag.toml", `log-level = "error"`)
	tests := []struct {
		args                   []string
		env                    map[string]string
		wantFile, wantLogLevel string
	}{
		{nil, map[string]string{"SAFELIGHT_CONFIG": fromEnv}, fromEnv, "warn"},
		{[]string{"--config", fromFlag}, nil, fromFlag, "error"},
		{[]string{"--config", fromFlag}, map[string]string{"SAFELIGHT_CONFIG": fromEnv}, fromFlag, "error"},
		{[]string{"--config="}, map[string]string{"SAFELIGHT_CONFIG": fromEnv}, "", "info"},
	}
	for _, tt := range tests {
		got, err := Load(cmd, tt.args, envOf(tt.env), nil)
		if err != nil {
			t.Errorf("Load(%q, %v) error = %v", tt.args, tt.env, err)
			continue
		}
		if got.ConfigFile != tt.wantFile || got.LogLevel != tt.wantLogLevel {
			t.Errorf("Load(%q, %v) = {ConfigFile: %q, LogLevel: %q}; want {%q, %q}",
				tt.args, tt.env, got.ConfigFile, got.LogLevel, tt.wantFile, tt.wantLogLevel)
		}
	}
}

func TestDerivedDefaults(t *testing.T) {
	srv := filepath.FromSlash("/srv/photos")
	join := func(elem ...string) string { return filepath.Join(append([]string{srv}, elem...)...) }
	file := writeTemp(t, "safelight.toml", "data = \"/srv/photos\"\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(c *Config)
	}{
		{"flag data", []string{"--data", "/srv/photos"}, nil, func(c *Config) {
			c.Data = "/srv/photos"
			c.DB = "sqlite:" + join("safelight.db")
			c.Blobs = "file:" + join("blobs")
			c.RootKeyFile = join("keys", "root.key")
		}},
		{"env data", nil, map[string]string{"SAFELIGHT_DATA": "/srv/photos"}, func(c *Config) {
			c.Data = "/srv/photos"
			c.DB = "sqlite:" + join("safelight.db")
			c.Blobs = "file:" + join("blobs")
			c.RootKeyFile = join("keys", "root.key")
		}},
		{"file data", []string{"--config", file}, nil, func(c *Config) {
			c.ConfigFile = file
			c.Data = "/srv/photos"
			c.DB = "sqlite:" + join("safelight.db")
			c.Blobs = "file:" + join("blobs")
			c.RootKeyFile = join("keys", "root.key")
		}},
		{"explicit db kept", []string{"--data", "/srv/photos", "--db", "postgres://db.example/safelight"}, nil, func(c *Config) {
			c.Data = "/srv/photos"
			c.DB = "postgres://db.example/safelight"
			c.Blobs = "file:" + join("blobs")
			c.RootKeyFile = join("keys", "root.key")
		}},
		{"explicit blobs and key kept", []string{"--data", "/srv/photos", "--blobs", "s3://b?region=r", "--root-key-file", "/k"}, nil, func(c *Config) {
			c.Data = "/srv/photos"
			c.DB = "sqlite:" + join("safelight.db")
			c.Blobs = "s3://b?region=r"
			c.RootKeyFile = "/k"
		}},
		{"public url follows listen", []string{"--listen", "127.0.0.1:9000"}, nil, func(c *Config) {
			c.Listen = "127.0.0.1:9000"
			c.PublicURL = "http://127.0.0.1:9000"
		}},
		{"public url follows env listen", nil, map[string]string{"SAFELIGHT_LISTEN": "[::1]:9000"}, func(c *Config) {
			c.Listen = "[::1]:9000"
			c.PublicURL = "http://[::1]:9000"
		}},
		{"public url trailing slash dropped", []string{"--public-url", "https://photos.example/"}, nil, func(c *Config) {
			c.PublicURL = "https://photos.example"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(cmd, tt.args, envOf(tt.env), nil)
			if err != nil {
				t.Fatalf("Load(%q, %v) error = %v", tt.args, tt.env, err)
			}
			want := defaultConfig()
			tt.want(&want)
			if got != want {
				t.Errorf("Load(%q, %v) = %+v; want %+v", tt.args, tt.env, got, want)
			}
		})
	}
}

func TestSecretFile(t *testing.T) {
	const secret = "postgres://safelight:hunter2@db.example/safelight"
	withLF := writeTemp(t, "db", secret+"\n")
	withCRLF := writeTemp(t, "db", secret+"\r\n")
	empty := writeTemp(t, "db", "\n")
	missing := filepath.Join(t.TempDir(), "nope")
	badScheme := writeTemp(t, "db", "mysql://safelight:hunter2@db.example/safelight\n")
	cfgFile := writeTemp(t, "safelight.toml", `db = "sqlite:/from/file.db"`)

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantDB  string   // when no error
		wantErr []string // substrings of the error
	}{
		{"file with newline", nil, map[string]string{"SAFELIGHT_DB_FILE": withLF}, secret, nil},
		{"file with crlf", nil, map[string]string{"SAFELIGHT_DB_FILE": withCRLF}, secret, nil},
		{"file beats config file", []string{"--config", cfgFile}, map[string]string{"SAFELIGHT_DB_FILE": withLF}, secret, nil},
		{"flag beats file", []string{"--db", "sqlite:/x.db"}, map[string]string{"SAFELIGHT_DB_FILE": withLF}, "sqlite:/x.db", nil},
		{"both set", nil, map[string]string{"SAFELIGHT_DB_FILE": withLF, "SAFELIGHT_DB": "sqlite:/x.db"}, "",
			[]string{"SAFELIGHT_DB and SAFELIGHT_DB_FILE are both set"}},
		{"unreadable", nil, map[string]string{"SAFELIGHT_DB_FILE": missing}, "", []string{"SAFELIGHT_DB_FILE", missing}},
		{"empty", nil, map[string]string{"SAFELIGHT_DB_FILE": empty}, "", []string{"SAFELIGHT_DB_FILE", "empty"}},
		{"bad content not shown", nil, map[string]string{"SAFELIGHT_DB_FILE": badScheme}, "", []string{"db:", `"mysql://"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(cmd, tt.args, envOf(tt.env), nil)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Load(%q, %v) error = %v; want nil", tt.args, tt.env, err)
				}
				if got.DB != tt.wantDB {
					t.Errorf("Load(%q, %v).DB = %q; want %q", tt.args, tt.env, got.DB, tt.wantDB)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load(%q, %v) error = nil; want error containing %q", tt.args, tt.env, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%q, %v) error = %q; want it to contain %q", tt.args, tt.env, err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Load(%q, %v) error = %q; want no secret in it", tt.args, tt.env, err)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // substrings besides the file path
		notWant []string
	}{
		{"unknown key suggests", `sesion-idle = "48h"`, []string{`unknown key "sesion-idle"`, `did you mean "session-idle"?`}, nil},
		{"env-style key suggests", `session_idle = "48h"`, []string{`unknown key "session_idle"`, `did you mean "session-idle"?`}, nil},
		{"unknown key far from all", `colour = "grey"`, []string{`unknown key "colour"`}, []string{"did you mean"}},
		{"bad duration", `session-idle = "forever"`, []string{`key "session-idle"`, "duration", `"forever"`}, nil},
		{"integer for string", `listen = 5`, []string{`key "listen"`, "want a string", "got an integer 5"}, nil},
		{"string for bool", `insecure-http = "yes"`, []string{`key "insecure-http"`, "want a boolean"}, nil},
		{"integer for duration", `session-idle = 48`, []string{`key "session-idle"`, "want a duration", "integer"}, nil},
		{"table for string", "[listen]\nport = 1\n", []string{`key "listen"`, "got a table"}, nil},
		{"secret value not shown", `db = 12345`, []string{`key "db"`, "got an integer"}, []string{"12345"}},
		{"config inside file", `config = "other.toml"`, []string{`key "config" cannot be set inside a config file`}, nil},
		{"malformed", "listen = \n", []string{"toml:"}, nil},
		{"all problems at once", "listen = 5\nsignup = 1\nbogus = 2\n", []string{`key "listen"`, `key "signup"`, `unknown key "bogus"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "safelight.toml", tt.content)
			args := []string{"--config", path}
			_, err := Load(cmd, args, nil, nil)
			if err == nil {
				t.Fatalf("Load(%q) with file %q error = nil; want error", args, tt.content)
			}
			for _, w := range append([]string{path}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%q) with file %q error = %q; want it to contain %q", args, tt.content, err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("Load(%q) with file %q error = %q; want it not to contain %q", args, tt.content, err, w)
				}
			}
		})
	}

	missing := filepath.Join(t.TempDir(), "missing.toml")
	if _, err := Load(cmd, []string{"--config", missing}, nil, nil); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(--config %s) error = %v; want error naming the file", missing, err)
	}
}

func TestFileValues(t *testing.T) {
	path := writeTemp(t, "safelight.toml", `
listen = "0.0.0.0:8080"
public-url = "https://photos.example"
session-idle = "48h"
insecure-http = true
signup = "invite"
`)
	got, err := Load(cmd, []string{"--config", path}, nil, nil)
	if err != nil {
		t.Fatalf("Load(--config %s) error = %v", path, err)
	}
	want := defaultConfig()
	want.ConfigFile = path
	want.Listen = "0.0.0.0:8080"
	want.PublicURL = "https://photos.example"
	want.SessionIdle = 48 * time.Hour
	want.InsecureHTTP = true
	want.Signup = "invite"
	if got != want {
		t.Errorf("Load(--config %s) = %+v; want %+v", path, got, want)
	}
}

func TestArgAndEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"unknown flag", []string{"--nope"}, nil, []string{"nope", cmd + " -h"}},
		{"bad flag duration", []string{"--session-idle=forever"}, nil, []string{"session-idle", "duration"}},
		{"bad flag bool", []string{"--insecure-http=maybe"}, nil, []string{"insecure-http", "true or false"}},
		{"positional argument", []string{"extra"}, nil, []string{`unexpected argument "extra"`}},
		{"bad env duration", nil, map[string]string{"SAFELIGHT_SESSION_IDLE": "forever"}, []string{"SAFELIGHT_SESSION_IDLE", `"forever"`, "duration"}},
		{"bad env bool", nil, map[string]string{"SAFELIGHT_INSECURE_HTTP": "maybe"}, []string{"SAFELIGHT_INSECURE_HTTP", "true or false"}},
		{"validate is called", []string{"--signup", "maybe"}, nil, []string{"invalid configuration", `signup: "maybe"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(cmd, tt.args, envOf(tt.env), nil)
			if err == nil {
				t.Fatalf("Load(%q, %v) error = nil; want error", tt.args, tt.env)
			}
			if errors.Is(err, flag.ErrHelp) {
				t.Errorf("Load(%q, %v) error = %v; want not ErrHelp", tt.args, tt.env, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%q, %v) error = %q; want it to contain %q", tt.args, tt.env, err, w)
				}
			}
		})
	}
}

func TestBoolFlagAlone(t *testing.T) {
	args := []string{"--insecure-http", "--public-url", "http://photos.lab"}
	got, err := Load(cmd, args, nil, nil)
	if err != nil {
		t.Fatalf("Load(%q) error = %v", args, err)
	}
	if !got.InsecureHTTP {
		t.Errorf("Load(%q).InsecureHTTP = false; want true", args)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		var out strings.Builder
		_, err := Load(cmd, []string{arg}, nil, &out)
		if err != flag.ErrHelp {
			t.Errorf("Load(%s) error = %v; want flag.ErrHelp itself", arg, err)
		}
		help := out.String()
		if !strings.Contains(help, "Usage: "+cmd) {
			t.Errorf("Load(%s) help = %q; want it to name %q", arg, help, cmd)
		}
		for i := range options {
			o := &options[i]
			want := []string{"--" + o.name, o.env(), o.usage, "default: " + o.defaultText()}
			if o.usage == "" {
				t.Errorf("option %s has no usage text", o.name)
			}
			if o.arg != "" {
				want = append(want, "--"+o.name+" "+o.arg)
			}
			if o.secret {
				want = append(want, o.fileEnv())
			}
			for _, w := range want {
				if !strings.Contains(help, w) {
					t.Errorf("Load(%s) help does not contain %q (option %s)", arg, w, o.name)
				}
			}
		}
	}
}

func TestLoadHasNoSharedState(t *testing.T) {
	fileA := writeTemp(t, "a.toml", `signup = "closed"`)
	fileB := writeTemp(t, "b.toml", `signup = "invite"`)
	inputs := []struct {
		args []string
		env  map[string]string
		want func(c *Config)
	}{
		{
			[]string{"--config", fileA, "--listen", "127.0.0.1:1"},
			map[string]string{"SAFELIGHT_LOG_LEVEL": "debug", "SAFELIGHT_DATA": "/a"},
			func(c *Config) {
				c.ConfigFile, c.Signup, c.Listen, c.PublicURL, c.LogLevel = fileA, "closed", "127.0.0.1:1", "http://127.0.0.1:1", "debug"
				c.Data, c.DB, c.Blobs, c.RootKeyFile = "/a", "sqlite:"+filepath.Join("/a", "safelight.db"), "file:"+filepath.Join("/a", "blobs"), filepath.Join("/a", "keys", "root.key")
			},
		},
		{
			[]string{"--config", fileB, "--session-idle", "1h"},
			map[string]string{"SAFELIGHT_LOG_FORMAT": "json", "SAFELIGHT_DB": "postgres://b/db"},
			func(c *Config) {
				c.ConfigFile, c.Signup, c.SessionIdle, c.LogFormat, c.DB = fileB, "invite", time.Hour, "json", "postgres://b/db"
			},
		},
	}
	var wg sync.WaitGroup
	for _, in := range inputs {
		want := defaultConfig()
		in.want(&want)
		wg.Go(func() {
			for range 200 {
				got, err := Load(cmd, in.args, envOf(in.env), nil)
				if err != nil {
					t.Errorf("Load(%q, %v) error = %v", in.args, in.env, err)
					return
				}
				if got != want {
					t.Errorf("Load(%q, %v) = %+v; want %+v", in.args, in.env, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // substring of the error; "" means valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"listen any interface", func(c *Config) { c.Listen, c.PublicURL = ":8080", "https://photos.example" }, ""},
		{"listen port 0", func(c *Config) { c.Listen = "localhost:0" }, ""},
		{"listen without port", func(c *Config) { c.Listen = "localhost" }, `listen: "localhost" is not host:port`},
		{"listen named port", func(c *Config) { c.Listen = "localhost:http" }, `listen: port "http"`},
		{"listen port too big", func(c *Config) { c.Listen = "localhost:65536" }, `listen: port "65536"`},
		{"listen bad host", func(c *Config) { c.Listen = "local host:80" }, `listen: host "local host"`},
		{"data empty", func(c *Config) { c.Data = "" }, "data: must not be empty"},
		{"db postgres", func(c *Config) { c.DB = "postgres://u:p@db/safelight?sslmode=verify-full" }, ""},
		{"db postgresql", func(c *Config) { c.DB = "postgresql://db/safelight" }, ""},
		{"db empty", func(c *Config) { c.DB = "" }, "db: must not be empty"},
		{"db sqlite without path", func(c *Config) { c.DB = "sqlite:" }, "db: sqlite: needs a path"},
		{"db other scheme", func(c *Config) { c.DB = "mysql://u:hunter2@db/x" }, `db: scheme "mysql://" is not supported`},
		{"db no scheme", func(c *Config) { c.DB = "hunter2" }, "db: a value without a recognised scheme"},
		{"db bad postgres url", func(c *Config) { c.DB = "postgres://u:hunter2@db:port/x" }, "db: not a valid PostgreSQL URL"},
		{"blobs s3", func(c *Config) { c.Blobs = "s3://photos?endpoint=http://minio:9000&region=us-east-1" }, ""},
		{"blobs empty", func(c *Config) { c.Blobs = "" }, "blobs: must not be empty"},
		{"blobs file without path", func(c *Config) { c.Blobs = "file:" }, "blobs: file: needs a path"},
		{"blobs s3 without bucket", func(c *Config) { c.Blobs = "s3:///x" }, "names no bucket"},
		{"blobs other scheme", func(c *Config) { c.Blobs = "gs://b" }, `blobs: "gs://b" is not supported`},
		{"root key empty", func(c *Config) { c.RootKeyFile = "" }, "root-key-file: must not be empty"},
		{"signup open", func(c *Config) { c.Signup = "open" }, ""},
		{"staff mfa optional", func(c *Config) { c.StaffMFA = "optional" }, ""},
		{"staff mfa required", func(c *Config) { c.StaffMFA = "required" }, ""},
		{"staff mfa other", func(c *Config) { c.StaffMFA = "off" }, `staff-mfa: "off" is not required or optional`},
		{"signup invite", func(c *Config) { c.Signup = "invite" }, ""},
		{"signup closed", func(c *Config) { c.Signup = "closed" }, ""},
		{"signup unknown", func(c *Config) { c.Signup = "Open" }, `signup: "Open" is not open, invite or closed`},
		{"privacy contact address", func(c *Config) { c.PrivacyContact = "privacy@example.com" }, ""},
		{"privacy contact url", func(c *Config) { c.PrivacyContact = "https://example.com/privacy" }, ""},
		{"privacy contact named address", func(c *Config) { c.PrivacyContact = "DPO <dpo@example.com>" }, "privacy-contact: "},
		{"privacy contact javascript", func(c *Config) { c.PrivacyContact = "javascript:alert(1)" }, "privacy-contact: "},
		{"privacy contact words", func(c *Config) { c.PrivacyContact = "ask Bob" }, "privacy-contact: "},
		{"public https", func(c *Config) { c.PublicURL = "https://photos.example" }, ""},
		{"public https slash", func(c *Config) { c.PublicURL = "https://photos.example/" }, ""},
		{"public https port", func(c *Config) { c.PublicURL = "https://photos.example:8443" }, ""},
		{"public http ipv4 loopback", func(c *Config) { c.PublicURL = "http://127.0.0.2:8080" }, ""},
		{"public http ipv6 loopback", func(c *Config) { c.PublicURL = "http://[::1]:8080" }, ""},
		{"public http .localhost", func(c *Config) { c.PublicURL = "http://photos.localhost" }, ""},
		{"public http lab allowed", func(c *Config) { c.PublicURL, c.InsecureHTTP = "http://photos.lab", true }, ""},
		{"public http refused", func(c *Config) { c.PublicURL = "http://photos.lab" }, "--insecure-http"},
		{"public http refused explains", func(c *Config) { c.PublicURL = "http://192.168.1.5" }, "Serve over https"},
		{"public derived refused", func(c *Config) { c.Listen, c.PublicURL = "0.0.0.0:8080", "http://0.0.0.0:8080" }, "derived from listen"},
		{"public derived no host", func(c *Config) { c.Listen, c.PublicURL, c.InsecureHTTP = ":8080", "http://:8080", true }, "has no host"},
		{"public empty", func(c *Config) { c.PublicURL = "" }, "public-url: must not be empty"},
		{"public relative", func(c *Config) { c.PublicURL = "photos.example" }, "want an absolute http:// or https:// URL"},
		{"public ftp", func(c *Config) { c.PublicURL = "ftp://photos.example" }, "want an absolute http:// or https:// URL"},
		{"public no host", func(c *Config) { c.PublicURL = "https://" }, "has no host"},
		{"public path", func(c *Config) { c.PublicURL = "https://photos.example/app" }, "must not have a path"},
		{"public query", func(c *Config) { c.PublicURL = "https://photos.example/?a=b" }, "must not have a query"},
		{"public empty query", func(c *Config) { c.PublicURL = "https://photos.example/?" }, "must not have a query"},
		{"public fragment", func(c *Config) { c.PublicURL = "https://photos.example/#top" }, "must not have a fragment"},
		{"public user", func(c *Config) { c.PublicURL = "https://u:p@photos.example" }, "must not contain a user name"},
		{"public unparsable", func(c *Config) { c.PublicURL = "https://photos.example:port" }, "not a valid URL"},
		{"idle equals max age", func(c *Config) { c.SessionIdle, c.SessionMaxAge = time.Hour, time.Hour }, ""},
		{"idle zero", func(c *Config) { c.SessionIdle = 0 }, "session-idle: 0s must be positive"},
		{"idle negative", func(c *Config) { c.SessionIdle = -time.Hour }, "session-idle: -1h0m0s must be positive"},
		{"max age zero", func(c *Config) { c.SessionMaxAge = 0 }, "session-max-age: 0s must be positive"},
		{"idle above max age", func(c *Config) { c.SessionIdle, c.SessionMaxAge = 2*time.Hour, time.Hour }, "longer than session-max-age"},
		{"shutdown zero", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown-timeout: 0s must be positive"},
		{"upload size tiny", func(c *Config) { c.MaxUploadSize = 10 }, "max-upload-size: 10B is too small"},
		{"megapixels zero", func(c *Config) { c.MaxMegapixels = 0 }, "max-megapixels: must be at least 1"},
		{"ingest memory below upload", func(c *Config) { c.IngestMemory = 100 << 20 }, "ingest-memory: 100MiB is less than max-upload-size 200MiB"},
		{"trash retention zero", func(c *Config) { c.TrashRetention = 0 }, "trash-retention: must be positive"},
		{"review link max age too short", func(c *Config) { c.ReviewLinkMaxAge = time.Minute }, "review-link-max-age: must be at least 1h"},
		{"erasure grace negative", func(c *Config) { c.ErasureGrace = -time.Second }, "erasure-grace: must not be negative"},
		{"audit retention zero keeps forever", func(c *Config) { c.AuditRetention = 0 }, ""},
		{"audit retention negative", func(c *Config) { c.AuditRetention = -time.Second }, "audit-retention: must not be negative"},
		{"log levels", func(c *Config) { c.LogLevel = "debug" }, ""},
		{"log level unknown", func(c *Config) { c.LogLevel = "verbose" }, `log-level: "verbose"`},
		{"log format json", func(c *Config) { c.LogFormat = "json" }, ""},
		{"log format unknown", func(c *Config) { c.LogFormat = "xml" }, `log-format: "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultConfig()
			tt.change(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate(%+v) = %v; want nil", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate(%+v) = %v; want error containing %q", c, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Validate(%+v) = %v; want no secret in it", c, err)
			}
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	c := defaultConfig()
	c.Listen, c.Signup, c.LogFormat, c.SessionIdle = "nope", "maybe", "xml", 0
	err := c.Validate()
	for _, w := range []string{"listen:", "signup:", "log-format:", "session-idle:"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate(%+v) = %v; want error containing %q", c, err, w)
		}
	}
}

func TestHelpers(t *testing.T) {
	tests := []struct {
		c         Config
		sqlite    string
		sqliteOK  bool
		blobDir   string
		blobDirOK bool
		secure    bool
		slogLevel slog.Level
	}{
		{Config{DB: "sqlite:/d/s.db", Blobs: "file:/d/blobs", PublicURL: "http://localhost:8080", LogLevel: "info"},
			"/d/s.db", true, "/d/blobs", true, false, slog.LevelInfo},
		{Config{DB: "postgres://db/x", Blobs: "s3://b", PublicURL: "https://photos.example", LogLevel: "debug"},
			"", false, "", false, true, slog.LevelDebug},
		{Config{DB: "sqlite:", Blobs: "file:", PublicURL: "HTTPS://photos.example", LogLevel: "warn"},
			"", false, "", false, true, slog.LevelWarn},
		{Config{PublicURL: "httpsx://photos.example", LogLevel: "error"},
			"", false, "", false, false, slog.LevelError},
	}
	for _, tt := range tests {
		if p, ok := tt.c.SQLitePath(); p != tt.sqlite || ok != tt.sqliteOK {
			t.Errorf("SQLitePath(%q) = %q, %v; want %q, %v", tt.c.DB, p, ok, tt.sqlite, tt.sqliteOK)
		}
		if p, ok := tt.c.BlobDir(); p != tt.blobDir || ok != tt.blobDirOK {
			t.Errorf("BlobDir(%q) = %q, %v; want %q, %v", tt.c.Blobs, p, ok, tt.blobDir, tt.blobDirOK)
		}
		if got := tt.c.SecureCookies(); got != tt.secure {
			t.Errorf("SecureCookies(%q) = %v; want %v", tt.c.PublicURL, got, tt.secure)
		}
		if got := tt.c.SlogLevel(); got != tt.slogLevel {
			t.Errorf("SlogLevel(%q) = %v; want %v", tt.c.LogLevel, got, tt.slogLevel)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ key, want string }{
		{"listn", "listen"},
		{"LISTEN", "listen"},
		{"SAFELIGHT_PUBLIC_URL", "public-url"},
		{"session-maxage", "session-max-age"},
		{"rootkeyfile", "root-key-file"},
		{"confg", ""}, // config is not a file key, so it is never suggested
		{"colour", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key); got != tt.want {
			t.Errorf("suggest(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"200MiB", 200 << 20, true},
		{"500MB", 500_000_000, true},
		{"1GiB", 1 << 30, true},
		{"2 KiB", 2048, true},
		{"123", 123, true},
		{"10B", 10, true},
		{"-1MiB", 0, false},
		{"lots", 0, false},
		{"1.5GiB", 0, false},
		{"99999999999TiB", 0, false},
	} {
		got, err := ParseByteSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if s := ByteSize(200 << 20).String(); s != "200MiB" {
		t.Errorf("ByteSize(200MiB).String() = %q", s)
	}
}

func TestS3CredentialsFallBackToAWSVariables(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "aws-id", "AWS_SECRET_ACCESS_KEY": "aws-secret"}
	c, err := Load(cmd, []string{"--blobs", "s3://b?region=r"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3AccessKeyID != "aws-id" || c.S3SecretAccessKey != "aws-secret" {
		t.Errorf("credentials = %q, %q; want the AWS_* values", c.S3AccessKeyID, c.S3SecretAccessKey)
	}
	env["SAFELIGHT_S3_ACCESS_KEY_ID"] = "own-id"
	c, err = Load(cmd, []string{"--blobs", "s3://b?region=r", "--s3-secret-access-key", "own-secret"}, envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3AccessKeyID != "own-id" || c.S3SecretAccessKey != "own-secret" {
		t.Errorf("credentials = %q, %q; want Safelight's own options to win", c.S3AccessKeyID, c.S3SecretAccessKey)
	}
}

func TestMetricsAndWorkersValidated(t *testing.T) {
	for _, args := range [][]string{{"--metrics-listen", "nope"}, {"--metrics-listen", "127.0.0.1:99999"}, {"--job-workers", "0"}} {
		if _, err := Load(cmd, args, nil, nil); err == nil {
			t.Errorf("Load(%q) = nil error", args)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(cmd, []string{"--trusted-proxies", " 10.0.0.0/8, 192.0.2.7 ,fd00::1/8"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.TrustedProxyPrefixes()
	if err != nil || len(ps) != 3 || ps[0].String() != "10.0.0.0/8" || ps[1].String() != "192.0.2.7/32" || ps[2].String() != "fd00::/8" {
		t.Errorf("TrustedProxyPrefixes = %v, %v", ps, err)
	}
	if _, err := Load(cmd, []string{"--trusted-proxies", "10.0.0.0/8,lb.example"}, nil, nil); err == nil || !strings.Contains(err.Error(), `"lb.example"`) {
		t.Errorf("bad entry: error = %v; want it named", err)
	}
}
