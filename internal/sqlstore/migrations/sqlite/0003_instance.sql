-- Instance-wide values every process must agree on. root_key_check is a
-- constant wrapped by the root key, so a process given another key file
-- refuses to start (keys.VerifyRootKey).
CREATE TABLE instance (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
