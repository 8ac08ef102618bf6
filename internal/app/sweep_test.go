package app_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"safelight/internal/app/apptest"
	"safelight/internal/blob"
	"safelight/internal/testsvc"
)

// TestSweepPartialWrites: the orphan sweep also removes the parts of an
// upload to the bucket that a killed process left behind, once they are
// older than the cutoff; on the local disk there is nothing of the kind.
func TestSweepPartialWrites(t *testing.T) {
	ctx := t.Context()
	onDisk, _ := newServer(t, "--blobs", "file:"+t.TempDir())
	if n, err := onDisk.SweepPartialWrites(ctx, time.Now()); n != 0 || err != nil {
		t.Errorf("SweepPartialWrites on disk = %d, %v; want nothing to do", n, err)
	}

	bucket := testsvc.S3(t)
	a, _ := newServer(t, apptest.BucketOptions(bucket)...)
	core := minio.Core{Client: bucket.Client(t)}
	key := string(blob.NewRef("orig"))
	id, err := core.NewMultipartUpload(ctx, bucket.Bucket, key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte{1}, 1024)
	if _, err := core.PutObjectPart(ctx, bucket.Bucket, key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := a.SweepPartialWrites(ctx, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Errorf("sweep with a cutoff before the upload began = %d, %v; want 0", n, err)
	}
	if n, err := a.SweepPartialWrites(ctx, time.Now().Add(time.Minute)); n != 1 || err != nil {
		t.Errorf("sweep = %d, %v; want the one interrupted upload", n, err)
	}
	for u := range bucket.Client(t).ListIncompleteUploads(ctx, bucket.Bucket, "", true) {
		t.Errorf("left behind: %+v", u)
	}
}
