//! The component schemas of the Astonish routes, with Astonish's own field names (snake_case where its
//! Go structs write them, camelCase where they do).

use serde_json::{Value, json};

use super::schemas::{array_of, closed, open, reference};

/// The Astonish schemas, by name.
pub(super) fn all() -> Value {
    let text = || json!({ "type": "string" });
    json!({
        "AstonishError": closed(&["error"], json!({ "error": { "type": "string", "description": "What went wrong, for a person." } })),
        "AstonishAgents": open(&["agents"], json!({ "agents": array_of(open(&["id", "name", "description", "source"], json!({
            "id": text(), "name": text(), "description": text(),
            "source": { "type": "string", "enum": ["system", "local"], "description": "`system`: imported from the workflows directory; `local`: stored over the API." },
            "isReadOnly": { "type": "boolean", "description": "Set when the caller may not change it." },
        }))) })),
        "AstonishAgent": open(&["name", "source", "yaml"], json!({
            "name": text(),
            "source": { "type": "string", "enum": ["system", "local"] },
            "yaml": { "type": "string", "description": "The workflow's YAML as stored, then the studio's kept `layout:` block." },
            "config": { "description": "The workflow document as JSON (null if it does not parse)." },
        })),
        "AstonishSaveAgent": open(&["yaml"], json!({ "yaml": { "type": "string", "description": "The flow; a top-level `layout:` block is kept beside it." } })),
        "AstonishSaved": open(&["status", "yaml"], json!({ "status": { "const": "ok" }, "yaml": text() })),
        "AstonishDeleted": open(&["status", "deleted"], json!({ "status": { "const": "ok" }, "deleted": text() })),
        "AstonishChatRequest": open(&["agentId"], json!({
            "agentId": { "type": "string", "description": "The flow to run." },
            "message": { "type": "string", "description": "Empty to start; then the answer to what the run asked." },
            "sessionId": { "type": "string", "description": "The studio's session (made up when absent)." },
            "provider": { "type": "string", "description": "Ignored: llm nodes use the server's model." },
            "model": { "type": "string", "description": "Ignored." },
            "autoApprove": { "type": "boolean", "description": "Tool calls run without asking (fixed per session)." },
        })),
        "AstonishStreamStatus": closed(&["status"], json!({ "status": { "type": "string", "enum": ["connected", "running"] } })),
        "AstonishText": closed(&["text"], json!({ "text": text(), "preserveWhitespace": { "type": "boolean" } })),
        "AstonishNode": closed(&["node", "type", "silent"], json!({ "node": { "type": "string", "description": "The node entered; `END` when the run is over." }, "type": text(), "silent": { "type": "boolean" } })),
        "AstonishInputRequest": closed(&["options"], json!({ "options": { "type": "array", "items": text(), "description": "The answers to pick from; empty for free text." } })),
        "AstonishToolAutoApproved": closed(&["auto_approved", "approval_tool"], json!({ "auto_approved": { "const": true }, "approval_tool": text() })),
        "AstonishErrorInfo": closed(&["title", "reason", "suggestion", "originalError"], json!({ "title": text(), "reason": text(), "suggestion": text(), "originalError": text() })),
        "AstonishState": closed(&["variables"], json!({ "variables": { "type": "object", "description": "The run's variables (nested, so none is taken for another message's key)." } })),
        "AstonishDone": closed(&["done"], json!({ "done": { "const": true } })),
        "AstonishStopped": closed(&["stopped"], json!({ "stopped": { "const": true } })),
        "AstonishKept": closed(&["ok"], json!({ "ok": { "const": true } })),
        "AstonishOk": closed(&["status"], json!({ "status": { "const": "ok" } })),
        "AstonishSettings": closed(&["general", "providers"], json!({
            "general": open(&["default_provider", "default_model"], json!({
                "default_provider": text(), "default_provider_display_name": text(), "default_model": text(),
                "web_search_tool": text(), "web_extract_tool": text(),
            })),
            "providers": array_of(closed(&["name", "type", "display_name", "configured", "fields"], json!({
                "name": text(), "type": text(), "display_name": text(), "configured": { "type": "boolean" },
                "fields": { "type": "object", "additionalProperties": text(), "description": "base_url, model, timeout_ms, api_key (masked, starting `****`)." },
            }))),
        })),
        "AstonishSettingsUpdate": {
            "type": "object",
            "description": "`general` (default_provider, default_model) and/or `providers` ({name: {field: value}}, or {\"__replace_all__\": {\"__array__\": \"<JSON list>\"}}).",
            "properties": { "general": { "type": "object" }, "providers": { "type": "object" } },
        },
        "AstonishSetupStatus": closed(&["setupRequired", "hasDefaultProvider", "hasDefaultModel", "configuredProviders"], json!({
            "setupRequired": { "const": false }, "hasDefaultProvider": { "type": "boolean" }, "hasDefaultModel": { "type": "boolean" },
            "configuredProviders": array_of(text()),
        })),
        "AstonishMcpSettings": open(&[], json!({ "mcpServers": { "type": "object" } })),
        "AstonishEffectiveProviders": closed(&["providers", "default_provider", "default_model"], json!({
            "providers": { "type": "object", "additionalProperties": closed(&["type", "model"], json!({ "type": text(), "model": text() })) },
            "default_provider": text(), "default_model": text(),
        })),
        "AstonishUserDefaultModel": closed(&["defaultProvider", "defaultModel"], json!({ "defaultProvider": text(), "defaultModel": text() })),
        "AstonishUserDefaultModelChange": open(&[], json!({ "defaultProvider": text(), "defaultModel": text() })),
        "AstonishEmptyList": { "type": "array", "maxItems": 0 },
        "AstonishWebCapableTools": closed(&["webSearch", "webExtract"], json!({ "webSearch": { "type": "array", "maxItems": 0 }, "webExtract": { "type": "array", "maxItems": 0 } })),
        "AstonishStandardServers": closed(&["servers"], json!({ "servers": { "type": "array", "maxItems": 0 } })),
        "AstonishVersion": closed(&["version", "drydock"], json!({ "version": { "const": "dev" }, "drydock": text() })),
        "AstonishSandboxStatus": open(&["backend", "platform", "available"], json!({ "backend": text(), "platform": text(), "available": { "type": "boolean" } })),
        "AstonishAssistantRequest": open(&["message"], json!({
            "message": text(), "context": text(), "currentYaml": text(),
            "selectedNodes": { "type": "array" },
            "history": array_of(open(&["role", "content"], json!({ "role": text(), "content": text() }))),
        })),
        "AstonishAssistantAnswer": closed(&["message", "proposedYaml", "action"], json!({
            "message": text(), "proposedYaml": { "type": "string", "description": "A flow Drydock's validator accepts, or empty." },
            "action": { "type": "string", "enum": ["apply", "info"] },
        })),
        "AstonishToolList": open(&["tools"], json!({ "tools": array_of(closed(&["name", "description", "source"], json!({
            "name": text(), "description": text(), "source": { "type": "string", "description": "The plugin." },
        }))) })),
        "ToolListOrStudio": { "anyOf": [reference("ToolList"), reference("AstonishToolList")] },
    })
}
