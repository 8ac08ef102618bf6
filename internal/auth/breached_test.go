package auth

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// corpus describes a Pwned Passwords file to write for a test.
type corpus struct {
	hashes   [][sha1.Size]byte // written in this order
	eol      string            // "\n" or "\r\n"
	noFinal  bool              // no line break after the last line
	bom      bool              // a UTF-8 byte order mark first
	rnd      *rand.Rand        // counts of random length; nil: count 1
	lowerHex bool
}

func (c corpus) bytes() []byte {
	var b bytes.Buffer
	if c.bom {
		b.WriteString("\xef\xbb\xbf")
	}
	for i, h := range c.hashes {
		hex := fmt.Sprintf("%X", h[:])
		if c.lowerHex {
			hex = strings.ToLower(hex)
		}
		count := uint64(1)
		if c.rnd != nil {
			// 1 to 20 digits, so that line lengths vary.
			count = c.rnd.Uint64() >> c.rnd.UintN(64)
		}
		fmt.Fprintf(&b, "%s:%d", hex, count)
		if i < len(c.hashes)-1 || !c.noFinal {
			b.WriteString(c.eol)
		}
	}
	return b.Bytes()
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pwned-passwords-sha1-ordered-by-hash.txt")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func openCorpus(t *testing.T, data []byte) *BreachedPasswords {
	t.Helper()
	b, err := OpenBreachedPasswords(writeFile(t, data))
	if err != nil {
		t.Fatalf("OpenBreachedPasswords = %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func randomHashes(rnd *rand.Rand, n int) [][sha1.Size]byte {
	hs := make([][sha1.Size]byte, n)
	for i := range hs {
		for j := range hs[i] {
			hs[i][j] = byte(rnd.UintN(256))
		}
	}
	return hs
}

func sortHashes(hs [][sha1.Size]byte) {
	slices.SortFunc(hs, func(a, b [sha1.Size]byte) int { return bytes.Compare(a[:], b[:]) })
}

// step returns h plus d (±1), as a 160-bit number.
func step(h [sha1.Size]byte, d int) [sha1.Size]byte {
	for i := len(h) - 1; i >= 0; i-- {
		old := h[i]
		h[i] += byte(d)
		if (d > 0 && h[i] > old) || (d < 0 && h[i] < old) {
			break
		}
	}
	return h
}

// TestBreachedPasswordsLookup is ASVS V6.2.12: passwords in a generated
// Pwned Passwords file are found, at its first and last line too, with LF
// and CRLF, and nothing else is.
func TestBreachedPasswordsLookup(t *testing.T) {
	breached := []string{"violet darkroom lamp 43", "Tr0ub4dor&3", "correct horse battery staple", "пароль-пароль", "🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒"}
	var known [][sha1.Size]byte
	for _, p := range breached {
		known = append(known, sha1.Sum([]byte(p)))
	}
	sortHashes(known)
	lowest, highest := known[0], known[len(known)-1]

	for _, tt := range []struct {
		name    string
		eol     string
		noFinal bool
		bom     bool
	}{
		{"LF", "\n", false, false},
		{"CRLF", "\r\n", false, false},
		{"LF, no final line break", "\n", true, false},
		{"CRLF, no final line break", "\r\n", true, false},
		{"CRLF, byte order mark", "\r\n", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, 2))
			// Filler strictly between the lowest and highest known hash, so
			// that those two are the first and the last line.
			var hashes [][sha1.Size]byte
			for _, h := range randomHashes(rnd, 3000) {
				if bytes.Compare(h[:], lowest[:]) > 0 && bytes.Compare(h[:], highest[:]) < 0 {
					hashes = append(hashes, h)
				}
			}
			filler := slices.Clone(hashes)
			hashes = append(hashes, known...)
			sortHashes(hashes)
			data := corpus{hashes: hashes, eol: tt.eol, noFinal: tt.noFinal, bom: tt.bom, rnd: rnd}.bytes()
			b := openCorpus(t, data)

			if hashes[0] != lowest || hashes[len(hashes)-1] != highest {
				t.Fatal("test corpus: the known hashes are not first and last")
			}
			for _, p := range breached {
				if found, err := b.Contains(p); !found || err != nil {
					t.Errorf("Contains(%q) = %v, %v; want true, nil", p, found, err)
				}
			}
			for _, p := range []string{"violet darkroom lamp 44", "tr0ub4dor&3", "Correct horse battery staple", "correct horse battery staple "} {
				if found, err := b.Contains(p); found || err != nil {
					t.Errorf("Contains(%q) = %v, %v; want false, nil", p, found, err)
				}
			}
			for i, h := range filler {
				if found, err := b.containsHash(h); !found || err != nil {
					t.Fatalf("containsHash(filler line %d, %X) = %v, %v; want true, nil", i, h, found, err)
				}
			}
			absent := [][sha1.Size]byte{
				{}, step(lowest, -1), step(lowest, +1), step(highest, -1), step(highest, +1),
				[sha1.Size]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			}
			for _, h := range hashes {
				absent = append(absent, step(h, +1), step(h, -1))
			}
			absent = append(absent, randomHashes(rnd, 2000)...)
			for _, h := range absent {
				if _, in := slices.BinarySearchFunc(hashes, h, func(a, b [sha1.Size]byte) int { return bytes.Compare(a[:], b[:]) }); in {
					continue
				}
				if found, err := b.containsHash(h); found || err != nil {
					t.Fatalf("containsHash(%X) = %v, %v; want false, nil", h, found, err)
				}
			}
		})
	}
}

// TestBreachedPasswordsTinyFiles: the search holds at one and two lines.
func TestBreachedPasswordsTinyFiles(t *testing.T) {
	a, z := sha1.Sum([]byte("first breached password")), sha1.Sum([]byte("second breached password"))
	pair := [][sha1.Size]byte{a, z}
	sortHashes(pair)
	for _, hashes := range [][][sha1.Size]byte{{a}, {z}, pair} {
		for _, eol := range []string{"\n", "\r\n"} {
			for _, noFinal := range []bool{false, true} {
				c := corpus{hashes: hashes, eol: eol, noFinal: noFinal}
				b := openCorpus(t, c.bytes())
				for _, h := range [][sha1.Size]byte{a, z, {}, step(a, 1), step(z, -1)} {
					want := slices.Contains(hashes, h)
					if found, err := b.containsHash(h); found != want || err != nil {
						t.Errorf("%q: containsHash(%X) = %v, %v; want %v, nil", c.bytes(), h, found, err, want)
					}
				}
			}
		}
	}
}

// TestBreachedPasswordsLargeFile searches a file of 200,000 lines (about
// 10 MB), deep enough for every branch of the search to run many times.
func TestBreachedPasswordsLargeFile(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	hashes := randomHashes(rnd, 200_000)
	sortHashes(hashes)
	b := openCorpus(t, corpus{hashes: hashes, eol: "\r\n", rnd: rnd}.bytes())
	for range 3000 {
		i := rnd.IntN(len(hashes))
		if found, err := b.containsHash(hashes[i]); !found || err != nil {
			t.Fatalf("containsHash(line %d) = %v, %v; want true, nil", i, found, err)
		}
		h := step(hashes[i], 1)
		if i+1 < len(hashes) && hashes[i+1] == h {
			continue
		}
		if found, err := b.containsHash(h); found || err != nil {
			t.Fatalf("containsHash(line %d + 1) = %v, %v; want false, nil", i, found, err)
		}
	}
}

// TestBreachedPasswordsConcurrent: one open file serves many lookups at
// once (run with -race).
func TestBreachedPasswordsConcurrent(t *testing.T) {
	passwords := []string{"a breached one", "another breached one", "a third"}
	var hashes [][sha1.Size]byte
	for _, p := range passwords {
		hashes = append(hashes, sha1.Sum([]byte(p)))
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	hashes = append(hashes, randomHashes(rnd, 5000)...)
	sortHashes(hashes)
	b := openCorpus(t, corpus{hashes: hashes, eol: "\n"}.bytes())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				p := passwords[(g+i)%len(passwords)]
				if found, err := b.Contains(p); !found || err != nil {
					t.Errorf("Contains(%q) = %v, %v; want true, nil", p, found, err)
					return
				}
				if found, err := b.Contains(p + "!"); found || err != nil {
					t.Errorf("Contains(%q) = %v, %v; want false, nil", p+"!", found, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestOpenBreachedPasswordsRejects: a file that is missing, unopenable or
// not a Pwned Passwords SHA-1 list ordered by hash stops the start with a
// clear error, rather than silently checking nothing.
func TestOpenBreachedPasswordsRejects(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	sorted := randomHashes(rnd, 2000)
	sortHashes(sorted)
	good := corpus{hashes: sorted, eol: "\r\n"}.bytes()

	byPrevalence := slices.Clone(sorted) // HIBP's other download
	rnd.Shuffle(len(byPrevalence), func(i, j int) { byPrevalence[i], byPrevalence[j] = byPrevalence[j], byPrevalence[i] })
	reversed := slices.Clone(sorted)
	slices.Reverse(reversed)
	swappedEnds := slices.Clone(sorted)
	swappedEnds[0], swappedEnds[len(swappedEnds)-1] = swappedEnds[len(swappedEnds)-1], swappedEnds[0]

	var ntlm bytes.Buffer // the NTLM download: 32 hex digits
	for _, h := range sorted {
		fmt.Fprintf(&ntlm, "%X:3\r\n", h[:16])
	}

	tests := []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"empty", nil, "is empty"},
		{"only line breaks", []byte("\r\n\r\n"), "is empty"},
		{"byte order mark only", []byte("\xef\xbb\xbf\n"), "is empty"},
		{"header line", append([]byte("hash:count\r\n"), good...), "line at byte 0"},
		{"lower-case hex", corpus{hashes: sorted, eol: "\n", lowerHex: true}.bytes(), "upper-case hex"},
		{"NTLM list", ntlm.Bytes(), "not HASH:COUNT"},
		{"no counts", []byte(strings.ReplaceAll(string(good), ":1\r\n", "\r\n")), "not HASH:COUNT"},
		{"truncated last line", good[:len(good)-10], "not HASH:COUNT"},
		{"blank lines in the middle", slices.Concat(good[:len(good)/2-2000], bytes.Repeat([]byte("\n"), 4000), good[len(good)/2+2000:]), "line at byte"},
		{"no line breaks", bytes.Repeat([]byte("A"), 10_000), "longer than 128 bytes"},
		{"ordered by prevalence", corpus{hashes: byPrevalence, eol: "\r\n"}.bytes(), "download the list ordered by hash"},
		{"reversed", corpus{hashes: reversed, eol: "\n"}.bytes(), "download the list ordered by hash"},
		{"first and last swapped", corpus{hashes: swappedEnds, eol: "\n"}.bytes(), "download the list ordered by hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.data)
			b, err := OpenBreachedPasswords(path)
			if err == nil {
				b.Close()
				t.Fatalf("OpenBreachedPasswords(%s) = nil error; want one containing %q", tt.name, tt.want)
			}
			if !errors.Is(err, ErrBreachedPasswordsFormat) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("OpenBreachedPasswords(%s) = %v; want %v containing %q and the path", tt.name, err, ErrBreachedPasswordsFormat, tt.want)
			}
		})
	}

	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.txt")
		if _, err := OpenBreachedPasswords(path); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("OpenBreachedPasswords(missing) = %v; want fs.ErrNotExist naming %s", err, path)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := OpenBreachedPasswords(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("OpenBreachedPasswords(directory) = %v; want \"not a regular file\"", err)
		}
	})
	t.Run("path through a file", func(t *testing.T) {
		path := filepath.Join(writeFile(t, good), "list.txt")
		if _, err := OpenBreachedPasswords(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("OpenBreachedPasswords(%s) = %v; want an error naming the path", path, err)
		}
	})
	t.Run("good file opens", func(t *testing.T) {
		b := openCorpus(t, good)
		if found, err := b.containsHash(sorted[1000]); !found || err != nil {
			t.Errorf("containsHash(line 1000) = %v, %v; want true, nil", found, err)
		}
	})
	t.Run("damage found by a lookup", func(t *testing.T) {
		// Open samples a few dozen lines; a damaged line it did not see
		// makes the lookups that reach it fail instead of answering.
		for k := 1000; k < 1100; k++ {
			damaged := corpus{hashes: sorted, eol: "\r\n"}.bytes()
			line := k * len("0000000000000000000000000000000000000000:1\r\n")
			copy(damaged[line:], "x")
			b, err := OpenBreachedPasswords(writeFile(t, damaged))
			if err != nil {
				continue // a sample hit line k; try the next
			}
			defer b.Close()
			found, err := b.containsHash(sorted[k])
			if found || !errors.Is(err, ErrBreachedPasswordsFormat) {
				t.Errorf("containsHash(damaged line %d) = %v, %v; want false, %v", k, found, err, ErrBreachedPasswordsFormat)
			}
			return
		}
		t.Fatal("every damaged line was caught by Open's samples; the test needs other lines")
	})
	t.Run("closed", func(t *testing.T) {
		b, err := OpenBreachedPasswords(writeFile(t, good))
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		if found, err := b.containsHash(sorted[0]); found || err == nil {
			t.Errorf("containsHash after Close = %v, %v; want false, an error", found, err)
		}
	})
}

// TestCheckNewPasswordBreached: the Service refuses a password of the
// operator's list with its own reason, and accepts others.
func TestCheckNewPasswordBreached(t *testing.T) {
	hashes := [][sha1.Size]byte{sha1.Sum([]byte("violet darkroom lamp 43")), sha1.Sum([]byte("Amber Safelight Glow 7"))}
	sortHashes(hashes)
	s := &Service{cfg: Config{BreachedPasswords: openCorpus(t, corpus{hashes: hashes, eol: "\r\n"}.bytes())}}
	u := User{Email: "ann@example.net", Name: "Ann"}
	var policy *PasswordPolicyError
	if err := s.checkNewPassword("violet darkroom lamp 43", u); !errors.As(err, &policy) || policy.Reason != reasonPasswordBreached {
		t.Errorf("checkNewPassword(breached) = %v; want %q", err, reasonPasswordBreached)
	}
	if err := s.checkNewPassword("violet darkroom lamp 42", u); err != nil {
		t.Errorf("checkNewPassword(not breached) = %v; want nil", err)
	}
	// The lookup is exact: other case, other password.
	if err := s.checkNewPassword("Violet darkroom lamp 43", u); err != nil {
		t.Errorf("checkNewPassword(breached, other case) = %v; want nil", err)
	}
	// A file that fails to read refuses rather than waves passwords through.
	s.cfg.BreachedPasswords.Close()
	if err := s.checkNewPassword("violet darkroom lamp 42", u); err == nil || errors.As(err, &policy) {
		t.Errorf("checkNewPassword(closed list) = %v; want a read error", err)
	}
}
