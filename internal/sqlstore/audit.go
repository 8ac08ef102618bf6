package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"safelight/internal/audit"
)

var (
	_ audit.Store      = (*Store)(nil)
	_ audit.ChainStore = (*Store)(nil)
)

// AppendAuditEvent implements audit.Store: the event is chained like
// every other (see AppendChainedAuditEvent).
func (s *Store) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	_, err := s.AppendChainedAuditEvent(ctx, e)
	return err
}

// AppendChainedAuditEvent implements audit.ChainStore. In one write
// transaction it takes the chain lock (SQLite: the transaction's BEGIN
// IMMEDIATE; PostgreSQL: a transaction advisory lock, so replicas queue),
// reads the head, and inserts e as head+1 with its hash. The hash covers
// the event exactly as it will be read back.
func (s *Store) AppendChainedAuditEvent(ctx context.Context, e audit.Event) (audit.Link, error) {
	if e.ID == "" {
		e.ID = newID()
	}
	if err := checkAuditText(e); err != nil {
		return audit.Link{}, fmt.Errorf("sqlstore: append audit event: %w", err)
	}
	details, err := encodeAuditDetails(e.Details)
	if err != nil {
		return audit.Link{}, fmt.Errorf("sqlstore: append audit event: %w", err)
	}
	// Hash what a reader gets: the time at the stored precision, the
	// details as decoded from their stored form.
	e.At = fromMicros(micros(e.At))
	if e.Details, err = decodeAuditDetails(details); err != nil {
		return audit.Link{}, fmt.Errorf("sqlstore: append audit event: %w", err)
	}
	var link audit.Link
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		head, err := s.lockedAuditHead(ctx, tx)
		if err != nil {
			return err
		}
		link = audit.Link{Seq: head.Seq + 1}
		link.Hash = audit.ChainHash(head.Hash, link.Seq, e)
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (id, at, type, actor_id, subject_id, ip, user_agent, details, seq, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.ID, micros(e.At), string(e.Type), e.ActorID, e.SubjectID, e.IP, e.UserAgent, details, link.Seq, link.Hash)
		return err
	})
	if err != nil {
		return audit.Link{}, s.errorf("sqlstore: append audit event: %w", err)
	}
	return link, nil
}

// lockedAuditHead takes the chain lock in tx and returns the head.
func (s *Store) lockedAuditHead(ctx context.Context, tx *sql.Tx) (audit.Link, error) {
	if err := s.dialect.lockAuditChain(ctx, tx); err != nil {
		return audit.Link{}, err
	}
	return auditHead(ctx, tx)
}

func auditHead(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (audit.Link, error) {
	var l audit.Link
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&l.Seq, &l.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Link{}, nil
	}
	return l, err
}

// checkAuditText refuses text that one engine would store differently
// from the other (PostgreSQL refuses NUL and invalid UTF-8, SQLite keeps
// them), so that the hash covers exactly what is stored. The Recorder
// sanitizes every field before it gets here.
func checkAuditText(e audit.Event) error {
	fields := []struct{ name, v string }{
		{"id", e.ID}, {"type", string(e.Type)}, {"actor_id", e.ActorID}, {"subject_id", e.SubjectID},
		{"ip", e.IP}, {"user_agent", e.UserAgent},
	}
	for k, v := range e.Details {
		fields = append(fields, struct{ name, v string }{"details key", k}, struct{ name, v string }{"details[" + k + "]", v})
	}
	for _, f := range fields {
		if !utf8.ValidString(f.v) || strings.ContainsRune(f.v, 0) {
			return fmt.Errorf("%s is not valid UTF-8 text without NUL", f.name)
		}
	}
	return nil
}

func encodeAuditDetails(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("details: %w", err)
	}
	return string(b), nil
}

func decodeAuditDetails(s string) (map[string]string, error) {
	if s == "{}" {
		return nil, nil
	}
	var d map[string]string
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	return d, nil
}

// AuditEventsAbout implements audit.Store.
func (s *Store) AuditEventsAbout(ctx context.Context, userID string, limit int) ([]audit.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+auditColumns+`
		FROM audit_events WHERE actor_id = $1 OR subject_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: audit events about %s: %w", userID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (audit.Event, error) {
		ce, err := scanAuditEvent(sc)
		return ce.Event, err
	})
}

const auditColumns = `id, at, type, actor_id, subject_id, ip, user_agent, details, seq, hash`

// scanAuditEvent reads auditColumns; Seq is 0 and Hash nil for an event
// outside the chain.
func scanAuditEvent(sc interface{ Scan(...any) error }) (audit.ChainedEvent, error) {
	var e audit.ChainedEvent
	var at int64
	var seq sql.NullInt64
	var typ, details string
	if err := sc.Scan(&e.ID, &at, &typ, &e.ActorID, &e.SubjectID, &e.IP, &e.UserAgent, &details, &seq, &e.Hash); err != nil {
		return e, err
	}
	e.At, e.Type, e.Seq = fromMicros(at), audit.Type(typ), seq.Int64
	var err error
	e.Details, err = decodeAuditDetails(details)
	return e, err
}

// AuditChainHead implements audit.ChainStore.
func (s *Store) AuditChainHead(ctx context.Context) (audit.Link, error) {
	l, err := auditHead(ctx, s.read)
	if err != nil {
		return l, s.errorf("sqlstore: audit chain head: %w", err)
	}
	return l, nil
}

// walkBatch is how many events WalkAuditChain reads per query.
const walkBatch = 500

// WalkAuditChain implements audit.ChainReader. It reads in batches by
// seq (keyset), so memory stays bounded and no statement stays open
// while fn runs.
func (s *Store) WalkAuditChain(ctx context.Context, after int64, fn func(audit.ChainedEvent) error) error {
	for {
		rows, err := s.read.QueryContext(ctx, `SELECT `+auditColumns+`
			FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, walkBatch)
		if err != nil {
			return s.errorf("sqlstore: walk audit chain: %w", err)
		}
		batch, err := collect(s, rows, scanAuditEvent)
		if err != nil {
			return fmt.Errorf("sqlstore: walk audit chain: %w", err)
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		}
		if len(batch) < walkBatch {
			return nil
		}
	}
}

// UnchainedAuditEvents implements audit.ChainReader.
func (s *Store) UnchainedAuditEvents(ctx context.Context, limit int) ([]audit.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+auditColumns+`
		FROM audit_events WHERE seq IS NULL OR hash IS NULL ORDER BY at, id LIMIT $1`, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: unchained audit events: %w", err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (audit.Event, error) {
		ce, err := scanAuditEvent(sc)
		return ce.Event, err
	})
}

// AddAuditCheckpoint implements audit.ChainStore.
func (s *Store) AddAuditCheckpoint(ctx context.Context, c audit.Checkpoint) (bool, error) {
	res, err := s.write.ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, at, key_version, signature)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING`, c.Seq, c.Hash, micros(c.At), c.KeyVersion, c.Signature)
	if err != nil {
		return false, s.errorf("sqlstore: add audit checkpoint %d: %w", c.Seq, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: add audit checkpoint %d: %w", c.Seq, err)
	}
	return n == 1, nil
}

const checkpointColumns = `seq, hash, at, key_version, signature`

func scanCheckpoint(sc interface{ Scan(...any) error }) (audit.Checkpoint, error) {
	var c audit.Checkpoint
	var at int64
	err := sc.Scan(&c.Seq, &c.Hash, &at, &c.KeyVersion, &c.Signature)
	c.At = fromMicros(at)
	return c, err
}

// LatestAuditCheckpoint implements audit.ChainStore.
func (s *Store) LatestAuditCheckpoint(ctx context.Context) (audit.Checkpoint, bool, error) {
	c, err := scanCheckpoint(s.read.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Checkpoint{}, false, nil
	}
	if err != nil {
		return c, false, s.errorf("sqlstore: latest audit checkpoint: %w", err)
	}
	return c, true, nil
}

// AuditCheckpoints implements audit.ChainReader. Checkpoints are few (one
// per thousand events or quarter hour at most), so they are returned whole.
func (s *Store) AuditCheckpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, s.errorf("sqlstore: audit checkpoints: %w", err)
	}
	return collect(s, rows, scanCheckpoint)
}

// chainLegacyAuditEvents runs once, inside the transaction of the
// migration that adds the chain (0006_audit_chain): the events recorded
// before it are chained in the order they happened (at, then id), so the
// first checkpoint covers them too. Doing it in that transaction, rather
// than on every start, means a row inserted later around the chain is
// never silently adopted: Verify reports it.
func chainLegacyAuditEvents(ctx context.Context, tx *sql.Tx) error {
	head, err := auditHead(ctx, tx)
	if err != nil {
		return err
	}
	lastAt, lastID := int64(math.MinInt64), ""
	for {
		// Keyset pagination over the (at, id) index; all rows of one batch
		// are read before any is updated (pgx runs one statement at a time).
		rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events
			WHERE seq IS NULL AND (at > $1 OR (at = $1 AND id > $2)) ORDER BY at, id LIMIT $3`,
			lastAt, lastID, walkBatch)
		if err != nil {
			return err
		}
		var batch []audit.ChainedEvent
		for rows.Next() {
			e, err := scanAuditEvent(rows)
			if err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, e)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, e := range batch {
			seq := head.Seq + 1
			hash := audit.ChainHash(head.Hash, seq, e.Event)
			if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET seq = $1, hash = $2 WHERE id = $3`, seq, hash, e.ID); err != nil {
				return err
			}
			head = audit.Link{Seq: seq, Hash: hash}
			lastAt, lastID = micros(e.At), e.ID
		}
		if len(batch) < walkBatch {
			return nil
		}
	}
}

// PruneAuditChain deletes, for retention (GDPR Art. 5(1)(e)), the oldest
// events of the chain: every event up to and including the newest signed
// checkpoint whose events are all older than before. It returns that
// checkpoint's Seq (0 when nothing was deleted) and how many events went.
//
// Only such a prefix goes: its checkpoint row stays and anchors the first
// event kept (audit.Verify). The head event always stays, so the chain
// goes on from its hash, not from an empty log. It runs in one write
// transaction under the chain lock, so no event is appended meanwhile.
func (s *Store) PruneAuditChain(ctx context.Context, before time.Time) (through int64, n int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		head, err := s.lockedAuditHead(ctx, tx)
		if err != nil || head.Seq == 0 {
			return err
		}
		// The first event not old enough bounds what may go: events are
		// not always in time order, so their seq alone does not tell.
		var young sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MIN(seq) FROM audit_events WHERE seq IS NOT NULL AND at >= $1`,
			micros(before)).Scan(&young); err != nil {
			return err
		}
		limit := head.Seq // exclusive: the head stays
		if young.Valid && young.Int64 < limit {
			limit = young.Int64
		}
		var cp sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(seq) FROM audit_checkpoints WHERE seq < $1`, limit).Scan(&cp); err != nil {
			return err
		}
		if !cp.Valid || cp.Int64 < 1 {
			return nil
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE seq IS NOT NULL AND seq <= $1`, cp.Int64)
		if err != nil {
			return err
		}
		deleted, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if deleted > 0 {
			through, n = cp.Int64, int(deleted)
		}
		return nil
	})
	if err != nil {
		return 0, 0, s.errorf("sqlstore: prune audit chain: %w", err)
	}
	return through, n, nil
}

// ResignAuditCheckpoint implements audit.ResignStore: the checkpoint at
// seq takes the new signature only while it still holds old.
func (s *Store) ResignAuditCheckpoint(ctx context.Context, seq int64, old []byte, keyVersion int, sig []byte) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE audit_checkpoints SET key_version = $1, signature = $2
		WHERE seq = $3 AND signature = $4`, keyVersion, sig, seq, old)
	if err != nil {
		return false, s.errorf("sqlstore: sign audit checkpoint %d again: %w", seq, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errorf("sqlstore: sign audit checkpoint %d again: %w", seq, err)
	}
	return n == 1, nil
}
