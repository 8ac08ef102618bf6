package sqlstore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/keys"
)

// TestChainLegacyAuditEvents: the events stored before 0006_audit_chain
// are chained once, in (at, id) order, across several batches.
func TestChainLegacyAuditEvents(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "root.key")
	if err := keys.CreateRootKeyFile(keyPath); err != nil {
		t.Fatal(err)
	}
	root, err := keys.LoadRootKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, s := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			const n = walkBatch*2 + 7
			// Inserted as the schema before 0006 would: no seq, no hash;
			// in an order unlike (at, id), with ties on at.
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				for i := range n {
					at := base.Add(time.Duration((i*7919)%(n/3)) * time.Second)
					if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (id, at, type, actor_id, subject_id, ip, user_agent, details)
						VALUES ($1, $2, 'auth.login', 'u', 'u', '', '', $3)`, fmt.Sprintf("id-%05d", (i*31)%n), micros(at), fmt.Sprintf(`{"i":"%d"}`, i)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := audit.Verify(ctx, s, root); err != nil || rep.Intact() {
				t.Fatalf("Verify before the backfill = %+v, %v; want the unchained rows reported", rep, err)
			}
			if err := s.inTx(ctx, func(tx *sql.Tx) error { return chainLegacyAuditEvents(ctx, tx) }); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(ctx, s, root)
			if err != nil || !rep.Intact() || rep.Events != n {
				t.Fatalf("Verify after the backfill = %+v, %v; want %d intact events", rep, err, n)
			}
			var prevAt time.Time
			prevID := ""
			s.WalkAuditChain(ctx, 0, func(e audit.ChainedEvent) error {
				if e.At.Before(prevAt) || e.At.Equal(prevAt) && e.ID <= prevID {
					t.Errorf("event %d (%s, %s) chained after (%s, %s); want (at, id) order", e.Seq, e.At, e.ID, prevAt, prevID)
				}
				prevAt, prevID = e.At, e.ID
				return nil
			})
			// New events continue the chain; running the step again adopts nothing.
			if err := s.AppendAuditEvent(ctx, audit.Event{Type: audit.Logout, At: base}); err != nil {
				t.Fatal(err)
			}
			if err := s.inTx(ctx, func(tx *sql.Tx) error { return chainLegacyAuditEvents(ctx, tx) }); err != nil {
				t.Fatal(err)
			}
			if rep, err := audit.Verify(ctx, s, root); err != nil || !rep.Intact() || rep.Events != n+1 {
				t.Errorf("Verify after a new event = %+v, %v; want %d intact events", rep, err, n+1)
			}
		})
	}
}
