package keys

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

type memCheck struct {
	mu sync.Mutex
	v  []byte
}

func (m *memCheck) RootKeyCheck(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.v, nil
}

func (m *memCheck) SetRootKeyCheck(_ context.Context, w []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.v != nil {
		return false, nil
	}
	m.v = w
	return true, nil
}

func TestVerifyRootKey(t *testing.T) {
	newKey := func() RootKey {
		k, err := LoadOrCreateRootKeyFile(filepath.Join(t.TempDir(), "root.key"))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b := newKey(), newKey()
	st := &memCheck{}
	ctx := t.Context()
	if err := VerifyRootKey(ctx, a, st); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if st.v == nil {
		t.Fatal("no check value stored")
	}
	if err := VerifyRootKey(ctx, a, st); err != nil {
		t.Errorf("same key again: %v", err)
	}
	if err := VerifyRootKey(ctx, b, st); !errors.Is(err, ErrWrongRootKey) {
		t.Errorf("another key = %v; want ErrWrongRootKey", err)
	}

	// Several processes starting on a new database with the same key agree.
	st2 := &memCheck{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := VerifyRootKey(ctx, a, st2); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
