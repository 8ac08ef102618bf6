package fault_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"safelight/internal/fault"
)

func TestUnavailable(t *testing.T) {
	if fault.Unavailable(nil) != nil {
		t.Error("Unavailable(nil) != nil")
	}
	base := fmt.Errorf("dial tcp: %w", context.DeadlineExceeded)
	err := fmt.Errorf("sqlstore: user: %w", fault.Unavailable(base))
	if !errors.Is(err, fault.ErrUnavailable) {
		t.Error("wrapped error does not match ErrUnavailable")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("wrapped error lost its cause")
	}
	if err.Error() != "sqlstore: user: dial tcp: context deadline exceeded" {
		t.Errorf("message = %q", err.Error())
	}
	once := fault.Unavailable(base)
	if fault.Unavailable(once) != once {
		t.Error("marking twice wraps twice")
	}
	if errors.Is(base, fault.ErrUnavailable) {
		t.Error("unmarked error matches")
	}
}
