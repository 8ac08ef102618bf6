-- Optional e-mail notifications (issue 8: the consent ledger): a consent
-- kind of its own, email_notifications, given and withdrawn by the
-- account's holder in the privacy center (package privacy,
-- notifications.go). Mails that are not needed for the account's
-- security or for something the holder asked for ("review done",
-- "deadline reminder") are sent only while one is live.
--
-- SQLite cannot change a CHECK constraint in place: the table is built
-- again under the new constraint, its rows copied as they are (ids,
-- times and withdrawals kept), the old one dropped and the new one
-- renamed. No table refers to consents, so nothing else changes.
-- The same schema as migrations/postgres/0015_email_notifications.sql.

CREATE TABLE consents_rebuilt (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('call_terms', 'originals_release', 'terms_of_use', 'privacy_notice', 'email_notifications')),
    call_id       TEXT NOT NULL,
    entry_id      TEXT NOT NULL,
    asset_id      TEXT NOT NULL,
    terms_version INTEGER NOT NULL,
    terms_sha256  TEXT NOT NULL,
    scope         TEXT NOT NULL, -- JSON array of the rights granted
    method        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    withdrawn_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO consents_rebuilt (id, user_id, kind, call_id, entry_id, asset_id, terms_version, terms_sha256, scope, method, at, withdrawn_at)
    SELECT id, user_id, kind, call_id, entry_id, asset_id, terms_version, terms_sha256, scope, method, at, withdrawn_at FROM consents;
DROP TABLE consents;
ALTER TABLE consents_rebuilt RENAME TO consents;
CREATE INDEX consents_user ON consents(user_id, at);
CREATE INDEX consents_entry ON consents(entry_id);

-- At most one live e-mail notifications consent per account: giving it
-- again while one is live adds no second record, even from two requests
-- at once (the loser re-reads and answers the existing one).
CREATE UNIQUE INDEX consents_one_live_notifications ON consents(user_id)
    WHERE kind = 'email_notifications' AND withdrawn_at = 0;
