package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// configFuzzCanary stands for a password inside the value of a secret
// option. It is made of letters no option name, message or temporary path
// contains, so any four of its letters in a row in an error can only come
// from the secret.
const configFuzzCanary = "QZXJKVWQ"

// configFuzzLeaks reports whether s contains four consecutive letters of
// the canary.
func configFuzzLeaks(s string) bool {
	for i := 0; i+4 <= len(configFuzzCanary); i++ {
		if strings.Contains(s, configFuzzCanary[i:i+4]) {
			return true
		}
	}
	return false
}

// configFuzzShownScheme matches what describeScheme shows on purpose: the
// scheme of an unsupported secret URL.
var configFuzzShownScheme = regexp.MustCompile(`scheme "[^"]*"`)

// FuzzLoad runs Load with an arbitrary config file, arbitrary SAFELIGHT_*
// and AWS_* environment values and arbitrary flags, with one secret option
// (any the option table marks secret: db, the S3 keys…) set from the file, the
// environment, a flag or a _FILE. In the secret's value "{S}" stands for a
// password (configFuzzCanary). Properties: Load never panics, a config it
// returns passes Validate, and no error ever contains the password — not
// even a TOML syntax error about the secret's line.
func FuzzLoad(f *testing.F) {
	seeds := []struct {
		before, secret, after, env, args string
		choice                           uint8
	}{
		{"listen = \"0.0.0.0:8080\"\npublic-url = \"https://photos.example\"", `"postgres://u:{S}@db.example/safelight"`, "", "", "", 0},
		{"", `postgres://u:{S}@db.example/safelight`, "", "", "", 0},
		{"", `{S}`, "", "", "", 2},
		{"", `true{S}`, "", "", "", 0},
		{"", `1{S}`, "", "", "", 1},
		{"", `"{S}\q"`, "", "", "", 0},
		{"", `"\u00{S}"`, "", "", "", 0},
		{"", `'{S}`, "", "", "", 0},
		{"", `"""{S}`, "", "", "", 0},
		{"", `["{S}"]`, "", "", "", 0},
		{"", `{a = "{S}"}`, "", "", "", 0},
		{"", `"{S}" {S}`, "", "", "", 0},
		{"", `0x{S}`, "", "", "", 0},
		{"", `1979-05-27T07:32:00{S}`, "", "", "", 0},
		{"", `"mysql://u:{S}@h/db"`, "", "", "", 0},
		{"", `"{S}://u:p@h/db"`, "", "", "", 0},
		{"", `"postgres://u:{S}@[::1/db"`, "", "", "", 0},
		{"", `"postgres://u:{S}@h:port/db"`, "", "", "", 0},
		{"db = \"sqlite:/x.db\"", `"postgres://u:{S}@h/db"`, "", "", "", 0},
		{"", `"k"`, "s3-secret-access-key = \"{S}\"", "", "", 1},
		{"session-idle = \"forever\"\nlisten = 5\nbogus = 1", `"{S}"`, "[table]\nx = 1", "", "", 2},
		{"", `postgres://u:{S}@h/db`, "", "SAFELIGHT_LISTEN=nonsense\nSAFELIGHT_SIGNUP=maybe", "", 3},
		{"", `postgres://u:{S}@h/db`, "", "SAFELIGHT_DB=sqlite:/x.db", "", 9},
		{"", `postgres://u:{S}@h/db`, "", "SAFELIGHT_DB_FILE=/nonexistent", "--listen\n:99999", 3},
		{"", `mysql://u:{S}@h/db`, "", "", "--session-idle\nforever", 6},
		{"", `postgres://u:{S}@h/db`, "", "AWS_SECRET_ACCESS_KEY=x", "--blobs=s3://\n--insecure-http\nextra", 7},
		{"", `postgres://u:{S}@h/db`, "", "", "-h", 6},
		{"", "postgres://u:{S}@h/db\n", "", "", "", 9},
		{"", "", "", "", "", 9},
	}
	for _, s := range seeds {
		f.Add(s.before, s.secret, s.after, s.env, s.args, s.choice)
	}
	var secretOptions []string
	for i := range options {
		if options[i].secret {
			secretOptions = append(secretOptions, options[i].name)
		}
	}
	f.Fuzz(func(t *testing.T, before, secret, after, envText, argText string, choice uint8) {
		if len(before)+len(secret)+len(after)+len(envText)+len(argText) > 64<<10 {
			return
		}
		o := lookupOption(secretOptions[int(choice)%len(secretOptions)])
		source := int(choice) / len(secretOptions) % 4 // file, env, flag, _FILE
		value := strings.ReplaceAll(secret, "{S}", configFuzzCanary)
		if source == 0 {
			// The secret's line in the file is one line: what follows a
			// line break would be another key's business.
			value = strings.NewReplacer("\n", "", "\r", "").Replace(value)
		}
		// Only the secret may hold the canary; when the fuzzer writes its
		// letters elsewhere, an error may show them legitimately.
		checkLeak := strings.Contains(value, configFuzzCanary) &&
			!configFuzzLeaks(before+after+envText+argText)

		dir := t.TempDir()
		file := before + "\n" + after
		if source == 0 {
			file = before + "\n" + o.name + " = " + value + "\n" + after
		}
		cfgPath := filepath.Join(dir, "safelight.toml")
		if err := os.WriteFile(cfgPath, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{}
		for _, line := range strings.Split(envText, "\n") {
			if name, v, ok := strings.Cut(line, "="); ok && (strings.HasPrefix(name, "SAFELIGHT_") || strings.HasPrefix(name, "AWS_")) {
				env[name] = v
			}
		}
		// Secret first, so that no fuzzed flag before it can swallow it as
		// its own value.
		var args []string
		switch source {
		case 1:
			env[o.env()] = value
		case 2:
			args = append(args, "--"+o.name+"="+value)
		case 3:
			secretPath := filepath.Join(dir, "secret")
			if err := os.WriteFile(secretPath, []byte(value), 0o600); err != nil {
				t.Fatal(err)
			}
			env[o.fileEnv()] = secretPath
		}
		args = append(args, "--config", cfgPath)
		if argText != "" {
			args = append(args, strings.Split(argText, "\n")...)
		}

		c, err := Load("safelight serve", args, envOf(env), nil)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Errorf("Load() = nil error, but Validate() = %v", verr)
			}
			return
		}
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		msg := configFuzzShownScheme.ReplaceAllString(err.Error(), "")
		if checkLeak && configFuzzLeaks(msg) {
			t.Errorf("Load() error shows the secret %s (%s):\n%s\nfile:\n%s", o.name, []string{"file", "env", "flag", "_FILE"}[source], err, file)
		}
	})
}
