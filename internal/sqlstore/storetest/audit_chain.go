package storetest

import (
	"bytes"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/keys"
	"safelight/internal/sqlstore"
)

// newSigner returns a fresh root key, which signs audit checkpoints.
func newSigner(t *testing.T) audit.Signer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "root.key")
	if err := keys.CreateRootKeyFile(path); err != nil {
		t.Fatal(err)
	}
	k, err := keys.LoadRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func chainEvent(i int) audit.Event {
	return audit.Event{Type: audit.LoginSucceeded, ActorID: fmt.Sprintf("u%d", i), SubjectID: fmt.Sprintf("u%d", i),
		At: t0.Add(time.Duration(i) * time.Second), IP: "192.0.2.1", UserAgent: "UA",
		Details: map[string]string{"n": fmt.Sprint(i), "b": "x"}}
}

func verify(t *testing.T, s *sqlstore.Store, signer audit.Signer) audit.Report {
	t.Helper()
	rep, err := audit.Verify(t.Context(), s, signer)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	return rep
}

func wantIntact(t *testing.T, rep audit.Report, events int64) {
	t.Helper()
	if !rep.Intact() || rep.Events != events || rep.LastSeq != events {
		t.Errorf("Verify = %+v; want intact with %d events", rep, events)
	}
}

func testAuditChain(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	signer := newSigner(t)
	if h, err := s.AuditChainHead(ctx); err != nil || h.Seq != 0 || h.Hash != nil {
		t.Fatalf("AuditChainHead(empty) = %+v, %v; want the zero Link", h, err)
	}
	wantIntact(t, verify(t, s, signer), 0)

	// Each event is the previous hash chained with exactly what is read back.
	var prev []byte
	for i := 1; i <= 3; i++ {
		e := chainEvent(i)
		e.At = e.At.Add(789 * time.Nanosecond) // below the stored precision
		l, err := s.AppendChainedAuditEvent(ctx, e)
		if err != nil || l.Seq != int64(i) {
			t.Fatalf("AppendChainedAuditEvent #%d = %+v, %v; want seq %d", i, l, err, i)
		}
		var got []audit.ChainedEvent
		if err := s.WalkAuditChain(ctx, int64(i-1), func(ce audit.ChainedEvent) error { got = append(got, ce); return nil }); err != nil || len(got) != 1 {
			t.Fatalf("WalkAuditChain(after %d) = %d events, %v; want 1", i-1, len(got), err)
		}
		if want := audit.ChainHash(prev, int64(i), got[0].Event); !bytes.Equal(got[0].Hash, want) || !bytes.Equal(l.Hash, want) {
			t.Errorf("event %d hash = %x (returned %x); want %x", i, got[0].Hash, l.Hash, want)
		}
		prev = l.Hash
	}
	if h, err := s.AuditChainHead(ctx); err != nil || h.Seq != 3 || !bytes.Equal(h.Hash, prev) {
		t.Errorf("AuditChainHead = %+v, %v; want seq 3", h, err)
	}
	// Text one engine would keep and the other refuse never gets in.
	for _, e := range []audit.Event{{Type: "x", UserAgent: "a\x00b"}, {Type: "x", IP: "\xff"}, {Type: "x", Details: map[string]string{"k": "\xc3"}}} {
		if _, err := s.AppendChainedAuditEvent(ctx, e); err == nil {
			t.Errorf("AppendChainedAuditEvent(%q) = nil error; want a refusal", e)
		}
	}

	// Concurrent writers in one process get contiguous sequence numbers.
	const writers, each = 8, 15
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.AppendAuditEvent(ctx, chainEvent(1000+100*w+i)); err != nil {
					t.Errorf("AppendAuditEvent = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	total := int64(3 + writers*each)
	wantIntact(t, verify(t, s, signer), total)

	// Checkpoints: the first at a seq stays; the newest is found.
	if _, ok, err := s.LatestAuditCheckpoint(ctx); ok || err != nil {
		t.Errorf("LatestAuditCheckpoint(none) = %v, %v; want false, nil", ok, err)
	}
	cpr := audit.NewCheckpointer(s, signer, slog.New(slog.DiscardHandler))
	cp, ok, err := cpr.Checkpoint(ctx)
	if err != nil || !ok || cp.Seq != total {
		t.Fatalf("Checkpoint() = %+v, %v, %v; want one at %d", cp, ok, err, total)
	}
	if again, _, err := cpr.Checkpoint(ctx); err != nil || again.Seq != total || !again.At.Equal(cp.At) {
		t.Errorf("Checkpoint() with nothing new = %+v, %v; want the same checkpoint", again, err)
	}
	if added, err := s.AddAuditCheckpoint(ctx, audit.Checkpoint{Seq: total, Hash: []byte{1}, At: t0, KeyVersion: 1, Signature: []byte{2}}); added || err != nil {
		t.Errorf("AddAuditCheckpoint(duplicate seq) = %v, %v; want false, nil", added, err)
	}
	latest, ok, err := s.LatestAuditCheckpoint(ctx)
	if err != nil || !ok || latest.Seq != cp.Seq || !bytes.Equal(latest.Signature, cp.Signature) || latest.KeyVersion != cp.KeyVersion || !latest.At.Equal(cp.At) {
		t.Errorf("LatestAuditCheckpoint = %+v, %v, %v; want %+v", latest, ok, err, cp)
	}
	s.AppendAuditEvent(ctx, chainEvent(999))
	rep := verify(t, s, signer)
	wantIntact(t, rep, total+1)
	if rep.Checkpoints != 1 || rep.Latest == nil || rep.Latest.Seq != total || rep.Unsigned != 1 {
		t.Errorf("Verify = %+v; want 1 checkpoint at %d and 1 unsigned event", rep, total)
	}
	// Another root key cannot vouch for this chain.
	if rep := verify(t, s, newSigner(t)); !strings.Contains(rep.Broken, fmt.Sprintf("checkpoint at %d: bad signature", total)) {
		t.Errorf("Verify with another root key: %q; want a bad signature at %d", rep.Broken, total)
	}
	// Reading events about a user still works on chained rows.
	if got, err := s.AuditEventsAbout(ctx, "u2", 10); err != nil || len(got) != 1 || got[0].Details["n"] != "2" {
		t.Errorf("AuditEventsAbout(u2) = %+v, %v", got, err)
	}
}

// AuditChain holds the audit chain to its promises across handles and
// against tampering. newDSN returns the address of a fresh, empty
// database on each call ("sqlite:PATH" or "postgres://…"); the tests
// alter rows behind the store's back with plain SQL, as someone with
// write access to the database would.
func AuditChain(t *testing.T, newDSN func(t *testing.T) string) {
	t.Run("TwoHandles", func(t *testing.T) { testAuditTwoHandles(t, newDSN(t)) })
	tamper := []struct {
		name string
		// change alters the database holding events 1..10 with a
		// checkpoint at 6; want is in the report of the first break.
		change func(t *testing.T, db *sql.DB, s *sqlstore.Store)
		want   string
		seq    int64
	}{
		{"FieldChanged", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `UPDATE audit_events SET ip = '198.51.100.7' WHERE seq = 4`)
		}, "event 4 (id ", 4},
		{"DetailsChanged", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `UPDATE audit_events SET details = '{"n":"8","b":"y"}' WHERE seq = 8`)
		}, "event 8 (id ", 8},
		{"TimeChanged", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `UPDATE audit_events SET at = at + 1 WHERE seq = 2`)
		}, "event 2 (id ", 2},
		{"RowDeleted", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `DELETE FROM audit_events WHERE seq = 5`)
		}, "missing event between 4 and 6", 5},
		{"RowsDeleted", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `DELETE FROM audit_events WHERE seq IN (3, 4, 5)`)
		}, "missing events between 2 and 6", 3},
		{"FirstRowDeleted", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `DELETE FROM audit_events WHERE seq = 1`)
		}, "missing event between 0 and 2", 1},
		{"SignedTailDeleted", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `DELETE FROM audit_events WHERE seq >= 6`)
		}, "checkpoint at 6: the chain ends at 5", 6},
		{"RehashedWithoutKey", func(t *testing.T, db *sql.DB, s *sqlstore.Store) {
			exec(t, db, `UPDATE audit_events SET user_agent = 'forged' WHERE seq = 3`)
			rehash(t, db, s)
		}, "checkpoint at 6: signed hash does not match the chain", 6},
		{"RehashedAndCheckpointForged", func(t *testing.T, db *sql.DB, s *sqlstore.Store) {
			exec(t, db, `UPDATE audit_events SET user_agent = 'forged' WHERE seq = 3`)
			head := rehash(t, db, s)
			exec(t, db, `UPDATE audit_checkpoints SET hash = $1 WHERE seq = 6`, head[6])
		}, "checkpoint at 6: bad signature", 6},
		{"RowInsertedAroundChain", func(t *testing.T, db *sql.DB, _ *sqlstore.Store) {
			exec(t, db, `INSERT INTO audit_events (id, at, type, actor_id, subject_id, ip, user_agent, details)
				VALUES ('forged', 1, 'auth.login', 'u1', 'u1', '', '', '{}')`)
		}, "event id forged (auth.login, ", 0},
	}
	for _, tt := range tamper {
		t.Run("Tamper"+tt.name, func(t *testing.T) {
			dsn := newDSN(t)
			s := Open(t, dsn)
			signer := newSigner(t)
			for i := 1; i <= 10; i++ {
				if err := s.AppendAuditEvent(t.Context(), chainEvent(i)); err != nil {
					t.Fatal(err)
				}
				if i == 6 {
					if _, _, err := audit.NewCheckpointer(s, signer, slog.New(slog.DiscardHandler)).Checkpoint(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
			}
			wantIntact(t, verify(t, s, signer), 10)
			tt.change(t, rawDB(t, dsn), s)
			rep := verify(t, s, signer)
			if !strings.Contains(rep.Broken, tt.want) || rep.BrokenSeq != tt.seq {
				t.Errorf("Verify after tampering = %q at %d; want %q at %d", rep.Broken, rep.BrokenSeq, tt.want, tt.seq)
			}
		})
	}
}

// testAuditTwoHandles appends through two stores on one database at once,
// as two replicas (or two processes on one SQLite file) do.
func testAuditTwoHandles(t *testing.T, dsn string) {
	ctx := t.Context()
	a, b := Open(t, dsn), Open(t, dsn)
	const writers, each = 4, 20
	var wg sync.WaitGroup
	for w := range 2 * writers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for i := range each {
				if err := s.AppendAuditEvent(ctx, chainEvent(1000+100*w+i)); err != nil {
					t.Errorf("AppendAuditEvent = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	signer := newSigner(t)
	cp, _, err := audit.NewCheckpointer(b, signer, slog.New(slog.DiscardHandler)).Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep := verify(t, a, signer)
	wantIntact(t, rep, 2*writers*each)
	if rep.Checkpoints != 1 || cp.Seq != 2*writers*each {
		t.Errorf("Verify = %+v, checkpoint %+v; want one checkpoint at the head", rep, cp)
	}
}

// Open opens the database at dsn ("sqlite:PATH" or a PostgreSQL URL),
// migrates it and closes it when the test ends: the one way tests of any
// package get a store.
func Open(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// rawDB opens dsn with the plain database/sql driver, around the store.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, name := "pgx", dsn
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, name = "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rehash recomputes every stored hash from the rows as they now are, as
// someone covering their tracks would, and returns the hashes by seq.
func rehash(t *testing.T, db *sql.DB, s *sqlstore.Store) map[int64][]byte {
	t.Helper()
	var events []audit.ChainedEvent
	if err := s.WalkAuditChain(t.Context(), 0, func(e audit.ChainedEvent) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	out := map[int64][]byte{}
	var prev []byte
	for _, e := range events {
		prev = audit.ChainHash(prev, e.Seq, e.Event)
		out[e.Seq] = prev
		exec(t, db, `UPDATE audit_events SET hash = $1 WHERE seq = $2`, prev, e.Seq)
	}
	return out
}
