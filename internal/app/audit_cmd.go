package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"safelight/internal/audit"
	"safelight/internal/config"
	"safelight/internal/keys"
	"safelight/internal/sqlstore"
)

// auditChainSchema is the first schema version with the audit chain
// (migration 0006_audit_chain).
const auditChainSchema = 6

// errAuditBroken is matched by a report of a broken audit log; Main exits 1.
var errAuditBroken = errors.New("audit log broken")

const auditUsage = "safelight audit verify [options] | safelight audit checkpoint [options]"

// auditCommand runs "audit verify" (exit 0 intact, 1 broken or not
// verifiable, 2 usage) and "audit checkpoint". Both read the database
// and the root key file named by the usual configuration options; verify
// never writes to the database, and neither migrates it.
func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "checkpoint") {
		return fmt.Errorf("%w: %s", errUsage, auditUsage)
	}
	sub := args[0]
	cfg, err := config.Load("safelight audit "+sub, args[1:], os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	store, signer, err := openAuditLog(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "checkpoint" {
		cp, ok, err := audit.NewCheckpointer(store, signer, newLogger(cfg, io.Discard)).Checkpoint(ctx)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "the audit log is empty: nothing to sign")
			return nil
		}
		fmt.Fprintf(stdout, "audit checkpoint at event %d (%s, root key version %d)\n", cp.Seq, cp.At.Format(time.RFC3339), cp.KeyVersion)
		return nil
	}
	rep, err := audit.Verify(ctx, store, signer)
	if err != nil {
		return err
	}
	if !rep.Intact() {
		fmt.Fprintf(stdout, "%d events and %d checkpoints checked before the break\n", rep.Events, rep.Checkpoints)
		return fmt.Errorf("%w: %s", errAuditBroken, rep.Broken)
	}
	fmt.Fprintf(stdout, "audit log intact: %d events, %d checkpoints\n", rep.Events, rep.Checkpoints)
	if rep.PrunedThrough > 0 {
		fmt.Fprintf(stdout, "events 1 to %d were pruned by retention; the signed checkpoint at %d anchors the rest\n", rep.PrunedThrough, rep.PrunedThrough)
	}
	switch {
	case rep.Latest == nil && rep.Events > 0:
		fmt.Fprintln(stdout, "no checkpoint yet: the chain is consistent, but nothing signed proves it was not rewritten (run \"safelight audit checkpoint\", or let the server make one)")
	case rep.Latest != nil:
		fmt.Fprintf(stdout, "newest checkpoint: event %d, signed %s with root key version %d\n",
			rep.Latest.Seq, rep.Latest.At.Format(time.RFC3339), rep.Latest.KeyVersion)
		if rep.Unsigned > 0 {
			fmt.Fprintf(stdout, "%d events after it are chained but not yet signed\n", rep.Unsigned)
		}
	}
	return nil
}

// openAuditLog opens the database without creating or migrating it, and
// the root key file without creating it, and checks they belong together.
func openAuditLog(ctx context.Context, cfg config.Config) (*sqlstore.Store, audit.Signer, error) {
	if path, ok := cfg.SQLitePath(); ok {
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("audit: no database: %w", err)
		}
	}
	root, err := keys.LoadRootKeyFile(cfg.RootKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("audit: root key file %s does not exist: checkpoints are signed with keys derived from it", cfg.RootKeyFile)
	}
	if err != nil {
		return nil, nil, err
	}
	signer, ok := any(root).(audit.Signer)
	if !ok {
		return nil, nil, errors.New("audit: the root key cannot verify checkpoints")
	}
	store, err := sqlstore.Open(ctx, cfg.DB, newLogger(cfg, io.Discard))
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*sqlstore.Store, audit.Signer, error) {
		store.Close()
		return nil, nil, err
	}
	v, err := store.SchemaVersion(ctx)
	if err != nil {
		return fail(err)
	}
	if v < auditChainSchema {
		return fail(fmt.Errorf("audit: the database schema (version %d) predates the audit chain (%d); run \"safelight migrate\" first", v, auditChainSchema))
	}
	check, err := store.RootKeyCheck(ctx)
	if err != nil {
		return fail(err)
	}
	if check != nil { // no check yet: a database no server has started on
		if err := keys.VerifyRootKey(ctx, root, store); errors.Is(err, keys.ErrWrongRootKey) {
			return fail(fmt.Errorf("audit: root key file %s is not the key this database was set up with", cfg.RootKeyFile))
		} else if err != nil {
			return fail(err)
		}
	}
	return store, signer, nil
}
