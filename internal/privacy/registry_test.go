package privacy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"safelight/internal/privacy"
)

// The tests below read the source of every internal package, so that a
// new job kind, mail or outbound connection cannot be added without
// saying, in the registry, which purpose it serves. The periodic tasks
// are registered at run time: internal/app's TestProcessingRegistryTasks
// checks those.

// sourceFile is one parsed non-test Go file under internal/.
type sourceFile struct {
	path string // relative to internal/, with slashes
	file *ast.File
	fset *token.FileSet
}

// internalSources parses every non-test Go file of internal/, except the
// test support packages (which never run in a server).
func internalSources(t *testing.T) []sourceFile {
	t.Helper()
	root := filepath.Join("..")
	var files []sourceFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			if base == "testdata" || base == "testsvc" || (strings.HasSuffix(base, "test") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, sourceFile{path: rel, file: f, fset: fset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d source files under internal/; the walk is broken", len(files))
	}
	return files
}

func registry() privacy.Registry {
	return privacy.BuildRegistry(privacy.RegistrySettings{PublicURL: "https://photos.example.com"})
}

// stringConsts returns the string constants declared in the package of
// the files given, by name.
func stringConsts(files []sourceFile, dir string) map[string]string {
	consts := map[string]string{}
	for _, sf := range files {
		if filepath.ToSlash(filepath.Dir(sf.path)) != dir {
			continue
		}
		for _, decl := range sf.file.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	return consts
}

// TestRegistryMapsEveryJobKind finds every river job kind (a Kind()
// string method) in the source and requires a purpose for it. TaskArgs
// carries the periodic tasks, which are mapped by name.
func TestRegistryMapsEveryJobKind(t *testing.T) {
	files := internalSources(t)
	reg := registry()
	var found []string
	for _, sf := range files {
		for _, decl := range sf.file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "Kind" || fn.Body == nil || len(fn.Body.List) != 1 {
				continue
			}
			if fn.Type.Results == nil || len(fn.Type.Results.List) != 1 || types(fn.Type.Results.List[0].Type) != "string" {
				continue
			}
			ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				continue
			}
			var kind string
			switch v := ret.Results[0].(type) {
			case *ast.BasicLit:
				kind, _ = strconv.Unquote(v.Value)
			case *ast.Ident:
				kind = stringConsts(files, filepath.ToSlash(filepath.Dir(sf.path)))[v.Name]
			}
			recv := types(fn.Recv.List[0].Type)
			if kind == "" {
				t.Errorf("%s: %s.Kind() returns something this test cannot read; return a string literal or constant", sf.path, recv)
				continue
			}
			if recv == "TaskArgs" {
				continue // the periodic tasks: mapped by name (internal/app)
			}
			found = append(found, kind)
			if reg.PurposeOfJob(kind) == "" {
				t.Errorf("job kind %q (%s, %s) is not mapped to a purpose: add it to the Jobs of a purpose in internal/privacy/registry.go", kind, recv, sf.path)
			}
		}
	}
	for _, want := range []string{"derive", "purge_trash", "reconcile", "sweep_orphans"} {
		if !slices.Contains(found, want) {
			t.Errorf("job kinds found in the source = %v; want %q among them (the search is broken)", found, want)
		}
	}
	// A job listed in the registry that no longer exists is a stale record.
	for _, p := range reg.Purposes {
		for _, j := range p.Jobs {
			if !slices.Contains(found, j) {
				t.Errorf("purpose %q lists job kind %q, which no longer exists", p.ID, j)
			}
		}
	}
}

func types(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.StarExpr:
		return types(v.X)
	case *ast.SelectorExpr:
		return types(v.X) + "." + v.Sel.Name
	}
	return ""
}

// authMailComposers names the kinds of the messages that package auth
// composes in functions of their own (it has no "what" argument).
var authMailComposers = map[string]string{
	"resetMessage":           "password reset",
	"verifyMessage":          "e-mail verification",
	"duplicateSignupMessage": "duplicate sign-up notice",
}

// TestRegistryMapsEveryMail finds every mail.Message built in the source
// and requires its kind in privacy.MailKinds: the string argument of the
// call it is sent with (the background mailers' "what"), or for a
// message composed in a function of its own, that function's kind.
func TestRegistryMapsEveryMail(t *testing.T) {
	files := internalSources(t)
	var found []string
	for _, sf := range files {
		var stack []ast.Node
		ast.Inspect(sf.file, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if name := types(lit.Type); name != "mail.Message" && !(name == "Message" && sf.file.Name.Name == "mail") {
				return true
			}
			pos := sf.fset.Position(lit.Pos())
			where := sf.path + ":" + strconv.Itoa(pos.Line)
			kind := ""
			// The call it is an argument of: a string literal before it is the kind.
			if call, ok := stack[len(stack)-2].(*ast.CallExpr); ok {
				for _, arg := range call.Args {
					if bl, ok := arg.(*ast.BasicLit); ok && bl.Kind == token.STRING {
						kind, _ = strconv.Unquote(bl.Value)
					}
				}
			}
			if kind == "" {
				for i := len(stack) - 1; i >= 0; i-- {
					if fn, ok := stack[i].(*ast.FuncDecl); ok {
						if k, ok := authMailComposers[fn.Name.Name]; ok {
							kind = k
						}
						break
					}
				}
			}
			if kind == "" {
				t.Errorf("%s builds a mail.Message whose kind this test cannot tell: send it with a \"what\" string, or add its composing function to authMailComposers", where)
				return true
			}
			found = append(found, kind)
			if _, ok := privacy.MailKinds[kind]; !ok {
				t.Errorf("mail %q (%s) is not mapped to a purpose: add it to privacy.MailKinds", kind, where)
			}
			return true
		})
	}
	for k := range privacy.MailKinds {
		if !slices.Contains(found, k) {
			t.Errorf("privacy.MailKinds lists %q, which no source sends (found %v)", k, found)
		}
	}
}

// outboundPackages are the packages that open connections to other
// parties' servers, with the integration each is.
var outboundPackages = map[string]string{
	"mail":    privacy.IntegrationSMTP,
	"blob/s3": privacy.IntegrationS3,
	"app":     privacy.IntegrationACME, // tls.go: autocert
}

// outboundMarks are what a package that makes outbound connections uses:
// client libraries, and the standard library's dialers and HTTP client.
var outboundImports = []string{"net/smtp", "github.com/minio/minio-go", "golang.org/x/crypto/acme", "net/rpc"}
var outboundCalls = []string{"net.Dial", "net.DialTimeout", "net.Dialer", "tls.Dial", "tls.Dialer", "http.Client", "http.DefaultClient", "http.Get", "http.Post", "http.Head", "http.PostForm", "http.DefaultTransport", "http.Transport"}

// TestRegistryMapsEveryOutboundIntegration finds the packages that can
// connect to another server and requires each to be a known integration
// mapped to a purpose. The breached-password list is a local file: it
// makes no connection and is not an integration.
func TestRegistryMapsEveryOutboundIntegration(t *testing.T) {
	files := internalSources(t)
	reg := registry()
	seen := map[string]bool{}
	for _, sf := range files {
		pkg := filepath.ToSlash(filepath.Dir(sf.path))
		var marks []string
		for _, imp := range sf.file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, o := range outboundImports {
				if path == o || strings.HasPrefix(path, o+"/") {
					marks = append(marks, path)
				}
			}
		}
		ast.Inspect(sf.file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && slices.Contains(outboundCalls, types(sel)) {
				marks = append(marks, types(sel))
			}
			return true
		})
		if len(marks) == 0 {
			continue
		}
		integration, ok := outboundPackages[pkg]
		if !ok {
			t.Errorf("%s may connect to another server (%v) but package %s is not a known outbound integration: add it to outboundPackages and map the integration to a purpose in internal/privacy/registry.go", sf.path, marks, pkg)
			continue
		}
		seen[pkg] = true
		if reg.PurposeOfIntegration(integration) == "" {
			t.Errorf("integration %q (%s) is not mapped to a purpose", integration, pkg)
		}
	}
	for pkg, integration := range outboundPackages {
		if !seen[pkg] {
			t.Errorf("outboundPackages lists %s (%s), which makes no outbound connection any more (the search may be broken)", pkg, integration)
		}
	}
}

// TestRegistryRecords checks that each record says what Art. 30 asks.
func TestRegistryRecords(t *testing.T) {
	reg := registry()
	ids := map[string]bool{}
	for _, p := range reg.Purposes {
		if ids[p.ID] {
			t.Errorf("purpose id %q twice", p.ID)
		}
		ids[p.ID] = true
		if p.Name == "" || p.Description == "" {
			t.Errorf("purpose %q has no name or description", p.ID)
		}
		if !strings.Contains("abcdef", p.Basis.Letter) || len(p.Basis.Letter) != 1 || p.Basis.Words == "" ||
			p.Basis.Article != "Art. 6(1)("+p.Basis.Letter+") GDPR" {
			t.Errorf("purpose %q basis = %+v; want a letter a–f of Art. 6(1) with words", p.ID, p.Basis)
		}
		if (p.Basis.Letter == "a") != (p.Basis.Withdraw != "") {
			t.Errorf("purpose %q: basis %s, withdraw %q; a consent says how it is withdrawn, and only a consent", p.ID, p.Basis.Letter, p.Basis.Withdraw)
		}
		if len(p.Categories) == 0 || len(p.Subjects) == 0 || len(p.Recipients) == 0 || len(p.Retention) == 0 || len(p.Measures) == 0 {
			t.Errorf("purpose %q lacks categories, subjects, recipients, retention or measures: %+v", p.ID, p)
		}
	}
	for _, want := range []string{privacy.PurposeAccount, privacy.PurposeLibrary, privacy.PurposeSharing, privacy.PurposeCalls,
		privacy.PurposeOriginals, privacy.PurposeNotifications, privacy.PurposeSecurity, privacy.PurposeMail, privacy.PurposeBackups, privacy.PurposeRights} {
		if !ids[want] {
			t.Errorf("no purpose %q", want)
		}
	}
	for kind, purpose := range privacy.MailKinds {
		p, ok := reg.Purpose(purpose)
		if !ok {
			t.Errorf("mail %q maps to purpose %q, which does not exist", kind, purpose)
		} else if !slices.Contains(p.Mail, kind) {
			t.Errorf("purpose %q mail = %v; want %q listed", purpose, p.Mail, kind)
		}
	}
}

// TestBuildRegistryFromSettings checks that periods and processors come
// from the configuration, not from the text.
func TestBuildRegistryFromSettings(t *testing.T) {
	reg := privacy.BuildRegistry(privacy.RegistrySettings{
		PublicURL: "https://photos.example.com", Contact: "dpo@example.com",
		TrashRetention: 48 * time.Hour, LinkTTL: 10 * 24 * time.Hour, MaxLinkTTL: 90 * 24 * time.Hour,
		SMTPHost: "smtp.mailer.example.net", S3Endpoint: "https://10.0.0.7:9000", ACMEDirectory: "https://acme-v02.api.letsencrypt.org/directory",
	})
	if reg.Controller.Contact != "dpo@example.com" {
		t.Errorf("controller contact = %q", reg.Controller.Contact)
	}
	period := func(purpose, what string) privacy.StoragePeriod {
		t.Helper()
		p, _ := reg.Purpose(purpose)
		for _, r := range p.Retention {
			if strings.Contains(r.What, what) {
				return r
			}
		}
		t.Fatalf("purpose %q has no retention for %q", purpose, what)
		return privacy.StoragePeriod{}
	}
	if r := period(privacy.PurposeLibrary, "deleted image"); r.Period != 48*time.Hour || r.PeriodText != "48h0m0s" || !strings.Contains(r.Text, "2 days") {
		t.Errorf("trash retention = %+v; want 48h, \"2 days\"", r)
	}
	if r := period(privacy.PurposeSharing, "a review link"); r.Period != 10*24*time.Hour || !strings.Contains(r.Text, "10 days") {
		t.Errorf("review link expiry = %+v; want 10 days", r)
	}
	// Unset periods come from the packages' defaults, never zero.
	if r := period(privacy.PurposeAccount, "any session"); r.Period != 30*24*time.Hour {
		t.Errorf("session max age = %v; want auth's default 720h", r.Period)
	}
	if r := period(privacy.PurposeMail, "outbox"); r.Period != 7*24*time.Hour {
		t.Errorf("outbox retention = %v; want 7 days", r.Period)
	}

	got := map[string]privacy.Processor{}
	for _, p := range reg.Processors {
		got[p.ID] = p
	}
	if len(got) != 3 || got["smtp"].Host != "smtp.mailer.example.net" || got["acme"].Host != "acme-v02.api.letsencrypt.org" {
		t.Errorf("processors = %+v; want smtp, s3 and acme with their hosts", reg.Processors)
	}
	if s3, ok := got["s3"]; !ok || s3.Host != "" {
		t.Errorf("s3 processor = %+v; want listed, its private address not shown", s3)
	}
	if p, _ := reg.Purpose(privacy.PurposeMail); !slices.Equal(p.Processors, []string{"smtp"}) {
		t.Errorf("mail purpose processors = %v; want [smtp]", p.Processors)
	}

	bare := privacy.BuildRegistry(privacy.RegistrySettings{PublicURL: "http://localhost:8080"})
	if len(bare.Processors) != 0 {
		t.Errorf("processors without SMTP, S3 or ACME = %+v; want none", bare.Processors)
	}
	for _, p := range bare.Purposes {
		if len(p.Processors) != 0 {
			t.Errorf("purpose %q processors = %v without any configured", p.ID, p.Processors)
		}
	}
}

// TestRegistryText: the plain-text form (an export's README) names every
// purpose, its basis and its periods.
func TestRegistryText(t *testing.T) {
	zero := time.Duration(0)
	reg := privacy.BuildRegistry(privacy.RegistrySettings{PublicURL: "https://photos.example.com", TrashRetention: 72 * time.Hour, ErasureGrace: &zero})
	text := reg.Text()
	for _, p := range reg.Purposes {
		if !strings.Contains(text, p.Name) || !strings.Contains(text, p.Basis.Article+": "+p.Basis.Words) {
			t.Errorf("Text() lacks purpose %q or its basis", p.ID)
		}
	}
	for _, want := range []string{"3 days", "no privacy contact configured", "erased as soon as the erasure job runs"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
}
