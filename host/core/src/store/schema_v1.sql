-- Drydock schema, version 1. Applied in one transaction by store/migrations.rs; never edit a released
-- migration, add the next one. Tables are STRICT so a value of the wrong type is refused, not coerced.
-- Timestamps are RFC 3339 UTC text of fixed width (they sort chronologically); JSON is canonical text.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,                 -- argon2id PHC string
    role          TEXT NOT NULL CHECK (role IN ('user', 'operator')),
    created_at    TEXT NOT NULL
) STRICT;

-- API tokens: only the SHA-256 of the token is kept; the token itself is shown once, at issue.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    label        TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL REFERENCES users (id),
    work_item    TEXT NOT NULL,
    current_plan TEXT REFERENCES plans (id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_by_owner ON sessions (owner, created_at);

-- Plan content never changes: a changed plan is a new version (and needs a new approval).
CREATE TABLE plans (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'pending_approval', 'approved', 'executing',
                                                  'completed', 'failed', 'cancelled')),
    content       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    approved_hash TEXT,
    approved_by   TEXT,
    approved_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (session_id, version)
) STRICT;

CREATE TABLE executions (
    correlation_id TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    plan_id        TEXT REFERENCES plans (id),
    node_id        TEXT,
    mode           TEXT NOT NULL CHECK (mode IN ('dry-run', 'live')),
    status         TEXT NOT NULL CHECK (status IN ('accepted', 'running', 'completed', 'failed',
                                                   'interrupted')),
    requested_by   TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    detail         TEXT NOT NULL
) STRICT;
CREATE INDEX executions_by_node ON executions (session_id, node_id, started_at);
CREATE INDEX executions_unfinished ON executions (status) WHERE status IN ('accepted', 'running');

-- AUTOINCREMENT: a seq is never reused, so a client resuming with Last-Event-ID never skips an event.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    kind           TEXT NOT NULL,
    correlation_id TEXT,
    payload        TEXT NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_session ON events (session_id, seq);

CREATE TABLE artifacts (
    id             TEXT PRIMARY KEY,
    session_id     TEXT REFERENCES sessions (id),
    correlation_id TEXT,
    name           TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    produced_by    TEXT NOT NULL,
    size           INTEGER NOT NULL CHECK (size >= 0),
    sha256         TEXT NOT NULL,
    content        BLOB NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX artifacts_by_session ON artifacts (session_id, created_at);

CREATE TABLE live_policy (
    plugin       TEXT PRIMARY KEY,
    capabilities TEXT NOT NULL,                  -- JSON array of capability names
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

-- The audit log: hash-chained (see audit/mod.rs). seq is assigned by the app, inside the appending
-- transaction, because the hash covers it. AUTOINCREMENT keeps the highest seq ever written in
-- sqlite_sequence, which lets the verifier notice rows deleted from the end of the chain.
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT CHECK (seq >= 1),
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    target         TEXT,
    correlation_id TEXT,
    detail         TEXT NOT NULL,                -- canonical JSON, hashed byte for byte
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_correlation ON audit_log (correlation_id, seq) WHERE correlation_id IS NOT NULL;

-- Defense in depth: the app never updates or deletes audit rows, and neither can anyone going through SQL
-- without first dropping these triggers. The hash chain is what catches someone who does.
CREATE TRIGGER audit_log_refuses_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_refuses_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
