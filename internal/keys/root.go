// Package keys holds Safelight's key hierarchy and seals blobs with it.
//
// The hierarchy has three levels (DESIGN.md §4.1):
//
//   - a root key (RootKey), the instance secret kept outside the database,
//     which only wraps and unwraps owner keys and never leaves its provider;
//   - one age X25519 identity per owner (user or organization), stored only
//     wrapped by the root key (OwnerKey, Store, Keyring);
//   - one age file key per blob, chosen by age itself (Sealer).
//
// Every stored blob is a standard age file encrypted to its owner's
// recipient, so the owner's identity and the age CLI can decrypt it.
// Destroying an owner's wrapped identities (crypto-shredding) makes every
// copy of its blobs unreadable.
//
// Nothing in this package puts key material in an error, a log line or the
// result of formatting a value with fmt.
package keys

import (
	"bytes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// RootKey is the instance root key. It performs wrapping operations but
// never hands out the key itself, so that a KMS-backed provider can
// implement it later.
//
// Implementations must be safe for concurrent use.
type RootKey interface {
	// Version returns the current root key version, the one Wrap uses.
	Version() int

	// Wrap seals plaintext with the current root key version, binding aad
	// (which is authenticated but not stored). The result records the
	// version used, so Unwrap keeps working after a rotation.
	Wrap(plaintext, aad []byte) ([]byte, error)

	// Unwrap opens a value made by Wrap with any version this key still
	// knows. It returns an error wrapping ErrUnwrap when the value was
	// tampered with, was wrapped with different aad, is malformed, or
	// names an unknown root key version.
	Unwrap(wrapped, aad []byte) ([]byte, error)
}

// ErrUnwrap is returned (wrapped) by RootKey.Unwrap when a wrapped value
// cannot be authenticated: tampering, wrong additional data, truncation, or
// an unknown root key version.
var ErrUnwrap = errors.New("keys: cannot unwrap value")

// Root key file format.
//
// The file is UTF-8 text with '\n' line endings:
//
//	safelight-root-key v1
//	key 1 <base64 of 32 random bytes>
//	key 2 <base64 of 32 random bytes>
//
// The first line names the format and its version. Each following line
// holds one root key version (a decimal integer from 1 to 2^31-1, without
// sign or leading zeros) and the key in standard padded base64. Versions
// strictly increase; the last line is the current version. A rotation appends one line. Blank lines, comments and
// anything else are rejected so that a damaged file is never half-used.
const (
	rootKeyFileHeader = "safelight-root-key v1"
	rootKeyLinePrefix = "key "
	rootKeySize       = chacha20poly1305.KeySize // 32
	maxRootKeyFile    = 64 << 10                 // far more than any sane number of versions
	maxRootKeyVersion = math.MaxInt32            // fits the wrapped format's 32-bit field on every platform
)

// Wrapped value format: one format byte, the root key version as a 32-bit
// big-endian integer, a 24-byte random XChaCha20-Poly1305 nonce, then the
// ciphertext with its 16-byte tag. The 5-byte prefix is prepended to the
// caller's additional data, so the version cannot be altered either.
const (
	wrapFormatV1  = 0x01
	wrapPrefixLen = 1 + 4
	wrapMinLen    = wrapPrefixLen + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
)

// FileRootKey is a RootKey held in a local file (see LoadOrCreateRootKeyFile).
// It is immutable once loaded and safe for concurrent use. Formatting it with
// fmt prints only its path and versions.
type FileRootKey struct {
	path    string
	current int
	aeads   map[int]cipher.AEAD // by version; the raw keys are not retained
	// checkpointKeys are the Ed25519 keys derived from each version for
	// signing audit checkpoints (see checkpoint.go).
	checkpointKeys map[int]ed25519.PrivateKey
}

var _ RootKey = (*FileRootKey)(nil)

// LoadOrCreateRootKeyFile loads the root key file at path, creating it with
// one fresh random key (version 1) if it does not exist.
//
// On creation the parent directory (and any missing ancestor) is made with
// mode 0700; an existing directory keeps its mode. The file appears
// atomically with mode 0600 and its full content: it is written and synced
// under a temporary name (created with O_EXCL) and then hard-linked to
// path, which fails if path exists, so two processes starting at once end
// up using the same key and a crash never leaves a partial key file. The
// directory is synced afterwards. (A crash between the two steps can leave
// a ".root-key-*.tmp" file beside it; it may be deleted.)
//
// An existing file is refused when it is readable or writable by group or
// others (mode&0077 != 0), is not a regular file, or is malformed. Errors
// never contain key material.
func LoadOrCreateRootKeyFile(path string) (*FileRootKey, error) {
	k, err := loadRootKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := createRootKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// Either we created it or another process won the race: load what is there.
	return loadRootKeyFile(path)
}

// LoadRootKeyFile opens an existing root key file, with the checks of
// LoadOrCreateRootKeyFile, and never creates one. Replicas sharing a
// database use it: each must be given the same key, and a replica that
// made up its own would seal new owners' keys so that no other replica
// could open them.
func LoadRootKeyFile(path string) (*FileRootKey, error) { return loadRootKeyFile(path) }

// CreateRootKeyFile writes a new root key file at path (mode 0600, parent
// directories 0700) and fails if path exists. It is what
// "safelight root-key create" runs.
func CreateRootKeyFile(path string) error { return createRootKeyFile(path) }

func loadRootKeyFile(path string) (*FileRootKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: open root key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: stat root key file %s: %w", path, err)
	}
	data, err := readRootKeyFile(f, fi, path)
	if err != nil {
		return nil, err
	}
	keys, err := parseRootKeyFile(data)
	clear(data)
	if err != nil {
		return nil, fmt.Errorf("keys: root key file %s: %w", path, err)
	}
	return newFileRootKey(path, keys)
}

// readRootKeyFile reads the open root key file f (fi its Stat), refusing
// anything but a regular file that only its owner may access and that is
// no larger than any sane key file. The caller clears the bytes.
func readRootKeyFile(f *os.File, fi os.FileInfo, path string) ([]byte, error) {
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: root key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("keys: root key file %s has mode %04o: it must not be accessible by group or others (chmod 600)", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRootKeyFile+1))
	if err != nil {
		clear(data)
		return nil, fmt.Errorf("keys: read root key file %s: %w", path, err)
	}
	if len(data) > maxRootKeyFile {
		clear(data)
		return nil, fmt.Errorf("keys: root key file %s is larger than %d bytes", path, maxRootKeyFile)
	}
	return data, nil
}

// keyLine is the file's line for key version v.
func keyLine(v int, key []byte) string {
	return rootKeyLinePrefix + strconv.Itoa(v) + " " + base64.StdEncoding.EncodeToString(key) + "\n"
}

// parseRootKeyFile parses the root key file format. Its errors name line
// numbers only, never line content.
func parseRootKeyFile(data []byte) (map[int][]byte, error) {
	text := string(data)
	text, ok := strings.CutSuffix(text, "\n")
	if !ok {
		return nil, errors.New("malformed: missing final newline")
	}
	lines := strings.Split(text, "\n")
	if lines[0] != rootKeyFileHeader {
		return nil, fmt.Errorf("malformed: first line must be %q", rootKeyFileHeader)
	}
	if len(lines) < 2 {
		return nil, errors.New("malformed: no key lines")
	}
	keys := make(map[int][]byte, len(lines)-1)
	last := 0
	for i, line := range lines[1:] {
		lineNo := i + 2
		rest, ok := strings.CutPrefix(line, rootKeyLinePrefix)
		if !ok {
			return nil, fmt.Errorf("malformed: line %d is not a key line", lineNo)
		}
		vs, enc, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, fmt.Errorf("malformed: line %d is not a key line", lineNo)
		}
		v, err := strconv.Atoi(vs)
		if err != nil || v < 1 || v > maxRootKeyVersion || strconv.Itoa(v) != vs {
			return nil, fmt.Errorf("malformed: line %d has an invalid version", lineNo)
		}
		if v <= last {
			return nil, fmt.Errorf("malformed: line %d: versions must strictly increase", lineNo)
		}
		key, err := base64.StdEncoding.Strict().DecodeString(enc)
		if err != nil || len(key) != rootKeySize {
			return nil, fmt.Errorf("malformed: line %d: key must be %d bytes in padded standard base64", lineNo, rootKeySize)
		}
		keys[v] = key
		last = v
	}
	return keys, nil
}

func newFileRootKey(path string, keys map[int][]byte) (*FileRootKey, error) {
	k := &FileRootKey{path: path, aeads: make(map[int]cipher.AEAD, len(keys)), checkpointKeys: make(map[int]ed25519.PrivateKey, len(keys))}
	for v, key := range keys {
		a, err := chacha20poly1305.NewX(key)
		if err == nil {
			k.checkpointKeys[v], err = deriveCheckpointKey(key)
		}
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("keys: root key version %d: %w", v, err)
		}
		k.aeads[v] = a
		k.current = max(k.current, v)
	}
	return k, nil
}

func createRootKeyFile(path string) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keys: create root key directory: %w", err)
	}
	key := make([]byte, rootKeySize)
	rand.Read(key) // never fails; see crypto/rand.Read
	content := []byte(rootKeyFileHeader + "\n" + keyLine(1, key))
	clear(key)
	defer clear(content)

	tmpName, err := writeTempSynced(dir, content)
	if err != nil {
		return fmt.Errorf("keys: write root key file: %w", err)
	}
	defer os.Remove(tmpName) // after the link, only the temporary name goes away
	// Link, unlike rename, never replaces an existing file.
	if err := os.Link(tmpName, path); err != nil {
		return fmt.Errorf("keys: install root key file: %w", err)
	}
	if err := os.Remove(tmpName); err != nil {
		return fmt.Errorf("keys: remove temporary root key file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("keys: sync root key directory: %w", err)
	}
	return nil
}

// writeTempSynced writes content to a new file in dir (mode 0600, a
// name no other file has) and syncs it; the caller moves it into place
// and removes the name.
func writeTempSynced(dir string, content []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, ".root-key-*.tmp") // O_EXCL, mode 0600
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(content)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// Path returns the file the key was loaded from.
func (k *FileRootKey) Path() string { return k.path }

// Version returns the current (highest) root key version in the file.
func (k *FileRootKey) Version() int { return k.current }

// Wrap seals plaintext with the current version; see RootKey.
func (k *FileRootKey) Wrap(plaintext, aad []byte) ([]byte, error) {
	a := k.aeads[k.current]
	out := make([]byte, wrapPrefixLen+a.NonceSize(), wrapPrefixLen+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = wrapFormatV1
	binary.BigEndian.PutUint32(out[1:wrapPrefixLen], uint32(k.current))
	nonce := out[wrapPrefixLen:]
	rand.Read(nonce) // never fails; see crypto/rand.Read
	return a.Seal(out, nonce, plaintext, wrapAAD(out[:wrapPrefixLen], aad)), nil
}

// Unwrap opens a value made by Wrap with any version in the file; see
// RootKey. All failures wrap ErrUnwrap.
func (k *FileRootKey) Unwrap(wrapped, aad []byte) ([]byte, error) {
	if len(wrapped) < wrapMinLen {
		return nil, fmt.Errorf("%w: too short", ErrUnwrap)
	}
	if wrapped[0] != wrapFormatV1 {
		return nil, fmt.Errorf("%w: unknown format %#x", ErrUnwrap, wrapped[0])
	}
	v := binary.BigEndian.Uint32(wrapped[1:wrapPrefixLen])
	a, ok := k.aeads[int(v)]
	if !ok {
		return nil, fmt.Errorf("%w: unknown root key version %d", ErrUnwrap, v)
	}
	nonce := wrapped[wrapPrefixLen : wrapPrefixLen+a.NonceSize()]
	ct := wrapped[wrapPrefixLen+a.NonceSize():]
	pt, err := a.Open(nil, nonce, ct, wrapAAD(wrapped[:wrapPrefixLen], aad))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (tampered value or wrong additional data)", ErrUnwrap)
	}
	return pt, nil
}

// wrapAAD is the AEAD additional data: the wrapped value's prefix (format
// and version) followed by the caller's additional data.
func wrapAAD(prefix, aad []byte) []byte {
	return bytes.Join([][]byte{prefix, aad}, nil)
}

// String describes the key without revealing it.
func (k *FileRootKey) String() string {
	return fmt.Sprintf("keys.FileRootKey{path: %q, versions: %d, current: %d}", k.path, len(k.aeads), k.current)
}

// Format makes every fmt verb (including %#v and %x) print String, so no
// formatting of a FileRootKey can reveal key state.
func (k *FileRootKey) Format(f fmt.State, verb rune) { io.WriteString(f, k.String()) }
