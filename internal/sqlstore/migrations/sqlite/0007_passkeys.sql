-- Passkeys (WebAuthn credentials) and begun WebAuthn ceremonies.
-- Times are Unix microseconds (UTC).

CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    -- The authenticator's credential id: one account only, whichever.
    credential_id      BLOB NOT NULL UNIQUE,
    public_key         BLOB NOT NULL, -- COSE_Key
    aaguid             BLOB NOT NULL,
    attestation_format TEXT NOT NULL,
    transports         TEXT NOT NULL, -- comma-separated
    -- Moves only forward (see auth/passkey.go: cloned authenticators).
    sign_count         INTEGER NOT NULL,
    user_verified      INTEGER NOT NULL,
    backup_eligible    INTEGER NOT NULL,
    backup_state       INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX passkeys_user ON passkeys(user_id);

-- A registration or assertion between begin and finish: the challenge
-- and what the check needs, under the SHA-256 of the handle the client
-- holds. Deleted when taken, so each works once, on any replica.
CREATE TABLE webauthn_ceremonies (
    handle_hash  BLOB PRIMARY KEY,
    kind         TEXT NOT NULL,
    user_id      TEXT NOT NULL, -- '' for a passwordless sign-in
    pending_id   TEXT NOT NULL, -- the pending sign-in it finishes, or ''
    session_data BLOB NOT NULL, -- webauthn.SessionData as JSON
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies(expires_at);
