package s3

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"safelight/internal/blob"
	"safelight/internal/testsvc"
)

func newTestStore(t *testing.T, partSize int64) *Store {
	t.Helper()
	target := testsvc.S3(t)
	s, err := New(t.Context(), Config{
		Bucket:    target.Bucket,
		Endpoint:  target.Endpoint,
		Region:    target.Region,
		AccessKey: target.AccessKey,
		SecretKey: target.SecretKey,
		PathStyle: true,
		PartSize:  partSize,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// TestCommitRecognizesOwnObject replays what happens when minio-go retries
// a conditional PUT whose first attempt committed: the retry is refused
// with 412, and commit must see that the object is this Put's.
func TestCommitRecognizesOwnObject(t *testing.T) {
	s := newTestStore(t, 0)
	ctx := t.Context()
	key := s.key(blob.NewRef("orig"))
	id, data := newPutID(), []byte("sealed bytes")
	if err := s.putSingle(ctx, key, id, data); err != nil {
		t.Fatalf("putSingle(%s): %v", key, err)
	}

	retry := func(id string) error {
		return s.commit(ctx, key, id, func(ctx context.Context) error { return s.putSingle(ctx, key, id, data) })
	}
	if err := retry(id); err != nil {
		t.Errorf("commit of a PUT refused because its own earlier attempt stored it = %v; want nil", err)
	}
	if err := retry(newPutID()); !errors.Is(err, blob.ErrExists) {
		t.Errorf("commit of another Put's PUT to a taken key = %v; want ErrExists", err)
	}
}

// TestMultipartKeepsPutID checks that the id given when a multipart upload
// starts survives its completion, so commit can recognize the object.
func TestMultipartKeepsPutID(t *testing.T) {
	s := newTestStore(t, MinPartSize)
	ctx := t.Context()
	ref := blob.NewRef("orig")
	key := s.key(ref)
	id := newPutID()
	r := io.LimitReader(rand.NewChaCha8([32]byte{1}), MinPartSize+10)
	first, eof, err := fill(ctx, r, nil, s.partSize)
	if err != nil || eof {
		t.Fatalf("fill = %d bytes, %v, %v; want a full part", len(first), eof, err)
	}
	if n, err := s.putMultipart(ctx, key, id, r, first); err != nil || n != MinPartSize+10 {
		t.Fatalf("putMultipart(%s) = %d, %v; want %d, nil", key, n, err, MinPartSize+10)
	}
	if got, err := s.owner(ctx, key); err != nil || got != id {
		t.Errorf("owner(%s) = %q, %v; want %q, nil", key, got, err, id)
	}
}

// TestCompleteIsConditional checks that the server refuses to complete a
// multipart upload over an object written after the upload began: the
// If-None-Match on CompleteMultipartUpload, not the early HEAD, is what
// keeps Put from replacing a blob.
func TestCompleteIsConditional(t *testing.T) {
	s := newTestStore(t, 0)
	ctx := t.Context()
	ref := blob.NewRef("orig")
	key := s.key(ref)
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("NewMultipartUpload(%s): %v", key, err)
	}
	defer s.core.AbortMultipartUpload(context.WithoutCancel(ctx), s.bucket, key, uploadID)
	part, err := s.core.PutObjectPart(ctx, s.bucket, key, uploadID, 1, strings.NewReader("late"), 4, minio.PutObjectPartOptions{})
	if err != nil {
		t.Fatalf("PutObjectPart(%s): %v", key, err)
	}

	if _, err := s.Put(ctx, ref, strings.NewReader("first")); err != nil {
		t.Fatalf("Put(%s): %v", ref, err)
	}
	var opts minio.PutObjectOptions
	opts.SetMatchETagExcept("*")
	_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID,
		[]minio.CompletePart{{PartNumber: 1, ETag: part.ETag}}, opts)
	if !isConditionFailed(err) {
		t.Errorf("conditional CompleteMultipartUpload over an existing object = %v; want 412 Precondition Failed", err)
	}
	rc, err := s.Get(ctx, ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || string(got) != "first" {
		t.Errorf("Get(%s) = %q, %v; want %q", ref, got, err, "first")
	}
}
