-- Restriction of processing (GDPR Art. 18): the account's holder can
-- freeze what is done with their data — shares, review links, jury and
-- results access answer 404, jobs over their data wait — until they lift
-- it. restricted_at is Unix microseconds (UTC), 0 while not restricted:
-- the convention of disabled_at and the other optional times.

ALTER TABLE users ADD COLUMN restricted_at INTEGER NOT NULL DEFAULT 0;
