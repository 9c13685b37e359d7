//! `GET /chat` and `GET /chat/{conversation}`: conversations with the agent (seed 000's face). The
//! messages on one side, the task (the plan the agent made) beside them, with what the chat API offers for
//! it as buttons: approve (as a dry run, refused if the plan changed since the page showed it), ask for a
//! change, cancel. Each is the message the API would carry, sent through the same core call as the
//! visitor, so the page and `POST /api/v1/chat` can never disagree.
//!
//! Without a language model the built-in agent reads intent from plain words; the page says so, and how an
//! operator configures one, rather than leaving a person to wonder why the agent is literal.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use drydock_core::CoreError;
use drydock_core::chat::{ChatRequest, TaskView};
use maud::{Markup, html};
use serde::Deserialize;

use super::overview::work_item_title;
use super::page::{self, ConsoleError, Notice, Section, Shell};
use super::session::{NoFields, Posted, Visitor};
use super::workflows::display;
use crate::api::AppState;

/// How many messages a conversation's page shows (the newest).
const MESSAGES_SHOWN: usize = 200;
/// What the approve button says to the agent (seed 000's own approval).
const APPROVE: &str = "I approve the plan. Please proceed with the execution.";
/// What the cancel button says.
const CANCEL: &str = "Cancel the plan.";
/// Put before a change request, so the built-in agent reads it as a change to the plan (a filler
/// sentence it drops from the requirements).
const MODIFY_LEAD: &str = "I'd like to make a few changes.";

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat", get(conversations).post(start))
        .route("/chat/{id}", get(conversation).post(say))
        .route("/chat/{id}/approve", post(approve))
        .route("/chat/{id}/modify", post(modify))
        .route("/chat/{id}/cancel", post(cancel))
}

/// Where an error goes on a conversation's page, and the text the person had typed.
enum Failed {
    Message(Notice, String),
    Task(Notice, String),
}

/// Whether the agent has a language model, and if not what that means and how to give it one.
fn model_note(state: &AppState, visitor: &Visitor) -> Markup {
    html! {
        @match state.core.llm_in_use() {
            Some((provider, model)) => {
                p.hint { "The agent reads your messages with the language model " code { (model) }
                    " (provider " code { (provider) } ")." }
            }
            None => {
                div.card role="note" {
                    p { strong { "No language model is configured." } " The built-in agent still works: it reads a \
                        new request, requirements, changes (“use … instead”), “approve”, “cancel”, “status” and \
                        questions from plain words, and plans with the template planner." }
                    @if visitor.is_operator() {
                        p.hint { "To let a model read messages and plan, add an OpenAI-compatible provider (OpenAI, \
                            Ollama, vLLM, llama.cpp server) to the settings with " code { "PUT /api/settings" }
                            " — see " code { "docs/chat-api.md" } ", “With a language model”." }
                    } @else {
                        p.hint { "To use a language model, ask an operator to configure one in the settings." }
                    }
                }
            }
        }
    }
}

async fn conversations(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, ConsoleError> {
    render_list(&state, &visitor, None, StatusCode::OK).await
}

async fn render_list(
    state: &AppState,
    visitor: &Visitor,
    failed: Option<(Notice, String)>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut sessions = state.core.sessions(&visitor.actor).await?;
    sessions.retain(|s| s.work_item["type"] == "chat");
    sessions.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    let body = html! {
        (model_note(state, visitor))
        section aria-labelledby="chat-new" {
            h2 #chat-new { "Ask the agent" }
            @if let Some((notice, _)) = &failed { (notice.render()) }
            form.stack method="post" action="/chat" {
                (page::csrf_field(visitor))
                label for="message" { "What do you need?"
                    span.hint { "For example: “I need to deploy a new web application on AWS with a load balancer \
                        and auto-scaling.” The agent makes a plan; nothing runs until you approve it." } }
                textarea #message name="message" rows="4" required {
                    @if let Some((_, typed)) = &failed { (typed) }
                }
                div { button type="submit" { "Start the conversation" } }
            }
        }
        section aria-labelledby="chat-list" {
            h2 #chat-list { "Your conversations" }
            @if sessions.is_empty() { p.muted { "None yet." } } @else {
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Conversation" } th scope="col" { "Updated" } } }
                    tbody { @for s in &sessions { tr {
                        td { a href=(format!("/chat/{}", s.id)) { (work_item_title(&s.work_item)) } }
                        td { (s.updated_at) }
                    } } }
                } }
            }
        }
    };
    let mut response = Shell::new(visitor, Section::Chat, "Chat").render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize)]
struct MessageForm {
    #[serde(default)]
    message: String,
}

async fn start(
    State(state): State<AppState>,
    posted: Posted<MessageForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    let request = ChatRequest {
        user_id: visitor.actor.name.clone(),
        conversation_id: None,
        message: form.message.clone(),
        plan_version: None,
        mode: None,
    };
    match state.core.chat(&visitor.actor, request, None).await {
        Ok(reply) => Ok(Redirect::to(&format!("/chat/{}", reply.conversation_id)).into_response()),
        Err(err) => {
            let (status, message) = crate::api::ApiError::from(err).status_and_message();
            let notice = Notice::error(format!("the agent did not take it: {message}"));
            render_list(&state, &visitor, Some((notice, form.message)), status).await
        }
    }
}

async fn conversation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    render_conversation(&state, &visitor, &id, None, StatusCode::OK).await
}

async fn render_conversation(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    failed: Option<Failed>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    // The stream starts after the newest event stored now; anything later refreshes the page's regions.
    let after = *state.core.event_signal().borrow();
    let messages = state
        .core
        .messages(&visitor.actor, id, MESSAGES_SHOWN)
        .await?;
    // Only conversations (sessions with a client user) are shown here; plans have their own pages.
    state.core.conversation_user(&visitor.actor, id).await?;
    let task = match messages.iter().rev().find_map(|m| m.task_id.clone()) {
        Some(task_id) => Some(state.core.task(&visitor.actor, &task_id).await?),
        None => None,
    };
    let (message_error, task_error) = match &failed {
        Some(Failed::Message(notice, typed)) => (Some((notice, typed.as_str())), None),
        Some(Failed::Task(notice, typed)) => (None, Some((notice, typed.as_str()))),
        None => (None, None),
    };
    let body = html! {
        div data-live-events=(format!("/api/sessions/{id}/events?after={after}")) {
            p #live-status.hint aria-live="polite" {}
        }
        p { a href="/chat" { "All conversations" } }
        (model_note(state, visitor))
        div.columns {
            section aria-labelledby="chat-messages-h" {
                h2 #chat-messages-h { "Messages" }
                ol.messages #chat-messages data-live-region {
                    @for m in &messages {
                        li class=(if m.role == "user" { "user" } else { "assistant" }) {
                            strong { @if m.role == "user" { "You" } @else { "Agent" } }
                            " " span.muted { (m.timestamp) }
                            div.text { (m.content) }
                        }
                    }
                }
                @if let Some((notice, _)) = message_error { (notice.render()) }
                form.stack method="post" action=(format!("/chat/{id}")) {
                    (page::csrf_field(visitor))
                    label for="message" { "Message" span.hint { "A requirement, a change, a question, “status”…" } }
                    textarea #message name="message" rows="3" required {
                        @if let Some((_, typed)) = message_error { (typed) }
                    }
                    div { button type="submit" { "Send" } }
                }
            }
            aside #chat-task data-live-region aria-labelledby="chat-task-h" {
                h2 #chat-task-h { "The task" }
                @if let Some((notice, _)) = task_error { (notice.render()) }
                @match &task {
                    Some(task) => { (task_panel(visitor, id, task, task_error.map(|(_, t)| t).unwrap_or(""))) }
                    None => { p.muted { "No task yet: tell the agent what you need and it makes a plan." } }
                }
            }
        }
    };
    let mut response = Shell::new(visitor, Section::Chat, "Conversation").render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

/// The task: its status in words, what it was asked, its requirements and steps, and the actions the chat
/// API offers at this stage.
fn task_panel(visitor: &Visitor, id: &str, task: &TaskView, typed: &str) -> Markup {
    let status = task.plan.status.as_str();
    let class = match status {
        "pending_approval" | "draft" => "s-pending",
        "approved" | "executing" => "s-running",
        "completed" => "s-completed",
        "failed" => "s-failed",
        _ => "s-cancelled",
    };
    let words = status.replace('_', " ");
    html! {
        p { span class=(format!("badge {class}")) { (words) } " · plan version " (task.plan.version) }
        p { (task.task.description) }
        @if !task.task.requirements.is_empty() {
            h3 { "Requirements" }
            ol { @for r in &task.task.requirements { li { (r) } } }
        }
        h3 { "Steps" }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Tool" } th scope="col" { "What" } th scope="col" { "Status" } } }
            tbody { @for step in task.steps() { tr {
                td { code { (display(&step["tool_name"])) } }
                td { (display(&step["description"])) }
                // A badge: the status in words, kept on one line however narrow the column.
                td { span class=(format!("badge s-{}", display(&step["status"]))) { (display(&step["status"])) } }
            } } }
        } }
        @if status == "pending_approval" || status == "draft" {
            form.stack method="post" action=(format!("/chat/{id}/approve")) {
                (page::csrf_field(visitor))
                input type="hidden" name="version" value=(task.plan.version);
                p.hint { "Approving runs this version as a dry run: writes are simulated and recorded." }
                button type="submit" { "Approve version " (task.plan.version) }
            }
            form.stack method="post" action=(format!("/chat/{id}/modify")) {
                (page::csrf_field(visitor))
                label for="change" { "Ask for a change" span.hint { "For example: “use t3.medium instances instead”." } }
                textarea #change name="change" rows="3" required { (typed) }
                button.secondary type="submit" { "Modify the plan" }
            }
        }
        @if matches!(status, "pending_approval" | "draft" | "approved" | "executing") {
            form.inline method="post" action=(format!("/chat/{id}/cancel")) data-confirm="Cancel this task?" {
                (page::csrf_field(visitor))
                button.danger type="submit" { "Cancel the task" }
            }
        }
        @if matches!(status, "approved" | "executing") {
            p.hint { "Running as a dry run; this panel follows it." }
        }
    }
}

/// Sends `message` into conversation `id` as the visitor (with the conversation's own client user, so
/// a conversation started over the API continues here), then shows the conversation again.
async fn send(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    message: String,
    plan_version: Option<u32>,
    failed: impl FnOnce(Notice) -> Failed,
) -> Result<Response, ConsoleError> {
    let user_id = state.core.conversation_user(&visitor.actor, id).await?;
    let request = ChatRequest {
        user_id,
        conversation_id: Some(id.to_owned()),
        message,
        plan_version,
        mode: None,
    };
    match state.core.chat(&visitor.actor, request, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/chat/{id}")).into_response()),
        Err(err @ CoreError::NotFound(_)) => Err(err.into()),
        Err(err) => {
            let (status, message) = crate::api::ApiError::from(err).status_and_message();
            let notice = Notice::error(format!("not done: {message}"));
            render_conversation(state, visitor, id, Some(failed(notice)), status).await
        }
    }
}

async fn say(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<MessageForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    let typed = form.message.clone();
    send(&state, &visitor, &id, form.message, None, |n| {
        Failed::Message(n, typed)
    })
    .await
}

#[derive(Deserialize)]
struct ApproveForm {
    #[serde(default)]
    version: String,
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<ApproveForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    // The version the page showed: the core refuses the approval if the plan has changed since.
    let Ok(version) = form.version.trim().parse::<u32>() else {
        let notice = Notice::error(
            "the approval did not say which plan version it approves; reload the page and approve again",
        );
        let failed = Some(Failed::Task(notice, String::new()));
        return render_conversation(&state, &visitor, &id, failed, StatusCode::BAD_REQUEST).await;
    };
    send(&state, &visitor, &id, APPROVE.into(), Some(version), |n| {
        Failed::Task(n, String::new())
    })
    .await
}

#[derive(Deserialize)]
struct ModifyForm {
    #[serde(default)]
    change: String,
}

async fn modify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<ModifyForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    if form.change.trim().is_empty() {
        let notice =
            Notice::error("say what should change, for example “use t3.medium instances instead”");
        let failed = Some(Failed::Task(notice, form.change));
        return render_conversation(&state, &visitor, &id, failed, StatusCode::BAD_REQUEST).await;
    }
    let message = format!("{MODIFY_LEAD} {}", form.change.trim());
    let typed = form.change.clone();
    send(&state, &visitor, &id, message, None, |n| {
        Failed::Task(n, typed)
    })
    .await
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<NoFields>,
) -> Result<Response, ConsoleError> {
    let visitor = posted.visitor;
    send(&state, &visitor, &id, CANCEL.into(), None, |n| {
        Failed::Task(n, String::new())
    })
    .await
}
