-- Sharing (package sharing): projects and their ordered assets, members
-- invited by e-mail, review links with their unlocks and guests, the
-- review itself (marks, comments, "done") and in-app notifications.
-- Times are Unix microseconds (UTC), 0 where unset. The CHECK constraints
-- repeat what package sharing validates, so that a bug there cannot store
-- a role, policy or mark no code knows how to read.
-- The same tables as migrations/sqlite/0009_sharing.sql, in PostgreSQL
-- types: BIGINT for INTEGER, BYTEA for BLOB. Two departures from 0001/0002,
-- because the schema-parity test accepts BOOLEAN and COLLATE "C" columns
-- only from its own list: show_camera is BIGINT 0/1 (with a CHECK), and
-- the ids keep the database's collation. They are UUIDs (hex digits,
-- hyphens at fixed places), which sort the same in every locale.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    -- An asset of the project, or ''. Read only while that asset is still
    -- in the project, so a cover removed or purged is no cover.
    cover_id    TEXT NOT NULL DEFAULT '',
    show_camera BIGINT NOT NULL CHECK (show_camera IN (0, 1)),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX projects_owner ON projects(owner_id, created_at DESC, id DESC);

-- An asset belongs to any number of projects; purging it removes it from
-- all of them. position orders the project (ties: asset_id).
CREATE TABLE project_assets (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    asset_id   TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (project_id, asset_id)
);
CREATE INDEX project_assets_order ON project_assets(project_id, position);
CREATE INDEX project_assets_asset ON project_assets(asset_id);

-- A grant to whoever holds a verified account with that (normalized)
-- address; no foreign key to users, by design.
CREATE TABLE project_members (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'reviewer', 'editor')),
    download   TEXT NOT NULL CHECK (download IN ('none', 'preview', 'original')),
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (project_id, email)
);
CREATE INDEX project_members_email ON project_members(email);

-- Only the SHA-256 of a link's token is stored. revoked_at is 0 while
-- the link is usable; revocation is never undone.
CREATE TABLE review_links (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    token_hash       BYTEA NOT NULL UNIQUE,
    password_hash    TEXT NOT NULL, -- argon2id, or '' for no password
    password_version BIGINT NOT NULL,
    download         TEXT NOT NULL CHECK (download IN ('none', 'preview', 'original')),
    watermark        TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    revoked_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX review_links_project ON review_links(project_id, created_at);

-- A link opened with its password: bound to the link and the password
-- version it was made with. Deleted when the link is revoked or its
-- password changes, and swept after expires_at.
CREATE TABLE link_unlocks (
    token_hash       BYTEA PRIMARY KEY,
    link_id          TEXT NOT NULL REFERENCES review_links(id) ON DELETE CASCADE,
    password_version BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX link_unlocks_link ON link_unlocks(link_id);
CREATE INDEX link_unlocks_expires ON link_unlocks(expires_at);

-- Someone reviewing through a link, as they introduced themselves.
CREATE TABLE link_guests (
    id         TEXT PRIMARY KEY,
    link_id    TEXT NOT NULL REFERENCES review_links(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX link_guests_link ON link_guests(link_id, created_at);

-- One reviewer's marks on one asset of a project. reviewer_id is an
-- account id or a link_guests id (by reviewer_kind), so no foreign key.
CREATE TABLE review_marks (
    project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    asset_id      TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    reviewer_kind TEXT NOT NULL CHECK (reviewer_kind IN ('user', 'guest')),
    reviewer_id   TEXT NOT NULL,
    rating        BIGINT NOT NULL CHECK (rating BETWEEN 0 AND 5),
    label         TEXT NOT NULL CHECK (label IN ('', 'red', 'yellow', 'green', 'blue', 'purple')),
    flag          TEXT NOT NULL CHECK (flag IN ('', 'pick', 'reject')),
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (project_id, asset_id, reviewer_kind, reviewer_id)
);
CREATE INDEX review_marks_asset ON review_marks(asset_id);

CREATE TABLE review_comments (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    asset_id    TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('user', 'guest')),
    author_id   TEXT NOT NULL,
    body        TEXT NOT NULL, -- plain text, escaped where shown
    created_at  BIGINT NOT NULL
);
CREATE INDEX review_comments_project ON review_comments(project_id, asset_id, created_at);
CREATE INDEX review_comments_asset ON review_comments(asset_id);

-- A reviewer pressed "done"; pressing it again moves at.
CREATE TABLE review_done (
    project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    reviewer_kind TEXT NOT NULL CHECK (reviewer_kind IN ('user', 'guest')),
    reviewer_id   TEXT NOT NULL,
    at            BIGINT NOT NULL,
    PRIMARY KEY (project_id, reviewer_kind, reviewer_id)
);

-- In-app messages to an account. project_id has no foreign key on
-- purpose: a notice ("Ann finished reviewing Wedding") stays in its
-- reader's list after the project is deleted; its link then finds
-- nothing. read_at is 0 until read.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    project_id TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
