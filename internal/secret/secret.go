// Package secret makes the bearer secrets Safelight hands out (session,
// token, link, reset and other tokens): 256 random bits, base64url, after
// a short prefix that makes a leaked one recognizable to secret scanners.
// Only the SHA-256 of a secret is stored: with that many random bits a
// fast hash is the right one, and a copy of the database holds nothing a
// client could present.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// New returns a prefixed 256-bit random secret and its hash.
func New(prefix string) (secret string, hash []byte) {
	var b [32]byte
	rand.Read(b[:])
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret)
}

// Hash returns the SHA-256 of secret, as stored.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
