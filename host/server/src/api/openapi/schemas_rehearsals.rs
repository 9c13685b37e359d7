//! The component schemas of the rehearsal routes: the "what will change" report and a review.

use serde_json::{Value, json};

use super::schemas::{array_of, closed, open};

/// The rehearsal schemas, by name.
pub(super) fn all() -> Value {
    let shape = open(
        &["sizeClass"],
        json!({
            "sizeClass": { "type": "integer", "minimum": 0, "description": "0 for no payload, else the bit length of its size in bytes." },
            "jsonKeys": array_of(json!({ "type": "string" })),
            "keyCount": { "type": "integer", "minimum": 0 },
        }),
    );
    let write = open(
        &["plugin", "action", "count"],
        json!({
            "plugin": { "type": "string" },
            "tool": { "type": "string" },
            "action": { "type": "string", "description": "The HTTP method, or the file change (create, write, delete)." },
            "shape": shape.clone(),
            "count": { "type": "integer", "minimum": 1, "description": "How often the rehearsal made this write: a live run may make it as often." },
            "reason": { "type": "string" },
            "bound": { "type": "boolean", "description": "Whether the write has a fingerprint (a live run can match it)." },
            "bodyExcerpt": { "type": "string" },
        }),
    );
    let node = open(
        &[
            "nodeId",
            "title",
            "execution",
            "writes",
            "capabilities",
            "diffs",
        ],
        json!({
            "nodeId": { "type": "string" },
            "title": { "type": "string" },
            "execution": { "type": ["object", "null"], "description": "The dry run shown: {correlationId, requestedBy, finishedAt}; null when the node has no rehearsal." },
            "writes": { "type": "integer", "minimum": 0 },
            "capabilities": array_of(open(&["capability", "targets"], json!({
                "capability": { "type": "string" },
                "targets": array_of(open(&["target", "effects"], json!({
                    "target": { "type": "string", "description": "The canonical URL with its query, or mount/path." },
                    "effects": array_of(write),
                }))),
            }))),
            "diffs": array_of(open(&["artifactId", "name", "sha256", "size"], json!({
                "artifactId": { "type": "string" },
                "name": { "type": "string" },
                "sha256": { "type": "string" },
                "size": { "type": "integer", "minimum": 0 },
                "text": { "type": "string", "description": "The unified diff, when it is at most 512 KiB." },
            }))),
        }),
    );
    json!({
        "RehearsalReport": open(
            &["planId", "version", "planHash", "hash", "nodes", "missing"],
            json!({
                "planId": { "type": "string" },
                "version": { "type": "integer", "minimum": 1 },
                "planHash": { "type": "string" },
                "hash": { "type": "string", "description": "What an approval binds: the same writes and diffs give the same hash." },
                "nodes": array_of(node),
                "missing": array_of(json!({ "type": "string" })),
            }),
        ),
        "ReviewRequest": closed(&["decision"], json!({
            "decision": { "type": "string", "enum": ["allowOnce", "stop"] },
        })),
        "ReviewAnswer": open(&["correlationId", "decision", "effect"], json!({
            "correlationId": { "type": "string" },
            "decision": { "type": "string", "enum": ["allowOnce", "stop"] },
            "effect": open(&["plugin", "capability", "action", "fingerprint"], json!({
                "seq": { "type": ["integer", "null"] },
                "plugin": { "type": "string" },
                "tool": { "type": "string" },
                "capability": { "type": "string" },
                "action": { "type": "string", "description": "What the held write is." },
                "fingerprint": { "type": "object" },
                "detail": { "type": "object" },
            })),
        })),
    })
}
