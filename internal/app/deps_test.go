package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules keeps the layout honest: domain packages hold rules, not
// HTTP; the core interface packages import only the standard library; and
// nothing but the command imports the wiring.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "safelight/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		imports[pkg] = strings.Fields(deps)
	}
	if len(imports) < 10 {
		t.Fatalf("go list found %d packages; want the whole module", len(imports))
	}
	stdlibOnly := []string{"safelight/internal/access", "safelight/internal/blob", "safelight/internal/export", "safelight/internal/secret"}
	noHTTP := []string{
		"safelight/internal/access", "safelight/internal/auth", "safelight/internal/audit",
		"safelight/internal/blob", "safelight/internal/blob/disk", "safelight/internal/keys",
		"safelight/internal/sqlstore", "safelight/internal/config", "safelight/internal/library",
		"safelight/internal/media", "safelight/internal/jobs", "safelight/internal/sharing",
		"safelight/internal/export",
	}
	forbiddenInDomain := []string{"net/http", "html/template", "safelight/internal/httpx", "safelight/internal/api",
		"safelight/internal/web", "safelight/internal/httpauth", "safelight/internal/app"}
	for pkg, deps := range imports {
		for _, d := range deps {
			isStd := !strings.Contains(strings.Split(d, "/")[0], ".") && !strings.HasPrefix(d, "safelight")
			if slices.Contains(stdlibOnly, pkg) && !isStd {
				t.Errorf("%s imports %s; it may import only the standard library", pkg, d)
			}
			if slices.Contains(noHTTP, pkg) && slices.Contains(forbiddenInDomain, d) {
				t.Errorf("%s imports %s; domain and storage packages know nothing of HTTP or wiring", pkg, d)
			}
			if d == "safelight/internal/app" && pkg != "safelight/cmd/safelight" && pkg != "safelight/internal/app/apptest" {
				t.Errorf("%s imports the wiring package", pkg)
			}
			if d == "safelight/internal/sqlstore" && pkg != "safelight/internal/app" && pkg != "safelight/internal/sqlstore/storetest" {
				t.Errorf("%s imports sqlstore; only the wiring may know the concrete store", pkg)
			}
		}
	}
}
