package keys

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealValue(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	plain := []byte("holiday-in-secret-place.jpg")
	sealed, err := e.sealer.SealValue(ctx, "alice", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) || bytes.Contains(sealed, []byte("secret-place")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := e.sealer.OpenValue(ctx, "alice", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("OpenValue = %q, %v; want %q", got, err, plain)
	}
	if _, err := e.keyring.Recipient(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sealer.OpenValue(ctx, "bob", sealed); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("OpenValue as another owner = %v; want ErrCannotDecrypt", err)
	}
	sealed[len(sealed)-3] ^= 1
	if _, err := e.sealer.OpenValue(ctx, "alice", sealed); !errors.Is(err, ErrCannotDecrypt) {
		t.Errorf("OpenValue of a tampered value = %v; want ErrCannotDecrypt", err)
	}
	if _, err := e.sealer.SealValue(ctx, "alice", make([]byte, maxValue+1)); err == nil {
		t.Error("SealValue accepted a value over the limit")
	}
}

func TestContentMAC(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sum := func(owner string, data string) []byte {
		h, err := e.keyring.ContentMAC(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	a1, a2 := sum("alice", "photo bytes"), sum("alice", "photo bytes")
	if !bytes.Equal(a1, a2) {
		t.Error("the same owner and content give different MACs")
	}
	if bytes.Equal(a1, sum("alice", "other bytes")) {
		t.Error("different content gives the same MAC")
	}
	if bytes.Equal(a1, sum("bob", "photo bytes")) {
		t.Error("two owners share a MAC key: the MAC would reveal shared content")
	}
}
