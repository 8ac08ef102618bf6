-- Instance-wide values every process must agree on. root_key_check is a
-- constant wrapped by the root key, so a replica given another key file
-- refuses to start (keys.VerifyRootKey). The same table as
-- migrations/sqlite/0003_instance.sql.
CREATE TABLE instance (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
