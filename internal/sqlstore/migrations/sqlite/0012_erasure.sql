-- Erasure (Art. 17, package privacy): one row per account whose erasure
-- is scheduled. The row goes with the account (ON DELETE CASCADE) when
-- the erasure job has run, so a row here always means "still to do";
-- cancelling deletes it. What was erased is recorded in the erasure
-- journal, in the blob store, outside the database and its backups.
-- Times are Unix microseconds (UTC).
-- The same schema as migrations/postgres/0012_erasure.sql.

CREATE TABLE erasures (
    user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    requested_at INTEGER NOT NULL,
    erase_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX erasures_due ON erasures(erase_at);
