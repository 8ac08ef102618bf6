package auth

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// BreachedPasswords looks passwords up in an offline copy of Have I Been
// Pwned's "Pwned Passwords" list (ASVS V6.2.12), the SHA-1 version ordered
// by hash, as its downloader writes it: one line per password,
//
//	000000005AD76BD555C1D6D771DE417A4B87E4B4:10
//
// the upper-case hex SHA-1 of the UTF-8 password, a colon and how often it
// was seen, lines ending in LF or CRLF, sorted by hash.
//
// The file is about 40 GB, so it is never loaded: each lookup is a binary
// search over byte offsets with a few dozen small ReadAt calls. The password
// and its hash never leave the process. (HIBP's "ordered by prevalence"
// file cannot be searched; OpenBreachedPasswords refuses it.)
//
// A BreachedPasswords is safe for concurrent use. It holds the file open
// until Close; the file must not be changed in place meanwhile (replace it
// and restart instead).
type BreachedPasswords struct {
	f     *os.File
	path  string
	begin int64 // offset of the first line (after a byte order mark, if any)
	end   int64 // offset just past the last line's last character (its line break excluded)
}

// breachedLineMax bounds the length of one line, line break included: 40
// hex digits, a colon, a count of up to 20 digits and CRLF take 63 bytes.
// A longer line means the file is not in the expected format.
const breachedLineMax = 128

// breachedSamples is how many lines, spread over the file, must come in
// order for OpenBreachedPasswords to believe that the file is sorted.
const breachedSamples = 64

// ErrBreachedPasswordsFormat is wrapped by the errors of
// OpenBreachedPasswords and Contains when the file is not a SHA-1 Pwned
// Passwords list ordered by hash.
var ErrBreachedPasswordsFormat = errors.New("not a Pwned Passwords SHA-1 list ordered by hash (lines of 40 upper-case hex digits, a colon and a count)")

// OpenBreachedPasswords opens the list at path and checks that it looks
// right: a regular, non-empty file whose first, last and a few dozen lines
// in between parse and come in hash order. The caller must Close it.
func OpenBreachedPasswords(path string) (*BreachedPasswords, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("breached passwords: %w", err)
	}
	b, err := openBreachedPasswords(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func openBreachedPasswords(f *os.File, path string) (*BreachedPasswords, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("breached passwords: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("breached passwords: %s is not a regular file", path)
	}
	b := &BreachedPasswords{f: f, path: path, end: info.Size()}

	head, err := b.read(0)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		b.begin = 3
	}
	// Trailing line breaks belong to no line: the search ends at the last
	// character of the last line.
	for b.end > b.begin {
		tail, err := b.read(max(b.begin, b.end-breachedLineMax))
		if err != nil {
			return nil, err
		}
		trimmed := bytes.TrimRight(tail, "\r\n")
		b.end -= int64(len(tail) - len(trimmed))
		if len(trimmed) > 0 {
			break
		}
	}
	if b.end == b.begin {
		return nil, fmt.Errorf("breached passwords: %s is empty: %w", path, ErrBreachedPasswordsFormat)
	}

	// The first and the last line must parse, and lines spread over the
	// file must come in order: a file ordered by prevalence, or not
	// sorted at all, would make the binary search miss passwords.
	prev, prevAt, _, err := b.lineFrom(b.begin)
	if err != nil {
		return nil, err
	}
	for i := 1; i <= breachedSamples+1; i++ {
		var off int64
		if i <= breachedSamples {
			off = b.begin + (b.end-b.begin)*int64(i)/(breachedSamples+1)
		} else if off, err = b.lastLineStart(); err != nil {
			return nil, err
		}
		h, at, _, err := b.lineFrom(off)
		if err != nil {
			return nil, err
		}
		if h == nil { // no line starts at or after off
			continue
		}
		if bytes.Compare(h, prev) < 0 {
			return nil, fmt.Errorf("breached passwords: %s: the line at byte %d comes before the line at byte %d in hash order; download the list ordered by hash: %w",
				path, at, prevAt, ErrBreachedPasswordsFormat)
		}
		prev, prevAt = h, at
	}
	return b, nil
}

// Contains reports whether password is in the list. The error is non-nil
// only when the file cannot be read or a line on the search path does not
// parse; found is then false.
func (b *BreachedPasswords) Contains(password string) (found bool, err error) {
	sum := sha1.Sum([]byte(password)) // the list's format: SHA-1 of the UTF-8 password
	return b.containsHash(sum)
}

// containsHash finds the first line whose hash is not below the wanted
// one, by binary search over byte offsets, and compares the two.
//
// Invariant: every line that starts before lo has a hash below want, and
// every line that starts at or after hi has a hash at or above want. Each
// step moves lo past a line or hi down to at most mid, so it ends.
func (b *BreachedPasswords) containsHash(sum [sha1.Size]byte) (bool, error) {
	want := []byte(strings.ToUpper(hex.EncodeToString(sum[:])))
	lo, hi := b.begin, b.end
	for lo < hi {
		mid := lo + (hi-lo)/2
		h, start, next, err := b.lineFrom(mid)
		switch {
		case err != nil:
			return false, err
		case h == nil || start >= hi: // no line starts in [mid, hi)
			hi = mid
		case bytes.Compare(h, want) < 0:
			lo = next
		default:
			hi = start
		}
	}
	h, _, _, err := b.lineFrom(lo)
	if err != nil {
		return false, err
	}
	return bytes.Equal(h, want), nil
}

// lineFrom returns the hash of the first line that starts at or after
// off, where that line starts, and where the line after it starts (b.end
// for the last line). hash is nil, with a nil error, when no line starts
// at or after off.
func (b *BreachedPasswords) lineFrom(off int64) (hash []byte, start, next int64, err error) {
	start = off
	if off > b.begin {
		// A line starts at off only if the byte before it ends a line.
		if start, err = b.nextLineStart(off - 1); err != nil {
			return nil, off, off, err
		}
	}
	if start >= b.end {
		return nil, b.end, b.end, nil
	}
	buf, err := b.read(start)
	if err != nil {
		return nil, start, start, err
	}
	line, _, found := bytes.Cut(buf, []byte("\n"))
	switch {
	case found:
		next = start + int64(len(line)) + 1
	case start+int64(len(buf)) == b.end:
		next = b.end
	default:
		return nil, start, start, b.formatError(start, fmt.Sprintf("longer than %d bytes", breachedLineMax))
	}
	if hash, err = parseBreachedLine(line); err != nil {
		return nil, start, start, b.formatError(start, err.Error())
	}
	return hash, start, next, nil
}

// nextLineStart returns the offset just after the first line break at or
// after off, or b.end when there is none before it.
func (b *BreachedPasswords) nextLineStart(off int64) (int64, error) {
	buf, err := b.read(off)
	if err != nil {
		return 0, err
	}
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		return off + int64(i) + 1, nil
	}
	if off+int64(len(buf)) == b.end {
		return b.end, nil
	}
	return 0, b.formatError(off, fmt.Sprintf("longer than %d bytes", breachedLineMax))
}

// lastLineStart returns where the line that ends at b.end starts.
func (b *BreachedPasswords) lastLineStart() (int64, error) {
	from := max(b.begin, b.end-breachedLineMax)
	buf, err := b.read(from)
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && from > b.begin {
		return 0, b.formatError(from, fmt.Sprintf("last line longer than %d bytes", breachedLineMax))
	}
	return from + int64(i) + 1, nil
}

// read returns the bytes from off up to breachedLineMax of them, stopping
// at b.end.
func (b *BreachedPasswords) read(off int64) ([]byte, error) {
	buf := make([]byte, max(0, min(breachedLineMax, b.end-off)))
	if n, err := b.f.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && n == len(buf)) {
		return nil, fmt.Errorf("breached passwords: read %s: %w", b.path, err)
	}
	return buf, nil
}

func (b *BreachedPasswords) formatError(at int64, problem string) error {
	return fmt.Errorf("breached passwords: %s: line at byte %d: %s: %w", b.path, at, problem, ErrBreachedPasswordsFormat)
}

// parseBreachedLine returns the hash of one line ("HASH:COUNT", with or
// without a trailing CR).
func parseBreachedLine(line []byte) ([]byte, error) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	hash, count, found := bytes.Cut(line, []byte(":"))
	if !found || len(hash) != hex.EncodedLen(sha1.Size) || len(count) == 0 {
		return nil, fmt.Errorf("%q is not HASH:COUNT", line)
	}
	for _, c := range hash {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return nil, fmt.Errorf("%q: the hash is not 40 upper-case hex digits", line)
		}
	}
	for _, c := range count {
		if !('0' <= c && c <= '9') {
			return nil, fmt.Errorf("%q: the count is not a number", line)
		}
	}
	return hash, nil
}

// Close closes the file. Contains fails after Close.
func (b *BreachedPasswords) Close() error { return b.f.Close() }
