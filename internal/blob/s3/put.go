package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/minio/minio-go/v7"

	"safelight/internal/blob"
)

// putIDMeta is user metadata (x-amz-meta-safelight-put) holding a random
// id of the Put that wrote the object. When the conditional write fails
// ambiguously (minio-go retried a request whose first attempt had
// committed, so the retry sees its own object and gets 412; or the answer
// was lost), a HEAD tells whether the object at the key is this Put's.
const putIDMeta = "Safelight-Put"

// conflictRetries is how often Put re-sends a conditional write that got
// 409 ConditionalRequestConflict (Amazon: another write of the key was in
// flight) while the key stayed free.
const conflictRetries = 3

// Put stores r's bytes under ref; see blob.Store. It reads up to one part
// of r into memory; if r ends within it, it sends one conditional PUT,
// otherwise a multipart upload, one part at a time, whose completion is
// conditional. When it returns nil the server has acknowledged the whole
// object, which S3 promises to have stored durably.
func (s *Store) Put(ctx context.Context, ref blob.Ref, r io.Reader) (int64, error) {
	if !ref.Valid() {
		return 0, opError("put", ref, blob.ErrInvalidRef)
	}
	n, err := s.put(ctx, s.key(ref), r)
	if err != nil {
		return 0, opError("put", ref, err)
	}
	return n, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	id := newPutID()
	buf, eof, err := fill(ctx, r, nil, s.partSize)
	if err != nil {
		return 0, err
	}
	if !eof {
		return s.putMultipart(ctx, key, id, r, buf)
	}
	err = s.commit(ctx, key, id, func(ctx context.Context) error {
		return s.putSingle(ctx, key, id, buf)
	})
	if err != nil {
		return 0, err
	}
	return int64(len(buf)), nil
}

// putSingle writes buf as the object key in one PUT, if key is free.
func (s *Store) putSingle(ctx context.Context, key, id string, buf []byte) error {
	opts := minio.PutObjectOptions{
		UserMetadata:         map[string]string{putIDMeta: id},
		DisableContentSha256: true, // sent below instead; see payloadSHA256
	}
	opts.SetMatchETagExcept("*") // If-None-Match: *
	_, err := s.core.PutObject(ctx, s.bucket, key, bytes.NewReader(buf), int64(len(buf)), "", payloadSHA256(buf), opts)
	return err
}

// payloadSHA256 returns the hash that signs a request body. A signed
// payload lets the server verify every byte on plain HTTP and HTTPS alike,
// and avoids minio-go's aws-chunked streaming signature, which not every
// S3-compatible server decodes correctly. The body is in memory anyway.
func payloadSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// putMultipart uploads first and the rest of r as a multipart upload and
// completes it if key is free. It holds one part in memory at a time. On
// any error it aborts the upload, so no parts are left behind.
func (s *Store) putMultipart(ctx context.Context, key, id string, r io.Reader, first []byte) (n int64, err error) {
	// Refuse early rather than upload a large stream only to be refused at
	// completion. The conditional completion still decides a race.
	if _, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err == nil {
		return 0, blob.ErrExists
	} else if err := classify(err); !errors.Is(err, blob.ErrNotFound) {
		return 0, err
	}

	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{
		UserMetadata: map[string]string{putIDMeta: id},
	})
	if err != nil {
		return 0, classify(err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		// On a cancelled ctx too: the abort runs on its own deadline.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectTimeout)
		defer cancel()
		if aerr := s.core.AbortMultipartUpload(actx, s.bucket, key, uploadID); aerr != nil {
			// The bucket's lifecycle rule removes what this leaves.
			err = fmt.Errorf("%w (and abort multipart upload: %v)", err, classify(aerr))
		}
	}()

	var parts []minio.CompletePart
	buf, eof := first, false
	for {
		if len(parts) == maxParts {
			return 0, fmt.Errorf("object larger than %d parts of %d bytes", maxParts, s.partSize)
		}
		part, err := s.core.PutObjectPart(ctx, s.bucket, key, uploadID, len(parts)+1,
			bytes.NewReader(buf), int64(len(buf)), minio.PutObjectPartOptions{
				Sha256Hex:            payloadSHA256(buf),
				DisableContentSha256: true,
			})
		if err != nil {
			return 0, classify(err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: part.PartNumber, ETag: part.ETag})
		n += int64(len(buf))
		if eof {
			break
		}
		if buf, eof, err = fill(ctx, r, buf, s.partSize); err != nil {
			return 0, err
		}
		if len(buf) == 0 {
			break // the previous part ended exactly at EOF
		}
	}

	var opts minio.PutObjectOptions
	opts.SetMatchETagExcept("*") // honoured on CompleteMultipartUpload
	err = s.commit(ctx, key, id, func(ctx context.Context) error {
		_, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, parts, opts)
		return err
	})
	if err != nil {
		return 0, err
	}
	done = true
	return n, nil
}

// commit runs the conditional request that makes a Put's object visible,
// and works out what a failure means by asking whose object is at key.
func (s *Store) commit(ctx context.Context, key, id string, do func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := do(ctx)
		if err == nil {
			return nil
		}
		owner, serr := s.owner(ctx, key)
		switch {
		case serr == nil && owner == id:
			// This Put's object is stored whole: a retry of a request that
			// had committed was refused, or the answer was lost.
			return nil
		case serr == nil && isConditionFailed(err):
			return blob.ErrExists
		case errors.Is(serr, blob.ErrNotFound) && isConflict(err) && attempt <= conflictRetries && ctx.Err() == nil:
			// Another write was in flight and has not taken the key (yet):
			// ask again, as Amazon advises.
			select {
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		case isConditionFailed(err):
			// The key was taken when the server checked, even if it is
			// free again now.
			return blob.ErrExists
		default:
			return classify(err)
		}
	}
}

// owner returns the id of the Put that wrote the object at key, or an error
// matching blob.ErrNotFound. It runs even if ctx is cancelled, since a
// cancelled Put must still learn whether its object was committed.
func (s *Store) owner(ctx context.Context, key string) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectTimeout)
	defer cancel()
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return "", classify(err)
	}
	return info.Metadata.Get("X-Amz-Meta-" + putIDMeta), nil
}

func newPutID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails; see crypto/rand.Read
	return hex.EncodeToString(b[:])
}

// fill reads from r into buf[:0], growing it as needed, until it holds
// limit bytes or r ends; eof reports the latter. Small inputs thus cost
// small buffers. It checks ctx before every read, so a cancelled Put stops
// reading at once; a read error is wrapped so that errors.Is finds it.
func fill(ctx context.Context, r io.Reader, buf []byte, limit int) (_ []byte, eof bool, _ error) {
	buf = buf[:0]
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(max(2*cap(buf), 32<<10), limit))
			copy(grown, buf)
			buf = grown
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read input: %w", err)
		}
	}
	return buf, false, nil
}
