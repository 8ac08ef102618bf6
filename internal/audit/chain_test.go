package audit_test

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"safelight/internal/audit"
)

var chainEvent = audit.Event{
	ID: "01963b9e-7c1a-7d4e-9a41-5f0c2b8d1e23", At: time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC),
	Type: audit.LoginSucceeded, ActorID: "u1", SubjectID: "u1", IP: "192.0.2.1", UserAgent: "UA",
	Details: map[string]string{"via": "password", "device": "known"},
}

// TestCanonicalGolden pins the canonical encoding and the chain hash (the
// expected values were computed independently, in Python): a
// change to either breaks every stored chain, so it must be deliberate
// (a new version, with Verify knowing both).
func TestCanonicalGolden(t *testing.T) {
	want := "00000018" + hex.EncodeToString([]byte("safelight audit event v1")) +
		"0000000000000007" +
		"00000024" + hex.EncodeToString([]byte(chainEvent.ID)) +
		"00064bf535b0f240" + // 2026-03-01T12:00:00.123456Z in Unix microseconds
		"0000000a" + hex.EncodeToString([]byte("auth.login")) +
		"00000002" + hex.EncodeToString([]byte("u1")) +
		"00000002" + hex.EncodeToString([]byte("u1")) +
		"00000009" + hex.EncodeToString([]byte("192.0.2.1")) +
		"00000002" + hex.EncodeToString([]byte("UA")) +
		"00000002" +
		"00000006" + hex.EncodeToString([]byte("device")) + "00000005" + hex.EncodeToString([]byte("known")) +
		"00000003" + hex.EncodeToString([]byte("via")) + "00000008" + hex.EncodeToString([]byte("password"))
	if got := hex.EncodeToString(audit.Canonical(7, chainEvent)); got != want {
		t.Errorf("Canonical(7, e) =\n%s\nwant\n%s", got, want)
	}
	const wantHash = "0f3a69dde88661430f360071e71856f9f96ab2eb29ba5320fcfd722dd89bedc2"
	if got := hex.EncodeToString(audit.ChainHash(bytes.Repeat([]byte{0xab}, 32), 7, chainEvent)); got != wantHash {
		t.Errorf("ChainHash = %s; want %s", got, wantHash)
	}
}

func TestCanonicalDistinguishes(t *testing.T) {
	base := audit.Canonical(1, chainEvent)
	variants := map[string]func(e *audit.Event) int64{
		"seq":              func(*audit.Event) int64 { return 2 },
		"id":               func(e *audit.Event) int64 { e.ID += "x"; return 1 },
		"time (1µs)":       func(e *audit.Event) int64 { e.At = e.At.Add(time.Microsecond); return 1 },
		"type":             func(e *audit.Event) int64 { e.Type = audit.LoginFailed; return 1 },
		"actor":            func(e *audit.Event) int64 { e.ActorID = "u2"; return 1 },
		"actor to subject": func(e *audit.Event) int64 { e.ActorID, e.SubjectID = "", "u1u1"; return 1 },
		"ip":               func(e *audit.Event) int64 { e.IP = "192.0.2.2"; return 1 },
		"ip into ua":       func(e *audit.Event) int64 { e.IP, e.UserAgent = "192.0.2.1U", "A"; return 1 },
		"details value": func(e *audit.Event) int64 {
			e.Details = map[string]string{"via": "passkey", "device": "known"}
			return 1
		},
		"details shifted": func(e *audit.Event) int64 {
			e.Details = map[string]string{"via": "password", "deviceknown": ""}
			return 1
		},
		"details added": func(e *audit.Event) int64 {
			e.Details = map[string]string{"via": "password", "device": "known", "x": ""}
			return 1
		},
		"details removed": func(e *audit.Event) int64 { e.Details = map[string]string{"via": "password"}; return 1 },
		"empty detail kept": func(e *audit.Event) int64 {
			e.Details = map[string]string{"via": "password", "device": "known", "": ""}
			return 1
		},
	}
	for name, change := range variants {
		e := chainEvent
		seq := change(&e)
		if bytes.Equal(audit.Canonical(seq, e), base) {
			t.Errorf("Canonical ignores a change of %s", name)
		}
	}
	// Same facts, same bytes: map order and sub-microsecond time do not matter.
	e := chainEvent
	e.Details = map[string]string{"device": "known", "via": "password"}
	e.At = e.At.Add(999 * time.Nanosecond)
	if !bytes.Equal(audit.Canonical(1, e), base) {
		t.Error("Canonical depends on map order or sub-microsecond time")
	}
	// The zero time is 0, as stored.
	e.At = time.Time{}
	if got := audit.Canonical(1, e); !bytes.Contains(got, append(make([]byte, 8), 0, 0, 0, 10)) {
		t.Errorf("Canonical with the zero time = %x; want at = 0", got)
	}
	// The previous hash is part of the link; nil stands for 32 zero bytes.
	if bytes.Equal(audit.ChainHash(nil, 1, chainEvent), audit.ChainHash([]byte{1}, 1, chainEvent)) ||
		!bytes.Equal(audit.ChainHash(nil, 1, chainEvent), audit.ChainHash(make([]byte, 32), 1, chainEvent)) {
		t.Error("ChainHash does not depend on the previous hash as specified")
	}
}

func TestCheckpointMessage(t *testing.T) {
	c := audit.Checkpoint{Seq: 1000, Hash: bytes.Repeat([]byte{7}, 32), At: time.Unix(1, 0), KeyVersion: 3}
	base := audit.CheckpointMessage(c)
	for name, change := range map[string]func(c *audit.Checkpoint){
		"seq":     func(c *audit.Checkpoint) { c.Seq++ },
		"hash":    func(c *audit.Checkpoint) { c.Hash = bytes.Repeat([]byte{8}, 32) },
		"time":    func(c *audit.Checkpoint) { c.At = c.At.Add(time.Microsecond) },
		"version": func(c *audit.Checkpoint) { c.KeyVersion = 4 },
	} {
		d := c
		change(&d)
		if bytes.Equal(audit.CheckpointMessage(d), base) {
			t.Errorf("CheckpointMessage ignores a change of %s", name)
		}
	}
	if !bytes.HasPrefix(base, []byte("\x00\x00\x00\x1dsafelight audit checkpoint v1")) {
		t.Errorf("CheckpointMessage = %x; want the domain string first", base)
	}
}
