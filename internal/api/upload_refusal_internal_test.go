package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"safelight/internal/fault"
	"safelight/internal/library"
	"safelight/internal/media"
)

// TestRefusalReason: the client's bad input has a reason for the security
// log (upload.refused); our own failures have none, so they are not
// counted against the client.
func TestRefusalReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&library.TooLargeError{Limit: 1 << 20}, "too_large"},
		{fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1 << 20}), "too_large"},
		{fmt.Errorf("probe: %w", media.ErrTooManyPixels), "too_many_pixels"},
		{fmt.Errorf("probe: %w", media.ErrUndecodable), "undecodable"},
		{&media.RefusedError{Reason: "not an image we can read (text)"}, "unsupported_type"},
		{library.ErrEmpty, "empty"},
		{library.ErrNoFile, "no_file"},
		{errors.New("sqlstore: disk I/O error"), ""},
		{fault.Unavailable(errors.New("connection refused")), ""},
		{context.Canceled, ""},
	}
	for _, tt := range tests {
		if got := refusalReason(tt.err); got != tt.want {
			t.Errorf("refusalReason(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
}
