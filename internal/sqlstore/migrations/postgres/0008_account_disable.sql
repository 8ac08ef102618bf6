-- Disabled accounts (ASVS V7.4.2).
-- The same column as migrations/sqlite/0008_account_disable.sql, in
-- PostgreSQL types (see 0001): Unix microseconds, 0 while active.

ALTER TABLE users ADD COLUMN disabled_at BIGINT NOT NULL DEFAULT 0;
