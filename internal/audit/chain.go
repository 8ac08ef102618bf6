package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// The audit log is a hash chain. Every stored event has a sequence number
// (1, 2, 3… with no gap) and a hash
//
//	hash(n) = SHA-256(hash(n-1) || Canonical(n, event n)),  hash(0) = 32 zero bytes
//
// so changing, removing or reordering any stored event changes every hash
// after it. A hash chain alone does not stop someone who can write to the
// database from rewriting an event and then every hash after it; signed
// checkpoints do: now and then the head (seq, hash) is signed with an
// Ed25519 key derived from the root key, which the database never holds.
// Verify recomputes the chain and checks every checkpoint.
//
// What a checkpoint cannot protect: events after the newest checkpoint (an
// attacker may rewrite or drop that tail), and the checkpoints' existence
// (deleting all of them leaves a chain that is only self-consistent);
// Verify reports how many events no checkpoint covers yet.
//
// Retention (GDPR Art. 5(1)(e)) removes old events, but only a prefix
// of the chain that ends exactly at a signed checkpoint, whose row stays:
// the checkpoint's signed hash then stands in for the deleted events as
// the predecessor of the first one kept. A prefix removed any other way
// leaves the first kept event without a signed anchor, which Verify
// reports as broken.

// HashSize is the size of a chain hash.
const HashSize = sha256.Size

// Link is a position in the chain: an event's sequence number and hash.
// The zero Link (Seq 0, nil Hash) is the empty chain.
type Link struct {
	Seq  int64
	Hash []byte
}

// ChainedEvent is a stored event with its place in the chain.
type ChainedEvent struct {
	Event
	Seq  int64
	Hash []byte
}

// Checkpoint is a signed statement that the chain's event Seq has Hash.
type Checkpoint struct {
	Seq        int64
	Hash       []byte
	At         time.Time // when it was signed, UTC, microsecond precision
	KeyVersion int       // root key version whose derived key signed it
	Signature  []byte    // Ed25519 over CheckpointMessage
}

// Signer signs and verifies checkpoint messages with keys derived from the
// root key; keys.FileRootKey implements it. The key itself never leaves it.
type Signer interface {
	// SignCheckpoint signs msg with the current key and returns its version.
	SignCheckpoint(msg []byte) (keyVersion int, sig []byte, err error)
	// VerifyCheckpoint returns nil when sig is keyVersion's signature of msg.
	VerifyCheckpoint(keyVersion int, msg, sig []byte) error
}

// ChainStore is a Store that keeps events in the hash chain and holds
// checkpoints. The metadata store implements it. Implementations must make
// appending atomic across processes: the head is read and the new event
// inserted under one lock, so two writers never take the same Seq.
type ChainStore interface {
	Store
	// AppendChainedAuditEvent stores e (its ID, when empty, is chosen) as
	// the next event of the chain and returns its link.
	AppendChainedAuditEvent(ctx context.Context, e Event) (Link, error)
	// AuditChainHead returns the newest event's link; the zero Link when
	// there is none.
	AuditChainHead(ctx context.Context) (Link, error)
	// AddAuditCheckpoint stores c. It reports false (and no error) when a
	// checkpoint at c.Seq exists already: the first stays.
	AddAuditCheckpoint(ctx context.Context, c Checkpoint) (bool, error)
	// LatestAuditCheckpoint returns the checkpoint with the highest Seq,
	// or ok false when there is none.
	LatestAuditCheckpoint(ctx context.Context) (c Checkpoint, ok bool, err error)
	ChainReader
}

// ChainReader is what Verify reads.
type ChainReader interface {
	// AuditCheckpoints returns every checkpoint, lowest Seq first.
	AuditCheckpoints(ctx context.Context) ([]Checkpoint, error)
	// WalkAuditChain calls fn for every chained event with Seq > after,
	// in Seq order, without holding the whole log in memory. It stops at
	// and returns fn's first error.
	WalkAuditChain(ctx context.Context, after int64, fn func(ChainedEvent) error) error
	// UnchainedAuditEvents returns up to limit stored events that have no
	// place in the chain (inserted around it), oldest first.
	UnchainedAuditEvents(ctx context.Context, limit int) ([]Event, error)
}

// Canonical encoding, version 1. Every string is its length as a 32-bit
// big-endian unsigned integer followed by its bytes as stored (UTF-8);
// integers are big-endian, 64-bit unless said otherwise. In order:
//
//	string  "safelight audit event v1"   (domain separation)
//	uint64  seq
//	string  id
//	int64   at: Unix microseconds (UTC); 0 for the zero time
//	string  type
//	string  actor id
//	string  subject id
//	string  ip
//	string  user agent
//	uint32  number of details, then for each, in ascending byte order of
//	        the key: string key, string value
//
// Fields are length-prefixed, not separated, so no value can be shifted
// into its neighbour; the order is fixed here, not by a serializer.
const (
	eventDomain      = "safelight audit event v1"
	checkpointDomain = "safelight audit checkpoint v1"
)

// Canonical returns the canonical encoding (version 1) of e at seq.
func Canonical(seq int64, e Event) []byte {
	b := make([]byte, 0, 256)
	b = appendString(b, eventDomain)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = appendString(b, e.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(unixMicro(e.At)))
	b = appendString(b, string(e.Type))
	b = appendString(b, e.ActorID)
	b = appendString(b, e.SubjectID)
	b = appendString(b, e.IP)
	b = appendString(b, e.UserAgent)
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	slices.Sort(keys) // Go compares strings bytewise
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, e.Details[k])
	}
	return b
}

// ChainHash returns SHA-256(prev || Canonical(seq, e)): the hash of event
// seq whose predecessor's hash is prev (nil or 32 zero bytes for seq 1).
func ChainHash(prev []byte, seq int64, e Event) []byte {
	if prev == nil {
		prev = make([]byte, HashSize)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(Canonical(seq, e))
	return h.Sum(nil)
}

// CheckpointMessage is what a checkpoint's signature covers:
//
//	string "safelight audit checkpoint v1", uint64 seq, string hash,
//	int64 at (Unix microseconds), uint32 key version
//
// in the encoding of Canonical.
func CheckpointMessage(c Checkpoint) []byte {
	b := make([]byte, 0, 96)
	b = appendString(b, checkpointDomain)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Seq))
	b = appendString(b, string(c.Hash))
	b = binary.BigEndian.AppendUint64(b, uint64(unixMicro(c.At)))
	b = binary.BigEndian.AppendUint32(b, uint32(c.KeyVersion))
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// unixMicro is the stored form of a time: Unix microseconds, 0 for the
// zero time (as the metadata store keeps it).
func unixMicro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Checkpointer signs the chain's head now and then. Several processes on
// one database may each run one: checkpoints at the same Seq are stored
// once. Safe for concurrent use.
type Checkpointer struct {
	store  ChainStore
	signer Signer
	log    *slog.Logger
	now    func() time.Time
	// Every is how many new events call for a checkpoint.
	Every int64
	// Period is the longest an event waits for a checkpoint (roughly:
	// the head is looked at every Poll).
	Period time.Duration
	// Poll is how often Run looks at the head.
	Poll time.Duration
}

// Default checkpoint policy: after 1000 events or 15 minutes, whichever
// comes first, looked at every minute.
const (
	DefaultCheckpointEvery  = 1000
	DefaultCheckpointPeriod = 15 * time.Minute
	DefaultCheckpointPoll   = time.Minute
)

// NewCheckpointer returns a Checkpointer with the default policy.
func NewCheckpointer(store ChainStore, signer Signer, log *slog.Logger) *Checkpointer {
	return &Checkpointer{store: store, signer: signer, log: log.With("component", "audit"), now: time.Now,
		Every: DefaultCheckpointEvery, Period: DefaultCheckpointPeriod, Poll: DefaultCheckpointPoll}
}

// Checkpoint signs the current head now, unless it is already signed or
// the chain is empty. It returns the newest checkpoint (ok false when the
// chain is empty).
func (c *Checkpointer) Checkpoint(ctx context.Context) (cp Checkpoint, ok bool, err error) {
	head, err := c.store.AuditChainHead(ctx)
	if err != nil {
		return cp, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if head.Seq == 0 {
		return cp, false, nil
	}
	last, ok, err := c.store.LatestAuditCheckpoint(ctx)
	if err != nil {
		return cp, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if ok && last.Seq >= head.Seq {
		return last, true, nil
	}
	return c.sign(ctx, head)
}

// signWithCurrentKey sets cp's KeyVersion and Signature from the signer's
// current key. The version is part of the message: sign with the one cp
// has, then again if the signer's current version differs.
func signWithCurrentKey(signer Signer, cp Checkpoint) (Checkpoint, error) {
	cp.Signature = nil
	for range 2 {
		v, sig, err := signer.SignCheckpoint(CheckpointMessage(cp))
		if err != nil {
			return cp, fmt.Errorf("audit: sign checkpoint: %w", err)
		}
		if v == cp.KeyVersion {
			cp.Signature = sig
			return cp, nil
		}
		cp.KeyVersion = v
	}
	return cp, errors.New("audit: sign checkpoint: the signer's key version keeps changing")
}

func (c *Checkpointer) sign(ctx context.Context, head Link) (Checkpoint, bool, error) {
	cp, err := signWithCurrentKey(c.signer, Checkpoint{Seq: head.Seq, Hash: head.Hash, At: c.now().UTC().Truncate(time.Microsecond)})
	if err != nil {
		return cp, false, err
	}
	if _, err := c.store.AddAuditCheckpoint(ctx, cp); err != nil {
		return cp, false, fmt.Errorf("audit: store checkpoint: %w", err)
	}
	c.log.InfoContext(ctx, "audit checkpoint", "seq", cp.Seq, "key_version", cp.KeyVersion)
	return cp, true, nil
}

// due reports whether the head calls for a checkpoint under the policy.
func (c *Checkpointer) due(ctx context.Context) (Link, bool, error) {
	head, err := c.store.AuditChainHead(ctx)
	if err != nil || head.Seq == 0 {
		return head, false, err
	}
	last, ok, err := c.store.LatestAuditCheckpoint(ctx)
	if err != nil || !ok {
		return head, err == nil, err
	}
	return head, head.Seq >= last.Seq+c.Every || (head.Seq > last.Seq && c.now().Sub(last.At) >= c.Period), nil
}

// Run checkpoints the head at once if it is unsigned, then whenever the
// policy calls for it, until ctx ends. Errors are logged, not returned:
// the next round tries again.
func (c *Checkpointer) Run(ctx context.Context) {
	first := true
	t := time.NewTicker(c.Poll)
	defer t.Stop()
	for {
		head, due, err := c.due(ctx)
		if err == nil && (due || first && head.Seq > 0) {
			_, _, err = c.Checkpoint(ctx)
		}
		if err != nil && ctx.Err() == nil {
			c.log.ErrorContext(ctx, "audit checkpoint failed", "err", err)
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Report is the outcome of Verify.
type Report struct {
	Events      int64 // chained events read
	LastSeq     int64
	Checkpoints int         // checkpoints whose signature and hash were checked
	Latest      *Checkpoint // the newest good checkpoint, nil if none
	// Unsigned counts events after the newest good checkpoint: chained,
	// but anyone with write access to the database could rewrite them.
	Unsigned int64
	// Broken describes the first broken link, in chain order; empty when
	// the log is intact.
	Broken string
	// BrokenSeq is the sequence number Broken is about (0 when it is an
	// event outside the chain).
	BrokenSeq int64
	// PrunedThrough is the last event removed by retention (events
	// 1..PrunedThrough are gone, anchored by the signed checkpoint at
	// PrunedThrough); 0 when the chain starts at event 1.
	PrunedThrough int64
}

// Intact reports whether Verify found nothing wrong.
func (r Report) Intact() bool { return r.Broken == "" }

// errStop ends a walk once a broken link is found.
var errStop = errors.New("stop")

// Verify walks the whole chain from its first event, recomputes every
// hash, checks every checkpoint's signature and that its hash is the
// chain's at its Seq, and looks for events outside the chain. When the
// first stored event is not event 1 (retention removed a prefix), the
// signed checkpoint just before it must exist and anchors the chain; the
// checkpoints before that are checked for their signature only. The
// report names the first problem; the error is for what kept it from
// reading.
func Verify(ctx context.Context, r ChainReader, v Signer) (Report, error) {
	var rep Report
	cps, err := r.AuditCheckpoints(ctx)
	if err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	}
	slices.SortFunc(cps, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
	fail := func(seq int64, format string, args ...any) error {
		rep.Broken, rep.BrokenSeq = fmt.Sprintf(format, args...), seq
		return errStop
	}
	checkSignature := func(c Checkpoint) error {
		if err := v.VerifyCheckpoint(c.KeyVersion, CheckpointMessage(c), c.Signature); err != nil {
			return fail(c.Seq, "checkpoint at %d: bad signature (%v); it was not made with this instance's root key", c.Seq, err)
		}
		return nil
	}
	if len(cps) > 0 && cps[0].Seq < 1 {
		if checkSignature(cps[0]) == nil {
			fail(cps[0].Seq, "checkpoint at %d: there is no such event", cps[0].Seq)
		}
		return rep, nil
	}
	ci := 0
	var prev []byte
	// anchor starts the chain after a pruned prefix at the checkpoint
	// just before first, the first stored event.
	anchor := func(first ChainedEvent) error {
		through := first.Seq - 1
		for ; ci < len(cps) && cps[ci].Seq < through; ci++ {
			if err := checkSignature(cps[ci]); err != nil {
				return err
			}
		}
		if ci == len(cps) || cps[ci].Seq != through {
			what := "missing event between 0 and 2"
			if through > 1 {
				what = fmt.Sprintf("missing events between 0 and %d (%d events)", first.Seq, through)
			}
			return fail(1, "%s, and no signed checkpoint at %d anchors what follows; events were deleted from the start of the log", what, through)
		}
		c := cps[ci]
		if err := checkSignature(c); err != nil {
			return err
		}
		ci++
		rep.Checkpoints++
		rep.Latest = &cps[ci-1]
		prev, rep.LastSeq, rep.PrunedThrough = c.Hash, c.Seq, c.Seq
		return nil
	}
	err = r.WalkAuditChain(ctx, 0, func(e ChainedEvent) error {
		if rep.Events == 0 && e.Seq > 1 {
			if err := anchor(e); err != nil {
				return err
			}
		}
		want := rep.LastSeq + 1
		switch {
		case e.Seq > want+1:
			return fail(want, "missing events between %d and %d (%d events)", want-1, e.Seq, e.Seq-want)
		case e.Seq == want+1:
			return fail(want, "missing event between %d and %d", want-1, e.Seq)
		case e.Seq != want:
			return fail(e.Seq, "event %d (id %s): out of order after %d", e.Seq, e.ID, want-1)
		}
		h := ChainHash(prev, e.Seq, e.Event)
		if !bytes.Equal(h, e.Hash) {
			return fail(e.Seq, "event %d (id %s, %s): hash does not match; the event or one before it was changed",
				e.Seq, e.ID, e.At.UTC().Format(time.RFC3339Nano))
		}
		for ; ci < len(cps) && cps[ci].Seq == e.Seq; ci++ {
			c := cps[ci]
			if err := checkSignature(c); err != nil {
				return err
			}
			if !bytes.Equal(c.Hash, h) {
				return fail(c.Seq, "checkpoint at %d: signed hash does not match the chain; an event at or before %d was changed and the hashes recomputed", c.Seq, c.Seq)
			}
			rep.Checkpoints++
			rep.Latest = &cps[ci]
		}
		prev, rep.LastSeq = h, e.Seq
		rep.Events++
		return nil
	})
	if errors.Is(err, errStop) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	}
	if ci < len(cps) {
		c := cps[ci]
		if err := checkSignature(c); err != nil {
			return rep, nil
		}
		fail(c.Seq, "checkpoint at %d: the chain ends at %d; signed events were deleted from the end of the log", c.Seq, rep.LastSeq)
		return rep, nil
	}
	loose, err := r.UnchainedAuditEvents(ctx, 1)
	if err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	}
	if len(loose) > 0 {
		e := loose[0]
		fail(0, "event id %s (%s, %s) has no place in the chain: it was inserted around it", e.ID, e.Type, e.At.UTC().Format(time.RFC3339Nano))
		return rep, nil
	}
	rep.Unsigned = rep.LastSeq
	if rep.Latest != nil {
		rep.Unsigned -= rep.Latest.Seq
	}
	return rep, nil
}
