package mail

import (
	"context"
	"log/slog"
)

// Consent decides whether an optional e-mail — one not needed for the
// account's security nor asked for by the recipient's own action — may
// go to the account userID: while their consent to such mail is live
// (package privacy), and not while they restrict processing.
type Consent func(ctx context.Context, userID string) (bool, error)

// Allows reports whether c lets an optional e-mail go to userID. A nil
// Consent allows none, and one that cannot be read is a no: an e-mail
// without consent is worse than one missed (the failure is logged).
func (c Consent) Allows(ctx context.Context, log *slog.Logger, userID string) bool {
	if c == nil {
		return false
	}
	ok, err := c(ctx, userID)
	if err != nil {
		log.ErrorContext(ctx, "optional e-mail not sent: its consent could not be read", "user_id", userID, "err", err)
		return false
	}
	return ok
}
