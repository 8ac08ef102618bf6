-- Restriction of processing (GDPR Art. 18).
-- The same column as migrations/sqlite/0014_restriction.sql, in
-- PostgreSQL types (see 0001): Unix microseconds, 0 while not restricted.

ALTER TABLE users ADD COLUMN restricted_at BIGINT NOT NULL DEFAULT 0;
