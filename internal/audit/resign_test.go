package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"safelight/internal/audit"
)

// keyring signs with the highest version it holds and verifies with any.
type keyring map[int]ed25519.PrivateKey

func (k keyring) SignCheckpoint(msg []byte) (int, []byte, error) {
	v := 0
	for kv := range k {
		v = max(v, kv)
	}
	return v, ed25519.Sign(k[v], msg), nil
}

func (k keyring) VerifyCheckpoint(v int, msg, sig []byte) error {
	priv, ok := k[v]
	if !ok || !ed25519.Verify(priv.Public().(ed25519.PublicKey), msg, sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

func (m *memChain) ResignAuditCheckpoint(_ context.Context, seq int64, old []byte, v int, sig []byte) (bool, error) {
	for i, c := range m.cps {
		if c.Seq == seq && bytes.Equal(c.Signature, old) {
			m.cps[i].KeyVersion, m.cps[i].Signature = v, sig
			return true, nil
		}
	}
	return false, nil
}

// TestResign: checkpoints signed with version 1 are signed again with
// version 2, after which version 2 alone verifies the whole log.
func TestResign(t *testing.T) {
	v1 := newEdSigner(t).priv
	v2 := newEdSigner(t).priv
	m := newMemChain(t, keyring{1: v1}, 10, 3, 6, 9)
	both := keyring{1: v1, 2: v2}
	if n, err := audit.Resign(t.Context(), m, both, 1); n != 0 || err != nil {
		t.Errorf("Resign below 1 = %d, %v; want nothing to do", n, err)
	}
	if rep := verifyMem(t, m, keyring{2: v2}); rep.Intact() {
		t.Fatal("version 2 alone verified checkpoints signed with version 1")
	}
	if n, err := audit.Resign(t.Context(), m, both, 2); n != 3 || err != nil {
		t.Fatalf("Resign = %d, %v; want 3", n, err)
	}
	for _, c := range m.cps {
		if c.KeyVersion != 2 {
			t.Errorf("checkpoint %d has key version %d; want 2", c.Seq, c.KeyVersion)
		}
	}
	if rep := verifyMem(t, m, keyring{2: v2}); !rep.Intact() || rep.Checkpoints != 3 {
		t.Errorf("Verify with version 2 only after Resign = %+v; want intact with 3 checkpoints", rep)
	}
	if n, err := audit.Resign(t.Context(), m, both, 2); n != 0 || err != nil {
		t.Errorf("Resign again = %d, %v; want 0", n, err)
	}
}

// TestResignRefusesForgedCheckpoint: a checkpoint whose old signature does
// not verify is not vouched for by the new key.
func TestResignRefusesForgedCheckpoint(t *testing.T) {
	v1 := newEdSigner(t).priv
	m := newMemChain(t, keyring{1: v1}, 10, 3, 6)
	m.cps[1].Hash = bytes.Repeat([]byte{7}, 32) // someone rewrote history at 6
	both := keyring{1: v1, 2: newEdSigner(t).priv}
	n, err := audit.Resign(t.Context(), m, both, 2)
	if err == nil || !strings.Contains(err.Error(), "checkpoint at event 6 does not verify") {
		t.Errorf("Resign over a forged checkpoint = %d, %v; want a refusal naming event 6", n, err)
	}
	if m.cps[1].KeyVersion != 1 {
		t.Error("the forged checkpoint was signed with the new key")
	}
}
