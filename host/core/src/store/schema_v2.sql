-- Drydock schema, version 2: the chat face (seed 000) and the host's settings.
-- A conversation is a session; a task is a line of that session's plan versions.

-- One row per chat session: the `user_id` the client named (an app serving many end users with one token
-- keeps them apart by it) next to the authenticated owner kept on `sessions`.
CREATE TABLE chat_conversations (
    session_id     TEXT PRIMARY KEY REFERENCES sessions (id),
    client_user_id TEXT NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX chat_conversations_by_client_user ON chat_conversations (client_user_id, created_at);

CREATE TABLE chat_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    role       TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content    TEXT NOT NULL,
    intent     TEXT,                              -- what the agent understood a user message as
    task_id    TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX chat_messages_by_session ON chat_messages (session_id, id);

-- A task: the request and requirements a conversation's plan is made from. Its current plan version is
-- `plan_id` (a modification adds a version and moves it); its status is that plan's status.
CREATE TABLE chat_tasks (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id),
    plan_id      TEXT NOT NULL REFERENCES plans (id),
    description  TEXT NOT NULL,
    requirements TEXT NOT NULL,                  -- JSON array of strings, in the order they were stated
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX chat_tasks_by_session ON chat_tasks (session_id, created_at);

-- Host settings edited over the API (LLM providers). Values are JSON; API keys in them are never returned
-- unmasked, logged, audited or put in an event.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
