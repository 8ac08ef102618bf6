// Package httpx is Safelight's HTTP plumbing: the router that makes every
// route declare an access policy, the adapter that turns handler errors
// into safe responses, security headers, CSRF protection, and JSON helpers.
// It knows nothing about accounts or images.
package httpx

import (
	"errors"
	"fmt"
	"net/http"

	"safelight/internal/fault"
)

// Error is an error with a status code and a message safe to show users,
// kept apart from the cause, which is only logged (Tailscale's vizerror).
type Error struct {
	Status  int
	Message string         // shown to the client
	Cause   error          // logged, never shown
	Fields  map[string]any // extra JSON fields for API clients, e.g. retry hints
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with a user-visible message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the answer for anything the caller may not see.
func NotFound() *Error { return &Error{Status: http.StatusNotFound, Message: "not found"} }

// BadRequest wraps a user-safe validation error (its text is shown).
func BadRequest(err error) *Error {
	return &Error{Status: http.StatusBadRequest, Message: err.Error(), Cause: err}
}

// retryLater is an error refusing a request over a rate limit (such as
// ratelimit.LimitedError); its message is safe to show. It becomes 429
// with Retry-After.
type retryLater interface {
	error
	RetryAfterSeconds() int
}

// retryAfterSeconds is what a 503 tells clients to wait: long enough for a
// database fail-over or a restarted object store, short enough that an
// upload client's retry is not felt as an outage.
const retryAfterSeconds = "5"

// asError maps any error to an *Error. A backend that cannot be reached
// becomes 503 (the request can be retried as it is); other unknown errors
// become a generic 500. Causes are logged; their text never reaches the
// client.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body larger than %d bytes", mbe.Limit), Cause: err}
	}
	var later retryLater
	if errors.As(err, &later) {
		return &Error{Status: http.StatusTooManyRequests, Message: later.Error(), Cause: err,
			Fields: map[string]any{"retry_after_seconds": later.RetryAfterSeconds()}}
	}
	if errors.Is(err, fault.ErrUnavailable) {
		return &Error{Status: http.StatusServiceUnavailable, Message: "temporarily unavailable; try again shortly", Cause: err}
	}
	return &Error{Status: http.StatusInternalServerError, Message: "internal error; the problem was logged", Cause: err}
}
