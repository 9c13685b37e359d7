//! A run's stored events as the studio's SSE messages. The studio ignores the `event:` line and tells
//! messages apart by their JSON keys, in this order: `error`, `text`, `node`, `options`, `input_request`,
//! `attempt`+`maxRetries`, `title`+`reason`+`originalError`, `auto_approved`+`approval_tool`, `done`.
//! So every payload below carries exactly its own keys, and the run's variables travel nested
//! (`state {variables}`), never as top-level keys that could be taken for another message.
//!
//! | run event | message |
//! |---|---|
//! | `step_started` | `node {node, type, silent: false}` |
//! | `message` | `text {text, preserveWhitespace: true}` |
//! | `tool_call` | `tool_auto_approved {auto_approved: true, approval_tool}` when the session approves by itself (else the approval question says it) |
//! | `effects` + `tool_result` | `text`: the dry run's result (or error) and what it would have done outside the sandbox |
//! | `step_validated` | `text`: accepted, or rejected with the feedback it runs again with |
//! | `error` | `error_info {title, reason, suggestion, originalError}` |
//! | `rejected`, `cancelled` | `text` saying so |
//! | `workflow_started`, `step_ended`, `completed`, `question` | nothing here: the end of each request says where the run stands ([`ending`]) |

use std::collections::HashMap;

use drydock_workflow::{Effect, QuestionKind, Run};
use serde_json::{Value, json};

/// One SSE message: the `event:` name and the `data:` JSON.
pub type Message = (&'static str, Value);

/// Translates one run's events in order, keeping what a later event needs (a call's effects).
#[derive(Default)]
pub struct Translator {
    effects: HashMap<String, Value>,
    /// Whether tool calls were approved by the session itself (`autoApprove`).
    auto_approve: bool,
}

impl Translator {
    /// A translator for a session that approves tool calls by itself (`auto_approve`) or not.
    pub fn new(auto_approve: bool) -> Self {
        Self {
            auto_approve,
            ..Self::default()
        }
    }

    /// The messages of stored event `event`.
    pub fn translate(&mut self, event: &Value) -> Vec<Message> {
        let field = |camel: &str| event[camel].as_str().unwrap_or_default().to_owned();
        match event["type"].as_str().unwrap_or_default() {
            "step_started" => vec![node(&field("step"), &field("nodeType"))],
            "message" => vec![text(&field("body"))],
            "tool_call" if self.auto_approve => vec![(
                "tool_auto_approved",
                json!({ "auto_approved": true, "approval_tool": field("functionName") }),
            )],
            "effects" => {
                self.effects
                    .insert(field("callId"), event["effects"].clone());
                Vec::new()
            }
            "tool_result" => {
                let effects = self.effects.remove(&field("callId")).unwrap_or(json!([]));
                vec![text(&tool_result(event, &effects))]
            }
            "step_validated" => {
                let step = field("step");
                let said = if event["validated"] == true {
                    format!("Step `{step}` accepted.")
                } else {
                    format!(
                        "Step `{step}` rejected; it runs again with the feedback: {}",
                        field("feedback")
                    )
                };
                vec![text(&said)]
            }
            "error" => vec![(
                "error_info",
                json!({
                    "title": field("short"),
                    "reason": field("long"),
                    "suggestion": "Fix the flow or its inputs and start the run again.",
                    "originalError": field("long"),
                }),
            )],
            "rejected" => vec![text(&format!(
                "Step `{}` was rejected without feedback; the run ended.",
                field("step")
            ))],
            "cancelled" => vec![text("The run was cancelled.")],
            _ => Vec::new(),
        }
    }
}

/// Where a request leaves the run: a question (its prompt and `input_request`), a held tool call (the
/// approval), or the end (`node END`). Always followed by `state` and `done` (added by the caller).
pub fn ending(run: &Run) -> Vec<Message> {
    if let Some(question) = run.question() {
        let mut prompt = question.prompt.clone();
        let options = match question.kind {
            QuestionKind::Choice => question.choices.clone(),
            QuestionKind::Input => {
                if !question.suggestions.is_empty() {
                    prompt.push_str(&format!(
                        "\n\n(for example: {})",
                        question.suggestions.join(", ")
                    ));
                }
                Vec::new()
            }
            QuestionKind::Validation => {
                let output = question.output.as_ref().map(shown).unwrap_or_default();
                prompt = format!(
                    "{prompt}\n\nResult:\n{output}\n\nAnswer **yes** to accept it, **no** to reject it, or \
                     write feedback to run the step again with it."
                );
                Vec::new()
            }
        };
        return vec![text(&prompt), input_request(options)];
    }
    if let Some(Effect::Tool(call)) = run.pending_effect() {
        let approval = format!(
            "Step `{}` calls the tool `{}` with:\n```json\n{}\n```\nApprove it? Drydock runs it as a **dry \
             run** in its sandbox: what it would write or send is simulated and recorded, and nothing \
             leaves the host. (Astonish has no live mode, so this studio never asks for one.)",
            call.step,
            call.function_name,
            serde_json::to_string_pretty(&call.arguments).unwrap_or_default()
        );
        return vec![
            text(&approval),
            input_request(vec!["Yes".into(), "No".into()]),
        ];
    }
    if run.status().is_finished() {
        return vec![node("END", "end")];
    }
    Vec::new()
}

/// The run's variables, nested so no variable name can pass for another message's key.
pub fn state(run: &Run) -> Message {
    ("state", json!({ "variables": run.state() }))
}

/// The last message of every stream.
pub fn done() -> Message {
    ("done", json!({ "done": true }))
}

/// An error for the person (`{error}`).
pub fn error(message: &str) -> Message {
    ("error", json!({ "error": message }))
}

/// A problem explained (`{title, reason, suggestion, originalError}`), as the studio shows a failed run.
pub fn error_info(title: &str, reason: &str, suggestion: &str) -> Message {
    (
        "error_info",
        json!({ "title": title, "reason": reason, "suggestion": suggestion, "originalError": reason }),
    )
}

/// A question: `options` to pick from, or none for free text.
pub fn input_request(options: Vec<String>) -> Message {
    ("input_request", json!({ "options": options }))
}

/// A text of its own (never appended to the previous one).
pub fn text(text: &str) -> Message {
    ("text", json!({ "text": text, "preserveWhitespace": true }))
}

/// A node the run entered.
pub fn node(name: &str, kind: &str) -> Message {
    (
        "node",
        json!({ "node": name, "type": kind, "silent": false }),
    )
}

fn tool_result(event: &Value, effects: &Value) -> String {
    let name = event["functionName"].as_str().unwrap_or_default();
    let mut said = if event["ok"] == true {
        format!(
            "Dry run of `{name}` returned:\n```json\n{}\n```",
            serde_json::to_string_pretty(&event["retval"]).unwrap_or_default()
        )
    } else {
        format!(
            "Dry run of `{name}` failed: {}",
            shown(&event["retval"]["error"])
        )
    };
    if let Some(effects) = effects.as_array().filter(|e| !e.is_empty()) {
        said.push_str("\nOutside the sandbox it would have:");
        for effect in effects {
            said.push_str(&format!(
                "\n- {} `{}`: {}",
                effect["capability"].as_str().unwrap_or_default(),
                effect["action"].as_str().unwrap_or_default(),
                effect["outcome"].as_str().unwrap_or_default()
            ));
        }
    }
    said
}

/// A value for a person: text as is, anything else as pretty JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key the studio would recognise a payload by, in the studio's order of checks.
    fn recognised(data: &Value) -> &'static str {
        let has = |key: &str| !data[key].is_null();
        if has("error") {
            "error"
        } else if has("text") {
            "text"
        } else if has("node") {
            "node"
        } else if has("options") {
            "input_request"
        } else if has("title") && has("reason") && has("originalError") {
            "error_info"
        } else if has("auto_approved") && has("approval_tool") {
            "tool_auto_approved"
        } else if has("done") {
            "done"
        } else {
            "ignored"
        }
    }

    #[test]
    fn every_message_is_recognised_by_its_own_keys() {
        let mut translator = Translator::new(true);
        let events = [
            json!({"type": "step_started", "step": "s", "nodeType": "tool", "iteration": 1}),
            json!({"type": "message", "step": "s", "body": "hi"}),
            json!({"type": "tool_call", "step": "s", "functionName": "echo.echo", "callId": "c", "arguments": {}}),
            json!({"type": "effects", "step": "s", "callId": "c", "effects": [{"capability": "fs", "action": "write a", "outcome": "simulated"}]}),
            json!({"type": "tool_result", "step": "s", "functionName": "echo.echo", "callId": "c", "retval": {"text": "x"}, "ok": true}),
            json!({"type": "error", "short": "boom", "long": "details"}),
        ];
        let kinds: Vec<(&str, &str)> = events
            .iter()
            .flat_map(|e| translator.translate(e))
            .map(|(name, data)| (name, recognised(&data)))
            .collect();
        assert_eq!(
            kinds,
            [
                ("node", "node"),
                ("text", "text"),
                ("tool_auto_approved", "tool_auto_approved"),
                ("text", "text"),
                ("error_info", "error_info"),
            ]
        );
        assert_eq!(recognised(&done().1), "done");
        assert_eq!(recognised(&input_request(vec![]).1), "input_request");
    }

    #[test]
    fn a_state_whose_variables_are_named_like_messages_is_still_ignored() {
        let data = json!({ "variables": { "error": "x", "text": "y", "node": "z", "options": [], "done": true } });
        assert_eq!(recognised(&data), "ignored");
    }

    #[test]
    fn a_tool_result_names_its_effects() {
        let mut translator = Translator::default();
        translator.translate(&json!({"type": "effects", "callId": "c", "effects": [{"capability": "fs", "action": "write NOTES.md", "outcome": "simulated"}]}));
        let out = translator.translate(&json!({"type": "tool_result", "functionName": "workspace.write_file", "callId": "c", "retval": {"bytes": 3}, "ok": true}));
        let said = out[0].1["text"].as_str().unwrap();
        assert!(said.contains("Dry run of `workspace.write_file`"), "{said}");
        assert!(said.contains("write NOTES.md"), "{said}");
        let failed = translator.translate(&json!({"type": "tool_result", "functionName": "x.y", "callId": "d", "retval": {"error": "no"}, "ok": false}));
        assert!(failed[0].1["text"].as_str().unwrap().contains("failed: no"));
    }
}
