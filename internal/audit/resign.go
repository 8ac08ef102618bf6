package audit

import (
	"context"
	"fmt"
)

// ResignStore is what Resign changes: the signature of a checkpoint.
type ResignStore interface {
	ChainReader
	// ResignAuditCheckpoint sets the key version and signature of the
	// checkpoint at seq when its signature is still old, and reports
	// whether it did.
	ResignAuditCheckpoint(ctx context.Context, seq int64, old []byte, keyVersion int, sig []byte) (bool, error)
}

// Resign signs again, with the signer's current key, every checkpoint
// signed with a root key version below version, so that older versions
// can be retired from the root key file without leaving checkpoints
// nobody can verify. Each old signature must verify first: a checkpoint
// that does not is never vouched for by the new key, and Resign stops
// with an error naming it. The statement signed — event seq has this
// hash, signed at that time — is unchanged; only the key changes.
func Resign(ctx context.Context, st ResignStore, signer Signer, version int) (int, error) {
	cps, err := st.AuditCheckpoints(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit: resign checkpoints: %w", err)
	}
	n := 0
	for _, c := range cps {
		if c.KeyVersion >= version {
			continue
		}
		if err := signer.VerifyCheckpoint(c.KeyVersion, CheckpointMessage(c), c.Signature); err != nil {
			return n, fmt.Errorf("audit: checkpoint at event %d does not verify with root key version %d, so it is not signed again: %w", c.Seq, c.KeyVersion, err)
		}
		old := c.Signature
		if c, err = signWithCurrentKey(signer, c); err != nil {
			return n, fmt.Errorf("audit: resign checkpoint %d: %w", c.Seq, err)
		}
		if c.KeyVersion < version {
			return n, fmt.Errorf("audit: resign checkpoint %d: the signer's key is version %d, older than %d", c.Seq, c.KeyVersion, version)
		}
		ok, err := st.ResignAuditCheckpoint(ctx, c.Seq, old, c.KeyVersion, c.Signature)
		if err != nil {
			return n, fmt.Errorf("audit: resign checkpoint %d: %w", c.Seq, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}
