package library_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"safelight/internal/library"
)

// TestDeriveWaitsWhileRestricted: the derivatives of an owner who
// restricted processing (GDPR Art. 18) are not made — the job's handler
// answers ErrRestricted, which the app turns into a paused job — and are
// made once the restriction is lifted; uploads are refused meanwhile.
func TestDeriveWaitsWhileRestricted(t *testing.T) {
	f := newFixture(t)
	var asked atomic.Int32
	var frozen atomic.Bool
	f.lib.SetRestrictionCheck(func(ctx context.Context, ownerID string) (bool, error) {
		if ownerID != f.owner.UserID {
			t.Errorf("restriction asked of %q; want the owner", ownerID)
		}
		// The upload's own check passes; the owner restricts right after.
		return asked.Add(1) > 1 && frozen.Load(), nil
	})
	frozen.Store(true)
	a := f.ingest(t, jpegBytes(t, 600, 400, 7))
	for deadline := time.Now().Add(20 * time.Second); asked.Load() < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the derive job never ran")
		}
	}
	if err := f.lib.Derive(t.Context(), a.ID); !errors.Is(err, library.ErrRestricted) {
		t.Fatalf("Derive while restricted = %v; want ErrRestricted", err)
	}
	got, err := f.app.Store().AssetByID(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != library.StatusProcessing || got.ThumbRef != "" || len(f.blobs(t)) != 1 {
		t.Errorf("asset while restricted = %s, thumb %q, %d blobs; want processing, only the original", got.Status, got.ThumbRef, len(f.blobs(t)))
	}
	if _, _, err := f.lib.Ingest(t.Context(), f.owner, library.Upload{Filename: "upload", Body: bytes.NewReader(jpegBytes(t, 300, 200, 8))}); !errors.Is(err, library.ErrRestricted) {
		t.Errorf("Ingest while restricted = %v; want ErrRestricted", err)
	}

	frozen.Store(false)
	if err := f.lib.Derive(t.Context(), a.ID); err != nil {
		t.Fatalf("Derive after the lift = %v", err)
	}
	if done := f.wait(t, a.ID); done.Status != library.StatusReady {
		t.Errorf("asset after the lift = %s; want ready", done.Status)
	}
}
