//! The component schemas of the workflow routes: the catalog's summaries, the YAML document, validation
//! results and the diagnostics they carry (as `drydock-workflow` serialises them).

use serde_json::{Value, json};

use super::schemas::{array_of, closed, open, reference};

/// The workflow schemas, by name.
pub(super) fn all() -> Value {
    let diagnostic = open(
        &["code", "line", "column", "path", "message", "hint"],
        json!({
            "code": {
                "type": "string",
                "description": "A stable snake_case word: yaml_syntax, document_too_large, unknown_field, wrong_type, \
                    missing_field, invalid_value, duplicate_node, unknown_node, edge_to_start, edge_from_end, \
                    missing_start, end_unreachable, unreachable_node, dead_end, ambiguous_edges, unknown_tool, \
                    undefined_variable, template_syntax, condition_syntax.",
            },
            "line": { "type": "integer", "minimum": 1, "description": "1-based line of the offending key or value." },
            "column": { "type": "integer", "minimum": 1 },
            "path": { "type": "string", "description": "The field, e.g. `nodes[2].output_model`." },
            "node": { "type": "string", "description": "The node at fault, when there is one." },
            "edge": closed(&["from", "to"], json!({
                "from": { "type": "string" },
                "to": { "type": "string" },
            })),
            "message": { "type": "string" },
            "hint": { "type": "string", "description": "How to fix it." },
        }),
    );
    let input = open(
        &["name", "description", "type"],
        json!({
            "name": { "type": "string", "description": "The state variable it sets." },
            "description": { "type": "string" },
            "type": { "type": "string", "description": "str, int, float, bool, list, dict or any." },
            "default": { "description": "Used when a run is started without it; absent means required." },
        }),
    );
    let step = closed(
        &["name", "type", "userValidationRequired"],
        json!({
            "name": { "type": "string" },
            "type": { "enum": ["input", "llm", "tool", "output", "update_state"] },
            "userValidationRequired": { "type": "boolean" },
        }),
    );
    let node_type = json!({ "enum": ["input", "llm", "tool", "output", "update_state"] });
    let fastagency = fastagency_schemas();
    let mut merged = json!({
        "WorkflowDocument": {
            "type": "object",
            "description": "A workflow document: seed 002's YAML (name, description, nodes, flow; plus inputs, \
                public, max_iterations and per-node user_validation_required, the YAML's own key names). Sent \
                and stored as YAML text of at most 256 KiB; read as that text or, on request, as JSON.",
            "required": ["name", "nodes", "flow"],
            "properties": {
                "name": { "type": "string" },
                "description": { "type": "string" },
                "model": { "type": "string" },
                "public": { "type": "boolean" },
                "max_iterations": { "type": "integer", "minimum": 1 },
                "inputs": array_of(json!({ "type": "object" })),
                "nodes": array_of(json!({ "type": "object", "required": ["name", "type"] })),
                "flow": array_of(json!({ "type": "object" })),
            },
        },
        "WorkflowSummary": closed(&["name", "description", "inputs", "steps", "public"], json!({
            "name": { "type": "string" },
            "description": { "type": "string" },
            "inputs": array_of(input),
            "steps": array_of(step),
            "public": { "type": "boolean", "description": "May be discovered and run without a token." },
        })),
        "WorkflowList": array_of(reference("WorkflowSummary")),
        "WorkflowDiagnostic": diagnostic,
        "WorkflowValidation": closed(&["valid", "errors"], json!({
            "valid": { "type": "boolean" },
            "errors": array_of(reference("WorkflowDiagnostic")),
        })),
        "InvalidWorkflowError": closed(&["error"], json!({
            "error": closed(&["code", "message"], json!({
                "code": { "type": "string", "description": "invalid_workflow, or invalid_body." },
                "message": { "type": "string" },
                "details": array_of(reference("WorkflowDiagnostic")),
            })),
        })),
        "StartRun": {
            "type": "object", "additionalProperties": false,
            "properties": { "inputs": { "type": "object", "description": "The workflow's inputs by name." } },
        },
        "Run": {
            "type": "object",
            "required": ["runId", "workflow", "status", "steps", "state"],
            "properties": {
                "runId": { "type": "string" },
                "workflow": { "type": "string" },
                "status": { "type": "string", "enum": ["running", "waiting_input", "waiting_validation", "completed", "failed", "rejected", "cancelled"] },
                "startedBy": { "type": "string" },
                "question": {
                    "oneOf": [reference("RunQuestion"), { "type": "null" }],
                    "description": "What the run waits on a person for; null when it does not.",
                },
                "currentStep": { "type": ["string", "null"] },
                "steps": array_of(open(&["step", "nodeType", "iteration", "status"], json!({
                    "step": { "type": "string" },
                    "nodeType": node_type.clone(),
                    "iteration": { "type": "integer", "minimum": 1 },
                    "status": { "type": "string" },
                    "input": {},
                    "output": {},
                    "feedback": { "type": "string" },
                    "error": { "type": "string" },
                    "message": { "type": "string", "description": "The node's rendered user_message, once it finished." },
                    "effects": array_of(open(&["capability", "action", "outcome"], json!({
                        "capability": { "type": "string" },
                        "action": { "type": "string" },
                        "outcome": { "enum": ["read", "simulated", "live", "denied"] },
                        "reason": { "type": "string" },
                    }))),
                }))),
                "state": { "type": "object" },
                "result": { "description": "The final state, once completed." },
                "failure": { "description": "{step, edge, short, long} once failed." },
                "createdAt": { "type": "string", "format": "date-time" },
                "updatedAt": { "type": "string", "format": "date-time" },
            },
        },
        "RunQuestion": open(&["questionUuid", "kind", "step", "prompt", "suggestions", "choices"], json!({
            "questionUuid": { "type": "string", "description": "Answer with it (POST .../answers)." },
            "kind": { "enum": ["input", "choice", "validation"] },
            "step": { "type": "string" },
            "prompt": { "type": "string" },
            "suggestions": array_of(json!({ "type": "string" })),
            "choices": array_of(json!({ "type": "string" })),
            "output": { "description": "For `validation`: the output to validate." },
        })),
        "RunAnswer": {
            "type": "object", "additionalProperties": false, "required": ["questionUuid", "value"],
            "properties": {
                "questionUuid": { "type": "string", "description": "The question's id (`question_uuid`, the name of earlier versions, is still accepted)." },
                "value": { "description": "The answer." },
            },
        },
        "StepValidation": {
            "type": "object", "additionalProperties": false, "required": ["validated"],
            "properties": { "validated": { "type": "boolean" }, "feedback": { "type": "string" } },
        },
        "RunEvent": run_event(),
    });
    if let (Some(merged), Value::Object(fastagency)) = (merged.as_object_mut(), fastagency) {
        merged.extend(fastagency);
    }
    merged
}

/// One run event: the engine's events (`drydock_workflow::Event`, camelCase fields) and the host's
/// `effects` note after each tool call, told apart by `type`.
fn run_event() -> Value {
    let string = json!({ "type": "string" });
    let kind = |name: &str, required: &[&str], properties: Value| {
        let mut properties = properties;
        properties["type"] = json!({ "const": name });
        let mut required = required.to_vec();
        required.push("type");
        open(&required, properties)
    };
    let tool_fields = json!({
        "step": string, "functionName": string, "callId": string,
    });
    let mut tool_call = tool_fields.clone();
    tool_call["arguments"] = json!({});
    let mut tool_result = tool_fields;
    tool_result["retval"] = json!({});
    tool_result["ok"] = json!({ "type": "boolean" });
    let question = json!({ "allOf": [
        reference("RunQuestion"),
        { "required": ["type"], "properties": { "type": { "const": "question" } } },
    ] });
    json!({
        "description": "One event of a run; `type` names it and is also the SSE `event`.",
        "oneOf": [
            kind("workflow_started", &["name", "description", "params"], json!({
                "name": string, "description": string, "params": { "type": "object" },
            })),
            kind("step_started", &["step", "nodeType", "iteration"], json!({
                "step": string,
                "nodeType": { "enum": ["input", "llm", "tool", "output", "update_state"] },
                "iteration": { "type": "integer", "minimum": 1 },
            })),
            kind("tool_call", &["step", "functionName", "callId", "arguments"], tool_call),
            kind("effects", &["step", "callId", "effects"], json!({
                "step": string, "callId": string, "effects": array_of(reference("Effect")),
            })),
            kind("tool_result", &["step", "functionName", "callId", "retval", "ok"], tool_result),
            kind("message", &["step", "body"], json!({ "step": string, "body": string })),
            kind("step_ended", &["step", "output"], json!({ "step": string, "output": {} })),
            question,
            kind("step_validated", &["step", "validated"], json!({
                "step": string, "validated": { "type": "boolean" }, "feedback": string,
            })),
            kind("error", &["short", "long"], json!({ "step": string, "short": string, "long": string })),
            kind("completed", &["result"], json!({ "result": {} })),
            kind("rejected", &["step"], json!({ "step": string })),
            kind("cancelled", &[], json!({})),
        ],
    })
}

/// FastAgency's shapes, as its `FastAPIAdapter` and `IOMessage.model_dump()` define them.
fn fastagency_schemas() -> Value {
    json!({
        "FastAgencyWorkflows": array_of(closed(&["name", "description"], json!({
            "name": { "type": "string" },
            "description": { "type": "string" },
        }))),
        "FastAgencyInitiate": {
            "type": "object",
            "required": ["workflow_name"],
            "properties": {
                "workflow_name": { "type": "string" },
                "workflow_uuid": { "description": "Ignored: the answer carries a fresh one (as in FastAgency)." },
                "user_id": { "description": "Ignored: the answer names the caller (a fresh id when anonymous)." },
                "params": { "type": ["object", "null"], "description": "The workflow's inputs." },
            },
        },
        "FastAgencyInitiated": closed(&["user_id", "workflow_uuid", "name", "params"], json!({
            "user_id": { "type": "string", "format": "uuid" },
            "workflow_uuid": { "type": "string", "format": "uuid", "description": "The run's id once the websocket starts it." },
            "name": { "type": "string" },
            "params": { "type": "object" },
        })),
        "FastAgencyMessage": closed(&["type", "workflow_uuid", "sender", "recipient", "auto_reply", "uuid", "content"], json!({
            "type": { "type": "string", "enum": [
                "text_message", "suggested_function_call", "function_call_execution", "text_input",
                "multiple_choice", "system_message", "keep_alive", "workflow_started", "workflow_completed", "error"
            ] },
            "workflow_uuid": { "type": "string", "description": "The run's id as 32 hex digits." },
            "sender": { "type": ["string", "null"] },
            "recipient": { "type": ["string", "null"] },
            "auto_reply": { "type": "boolean" },
            "uuid": { "type": "string", "description": "32 hex digits, the same when a resumed run replays a message." },
            "content": { "type": "object", "description": "The type's fields: text_message{body}, suggested_function_call{function_name, call_id, arguments}, function_call_execution{function_name, call_id, retval}, text_input{prompt, suggestions, password}, multiple_choice{prompt, choices, default, single}, system_message{message}, workflow_started{name, description, params}, workflow_completed{result}, error{short, long}, keep_alive{}." },
        })),
    })
}
