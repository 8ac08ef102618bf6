-- Passkeys (WebAuthn credentials) and begun WebAuthn ceremonies.
-- The same tables as migrations/sqlite/0007_passkeys.sql, in PostgreSQL types.

CREATE TABLE passkeys (
    id                 TEXT COLLATE "C" PRIMARY KEY, -- orders a user's passkeys after created_at
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    -- The authenticator's credential id: one account only, whichever.
    credential_id      BYTEA NOT NULL UNIQUE,
    public_key         BYTEA NOT NULL, -- COSE_Key
    aaguid             BYTEA NOT NULL,
    attestation_format TEXT NOT NULL,
    transports         TEXT NOT NULL, -- comma-separated
    -- Moves only forward (see auth/passkey.go: cloned authenticators).
    sign_count         BIGINT NOT NULL,
    user_verified      BOOLEAN NOT NULL,
    backup_eligible    BOOLEAN NOT NULL,
    backup_state       BOOLEAN NOT NULL,
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- A registration or assertion between begin and finish: the challenge
-- and what the check needs, under the SHA-256 of the handle the client
-- holds. Deleted when taken, so each works once, on any replica.
CREATE TABLE webauthn_ceremonies (
    handle_hash  BYTEA PRIMARY KEY,
    kind         TEXT NOT NULL,
    user_id      TEXT NOT NULL, -- '' for a passwordless sign-in
    pending_id   TEXT NOT NULL, -- the pending sign-in it finishes, or ''
    session_data BYTEA NOT NULL, -- webauthn.SessionData as JSON
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies(expires_at);
