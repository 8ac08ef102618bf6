package audit_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"safelight/internal/audit"
)

// edSigner signs checkpoints with one Ed25519 key, version 1.
type edSigner struct{ priv ed25519.PrivateKey }

func newEdSigner(t *testing.T) edSigner {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return edSigner{priv}
}

func (s edSigner) SignCheckpoint(msg []byte) (int, []byte, error) {
	return 1, ed25519.Sign(s.priv, msg), nil
}

func (s edSigner) VerifyCheckpoint(v int, msg, sig []byte) error {
	if v != 1 || !ed25519.Verify(s.priv.Public().(ed25519.PublicKey), msg, sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

// memChain is a ChainReader over events and checkpoints held in memory.
type memChain struct {
	events []audit.ChainedEvent
	cps    []audit.Checkpoint
}

func (m *memChain) AuditCheckpoints(context.Context) ([]audit.Checkpoint, error) { return m.cps, nil }

func (m *memChain) WalkAuditChain(_ context.Context, after int64, fn func(audit.ChainedEvent) error) error {
	for _, e := range m.events {
		if e.Seq > after {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memChain) UnchainedAuditEvents(context.Context, int) ([]audit.Event, error) { return nil, nil }

// newMemChain chains n events and signs checkpoints at the given seqs.
func newMemChain(t *testing.T, s audit.Signer, n int64, checkpoints ...int64) *memChain {
	m := &memChain{}
	var prev []byte
	for seq := int64(1); seq <= n; seq++ {
		e := chainEvent
		e.ID, e.At = fmt.Sprintf("e%d", seq), chainEvent.At.Add(time.Duration(seq)*time.Minute)
		prev = audit.ChainHash(prev, seq, e)
		m.events = append(m.events, audit.ChainedEvent{Event: e, Seq: seq, Hash: prev})
		for _, c := range checkpoints {
			if c == seq {
				cp := audit.Checkpoint{Seq: seq, Hash: prev, At: e.At.Add(time.Second), KeyVersion: 1}
				_, cp.Signature, _ = s.SignCheckpoint(audit.CheckpointMessage(cp))
				m.cps = append(m.cps, cp)
			}
		}
	}
	return m
}

// dropThrough removes events 1..seq, as retention (or an attacker) would.
func (m *memChain) dropThrough(seq int64) { m.events = m.events[seq:] }

func verifyMem(t *testing.T, m *memChain, s audit.Signer) audit.Report {
	t.Helper()
	rep, err := audit.Verify(t.Context(), m, s)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	return rep
}

// TestVerifyPrunedPrefixAnchored: a prefix removed up to a signed
// checkpoint leaves an intact log, whose report names the pruned range;
// the older checkpoint rows are still checked for their signature.
func TestVerifyPrunedPrefixAnchored(t *testing.T) {
	s := newEdSigner(t)
	m := newMemChain(t, s, 10, 3, 6, 9)
	m.dropThrough(6)
	rep := verifyMem(t, m, s)
	if !rep.Intact() || rep.PrunedThrough != 6 || rep.Events != 4 || rep.LastSeq != 10 ||
		rep.Checkpoints != 2 || rep.Latest == nil || rep.Latest.Seq != 9 || rep.Unsigned != 1 {
		t.Errorf("Verify(pruned through 6) = %+v; want intact, pruned through 6, 4 events, checkpoints 6 and 9, 1 unsigned", rep)
	}
	if rep := verifyMem(t, newMemChain(t, s, 4, 2), s); rep.PrunedThrough != 0 || !rep.Intact() {
		t.Errorf("Verify(whole chain) = %+v; want intact, nothing pruned", rep)
	}
	// An older checkpoint forged after pruning is still caught.
	m.cps[0].Signature[0] ^= 1
	if rep := verifyMem(t, m, s); !strings.Contains(rep.Broken, "checkpoint at 3: bad signature") {
		t.Errorf("Verify(older checkpoint forged) = %q; want a bad signature at 3", rep.Broken)
	}
}

// TestVerifyPrunedPrefixUnanchored: a prefix removed without a signed
// checkpoint right before what is left is a break, not a pruning.
func TestVerifyPrunedPrefixUnanchored(t *testing.T) {
	s := newEdSigner(t)
	for _, tt := range []struct {
		name    string
		cps     []int64
		through int64
		want    string
	}{
		{"NoCheckpoint", nil, 4, "missing events between 0 and 5 (4 events), and no signed checkpoint at 4 anchors what follows"},
		{"NotAtACheckpoint", []int64{3, 6}, 4, "no signed checkpoint at 4 anchors what follows"},
		{"OneEvent", []int64{6}, 1, "missing event between 0 and 2, and no signed checkpoint at 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemChain(t, s, 10, tt.cps...)
			m.dropThrough(tt.through)
			rep := verifyMem(t, m, s)
			if !strings.Contains(rep.Broken, tt.want) || rep.BrokenSeq != 1 || rep.PrunedThrough != 0 {
				t.Errorf("Verify = %+v; want broken at 1: %q", rep, tt.want)
			}
		})
	}
	// An anchor whose signature does not verify anchors nothing.
	m := newMemChain(t, s, 10, 6)
	m.dropThrough(6)
	if rep := verifyMem(t, m, newEdSigner(t)); !strings.Contains(rep.Broken, "checkpoint at 6: bad signature") {
		t.Errorf("Verify(anchor signed by another key) = %q; want a bad signature at 6", rep.Broken)
	}
	m.cps[0].Hash = append([]byte(nil), m.events[0].Hash...) // the signature no longer covers it
	if rep := verifyMem(t, m, s); !strings.Contains(rep.Broken, "checkpoint at 6: bad signature") {
		t.Errorf("Verify(anchor hash replaced) = %q; want a bad signature at 6", rep.Broken)
	}
}

// TestVerifyPrunedPrefixTamperedAfterAnchor: the anchor's signed hash
// holds the rest of the chain to account.
func TestVerifyPrunedPrefixTamperedAfterAnchor(t *testing.T) {
	s := newEdSigner(t)
	m := newMemChain(t, s, 10, 6, 9)
	m.dropThrough(6)
	m.events[0].IP = "198.51.100.7" // event 7
	rep := verifyMem(t, m, s)
	if !strings.Contains(rep.Broken, "event 7 (id e7") || rep.BrokenSeq != 7 {
		t.Errorf("Verify(event 7 changed) = %+v; want broken at 7", rep)
	}
	// Rechaining every kept event from a made-up predecessor does not help.
	m = newMemChain(t, s, 10, 6, 9)
	m.dropThrough(6)
	prev := make([]byte, audit.HashSize)
	for i := range m.events {
		m.events[i].Hash = audit.ChainHash(prev, m.events[i].Seq, m.events[i].Event)
		prev = m.events[i].Hash
	}
	if rep := verifyMem(t, m, s); !strings.Contains(rep.Broken, "event 7 (id e7") {
		t.Errorf("Verify(rechained after the anchor) = %+v; want broken at 7", rep)
	}
}
