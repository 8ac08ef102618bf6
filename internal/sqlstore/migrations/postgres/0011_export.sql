-- Access and portability (package privacy, export.go): one row per
-- export a user asked for. The ZIP itself is a sealed blob (namespace
-- export/, sealed to the user's key); the row names it until it is
-- downloaded or expires, then the sweep deletes the blob and clears
-- blob_ref. Times are Unix microseconds (UTC), 0 where unset.
-- The same table as migrations/sqlite/0011_export.sql, in PostgreSQL types.
--
-- link_hash is the SHA-256 of the current sle_ download link (minted when
-- the user asks for the export's status once it is ready); NULL before.
-- A download spends it with one conditional UPDATE (downloaded_at = 0).
CREATE TABLE exports (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'building', 'ready', 'downloaded', 'expired', 'failed')),
    blob_ref      TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL DEFAULT 0,
    link_hash     BYTEA UNIQUE,
    failure       TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    claimed_at    BIGINT NOT NULL DEFAULT 0,
    ready_at      BIGINT NOT NULL DEFAULT 0,
    expires_at    BIGINT NOT NULL DEFAULT 0,
    downloaded_at BIGINT NOT NULL DEFAULT 0
);
-- One export in progress per user: a second request while one is pending
-- or building is answered with that one (the insert does nothing).
CREATE UNIQUE INDEX exports_one_in_progress ON exports(user_id) WHERE state IN ('pending', 'building');
CREATE INDEX exports_user ON exports(user_id, created_at);
CREATE INDEX exports_state ON exports(state, created_at);
