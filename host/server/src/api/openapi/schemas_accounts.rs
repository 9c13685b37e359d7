//! The component schemas of users and tokens: what `/api/users` and `/api/tokens` accept and answer.

use serde_json::{Value, json};

use super::schemas::{array_of, closed, open, reference};

fn timestamp() -> Value {
    json!({ "type": "string", "format": "date-time", "description": "RFC 3339 UTC." })
}

/// The account schemas, by name.
pub(super) fn all() -> Value {
    json!({
        "User": open(&["id", "username", "role", "createdAt"], json!({
            "id": { "type": "string" },
            "username": { "type": "string" },
            "role": reference("Role"),
            "createdAt": timestamp(),
        })),
        "UserList": open(&["users"], json!({ "users": array_of(reference("User")) })),
        "NewUser": closed(&["username", "password"], json!({
            "username": { "type": "string", "pattern": "^[a-z0-9_.-]{1,64}$" },
            "password": { "type": "string", "format": "password", "minLength": 1, "description": "At most 1024 bytes." },
            "role": { "$ref": "#/components/schemas/Role", "default": "user" },
        })),
        "Token": open(&["id", "owner", "label", "createdAt", "expiresAt"], json!({
            "id": { "type": "string", "description": "What DELETE /api/tokens/{id} names." },
            "owner": { "type": "string", "description": "The owner's username." },
            "label": { "type": "string", "description": "What it is for (`login`, `console session`, or the issuer's words)." },
            "createdAt": timestamp(),
            "expiresAt": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When it stops working; null for an API token, which lasts until revoked.",
            },
        })),
        "TokenList": open(&["tokens"], json!({ "tokens": array_of(reference("Token")) })),
        "NewToken": closed(&["label"], json!({
            "label": { "type": "string", "minLength": 1, "maxLength": 100, "description": "What it is for; no control characters." },
            "owner": { "type": "string", "description": "Whose token (a username); operators only. Default: the caller." },
        })),
        "IssuedToken": {
            "allOf": [reference("Token"), open(&["token"], json!({
                "token": { "type": "string", "description": "Send as `Authorization: Bearer <token>`; shown this once." },
            }))],
        },
        "RevokedToken": open(&["revoked"], json!({ "revoked": reference("Token") })),
    })
}
