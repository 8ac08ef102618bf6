package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"safelight/internal/audit"
)

var _ audit.Store = (*Store)(nil)

// AppendAuditEvent implements audit.Store.
func (s *Store) AppendAuditEvent(ctx context.Context, e audit.Event) error {
	if e.ID == "" {
		e.ID = newID()
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("sqlstore: audit details: %w", err)
		}
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO audit_events (id, at, type, actor_id, subject_id, ip, user_agent, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, micros(e.At), string(e.Type), e.ActorID, e.SubjectID, e.IP, e.UserAgent, string(details))
	if err != nil {
		return s.errorf("sqlstore: append audit event: %w", err)
	}
	return nil
}

// AuditEventsAbout implements audit.Store.
func (s *Store) AuditEventsAbout(ctx context.Context, userID string, limit int) ([]audit.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, type, actor_id, subject_id, ip, user_agent, details
		FROM audit_events WHERE actor_id = $1 OR subject_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, s.errorf("sqlstore: audit events about %s: %w", userID, err)
	}
	return collect(s, rows, func(sc interface{ Scan(...any) error }) (audit.Event, error) {
		var e audit.Event
		var at int64
		var typ, details string
		if err := sc.Scan(&e.ID, &at, &typ, &e.ActorID, &e.SubjectID, &e.IP, &e.UserAgent, &details); err != nil {
			return e, err
		}
		e.At, e.Type = fromMicros(at), audit.Type(typ)
		if details != "{}" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return e, err
			}
		}
		return e, nil
	})
}
