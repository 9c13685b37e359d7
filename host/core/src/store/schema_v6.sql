-- Drydock schema, version 6: tokens that expire (the web console's sessions).
-- A console sign-in issues an ordinary token with an end; API tokens keep `expires_at` NULL and never expire.
-- An expired token is refused from the moment `expires_at` passes (RFC 3339 UTC, fixed width, so the text
-- compares like the instant) and deleted at a later sign-in; the index serves the per-owner listing.

ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);
