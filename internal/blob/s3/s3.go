// Package s3 implements blob.Store on an S3-compatible object store
// (Amazon S3, SeaweedFS, MinIO, Ceph RGW, …) through minio-go.
//
// The blob with ref "ns/0123…ef" is the object Prefix+"ns/0123…ef" in one
// bucket. The backend guarantees what blob.Store documents:
//
//   - Put streams: it holds at most one part (Config.PartSize, 16 MiB by
//     default) of the input in memory. Input shorter than a part goes up in
//     one PUT; longer input as a multipart upload, one part at a time.
//   - Put never replaces an object and of concurrent Puts of one ref exactly
//     one wins: the final request (the PUT, or CompleteMultipartUpload) is a
//     conditional write with "If-None-Match: *", which the server evaluates
//     atomically. The server must support conditional writes (Amazon S3 since
//     August 2024, SeaweedFS, MinIO); on one that ignores the header a racing
//     Put could replace a blob.
//   - A blob is visible whole or not at all: an object appears only when its
//     PUT or CompleteMultipartUpload succeeds. A failed or cancelled Put
//     aborts its multipart upload.
//   - Every object carries the random id of the Put that wrote it (user
//     metadata x-amz-meta-safelight-put). When the final request fails
//     ambiguously (minio-go retried a request that had committed, and the
//     retry was refused; or the answer was lost), Put reads the id back to
//     tell its own object from another writer's.
//   - Request bodies are signed with their SHA-256, so the server checks
//     every byte, over HTTP as over HTTPS.
//   - Errors: a missing object matches blob.ErrNotFound, a taken ref
//     blob.ErrExists; a server that cannot be reached or answers 5xx, 429 or
//     SlowDown matches fault.ErrUnavailable (after minio-go's three tries).
//
// The operator provides:
//
//   - a private bucket (no public-read policy or ACL). New checks that it
//     exists and never creates it, so the credentials need no right to
//     create buckets;
//   - credentials allowed s3:GetObject, s3:PutObject, s3:DeleteObject,
//     s3:ListBucket and s3:ListBucketMultipartUploads on the bucket (and
//     s3:AbortMultipartUpload, which AWS grants with s3:PutObject).
//
// Put aborts its own upload on failure, but a crash or an unreachable
// server in the middle of a Put leaves the parts behind, invisible to List
// and Get but stored and billed: SweepPartial aborts them (the orphan sweep
// calls it), and a lifecycle rule that aborts incomplete uploads after a
// day or so is a good second line.
//
// Two limits of the protocol, not of this package: if the server becomes
// unreachable just as it commits a Put, Put returns an error although the
// object exists, and that object is an orphan for the application's sweep
// to remove; and since S3 reports success for deleting a missing key,
// Delete checks first that the object exists, so of two concurrent
// Deletes of one ref both may succeed.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"safelight/internal/blob"
	"safelight/internal/fault"
)

// Part sizes. S3 requires every part but the last to be at least 5 MiB and
// at most 5 GiB, and an upload to have at most 10,000 parts.
const (
	DefaultPartSize = 16 << 20
	MinPartSize     = 5 << 20
	MaxPartSize     = 5 << 30
	maxParts        = 10000
)

// connectTimeout bounds New's check of the bucket, and each TCP connect, so
// that a wrong endpoint or a firewall that drops packets fails start-up in
// seconds instead of hanging.
const connectTimeout = 10 * time.Second

// maxRetries is how often minio-go tries each request. Its default (10,
// with back-off) makes a request to a dead server take many seconds; three
// tries ride out a restart or a SlowDown and then let the caller answer
// 503 promptly.
const maxRetries = 3

// Config says which bucket to use and how to reach it.
type Config struct {
	Bucket string
	// Prefix is put before every ref to make the object key, so that
	// several stores can share a bucket. It is used as is: end it with
	// "/" to get a folder. Optional.
	Prefix string
	// Endpoint is the server's URL: https://host[:port] (or http:// for a
	// server on a trusted network), without a path.
	Endpoint string
	// Region is the bucket's region. If empty, minio-go asks the server
	// (one extra request per Store).
	Region    string
	AccessKey string
	SecretKey string
	// PathStyle addresses the bucket as https://host/bucket rather than
	// https://bucket.host. Most servers other than Amazon's need it;
	// without it minio-go picks virtual-host style for Amazon and Google
	// endpoints and path style for the rest.
	PathStyle bool
	// PartSize is the size of a multipart upload's parts, and so the
	// memory one Put holds: DefaultPartSize if zero, else between
	// MinPartSize and MaxPartSize. It also bounds object size at 10,000
	// parts (160 GiB at the default).
	PartSize int64
}

// String describes c as the --blobs URL that selects it, without the
// credentials, so that a Config can be logged or printed safely.
func (c Config) String() string {
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + c.Prefix}
	q := url.Values{"endpoint": {c.Endpoint}}
	if c.Region != "" {
		q.Set("region", c.Region)
	}
	if c.PathStyle {
		q.Set("path_style", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// validate checks c, except for the credentials when creds is false, and
// returns the endpoint parsed.
func (c Config) validate(creds bool) (*url.URL, error) {
	if c.Bucket == "" {
		return nil, errors.New("missing bucket name")
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return nil, fmt.Errorf("bucket name %q: %w", c.Bucket, err)
	}
	if err := checkPrefix(c.Prefix); err != nil {
		return nil, err
	}
	ep, err := parseEndpoint(c.Endpoint)
	if err != nil {
		return nil, err
	}
	if c.PartSize != 0 && (c.PartSize < MinPartSize || c.PartSize > MaxPartSize) {
		return nil, fmt.Errorf("part size %d: want 0 (for %d) or between %d and %d bytes",
			c.PartSize, DefaultPartSize, MinPartSize, MaxPartSize)
	}
	if creds && (c.AccessKey == "" || c.SecretKey == "") {
		// Anonymous access would need a public bucket.
		return nil, errors.New("missing access key or secret key")
	}
	return ep, nil
}

// checkPrefix refuses key prefixes that some servers rewrite: SeaweedFS,
// for one, stores keys as file paths and would merge "a//b" into "a/b" or
// resolve "..", so the keys listed would not be the keys written.
func checkPrefix(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > 512 {
		return errors.New("key prefix longer than 512 bytes")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' || r == '\uFFFD' {
			return fmt.Errorf("key prefix %q: control character, backslash or invalid UTF-8", p)
		}
	}
	segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return fmt.Errorf("key prefix %q: want segments separated by single slashes, none of them \".\" or \"..\", and no leading slash", p)
		}
	}
	return nil
}

// parseEndpoint accepts http(s)://host[:port] with nothing else. Errors
// never quote the URL, which might carry credentials.
func parseEndpoint(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("missing endpoint (want https://host[:port])")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("endpoint is not a URL (want https://host[:port])")
	case u.User != nil:
		return nil, errors.New("endpoint must not carry credentials; set the access and secret keys separately")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("endpoint scheme %q: want https or http", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("endpoint has no host (want https://host[:port])")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		// Say only what is safe to show: a query might hold a signature.
		return nil, fmt.Errorf("endpoint %s://%s…: want only scheme, host and port", u.Scheme, u.Host)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("endpoint %s://%s: bad port", u.Scheme, u.Host)
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// Store is a blob.Store in an S3 bucket. It is safe for concurrent use by
// multiple goroutines, and several processes may share a bucket and prefix.
type Store struct {
	client   *minio.Client
	core     minio.Core // the same client, with the low-level multipart calls
	bucket   string
	prefix   string
	partSize int
	where    string // bucket "x" at https://host, for messages
}

var _ blob.Store = (*Store)(nil)

// New returns a Store for the bucket cfg names, after checking, within
// about ten seconds, that the bucket exists and the credentials are
// accepted. It never creates the bucket.
func New(ctx context.Context, cfg Config) (*Store, error) {
	ep, err := cfg.validate(true)
	if err != nil {
		return nil, fmt.Errorf("blob/s3: %w", err)
	}
	secure := ep.Scheme == "https"
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("blob/s3: %w", err)
	}
	tr.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(ep.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		Transport:    tr,
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("blob/s3: endpoint %s: %w", ep, err)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	s := &Store{
		client:   client,
		core:     minio.Core{Client: client},
		bucket:   cfg.Bucket,
		prefix:   cfg.Prefix,
		partSize: int(partSize),
		where:    fmt.Sprintf("bucket %q at %s", cfg.Bucket, ep),
	}
	if err := s.checkBucket(ctx); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

// checkBucket fails with a message an operator can act on when the bucket
// is missing, unreachable or refuses the credentials.
func (s *Store) checkBucket(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	ok, err := s.client.BucketExists(cctx, s.bucket)
	var er minio.ErrorResponse
	switch {
	case err == nil && ok:
		return nil
	case err == nil:
		return fmt.Errorf("blob/s3: %s: does not exist (create it, private, before starting)", s.where)
	case ctx.Err() != nil:
		return fmt.Errorf("blob/s3: %s: %w", s.where, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		return fault.Unavailable(fmt.Errorf("blob/s3: %s: cannot reach: no answer within %v", s.where, connectTimeout))
	case errors.As(err, &er) && (er.StatusCode == http.StatusForbidden || er.StatusCode == http.StatusUnauthorized):
		return fmt.Errorf("blob/s3: %s: access denied (check the access key, secret key and region): %w", s.where, classify(err))
	case errors.As(err, &er):
		return fmt.Errorf("blob/s3: %s: %w", s.where, classify(err))
	default:
		return fmt.Errorf("blob/s3: %s: cannot reach: %w", s.where, classify(err))
	}
}

// key returns the object key of a valid ref.
func (s *Store) key(ref blob.Ref) string { return s.prefix + string(ref) }

// Get opens the blob for reading; see blob.Store. The reader streams the
// object from the server and is tied to ctx; the caller must close it.
// Deleting the blob meanwhile may cut it short, with an error.
func (s *Store) Get(ctx context.Context, ref blob.Ref) (io.ReadCloser, error) {
	if !ref.Valid() {
		return nil, opError("get", ref, blob.ErrInvalidRef)
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("get", ref, err)
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.key(ref), minio.GetObjectOptions{})
	if err != nil {
		return nil, opError("get", ref, classify(err))
	}
	return &objectReader{body, body, ref}, nil
}

// GetRange opens part of the blob; see blob.Store. It sends one ranged GET
// (or, for an empty range, a HEAD to tell a missing blob from an empty
// range); the reader is as for Get.
func (s *Store) GetRange(ctx context.Context, ref blob.Ref, offset, length int64) (io.ReadCloser, error) {
	if !ref.Valid() {
		return nil, opError("get range", ref, blob.ErrInvalidRef)
	}
	if offset < 0 {
		return nil, opError("get range", ref, fmt.Errorf("negative offset %d", offset))
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("get range", ref, err)
	}
	if length == 0 {
		// HTTP cannot ask for zero bytes; a Stat still reports a missing blob.
		if _, err := s.Stat(ctx, ref); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	if offset == 0 && length < 0 {
		return s.Get(ctx, ref)
	}
	var opts minio.GetObjectOptions
	if length < 0 || length > maxInt64-offset {
		opts.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		length = -1
	} else {
		opts.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	}
	body, _, header, err := s.core.GetObject(ctx, s.bucket, s.key(ref), opts)
	if err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) && er.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			// The object exists and offset is at or past its end.
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, opError("get range", ref, classify(err))
	}
	var r io.Reader = body
	if header.Get("Content-Range") == "" {
		// The server ignored Range and sent the whole object, as RFC 9110
		// allows (and some servers do for empty objects): cut it here.
		if _, err := io.CopyN(io.Discard, body, offset); err != nil && err != io.EOF {
			body.Close()
			return nil, opError("get range", ref, classify(err))
		}
		if length >= 0 {
			r = io.LimitReader(body, length)
		}
	}
	return &objectReader{r, body, ref}, nil
}

const maxInt64 = 1<<63 - 1

// objectReader reads an object's body, mapping failures mid-stream (a
// connection reset, a server gone) to the package's errors.
type objectReader struct {
	r   io.Reader
	c   io.Closer
	ref blob.Ref
}

func (o *objectReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF {
		err = opError("read", o.ref, classify(err))
	}
	return n, err
}

func (o *objectReader) Close() error { return o.c.Close() }

// Stat describes the blob with a HEAD request; see blob.Store. ModTime is
// the object's Last-Modified time, which has a resolution of one second.
func (s *Store) Stat(ctx context.Context, ref blob.Ref) (blob.Info, error) {
	if !ref.Valid() {
		return blob.Info{}, opError("stat", ref, blob.ErrInvalidRef)
	}
	info, err := s.stat(ctx, ref)
	if err != nil {
		return blob.Info{}, opError("stat", ref, err)
	}
	return blob.Info{Ref: ref, Size: info.Size, ModTime: info.LastModified}, nil
}

func (s *Store) stat(ctx context.Context, ref blob.Ref) (minio.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return minio.ObjectInfo{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(ref), minio.StatObjectOptions{})
	if err != nil {
		return minio.ObjectInfo{}, classify(err)
	}
	return info, nil
}

// Delete removes the blob; see blob.Store. S3 reports success for deleting
// a missing key, so Delete first checks that the object exists; two
// concurrent Deletes of one ref may therefore both return nil.
func (s *Store) Delete(ctx context.Context, ref blob.Ref) error {
	if !ref.Valid() {
		return opError("delete", ref, blob.ErrInvalidRef)
	}
	if _, err := s.stat(ctx, ref); err != nil {
		return opError("delete", ref, err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(ref), minio.RemoveObjectOptions{}); err != nil {
		return opError("delete", ref, classify(err))
	}
	return nil
}

// List yields the blobs whose refs start with prefix; see blob.Store. It
// pages through ListObjectsV2 (1,000 keys a request), whose order for
// keys of ASCII characters is the lexical order of refs. Objects under
// Prefix that are not named like refs are skipped.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[blob.Info, error] {
	return func(yield func(blob.Info, error) bool) {
		if err := s.list(ctx, prefix, yield); err != nil {
			yield(blob.Info{}, fmt.Errorf("blob/s3: list %q: %w", prefix, err))
		}
	}
}

func (s *Store) list(ctx context.Context, prefix string, yield func(blob.Info, error) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !canPrefixRef(prefix) {
		// Nothing to find, and servers that store keys as paths (SeaweedFS)
		// might resolve a prefix like "../" to somewhere unexpected.
		return nil
	}
	// ListObjectsIter fetches a page per 1,000 keys as the loop asks for
	// them and holds nothing once it is left.
	fetchOwner := false
	last := ""
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix:     s.prefix + prefix,
		Recursive:  true,
		FetchOwner: &fetchOwner,
	}) {
		if obj.Err != nil {
			return classify(obj.Err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name, ok := strings.CutPrefix(obj.Key, s.prefix)
		ref := blob.Ref(name)
		if !ok || !ref.Valid() || !strings.HasPrefix(name, prefix) {
			continue // not ours: a folder marker, or an operator's file
		}
		if name <= last {
			// Callers rely on the order (to merge listings, to resume);
			// refuse a server that does not keep it rather than mislead.
			return fmt.Errorf("server listed %s after %s: not in lexical order", name, last)
		}
		last = name
		if !yield(blob.Info{Ref: ref, Size: obj.Size, ModTime: obj.LastModified}, nil) {
			return nil
		}
	}
	// minio-go ends the sequence quietly when ctx is cancelled between pages.
	return ctx.Err()
}

// canPrefixRef reports whether some valid ref starts with p: a namespace of
// up to 16 [a-z0-9], then "/" and up to 32 [0-9a-f].
func canPrefixRef(p string) bool {
	ns, hex, slash := strings.Cut(p, "/")
	if len(ns) > 16 || (slash && ns == "") || len(hex) > 32 {
		return false
	}
	for _, c := range []byte(ns) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	for _, c := range []byte(hex) {
		if (c < 'a' || c > 'f') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// opError wraps err with the operation and ref. An invalid ref is quoted,
// as it may hold any bytes.
func opError(op string, ref blob.Ref, err error) error {
	if ref.Valid() {
		return fmt.Errorf("blob/s3: %s %s: %w", op, ref, err)
	}
	return fmt.Errorf("blob/s3: %s %q: %w", op, ref, err)
}
