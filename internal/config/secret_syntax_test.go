package config

import (
	"strings"
	"testing"
)

// TestFileSyntaxErrorHidesSecret is the regression test for a leak
// FuzzLoad found: the TOML parser quotes what it could not read, so an
// unquoted secret value put the password into Load's error, which is
// printed at start and ends up in logs.
func TestFileSyntaxErrorHidesSecret(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string // substrings besides the file path
	}{
		{"unquoted secret key", "listen = \"localhost:8080\"\ns3-secret-access-key = wJalrXUtnFEMIhunter\n",
			[]string{`line 2 (key "s3-secret-access-key")`, `s3-secret-access-key = "…"`}},
		{"unquoted db URL", "db = hunter2://x\n", []string{`line 1 (key "db")`}},
		{"bare word after true", "db = truehunter\n", []string{`line 1 (key "db")`}},
		{"number then letters", "s3-access-key-id = 1hunter\n", []string{`line 1 (key "s3-access-key-id")`}},
		{"quoted key", "\"db\" = hunter\n", []string{`line 1 (key "db")`}},
		{"bad escape", "db = \"postgres://u:hunter\\q@h/db\"\n", []string{`line 1 (key "db")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "safelight.toml", tt.content)
			_, err := Load(cmd, []string{"--config", path}, nil, nil)
			if err == nil {
				t.Fatalf("Load() with file %q error = nil; want a syntax error", tt.content)
			}
			if strings.Contains(err.Error(), "hunter") {
				t.Errorf("Load() with file %q error = %q; want no secret in it", tt.content, err)
			}
			for _, w := range append([]string{path}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() with file %q error = %q; want it to contain %q", tt.content, err, w)
				}
			}
		})
	}

	// Syntax errors elsewhere keep the parser's details.
	path := writeTemp(t, "safelight.toml", "db = \"sqlite:/x.db\"\nlisten = nonsense\n")
	_, err := Load(cmd, []string{"--config", path}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `found "nonsense"`) {
		t.Errorf("Load() with a bad listen line error = %v; want the parser's message", err)
	}
}
