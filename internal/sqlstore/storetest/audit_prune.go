package storetest

import (
	"log/slog"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/sqlstore"
)

// testPruneAuditChain: retention removes only a prefix of the chain that
// ends at a signed checkpoint, whose events are all older than the
// cutoff, never the head; the checkpoints stay and the log verifies.
func testPruneAuditChain(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	signer := newSigner(t)
	prune := func(before time.Time, wantThrough int64, wantN int) {
		t.Helper()
		through, n, err := s.PruneAuditChain(ctx, before)
		if err != nil || through != wantThrough || n != wantN {
			t.Fatalf("PruneAuditChain(%s) = %d, %d, %v; want through %d, %d events", before.Sub(t0), through, n, err, wantThrough, wantN)
		}
	}
	prune(t0.Add(time.Hour), 0, 0) // empty log

	// Events 1..10, a second apart, but event 5 happened much later than
	// its place says (clocks differ between replicas); checkpoints at 3,
	// 6 and 10 (the head).
	cpr := audit.NewCheckpointer(s, signer, slog.New(slog.DiscardHandler))
	for i := 1; i <= 10; i++ {
		e := chainEvent(i)
		if i == 5 {
			e.At = t0.Add(2 * time.Hour)
		}
		if err := s.AppendAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if i == 3 || i == 6 || i == 10 {
			if _, _, err := cpr.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	prune(t0, 0, 0)                            // nothing is old enough
	prune(t0.Add(2500*time.Millisecond), 0, 0) // events 1 and 2 are, but no checkpoint ends there
	// Event 5 is younger than the cutoff: only through the checkpoint at 3.
	prune(t0.Add(time.Hour), 3, 3)
	rep := verify(t, s, signer)
	if !rep.Intact() || rep.PrunedThrough != 3 || rep.Events != 7 || rep.LastSeq != 10 {
		t.Errorf("Verify after pruning through 3 = %+v; want intact, pruned through 3, events 4..10", rep)
	}
	// Everything is old enough, but the head (checkpoint 10) stays: the
	// chain goes on from it.
	prune(t0.Add(3*time.Hour), 6, 3)
	prune(t0.Add(3*time.Hour), 0, 0)
	if h, err := s.AuditChainHead(ctx); err != nil || h.Seq != 10 {
		t.Errorf("AuditChainHead after pruning = %+v, %v; want seq 10", h, err)
	}
	if cps, err := s.AuditCheckpoints(ctx); err != nil || len(cps) != 3 {
		t.Errorf("AuditCheckpoints after pruning = %d, %v; want all 3 kept", len(cps), err)
	}
	if got, err := s.AuditEventsAbout(ctx, "u2", 10); err != nil || len(got) != 0 {
		t.Errorf("AuditEventsAbout(u2) after pruning = %+v, %v; want none", got, err)
	}
	if got, err := s.AuditEventsAbout(ctx, "u8", 10); err != nil || len(got) != 1 {
		t.Errorf("AuditEventsAbout(u8) after pruning = %+v, %v; want event 8 kept", got, err)
	}
	// Once another event follows, the old head may go too.
	if err := s.AppendAuditEvent(ctx, chainEvent(11)); err != nil {
		t.Fatal(err)
	}
	prune(t0.Add(3*time.Hour), 10, 4)
	rep = verify(t, s, signer)
	if !rep.Intact() || rep.PrunedThrough != 10 || rep.Events != 1 || rep.LastSeq != 11 || rep.Unsigned != 1 {
		t.Errorf("Verify after pruning through 10 = %+v; want intact, pruned through 10, event 11 unsigned", rep)
	}
	// The chain goes on after the pruned prefix.
	if l, err := s.AppendChainedAuditEvent(ctx, chainEvent(12)); err != nil || l.Seq != 12 {
		t.Errorf("AppendChainedAuditEvent after pruning = %+v, %v; want seq 12", l, err)
	}
	wantIntactFrom(t, verify(t, s, signer), 10, 12)
}

func wantIntactFrom(t *testing.T, rep audit.Report, pruned, last int64) {
	t.Helper()
	if !rep.Intact() || rep.PrunedThrough != pruned || rep.LastSeq != last || rep.Events != last-pruned {
		t.Errorf("Verify = %+v; want intact, pruned through %d, events to %d", rep, pruned, last)
	}
}
