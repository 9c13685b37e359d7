-- Drydock schema, version 5: installed plugin packages.
-- One row per installed plugin (its name is the key: one version of a plugin is installed at a time). The
-- component file itself lives in the data directory (packages/<digest>/<name>.wasm); the row says which one
-- is in force, what its manifest requested and what an operator accepted. `accepted` (JSON) is each accepted
-- request with the directory chosen for it; the grants in force are made from it in policy syntax and read
-- by the policy's own parser on every start. `held` (JSON) lists the requests of this version an operator
-- has not accepted yet (an upgrade that asks for more runs with the old grants until then).

CREATE TABLE packages (
    name         TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    digest       TEXT NOT NULL,                  -- sha256 hex of the component file
    source       TEXT NOT NULL,                  -- where it came from: a file name, a URL, an oci:// reference
    manifest     TEXT NOT NULL,                  -- the package's manifest, TOML, as shipped
    signer       TEXT,                           -- the trusted key's name when the package is signed
    accepted     TEXT NOT NULL,                  -- JSON array: accepted requests (and their directories)
    held         TEXT NOT NULL,                  -- JSON array: requests not accepted yet
    installed_by TEXT NOT NULL,
    installed_at TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
