-- Calls for entries (package calls): organizations and their members,
-- calls with versioned terms, entries and their images, the consent
-- ledger, jury rounds (jurors, candidates, votes), recusals and originals
-- requests. Times are Unix microseconds (UTC), 0 where unset; flags are
-- INTEGER 0/1; lists of words (categories, formats, rights, shared data,
-- scope) are TEXT holding a JSON array of strings, '[]' for none. The
-- CHECK constraints repeat what package calls validates, so that a bug
-- there cannot store a role, state or mode no code knows how to read.
-- The same schema as migrations/postgres/0010_calls.sql.

-- A separate tenant: nothing of one organization is visible to another.
-- created_by has no foreign key: the organization outlives its creator's
-- account (its other owners run it).
CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- A role for whoever holds a verified account with that (normalized)
-- address; no foreign key to users, by design (as project_members).
CREATE TABLE org_members (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'juror', 'viewer')),
    invited_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, email)
) STRICT;
CREATE INDEX org_members_email ON org_members(email);

-- state 'closed' is never stored: an open call past its deadline is
-- closed (calls.Call.Effective). terms_version names the current row of
-- call_terms.
CREATE TABLE calls (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    cover_ref           TEXT NOT NULL, -- sealed with the organization's key, or ''
    opens_at            INTEGER NOT NULL,
    deadline            INTEGER NOT NULL,
    time_zone           TEXT NOT NULL,
    categories          TEXT NOT NULL, -- JSON array
    entries_per_entrant INTEGER NOT NULL,
    images_per_entry    INTEGER NOT NULL,
    max_file_bytes      INTEGER NOT NULL,
    formats             TEXT NOT NULL, -- JSON array
    min_long_edge       INTEGER NOT NULL,
    color_profile       INTEGER NOT NULL CHECK (color_profile IN (0, 1)),
    orientation         TEXT NOT NULL CHECK (orientation IN ('any', 'landscape', 'portrait', 'square')),
    visibility          TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted')),
    state               TEXT NOT NULL CHECK (state IN ('draft', 'open', 'judging', 'results')),
    terms_version       INTEGER NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    published_at        INTEGER NOT NULL DEFAULT 0,
    results_at          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX calls_org ON calls(org_id, created_at);
CREATE INDEX calls_deadline ON calls(state, deadline);

-- One version of a call's terms. text is the whole document entrants
-- accept and sha256 its hex SHA-256, which consents name. A version is
-- replaced only while published_at is 0; once published it never changes.
CREATE TABLE call_terms (
    call_id      TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    body         TEXT NOT NULL,
    rights       TEXT NOT NULL, -- JSON array
    shared_data  TEXT NOT NULL, -- JSON array
    text         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (call_id, version)
) STRICT;

-- A photographer's titled series of their own images. number is per
-- call, from 1: how managers name an entry when the terms share no name.
-- Deleting the account deletes its entries (and, below, their images,
-- candidacies, votes, recusals and originals requests).
CREATE TABLE entries (
    id            TEXT PRIMARY KEY,
    call_id       TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    title         TEXT NOT NULL,
    statement     TEXT NOT NULL,
    category      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'withdrawn')),
    terms_version INTEGER NOT NULL, -- accepted by the entrant, 0 for none
    award         TEXT NOT NULL DEFAULT '' CHECK (award IN ('', 'winner', 'honourable_mention')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    submitted_at  INTEGER NOT NULL DEFAULT 0,
    withdrawn_at  INTEGER NOT NULL DEFAULT 0,
    reminded_at   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (call_id, number)
) STRICT;
CREATE INDEX entries_user ON entries(user_id, created_at);
CREATE INDEX entries_state ON entries(call_id, state, number);

-- An entry names assets of its entrant's library; it copies nothing.
-- Purging an asset takes it out of every entry.
CREATE TABLE entry_images (
    id       TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    UNIQUE (entry_id, asset_id)
) STRICT;
CREATE INDEX entry_images_asset ON entry_images(asset_id);

-- The consent ledger: append-only, withdrawal sets withdrawn_at. Kinds:
-- a call's terms and originals releases (package calls), and the terms of
-- use and privacy notice recorded at sign-up (package privacy). call_id,
-- entry_id and asset_id have no foreign keys on purpose: the record of a
-- consent outlives a deleted draft (or call), as proof of what was
-- agreed; it goes only with the account that gave it.
CREATE TABLE consents (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('call_terms', 'originals_release', 'terms_of_use', 'privacy_notice')),
    call_id       TEXT NOT NULL,
    entry_id      TEXT NOT NULL,
    asset_id      TEXT NOT NULL,
    terms_version INTEGER NOT NULL,
    terms_sha256  TEXT NOT NULL,
    scope         TEXT NOT NULL, -- JSON array of the rights granted
    method        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    withdrawn_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX consents_user ON consents(user_id, at);
CREATE INDEX consents_entry ON consents(entry_id);

-- A pass of the jury. from_round_id is '' for every submitted entry,
-- else the round whose shortlist this one judges (same call).
CREATE TABLE rounds (
    id            TEXT PRIMARY KEY,
    call_id       TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    unit          TEXT NOT NULL CHECK (unit IN ('entry', 'image')),
    mode          TEXT NOT NULL CHECK (mode IN ('stars_avg', 'stars_sum', 'yesno', 'none')),
    blind         INTEGER NOT NULL CHECK (blind IN (0, 1)),
    from_round_id TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    closed_at     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (call_id, number)
) STRICT;

-- An address invited to a round; the role is the verified account's with
-- that address, so no foreign key to users.
CREATE TABLE round_jurors (
    round_id   TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    invited_at INTEGER NOT NULL,
    PRIMARY KEY (round_id, email)
) STRICT;
CREATE INDEX round_jurors_email ON round_jurors(email);

-- What a round judges, fixed when it is created: an entry (image_id '')
-- or one image of it.
CREATE TABLE round_candidates (
    round_id    TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    entry_id    TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    image_id    TEXT NOT NULL,
    position    INTEGER NOT NULL,
    shortlisted INTEGER NOT NULL DEFAULT 0 CHECK (shortlisted IN (0, 1)),
    PRIMARY KEY (round_id, entry_id, image_id)
) STRICT;
CREATE INDEX round_candidates_entry ON round_candidates(entry_id);

-- One juror's score of one candidate; juror_id is an account id, with no
-- foreign key: a juror's account going does not change the results.
CREATE TABLE votes (
    round_id   TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    juror_id   TEXT NOT NULL,
    entry_id   TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    image_id   TEXT NOT NULL,
    score      INTEGER NOT NULL CHECK (score BETWEEN 0 AND 5),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (round_id, juror_id, entry_id, image_id)
) STRICT;
CREATE INDEX votes_entry ON votes(entry_id);

-- A juror's declared conflict of interest with an entry, for every round
-- of the call.
CREATE TABLE recusals (
    call_id  TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (call_id, entry_id, user_id)
) STRICT;
CREATE INDEX recusals_entry ON recusals(entry_id);

-- A request for the original of one image. consent_id names the
-- originals-release consent once approved ('' before).
CREATE TABLE originals_requests (
    id           TEXT PRIMARY KEY,
    call_id      TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    entry_id     TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    image_id     TEXT NOT NULL,
    owner_id     TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    message      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn')),
    consent_id   TEXT NOT NULL DEFAULT '',
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX originals_requests_call ON originals_requests(call_id, requested_at);
CREATE INDEX originals_requests_entry ON originals_requests(entry_id);
CREATE INDEX originals_requests_owner ON originals_requests(owner_id, requested_at);
CREATE INDEX originals_requests_consent ON originals_requests(consent_id);
