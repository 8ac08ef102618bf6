-- Disabled accounts (ASVS V7.4.2): an instance admin can disable an
-- account, which ends its sessions, tokens and pending sign-ins and
-- refuses it at sign-in until the admin enables it again.
-- disabled_at is Unix microseconds (UTC), 0 while the account is active:
-- the same convention as email_verified_at and the other optional times,
-- so the Go side reads it like every other time (0 is the zero time).

ALTER TABLE users ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;
