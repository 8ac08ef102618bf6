package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// CheckStore keeps the value that proves which root key a database belongs
// to. The first call of SetRootKeyCheck stores its value and returns true;
// later calls store nothing and return false.
type CheckStore interface {
	RootKeyCheck(ctx context.Context) ([]byte, error) // nil, nil when none is stored
	SetRootKeyCheck(ctx context.Context, wrapped []byte) (stored bool, err error)
}

// ErrWrongRootKey means the root key cannot open the database's check
// value: it is not the key this database was set up with.
var ErrWrongRootKey = errors.New("keys: the root key does not belong to this database")

var (
	checkPlaintext = []byte("safelight root key check v1")
	checkAAD       = []byte("safelight/root-key-check")
)

// VerifyRootKey makes sure root is the key the database was set up with,
// before anything is sealed with it. On a new database it records a check
// value wrapped by root; afterwards it unwraps that value. A replica given
// a different key file (or an embedded instance whose key file was
// replaced) therefore refuses to start instead of sealing new owners' keys
// that no other replica could open, or failing on every image later.
func VerifyRootKey(ctx context.Context, root RootKey, st CheckStore) error {
	wrapped, err := st.RootKeyCheck(ctx)
	if err != nil {
		return fmt.Errorf("keys: root key check: %w", err)
	}
	if wrapped == nil {
		w, err := root.Wrap(checkPlaintext, checkAAD)
		if err != nil {
			return fmt.Errorf("keys: root key check: %w", err)
		}
		stored, err := st.SetRootKeyCheck(ctx, w)
		if err != nil {
			return fmt.Errorf("keys: root key check: %w", err)
		}
		if stored {
			return nil
		}
		// Another process set it first: verify against theirs.
		if wrapped, err = st.RootKeyCheck(ctx); err != nil || wrapped == nil {
			return fmt.Errorf("keys: root key check: reading it back: %v", err)
		}
	}
	pt, err := root.Unwrap(wrapped, checkAAD)
	if err != nil || !bytes.Equal(pt, checkPlaintext) {
		return ErrWrongRootKey
	}
	return nil
}
