-- Drydock schema, version 9: what a client chose for a workflow run, kept with the run so a restart keeps it.
-- `hold_tools`: the run stops before each tool call until a person approves it (Astonish's studio without
-- autoApprove); a restart must not make a held call, so the hold is stored, not request state.
-- `llm`: the language model its llm nodes use when its client chose one (JSON {provider, model}); NULL
-- means the server's default. `client_key`: the client's own name for the run (Astonish's studio session,
-- filed under its caller), so the client's next request finds its run after a restart.

ALTER TABLE workflow_runs ADD COLUMN hold_tools INTEGER NOT NULL DEFAULT 0 CHECK (hold_tools IN (0, 1));
ALTER TABLE workflow_runs ADD COLUMN llm TEXT;
ALTER TABLE workflow_runs ADD COLUMN client_key TEXT;
CREATE INDEX workflow_runs_by_client_key ON workflow_runs (client_key, created_at)
    WHERE client_key IS NOT NULL;
