package s3

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/minio/minio-go/v7"

	"safelight/internal/blob"
	"safelight/internal/fault"
)

// transientCodes are S3 error codes that mean "not now" whatever the HTTP
// status they come with.
var transientCodes = map[string]bool{
	"SlowDown":             true,
	"SlowDownRead":         true,
	"SlowDownWrite":        true,
	"ServiceUnavailable":   true,
	"InternalError":        true,
	"RequestTimeout":       true,
	"Throttling":           true,
	"ThrottlingException":  true,
	"RequestLimitExceeded": true,
	"RequestThrottled":     true,
}

// classify maps an error from minio-go to the errors blob.Store promises:
// a missing key to blob.ErrNotFound, an outage to one matching
// fault.ErrUnavailable, a cancelled context to one matching ctx.Err().
// Other errors (access denied, a bad certificate, a missing bucket) are
// configuration problems and are returned with the server's code.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		described := fmt.Errorf("server answered %d %s: %w", er.StatusCode, er.Code, err)
		if strings.HasPrefix(er.Code, strconv.Itoa(er.StatusCode)) {
			// No S3 error body (a HEAD, or a proxy's page): minio-go put
			// the status line in Code and Message.
			described = fmt.Errorf("server answered %w", err)
		}
		switch {
		case er.Code == "NoSuchKey" || (er.StatusCode == http.StatusNotFound && er.Code != "NoSuchBucket" && er.Code != "NoSuchUpload"):
			return blob.ErrNotFound
		case er.StatusCode >= 500, er.StatusCode == http.StatusTooManyRequests,
			er.StatusCode == http.StatusRequestTimeout, transientCodes[er.Code]:
			return fault.Unavailable(described)
		}
		return described
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller's context: neither an outage nor ours to rename.
		return err
	}
	var (
		unknownCA x509.UnknownAuthorityError
		badHost   x509.HostnameError
		badCert   x509.CertificateInvalidError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &badCert) {
		return err // will not heal by itself
	}
	var (
		urlErr *url.Error
		netErr net.Error
	)
	if errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		// minio-go returns transport failures as *url.Error, after its
		// retries; reading a body can also fail with a bare reset or EOF.
		return fault.Unavailable(err)
	}
	return err
}

// isConditionFailed reports whether err is a conditional write refused
// because the key is taken: 412 Precondition Failed, or 409 (Amazon's
// ConditionalRequestConflict, when another write of the key is in flight).
func isConditionFailed(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) &&
		(er.StatusCode == http.StatusPreconditionFailed || er.StatusCode == http.StatusConflict ||
			er.Code == "PreconditionFailed" || er.Code == "ConditionalRequestConflict")
}

// isConflict reports whether err is Amazon's "another conditional write of
// this key is in progress, try again".
func isConflict(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && (er.StatusCode == http.StatusConflict || er.Code == "ConditionalRequestConflict")
}
