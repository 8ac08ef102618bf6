// Package fault names the failures that are nobody's mistake: a backend
// (the database, the object store) that cannot be reached right now.
// Storage packages wrap such errors with Unavailable; the HTTP layer turns
// them into 503 Service Unavailable with Retry-After instead of a 500, and
// the request can simply be tried again once the backend is back.
package fault

import "errors"

// ErrUnavailable matches (errors.Is) every error wrapped by Unavailable.
var ErrUnavailable = errors.New("backend unavailable")

// Unavailable marks err as a temporary backend outage. It returns nil for
// nil, and err unchanged when it is already marked.
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &unavailable{err}
}

type unavailable struct{ err error }

func (u *unavailable) Error() string { return u.err.Error() }
func (u *unavailable) Unwrap() []error {
	return []error{u.err, ErrUnavailable}
}
