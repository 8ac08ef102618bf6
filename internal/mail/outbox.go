package mail

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// OutboxRetention is how long the development outbox keeps a message.
const OutboxRetention = 7 * 24 * time.Hour

// OutboxMessage is a message kept in the development outbox.
type OutboxMessage struct {
	ID        string
	To        string
	Subject   string
	Text      string
	CreatedAt time.Time
}

// OutboxStore persists the outbox; implemented by package sqlstore.
type OutboxStore interface {
	AddOutboxMessage(ctx context.Context, m OutboxMessage) error
	// OutboxMessages returns messages created at or after since, newest
	// first, at most limit.
	OutboxMessages(ctx context.Context, since time.Time, limit int) ([]OutboxMessage, error)
	// DeleteOutboxBefore removes messages created before t and returns
	// how many went.
	DeleteOutboxBefore(ctx context.Context, t time.Time) (int, error)
}

// Outbox is the Mailer of an instance without an SMTP server: it keeps
// messages in the database, where the instance admin reads them (the
// links they hold included) on the outbox page. It never writes a body to
// the log. Messages older than OutboxRetention are deleted as new ones
// arrive and are never listed. Safe for concurrent use.
type Outbox struct {
	store OutboxStore
	log   *slog.Logger
	now   func() time.Time
}

// NewOutbox returns an Outbox on store.
func NewOutbox(store OutboxStore, log *slog.Logger) *Outbox {
	return &Outbox{store: store, log: log.With("component", "mail"), now: time.Now}
}

// SetClock replaces the clock; for tests of retention.
func (o *Outbox) SetClock(now func() time.Time) { o.now = now }

// Send stores m in the outbox.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	to, err := m.check()
	if err != nil {
		return err
	}
	now := o.now().UTC()
	msg := OutboxMessage{ID: uuid.Must(uuid.NewV7()).String(), To: to, Subject: m.Subject, Text: m.Text, CreatedAt: now}
	if err := o.store.AddOutboxMessage(ctx, msg); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	o.log.InfoContext(ctx, "message to "+MaskAddress(to)+" queued in the dev outbox", "message_id", msg.ID)
	if n, err := o.store.DeleteOutboxBefore(ctx, now.Add(-OutboxRetention)); err != nil {
		o.log.ErrorContext(ctx, "old outbox messages not deleted", "err", err)
	} else if n > 0 {
		o.log.InfoContext(ctx, "old outbox messages deleted", "count", n)
	}
	return nil
}

// Messages returns the messages of the last OutboxRetention, newest first,
// at most limit.
func (o *Outbox) Messages(ctx context.Context, limit int) ([]OutboxMessage, error) {
	ms, err := o.store.OutboxMessages(ctx, o.now().UTC().Add(-OutboxRetention), limit)
	if err != nil {
		return nil, fmt.Errorf("mail: outbox messages: %w", err)
	}
	return ms, nil
}
