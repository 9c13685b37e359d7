//! The component schemas of the plugin routes: a package in a request, what inspecting it shows, an
//! installed plugin and the list of every loaded one.

use serde_json::{Value, json};

use super::schemas::{array_of, closed, open, reference};

/// The plugin schemas, by name.
pub(super) fn all() -> Value {
    let request = open(
        &["id", "summary", "reason"],
        json!({
            "id": { "type": "string", "description": "How to accept it: `http#1`, `fs#1`, `secret:NAME`, `env:NAME`, `llm`." },
            "summary": { "type": "string" },
            "reason": { "type": "string", "description": "The package author's reason." },
        }),
    );
    let dirs = json!({
        "type": "object",
        "additionalProperties": { "type": "string" },
        "description": "The host directory for each accepted fs request, by request id (`{\"fs#1\": \"/srv/notes\"}`).",
    });
    let nullable =
        |description: &str| json!({ "type": ["string", "null"], "description": description });
    json!({
        "PackageRequest": closed(&[], json!({
            "source": { "type": "string", "description": "An https:// URL (http:// on loopback) or an oci://registry/repo:tag reference the server fetches. Give this or `component`." },
            "component": { "type": "string", "contentEncoding": "base64", "description": "The component file, base64. Give this or `source`." },
            "manifest": { "type": "string", "description": "A manifest (TOML) sent beside an uploaded component; used only when none is embedded." },
            "fileName": { "type": "string", "description": "The uploaded file's name, for messages and the audit log." },
            "login": closed(&["username", "passwordSecret"], json!({
                "username": { "type": "string" },
                "passwordSecret": { "type": "string", "description": "The host secret (an environment variable of the server) holding the registry password; the password never travels in a request." },
            })),
            "accept": {
                "description": "Install only: which requests become grants — \"all\", \"none\" or a list of request ids.",
                "oneOf": [ { "type": "string", "enum": ["all", "none"] }, array_of(json!({ "type": "string" })) ],
            },
            "dirs": dirs.clone(),
        })),
        "GrantRequest": closed(&["accept"], json!({
            "accept": array_of(json!({ "type": "string" })),
            "dirs": dirs,
        })),
        "PackageRequestEntry": request,
        "PackageInspection": open(
            &["name", "version", "digest", "origin", "signer", "manifest", "requests", "installedVersion", "wouldHold"],
            json!({
                "name": { "type": "string" },
                "version": { "type": "string" },
                "digest": { "type": "string", "description": "sha256 hex of the component." },
                "origin": { "type": "string" },
                "signer": nullable("The trusted key that signed it; null when unsigned."),
                "manifest": { "type": "string" },
                "requests": array_of(reference("PackageRequestEntry")),
                "installedVersion": nullable("The version installed now, if any."),
                "wouldHold": array_of(json!({ "type": "string" })),
            }),
        ),
        "InstalledPlugin": open(
            &["name", "origin", "version", "digest", "source", "signer", "tools", "requested", "accepted", "held", "granted", "liveCapabilities", "loaded"],
            json!({
                "name": { "type": "string" },
                "origin": { "type": "string", "enum": ["installed"] },
                "version": { "type": "string" },
                "digest": { "type": "string" },
                "source": { "type": "string" },
                "signer": nullable("The trusted key that signed it."),
                "tools": array_of(json!({ "type": "string" })),
                "requested": array_of(reference("PackageRequestEntry")),
                "accepted": array_of(json!({ "type": "string" })),
                "held": array_of(reference("PackageRequestEntry")),
                "granted": {},
                "grantsFromPolicyFile": { "type": "boolean" },
                "liveCapabilities": array_of(json!({ "type": "string" })),
                "loaded": { "type": "boolean" },
                "error": { "type": "string", "description": "Why it did not load at start." },
                "installedBy": { "type": "string" },
                "installedAt": { "type": "string" },
                "updatedBy": { "type": "string" },
                "updatedAt": { "type": "string" },
            }),
        ),
        "PluginList": closed(&["plugins"], json!({
            "plugins": array_of(json!({ "type": "object", "required": ["name", "origin", "loaded"] })),
        })),
        "RemovedPlugin": closed(&["removed", "version"], json!({
            "removed": { "type": "string" },
            "version": { "type": "string" },
        })),
    })
}
