// Package webauthntest is a software WebAuthn authenticator for tests: it
// answers the options a relying party sends for navigator.credentials
// .create and .get the way a browser and a platform authenticator would
// (ECDSA P-256 keys, attestation format "none"), with knobs to misbehave
// (wrong origin, counter going back). Only tests import it.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

var b64 = base64.RawURLEncoding

// Authenticator holds discoverable credentials and answers ceremonies as
// a browser at Origin would. Not safe for concurrent use.
type Authenticator struct {
	// Origin is what the "browser" puts into clientDataJSON.
	Origin string
	// AAGUID identifies the authenticator model (zero for "none").
	AAGUID [16]byte
	// Synced makes new credentials backup eligible and backed up (BE|BS),
	// as a synced passkey provider's are.
	Synced bool
	// Credentials are the created credentials, oldest first.
	Credentials []*Credential
}

// Credential is one key pair the authenticator made.
type Credential struct {
	ID         []byte
	UserHandle []byte
	RPID       string
	Key        *ecdsa.PrivateKey
	// SignCount is the counter of the last signature; Get increments it
	// first unless it is 0 and StaticCounter is set (synced passkeys).
	SignCount     uint32
	StaticCounter bool
	BE, BS        bool
	// NoUV answers without user verification.
	NoUV bool
}

// New returns an authenticator in a browser at origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) flags(c *Credential) byte {
	f := byte(flagUP)
	if !c.NoUV {
		f |= flagUV
	}
	if c.BE {
		f |= flagBE
	}
	if c.BS {
		f |= flagBS
	}
	return f
}

// Create answers a registration (the JSON a begin endpoint returned,
// with "publicKey") with a new credential, and returns the
// PublicKeyCredential as JSON with base64url fields, and the credential.
func (a *Authenticator) Create(optionsJSON []byte) ([]byte, *Credential, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, nil, fmt.Errorf("webauthntest: options: %w", err)
	}
	user, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthntest: user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: make([]byte, 32), UserHandle: user, RPID: o.PublicKey.RP.ID, Key: key, BE: a.Synced, BS: a.Synced, StaticCounter: a.Synced}
	rand.Read(c.ID)
	ecdh, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	raw := ecdh.Bytes() // 0x04 || X || Y
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, nil, err
	}
	rpHash := sha256.Sum256([]byte(c.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(c)|flagAT)
	auth = binary.BigEndian.AppendUint32(auth, c.SignCount)
	auth = append(auth, a.AAGUID[:]...)
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(c.ID)))
	auth = append(auth, c.ID...)
	auth = append(auth, cose...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	cdj := clientData("webauthn.create", o.PublicKey.Challenge, a.Origin)
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cdj), "attestationObject": b64.EncodeToString(att),
			"transports": []string{"internal", "hybrid"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	a.Credentials = append(a.Credentials, c)
	return out, c, nil
}

// Get answers an assertion request with credential c (whatever the
// request allows, so tests can offer the wrong one) and returns the
// PublicKeyCredential as JSON.
func (a *Authenticator) Get(optionsJSON []byte, c *Credential) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("webauthntest: options: %w", err)
	}
	if !(c.StaticCounter && c.SignCount == 0) {
		c.SignCount++
	}
	return a.sign(o.PublicKey.Challenge, c, c.SignCount)
}

// GetWithCount is Get with the counter set to count (which is kept).
func (a *Authenticator) GetWithCount(optionsJSON []byte, c *Credential, count uint32) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("webauthntest: options: %w", err)
	}
	c.SignCount = count
	return a.sign(o.PublicKey.Challenge, c, count)
}

func (a *Authenticator) sign(challenge string, c *Credential, count uint32) ([]byte, error) {
	rpHash := sha256.Sum256([]byte(c.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(c))
	auth = binary.BigEndian.AppendUint32(auth, count)
	cdj := clientData("webauthn.get", challenge, a.Origin)
	h := sha256.Sum256(cdj)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cdj), "authenticatorData": b64.EncodeToString(auth),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(c.UserHandle),
		},
	})
}
