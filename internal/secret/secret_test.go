package secret

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	a, ha := New("slk_")
	b, _ := New("slk_")
	if a == b {
		t.Fatal("two secrets are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(a, "slk_"))
	if !strings.HasPrefix(a, "slk_") || err != nil || len(raw) != 32 {
		t.Errorf("secret %q: want slk_ and 256 bits of base64url (%v)", a, err)
	}
	want := sha256.Sum256([]byte(a))
	if !bytes.Equal(ha, want[:]) || !bytes.Equal(Hash(a), ha) {
		t.Error("the hash is not the secret's SHA-256")
	}
}
