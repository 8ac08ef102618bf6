package keys

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"filippo.io/age"
)

// maxValue bounds SealValue and OpenValue: they are for small metadata
// (file names, GPS positions, captions), not for content.
const maxValue = 1 << 20

// SealValue encrypts a small value (at most 1 MiB) to ownerID, as an age
// file held in memory; for sensitive metadata columns such as the original
// file name or a GPS position.
func (s *Sealer) SealValue(ctx context.Context, ownerID string, plaintext []byte) ([]byte, error) {
	if len(plaintext) > maxValue {
		return nil, fmt.Errorf("keys: seal value: %d bytes is over the %d limit", len(plaintext), maxValue)
	}
	rcpt, err := s.keys.Recipient(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keys: seal value: %w", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return nil, fmt.Errorf("keys: seal value: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("keys: seal value: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("keys: seal value: %w", err)
	}
	return buf.Bytes(), nil
}

// OpenValue decrypts what SealValue made for ownerID. A value sealed to
// another owner, or damaged, yields an error wrapping ErrCannotDecrypt.
func (s *Sealer) OpenValue(ctx context.Context, ownerID string, sealed []byte) ([]byte, error) {
	ids, err := s.keys.identities(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keys: open value: %w: %w", ErrCannotDecrypt, err)
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), ageIdentities(ids)...)
	if err != nil {
		return nil, fmt.Errorf("keys: open value: %w: %s", ErrCannotDecrypt, err)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxValue+1))
	if err != nil {
		return nil, fmt.Errorf("keys: open value: %w: %s", ErrCannotDecrypt, err)
	}
	if len(out) > maxValue {
		return nil, fmt.Errorf("keys: open value: %w: over the size limit", ErrCannotDecrypt)
	}
	return out, nil
}

func ageIdentities(ids []*age.X25519Identity) []age.Identity {
	out := make([]age.Identity, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// ContentMAC returns a keyed hash (HMAC-SHA256) private to ownerID, for
// recognizing the same content twice (duplicate uploads) without storing a
// bare content hash that anyone could compare with a known image. The key
// is derived (HKDF-SHA256) from the owner's first key version, so it stays
// the same across key versions and dies with the owner's keys.
func (k *Keyring) ContentMAC(ctx context.Context, ownerID string) (hash.Hash, error) {
	if _, err := k.currentIdentity(ctx, ownerID); err != nil { // creates the first key if needed
		return nil, fmt.Errorf("keys: content mac: %w", err)
	}
	ids, err := k.identities(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keys: content mac: %w", err)
	}
	secret := []byte(ids[len(ids)-1].String())
	key, err := hkdf.Key(sha256.New, secret, nil, "safelight content-mac v1", 32)
	clear(secret)
	if err != nil {
		return nil, fmt.Errorf("keys: content mac: %w", err)
	}
	return hmac.New(sha256.New, key), nil
}
