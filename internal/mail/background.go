package mail

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// backgroundTimeout bounds one background delivery.
const backgroundTimeout = 30 * time.Second

// Background hands messages to a Mailer after the answer that caused
// them has gone: neither the delivery's time nor its failure shows in
// the answer (a failure is logged). Flush waits for what was queued, for
// a graceful stop and for tests. Safe for concurrent use.
type Background struct {
	m   Mailer
	log *slog.Logger
	wg  sync.WaitGroup
}

// NewBackground returns a Background sending through m.
func NewBackground(m Mailer, log *slog.Logger) *Background {
	return &Background{m: m, log: log}
}

// Send delivers msg in the background, with its own deadline and ctx's
// values but not its cancellation. what names the message in the log.
// The subject is kept on one line; a message without a recipient is
// dropped.
func (b *Background) Send(ctx context.Context, what string, msg Message) {
	if msg.To == "" {
		return
	}
	msg.Subject = strings.Join(strings.Fields(msg.Subject), " ")
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundTimeout)
		defer cancel()
		if err := b.m.Send(ctx, msg); err != nil {
			b.log.ErrorContext(ctx, what+" mail not sent", "err", err)
		}
	}()
}

// Flush waits until every message queued before it has been handed to
// the mailer, or ctx ends.
func (b *Background) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
