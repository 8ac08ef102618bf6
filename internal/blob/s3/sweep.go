package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"safelight/internal/blob"
)

var _ blob.PartialSweeper = (*Store)(nil)

// SweepPartial implements blob.PartialSweeper: it aborts the multipart
// uploads of this store's refs that were started before cutoff. Put
// aborts its own upload when it fails, but a process killed in the middle
// of a Put leaves its parts stored, invisible and billed; this removes
// them even where the bucket has no lifecycle rule for it. Uploads of
// keys that are not this store's refs (another application's, another
// prefix's) are left alone, as List leaves their objects.
func (s *Store) SweepPartial(ctx context.Context, cutoff time.Time) (int, error) {
	var keyMarker, uploadMarker string
	n := 0
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, s.prefix, keyMarker, uploadMarker, "", 1000)
		if err != nil {
			return n, fmt.Errorf("blob/s3: list incomplete uploads in %s: %w", s.where, classify(err))
		}
		for _, u := range res.Uploads {
			name, ok := strings.CutPrefix(u.Key, s.prefix)
			if !ok || !blob.Ref(name).Valid() || !u.Initiated.Before(cutoff) {
				continue
			}
			err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
			if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
				return n, opError("abort incomplete upload of", blob.Ref(name), classify(err))
			}
			if err == nil {
				n++
			}
		}
		if !res.IsTruncated {
			return n, nil
		}
		if res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == uploadMarker {
			return n, errors.New("blob/s3: list incomplete uploads: the server's listing does not advance")
		}
		keyMarker, uploadMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}
