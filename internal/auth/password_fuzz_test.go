package auth

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecodePasswordHash feeds arbitrary strings to the parser of stored
// password hashes (a damaged or tampered users row). Properties: it never
// panics; it accepts only the canonical form, so what it accepts re-encodes
// to exactly the same string and has valid parameters; every refusal wraps
// ErrMalformedPasswordHash and repeats neither the salt nor the hash field;
// and VerifyPassword gives the same verdict as the parser (checked only
// where the parameters are cheap enough to run argon2 in a fuzz loop).
func FuzzDecodePasswordHash(f *testing.F) {
	for _, p := range []PasswordParams{cheapFuzzParams, {Time: 3, MemoryKiB: 32, Threads: 4, KeyLen: 16, SaltLen: 8}} {
		h, err := HashPassword("violet darkroom lamp 42", p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(h)
	}
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$v=19$m=064,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$v=19$m=4294967295,t=1,p=256$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHQ=$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := decodePasswordHash(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedPasswordHash) {
				t.Fatalf("decodePasswordHash(%q) error %v; want it to wrap ErrMalformedPasswordHash", encoded, err)
			}
			if fields := strings.Split(encoded, "$"); len(fields) == 6 {
				for _, secret := range fields[4:] {
					if len(secret) >= 8 && strings.Contains(err.Error(), secret) {
						t.Errorf("decodePasswordHash(%q) error %q repeats the field %q", encoded, err, secret)
					}
				}
			}
			if _, _, verr := VerifyPassword(encoded, "x", cheapFuzzParams); verr == nil {
				t.Errorf("VerifyPassword(%q) error nil; the parser refused it with %v", encoded, err)
			}
			return
		}
		if problem := p.problem(); problem != "" {
			t.Errorf("decodePasswordHash(%q) params %+v: %s", encoded, p, problem)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
			t.Errorf("decodePasswordHash(%q) = %+v with %d-byte salt and %d-byte key", encoded, p, len(salt), len(key))
		}
		if again := encodePasswordHash(p, salt, key); again != encoded {
			t.Errorf("decodePasswordHash(%q) accepted a non-canonical hash; it re-encodes as %q", encoded, again)
		}
		if uint64(p.MemoryKiB)*uint64(p.Time) <= 1<<12 {
			if _, _, err := VerifyPassword(encoded, "x", cheapFuzzParams); err != nil {
				t.Errorf("VerifyPassword(%q) = %v; the parser accepted it", encoded, err)
			}
		}
	})
}

// cheapFuzzParams keep argon2 fast enough to run once per fuzz input.
var cheapFuzzParams = PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
