-- E-mail: address verification, single-use e-mailed tokens (password
-- reset, address verification) and the development outbox.
-- The same tables as migrations/sqlite/0005_mail.sql, in PostgreSQL types
-- (see 0001); ids that order rows are COLLATE "C".

ALTER TABLE users ADD COLUMN email_verified_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE email_tokens (
    id         TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX email_tokens_user ON email_tokens(user_id, purpose, created_at);

CREATE TABLE mail_outbox (
    id         TEXT COLLATE "C" PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_outbox_created ON mail_outbox(created_at);
