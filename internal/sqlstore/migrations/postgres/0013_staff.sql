-- The same table as migrations/sqlite/0013_staff.sql, in PostgreSQL types.
-- Staff roles (issue 8, item 9): the personal data breach register the
-- dpo keeps (GDPR Art. 33(5)). Rows are created and updated, never
-- deleted. Times are Unix microseconds (UTC), 0 when not (yet) set.
-- data_categories and affected_accounts are JSON arrays of strings; the
-- account ids carry no foreign key on purpose: the register outlives the
-- accounts it names (erasure leaves an id that points nowhere).
-- recorded_by is the dpo's account id, for the same reason without one.

CREATE TABLE breaches (
    id                   TEXT PRIMARY KEY,
    description          TEXT NOT NULL,
    measures             TEXT NOT NULL,
    detected_at          BIGINT NOT NULL,
    reported_at          BIGINT NOT NULL DEFAULT 0,
    subjects_notified_at BIGINT NOT NULL DEFAULT 0,
    data_categories      TEXT NOT NULL,
    affected_accounts    TEXT NOT NULL,
    recorded_by          TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX breaches_detected ON breaches(detected_at DESC, id DESC);
