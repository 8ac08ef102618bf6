-- Optional e-mail notifications: the consent kind email_notifications.
-- The same schema as migrations/sqlite/0015_email_notifications.sql,
-- which says why; PostgreSQL changes the CHECK constraint in place (its
-- name is the one 0010 gave the column's CHECK implicitly).

ALTER TABLE consents DROP CONSTRAINT consents_kind_check;
ALTER TABLE consents ADD CONSTRAINT consents_kind_check
    CHECK (kind IN ('call_terms', 'originals_release', 'terms_of_use', 'privacy_notice', 'email_notifications'));

-- At most one live e-mail notifications consent per account.
CREATE UNIQUE INDEX consents_one_live_notifications ON consents(user_id)
    WHERE kind = 'email_notifications' AND withdrawn_at = 0;
