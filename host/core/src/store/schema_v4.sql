-- Drydock schema, version 4: workflow runs and their events.
-- A run is stored whole (the engine's serialisable state, JSON) after every transition, so a restart or a
-- reconnecting client picks it up where it paused. `version` makes concurrent answers safe: an update
-- applies only to the version it read (optimistic concurrency), a loser gets a clear conflict.

CREATE TABLE workflow_runs (
    id         TEXT PRIMARY KEY,
    workflow   TEXT NOT NULL,
    owner      TEXT NOT NULL,                    -- user id; '' for an anonymous run of a public workflow
    started_by TEXT NOT NULL,                    -- username, or `anonymous`
    status     TEXT NOT NULL,
    run        TEXT NOT NULL,                    -- the engine's Run, JSON
    version    INTEGER NOT NULL CHECK (version >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX workflow_runs_by_owner ON workflow_runs (owner, created_at);

-- AUTOINCREMENT: a seq is never reused, so a stream resumed after `seq` never skips an event.
CREATE TABLE run_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     TEXT NOT NULL REFERENCES workflow_runs (id),
    event      TEXT NOT NULL,                    -- JSON, the engine's event (`type` tag) or Drydock's
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX run_events_by_run ON run_events (run_id, seq);
