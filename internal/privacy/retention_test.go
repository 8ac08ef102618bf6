package privacy_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safelight/internal/audit"
	"safelight/internal/auth"
	"safelight/internal/mail"
	"safelight/internal/privacy"
	"safelight/internal/sqlstore"
	"safelight/internal/sqlstore/storetest"
)

// TestRetentionFailingClassDoesNotStopOthers: when one class fails (here
// the trash purge it delegates to), the run still deletes the other
// classes by its own clock, returns the failure named by class, and
// records what it did delete.
func TestRetentionFailingClassDoesNotStopOthers(t *testing.T) {
	ctx := t.Context()
	st := storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "meta.db"))
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, m := range []mail.OutboxMessage{
		{ID: sqlstore.NewID(), To: "old@example.com", Subject: "s", Text: "x", CreatedAt: now.Add(-mail.OutboxRetention - time.Second)},
		{ID: sqlstore.NewID(), To: "new@example.com", Subject: "s", Text: "x", CreatedAt: now.Add(-mail.OutboxRetention + time.Second)},
	} {
		if err := st.AddOutboxMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	broken := errors.New("disk on fire")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := privacy.NewRetention(st, privacy.RetentionSweeps{Trash: func(context.Context) error { return broken }},
		audit.NewRecorder(st, log), log)
	r.SetClock(func() time.Time { return now })

	counts, err := r.Enforce(ctx)
	if !errors.Is(err, broken) || !strings.Contains(err.Error(), privacy.ClassTrash) {
		t.Errorf("Enforce error = %v; want the trash's failure, named", err)
	}
	if _, ok := counts[privacy.ClassTrash]; ok {
		t.Errorf("counts = %v; a failed class has no count", counts)
	}
	if counts[privacy.ClassOutbox] != 1 {
		t.Errorf("outbox count = %d; want 1 (the message just past 7 days)", counts[privacy.ClassOutbox])
	}
	ms, err := st.OutboxMessages(ctx, time.Time{}, 10)
	if err != nil || len(ms) != 1 || ms[0].To != "new@example.com" {
		t.Errorf("outbox = %v, %v; want the message just inside 7 days", ms, err)
	}
	es, err := st.AuditLog(ctx, auth.AuditFilter{Type: audit.RetentionPurged, Limit: 10})
	if err != nil || len(es) != 1 || es[0].Details[privacy.ClassOutbox] != "1" || len(es[0].Details) != 1 {
		t.Errorf("recorded runs = %+v, %v; want one event with mail_outbox=1 only", es, err)
	}
}
