-- Drydock schema, version 7: Mojodex's integer keys (seed 003), over Drydock's own ids.
-- A Mojodex client names everything by a stable integer: workflows, a user's workflows, workflow steps,
-- executions and step executions. `mojodex_pks` gives each Drydock id (a JSON array naming it, under its
-- kind) one integer, made on first use and never reused. An execution is created before its run starts
-- (Mojodex creates, then starts with the inputs), so it has its own table: the run id it will have, the
-- Socket.IO room (`session_id`), its owner, and the inputs once it started (NULL before).

CREATE TABLE mojodex_pks (
    pk   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                          -- workflow | user_workflow | workflow_step | step_execution
    key  TEXT NOT NULL,                          -- JSON array of the Drydock ids it stands for
    UNIQUE (kind, key)
) STRICT;

CREATE TABLE mojodex_executions (
    pk               INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id           TEXT NOT NULL UNIQUE,       -- the workflow run's id once started
    session_id       TEXT NOT NULL UNIQUE,       -- 32 hex digits; the Socket.IO room
    workflow         TEXT NOT NULL,
    user_workflow_pk INTEGER NOT NULL,
    owner            TEXT NOT NULL,              -- user id; only the owner sees it
    inputs           TEXT,                       -- JSON [{input_name, value}] given at start; NULL before
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX mojodex_executions_by_owner ON mojodex_executions (owner, created_at);
