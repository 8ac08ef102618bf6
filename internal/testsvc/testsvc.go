// Package testsvc gives tests the outside services scale-out mode runs on:
// a throwaway PostgreSQL database and a fresh bucket on a real S3 server.
//
// Each is named by an environment variable that the test command sets
// (scripts/test.sh starts both services). A test that needs a service
// skips, saying which variable to set, only when that variable is unset;
// when it is set, any failure to reach the service fails the test.
//
//	SAFELIGHT_TEST_POSTGRES  postgres://user:pass@127.0.0.1:5432/postgres?sslmode=disable
//	                         (a role that may CREATE DATABASE)
//	SAFELIGHT_TEST_S3        http://ACCESS_KEY:SECRET_KEY@127.0.0.1:8333
//	                         (credentials that may create buckets)
package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Environment variables naming the services.
const (
	PostgresEnv = "SAFELIGHT_TEST_POSTGRES"
	S3Env       = "SAFELIGHT_TEST_S3"
)

// Postgres creates an empty database for this test and returns its URL.
// The database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s not set: PostgreSQL tests need a server (make test starts one)", PostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	name := "sl_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testsvc: connect to %s: %v", PostgresEnv, err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testsvc: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("testsvc: drop database %s: %v", name, err)
			return
		}
		defer admin.Close(context.Background())
		// A server process (autovacuum) may still be in the database for
		// a moment; try again briefly before calling it a failure.
		for range 20 {
			if _, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Errorf("testsvc: drop database %s: %v", name, err)
	})
	u.Path = "/" + name
	return u.String()
}

// S3Target is a fresh, empty, private bucket on the test S3 server.
type S3Target struct {
	Endpoint  string // scheme://host:port
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string
}

// URL is the --blobs value that selects this bucket.
func (s S3Target) URL() string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {s.Region}}
	return "s3://" + s.Bucket + "?" + q.Encode()
}

// Client returns a minio client for inspecting the bucket directly.
func (s S3Target) Client(t testing.TB) *minio.Client {
	t.Helper()
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       s.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// S3 creates an empty bucket for this test; it and its objects are removed
// when the test ends.
func S3(t testing.TB) S3Target {
	t.Helper()
	raw := os.Getenv(S3Env)
	if raw == "" {
		t.Skipf("%s not set: S3 tests need a server (make test starts SeaweedFS)", S3Env)
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" {
		t.Fatalf("%s: want http://ACCESS_KEY:SECRET_KEY@host:port", S3Env)
	}
	secret, _ := u.User.Password()
	target := S3Target{
		Endpoint:  u.Scheme + "://" + u.Host,
		Region:    "us-east-1",
		AccessKey: u.User.Username(),
		SecretKey: secret,
		Bucket:    "sl-test-" + randomHex(8),
	}
	c := target.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, target.Bucket, minio.MakeBucketOptions{Region: target.Region}); err != nil {
		t.Fatalf("testsvc: make bucket: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := emptyBucket(ctx, c, target.Bucket); err != nil {
			t.Errorf("testsvc: empty bucket %s: %v", target.Bucket, err)
			return
		}
		if err := c.RemoveBucket(ctx, target.Bucket); err != nil && !strings.Contains(err.Error(), "NoSuchBucket") {
			t.Errorf("testsvc: remove bucket %s: %v", target.Bucket, err)
		}
	})
	return target
}

func emptyBucket(ctx context.Context, c *minio.Client, bucket string) error {
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return obj.Err
		}
		if err := c.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("remove %s: %w", obj.Key, err)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
