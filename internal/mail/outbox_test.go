package mail_test

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safelight/internal/mail"
	"safelight/internal/sqlstore"
)

func TestOutbox(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "m.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	o := mail.NewOutbox(st, log)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	o.SetClock(func() time.Time { return now })

	const secret = "https://photos.example/reset-password?token=slr_SECRET"
	if err := o.Send(t.Context(), mail.Message{To: "ann@example.com", Subject: "Old", Text: "old " + secret}); err != nil {
		t.Fatal(err)
	}
	if err := o.Send(t.Context(), mail.Message{To: "ann@example.com", Subject: "Bad\nBcc: x@example.com", Text: "x"}); !errors.Is(err, mail.ErrInvalidMessage) {
		t.Errorf("Send(header injection) = %v; want ErrInvalidMessage", err)
	}
	now = now.Add(mail.OutboxRetention - time.Minute)
	if err := o.Send(t.Context(), mail.Message{To: "bob@example.com", Subject: "New", Text: "new " + secret}); err != nil {
		t.Fatal(err)
	}
	ms, err := o.Messages(t.Context(), 10)
	if err != nil || len(ms) != 2 || ms[0].Subject != "New" || ms[0].Text != "new "+secret || ms[0].To != "bob@example.com" {
		t.Fatalf("Messages = %+v, %v; want New then Old", ms, err)
	}

	// Past retention the old message is no longer listed, and the next
	// Send deletes it.
	now = now.Add(2 * time.Minute)
	if ms, _ := o.Messages(t.Context(), 10); len(ms) != 1 || ms[0].Subject != "New" {
		t.Errorf("Messages after 7 days = %+v; want only New", ms)
	}
	if err := o.Send(t.Context(), mail.Message{To: "cat@example.com", Subject: "Newest", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if left, _ := st.OutboxMessages(t.Context(), time.Time{}, 10); len(left) != 2 {
		t.Errorf("stored messages after the sweep = %d; want 2", len(left))
	}

	out := logs.String()
	if !strings.Contains(out, "message to a***@example.com queued in the dev outbox") {
		t.Errorf("log lacks the masked queue line:\n%s", out)
	}
	if strings.Contains(out, "SECRET") || strings.Contains(out, "ann@example.com") {
		t.Errorf("log shows a body or a full address:\n%s", out)
	}
}
