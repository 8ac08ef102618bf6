-- The library: assets (originals and derivatives, all sealed in the blob
-- store), the owner-visible access log, and library settings.
-- Personal and free-text fields live only inside `private`, sealed to the
-- owner; content_mac is an owner-keyed hash, never a bare content hash.

CREATE TABLE assets (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    failure_reason   TEXT NOT NULL DEFAULT '',
    format           TEXT NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    taken_at         INTEGER NOT NULL DEFAULT 0,
    taken_offset     INTEGER NOT NULL DEFAULT 0,  -- seconds east of UTC
    taken_has_offset INTEGER NOT NULL DEFAULT 0,
    camera_make      TEXT NOT NULL DEFAULT '',
    camera_model     TEXT NOT NULL DEFAULT '',
    lens             TEXT NOT NULL DEFAULT '',
    focal_length_mm  REAL NOT NULL DEFAULT 0,
    f_number         REAL NOT NULL DEFAULT 0,
    exposure_seconds REAL NOT NULL DEFAULT 0,
    exposure_text    TEXT NOT NULL DEFAULT '',
    iso              INTEGER NOT NULL DEFAULT 0,
    color_profile    TEXT NOT NULL DEFAULT '',
    private          BLOB NOT NULL,
    content_mac      BLOB NOT NULL,
    original_ref     TEXT NOT NULL,
    thumb_ref        TEXT NOT NULL DEFAULT '',
    preview_ref      TEXT NOT NULL DEFAULT '',
    thumb_width      INTEGER NOT NULL DEFAULT 0,
    thumb_height     INTEGER NOT NULL DEFAULT 0,
    preview_width    INTEGER NOT NULL DEFAULT 0,
    preview_height   INTEGER NOT NULL DEFAULT 0,
    sort_at          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    trashed_at       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (owner_id, content_mac)
) STRICT;
CREATE INDEX assets_library ON assets(owner_id, trashed_at, sort_at DESC, id DESC);
CREATE INDEX assets_processing ON assets(status, created_at);
CREATE INDEX assets_trashed ON assets(trashed_at);

CREATE TABLE access_events (
    id          TEXT PRIMARY KEY,
    asset_id    TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    via         TEXT NOT NULL,
    action      TEXT NOT NULL
) STRICT;
CREATE INDEX access_events_asset ON access_events(asset_id, at);
CREATE INDEX access_events_owner ON access_events(owner_id, at);

CREATE TABLE library_settings (
    owner_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    keep_copyright INTEGER NOT NULL
) STRICT;
