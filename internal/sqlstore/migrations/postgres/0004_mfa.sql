-- Multi-factor authentication: TOTP secrets (sealed to their owner's age
-- identity, never stored in clear), one-time recovery codes (SHA-256 of
-- 120-bit random codes) and half-finished sign-ins waiting for a code.
-- The same tables as migrations/sqlite/0004_mfa.sql, in PostgreSQL types.

CREATE TABLE mfa_totp (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed BYTEA NOT NULL,
    -- 0 while the enrolment waits for its first code.
    confirmed_at  BIGINT NOT NULL DEFAULT 0,
    -- The highest 30-second time step accepted so far: a code of that step
    -- or an earlier one is refused, so each code works once, on any replica.
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE pending_logins (
    id             TEXT PRIMARY KEY, -- never ordered by, so no COLLATE "C"
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash     BYTEA NOT NULL UNIQUE,
    -- SHA-256 of the password hash when the password was checked: any
    -- password change (or reset) since then makes the row useless.
    password_stamp BYTEA NOT NULL,
    device_id      TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    failures       BIGINT NOT NULL DEFAULT 0,
    ip             TEXT NOT NULL,
    user_agent     TEXT NOT NULL
);
CREATE INDEX pending_logins_user ON pending_logins(user_id);
CREATE INDEX pending_logins_expires ON pending_logins(expires_at);
