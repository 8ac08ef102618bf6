package keys

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// checkpointKeyInfo is the HKDF info that derives, from a root key
// version, the Ed25519 seed that signs audit checkpoints. Anyone who can
// write to the database but does not hold the root key file cannot make a
// signature that verifies.
const checkpointKeyInfo = "safelight audit checkpoint v1"

// ErrBadSignature is returned (wrapped) by VerifyCheckpoint when a
// signature does not verify or names a root key version this key lacks.
var ErrBadSignature = errors.New("keys: bad signature")

// deriveCheckpointKey returns the checkpoint signing key of one root key
// version: Ed25519 from the seed HKDF-SHA256(root key, no salt, info).
func deriveCheckpointKey(root []byte) (ed25519.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, root, nil, checkpointKeyInfo, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed), nil
}

// SignCheckpoint signs msg with the checkpoint key of the current root key
// version and returns that version. It implements audit.Signer.
func (k *FileRootKey) SignCheckpoint(msg []byte) (version int, sig []byte, err error) {
	return k.current, ed25519.Sign(k.checkpointKeys[k.current], msg), nil
}

// VerifyCheckpoint checks that sig is the signature of msg by the
// checkpoint key of root key version. It implements audit.Signer; its
// errors wrap ErrBadSignature.
func (k *FileRootKey) VerifyCheckpoint(version int, msg, sig []byte) error {
	priv, ok := k.checkpointKeys[version]
	if !ok {
		return fmt.Errorf("%w: unknown root key version %d", ErrBadSignature, version)
	}
	if !ed25519.Verify(priv.Public().(ed25519.PublicKey), msg, sig) {
		return fmt.Errorf("%w: signature does not verify", ErrBadSignature)
	}
	return nil
}
