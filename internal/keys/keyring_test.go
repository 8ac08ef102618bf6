package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
)

func recipientString(t *testing.T, kr *Keyring, owner string) string {
	t.Helper()
	r, err := kr.Recipient(context.Background(), owner)
	if err != nil {
		t.Fatalf("Recipient(%q) = %v", owner, err)
	}
	x, ok := r.(*age.X25519Recipient)
	if !ok {
		t.Fatalf("Recipient(%q) is %T; want *age.X25519Recipient", owner, r)
	}
	return x.String()
}

func TestKeyringCreatesOneKeyPerOwner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before := time.Now().UTC().Add(-time.Second)

	alice := recipientString(t, e.keyring, "owner-alice")
	bob := recipientString(t, e.keyring, "owner-bob")
	org := recipientString(t, e.keyring, "org-festival")
	if alice == bob || alice == org || bob == org {
		t.Errorf("distinct owners share a recipient: alice %s, bob %s, org %s", alice, bob, org)
	}
	if again := recipientString(t, e.keyring, "owner-alice"); again != alice {
		t.Errorf("second Recipient(owner-alice) = %s; want the same %s", again, alice)
	}
	// A new Keyring over the same root key and store finds the same key.
	if other := recipientString(t, NewKeyring(e.root, e.store), "owner-alice"); other != alice {
		t.Errorf("Recipient from a new Keyring = %s; want %s", other, alice)
	}

	rows, err := e.store.OwnerKeys(ctx, "owner-alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("store holds %d keys for owner-alice; want 1", len(rows))
	}
	row := rows[0]
	if row.OwnerID != "owner-alice" || row.Version != 1 || row.RootVersion != e.root.Version() {
		t.Errorf("stored key = {%q v%d root v%d}; want {owner-alice v1 root v%d}", row.OwnerID, row.Version, row.RootVersion, e.root.Version())
	}
	if row.CreatedAt.Before(before) || row.CreatedAt.After(time.Now().Add(time.Second)) || row.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v; want now, in UTC", row.CreatedAt)
	}
	secret, err := e.keyring.ExportIdentity(ctx, "owner-alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "AGE-SECRET-KEY-1") {
		t.Errorf("ExportIdentity = %.16q…; want an AGE-SECRET-KEY-1 string", secret)
	}
	id, err := age.ParseX25519Identity(secret)
	if err != nil {
		t.Fatalf("ParseX25519Identity(exported) = %v", err)
	}
	if id.Recipient().String() != alice {
		t.Errorf("exported identity's recipient = %s; want %s", id.Recipient(), alice)
	}
	if bytes.Contains(row.Wrapped, []byte(secret)) || bytes.Contains(row.Wrapped, []byte(secret[16:40])) {
		t.Errorf("stored key row contains the identity in clear")
	}
}

func TestKeyringConcurrentFirstUse(t *testing.T) {
	e := newEnv(t)
	const n = 16
	// Hold the first n reads until all n have happened, so that every
	// caller sees "no key" and tries to create one.
	var reads atomic.Int32
	allRead := make(chan struct{})
	e.store.afterRead = func() {
		switch c := reads.Add(1); {
		case c == n:
			close(allRead)
		case c < n:
			select {
			case <-allRead:
			case <-time.After(10 * time.Second):
			}
		}
	}

	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := e.keyring.Recipient(context.Background(), "owner-race")
			if err != nil {
				errs[i] = err
				return
			}
			got[i] = r.(*age.X25519Recipient).String()
		})
	}
	wg.Wait()
	select {
	case <-allRead:
	default:
		t.Fatalf("only %d of %d first reads happened together; the test did not force the race", reads.Load(), n)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Recipient #%d = %v", i, err)
		}
	}
	for i := range got {
		if got[i] != got[0] {
			t.Errorf("concurrent Recipient #%d = %s; want %s (all callers must get the one stored key)", i, got[i], got[0])
		}
	}
	if c := e.store.count("owner-race"); c != 1 {
		t.Errorf("store holds %d keys for owner-race; want 1", c)
	}
	if want := recipientString(t, e.keyring, "owner-race"); got[0] != want {
		t.Errorf("concurrent callers got %s; the stored key is %s", got[0], want)
	}
}

func TestKeyringRejectsMovedWrappedKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	recipientString(t, e.keyring, "owner-a")
	rows, err := e.store.OwnerKeys(ctx, "owner-a")
	if err != nil || len(rows) != 1 {
		t.Fatalf("OwnerKeys(owner-a) = %d rows, %v; want 1", len(rows), err)
	}
	a := rows[0]

	// The same wrapped bytes under another owner's id.
	moved := a
	moved.OwnerID = "owner-b"
	if err := e.store.InsertOwnerKey(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if _, err := e.keyring.Recipient(ctx, "owner-b"); !errors.Is(err, ErrUnwrap) {
		t.Errorf("Recipient(owner-b) with owner-a's wrapped key = %v; want ErrUnwrap", err)
	}
	if s, err := e.keyring.ExportIdentity(ctx, "owner-b"); !errors.Is(err, ErrUnwrap) {
		t.Errorf("ExportIdentity(owner-b) with owner-a's wrapped key = %.16q, %v; want ErrUnwrap", s, err)
	}

	// The same wrapped bytes as another version of the same owner.
	bumped := a
	bumped.Version = 2
	if err := e.store.InsertOwnerKey(ctx, bumped); err != nil {
		t.Fatal(err)
	}
	if _, err := e.keyring.Recipient(ctx, "owner-a"); !errors.Is(err, ErrUnwrap) {
		t.Errorf("Recipient(owner-a) with version 1 copied to version 2 = %v; want ErrUnwrap", err)
	}
}

// lyingStore returns another owner's rows, as a buggy query might.
type lyingStore struct {
	*memKeys
	realOwner string
}

func (s lyingStore) OwnerKeys(ctx context.Context, ownerID string) ([]OwnerKey, error) {
	return s.memKeys.OwnerKeys(ctx, s.realOwner)
}

func TestKeyringRejectsRowsOfAnotherOwner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	recipientString(t, e.keyring, "owner-a")
	kr := NewKeyring(e.root, lyingStore{e.store, "owner-a"})
	if _, err := kr.ExportIdentity(ctx, "owner-b"); !errors.Is(err, ErrUnwrap) {
		t.Errorf("ExportIdentity(owner-b) given owner-a's rows = %v; want ErrUnwrap", err)
	}
}

func TestKeyringOwnerKeyVersions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v1 := recipientString(t, e.keyring, "owner-v")

	// Add version 2 the way a future owner key rotation would.
	id2, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.root.Wrap([]byte(id2.String()), ownerKeyAAD("owner-v", 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.InsertOwnerKey(ctx, OwnerKey{OwnerID: "owner-v", Version: 2, RootVersion: e.root.Version(), Wrapped: w, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := recipientString(t, e.keyring, "owner-v"); got != id2.Recipient().String() {
		t.Errorf("Recipient after adding version 2 = %s; want version 2's %s", got, id2.Recipient())
	}
	exported, err := e.keyring.ExportIdentity(ctx, "owner-v")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(exported))
	if err != nil {
		t.Fatalf("ParseIdentities(exported) = %v", err)
	}
	if len(ids) != 2 {
		t.Fatalf("exported %d identities; want 2", len(ids))
	}
	if got := ids[0].(*age.X25519Identity).Recipient().String(); got != id2.Recipient().String() {
		t.Errorf("first exported identity is %s; want the newest (%s)", got, id2.Recipient())
	}
	if got := ids[1].(*age.X25519Identity).Recipient().String(); got != v1 {
		t.Errorf("second exported identity is %s; want version 1 (%s)", got, v1)
	}
	if c := e.store.count("owner-v"); c != 2 {
		t.Errorf("store holds %d keys; want 2 (no extra key created)", c)
	}
}

func TestKeyringSurvivesRootRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "root.key")
	root1, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	store := newMemKeys()
	before := recipientString(t, NewKeyring(root1, store), "owner-r")

	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "key 2 %s\n", "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
	f.Close()
	root2, err := LoadOrCreateRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kr2 := NewKeyring(root2, store)
	if after := recipientString(t, kr2, "owner-r"); after != before {
		t.Errorf("Recipient after root rotation = %s; want %s", after, before)
	}
	recipientString(t, kr2, "owner-new")
	rows, _ := store.OwnerKeys(context.Background(), "owner-new")
	if len(rows) != 1 || rows[0].RootVersion != 2 {
		t.Errorf("new owner key rows = %+v; want one wrapped with root version 2", rows)
	}
}

func TestKeyringErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if s, err := e.keyring.ExportIdentity(ctx, "owner-none"); !errors.Is(err, ErrNoOwnerKey) {
		t.Errorf("ExportIdentity(no key) = %q, %v; want ErrNoOwnerKey", s, err)
	}
	if c := e.store.count("owner-none"); c != 0 {
		t.Errorf("ExportIdentity created a key")
	}
	for _, owner := range []string{"", "a\x00b", "bad\xffutf8"} {
		if _, err := e.keyring.Recipient(ctx, owner); err == nil {
			t.Errorf("Recipient(%q) = nil error; want invalid owner id", owner)
		}
	}

	storeErr := errors.New("database is down")
	kr := NewKeyring(e.root, failingStore{storeErr})
	if _, err := kr.Recipient(ctx, "owner-x"); !errors.Is(err, storeErr) {
		t.Errorf("Recipient with failing store = %v; want it to wrap the store error", err)
	}
}

type failingStore struct{ err error }

func (s failingStore) InsertOwnerKey(context.Context, OwnerKey) error { return s.err }
func (s failingStore) OwnerKeys(context.Context, string) ([]OwnerKey, error) {
	return nil, s.err
}
