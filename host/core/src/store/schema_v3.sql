-- Drydock schema, version 3: workflows (issue 5). One row per workflow, keyed by the `name` its YAML
-- declares; the YAML is kept exactly as written (comments, order) so GET returns what PUT stored. The
-- validated flow is not stored: it is derived from the YAML against the tools loaded at the time.
CREATE TABLE workflows (
    name       TEXT PRIMARY KEY,
    yaml       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
