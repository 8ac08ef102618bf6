package app

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"safelight/internal/audit"
	"safelight/internal/keys"
	"safelight/internal/privacy"
)

// Root key rotation, in the two steps package keys describes: rotate adds
// a version to the file (no database needed, so it can run where the
// file is kept), rewrap brings the stored values to that version once
// every process has the file.

func rootKeyRotate(path string, stdout io.Writer) error {
	v, err := keys.AddRootKeyVersion(path)
	if err != nil {
		return fmt.Errorf("root-key rotate: %w", err)
	}
	fmt.Fprintf(stdout, `root key version %d added to %s; older versions stay in it (backups made before today need them).
Next: give this file to every process of the instance (restart each, or every replica in scale-out mode),
then run "safelight root-key rewrap" with the instance's options to wrap every stored key with version %d.
`, v, path, v)
	return nil
}

func rootKeyRewrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, err := openForCommand(ctx, "safelight root-key rewrap", args, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, journal, err := a.RewrapRootKey(ctx)
	if err != nil {
		return fmt.Errorf("root-key rewrap: %w", err)
	}
	entries, check := "entries", ""
	if journal == 1 {
		entries = "entry"
	}
	if rep.Check {
		check = ", and the root key check"
	}
	fmt.Fprintf(stdout, "root key version %d: %d owner key(s) and %d erasure journal %s wrapped again%s\n",
		rep.RootVersion, rep.OwnerKeys, journal, entries, check)
	return nil
}

// RewrapRootKey wraps again, with the root key's newest version, the
// owner keys and the root key check in the database and the tags of the
// erasure journal, and records what it did in the audit log when it did
// anything. Every process using the database must already have the file
// with that version: one that lacks it could no longer open the keys.
func (a *App) RewrapRootKey(ctx context.Context) (keys.RewrapReport, int, error) {
	rep, err := keys.Rewrap(ctx, a.root, a.store)
	if err != nil {
		return rep, 0, err
	}
	journal, err := privacy.NewJournal(a.blobs, a.root).Retag(ctx)
	if err != nil {
		return rep, journal, err
	}
	if rep.OwnerKeys == 0 && !rep.Check && journal == 0 {
		return rep, 0, nil
	}
	err = a.Audit.Record(ctx, audit.Event{Type: audit.RootKeyRewrapped, Details: map[string]string{
		"root_version":    strconv.Itoa(rep.RootVersion),
		"owner_keys":      strconv.Itoa(rep.OwnerKeys),
		"journal_entries": strconv.Itoa(journal),
		"check":           strconv.FormatBool(rep.Check),
	}})
	return rep, journal, err
}

func rootKeyRetire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, err := openForCommand(ctx, "safelight root-key retire", args, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	removed, err := a.RetireOldRootKeys(ctx)
	if err != nil {
		return fmt.Errorf("root-key retire: %w", err)
	}
	if len(removed) == 0 {
		fmt.Fprintf(stdout, "%s holds only root key version %d: nothing to retire\n", a.cfg.RootKeyFile, a.root.Version())
		return nil
	}
	fmt.Fprintf(stdout, `root key version(s) %s deleted from %s; version %d is the only one left.
Give this file to every process in place of the old one, and destroy other copies of the old file:
backups of the database made before the rotation can no longer be opened with it.
`, joinInts(removed), a.cfg.RootKeyFile, a.root.Version())
	return nil
}

// RetireOldRootKeys moves everything to the root key's newest version
// (RewrapRootKey), signs the audit checkpoints again with it, and then
// deletes every older version from the root key file. Like RewrapRootKey,
// it needs every process to have the file with the newest version.
func (a *App) RetireOldRootKeys(ctx context.Context) ([]int, error) {
	current := a.root.Version()
	if _, _, err := a.RewrapRootKey(ctx); err != nil {
		return nil, err
	}
	signer, ok := a.root.(audit.Signer)
	if !ok {
		return nil, fmt.Errorf("the root key %T cannot sign audit checkpoints", a.root)
	}
	checkpoints, err := audit.Resign(ctx, a.store, signer, current)
	if err != nil {
		return nil, err
	}
	// A process still on the old file may have wrapped a new owner's key
	// meanwhile; deleting the version now would lose it.
	if _, pending, err := a.RootKeyStatus(ctx); err != nil {
		return nil, err
	} else if pending {
		return nil, fmt.Errorf("a key was wrapped with an older root key version after the rewrap: some process still runs with the old file; give every process the current file and run this again")
	}
	removed, err := keys.RetireRootKeyVersions(a.cfg.RootKeyFile)
	if err != nil || len(removed) == 0 {
		return nil, err
	}
	err = a.Audit.Record(ctx, audit.Event{Type: audit.RootKeyRetired, Details: map[string]string{
		"removed":      joinInts(removed),
		"root_version": strconv.Itoa(current),
		"checkpoints":  strconv.Itoa(checkpoints),
	}})
	return removed, err
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

// RootKeyStatus reports the root key version this process wraps with, and
// whether stored owner keys still use an older one (a rotation waiting
// for "safelight root-key rewrap").
func (a *App) RootKeyStatus(ctx context.Context) (version int, rewrapPending bool, err error) {
	stale, err := a.store.OwnerKeysWrappedBefore(ctx, a.root.Version(), 1)
	return a.root.Version(), len(stale) > 0, err
}
