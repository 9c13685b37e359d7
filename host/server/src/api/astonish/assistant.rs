//! `POST /api/ai/chat`: the studio's flow assistant. The request (`{message, context, currentYaml,
//! selectedNodes, history}`) goes to the language model configured on the server, with the Drydock flow
//! format and the loaded tools as its instructions; a YAML flow in the answer is checked by Drydock's
//! validator and, when invalid, sent back with the problems for up to [`REPAIRS`] repair rounds. The
//! answer is Astonish's `{message, proposedYaml, action}` (`action`: `apply` with a valid flow, else
//! `info`), or, when the request's `Accept` asks for `text/event-stream`, the same as the stream the
//! studio reads (`status`, `chunk`, `complete`). With no model configured, the message says so.
//!
//! Signed-in callers only (an anonymous caller gets 403: the model is the operator's, and costs); each
//! request spends one of the caller's request budget.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use drydock_core::Core;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{StudioCallerOrAnonymous, StudioError};
use crate::api::AppState;
use crate::api::budgets::{self, ExpensiveRoute};
use crate::api::workflows::MAX_WORKFLOW_BYTES;

/// How often an invalid flow goes back to the model with its problems.
const REPAIRS: usize = 3;
/// Bounds on the request.
const MAX_MESSAGE: usize = 64 * 1024;
const MAX_HISTORY: usize = 50;

/// Astonish's `AIChatRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantRequest {
    message: String,
    #[serde(default)]
    context: String,
    #[serde(default)]
    current_yaml: String,
    #[serde(default)]
    selected_nodes: Vec<Value>,
    #[serde(default)]
    history: Vec<Turn>,
}

/// One earlier turn.
#[derive(Deserialize)]
pub struct Turn {
    role: String,
    content: String,
}

/// The assistant's route.
pub async fn chat(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    headers: HeaderMap,
    body: Result<Json<AssistantRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, StudioError> {
    let Json(request) = body?;
    if studio.actor.is_anonymous() {
        return Err(StudioError::forbidden(
            "the flow assistant uses the server's language model: sign in to the console first",
        ));
    }
    let oversized = request.message.len() > MAX_MESSAGE
        || request.current_yaml.len() > MAX_WORKFLOW_BYTES
        || request.history.len() > MAX_HISTORY
        || request
            .history
            .iter()
            .any(|t| t.content.len() > MAX_MESSAGE);
    if request.message.trim().is_empty() || oversized {
        return Err(StudioError::bad_request(format!(
            "message must be 1 to {MAX_MESSAGE} bytes, currentYaml at most {MAX_WORKFLOW_BYTES}, history at \
             most {MAX_HISTORY} turns of at most {MAX_MESSAGE} bytes"
        )));
    }
    budgets::spend(&state, &studio.spender, ExpensiveRoute::WorkflowRun)?;
    let answer = assist(&state.core, &request).await?;
    let streamed = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !streamed {
        return Ok(Json(answer).into_response());
    }
    let frames = [
        (
            "status",
            json!({ "message": "Asking the language model configured on this Drydock server" }),
        ),
        ("chunk", json!({ "content": answer["message"] })),
        ("complete", answer),
    ]
    .map(|(name, data)| Ok::<_, Infallible>(Event::default().event(name).data(data.to_string())));
    Ok(Sse::new(futures_util::stream::iter(frames)).into_response())
}

/// `{message, proposedYaml, action}`.
async fn assist(core: &Core, request: &AssistantRequest) -> Result<Value, StudioError> {
    let tools: Vec<String> = core
        .runtime()
        .tools()
        .into_iter()
        .map(|t| format!("- {}: {}", t.name, t.description))
        .collect();
    let mut messages = vec![("system".to_owned(), instructions(&tools.join("\n")))];
    for turn in &request.history {
        messages.push((turn.role.clone(), turn.content.clone()));
    }
    let mut asked = request.message.clone();
    if !request.current_yaml.trim().is_empty() {
        asked.push_str(&format!(
            "\n\nThe flow now (task: {}, selected nodes: {}):\n```yaml\n{}\n```",
            if request.context.is_empty() {
                "create_flow"
            } else {
                &request.context
            },
            Value::Array(request.selected_nodes.clone()),
            request.current_yaml
        ));
    }
    messages.push(("user".to_owned(), asked));
    let mut round = 0;
    loop {
        let Some(answer) = core.ask_llm(messages.clone()).await? else {
            return Ok(json!({
                "message": "No language model is configured on this Drydock server, so the flow assistant \
                            cannot answer. An operator configures one in the studio's settings (or with PUT \
                            /api/settings); flows without llm nodes run without one.",
                "proposedYaml": "",
                "action": "info",
            }));
        };
        let Some(yaml) = yaml_block(&answer) else {
            return Ok(json!({ "message": answer, "proposedYaml": "", "action": "info" }));
        };
        let problems: Vec<String> = core
            .validate_workflow(&yaml)
            .iter()
            .map(ToString::to_string)
            .collect();
        if problems.is_empty() {
            return Ok(json!({ "message": answer, "proposedYaml": yaml, "action": "apply" }));
        }
        if round == REPAIRS {
            return Ok(json!({
                "message": format!(
                    "{answer}\n\nThis flow is still not valid for Drydock after {REPAIRS} repairs:\n{}",
                    problems.join("\n")
                ),
                "proposedYaml": "",
                "action": "info",
            }));
        }
        round += 1;
        messages.push(("assistant".to_owned(), answer));
        messages.push((
            "user".to_owned(),
            format!(
                "Drydock's validator refused that flow:\n{}\nAnswer again with the whole corrected flow in one \
                 ```yaml block.",
                problems.join("\n")
            ),
        ));
    }
}

/// The first fenced YAML block of an answer.
fn yaml_block(answer: &str) -> Option<String> {
    let start = answer.find("```yaml").or_else(|| answer.find("```yml"))?;
    let body = &answer[start..];
    let body = &body[body.find('\n')? + 1..];
    let end = body.find("```")?;
    Some(body[..end].to_owned())
}

fn instructions(tools: &str) -> String {
    format!(
        "You help write Drydock workflows: YAML flows in the format of Astonish's agent flows. Top level: \
         name (letters, digits, _ - .), description, optional public (bool), max_iterations, inputs \
         ([{{name, description, type, default}}]), nodes, flow. Node types: input (prompt, options, \
         output_model with ONE variable), llm (system, prompt, output_model, user_message), tool \
         (tools_selection with exactly one tool from the list below, args, output_model, user_message), \
         output (user_message lines; a line that is a variable name shows it), update_state \
         (source_variable or value, action overwrite|append|increment, output_model with one variable). \
         Every node may set description and user_validation_required. Unknown fields are errors. \
         Templates: {{var}}, {{a.b}}. flow: [{{from: START, to: x}}, {{from: x, edges: [{{to: y, condition: \
         \"lambda x: x['v'] == 'yes'\"}}, {{to: END}}]}}]. Tool calls are dry runs in a sandbox.\n\
         Tools available:\n{tools}\n\
         When you propose a flow, give the whole flow in one ```yaml block after a short explanation."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_yaml_block_is_taken_from_the_answer() {
        let answer = "Here:\n```yaml\nname: a\nnodes: []\n```\nDone.";
        assert_eq!(yaml_block(answer).as_deref(), Some("name: a\nnodes: []\n"));
        assert_eq!(yaml_block("no flow here"), None);
    }
}
