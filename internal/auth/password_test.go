package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// testPasswordParams are cheap parameters for tests that are not about the
// default costs: 64 KiB and one pass take well under a millisecond.
var testPasswordParams = PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}

func mustHashPassword(t *testing.T, password string, p PasswordParams) string {
	t.Helper()
	encoded, err := HashPassword(password, p)
	if err != nil {
		t.Fatalf("HashPassword(%q, %+v) error = %v; want nil", password, p, err)
	}
	return encoded
}

func TestDefaultPasswordParamsAreAtLeastOWASPMinimum(t *testing.T) {
	// OWASP Password Storage Cheat Sheet, argon2id minimum configuration.
	owasp := PasswordParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}
	if DefaultPasswordParams.weakerThan(owasp) {
		t.Errorf("DefaultPasswordParams = %+v; want at least %+v", DefaultPasswordParams, owasp)
	}
	if err := DefaultPasswordParams.Validate(); err != nil {
		t.Errorf("DefaultPasswordParams.Validate() = %v; want nil", err)
	}
}

// TestHashPasswordDefaultParamsFormat is the one test that pays for the
// default 19 MiB cost.
func TestHashPasswordDefaultParamsFormat(t *testing.T) {
	const password = "a long enough passphrase"
	encoded := mustHashPassword(t, password, DefaultPasswordParams)

	// 16-byte salt and 32-byte key in unpadded standard base64: 22 and 43 chars.
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(encoded) {
		t.Errorf("HashPassword(%q, DefaultPasswordParams) = %q; want match for %s", password, encoded, format)
	}

	got, salt, key, err := decodePasswordHash(encoded)
	if err != nil {
		t.Fatalf("decodePasswordHash(%q) error = %v; want nil", encoded, err)
	}
	if got != DefaultPasswordParams {
		t.Errorf("decodePasswordHash(%q) params = %+v; want %+v", encoded, got, DefaultPasswordParams)
	}
	if len(salt) != 16 || len(key) != 32 {
		t.Errorf("decodePasswordHash(%q) salt, key lengths = %d, %d; want 16, 32", encoded, len(salt), len(key))
	}

	ok, needsRehash, err := VerifyPassword(encoded, password, DefaultPasswordParams)
	if !ok || needsRehash || err != nil {
		t.Errorf("VerifyPassword(%q, %q, DefaultPasswordParams) = %v, %v, %v; want true, false, nil",
			encoded, password, ok, needsRehash, err)
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	for _, password := range []string{
		"correct horse battery staple",
		"",
		"日本語のパスフレーズです",
		"with\x00nul and \t tab",
		"  surrounding spaces  ",
	} {
		t.Run(password, func(t *testing.T) {
			encoded := mustHashPassword(t, password, testPasswordParams)
			ok, needsRehash, err := VerifyPassword(encoded, password, testPasswordParams)
			if !ok || needsRehash || err != nil {
				t.Errorf("VerifyPassword(%q, %q) = %v, %v, %v; want true, false, nil", encoded, password, ok, needsRehash, err)
			}
		})
	}
}

func TestVerifyPasswordWrongPassword(t *testing.T) {
	const password = "correct horse battery staple"
	encoded := mustHashPassword(t, password, testPasswordParams)
	for _, wrong := range []string{
		"",
		"correct horse battery stapl",
		"correct horse battery staple ",
		" correct horse battery staple",
		"Correct horse battery staple",
		"correct horse battery staplf",
	} {
		t.Run(wrong, func(t *testing.T) {
			ok, needsRehash, err := VerifyPassword(encoded, wrong, testPasswordParams)
			if ok || needsRehash || err != nil {
				t.Errorf("VerifyPassword(%q, %q) = %v, %v, %v; want false, false, nil", encoded, wrong, ok, needsRehash, err)
			}
		})
	}
}

// TestVerifyPasswordReferenceVector checks compatibility with the argon2
// reference implementation (phc-winner-argon2, Debian package argon2):
//
//	echo -n "correct horse battery staple" | argon2 safelightsalt16 -id -t 2 -k 1024 -p 2 -l 32 -e
func TestVerifyPasswordReferenceVector(t *testing.T) {
	const (
		password  = "correct horse battery staple"
		reference = "$argon2id$v=19$m=1024,t=2,p=2$c2FmZWxpZ2h0c2FsdDE2$giOc/WXkDKpUzxT07fGaA6oI4942ZI5wvhgF8oAjW/Q"
	)
	stored := PasswordParams{Time: 2, MemoryKiB: 1024, Threads: 2, KeyLen: 32, SaltLen: 15}

	salt := []byte("safelightsalt16")
	key := argon2.IDKey([]byte(password), salt, stored.Time, stored.MemoryKiB, stored.Threads, stored.KeyLen)
	if got := encodePasswordHash(stored, salt, key); got != reference {
		t.Errorf("encodePasswordHash(%+v, %q, key) = %q; want %q", stored, salt, got, reference)
	}

	ok, needsRehash, err := VerifyPassword(reference, password, stored)
	if !ok || needsRehash || err != nil {
		t.Errorf("VerifyPassword(reference, %q, %+v) = %v, %v, %v; want true, false, nil", password, stored, ok, needsRehash, err)
	}
}

func TestVerifyPasswordNeedsRehash(t *testing.T) {
	const password = "correct horse battery staple"
	stored := PasswordParams{Time: 2, MemoryKiB: 128, Threads: 2, KeyLen: 32, SaltLen: 16}
	encoded := mustHashPassword(t, password, stored)

	with := func(change func(*PasswordParams)) PasswordParams {
		p := stored
		change(&p)
		return p
	}
	tests := []struct {
		name string
		want PasswordParams
		ok   bool
		re   bool
	}{
		{"equal", stored, true, false},
		{"want more time", with(func(p *PasswordParams) { p.Time++ }), true, true},
		{"want more memory", with(func(p *PasswordParams) { p.MemoryKiB *= 2 }), true, true},
		{"want more threads", with(func(p *PasswordParams) { p.Threads++ }), true, true},
		{"want longer key", with(func(p *PasswordParams) { p.KeyLen++ }), true, true},
		{"want longer salt", with(func(p *PasswordParams) { p.SaltLen++ }), true, true},
		{"want less time", with(func(p *PasswordParams) { p.Time-- }), true, false},
		{"want less memory", with(func(p *PasswordParams) { p.MemoryKiB /= 2 }), true, false},
		{"want less of everything", testPasswordParams, true, false},
		{"defaults", DefaultPasswordParams, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := VerifyPassword(encoded, password, tt.want)
			if ok != tt.ok || needsRehash != tt.re || err != nil {
				t.Errorf("VerifyPassword(%q, %q, %+v) = %v, %v, %v; want %v, %v, nil",
					encoded, password, tt.want, ok, needsRehash, err, tt.ok, tt.re)
			}
		})
	}

	t.Run("wrong password never asks for a rehash", func(t *testing.T) {
		ok, needsRehash, err := VerifyPassword(encoded, "not the password", DefaultPasswordParams)
		if ok || needsRehash || err != nil {
			t.Errorf("VerifyPassword(%q, wrong, DefaultPasswordParams) = %v, %v, %v; want false, false, nil",
				encoded, ok, needsRehash, err)
		}
	})
}

func TestVerifyPasswordMalformed(t *testing.T) {
	const password = "correct horse battery staple"
	// A fixed, valid hash of password (m=64,t=1,p=1, 16-byte salt, 32-byte key)
	// from which each case changes one field.
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(password), salt, 1, 64, 1, 32)
	valid := encodePasswordHash(testPasswordParams, salt, key)
	fields := strings.Split(valid, "$") // "", alg, version, costs, salt, key
	with := func(i int, value string) string {
		f := append([]string(nil), fields...)
		f[i] = value
		return strings.Join(f, "$")
	}
	// The baseline must verify, or every case below would pass for the wrong reason.
	if ok, _, err := VerifyPassword(valid, password, testPasswordParams); !ok || err != nil {
		t.Fatalf("VerifyPassword(%q, %q) = %v, _, %v; want true, _, nil", valid, password, ok, err)
	}

	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"algorithm only", "$argon2id"},
		{"missing hash", strings.Join(fields[:5], "$")},
		{"missing salt and hash", strings.Join(fields[:4], "$")},
		{"missing version", strings.Join([]string{"", fields[1], fields[3], fields[4], fields[5]}, "$")},
		{"extra field", valid + "$AAAA"},
		{"no leading dollar", strings.TrimPrefix(valid, "$")},
		{"text before leading dollar", "x" + valid},
		{"argon2i", with(1, "argon2i")},
		{"argon2d", with(1, "argon2d")},
		{"bcrypt", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"upper-case algorithm", with(1, "ARGON2ID")},
		{"version 16", with(2, "v=16")},
		{"version 20", with(2, "v=20")},
		{"version without v=", with(2, "19")},
		{"costs out of order", with(3, "t=1,m=64,p=1")},
		{"costs missing p", with(3, "m=64,t=1")},
		{"costs extra field", with(3, "m=64,t=1,p=1,data=abc")},
		{"cost not a number", with(3, "m=64,t=one,p=1")},
		{"cost empty", with(3, "m=,t=1,p=1")},
		{"cost with sign", with(3, "m=+64,t=1,p=1")},
		{"cost with leading zero", with(3, "m=064,t=1,p=1")},
		{"cost negative", with(3, "m=64,t=-1,p=1")},
		{"time zero", with(3, "m=64,t=0,p=1")},
		{"threads zero", with(3, "m=64,t=1,p=0")},
		{"threads above 255", with(3, "m=4096,t=1,p=257")}, // 257 wraps to 1 in a uint8
		{"memory below 8 KiB per thread", with(3, "m=15,t=1,p=2")},
		{"memory above 32 bits", with(3, "m=4294967296,t=1,p=1")},
		{"memory above 4 GiB", with(3, "m=4194305,t=1,p=1")},
		{"time above cap", with(3, "m=64,t=1025,p=1")},
		{"salt bad base64", with(4, "!!not*base64!!")},
		{"salt padded", with(4, fields[4]+"==")},
		{"salt non-canonical last char", with(4, fields[4][:len(fields[4])-1]+"x")},
		{"salt with line break", with(4, fields[4][:8]+"\n"+fields[4][8:])},
		{"salt URL alphabet", with(4, "ab-_"+fields[4][4:])},
		{"salt empty", with(4, "")},
		{"salt too short", with(4, "c2hvcnQ")}, // "short"
		{"hash bad base64", with(5, "%%%%")},
		{"hash padded", with(5, fields[5]+"=")},
		{"hash empty", with(5, "")},
		{"hash too short", with(5, "AAAAAAAAAAA")}, // 8 bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := VerifyPassword(tt.encoded, password, testPasswordParams)
			if ok || needsRehash || !errors.Is(err, ErrMalformedPasswordHash) {
				t.Errorf("VerifyPassword(%q, %q) = %v, %v, %v; want false, false, %v",
					tt.encoded, password, ok, needsRehash, err, ErrMalformedPasswordHash)
			}
			if err != nil && strings.Contains(err.Error(), password) {
				t.Errorf("VerifyPassword(%q, %q) error = %q; want no password in it", tt.encoded, password, err)
			}
		})
	}
}

func TestHashPasswordRandomSalt(t *testing.T) {
	const password = "correct horse battery staple"
	seen := map[string]bool{}
	for range 4 {
		encoded := mustHashPassword(t, password, testPasswordParams)
		if seen[encoded] {
			t.Fatalf("HashPassword(%q) = %q twice; want a fresh salt each time", password, encoded)
		}
		seen[encoded] = true
	}
	salts := map[string]bool{}
	for encoded := range seen {
		salts[strings.Split(encoded, "$")[4]] = true
	}
	if len(salts) != len(seen) {
		t.Errorf("HashPassword(%q) gave %d distinct salts in %d hashes; want %d", password, len(salts), len(seen), len(seen))
	}
}

func TestHashPasswordNoTruncation(t *testing.T) {
	long := strings.Repeat("é", MaxPasswordLen-1) // 1023 runes, 2046 bytes
	tests := []struct {
		name string
		a, b string
	}{
		{"last of 1024 runes", long + "a", long + "b"},
		{"last of 200 characters", strings.Repeat("x", 199) + "1", strings.Repeat("x", 199) + "2"},
		{"one more character after 200", strings.Repeat("x", 200), strings.Repeat("x", 201)},
		// bcrypt stops at 72 bytes; make sure nothing of the sort happens here.
		{"after 72 bytes", strings.Repeat("y", 72) + "a", strings.Repeat("y", 72) + "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded := mustHashPassword(t, tt.a, testPasswordParams)
			if ok, _, err := VerifyPassword(encoded, tt.a, testPasswordParams); !ok || err != nil {
				t.Errorf("VerifyPassword(hash of a, a) = %v, _, %v; want true, _, nil", ok, err)
			}
			if ok, _, err := VerifyPassword(encoded, tt.b, testPasswordParams); ok || err != nil {
				t.Errorf("VerifyPassword(hash of a, b) = %v, _, %v; want false, _, nil (a and b differ only at the end)", ok, err)
			}
		})
	}
}

func TestHashPasswordInvalidParams(t *testing.T) {
	with := func(change func(*PasswordParams)) PasswordParams {
		p := testPasswordParams
		change(&p)
		return p
	}
	tests := []struct {
		name string
		p    PasswordParams
	}{
		{"zero", PasswordParams{}},
		{"time zero", with(func(p *PasswordParams) { p.Time = 0 })},
		{"threads zero", with(func(p *PasswordParams) { p.Threads = 0 })},
		{"memory below 8 KiB per thread", with(func(p *PasswordParams) { p.Threads = 9; p.MemoryKiB = 71 })},
		{"memory above 4 GiB", with(func(p *PasswordParams) { p.MemoryKiB = 4<<20 + 1 })},
		{"key too short", with(func(p *PasswordParams) { p.KeyLen = 15 })},
		{"key too long", with(func(p *PasswordParams) { p.KeyLen = 1025 })},
		{"salt too short", with(func(p *PasswordParams) { p.SaltLen = 7 })},
		{"salt too long", with(func(p *PasswordParams) { p.SaltLen = 1025 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := HashPassword("correct horse battery staple", tt.p); got != "" || err == nil {
				t.Errorf("HashPassword(_, %+v) = %q, %v; want \"\", an error", tt.p, got, err)
			}
		})
	}
	// The smallest accepted values must still hash, so the bounds above are tight.
	smallest := PasswordParams{Time: 1, MemoryKiB: 72, Threads: 9, KeyLen: 16, SaltLen: 8}
	if _, err := HashPassword("correct horse battery staple", smallest); err != nil {
		t.Errorf("HashPassword(_, %+v) error = %v; want nil", smallest, err)
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		want     string // reason; "" for accepted
	}{
		{"empty", "", reasonPasswordTooShort},
		{"9 runes", "ab3de6gh9", reasonPasswordTooShort},
		{"10 runes", "ab3de6gh9j", ""},
		{"9 multi-byte runes (27 bytes)", "日本語日本語日本語", reasonPasswordTooShort},
		{"10 multi-byte runes (20 bytes)", "éàüöäçñßøå", ""},
		{"10 emoji (40 bytes)", strings.Repeat("🔒", 9) + "📷", ""},
		{"1024 runes", strings.Repeat("é", MaxPasswordLen), ""},
		{"1025 runes", strings.Repeat("é", MaxPasswordLen+1), reasonPasswordTooLong},
		{"1025 ASCII", strings.Repeat("k", MaxPasswordLen+1), reasonPasswordTooLong},
		{"invalid UTF-8", "valid start \xff\xfe then junk", reasonPasswordInvalidUTF8},
		{"truncated rune", "long enough but \xe6\x97", reasonPasswordInvalidUTF8},
		{"common, 10 chars", "1234567890", reasonPasswordTooCommon},
		{"common, upper case", "QWERTYUIOP", reasonPasswordTooCommon},
		{"common, mixed case", "Password123", reasonPasswordTooCommon},
		{"common, surrounding spaces", "  iloveyou12\t", reasonPasswordTooCommon},
		{"common short entry padded to length", "   password   ", reasonPasswordTooCommon},
		{"common from the top million, not in zxcvbn", "1111111111", reasonPasswordTooCommon},
		{"common from the top million, 11 chars", "1234567890x", reasonPasswordTooCommon},
		{"common with inner change", "1234567890 lamp", ""},
		{"spaces are kept as characters", "ab cd ef gh", ""},
		{"no composition rules", "correct horse battery staple", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.password)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckPassword(%q) = %v; want nil", tt.password, err)
				}
				return
			}
			var policy *PasswordPolicyError
			if !errors.As(err, &policy) || policy.Reason != tt.want || err.Error() != tt.want {
				t.Errorf("CheckPassword(%q) = %#v; want &PasswordPolicyError{Reason: %q}", tt.password, err, tt.want)
			}
		})
	}
}

func TestCommonPasswordList(t *testing.T) {
	set := commonPasswords()
	if len(set) < 140000 {
		t.Errorf("len(commonPasswords()) = %d; want >= 140000", len(set))
	}
	// Entries shorter than MinPasswordLen are refused by length anyway; the
	// list only earns its keep through its longer entries.
	long := 0
	for entry := range set {
		if utf8.RuneCountInString(entry) >= MinPasswordLen {
			long++
		}
	}
	if long < 100000 {
		t.Errorf("commonPasswords() has %d entries of >= %d characters; want >= 100000", long, MinPasswordLen)
	}
	for _, entry := range []string{"1234567890", "qwertyuiop", "password123", "iloveyou12", "password"} {
		if _, found := set[entry]; !found {
			t.Errorf("commonPasswords()[%q] missing; want present", entry)
		}
	}
}

// TestCommonPasswordListCoversPolicyLength is ASVS V6.2.4: at least the top
// 3,000 common passwords that the length policy would otherwise accept are
// refused. The list holds every entry of MinPasswordLen or more characters
// of the Xato top million, so it holds that corpus's top 3,000 of them.
func TestCommonPasswordListCoversPolicyLength(t *testing.T) {
	long := 0
	for entry := range commonPasswords() {
		if utf8.RuneCountInString(entry) >= MinPasswordLen {
			long++
		}
	}
	if long < 3000 {
		t.Errorf("commonPasswords() has %d entries of >= %d characters; want >= 3000", long, MinPasswordLen)
	}
	// The most common long entries of the top million, which zxcvbn's list
	// left out (it drops what its sequence and repeat matchers find), and
	// entries from far down the million.
	for _, password := range []string{
		"1111111111", "0987654321", "0123456789", "1234512345", "qwertyqwerty",
		"creditcard", "ctvyflwfnm", "vjht123jltccf", "Basketball", "  9876543210 ",
	} {
		var policy *PasswordPolicyError
		if err := CheckPassword(password); !errors.As(err, &policy) || policy.Reason != reasonPasswordTooCommon {
			t.Errorf("CheckPassword(%q) = %v; want %q", password, err, reasonPasswordTooCommon)
		}
	}
}

// TestCommonPasswordListIsNormalized guards the file's format, which
// CheckPassword's lookup relies on.
func TestCommonPasswordListIsNormalized(t *testing.T) {
	if !strings.HasSuffix(commonPasswordsFile, "\n") {
		t.Errorf("commonpasswords.txt does not end in a newline")
	}
	seen := make(map[string]int)
	for i, line := range strings.Split(strings.TrimSuffix(commonPasswordsFile, "\n"), "\n") {
		n := i + 1
		switch {
		case line == "":
			t.Errorf("commonpasswords.txt:%d is empty; want one entry per line", n)
		case strings.ToLower(line) != line:
			t.Errorf("commonpasswords.txt:%d = %q; want lower case", n, line)
		case strings.TrimSpace(line) != line:
			t.Errorf("commonpasswords.txt:%d = %q; want no surrounding whitespace", n, line)
		case !utf8.ValidString(line):
			t.Errorf("commonpasswords.txt:%d = %q; want valid UTF-8", n, line)
		case seen[line] != 0:
			t.Errorf("commonpasswords.txt:%d = %q; duplicate of line %d", n, line, seen[line])
		}
		seen[line] = n
	}
}
