package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"safelight/internal/blob"
	"safelight/internal/library"
	"safelight/internal/media"
	"safelight/internal/sqlstore"
)

// mkAsset returns a processing asset of owner with every column set to a
// value that is not its default, so that a column lost on the way in or
// out shows. mac makes it unique per owner.
func mkAsset(ownerID, id string, mac byte, sortAt time.Time) library.Asset {
	return library.Asset{
		ID:               id,
		OwnerID:          ownerID,
		Status:           library.StatusProcessing,
		Format:           media.FormatJPEG,
		Width:            6000,
		Height:           4000,
		Size:             12_345_678_901, // over 32 bits
		TakenAt:          time.Date(2025, 7, 14, 18, 30, 15, 250000000, time.FixedZone("", 2*3600)),
		TakenAtHasOffset: true,
		CameraMake:       "FUJIFILM",
		CameraModel:      "X-T4",
		Lens:             "XF23mmF1.4 R",
		FocalLengthMM:    23.3,
		FNumber:          1.4,
		ExposureSeconds:  1.0 / 3,
		ExposureText:     "1/3",
		ISO:              6400,
		ColorProfile:     "sRGB IEC61966-2.1",
		SealedPrivate:    []byte{0, 1, 2, 0xff, 0},
		ContentMAC:       bytes.Repeat([]byte{mac}, 32),
		OriginalRef:      blob.Ref("originals/" + id),
		SortAt:           sortAt,
		CreatedAt:        sortAt,
		UpdatedAt:        sortAt,
	}
}

// assetDiff says how got differs from want, or "" if it does not. Times
// are compared as instants, and TakenAt also by its UTC offset when the
// asset records one.
func assetDiff(got, want library.Asset) string {
	times := func(a *library.Asset) []time.Time {
		ts := []time.Time{a.TakenAt, a.SortAt, a.CreatedAt, a.UpdatedAt, a.TrashedAt}
		a.TakenAt, a.SortAt, a.CreatedAt, a.UpdatedAt, a.TrashedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		return ts
	}
	gt, wt := times(&got), times(&want)
	for i := range gt {
		if !gt[i].Equal(wt[i]) {
			return fmt.Sprintf("time #%d = %v; want %v", i, gt[i], wt[i])
		}
	}
	if want.TakenAtHasOffset {
		_, g := gt[0].Zone()
		_, w := wt[0].Zone()
		if g != w {
			return fmt.Sprintf("TakenAt offset = %ds; want %ds", g, w)
		}
	}
	if !reflect.DeepEqual(got, want) {
		return "fields differ"
	}
	return ""
}

func createAsset(t *testing.T, s *sqlstore.Store, a library.Asset) library.Asset {
	t.Helper()
	if err := s.CreateAsset(t.Context(), a); err != nil {
		t.Fatalf("CreateAsset(%s) = %v", a.ID, err)
	}
	return a
}

func assetIDs(as []library.Asset) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func testAssetRoundTrip(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	u := mkUser(t, s, "ann@example.com")
	for i, tt := range []struct {
		name   string
		modify func(*library.Asset)
	}{
		{"WithOffset", func(*library.Asset) {}},
		{"WithoutOffset", func(a *library.Asset) {
			a.TakenAt, a.TakenAtHasOffset = time.Date(2025, 7, 14, 16, 30, 15, 0, time.UTC), false
		}},
		{"NoCaptureTime", func(a *library.Asset) {
			a.TakenAt, a.TakenAtHasOffset = time.Time{}, false
			a.FocalLengthMM, a.FNumber, a.ExposureSeconds, a.ExposureText = 0, 0, 0, ""
		}},
		{"WestOfUTC", func(a *library.Asset) {
			a.TakenAt = time.Date(2025, 1, 2, 3, 4, 5, 6000, time.FixedZone("", -(9*3600+30*60)))
			a.ExposureSeconds, a.FocalLengthMM = 0.000125, 1e-300
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := mkAsset(u.ID, sqlstore.NewID(), byte(i), t0)
			tt.modify(&want)
			createAsset(t, s, want)
			got, err := s.AssetByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("AssetByID = %v", err)
			}
			if d := assetDiff(got, want); d != "" {
				t.Errorf("AssetByID: %s\ngot  %+v\nwant %+v", d, got, want)
			}
			got, err = s.AssetByMAC(ctx, u.ID, want.ContentMAC)
			if err != nil || got.ID != want.ID {
				t.Errorf("AssetByMAC = %s, %v; want %s", got.ID, err, want.ID)
			}
		})
	}
}

func testAssetLookups(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	first := createAsset(t, s, mkAsset(a.ID, "x1", 1, t0))
	err := s.CreateAsset(ctx, mkAsset(a.ID, "x2", 1, t0))
	if !errors.Is(err, library.ErrDuplicate) {
		t.Errorf("CreateAsset(same owner, same MAC) = %v; want ErrDuplicate", err)
	}
	// The MAC is keyed per owner, so another owner's equal MAC is not a
	// duplicate.
	other := createAsset(t, s, mkAsset(b.ID, "x3", 1, t0))
	if got, err := s.AssetByMAC(ctx, a.ID, first.ContentMAC); err != nil || got.ID != first.ID {
		t.Errorf("AssetByMAC(a) = %s, %v; want %s", got.ID, err, first.ID)
	}
	if got, err := s.AssetByMAC(ctx, b.ID, first.ContentMAC); err != nil || got.ID != other.ID {
		t.Errorf("AssetByMAC(b) = %s, %v; want %s", got.ID, err, other.ID)
	}
	if _, err := s.AssetByMAC(ctx, a.ID, []byte("nope")); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("AssetByMAC(missing) = %v; want ErrNotFound", err)
	}
	if _, err := s.AssetByID(ctx, "nope"); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("AssetByID(missing) = %v; want ErrNotFound", err)
	}
	// A trashed asset is still found by its MAC: re-uploading it is a
	// duplicate, not a second copy.
	if err := s.SetAssetTrashed(ctx, a.ID, first.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AssetByMAC(ctx, a.ID, first.ContentMAC); err != nil || got.ID != first.ID || got.TrashedAt.IsZero() {
		t.Errorf("AssetByMAC(trashed) = %+v, %v", got, err)
	}
}

func testListAssets(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	// "p-a" and "p-B" share a sort time, so their ids decide: in byte
	// order (SQLite's, and PostgreSQL's "C"), "B" < "a", whereas a
	// locale's collation would put "a" first.
	for i, x := range []struct {
		id     string
		sortAt time.Time
	}{{"p-1", h(1)}, {"p-a", h(2)}, {"p-B", h(2)}, {"p-3", h(3)}, {"p-trash", h(4)}} {
		createAsset(t, s, mkAsset(a.ID, x.id, byte(i), x.sortAt))
	}
	createAsset(t, s, mkAsset(b.ID, "q-1", 1, h(5)))
	if err := s.SetAssetTrashed(ctx, a.ID, "p-trash", h(6)); err != nil {
		t.Fatal(err)
	}

	var all []string
	var after *library.Cursor
	for page := 0; ; page++ {
		got, err := s.ListAssets(ctx, a.ID, false, after, 2)
		if err != nil {
			t.Fatalf("ListAssets page %d = %v", page, err)
		}
		if len(got) > 2 || page > 3 {
			t.Fatalf("ListAssets page %d = %v; want at most 2, and an end", page, assetIDs(got))
		}
		if len(got) == 0 {
			break
		}
		all = append(all, assetIDs(got)...)
		last := got[len(got)-1]
		after = &library.Cursor{SortAt: last.SortAt, ID: last.ID}
	}
	if want := []string{"p-3", "p-a", "p-B", "p-1"}; !slices.Equal(all, want) {
		t.Errorf("ListAssets pages = %v; want %v", all, want)
	}
	if got, err := s.ListAssets(ctx, a.ID, true, nil, 10); err != nil || !slices.Equal(assetIDs(got), []string{"p-trash"}) {
		t.Errorf("ListAssets(trashed) = %v, %v; want [p-trash]", assetIDs(got), err)
	}
	if got, err := s.ListAssets(ctx, "nobody", false, nil, 10); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ListAssets(nobody) = %v, %v; want empty non-nil", got, err)
	}

	for _, tt := range []struct{ id, prev, next string }{
		{"p-3", "", "p-a"},
		{"p-a", "p-3", "p-B"},
		{"p-B", "p-a", "p-1"},
		{"p-1", "p-B", ""},
	} {
		x, err := s.AssetByID(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		prev, next, err := s.Neighbours(ctx, a.ID, library.Cursor{SortAt: x.SortAt, ID: x.ID})
		if err != nil || prev != tt.prev || next != tt.next {
			t.Errorf("Neighbours(%s) = %q, %q, %v; want %q, %q", tt.id, prev, next, err, tt.prev, tt.next)
		}
	}
}

func testAssetLifecycle(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	x := createAsset(t, s, mkAsset(a.ID, "x", 1, t0))
	y := createAsset(t, s, mkAsset(a.ID, "y", 2, t0))
	d := library.Derivatives{ThumbRef: "thumbs/x", PreviewRef: "previews/x", ThumbWidth: 300, ThumbHeight: 200, PreviewWidth: 2048, PreviewHeight: 1365}
	t1 := t0.Add(time.Minute)

	if ok, err := s.SetAssetReady(ctx, x.ID, d, t1); err != nil || !ok {
		t.Fatalf("SetAssetReady(processing) = %v, %v; want true", ok, err)
	}
	got, err := s.AssetByID(ctx, x.ID)
	if err != nil || got.Status != library.StatusReady || got.ThumbRef != d.ThumbRef || got.PreviewRef != d.PreviewRef ||
		got.ThumbWidth != 300 || got.ThumbHeight != 200 || got.PreviewWidth != 2048 || got.PreviewHeight != 1365 || !got.UpdatedAt.Equal(t1) {
		t.Errorf("after SetAssetReady = %+v, %v", got, err)
	}
	if ok, err := s.SetAssetReady(ctx, x.ID, library.Derivatives{ThumbRef: "thumbs/other"}, t1); err != nil || ok {
		t.Errorf("SetAssetReady(ready) = %v, %v; want false", ok, err)
	}
	if ok, err := s.SetAssetReady(ctx, "missing", d, t1); err != nil || ok {
		t.Errorf("SetAssetReady(missing) = %v, %v; want false", ok, err)
	}

	if err := s.SetAssetFailed(ctx, y.ID, "not an image we can read", t1); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AssetByID(ctx, y.ID); got.Status != library.StatusFailed || got.FailureReason != "not an image we can read" {
		t.Errorf("after SetAssetFailed = %s %q", got.Status, got.FailureReason)
	}
	if ok, err := s.SetAssetReady(ctx, y.ID, d, t1); err != nil || ok {
		t.Errorf("SetAssetReady(failed) = %v, %v; want false", ok, err)
	}
	if err := s.SetAssetFailed(ctx, "missing", "x", t1); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("SetAssetFailed(missing) = %v; want ErrNotFound", err)
	}

	for _, ref := range []blob.Ref{x.OriginalRef, d.ThumbRef, d.PreviewRef} {
		if ok, err := s.BlobReferenced(ctx, ref); err != nil || !ok {
			t.Errorf("BlobReferenced(%s) = %v, %v; want true", ref, ok, err)
		}
	}
	if ok, err := s.BlobReferenced(ctx, "thumbs/nobody"); err != nil || ok {
		t.Errorf("BlobReferenced(unknown) = %v, %v; want false", ok, err)
	}

	// Trash and restore, each only from the other state and only by the
	// owner.
	t2 := t0.Add(time.Hour)
	if err := s.SetAssetTrashed(ctx, b.ID, x.ID, t2); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("SetAssetTrashed(other owner) = %v; want ErrNotFound", err)
	}
	if err := s.SetAssetTrashed(ctx, a.ID, x.ID, time.Time{}); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("restore of an asset not in the trash = %v; want ErrNotFound", err)
	}
	if err := s.SetAssetTrashed(ctx, a.ID, x.ID, t2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AssetByID(ctx, x.ID); !got.TrashedAt.Equal(t2) {
		t.Errorf("TrashedAt = %v; want %v", got.TrashedAt, t2)
	}
	if err := s.SetAssetTrashed(ctx, a.ID, x.ID, t2.Add(time.Hour)); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("trashing twice = %v; want ErrNotFound", err)
	}
	if err := s.SetAssetTrashed(ctx, a.ID, x.ID, time.Time{}); err != nil {
		t.Fatalf("restore = %v", err)
	}
	if got, _ := s.AssetByID(ctx, x.ID); !got.TrashedAt.IsZero() {
		t.Errorf("after restore TrashedAt = %v; want zero", got.TrashedAt)
	}

	if err := s.AppendAccess(ctx, library.AccessEvent{ID: "e1", AssetID: x.ID, OwnerID: a.ID, At: t1, ActorID: a.ID, ActorLabel: "you", Via: "owner", Action: "original"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAsset(ctx, x.ID); err != nil {
		t.Fatalf("DeleteAsset = %v", err)
	}
	if _, err := s.AssetByID(ctx, x.ID); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("deleted asset found: %v", err)
	}
	if err := s.DeleteAsset(ctx, x.ID); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("DeleteAsset twice = %v; want ErrNotFound", err)
	}
	if log, err := s.AccessLog(ctx, x.ID, 10); err != nil || len(log) != 0 {
		t.Errorf("access log of a deleted asset = %v, %v; want empty", log, err)
	}
	if ok, err := s.BlobReferenced(ctx, d.ThumbRef); err != nil || ok {
		t.Errorf("BlobReferenced(deleted asset's thumb) = %v, %v; want false", ok, err)
	}
}

func testTrashedAndProcessing(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a, b := mkUser(t, s, "a@example.com"), mkUser(t, s, "b@example.com")
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	for i, x := range []struct {
		owner, id string
		created   time.Time
		trashed   time.Time
	}{
		{a.ID, "a-old", m(1), m(10)},
		{a.ID, "a-new", m(2), m(30)},
		{b.ID, "b-old", m(3), m(5)},
		{a.ID, "a-kept", m(4), time.Time{}},
		{b.ID, "b-kept", m(5), time.Time{}},
	} {
		createAsset(t, s, mkAsset(x.owner, x.id, byte(i), x.created))
		if !x.trashed.IsZero() {
			if err := s.SetAssetTrashed(ctx, x.owner, x.id, x.trashed); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		owner  string
		before time.Time
		limit  int
		want   []string
	}{
		{"", m(20), 10, []string{"b-old", "a-old"}},
		{"", m(60), 10, []string{"b-old", "a-old", "a-new"}},
		{"", m(60), 1, []string{"b-old"}},
		{a.ID, m(60), 10, []string{"a-old", "a-new"}},
		{b.ID, m(60), 10, []string{"b-old"}},
		{a.ID, m(5), 10, []string{}},
	} {
		got, err := s.TrashedBefore(ctx, tt.owner, tt.before, tt.limit)
		if err != nil || !slices.Equal(assetIDs(got), tt.want) {
			t.Errorf("TrashedBefore(%q, %v, %d) = %v, %v; want %v", tt.owner, tt.before, tt.limit, assetIDs(got), err, tt.want)
		}
	}

	if ok, err := s.SetAssetReady(ctx, "a-kept", library.Derivatives{ThumbRef: "thumbs/a"}, m(6)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	for _, tt := range []struct {
		before time.Time
		limit  int
		want   []string
	}{
		{m(3), 10, []string{"a-old", "a-new"}},
		{m(60), 10, []string{"a-old", "a-new", "b-old", "b-kept"}},
		{m(60), 2, []string{"a-old", "a-new"}},
		{m(1), 10, []string{}},
	} {
		got, err := s.ProcessingBefore(ctx, tt.before, tt.limit)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ProcessingBefore(%v, %d) = %v, %v; want %v", tt.before, tt.limit, got, err, tt.want)
		}
	}
}

func testAccessLog(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	x := createAsset(t, s, mkAsset(a.ID, "x", 1, t0))
	y := createAsset(t, s, mkAsset(a.ID, "y", 2, t0))
	events := []library.AccessEvent{
		{ID: "e1", AssetID: x.ID, OwnerID: a.ID, At: t0, ActorID: a.ID, ActorLabel: "you", Via: "owner", Action: "original"},
		{ID: "e2", AssetID: x.ID, OwnerID: a.ID, At: t0.Add(time.Second), ActorLabel: "Guest", Via: "owner", Action: "preview"},
		{ID: "e3", AssetID: x.ID, OwnerID: a.ID, At: t0.Add(time.Second), ActorLabel: "Guest", Via: "owner", Action: "thumb"},
		{ID: "e4", AssetID: y.ID, OwnerID: a.ID, At: t0.Add(time.Hour), ActorID: a.ID, ActorLabel: "you", Via: "owner", Action: "metadata"},
	}
	for _, e := range events {
		if err := s.AppendAccess(ctx, e); err != nil {
			t.Fatalf("AppendAccess(%s) = %v", e.ID, err)
		}
	}
	got, err := s.AccessLog(ctx, x.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	if want := []string{"e3", "e2", "e1"}; !slices.Equal(gotIDs, want) {
		t.Errorf("AccessLog order = %v; want %v (newest first)", gotIDs, want)
	}
	if len(got) == 3 {
		e, want := got[2], events[0]
		if !e.At.Equal(want.At) {
			t.Errorf("AccessLog[2].At = %v; want %v", e.At, want.At)
		}
		e.At, want.At = time.Time{}, time.Time{}
		if e != want {
			t.Errorf("AccessLog[2] = %+v; want %+v", e, want)
		}
	}
	if got, err := s.AccessLog(ctx, x.ID, 1); err != nil || len(got) != 1 || got[0].ID != "e3" {
		t.Errorf("AccessLog(limit 1) = %v, %v; want [e3]", got, err)
	}
	if got, err := s.AccessLog(ctx, "none", 10); err != nil || got == nil || len(got) != 0 {
		t.Errorf("AccessLog(none) = %v, %v; want empty non-nil", got, err)
	}
}

func testLibrarySettings(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	a := mkUser(t, s, "a@example.com")
	if st, err := s.LibrarySettings(ctx, a.ID); err != nil || !st.KeepCopyright {
		t.Errorf("LibrarySettings(default) = %+v, %v; want KeepCopyright", st, err)
	}
	for _, keep := range []bool{false, true, false} {
		if err := s.SetLibrarySettings(ctx, a.ID, library.Settings{KeepCopyright: keep}); err != nil {
			t.Fatalf("SetLibrarySettings(%v) = %v", keep, err)
		}
		if st, err := s.LibrarySettings(ctx, a.ID); err != nil || st.KeepCopyright != keep {
			t.Errorf("LibrarySettings after setting %v = %+v, %v", keep, st, err)
		}
	}
}
