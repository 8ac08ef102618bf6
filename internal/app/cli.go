package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"golang.org/x/term"

	"safelight/internal/access"
	"safelight/internal/config"
	"safelight/internal/jobs"
	"safelight/internal/keys"
	"safelight/internal/sqlstore"
)

// Version is set at build time with -ldflags "-X safelight/internal/app.Version=…".
var Version = "dev"

const usage = `Safelight: a secure space for photography.

Usage:
  safelight serve [options]        run the server (see safelight serve --help)
  safelight migrate [options]      apply database migrations and exit
  safelight user create --email E --name N [--admin] [--role R[,R…]] [options]
                                   create an account; the password is read from
                                   standard input (or prompted for on a terminal);
                                   roles: admin, support, dpo, security (several
                                   allowed; each needs two-step sign-in)
  safelight root-key create PATH   write a new instance root key (mode 0600) to PATH;
                                   scale-out replicas all use this one file
  safelight root-key rotate PATH   add a new version to the root key file; new keys
                                   are wrapped with it, older versions still open
  safelight root-key rewrap [options]
                                   after every process has the rotated file: wrap
                                   again, with the newest version, every stored key
  safelight root-key retire [options]
                                   rewrap, sign audit checkpoints with the newest
                                   version, then delete older versions from the file
                                   (backups made before the rotation stop opening)
  safelight audit verify [options] check the tamper-evident audit log from its first
                                   event: exit 0 intact, 1 broken, 2 usage error
  safelight audit checkpoint [options]
                                   sign the audit log's newest event now
  safelight backup DIR [--include-root-key] [options]
                                   embedded mode: snapshot the database and blobs into
                                   DIR while serving (not the root key, unless asked;
                                   not the erasure journal)
  safelight restore DIR [--force] [options]
                                   embedded mode: restore a backup of this instance (same
                                   root key) into an empty data directory, then replay
                                   the erasure journal
  safelight erasure replay [options]
                                   erase again every account in the erasure journal
                                   (after pg_restore or a bucket version restore)
  safelight version                print the version
`

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = serve(ctx, rest, stderr)
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr)
	case "user":
		err = user(ctx, rest, stdin, stdout, stderr)
	case "root-key":
		err = rootKey(ctx, rest, stdout, stderr)
	case "audit":
		err = auditCommand(ctx, rest, stdout, stderr)
	case "backup":
		err = backupCommand(ctx, rest, stdout, stderr)
	case "restore":
		err = restoreCommand(ctx, rest, stdout, stderr)
	case "erasure":
		err = erasureCommand(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "safelight: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stderr, "safelight: %v\n", err)
	return 1
}

var errUsage = errors.New("usage")

func versionString() string {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("safelight %s%s (%s)", Version, rev, runtime.Version())
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Load("safelight serve", args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if err := a.StartJobs(ctx); err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load("safelight migrate", args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	s, err := sqlstore.Open(ctx, cfg.DB, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	jn, err := migrateJobs(ctx, s, cfg.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema version %d; job queue: %d migration(s) applied\n", n, v, jn)
	return nil
}

// migrateJobs applies the job queue's own schema on the store's engine.
func migrateJobs(ctx context.Context, s *sqlstore.Store, dsn string) (int, error) {
	if s.Dialect() == "postgres" {
		pool, err := openPool(ctx, dsn, 2) // the migration lock and the migrations
		if err != nil {
			return 0, err
		}
		defer pool.Close()
		return jobs.MigratePostgres(ctx, pool)
	}
	db, err := s.JobsDB(ctx)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return jobs.Migrate(ctx, db)
}

// user runs "user create". Its own flags (--email, --name, --admin,
// --role) are taken out; the rest are the usual configuration options.
func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: safelight user create --email E --name N [--admin] [--role admin|support|dpo|security,…] [options]", errUsage)
	}
	var email, name string
	var roles []access.Role
	var rest []string
	args = args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, a)
		}
		takeVal := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%w: --%s needs a value", errUsage, key)
			}
			i++
			return args[i], nil
		}
		var err error
		switch key {
		case "email":
			email, err = takeVal()
		case "name":
			name, err = takeVal()
		case "admin":
			roles = append(roles, access.RoleAdmin)
		case "role":
			// --role may repeat, or list several: --role support,dpo.
			var list string
			list, err = takeVal()
			for r := range strings.SplitSeq(list, ",") {
				if err == nil && !access.Role(r).Valid() {
					err = fmt.Errorf("%w: unknown role %q (known: %v)", errUsage, r, access.KnownRoles)
				}
				if err == nil && !slices.Contains(roles, access.Role(r)) {
					roles = append(roles, access.Role(r))
				}
			}
		default:
			// A configuration option; its value may be the next argument
			// (there are no positional arguments to confuse it with).
			rest = append(rest, a)
			if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rest = append(rest, args[i])
			}
		}
		if err != nil {
			return err
		}
	}
	if email == "" || name == "" {
		return fmt.Errorf("%w: safelight user create needs --email and --name", errUsage)
	}
	cfg, err := config.Load("safelight user create", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	a, err := New(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Auth.CreateUser(ctx, email, name, password, roles)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created account %s <%s> roles=%v\n", u.ID, u.Email, u.Roles)
	return nil
}

// readPassword prompts twice without echo on a terminal, or reads one line
// from a pipe. The line is taken whole: no trimming but of the newline.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords do not match")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 64<<10)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

const rootKeyUsage = "safelight root-key create PATH | root-key rotate PATH | root-key rewrap [options] | root-key retire [options]"

func rootKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 2 && args[0] == "rotate":
		return rootKeyRotate(args[1], stdout)
	case len(args) >= 1 && args[0] == "rewrap":
		return rootKeyRewrap(ctx, args[1:], stdout, stderr)
	case len(args) >= 1 && args[0] == "retire":
		return rootKeyRetire(ctx, args[1:], stdout, stderr)
	case len(args) != 2 || args[0] != "create":
		return fmt.Errorf("%w: %s", errUsage, rootKeyUsage)
	}
	path := args[1]
	if err := keys.CreateRootKeyFile(path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("root-key create: %s already exists; it is never overwritten (losing a root key makes every image unreadable)", path)
		}
		return fmt.Errorf("root-key create: %w", err)
	}
	fmt.Fprintf(stdout, "root key written to %s (mode 0600). Back it up apart from the database: without it no image can be decrypted.\n", path)
	return nil
}
