package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestCheckpointSignatures(t *testing.T) {
	raw1, raw2 := bytes.Repeat([]byte{1}, rootKeySize), bytes.Repeat([]byte{2}, rootKeySize)
	k, err := newFileRootKey("test", map[int][]byte{1: bytes.Clone(raw1), 2: bytes.Clone(raw2)})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("checkpoint 42")
	v, sig, err := k.SignCheckpoint(msg)
	if err != nil || v != 2 {
		t.Fatalf("SignCheckpoint = %d, %v; want the current version 2", v, err)
	}
	// The key is Ed25519 from HKDF-SHA256(root key, info "safelight audit checkpoint v1").
	seed, err := hkdf.Key(sha256.New, raw2, nil, "safelight audit checkpoint v1", ed25519.SeedSize)
	if err != nil {
		t.Fatal(err)
	}
	if pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey); !ed25519.Verify(pub, msg, sig) {
		t.Error("signature does not verify with the key derived by HKDF from root key version 2")
	}
	if err := k.VerifyCheckpoint(2, msg, sig); err != nil {
		t.Errorf("VerifyCheckpoint(own signature) = %v", err)
	}
	// Old versions keep verifying what they signed (after a rotation).
	old, err := newFileRootKey("old", map[int][]byte{1: bytes.Clone(raw1)})
	if err != nil {
		t.Fatal(err)
	}
	_, oldSig, _ := old.SignCheckpoint(msg)
	if err := k.VerifyCheckpoint(1, msg, oldSig); err != nil {
		t.Errorf("VerifyCheckpoint(version 1 signature) = %v", err)
	}
	other, err := newFileRootKey("other", map[int][]byte{2: bytes.Repeat([]byte{3}, rootKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	_, otherSig, _ := other.SignCheckpoint(msg)
	for name, tc := range map[string]struct {
		version  int
		msg, sig []byte
	}{
		"changed message": {2, []byte("checkpoint 43"), sig},
		"wrong version":   {1, msg, sig},
		"unknown version": {7, msg, sig},
		"another key":     {2, msg, otherSig},
		"truncated":       {2, msg, sig[:10]},
	} {
		if err := k.VerifyCheckpoint(tc.version, tc.msg, tc.sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("VerifyCheckpoint(%s) = %v; want ErrBadSignature", name, err)
		}
	}
}
