//! The component schemas of the OpenAPI document: request bodies as the handlers' serde structs accept them
//! (`deny_unknown_fields` becomes `additionalProperties: false`) and responses as the handlers build them.
//!
//! Field names: Drydock's own routes are camelCase throughout (tools, invocation reports, effects, audit
//! rows, artifacts, executions, sessions, plans, policy, settings, workflows and runs). The shapes that
//! other systems define keep their names exactly: seed 000's chat API (`/api/v1`, snake_case), FastAgency's
//! routes and messages, Mojodex's routes (snake_case), MCP's JSON-RPC and RFC 9728's metadata.

use serde_json::{Value, json};

/// Every component schema, by name.
pub(super) fn all() -> Value {
    let mut schemas = serde_json::Map::new();
    for part in [
        common(),
        tools_and_policy(),
        audit(),
        sessions_and_plans(),
        executions(),
        chat_and_settings(),
        super::schemas_workflows::all(),
        super::schemas_plugins::all(),
        super::schemas_rehearsals::all(),
        super::schemas_accounts::all(),
        super::schemas_astonish::all(),
        super::schemas_mojodex::all(),
    ] {
        let Value::Object(part) = part else {
            unreachable!("every part is a json! object literal")
        };
        schemas.extend(part);
    }
    Value::Object(schemas)
}

/// An object with exactly these properties, of which `required` must be present.
pub(super) fn closed(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties, "additionalProperties": false })
}

/// An object with at least these properties (an answer may grow new fields).
pub(super) fn open(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

pub(super) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn array_of(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn nullable_string(description: &str) -> Value {
    json!({ "type": ["string", "null"], "description": description })
}

fn timestamp() -> Value {
    json!({ "type": "string", "format": "date-time", "description": "RFC 3339 UTC." })
}

fn common() -> Value {
    json!({
        "Error": closed(&["error"], json!({
            "error": closed(&["code", "message"], json!({
                "code": {
                    "type": "string",
                    "description": "A stable word: invalid_json, invalid_field, invalid_content_type, \
                        invalid_body, unauthorized, forbidden, not_found, payload_too_large, rate_limited (429, with \
                        `Retry-After`), internal, or a 409 code such as no_plan.",
                },
                "message": { "type": "string", "description": "What was wrong and what to do." },
            })),
        })),
        "Health": open(
            &["status", "version", "uptimeSeconds", "plugins", "masterSwitch"],
            json!({
                "status": { "const": "ok" },
                "version": { "type": "string" },
                "uptimeSeconds": { "type": "integer", "minimum": 0 },
                "plugins": { "type": "integer", "minimum": 0, "description": "Loaded plugins." },
                "masterSwitch": { "type": "boolean", "description": "Whether DRYDOCK_LIVE=1 was set at start." },
            }),
        ),
        "LoginRequest": closed(&["username", "password"], json!({
            "username": { "type": "string" },
            "password": { "type": "string", "format": "password" },
        })),
        "LoginResponse": open(&["token", "name", "role"], json!({
            "token": { "type": "string", "description": "Send as `Authorization: Bearer <token>`." },
            "name": { "type": "string" },
            "role": reference("Role"),
        })),
        "Role": { "type": "string", "enum": ["user", "operator"] },
        "JsonRpcMessage": {
            "type": "object",
            "description": "A JSON-RPC 2.0 message of the Model Context Protocol (request, notification or \
                response), as the MCP specification defines it.",
            "required": ["jsonrpc"],
            "properties": { "jsonrpc": { "const": "2.0" } },
        },
        "ProtectedResourceMetadata": open(&["resource", "bearer_methods_supported"], json!({
            "resource": { "type": "string", "description": "The MCP endpoint." },
            "resource_name": { "type": "string" },
            "bearer_methods_supported": { "type": "array", "items": { "type": "string" } },
            "resource_documentation": { "type": "string" },
        })),
        "Mode": {
            "type": "string",
            "enum": ["dry-run", "live"],
            "default": "dry-run",
            "description": "Requested mode; each write still goes live only if policy, LivePolicy, master switch \
                and (in a plan) approval all allow it.",
        },
        "Capability": { "type": "string", "enum": ["http", "fs", "secrets", "env", "llm"] },
        "OpenApiDocument": {
            "type": "object",
            "required": ["openapi", "info", "paths"],
            "description": "An OpenAPI 3.1 document (this one).",
        },
    })
}

fn tools_and_policy() -> Value {
    json!({
        "Grants": open(&["http", "fs", "secrets", "env", "llm"], json!({
            "http": array_of(open(&["url", "methods"], json!({
                "url": { "type": "string", "description": "The granted URL prefix." },
                "methods": {
                    "type": "array",
                    "items": { "type": "string", "enum": ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"] },
                    "description": "The allowed methods, as in the policy file.",
                },
            }))),
            "fs": array_of(open(&["mount", "access"], json!({
                "path": { "type": "string", "description": "The host directory; only in GET /api/policy." },
                "mount": { "type": "string", "description": "Where the plugin sees it." },
                "access": { "type": "string", "enum": ["ro", "rw"] },
            }))),
            "secrets": array_of(json!({ "type": "string" })),
            "env": array_of(json!({ "type": "string" })),
            "llm": { "type": "boolean" },
        })),
        "Tool": open(&["name", "description", "inputSchema", "plugin", "grants", "liveCapable", "liveCapabilities", "liveNeeds"], json!({
            "name": { "type": "string", "description": "`<plugin>.<tool>`." },
            "description": { "type": "string" },
            "inputSchema": { "description": "The JSON Schema of the tool's arguments." },
            "plugin": { "type": "string" },
            "source": { "type": "string", "description": "The plugin again, under the name Astonish's studio groups tools by." },
            "grants": reference("Grants"),
            "liveCapable": { "type": "boolean", "description": "The plugin's writes can go live on this server today: the LivePolicy lists a capability for it and the master switch is on. Each call still needs an operator asking for live (and, for plans, an approved, unchanged plan)." },
            "liveCapabilities": array_of(reference("Capability")),
            "liveNeeds": {
                "type": "array",
                "items": { "type": "string" },
                "description": "What the server lacks for `liveCapable`, one sentence each; empty when it is true.",
            },
        })),
        "ToolList": open(&["tools"], json!({ "tools": array_of(reference("Tool")) })),
        "InvokeRequest": closed(&[], json!({
            "args": { "type": "object", "default": {}, "description": "Checked against the tool's input schema." },
            "mode": reference("Mode"),
        })),
        "InvocationReport": {
            "type": "object",
            "description": "Exactly one of `result` (the tool's answer) or `error` (why there is none).",
            "required": ["correlationId", "tool", "plugin", "requestedMode", "masterSwitch", "effects",
                "omittedEffects", "artifacts", "logs", "droppedLogLines", "durationMs"],
            "oneOf": [{ "required": ["result"] }, { "required": ["error"] }],
            "properties": {
                "correlationId": { "type": "string" },
                "tool": { "type": "string" },
                "plugin": nullable_string("The plugin that ran it; null for an unknown tool."),
                "requestedMode": reference("Mode"),
                "masterSwitch": { "type": "boolean" },
                "result": { "description": "The tool's answer." },
                "error": open(&["code", "message", "detail"], json!({
                    "code": { "type": "string" },
                    "message": { "type": "string" },
                    "detail": { "type": "object", "description": "The runtime's error, tagged by `kind` (camelCase fields)." },
                })),
                "effects": array_of(reference("Effect")),
                "omittedEffects": {
                    "description": "Effects past the journal's budget, counted instead of kept. Those not yet \
                        performed were refused (`denied`); file changes happened and are in the diff artifact.",
                    "type": "array",
                    "items": open(&["capability", "outcome", "count"], json!({
                        "capability": reference("Capability"),
                        "outcome": { "type": "string", "enum": ["read", "simulated", "live", "denied"] },
                        "count": { "type": "integer", "minimum": 1 },
                    })),
                },
                "artifacts": array_of(reference("InvocationArtifact")),
                "logs": array_of(open(&["plugin", "level", "message"], json!({
                    "plugin": { "type": "string" },
                    "level": { "type": "string" },
                    "message": { "type": "string" },
                }))),
                "droppedLogLines": { "type": "integer", "minimum": 0 },
                "durationMs": { "type": "integer", "minimum": 0 },
            },
        },
        "Effect": open(
            &["seq", "plugin", "tool", "depth", "capability", "action", "outcome", "reason", "detail", "atMs"],
            json!({
                "seq": { "type": "integer", "minimum": 1 },
                "plugin": { "type": "string" },
                "tool": { "type": "string" },
                "depth": { "type": "integer", "minimum": 0, "description": "call-tool nesting depth." },
                "capability": reference("Capability"),
                "action": { "type": "string", "description": "What was attempted, e.g. `POST https://...`." },
                "outcome": { "type": "string", "enum": ["read", "simulated", "live", "denied"] },
                "reason": { "type": "string" },
                "detail": { "type": "object" },
                "atMs": { "type": "integer", "minimum": 0 },
            }),
        ),
        "InvocationArtifact": open(&["id", "name", "mediaType", "producedBy", "content"], json!({
            "id": { "type": "string" },
            "name": { "type": "string" },
            "mediaType": { "type": "string" },
            "producedBy": { "type": "string" },
            "content": {
                "oneOf": [
                    closed(&["text"], json!({ "text": { "type": "string" } })),
                    closed(&["base64"], json!({ "base64": { "type": "string", "contentEncoding": "base64" } })),
                ],
            },
        })),
        "Policy": open(&["plugins", "livePolicy", "live", "masterSwitch"], json!({
            "plugins": { "type": "object", "additionalProperties": reference("Grants") },
            "livePolicy": {
                "type": "object",
                "description": "Per plugin, the capabilities that may go live.",
                "additionalProperties": array_of(reference("Capability")),
            },
            "live": {
                "type": "array",
                "description": "Each plugin with a live list in force and where it comes from. An operator's toggle replaces the policy file's `live` list for that plugin and is kept across restarts; the others have the file's.",
                "items": open(&["plugin", "capabilities", "source"], json!({
                    "plugin": { "type": "string" },
                    "capabilities": array_of(reference("Capability")),
                    "source": { "type": "string", "description": "`file`, or `operator <name> at <time>`." },
                    "setBy": { "type": "string", "description": "The operator, for a toggle." },
                    "setAt": { "type": "string", "format": "date-time", "description": "When, for a toggle." },
                })),
            },
            "masterSwitch": { "type": "boolean" },
        })),
        "LiveToggleRequest": closed(&["capabilities"], json!({
            "capabilities": {
                "type": "array",
                "items": reference("Capability"),
                "description": "The whole new set; empty turns live off for the plugin.",
            },
        })),
        "LiveToggleResponse": open(&["plugin", "capabilities"], json!({
            "plugin": { "type": "string" },
            "capabilities": array_of(reference("Capability")),
        })),
        "PolicySuggestion": open(
            &["policyFile", "traced", "effects", "policy", "diff", "plugins", "changes", "notes", "unusedGrants"],
            json!({
                "policyFile": { "type": "string", "description": "The policy file the suggestion edits." },
                "traced": array_of(json!({ "type": "string", "description": "A correlation id whose effects were read." })),
                "effects": { "type": "integer", "minimum": 0 },
                "policy": { "type": "string", "description": "The whole suggested policy file (TOML)." },
                "diff": { "type": "string", "description": "Unified diff from the current file; empty when nothing narrows." },
                "plugins": array_of(json!({ "type": "string" })),
                "changes": array_of(open(&["plugin", "grant", "change", "note"], json!({
                    "plugin": { "type": "string" },
                    "grant": { "type": "string" },
                    "change": { "type": "string", "enum": ["narrowed", "unused", "readOnly", "kept", "untraced"] },
                    "note": { "type": "string" },
                }))),
                "notes": array_of(json!({ "type": "string" })),
                "unusedGrants": array_of(json!({ "type": "string", "description": "`<plugin>: <grant>` never used by the trace." })),
            }),
        ),
    })
}

fn audit() -> Value {
    json!({
        "AuditRow": open(
            &["seq", "at", "actor", "action", "target", "correlationId", "detail", "prevHash", "hash"],
            json!({
                "seq": { "type": "integer", "minimum": 1 },
                "at": timestamp(),
                "actor": { "type": "string", "description": "A username, `anonymous`, `system` or `plugin:<name>`." },
                "action": { "type": "string", "description": "e.g. `session.create`, `policy.live.set`, `effect`." },
                "target": nullable_string("The object acted on."),
                "correlationId": nullable_string("The execution it belongs to."),
                "detail": {},
                "prevHash": { "type": "string" },
                "hash": { "type": "string" },
            }),
        ),
        "AuditPage": open(&["entries"], json!({ "entries": array_of(reference("AuditRow")) })),
        "AuditVerification": {
            "oneOf": [
                open(&["status", "rows", "head"], json!({
                    "status": { "const": "intact" },
                    "rows": { "type": "integer", "minimum": 0 },
                    "head": { "type": "string", "description": "The last row's hash." },
                })),
                open(&["status", "seq", "reason"], json!({
                    "status": { "const": "broken" },
                    "seq": { "type": "integer", "description": "The first row that does not fit." },
                    "reason": { "type": "string" },
                })),
            ],
        },
    })
}

fn sessions_and_plans() -> Value {
    let summary_node = json!({
        "nodeId": { "type": "string" },
        "title": { "type": "string" },
        "dependsOn": array_of(json!({ "type": "string" })),
        "suggestedBranch": nullable_string("A branch name the planner suggests."),
        "tags": array_of(json!({ "type": "string" })),
    });
    let mut full_node = summary_node.clone();
    full_node["steps"] = array_of(open(
        &["tool"],
        json!({
            "tool": { "type": "string" },
            "args": { "type": "object" },
        }),
    ));
    json!({
        "WorkItem": closed(&["id", "title", "description"], json!({
            "id": { "type": "string", "minLength": 1, "maxLength": 128 },
            "title": { "type": "string", "minLength": 1, "maxLength": 512 },
            "description": { "type": "string" },
            "type": { "type": "string" },
            "labels": array_of(json!({ "type": "string" })),
        })),
        "CreateSessionRequest": closed(&["workItem"], json!({ "workItem": reference("WorkItem") })),
        "Session": open(&["sessionId", "workItem", "currentPlanId", "createdAt", "updatedAt"], json!({
            "sessionId": { "type": "string" },
            "workItem": reference("WorkItem"),
            "currentPlanId": nullable_string("The newest plan version, once one was generated."),
            "createdAt": timestamp(),
            "updatedAt": timestamp(),
        })),
        "SessionList": open(&["sessions"], json!({ "sessions": array_of(reference("Session")) })),
        "GeneratePlanRequest": closed(&[], json!({
            "workItemId": { "type": "string", "description": "Must be the session's work item id if sent." },
            "force": { "type": "boolean", "default": false, "description": "Replace an existing plan." },
        })),
        "PlanSummary": open(&["planId", "nodeCount", "nodes"], json!({
            "planId": { "type": "string" },
            "nodeCount": { "type": "integer", "minimum": 0 },
            "nodes": array_of(open(&["nodeId", "title", "dependsOn", "suggestedBranch", "tags"], summary_node)),
        })),
        "Plan": open(
            &["planId", "nodeCount", "nodes", "status", "version", "contentHash", "approval"],
            json!({
                "planId": { "type": "string" },
                "nodeCount": { "type": "integer", "minimum": 0 },
                "nodes": array_of(open(
                    &["nodeId", "title", "dependsOn", "suggestedBranch", "tags", "steps"],
                    full_node,
                )),
                "status": {
                    "type": "string",
                    "enum": ["draft", "pending_approval", "approved", "executing", "completed", "failed", "cancelled"],
                },
                "version": { "type": "integer", "minimum": 1 },
                "contentHash": { "type": "string" },
                "approval": open(&["approved", "stale", "approvedBy", "approvedAt", "approvedHash"], json!({
                    "approved": { "type": "boolean", "description": "Approved and unchanged since." },
                    "stale": { "type": "boolean", "description": "Approved once, but the content changed since." },
                    "approvedBy": nullable_string("Who approved it."),
                    "approvedAt": nullable_string("When, RFC 3339 UTC."),
                    "approvedHash": nullable_string("The content hash at approval."),
                    "approvedRehearsalHash": nullable_string(
                        "The hash of the rehearsal report the approval bound (GET .../plan/rehearsal): a live \
                         run may perform only the writes it showed."
                    ),
                })),
            }),
        ),
        "ExecuteNodeRequest": closed(&["nodeId"], json!({
            "nodeId": { "type": "string" },
            "mode": reference("Mode"),
        })),
        "ExecutionAccepted": open(&["accepted", "correlationId"], json!({
            "accepted": { "const": true },
            "correlationId": { "type": "string", "description": "GET /api/executions/{id} follows it." },
        })),
        "SessionEvent": open(&["seq", "kind", "correlationId", "payload", "createdAt"], json!({
            "seq": { "type": "integer", "description": "Global, strictly increasing; also the SSE `id`." },
            "kind": {
                "type": "string",
                "enum": super::routes::SESSION_EVENT_KINDS,
                "description": "Also the SSE `event`.",
            },
            "correlationId": nullable_string("The execution that caused it."),
            "payload": {
                "type": "object",
                "description": "Kind-specific data (camelCase): `nodeId`, `step`, `tool`, `outcome`, `reason`; an \
                    Effect for `effect`; an ArtifactMeta for `artifact_created`; a PlanSummary for `plan_updated`.",
            },
            "createdAt": timestamp(),
        })),
    })
}

fn executions() -> Value {
    json!({
        "ArtifactMeta": open(
            &["id", "sessionId", "correlationId", "name", "mediaType", "producedBy", "size", "sha256",
                "createdAt"],
            json!({
                "id": { "type": "string", "description": "GET /api/artifacts/{id} serves the content." },
                "sessionId": nullable_string("The session it belongs to."),
                "correlationId": nullable_string("The execution that produced it."),
                "name": { "type": "string" },
                "mediaType": { "type": "string" },
                "producedBy": { "type": "string", "description": "`host` or the plugin's name." },
                "size": { "type": "integer", "minimum": 0 },
                "sha256": { "type": "string" },
                "createdAt": timestamp(),
            }),
        ),
        "ArtifactList": open(&["artifacts"], json!({ "artifacts": array_of(reference("ArtifactMeta")) })),
        "Execution": open(
            &["correlationId", "sessionId", "planId", "nodeId", "mode", "status", "requestedBy", "startedAt",
                "finishedAt", "steps", "effects", "artifacts"],
            json!({
                "correlationId": { "type": "string" },
                "sessionId": { "type": "string" },
                "planId": nullable_string("The plan version it runs."),
                "nodeId": nullable_string("The plan node it runs."),
                "mode": reference("Mode"),
                "status": {
                    "type": "string",
                    "enum": ["accepted", "running", "needs_review", "completed", "failed", "interrupted"],
                },
                "requestedBy": { "type": "string" },
                "startedAt": timestamp(),
                "finishedAt": nullable_string("Set once the status is terminal."),
                "steps": array_of(open(&["step", "tool", "outcome", "effects", "artifacts"], json!({
                    "step": { "type": "integer", "minimum": 0 },
                    "tool": { "type": "string" },
                    "outcome": open(&["status"], json!({
                        "status": { "type": "string", "enum": ["completed", "failed"] },
                        "result": {},
                        "error": open(&["code", "message"], json!({
                            "code": { "type": "string" },
                            "message": { "type": "string" },
                        })),
                    })),
                    "effects": { "type": "integer", "minimum": 0, "description": "How many." },
                    "artifacts": array_of(json!({ "type": "string", "description": "An artifact id." })),
                }))),
                "effects": array_of(open(&["plugin", "action", "detail", "at"], json!({
                    "plugin": { "type": "string" },
                    "action": nullable_string("What was attempted."),
                    "detail": { "type": "object", "description": "capability, outcome, reason, depth." },
                    "at": timestamp(),
                }))),
                "artifacts": array_of(reference("ArtifactMeta")),
            }),
        ),
    })
}

fn chat_and_settings() -> Value {
    let step = open(
        &[
            "tool_name",
            "description",
            "input",
            "parameters",
            "node_id",
            "status",
        ],
        json!({
            "tool_name": { "type": "string" },
            "description": { "type": "string" },
            "input": { "type": "string", "description": "The arguments the tool receives, as JSON text." },
            "parameters": { "type": "object", "description": "The same arguments as an object." },
            "node_id": { "type": "string" },
            "status": { "type": "string", "description": "pending, running, completed, failed or skipped." },
            "outcome": { "description": "The step's result or error once it ran." },
        }),
    );
    let provider = |required: &[&str]| {
        closed(
            required,
            json!({
                "id": { "type": "string", "pattern": "^[a-z0-9_-]{1,64}$" },
                "baseUrl": { "type": "string", "description": "e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1" },
                "model": { "type": "string" },
                "apiKey": { "type": "string", "description": "Masked when read; sending the masked value back keeps the stored key." },
                "timeoutMs": { "type": "integer", "minimum": 1, "maximum": 600000 },
            }),
        )
    };
    let llm = closed(
        &[],
        json!({
            "providers": array_of(provider(&["id", "baseUrl", "model"])),
            "defaultProvider": nullable_string("The provider the agent and plugins use; null for none."),
            "defaultModel": nullable_string("Overrides the default provider's model."),
        }),
    );
    json!({
        "ChatRequest": closed(&["user_id", "message"], json!({
            "user_id": { "type": "string", "minLength": 1, "maxLength": 128, "description": "The client's end user; conversations are kept apart by it." },
            "conversation_id": { "type": "string", "description": "Absent to start a conversation." },
            "message": { "type": "string", "minLength": 1, "maxLength": 16384 },
            "plan_version": { "type": "integer", "minimum": 1, "description": "Approve only if the plan is still this version." },
            "mode": reference("Mode"),
        })),
        "ChatReply": open(&["conversation_id", "message", "intent"], json!({
            "conversation_id": { "type": "string" },
            "message": open(&["role", "content", "timestamp"], json!({
                "role": { "const": "assistant" },
                "content": { "type": "string" },
                "timestamp": timestamp(),
            })),
            "task_id": { "type": "string" },
            "intent": {
                "type": "string",
                "enum": ["new_request", "requirements", "modify", "approve", "cancel", "status", "question", "unclear"],
            },
        })),
        "ChatProgress": closed(&["message"], json!({
            "message": { "type": "string", "description": "A step of the work, e.g. `planning`." },
        })),
        "ChatToken": closed(&["text"], json!({
            "text": { "type": "string", "description": "The next piece of the answer's text." },
        })),
        "Task": open(&["id", "status", "description", "steps", "created_at", "updated_at"], json!({
            "id": { "type": "string" },
            "status": {
                "type": "string",
                "enum": ["draft", "pending_approval", "approved", "executing", "completed", "failed", "cancelled"],
            },
            "description": { "type": "string" },
            "steps": array_of(step),
            "created_at": timestamp(),
            "updated_at": timestamp(),
            "conversation_id": { "type": "string" },
            "requirements": array_of(json!({ "type": "string" })),
            "plan": { "type": "object", "description": "planId, version, hash, approved, approvedBy, approvedAt." },
            "executions": array_of(json!({ "type": "object" })),
        })),
        "TaskList": array_of(reference("Task")),
        "ConversationMessages": open(&["conversation_id", "messages"], json!({
            "conversation_id": { "type": "string" },
            "messages": array_of(open(&["role", "content", "timestamp"], json!({
                "role": { "type": "string", "enum": ["user", "assistant"] },
                "content": { "type": "string" },
                "timestamp": timestamp(),
                "intent": nullable_string("What the agent understood a user message as."),
                "task_id": nullable_string("The task the message is about."),
            }))),
        })),
        "SettingsUpdate": closed(&[], json!({ "llm": llm })),
        "Settings": open(&["llm", "active"], json!({
            "llm": llm,
            "active": { "description": "{provider, model} in use, or null." },
        })),
        "ProviderModels": open(&["provider", "models"], json!({
            "provider": { "type": "string" },
            "models": array_of(json!({ "type": "string" })),
        })),
    })
}
