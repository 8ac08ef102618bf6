-- E-mail: address verification, single-use e-mailed tokens (password
-- reset, address verification) and the development outbox.
-- email_tokens keeps only the SHA-256 of each token; used_at is 0 until
-- the token is used. email is the address the link was sent to, so a link
-- never verifies an address the account has since changed to.

ALTER TABLE users ADD COLUMN email_verified_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE email_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    email      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX email_tokens_user ON email_tokens(user_id, purpose, created_at);

CREATE TABLE mail_outbox (
    id         TEXT PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX mail_outbox_created ON mail_outbox(created_at);
