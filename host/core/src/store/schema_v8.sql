-- Drydock schema, version 8: rehearsal-bound approvals, and executions that wait for a person's review.
-- An approval freezes the plan's hash *and* its rehearsal: the hash of the rehearsal report the approver
-- saw and, per node, the fingerprints of the writes it showed (canonical JSON). A live run of that plan may
-- only perform those writes; anything else makes the execution `needs_review` until an operator decides.
-- SQLite cannot change a CHECK constraint in place, so `executions` is rebuilt (nothing references it).

ALTER TABLE plans ADD COLUMN approved_rehearsal_hash TEXT;
ALTER TABLE plans ADD COLUMN approved_rehearsal TEXT;

CREATE TABLE executions_v7 (
    correlation_id TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    plan_id        TEXT REFERENCES plans (id),
    node_id        TEXT,
    mode           TEXT NOT NULL CHECK (mode IN ('dry-run', 'live')),
    status         TEXT NOT NULL CHECK (status IN ('accepted', 'running', 'needs_review', 'completed',
                                                   'failed', 'interrupted')),
    requested_by   TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    detail         TEXT NOT NULL
) STRICT;
INSERT INTO executions_v7 (correlation_id, session_id, plan_id, node_id, mode, status, requested_by,
                           started_at, finished_at, detail)
    SELECT correlation_id, session_id, plan_id, node_id, mode, status, requested_by, started_at,
           finished_at, detail FROM executions;
DROP TABLE executions;
ALTER TABLE executions_v7 RENAME TO executions;
CREATE INDEX executions_by_node ON executions (session_id, node_id, started_at);
CREATE INDEX executions_unfinished ON executions (status)
    WHERE status IN ('accepted', 'running', 'needs_review');
