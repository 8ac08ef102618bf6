package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"safelight/internal/config"
	"safelight/internal/jobs"
	"safelight/internal/keys"
	"safelight/internal/privacy"
	"safelight/internal/sqlstore"
)

// Erasure, backup and restore.
//
// Erasure crypto-shreds an account (package privacy) and records it in
// the erasure journal, which lives in the blob store under its own
// namespace. A backup leaves the journal out, and a restore replays the
// journal of the instance it restores into, so an account erased after
// the backup was made is erased again before anyone can see it.
//
// In embedded mode (SQLite and a blob directory) `safelight backup DIR`
// copies the database (VACUUM INTO: one consistent snapshot, while the
// server keeps serving) and then the sealed blob files, and writes a
// manifest; `safelight restore DIR` checks the manifest against the root
// key, copies both back into an empty data directory and replays the
// journal. The root key is not in a backup unless asked for
// (--include-root-key): a backup without it is useless to whoever steals
// it. With PostgreSQL and S3 the engines' own tools back up (pg_dump,
// bucket versioning), and `safelight erasure replay` replays the journal
// after they restore.

// erasureTaskEvery is how often the erasure job looks for due erasures.
const erasureTaskEvery = 5 * time.Minute

// setUpErasure makes the Eraser and registers its periodic task.
func (a *App) setUpErasure(cfg config.Config, log *slog.Logger) error {
	journal := privacy.NewJournal(a.blobs, a.root)
	a.Erasure = privacy.NewEraser(a.store, a.blobs, journal, a.Auth, a.Audit, cfg.ErasureGrace, log)
	return a.queue.AddTask(jobs.Task{Name: "run_erasures", Every: erasureTaskEvery, Run: a.Erasure.RunDue})
}

// backupFormat names the manifest's format.
const backupFormat = "safelight-backup v1"

// Names inside a backup directory.
const (
	backupManifestName = "manifest.json"
	backupDBName       = "safelight.db"
	backupBlobsDir     = "blobs"
	backupRootKeyName  = "root.key"
)

// backupManifest describes a backup. It is written last: a directory
// without it is not a finished backup.
type backupManifest struct {
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Version   string    `json:"safelight_version"`
	Schema    int       `json:"schema_version"`
	// RootKeyCheck is the database's root key check value (a constant
	// wrapped by the root key, see keys.VerifyRootKey): only the root key
	// the instance was set up with opens it, so a restore can refuse a
	// backup of another instance before it touches anything.
	RootKeyCheck []byte `json:"root_key_check"`
	// Instance is a short fingerprint of RootKeyCheck, for people.
	Instance        string `json:"instance"`
	RootKeyIncluded bool   `json:"root_key_included"`
	Users           int    `json:"users"`
	Assets          int    `json:"assets"`
	Blobs           int    `json:"blobs"`
	BlobBytes       int64  `json:"blob_bytes"`
}

// manifestCheck offers a manifest's check value to keys.VerifyRootKey.
type manifestCheck []byte

func (m manifestCheck) RootKeyCheck(context.Context) ([]byte, error) { return m, nil }
func (m manifestCheck) SetRootKeyCheck(context.Context, []byte) (bool, error) {
	return false, errors.New("a backup's manifest is never written to")
}

func instanceFingerprint(check []byte) string {
	sum := sha256.Sum256(check)
	return hex.EncodeToString(sum[:6])
}

const (
	backupUsage  = "safelight backup DIR [--include-root-key] [options]"
	restoreUsage = "safelight restore DIR [--force] [options]"
	erasureUsage = "safelight erasure replay [options]"
)

// splitCommandArgs takes the directory (the first argument) and the
// command's own switches out of args; the rest are configuration options.
func splitCommandArgs(args []string, usage string, switches ...string) (dir string, rest []string, on map[string]bool, err error) {
	if len(args) == 0 || len(args[0]) == 0 || args[0][0] == '-' {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return "", args, nil, nil
		}
		return "", nil, nil, fmt.Errorf("%w: %s", errUsage, usage)
	}
	dir, on = args[0], map[string]bool{}
	for _, a := range args[1:] {
		matched := false
		for _, s := range switches {
			if a == "-"+s || a == "--"+s {
				on[s], matched = true, true
			}
		}
		if !matched {
			rest = append(rest, a)
		}
	}
	return dir, rest, on, nil
}

// loadCommandConfig loads the configuration of a maintenance command; a
// bad option is a usage error.
func loadCommandConfig(cmd string, args []string, stderr io.Writer) (config.Config, error) {
	cfg, err := config.Load(cmd, args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, err
	}
	if err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, nil
}

// openForCommand opens the instance a one-off command works on, with its
// configuration from args and the environment; the caller closes it.
func openForCommand(ctx context.Context, cmd string, args []string, stderr io.Writer) (*App, error) {
	cfg, err := loadCommandConfig(cmd, args, stderr)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg, newLogger(cfg, stderr))
}

// embeddedPaths returns the SQLite file and blob directory of an
// embedded instance, or explains what to use instead.
func embeddedPaths(cfg config.Config, cmd string) (dbPath, blobDir string, err error) {
	dbPath, okDB := cfg.SQLitePath()
	blobDir, okBlobs := cfg.BlobDir()
	if !okDB || !okBlobs {
		return "", "", fmt.Errorf("%s works in embedded mode (SQLite and a blob directory): with PostgreSQL or S3 back up with pg_dump and bucket versioning, and after restoring them run \"safelight erasure replay\"", cmd)
	}
	return dbPath, blobDir, nil
}

// backupCommand runs "safelight backup DIR": see the comment at the top.
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	dir, rest, on, err := splitCommandArgs(args, backupUsage, "include-root-key")
	if err != nil {
		return err
	}
	cfg, err := loadCommandConfig("safelight backup", rest, stderr)
	if err != nil {
		return err
	}
	dbPath, blobDir, err := embeddedPaths(cfg, "safelight backup")
	if err != nil {
		return err
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", dbPath, err)
	}
	if err := emptyDir(dir); err != nil {
		return fmt.Errorf("backup: %s must be a new or empty directory: %w", dir, err)
	}
	store, err := sqlstore.Open(ctx, cfg.DB, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer store.Close()
	check, err := store.RootKeyCheck(ctx)
	if err != nil {
		return err
	}
	if check == nil {
		return errors.New("backup: the database has no root key check value yet: start the server once first")
	}
	m := backupManifest{Format: backupFormat, CreatedAt: time.Now().UTC(), Version: Version, RootKeyCheck: check,
		Instance: instanceFingerprint(check), RootKeyIncluded: on["include-root-key"]}
	if m.Schema, err = store.SchemaVersion(ctx); err != nil {
		return err
	}
	if m.Users, m.Assets, err = store.BackupCounts(ctx); err != nil {
		return err
	}
	// The database first, then the blobs: a blob is written before the
	// row that names it, so every row in the snapshot finds its blob.
	// Blobs written after the snapshot come along as orphans, which the
	// server's sweep removes after a restore.
	if err := store.SnapshotTo(ctx, filepath.Join(dir, backupDBName)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if m.Blobs, m.BlobBytes, err = copyBlobTree(ctx, blobDir, filepath.Join(dir, backupBlobsDir)); err != nil {
		return fmt.Errorf("backup: blobs: %w", err)
	}
	if m.RootKeyIncluded {
		if err := copyFileSynced(cfg.RootKeyFile, filepath.Join(dir, backupRootKeyName)); err != nil {
			return fmt.Errorf("backup: root key: %w", err)
		}
	}
	if err := writeManifest(dir, m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of instance %s written to %s: %d accounts, %d assets, %d blobs (%d bytes), schema %d\n",
		m.Instance, dir, m.Users, m.Assets, m.Blobs, m.BlobBytes, m.Schema)
	if m.RootKeyIncluded {
		fmt.Fprintln(stdout, "the backup holds the root key: anyone with it can decrypt every image in it; keep it as safe as the key itself")
	} else {
		fmt.Fprintf(stdout, "the root key is not in the backup: keep %s safe separately; a restore needs it\n", cfg.RootKeyFile)
	}
	return nil
}

// restoreCommand runs "safelight restore DIR": see the comment at the top.
func restoreCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	dir, rest, on, err := splitCommandArgs(args, restoreUsage, "force")
	if err != nil {
		return err
	}
	cfg, err := loadCommandConfig("safelight restore", rest, stderr)
	if err != nil {
		return err
	}
	dbPath, blobDir, err := embeddedPaths(cfg, "safelight restore")
	if err != nil {
		return err
	}
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	root, err := restoreRootKey(cfg, dir, m)
	if err != nil {
		return err
	}
	if err := keys.VerifyRootKey(ctx, root, manifestCheck(m.RootKeyCheck)); err != nil {
		return fmt.Errorf("restore refused: the backup in %s was made by another instance (%s): the root key file %s cannot open its database (a different root key); restore it with that instance's root key file", dir, m.Instance, cfg.RootKeyFile)
	}
	if err := checkRestoreTarget(dbPath, blobDir, on["force"]); err != nil {
		return err
	}
	// The journal of the instance restored into is checked before
	// anything is copied: a journal that does not verify would leave
	// erased accounts restored.
	log := newLogger(cfg, stderr)
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := privacy.NewJournal(blobs, root).Entries(ctx); err != nil {
		return fmt.Errorf("restore refused before copying anything: %w", err)
	}
	if err := copyFileSynced(filepath.Join(dir, backupDBName), dbPath); err != nil {
		return fmt.Errorf("restore: database: %w", err)
	}
	n, bytes, err := copyBlobTree(ctx, filepath.Join(dir, backupBlobsDir), blobDir)
	if err != nil {
		return fmt.Errorf("restore: blobs: %w", err)
	}
	a, err := New(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("restore: copied, but the instance does not open (do not serve it until this is fixed): %w", err)
	}
	defer a.Close()
	replayed, err := a.Erasure.Replay(ctx)
	if err != nil {
		return fmt.Errorf("restore: copied, but the erasure journal was not replayed (do not serve it until \"safelight erasure replay\" succeeds): %w", err)
	}
	fmt.Fprintf(stdout, "restored backup of instance %s made %s: %d accounts, %d assets, %d blobs (%d bytes)\n",
		m.Instance, m.CreatedAt.Format(time.RFC3339), m.Users, m.Assets, n, bytes)
	fmt.Fprintf(stdout, "erasure journal replayed: %d erased accounts kept erased\n", replayed)
	return nil
}

// erasureCommand runs "safelight erasure replay": after a database or
// bucket was restored by other means (pg_restore, a bucket version), it
// erases again every account in the erasure journal. Safe to run while
// serving, and to run twice.
func erasureCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "replay" {
		return fmt.Errorf("%w: %s", errUsage, erasureUsage)
	}
	a, err := openForCommand(ctx, "safelight erasure replay", args[1:], stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.Erasure.Replay(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erasure journal replayed: %d erased accounts kept erased\n", n)
	return nil
}

// restoreRootKey loads the root key a restore uses: the configured file,
// or, when that does not exist and the backup holds a key, a copy of the
// backup's put in its place.
func restoreRootKey(cfg config.Config, dir string, m backupManifest) (keys.RootKey, error) {
	_, err := os.Stat(cfg.RootKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		if !m.RootKeyIncluded {
			return nil, fmt.Errorf("restore: root key file %s does not exist, and the backup does not hold one (it was made without --include-root-key): put the instance's root key file there first", cfg.RootKeyFile)
		}
		if err := os.MkdirAll(filepath.Dir(cfg.RootKeyFile), 0o700); err != nil {
			return nil, fmt.Errorf("restore: root key: %w", err)
		}
		if err := copyFileSynced(filepath.Join(dir, backupRootKeyName), cfg.RootKeyFile); err != nil {
			return nil, fmt.Errorf("restore: root key: %w", err)
		}
	}
	return keys.LoadRootKeyFile(cfg.RootKeyFile)
}

// checkRestoreTarget refuses to overwrite an instance: the database must
// not exist and the blob directory must hold nothing but the erasure
// journal (which a restore keeps and replays). With force, what is there
// is removed first, the journal excepted.
func checkRestoreTarget(dbPath, blobDir string, force bool) error {
	var found []string
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		if _, err := os.Lstat(p); err == nil {
			found = append(found, p)
		}
	}
	entries, err := os.ReadDir(blobDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	for _, e := range entries {
		if e.Name() != privacy.JournalNamespace {
			found = append(found, filepath.Join(blobDir, e.Name()))
		}
	}
	if len(found) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("restore refused: the data directory is not empty (%s exists); restore into an empty one, or pass --force to replace what is there", found[0])
	}
	for _, p := range found {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return nil
}

// copyBlobTree copies the blob files under src to dst (same layout),
// leaving out the erasure journal and the blob store's temporary files.
// Each file is synced, then each directory. A file that disappears while
// copying (deleted by the server) is skipped.
func copyBlobTree(ctx context.Context, src, dst string) (files int, size int64, err error) {
	var dirs []string
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path != src {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == privacy.JournalNamespace || rel == ".tmp" {
				return filepath.SkipDir
			}
			dirs = append(dirs, filepath.Join(dst, rel))
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		n, err := copyFile(path, filepath.Join(dst, rel))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		files, size = files+1, size+n
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	slices.Reverse(dirs) // children before parents
	for _, d := range dirs {
		if err := syncPath(d); err != nil {
			return 0, 0, err
		}
	}
	return files, size, nil
}

// copyFile copies src to a new file dst (mode 0600), synced.
func copyFile(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return 0, err
	}
	return n, nil
}

// copyFileSynced copies src to dst and syncs dst's directory.
func copyFileSynced(src, dst string) error {
	if _, err := copyFile(src, dst); err != nil {
		return err
	}
	return syncPath(filepath.Dir(dst))
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// emptyDir makes sure dir exists (mode 0700) and holds nothing.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("it holds %s", entries[0].Name())
	}
	return nil
}

func writeManifest(dir string, m backupManifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, backupManifestName+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if err := syncPath(tmp); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, backupManifestName)); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	return syncPath(dir)
}

func readManifest(dir string) (backupManifest, error) {
	var m backupManifest
	data, err := os.ReadFile(filepath.Join(dir, backupManifestName))
	if err != nil {
		return m, fmt.Errorf("restore: %s is not a finished backup (no %s): %w", dir, backupManifestName, err)
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Format != backupFormat || len(m.RootKeyCheck) == 0 {
		return m, fmt.Errorf("restore: %s: not a %s manifest", filepath.Join(dir, backupManifestName), backupFormat)
	}
	return m, nil
}
