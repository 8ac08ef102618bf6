package privacy

import (
	"context"
	"errors"
	"time"
)

// Unverified accounts left unused (storage limitation). Sign-up stores a
// name, an address and a password hash before anyone knows the address
// is the signer's. An account whose address was never verified and that
// was never used (no sign-in, so no session, token or upload either; see
// sqlstore's UnverifiedUnusedAccounts) for UnverifiedAccountRetention
// after sign-up is erased, and its address can sign up again.
//
// The erasure is the one a holder asks for (erasure.go), without the
// grace period, which protects a holder's change of mind: keys shredded,
// rows deleted, the id in the erasure journal so a restore does not bring
// the account back, and account.erasure_completed in the audit log.
// Accounts with a role, and accounts whose holder restricted processing,
// are never chosen.

// eraseUnverifiedUnused erases the accounts created before signedUpBefore
// that were never verified nor used, and returns how many it erased. One
// failure does not stop the others; the errors are joined. The list is
// made and worked through while holding the eraser's turn, so that two
// runs in one process (the periodic task and a direct call) never erase,
// journal and count one account twice.
func (r *Retention) eraseUnverifiedUnused(ctx context.Context, signedUpBefore time.Time) (int, error) {
	e := r.sweeps.Eraser
	e.runMu.Lock()
	defer e.runMu.Unlock()
	ids, err := r.store.UnverifiedUnusedAccounts(ctx, signedUpBefore)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if err := e.erase(ctx, id, true); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
