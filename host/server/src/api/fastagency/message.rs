//! A run's stored events as FastAgency IOMessages, the exact envelope FastAgency's `IOMessage.model_dump()`
//! produces: `{type, workflow_uuid, sender, recipient, auto_reply, uuid, content}`, the type-specific fields
//! inside `content`, and `workflow_uuid` / `uuid` as 32 hex digits (Python's `UUID.hex`).
//!
//! | run event | message |
//! |---|---|
//! | `workflow_started` | `workflow_started{name, description, params}` |
//! | `message` (output nodes, `user_message`) | `text_message{body}` |
//! | `question` of an input node | `text_input{prompt, suggestions, password}` |
//! | `question` of a choice | `multiple_choice{prompt, choices, default, single}` |
//! | `question` of a step validation | `text_input` (yes / no / feedback text), the output in the prompt |
//! | `tool_call` | `suggested_function_call{function_name, call_id, arguments}` |
//! | `tool_result` | `function_call_execution{function_name, call_id, retval}`; `retval` holds the result (or error), the mode (always `dry-run` here) and the effects with their outcomes |
//! | `error` | `error{short, long}` |
//! | `completed` / `rejected` / `cancelled` | `workflow_completed{result}` |
//! | anything else (`step_started`, `step_ended`, `step_validated`) | `system_message{message: <the event>}` |
//!
//! Each message's `uuid` is derived from the run and the event's sequence number (a question's from its
//! `questionUuid`), so a client that reconnects and sees a message again can tell it is the same one.

use std::collections::HashMap;

use serde_json::{Value, json};
use uuid::Uuid;

/// Who the messages are from and to, as FastAgency's own workflows name them.
const SENDER: &str = "Workflow";
const RECIPIENT: &str = "User";

/// One message to send; `asks` is the question it puts (for answers sent back as raw text).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The IOMessage.
    pub message: Value,
    /// The `questionUuid` of the question it asks, for `text_input` / `multiple_choice`.
    pub asks: Option<String>,
}

/// Maps the events of one run, in order. Keeps what a later event needs from an earlier one (the
/// effects of a tool call, reported between the call and its result).
pub struct Mapper {
    run: Uuid,
    hex: String,
    effects: HashMap<String, Value>,
}

impl Mapper {
    /// A mapper for the run with id `run_id` (a UUID; anything else is hashed into one).
    pub fn new(run_id: &str) -> Self {
        let run = Uuid::parse_str(run_id)
            .unwrap_or_else(|_| Uuid::new_v5(&Uuid::NAMESPACE_OID, run_id.as_bytes()));
        Self {
            run,
            hex: run.simple().to_string(),
            effects: HashMap::new(),
        }
    }

    /// The message for stored event `seq`, if the event has one.
    pub fn map(&mut self, seq: i64, event: &Value) -> Option<Outgoing> {
        let kind = event["type"].as_str().unwrap_or_default();
        let uuid = Uuid::new_v5(&self.run, &seq.to_be_bytes())
            .simple()
            .to_string();
        let hex = self.hex.clone();
        let say = |kind: &str, content: Value| Outgoing {
            message: envelope(&hex, kind, &uuid, content),
            asks: None,
        };
        Some(match kind {
            "workflow_started" => say(
                "workflow_started",
                json!({
                    "name": event["name"],
                    "description": event["description"],
                    "params": event["params"],
                }),
            ),
            "message" => say("text_message", json!({ "body": event["body"] })),
            "question" => return Some(self.question(event)),
            "tool_call" => say(
                "suggested_function_call",
                json!({
                    "function_name": field(event, "functionName", "function_name"),
                    "call_id": field(event, "callId", "call_id"),
                    "arguments": event["arguments"],
                }),
            ),
            "effects" => {
                let call_id = field(event, "callId", "call_id")
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                self.effects.insert(call_id, event["effects"].clone());
                return None;
            }
            "tool_result" => {
                let call_id = field(event, "callId", "call_id")
                    .as_str()
                    .unwrap_or_default();
                let effects = self.effects.remove(call_id).unwrap_or_else(|| json!([]));
                let ok = event["ok"].as_bool().unwrap_or(false);
                let mut retval = json!({ "ok": ok, "mode": "dry-run", "effects": effects });
                retval[if ok { "result" } else { "error" }] = if ok {
                    event["retval"].clone()
                } else {
                    event["retval"]["error"].clone()
                };
                say(
                    "function_call_execution",
                    json!({
                        "function_name": field(event, "functionName", "function_name"),
                        "call_id": field(event, "callId", "call_id"),
                        "retval": retval,
                    }),
                )
            }
            "error" => say(
                "error",
                json!({ "short": event["short"], "long": event["long"] }),
            ),
            "completed" => say(
                "workflow_completed",
                json!({ "result": event["result"].to_string() }),
            ),
            "rejected" => say(
                "workflow_completed",
                json!({ "result": format!("rejected: step `{}` was not accepted", event["step"].as_str().unwrap_or_default()) }),
            ),
            "cancelled" => say("workflow_completed", json!({ "result": "cancelled" })),
            _ => say("system_message", json!({ "message": event })),
        })
    }

    /// The asking message of a `question` event (also used to ask again after an invalid answer).
    pub fn question(&self, event: &Value) -> Outgoing {
        let question_uuid = field(event, "questionUuid", "question_uuid")
            .as_str()
            .unwrap_or_default();
        let uuid = Uuid::parse_str(question_uuid)
            .map(|u| u.simple().to_string())
            .unwrap_or_else(|_| question_uuid.to_owned());
        let prompt = event["prompt"].as_str().unwrap_or_default();
        let (kind, content) = match event["kind"].as_str() {
            Some("choice") => (
                "multiple_choice",
                json!({
                    "prompt": prompt,
                    "choices": event["choices"],
                    "default": null,
                    "single": true,
                }),
            ),
            Some("validation") => (
                "text_input",
                json!({
                    "prompt": format!("{prompt}\n\nResult:\n{}", display(&event["output"])),
                    "suggestions": event["suggestions"],
                    "password": false,
                }),
            ),
            _ => (
                "text_input",
                json!({
                    "prompt": prompt,
                    "suggestions": event["suggestions"],
                    "password": false,
                }),
            ),
        };
        Outgoing {
            message: self.envelope(kind, &uuid, content),
            asks: Some(question_uuid.to_owned()),
        }
    }

    /// A message that is not from a stored event (errors about an answer, keep-alives).
    pub fn note(&self, kind: &str, content: Value) -> Value {
        self.envelope(kind, &Uuid::new_v4().simple().to_string(), content)
    }

    fn envelope(&self, kind: &str, uuid: &str, content: Value) -> Value {
        envelope(&self.hex, kind, uuid, content)
    }
}

/// FastAgency's envelope around `content`.
fn envelope(workflow_hex: &str, kind: &str, uuid: &str, content: Value) -> Value {
    json!({
        "type": kind,
        "workflow_uuid": workflow_hex,
        "sender": SENDER,
        "recipient": RECIPIENT,
        "auto_reply": false,
        "uuid": uuid,
        "content": content,
    })
}

/// A step's output for a person: text as is, anything else as pretty JSON.
fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// A field of a stored event by its camelCase name, or by the snake_case name that events stored by
/// earlier versions carry.
fn field<'a>(event: &'a Value, camel: &str, snake: &str) -> &'a Value {
    match &event[camel] {
        Value::Null => &event[snake],
        found => found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "0b7e5d0e-4f43-4a52-9a59-2f9b4f7d1c11";

    #[test]
    fn every_message_has_the_fastagency_envelope_with_hex_ids() {
        let mut mapper = Mapper::new(RUN);
        let out = mapper
            .map(1, &json!({"type": "message", "step": "s", "body": "hi"}))
            .unwrap();
        let keys: Vec<&str> = out
            .message
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "auto_reply",
                "content",
                "recipient",
                "sender",
                "type",
                "uuid",
                "workflow_uuid"
            ]
        );
        assert_eq!(out.message["type"], "text_message");
        assert_eq!(out.message["workflow_uuid"], RUN.replace('-', ""));
        assert_eq!(out.message["content"], json!({"body": "hi"}));
        assert_eq!(out.message["uuid"].as_str().unwrap().len(), 32);
        assert_eq!(out.asks, None);
    }

    #[test]
    fn the_same_event_maps_to_the_same_uuid_and_different_events_to_different_ones() {
        let event = json!({"type": "message", "step": "s", "body": "hi"});
        let first = Mapper::new(RUN).map(7, &event).unwrap();
        let again = Mapper::new(RUN).map(7, &event).unwrap();
        let next = Mapper::new(RUN).map(8, &event).unwrap();
        assert_eq!(first.message["uuid"], again.message["uuid"]);
        assert_ne!(first.message["uuid"], next.message["uuid"]);
    }

    #[test]
    fn questions_ask_with_text_input_or_multiple_choice() {
        let mapper = Mapper::new(RUN);
        let input = mapper.question(&json!({
            "type": "question", "questionUuid": "5f0c7e8a-1b2c-4d3e-8f90-a1b2c3d4e5f6", "kind": "input",
            "step": "ask", "prompt": "Your name?", "suggestions": ["Ada"], "choices": []
        }));
        assert_eq!(input.message["type"], "text_input");
        assert_eq!(
            input.message["content"],
            json!({"prompt": "Your name?", "suggestions": ["Ada"], "password": false})
        );
        assert_eq!(input.message["uuid"], "5f0c7e8a1b2c4d3e8f90a1b2c3d4e5f6");
        assert_eq!(
            input.asks.as_deref(),
            Some("5f0c7e8a-1b2c-4d3e-8f90-a1b2c3d4e5f6")
        );
        let choice = mapper.question(&json!({
            "type": "question", "questionUuid": "q2", "kind": "choice", "step": "pick",
            "prompt": "Which?", "suggestions": [], "choices": ["a", "b"]
        }));
        assert_eq!(choice.message["type"], "multiple_choice");
        assert_eq!(
            choice.message["content"],
            json!({"prompt": "Which?", "choices": ["a", "b"], "default": null, "single": true})
        );
        let validation = mapper.question(&json!({
            "type": "question", "questionUuid": "q3", "kind": "validation", "step": "draft",
            "prompt": "Validate the result of step `draft`", "suggestions": ["yes", "no"],
            "choices": ["yes", "no"], "output": "the draft"
        }));
        assert_eq!(validation.message["type"], "text_input");
        let prompt = validation.message["content"]["prompt"].as_str().unwrap();
        assert!(prompt.contains("the draft"), "{prompt}");
    }

    #[test]
    fn a_tool_result_carries_the_effects_reported_before_it() {
        let mut mapper = Mapper::new(RUN);
        let call = mapper
            .map(
                1,
                &json!({"type": "tool_call", "step": "t", "functionName": "workspace.write_file",
                        "callId": "c1", "arguments": {"path": "a"}}),
            )
            .unwrap();
        assert_eq!(call.message["type"], "suggested_function_call");
        assert_eq!(
            call.message["content"],
            json!({"function_name": "workspace.write_file", "call_id": "c1", "arguments": {"path": "a"}})
        );
        let effects = json!([{"capability": "fs", "action": "write a", "outcome": "simulated"}]);
        assert_eq!(
            mapper.map(
                2,
                &json!({"type": "effects", "step": "t", "callId": "c1", "effects": effects})
            ),
            None
        );
        let result = mapper
            .map(
                3,
                &json!({"type": "tool_result", "step": "t", "functionName": "workspace.write_file",
                        "callId": "c1", "retval": {"written": 1}, "ok": true}),
            )
            .unwrap();
        assert_eq!(result.message["type"], "function_call_execution");
        assert_eq!(
            result.message["content"]["retval"],
            json!({"ok": true, "mode": "dry-run", "result": {"written": 1}, "effects": effects})
        );
        let failed = mapper
            .map(
                4,
                &json!({"type": "tool_result", "step": "t", "functionName": "x.y", "callId": "c2",
                        "retval": {"error": "boom"}, "ok": false}),
            )
            .unwrap();
        assert_eq!(
            failed.message["content"]["retval"],
            json!({"ok": false, "mode": "dry-run", "error": "boom", "effects": []})
        );
    }

    #[test]
    fn endings_are_workflow_completed_and_step_events_are_system_messages() {
        let mut mapper = Mapper::new(RUN);
        let done = mapper
            .map(1, &json!({"type": "completed", "result": {"n": 1}}))
            .unwrap();
        assert_eq!(done.message["type"], "workflow_completed");
        assert_eq!(done.message["content"], json!({"result": "{\"n\":1}"}));
        let rejected = mapper
            .map(2, &json!({"type": "rejected", "step": "draft"}))
            .unwrap();
        assert_eq!(rejected.message["type"], "workflow_completed");
        let error = mapper
            .map(
                3,
                &json!({"type": "error", "short": "too many loops", "long": "details"}),
            )
            .unwrap();
        assert_eq!(
            error.message["content"],
            json!({"short": "too many loops", "long": "details"})
        );
        let step = json!({"type": "step_started", "step": "s", "nodeType": "tool", "iteration": 1});
        let started = mapper.map(4, &step).unwrap();
        assert_eq!(started.message["type"], "system_message");
        assert_eq!(started.message["content"], json!({ "message": step }));
    }

    #[test]
    fn events_stored_with_snake_case_fields_by_earlier_versions_still_map() {
        let mut mapper = Mapper::new(RUN);
        let call = mapper
            .map(
                1,
                &json!({"type": "tool_call", "step": "t", "function_name": "echo.echo",
                        "call_id": "c9", "arguments": {}}),
            )
            .unwrap();
        assert_eq!(call.message["content"]["function_name"], "echo.echo");
        assert_eq!(call.message["content"]["call_id"], "c9");
        let asked = mapper.question(&json!({"type": "question", "question_uuid": "q-old",
            "kind": "input", "step": "s", "prompt": "?", "suggestions": [], "choices": []}));
        assert_eq!(asked.asks.as_deref(), Some("q-old"));
    }
}
