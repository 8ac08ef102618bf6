-- Tamper-evident audit log (see internal/audit/chain.go). Each event gets
-- its place in a hash chain: seq (1, 2, 3… without gaps) and
-- hash = SHA-256(previous hash || canonical encoding of the event).
-- The events recorded before this migration are chained, in (at, id)
-- order (id is COLLATE "C", as on SQLite), by a Go step run in this
-- migration's transaction (sqlstore.chainLegacyAuditEvents); seq and hash
-- stay nullable only so that those rows can be added first. Any row found
-- later without them was inserted around the chain, and
-- "safelight audit verify" says so.
-- Checkpoints sign (seq, hash) with a key derived from the root key.
-- The same schema as migrations/sqlite/0006_audit_chain.sql.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN hash BYTEA;
CREATE UNIQUE INDEX audit_events_seq ON audit_events(seq);
CREATE INDEX audit_events_time ON audit_events(at, id);

CREATE TABLE audit_checkpoints (
    seq         BIGINT NOT NULL UNIQUE,
    hash        BYTEA NOT NULL,
    at          BIGINT NOT NULL,
    key_version BIGINT NOT NULL,
    signature   BYTEA NOT NULL
);
