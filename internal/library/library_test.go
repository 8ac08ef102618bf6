package library_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"safelight/internal/access"
	"safelight/internal/app"
	"safelight/internal/app/apptest"
	"safelight/internal/blob"
	"safelight/internal/library"
)

func jpegBytes(t *testing.T, w, h, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x + seed), uint8(y * seed), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}

// corruptPNG has a valid header (so it passes the upload checks) and pixel
// data that does not inflate.
func corruptPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 64)
	binary.BigEndian.PutUint32(ihdr[4:], 64)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(bytes.Repeat([]byte{0, 1, 2, 3}, 64*64))
	zw.Close()
	bad := z.Bytes()
	for i := 10; i < len(bad)-4; i += 7 {
		bad[i] ^= 0xA5
	}
	chunk("IDAT", bad)
	chunk("IEND", nil)
	return b.Bytes()
}

type fixture struct {
	app   *app.App
	lib   *library.Service
	owner *access.Principal
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	a, _ := apptest.Start(t)
	u, err := a.Auth.CreateUser(t.Context(), "ann@example.com", "Ann", "violet darkroom lamp 42", nil)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{app: a, lib: a.Library, owner: &access.Principal{UserID: u.ID, Via: access.ViaSession}}
}

func (f fixture) ingest(t *testing.T, data []byte) library.Asset {
	t.Helper()
	// No extension: the name must match the content when it has one.
	a, dup, err := f.lib.Ingest(t.Context(), f.owner, library.Upload{Filename: "upload", Body: bytes.NewReader(data)})
	if err != nil || dup {
		t.Fatalf("Ingest = %v, duplicate %v", err, dup)
	}
	return a
}

func (f fixture) wait(t *testing.T, id string) library.Asset {
	t.Helper()
	for range 600 {
		a, err := f.app.Store().AssetByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != library.StatusProcessing {
			return a
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("asset %s still processing", id)
	return library.Asset{}
}

func (f fixture) blobs(t *testing.T) map[blob.Ref]bool {
	t.Helper()
	out := map[blob.Ref]bool{}
	for info, err := range f.app.Blobs().List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		out[info.Ref] = true
	}
	return out
}

func TestUndecodableEndsFailedAndRemovesOriginal(t *testing.T) {
	f := newFixture(t)
	a := f.ingest(t, corruptPNG())
	got := f.wait(t, a.ID)
	if got.Status != library.StatusFailed || got.FailureReason == "" {
		t.Fatalf("corrupt PNG ended %s (%q); want failed with a reason", got.Status, got.FailureReason)
	}
	if bs := f.blobs(t); bs[a.OriginalRef] || len(bs) != 0 {
		t.Errorf("blobs after a failed derive = %v; want none (original removed)", bs)
	}
	if _, err := f.lib.Open(t.Context(), f.owner, a.ID, library.Thumb); err == nil {
		t.Error("thumb of a failed asset opened")
	}
}

func TestDeriveIsIdempotent(t *testing.T) {
	f := newFixture(t)
	a := f.ingest(t, jpegBytes(t, 600, 400, 1))
	done := f.wait(t, a.ID)
	if done.Status != library.StatusReady {
		t.Fatalf("status = %s", done.Status)
	}
	before := f.blobs(t)
	if err := f.lib.Derive(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	after := f.blobs(t)
	if len(after) != len(before) || len(after) != 3 {
		t.Errorf("blobs before/after a second Derive = %d/%d; want 3 and unchanged", len(before), len(after))
	}
	again, _ := f.app.Store().AssetByID(t.Context(), a.ID)
	if again.ThumbRef != done.ThumbRef || again.PreviewRef != done.PreviewRef {
		t.Error("a second Derive replaced the derivatives")
	}
	if err := f.lib.Derive(t.Context(), "0197a000-0000-7000-8000-000000000000"); err != nil {
		t.Errorf("Derive of a missing asset = %v; want nil (nothing to do)", err)
	}
}

func TestTrashRetentionPurges(t *testing.T) {
	f := newFixture(t)
	keep := f.ingest(t, jpegBytes(t, 300, 200, 2))
	gone := f.ingest(t, jpegBytes(t, 300, 200, 3))
	f.wait(t, keep.ID)
	f.wait(t, gone.ID)
	if err := f.lib.Trash(t.Context(), f.owner, gone.ID); err != nil {
		t.Fatal(err)
	}
	// Within the retention period nothing is purged.
	if err := f.lib.PurgeTrash(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lib.Restore(t.Context(), f.owner, gone.ID); err != nil {
		t.Fatalf("restore within retention = %v", err)
	}
	if err := f.lib.Trash(t.Context(), f.owner, gone.ID); err != nil {
		t.Fatal(err)
	}
	f.lib.SetClock(func() time.Time { return time.Now().Add(31 * 24 * time.Hour) })
	if err := f.lib.PurgeTrash(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Store().AssetByID(t.Context(), gone.ID); err == nil {
		t.Error("asset trashed 31 days ago survived the purge")
	}
	bs := f.blobs(t)
	for _, r := range []blob.Ref{gone.OriginalRef} {
		if bs[r] {
			t.Errorf("purged asset's blob %s is still stored", r)
		}
	}
	if !bs[keep.OriginalRef] || len(bs) != 3 {
		t.Errorf("blobs after purge = %d; want the kept asset's 3", len(bs))
	}
}

func TestSweepRemovesOnlyOldOrphans(t *testing.T) {
	f := newFixture(t)
	a := f.ingest(t, jpegBytes(t, 300, 200, 4))
	f.wait(t, a.ID)
	orphan := blob.NewRef("orig")
	if _, err := f.app.Sealer.Put(t.Context(), f.owner.UserID, orphan, bytes.NewReader([]byte("left by a crash"))); err != nil {
		t.Fatal(err)
	}
	// Young orphans may be uploads whose row is about to be written.
	if err := f.lib.SweepOrphans(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !f.blobs(t)[orphan] {
		t.Fatal("the sweep removed a blob younger than an hour")
	}
	f.lib.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if err := f.lib.SweepOrphans(t.Context()); err != nil {
		t.Fatal(err)
	}
	bs := f.blobs(t)
	if bs[orphan] {
		t.Error("an old orphan survived the sweep")
	}
	if len(bs) != 3 || !bs[a.OriginalRef] {
		t.Errorf("the sweep removed referenced blobs: %v", bs)
	}
}

func TestReconcileEnqueuesStuckAssets(t *testing.T) {
	f := newFixture(t)
	// Insert a processing asset the way a crash after the row commit
	// would leave it: with no job.
	data := jpegBytes(t, 300, 200, 5)
	ref := blob.NewRef("orig")
	if _, err := f.app.Sealer.Put(t.Context(), f.owner.UserID, ref, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	priv, err := f.app.Sealer.SealValue(t.Context(), f.owner.UserID, []byte(`{"filename":"stuck.jpg"}`))
	if err != nil {
		t.Fatal(err)
	}
	// Created just now, so that the reconciler's own periodic run leaves it
	// alone until this test moves the clock.
	now := time.Now().UTC()
	stuck := library.Asset{ID: "0197a000-0000-7000-8000-0000000000aa", OwnerID: f.owner.UserID, Status: library.StatusProcessing,
		Format: "jpeg", Width: 300, Height: 200, Size: int64(len(data)), SealedPrivate: priv, ContentMAC: []byte("m"),
		OriginalRef: ref, SortAt: now, CreatedAt: now, UpdatedAt: now}
	if err := f.app.Store().CreateAsset(t.Context(), stuck); err != nil {
		t.Fatal(err)
	}
	// Until ready, thumb and preview are not there; the original is.
	for _, k := range []library.Kind{library.Thumb, library.Preview} {
		if _, err := f.lib.Open(t.Context(), f.owner, stuck.ID, k); !errors.Is(err, library.ErrNotReady) {
			t.Errorf("Open(%s) while processing = %v; want ErrNotReady", k, err)
		}
	}
	if c, err := f.lib.Open(t.Context(), f.owner, stuck.ID, library.Original); err != nil {
		t.Errorf("Open(original) while processing = %v", err)
	} else {
		c.Close()
	}
	f.lib.SetClock(func() time.Time { return time.Now().Add(time.Hour) })
	if err := f.lib.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.wait(t, stuck.ID); got.Status != library.StatusReady {
		t.Errorf("stuck asset after reconcile = %s; want ready", got.Status)
	}
}
