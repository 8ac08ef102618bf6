package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// Rotating the root key happens in steps, so that no process is ever
// handed a value wrapped with a version it does not know:
//
//  1. AddRootKeyVersion appends a new version to the root key file. Every
//     process given the new file wraps new values with it and still
//     unwraps values wrapped with older versions.
//  2. Once every process has the new file, Rewrap wraps again, with the
//     new version, everything the database still holds under older ones.
//     After it, a copy of an older version (leaked, or kept by someone who
//     should no longer hold it) opens nothing in the live database.
//  3. RetireRootKeyVersions, once backups that need the older versions
//     may go and audit checkpoints are signed again (audit.Resign),
//     deletes them from the file.
//
// Until step 3 older versions stay in the file: backups taken before the
// rotation hold values wrapped with them, and audit checkpoints signed
// with them keep verifying.

// AddRootKeyVersion appends a new random key version to the root key file
// at path and returns its number. The file is replaced atomically (a
// synced temporary file renamed over it, then the directory synced), keeps
// mode 0600, and is checked like a file being loaded: a malformed file or
// one readable by others is refused and left as it is. Two rotations of the
// same file at once are serialized by a lock on it, so neither is lost.
func AddRootKeyVersion(path string) (version int, err error) {
	f, data, err := lockRootKeyFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close() // releases the lock
	defer clear(data)
	existing, err := parseRootKeyFile(data)
	if err != nil {
		return 0, fmt.Errorf("keys: root key file %s: %w", path, err)
	}
	for v, k := range existing {
		version = max(version, v)
		clear(k)
	}
	if version >= maxRootKeyVersion {
		return 0, fmt.Errorf("keys: root key file %s: no version number left", path)
	}
	version++
	key := make([]byte, rootKeySize)
	rand.Read(key) // never fails; see crypto/rand.Read
	content := append(bytes.Clone(data), keyLine(version, key)...)
	clear(key)
	defer clear(content)
	if err := replaceFileSynced(path, content); err != nil {
		return 0, fmt.Errorf("keys: add root key version: %w", err)
	}
	return version, nil
}

// RetireRootKeyVersions removes from the root key file at path every
// version below the newest and returns the versions removed (none, and
// the file untouched, when it holds only one). The file is replaced like
// AddRootKeyVersion replaces it.
//
// A value wrapped with a removed version can never be opened again with
// this file: call it only once Rewrap has moved everything stored to the
// newest version and audit checkpoints are signed with it, and know that
// backups taken before the rotation become unreadable too (which is the
// point when the old version leaked, or when erasures must reach backups).
func RetireRootKeyVersions(path string) (removed []int, err error) {
	f, data, err := lockRootKeyFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // releases the lock
	defer clear(data)
	parsed, err := parseRootKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("keys: root key file %s: %w", path, err)
	}
	current := 0
	for v := range parsed {
		current = max(current, v)
	}
	for v, k := range parsed {
		if v < current {
			removed = append(removed, v)
		}
		if v != current {
			clear(k)
		}
	}
	if len(removed) == 0 {
		clear(parsed[current])
		return nil, nil
	}
	slices.Sort(removed)
	content := []byte(rootKeyFileHeader + "\n" + keyLine(current, parsed[current]))
	clear(parsed[current])
	defer clear(content)
	if err := replaceFileSynced(path, content); err != nil {
		return nil, fmt.Errorf("keys: retire root key versions: %w", err)
	}
	return removed, nil
}

// lockRootKeyFile opens path, takes an exclusive lock on it and reads it,
// with the checks of loading. A rotation that waited for the lock while
// another replaced the file opens the new file and locks again.
func lockRootKeyFile(path string) (*os.File, []byte, error) {
	for {
		f, err := os.Open(path) // flock needs no write access
		if err != nil {
			return nil, nil, fmt.Errorf("keys: open root key file: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("keys: lock root key file %s: %w", path, err)
		}
		held, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("keys: stat root key file %s: %w", path, err)
		}
		now, err := os.Stat(path)
		if err != nil || !os.SameFile(held, now) {
			f.Close() // replaced while we waited
			continue
		}
		data, err := readRootKeyFile(f, held, path)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return f, data, nil
	}
}

// replaceFileSynced puts content at path in one step: written and synced
// under a temporary name (mode 0600) in the same directory, renamed over
// path, and the directory synced, so a crash leaves the old file or the
// new one, never a mix.
func replaceFileSynced(path string, content []byte) error {
	dir := filepath.Dir(path)
	tmpName, err := writeTempSynced(dir, content)
	if err != nil {
		return err
	}
	defer os.Remove(tmpName) // after the rename there is nothing left to remove
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WrappedVersion reports the root key version a value made by
// RootKey.Wrap names, and false for anything that is not such a value.
func WrappedVersion(wrapped []byte) (int, bool) {
	if len(wrapped) < wrapMinLen || wrapped[0] != wrapFormatV1 {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(wrapped[1:wrapPrefixLen])), true
}

// RewrapStore is what Rewrap changes: the wrapped owner keys and the root
// key check value. The metadata store implements it.
type RewrapStore interface {
	CheckStore

	// OwnerKeysWrappedBefore returns up to limit owner key rows whose
	// RootVersion is below rootVersion, in a stable order.
	OwnerKeysWrappedBefore(ctx context.Context, rootVersion, limit int) ([]OwnerKey, error)

	// RewrapOwnerKey sets the Wrapped and RootVersion of the row
	// (k.OwnerID, k.Version) when its wrapped value is still old. It
	// reports false when the row is gone (the owner was erased meanwhile)
	// or was changed by someone else.
	RewrapOwnerKey(ctx context.Context, k OwnerKey, old []byte) (bool, error)

	// ReplaceRootKeyCheck sets the check value to wrapped when it is still
	// old, and reports whether it did.
	ReplaceRootKeyCheck(ctx context.Context, old, wrapped []byte) (bool, error)
}

// RewrapReport says what Rewrap did.
type RewrapReport struct {
	RootVersion int  // the version everything is wrapped with now
	OwnerKeys   int  // owner key rows wrapped again
	Check       bool // whether the root key check value was wrapped again
}

// rewrapBatch is how many owner keys Rewrap reads at a time.
const rewrapBatch = 200

// Rewrap wraps again, with root's current version, every owner key and
// the root key check value that the store holds under an older version
// (step 2 above). It first checks that root is this database's key, so a
// wrong file changes nothing. Each row is replaced on its own only when it
// is unchanged, so Rewrap may run while the instance serves (every process
// must already have the file with the new version), runs again after an
// interruption from where it stopped, and skips owners erased meanwhile.
func Rewrap(ctx context.Context, root RootKey, st RewrapStore) (RewrapReport, error) {
	rep := RewrapReport{RootVersion: root.Version()}
	if err := VerifyRootKey(ctx, root, st); err != nil {
		return rep, err
	}
	done := map[[2]string]bool{}
	for {
		rows, err := st.OwnerKeysWrappedBefore(ctx, rep.RootVersion, rewrapBatch)
		if err != nil {
			return rep, fmt.Errorf("keys: rewrap: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		for _, row := range rows {
			id := [2]string{row.OwnerID, strconv.Itoa(row.Version)}
			if done[id] {
				// Replaced (or found gone) once already, and listed again:
				// the store does not keep what it was told.
				return rep, fmt.Errorf("keys: rewrap: key version %d of owner %s is still listed under root key version %d after it was wrapped again", row.Version, row.OwnerID, row.RootVersion)
			}
			done[id] = true
			aad := ownerKeyAAD(row.OwnerID, row.Version)
			secret, err := root.Unwrap(row.Wrapped, aad)
			if err != nil {
				return rep, fmt.Errorf("keys: rewrap key version %d of owner %s: %w", row.Version, row.OwnerID, err)
			}
			wrapped, err := root.Wrap(secret, aad)
			clear(secret)
			if err != nil {
				return rep, fmt.Errorf("keys: rewrap key version %d of owner %s: %w", row.Version, row.OwnerID, err)
			}
			old := row.Wrapped
			row.Wrapped, row.RootVersion = wrapped, rep.RootVersion
			ok, err := st.RewrapOwnerKey(ctx, row, old)
			if err != nil {
				return rep, fmt.Errorf("keys: rewrap key version %d of owner %s: %w", row.Version, row.OwnerID, err)
			}
			if ok {
				rep.OwnerKeys++
			}
		}
	}
	old, err := st.RootKeyCheck(ctx)
	if err != nil {
		return rep, fmt.Errorf("keys: rewrap: %w", err)
	}
	if v, ok := WrappedVersion(old); ok && v < rep.RootVersion {
		pt, err := root.Unwrap(old, checkAAD)
		if err != nil {
			return rep, errors.Join(ErrWrongRootKey, err)
		}
		wrapped, err := root.Wrap(pt, checkAAD)
		if err != nil {
			return rep, fmt.Errorf("keys: rewrap the root key check: %w", err)
		}
		if rep.Check, err = st.ReplaceRootKeyCheck(ctx, old, wrapped); err != nil {
			return rep, fmt.Errorf("keys: rewrap the root key check: %w", err)
		}
	}
	return rep, nil
}
