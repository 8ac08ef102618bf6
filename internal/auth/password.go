package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id cost parameters.
//
// Production code uses DefaultPasswordParams or stronger; lower values exist
// only so that tests run fast.
type PasswordParams struct {
	Time      uint32 // passes over memory (t)
	MemoryKiB uint32 // memory in KiB (m)
	Threads   uint8  // lanes (p); part of the hash, so changing it needs a rehash
	KeyLen    uint32 // length of the derived key in bytes
	SaltLen   uint32 // length of the random salt in bytes
}

// DefaultPasswordParams is the OWASP minimum for argon2id (19 MiB, 2 passes,
// 1 lane). Never lower it: hashes stored with weaker parameters are only
// upgraded (see VerifyPassword's needsRehash), never downgraded.
var DefaultPasswordParams = PasswordParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// Bounds on parameters, applied both when hashing and when decoding a stored
// hash. The upper bounds are far above any sane setting; they stop a damaged
// or tampered row from making one login allocate terabytes or run for hours.
const (
	minPasswordHashSaltLen   = 8  // RFC 9106 minimum
	minPasswordHashKeyLen    = 16 // 128-bit tag
	maxPasswordHashLen       = 1024
	maxPasswordHashTime      = 1 << 10
	maxPasswordHashMemoryKiB = 4 << 20 // 4 GiB
)

// passwordHashVersion is the only argon2 version this package writes and
// accepts (0x13, written as v=19).
var passwordHashVersion = "v=" + strconv.Itoa(argon2.Version)

// ErrMalformedPasswordHash is wrapped by every VerifyPassword error: the
// stored string is not an argon2id v=19 PHC string this package can check.
// It never means that the password was wrong.
var ErrMalformedPasswordHash = errors.New("auth: malformed password hash")

// Validate reports whether p can be used to hash and later verify passwords.
// It checks shape (non-zero, within argon2's and this package's bounds), not
// strength: compare with DefaultPasswordParams for that.
func (p PasswordParams) Validate() error {
	if problem := p.problem(); problem != "" {
		return fmt.Errorf("auth: invalid password params: %s", problem)
	}
	return nil
}

func (p PasswordParams) problem() string {
	switch {
	case p.Time < 1 || p.Time > maxPasswordHashTime:
		return fmt.Sprintf("time %d is outside 1..%d", p.Time, maxPasswordHashTime)
	case p.Threads < 1:
		return "threads must be at least 1"
	// argon2 silently raises memory below 8 KiB per lane, which would make
	// the m= written into the hash a lie.
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxPasswordHashMemoryKiB:
		return fmt.Sprintf("memory %d KiB is outside %d..%d for %d threads",
			p.MemoryKiB, 8*uint32(p.Threads), maxPasswordHashMemoryKiB, p.Threads)
	case p.KeyLen < minPasswordHashKeyLen || p.KeyLen > maxPasswordHashLen:
		return fmt.Sprintf("key length %d is outside %d..%d", p.KeyLen, minPasswordHashKeyLen, maxPasswordHashLen)
	case p.SaltLen < minPasswordHashSaltLen || p.SaltLen > maxPasswordHashLen:
		return fmt.Sprintf("salt length %d is outside %d..%d", p.SaltLen, minPasswordHashSaltLen, maxPasswordHashLen)
	}
	return ""
}

// weakerThan reports whether any cost in p is below the same cost in want.
func (p PasswordParams) weakerThan(want PasswordParams) bool {
	return p.Time < want.Time ||
		p.MemoryKiB < want.MemoryKiB ||
		p.Threads < want.Threads ||
		p.KeyLen < want.KeyLen ||
		p.SaltLen < want.SaltLen
}

// HashPassword hashes password with argon2id and a fresh random salt and
// returns it as a PHC string, the format of the reference implementation:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in standard base64 without padding. The whole password
// is hashed, whatever its length or content; policy (length, common
// passwords) is CheckPassword's job, done before a new password is accepted.
// The error is non-nil only for invalid params.
func HashPassword(password string, p PasswordParams) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return encodePasswordHash(p, salt, key), nil
}

func encodePasswordHash(p PasswordParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$%s$m=%d,t=%d,p=%d$%s$%s",
		passwordHashVersion, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches encoded, a string made by
// HashPassword (or by the argon2 reference implementation with argon2id,
// v=19). The key comparison takes constant time.
//
// needsRehash is true only when ok is true and the stored parameters are
// below want in any of time, memory, threads, key length or salt length; the
// caller should then store HashPassword(password, want) in place of encoded.
//
// err is non-nil, wrapping ErrMalformedPasswordHash, only when encoded cannot
// be parsed; a wrong password gives ok == false and err == nil. Errors never
// contain the password, salt or hash.
func VerifyPassword(encoded, password string, want PasswordParams) (ok, needsRehash bool, err error) {
	stored, salt, key, err := decodePasswordHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, stored.Time, stored.MemoryKiB, stored.Threads, stored.KeyLen)
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, stored.weakerThan(want), nil
}

// decodePasswordHash parses a PHC string strictly: exactly the fields, order
// and canonical encodings that encodePasswordHash writes.
func decodePasswordHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	malformed := func(what string) error {
		return fmt.Errorf("%w: %s", ErrMalformedPasswordHash, what)
	}
	// The base64 decoder skips CR and LF; a stored hash never holds them.
	if strings.ContainsAny(encoded, "\r\n") {
		return p, nil, nil, malformed("contains a line break")
	}
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return p, nil, nil, malformed("want 5 fields: $argon2id$v=19$m=,t=,p=$salt$hash")
	}
	if fields[1] != "argon2id" {
		return p, nil, nil, malformed("algorithm is not argon2id")
	}
	if fields[2] != passwordHashVersion {
		return p, nil, nil, malformed("version is not " + passwordHashVersion)
	}

	costs := strings.Split(fields[3], ",")
	if len(costs) != 3 {
		return p, nil, nil, malformed("parameters are not m=,t=,p=")
	}
	var values [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, found := strings.CutPrefix(costs[i], name)
		v, ok := parsePasswordHashDecimal(digits)
		if !found || !ok {
			return p, nil, nil, malformed("parameters are not m=,t=,p=")
		}
		values[i] = v
	}
	if values[2] > 255 { // before the uint8 conversion; problem() checks the rest
		return p, nil, nil, malformed("threads out of range")
	}

	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(fields[4]); err != nil {
		return p, nil, nil, malformed("salt is not unpadded base64")
	}
	if key, err = b64.DecodeString(fields[5]); err != nil {
		return p, nil, nil, malformed("hash is not unpadded base64")
	}

	p = PasswordParams{
		MemoryKiB: uint32(values[0]),
		Time:      uint32(values[1]),
		Threads:   uint8(values[2]),
		KeyLen:    uint32(len(key)),
		SaltLen:   uint32(len(salt)),
	}
	if problem := p.problem(); problem != "" {
		return PasswordParams{}, nil, nil, malformed(problem)
	}
	return p, salt, key, nil
}

// parsePasswordHashDecimal parses a canonical PHC decimal: digits only, no
// sign, no leading zero.
func parsePasswordHashDecimal(s string) (uint64, bool) {
	if len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return v, err == nil
}

// Password length limits, counted in characters (runes), not bytes. There
// are no composition rules (NIST SP 800-63B), and nothing is ever truncated.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 1024
)

// PasswordPolicyError is the error CheckPassword returns for a password that
// may not be used. Reason is a plain sentence that is safe to show the user.
type PasswordPolicyError struct {
	Reason string
}

func (e *PasswordPolicyError) Error() string { return e.Reason }

// User-facing reasons; tests compare against these.
var (
	reasonPasswordInvalidUTF8 = "password is not valid UTF-8 text"
	reasonPasswordTooShort    = fmt.Sprintf("password must be at least %d characters long", MinPasswordLen)
	reasonPasswordTooLong     = fmt.Sprintf("password must be at most %d characters long", MaxPasswordLen)
	reasonPasswordTooCommon   = "this password is too common; choose one that is not on lists of leaked passwords"
	reasonPasswordBreached    = "this password has appeared in a data breach, so attackers try it; choose another"
)

// CheckPassword reports whether password may be set as a new password: valid
// UTF-8, MinPasswordLen to MaxPasswordLen characters, and not in the bundled
// list of common passwords (compared case-insensitively, and also after
// trimming surrounding whitespace). It returns nil or a *PasswordPolicyError.
//
// It knows nothing of the account or the instance: the Service checks new
// passwords with checkNewPassword, which adds context-specific words and
// the operator's breached-password list.
//
// The first call loads the list (about 141,000 entries); CheckPassword is
// safe for concurrent use.
func CheckPassword(password string) error {
	if !utf8.ValidString(password) {
		return &PasswordPolicyError{Reason: reasonPasswordInvalidUTF8}
	}
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		return &PasswordPolicyError{Reason: reasonPasswordTooShort}
	case n > MaxPasswordLen:
		return &PasswordPolicyError{Reason: reasonPasswordTooLong}
	}
	folded := strings.ToLower(password)
	common := commonPasswords()
	if _, found := common[folded]; found {
		return &PasswordPolicyError{Reason: reasonPasswordTooCommon}
	}
	if _, found := common[strings.TrimSpace(folded)]; found {
		return &PasswordPolicyError{Reason: reasonPasswordTooCommon}
	}
	return nil
}

// commonPasswordsFile is the zxcvbn password frequency list followed by every
// other entry of at least MinPasswordLen characters of the Xato top-million
// list, lowercased, one per line; commonpasswords.SOURCE says where it comes
// from and how to regenerate it.
//
//go:embed commonpasswords.txt
var commonPasswordsFile string

// commonPasswords returns the set of lowercased common passwords, built on
// first use. The keys share memory with the embedded file.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(commonPasswordsFile, "\n"))
	for line := range strings.Lines(commonPasswordsFile) {
		if entry := strings.TrimRight(line, "\r\n"); entry != "" {
			set[entry] = struct{}{}
		}
	}
	return set
})

// checkNewPassword is the whole policy for a new password of u, who need
// not exist yet (Email and Name are enough; with neither, only the
// instance's words count): CheckPassword, then the context-specific words
// (contextwords.go), then the operator's breached-password list, if any
// (breached.go). It returns nil, a *PasswordPolicyError, or an error
// reading the breached-password list.
func (s *Service) checkNewPassword(password string, u User) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	if err := checkContextWords(password, s.contextWords(u)); err != nil {
		return err
	}
	if s.cfg.BreachedPasswords == nil {
		return nil
	}
	found, err := s.cfg.BreachedPasswords.Contains(password)
	if err != nil {
		return fmt.Errorf("auth: check password: %w", err)
	}
	if found {
		return &PasswordPolicyError{Reason: reasonPasswordBreached}
	}
	return nil
}

// checkNewPasswordOf is checkNewPassword for the existing account userID.
func (s *Service) checkNewPasswordOf(ctx context.Context, userID, password string) error {
	if err := CheckPassword(password); err != nil {
		return err // no need to read the account
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("auth: check password: %w", err)
	}
	return s.checkNewPassword(password, u)
}
