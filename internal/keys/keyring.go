package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
)

// OwnerKey is one version of an owner's age identity as the metadata store
// keeps it: only wrapped by the root key.
type OwnerKey struct {
	// OwnerID is the user or organization id (random, never an e-mail).
	OwnerID string
	// Version numbers the owner's identities from 1; the highest is current.
	Version int
	// RootVersion is the root key version that wrapped the identity, so a
	// rotation can find the rows it still has to re-wrap.
	RootVersion int
	// Wrapped is RootKey.Wrap of the identity, bound to OwnerID and Version.
	Wrapped []byte
	// CreatedAt is when this version was made.
	CreatedAt time.Time
}

// ErrOwnerKeyExists is returned (possibly wrapped) by Store.InsertOwnerKey
// when the (OwnerID, Version) pair is already stored.
var ErrOwnerKeyExists = errors.New("keys: owner key version already exists")

// ErrNoOwnerKey is returned (wrapped) when an owner has no key at all: it
// never had one, or its keys were erased (crypto-shredded).
var ErrNoOwnerKey = errors.New("keys: owner has no key")

// Store persists wrapped owner keys. The metadata store implements it.
// Implementations must be safe for concurrent use.
type Store interface {
	// InsertOwnerKey stores k. It returns an error wrapping
	// ErrOwnerKeyExists if (k.OwnerID, k.Version) is already stored, and
	// must decide that atomically (a unique constraint), because two
	// processes may create an owner's first key at the same time.
	InsertOwnerKey(ctx context.Context, k OwnerKey) error

	// OwnerKeys returns every stored key version of ownerID, newest
	// version first, or an empty slice (and nil error) if there is none.
	OwnerKeys(ctx context.Context, ownerID string) ([]OwnerKey, error)
}

// ownerKeyAADPrefix starts the additional data that binds a wrapped
// identity to its owner and version.
const ownerKeyAADPrefix = "safelight owner-key v1\x00"

// ownerKeyAAD returns the additional data for ownerID's key version: a
// wrapped identity copied to another owner or version row fails to unwrap.
// Owner ids cannot contain NUL (see checkOwnerID), so the encoding is
// unambiguous.
func ownerKeyAAD(ownerID string, version int) []byte {
	return []byte(ownerKeyAADPrefix + ownerID + "\x00" + strconv.Itoa(version))
}

func checkOwnerID(ownerID string) error {
	if ownerID == "" || strings.ContainsRune(ownerID, 0) || !utf8.ValidString(ownerID) {
		return fmt.Errorf("keys: invalid owner id %q", ownerID)
	}
	return nil
}

// Keyring gives access to owners' age identities, creating an owner's first
// identity lazily. Identities are unwrapped from the Store on each use and
// are not cached, so an erased owner's key is gone at once and several
// processes may share one Store.
//
// A Keyring is safe for concurrent use; two concurrent first uses of the
// same owner (in one process or several) end with a single key.
type Keyring struct {
	root  RootKey
	store Store
}

// NewKeyring returns a Keyring whose owner keys are wrapped by root and
// kept in store.
func NewKeyring(root RootKey, store Store) *Keyring {
	return &Keyring{root: root, store: store}
}

// Recipient returns the age recipient of ownerID's current key, creating
// the owner's first key if it has none. Data encrypted to it can be
// opened only with the owner's identity.
func (k *Keyring) Recipient(ctx context.Context, ownerID string) (age.Recipient, error) {
	id, err := k.currentIdentity(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	return id.Recipient(), nil
}

// ExportIdentity returns ownerID's secret age identities in the age
// identity file format: one "AGE-SECRET-KEY-1…" line per key version,
// newest first, without a final newline. For an owner with a single key
// version (the usual case) it is exactly one identity string, which
// age.ParseX25519Identity accepts; age.ParseIdentities reads any result.
//
// It exists only for the owner's own data export (so they can decrypt their
// blobs with the age CLI) and for interoperability tests. Nothing else may
// call it: its result is the owner's secret. It does not create a key; an
// owner without keys yields an error wrapping ErrNoOwnerKey.
func (k *Keyring) ExportIdentity(ctx context.Context, ownerID string) (string, error) {
	ids, err := k.identities(ctx, ownerID)
	if err != nil {
		return "", fmt.Errorf("keys: export identity: %w", err)
	}
	lines := make([]string, len(ids))
	for i, id := range ids {
		lines[i] = id.String()
	}
	return strings.Join(lines, "\n"), nil
}

// currentIdentity returns ownerID's newest identity, creating version 1 if
// the owner has none.
func (k *Keyring) currentIdentity(ctx context.Context, ownerID string) (*age.X25519Identity, error) {
	ids, err := k.identities(ctx, ownerID)
	if err == nil {
		return ids[0], nil
	}
	if !errors.Is(err, ErrNoOwnerKey) {
		return nil, err
	}
	id, err := k.createFirst(ctx, ownerID)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, ErrOwnerKeyExists) {
		return nil, err
	}
	// Someone else created the first key between our read and our insert:
	// use theirs, so the owner keeps exactly one.
	ids, err = k.identities(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	return ids[0], nil
}

// createFirst generates, wraps and inserts version 1 of ownerID's key.
func (k *Keyring) createFirst(ctx context.Context, ownerID string) (*age.X25519Identity, error) {
	const version = 1
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("keys: create key for owner %s: %w", ownerID, err)
	}
	secret := []byte(id.String())
	rootVersion := k.root.Version()
	wrapped, err := k.root.Wrap(secret, ownerKeyAAD(ownerID, version))
	clear(secret)
	if err != nil {
		return nil, fmt.Errorf("keys: wrap key for owner %s: %w", ownerID, err)
	}
	err = k.store.InsertOwnerKey(ctx, OwnerKey{
		OwnerID:     ownerID,
		Version:     version,
		RootVersion: rootVersion,
		Wrapped:     wrapped,
		CreatedAt:   time.Now().UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("keys: store key for owner %s: %w", ownerID, err)
	}
	return id, nil
}

// identities returns all of ownerID's identities, newest version first. It
// never creates a key: an owner without keys yields ErrNoOwnerKey. Any row
// that fails to unwrap fails the whole call (ErrUnwrap), because a
// damaged or misplaced key row must be noticed, not skipped.
func (k *Keyring) identities(ctx context.Context, ownerID string) ([]*age.X25519Identity, error) {
	if err := checkOwnerID(ownerID); err != nil {
		return nil, err
	}
	rows, err := k.store.OwnerKeys(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keys: load keys of owner %s: %w", ownerID, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("keys: owner %s: %w", ownerID, ErrNoOwnerKey)
	}
	// The Store promises this order; sorting again is cheap and keeps
	// "newest first" true even for a sloppy implementation.
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b OwnerKey) int { return b.Version - a.Version })
	ids := make([]*age.X25519Identity, len(rows))
	for i, row := range rows {
		if i > 0 && row.Version == rows[i-1].Version {
			return nil, fmt.Errorf("keys: owner %s has two rows for key version %d", ownerID, row.Version)
		}
		// Bind to the owner we asked for, not the row's OwnerID field, so a
		// row returned for the wrong owner cannot be used.
		secret, err := k.root.Unwrap(row.Wrapped, ownerKeyAAD(ownerID, row.Version))
		if err != nil {
			return nil, fmt.Errorf("keys: unwrap key version %d of owner %s: %w", row.Version, ownerID, err)
		}
		id, err := age.ParseX25519Identity(string(secret))
		clear(secret)
		if err != nil {
			// Do not include err: its text may quote the secret.
			return nil, fmt.Errorf("keys: key version %d of owner %s is not a valid age identity", row.Version, ownerID)
		}
		ids[i] = id
	}
	return ids, nil
}
