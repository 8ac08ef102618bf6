-- The library: assets (originals and derivatives, all sealed in the blob
-- store), the owner-visible access log, and library settings.
-- Personal and free-text fields live only inside `private`, sealed to the
-- owner; content_mac is an owner-keyed hash, never a bare content hash.
-- The same tables as migrations/sqlite/0002_library.sql; columns that hold
-- a Go bool are BOOLEAN here (SQLite keeps INTEGER 0/1), REAL is DOUBLE
-- PRECISION (SQLite's REAL is 8 bytes too), and ids that order rows are
-- COLLATE "C" (see 0001).

CREATE TABLE assets (
    id               TEXT COLLATE "C" PRIMARY KEY,
    owner_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    failure_reason   TEXT NOT NULL DEFAULT '',
    format           TEXT NOT NULL,
    width            BIGINT NOT NULL,
    height           BIGINT NOT NULL,
    size             BIGINT NOT NULL,
    taken_at         BIGINT NOT NULL DEFAULT 0,
    taken_offset     BIGINT NOT NULL DEFAULT 0,  -- seconds east of UTC
    taken_has_offset BOOLEAN NOT NULL DEFAULT FALSE,
    camera_make      TEXT NOT NULL DEFAULT '',
    camera_model     TEXT NOT NULL DEFAULT '',
    lens             TEXT NOT NULL DEFAULT '',
    focal_length_mm  DOUBLE PRECISION NOT NULL DEFAULT 0,
    f_number         DOUBLE PRECISION NOT NULL DEFAULT 0,
    exposure_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
    exposure_text    TEXT NOT NULL DEFAULT '',
    iso              BIGINT NOT NULL DEFAULT 0,
    color_profile    TEXT NOT NULL DEFAULT '',
    private          BYTEA NOT NULL,
    content_mac      BYTEA NOT NULL,
    original_ref     TEXT NOT NULL,
    thumb_ref        TEXT NOT NULL DEFAULT '',
    preview_ref      TEXT NOT NULL DEFAULT '',
    thumb_width      BIGINT NOT NULL DEFAULT 0,
    thumb_height     BIGINT NOT NULL DEFAULT 0,
    preview_width    BIGINT NOT NULL DEFAULT 0,
    preview_height   BIGINT NOT NULL DEFAULT 0,
    sort_at          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    trashed_at       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (owner_id, content_mac)
);
CREATE INDEX assets_library ON assets(owner_id, trashed_at, sort_at DESC, id DESC);
CREATE INDEX assets_processing ON assets(status, created_at);
CREATE INDEX assets_trashed ON assets(trashed_at);

CREATE TABLE access_events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    asset_id    TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    via         TEXT NOT NULL,
    action      TEXT NOT NULL
);
CREATE INDEX access_events_asset ON access_events(asset_id, at);
CREATE INDEX access_events_owner ON access_events(owner_id, at);

CREATE TABLE library_settings (
    owner_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    keep_copyright BOOLEAN NOT NULL
);
