-- Tamper-evident audit log (see internal/audit/chain.go). Each event gets
-- its place in a hash chain: seq (1, 2, 3… without gaps) and
-- hash = SHA-256(previous hash || canonical encoding of the event).
-- The events recorded before this migration are chained, in (at, id)
-- order, by a Go step run in this migration's transaction
-- (sqlstore.chainLegacyAuditEvents); seq and hash stay nullable only so
-- that those rows can be added first. Any row found later without them
-- was inserted around the chain, and "safelight audit verify" says so.
-- Checkpoints sign (seq, hash) with a key derived from the root key.
-- The same schema as migrations/postgres/0006_audit_chain.sql.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
CREATE UNIQUE INDEX audit_events_seq ON audit_events(seq);
CREATE INDEX audit_events_time ON audit_events(at, id);

CREATE TABLE audit_checkpoints (
    seq         INTEGER NOT NULL UNIQUE,
    hash        BLOB NOT NULL,
    at          INTEGER NOT NULL,
    key_version INTEGER NOT NULL,
    signature   BLOB NOT NULL
) STRICT;
