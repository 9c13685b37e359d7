//! `POST /api/chat`: one studio request, one SSE stream, as Astonish streams a flow run: `ping`, `status`,
//! then what the run did ([`super::events`]), then where it stands (a question's `input_request`, a held
//! tool call's approval, or `node END`), its `state`, and `done`. The first request of a `sessionId`
//! starts a run of `agentId` (a budgeted run start); each later one answers what the run asked with
//! `message`. Unless `autoApprove`, the run stops before every tool call and asks Yes/No; Yes makes the
//! call (a dry run: Astonish has no live mode), No cancels the run. The hold is stored with the run, so a
//! restart never makes a held call: the session is found again through its run and still asks.
//!
//! `provider` and `model` choose the language model of the run's llm nodes when the run starts: checked
//! by [`drydock_core::Core::choose_llm`] (a configured provider; a model the caller may choose; anonymous
//! callers only the default), a refusal arriving as `error_info` and `error` naming it, then `node END`.
//! The choice is stored with the run and kept by the session for its later runs; the continuations of a
//! run keep the model it started with.
//!
//! Bad requests (not JSON, wrong types, an over-long id or message) are a 400 `{error}` before any
//! stream; problems of the run itself (no such workflow for this caller, an invalid answer) arrive in the
//! stream as `error` messages, since the studio reads every answer of this route as a stream.
//! `POST /api/session/{id}/stop` cancels the session's run if it still waits and forgets the session;
//! `POST /api/session/{id}/keepalive` keeps it from idling out. Another caller's session is a 404.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use drydock_core::runs_service::{RunOptions, RunView, ToolCalls};
use drydock_core::{Core, CoreError};
use drydock_workflow::Effect;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::events::{self, Message, Translator};
use super::sessions::{MAX_SESSION_ID, Session, client_key};
use super::{Studio, StudioCallerOrAnonymous, StudioError};
use crate::api::AppState;
use crate::api::budgets::{self, ExpensiveRoute};

/// The longest `message` taken, in bytes.
const MAX_MESSAGE: usize = 64 * 1024;
/// The longest `agentId` taken.
const MAX_AGENT_ID: usize = 200;
/// Stored events read per query.
const PAGE: usize = 200;

/// Astonish's `ChatRequest` (`cliMode` and `debug` are accepted and ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRequest {
    agent_id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    auto_approve: bool,
}

/// The studio's run request.
pub async fn chat(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    body: Result<Json<ChatRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, StudioError> {
    let Json(request) = body?;
    let agent = request.agent_id.trim().to_owned();
    if agent.is_empty() || agent.len() > MAX_AGENT_ID {
        return Err(StudioError::bad_request(format!(
            "agentId must name a flow (1 to {MAX_AGENT_ID} characters)"
        )));
    }
    if request.message.len() > MAX_MESSAGE {
        return Err(StudioError::bad_request(format!(
            "message is {} bytes; the limit is {MAX_MESSAGE}",
            request.message.len()
        )));
    }
    let session_id = match request.session_id.as_deref().map(str::trim) {
        None | Some("") => format!("session-{}", uuid::Uuid::new_v4().simple()),
        Some(id) if valid_session_id(id) => id.to_owned(),
        Some(_) => {
            return Err(StudioError::bad_request(format!(
                "sessionId must be 1 to {MAX_SESSION_ID} of A-Z a-z 0-9 - _ . :"
            )));
        }
    };
    let existing = state
        .astonish
        .find(&state.core, &studio.owner, &studio.actor, &session_id)
        .await;
    let session = match existing {
        Some(session) => {
            // A session whose run is over starts a new one: a run start like any other, budgeted.
            let run_id = session.lock().await.run_id.clone();
            let over = match run_id {
                None => true,
                Some(id) => state
                    .core
                    .run_view(&studio.actor, &id)
                    .await
                    .map_or(true, |view| view.run.status().is_finished()),
            };
            if over {
                budgets::spend(&state, &studio.spender, ExpensiveRoute::WorkflowRun)?;
            }
            session
        }
        None => {
            budgets::spend(&state, &studio.spender, ExpensiveRoute::WorkflowRun)?;
            let session = Session {
                run_id: None,
                workflow: agent.clone(),
                auto_approve: request.auto_approve,
                after: 0,
                actor: studio.actor.clone(),
                llm: None,
                key: client_key(&studio.owner, &session_id),
            };
            state
                .astonish
                .insert(&state.core, &studio.owner, &session_id, session)
        }
    };
    let (tx, rx) = mpsc::channel::<Message>(64);
    let core = state.core.clone();
    tokio::spawn(async move {
        let mut session = session.lock().await;
        let out = Out(tx);
        out.send(("ping", json!({ "status": "connected" }))).await;
        out.send(("status", json!({ "status": "running" }))).await;
        let wanted = Wanted {
            provider: request.provider,
            model: request.model,
        };
        serve(
            &core,
            &studio,
            &mut session,
            &agent,
            request.message,
            wanted,
            &out,
        )
        .await;
        out.send(events::done()).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let (name, data) = rx.recv().await?;
        Some((Event::default().event(name).data(data.to_string()), rx))
    });
    Ok(Sse::new(stream.map(Ok::<Event, Infallible>))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// The stream's sending end; a client that went away is not an error (the run goes on regardless).
struct Out(mpsc::Sender<Message>);

impl Out {
    async fn send(&self, message: Message) {
        let _ = self.0.send(message).await;
    }
}

/// The language model a request asks for (empty or absent: the session's, or the server's default).
struct Wanted {
    provider: Option<String>,
    model: Option<String>,
}

impl Wanted {
    fn any(&self) -> bool {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        given(&self.provider) || given(&self.model)
    }
}

/// What the request does to the session's run.
enum Step {
    Start,
    Answer {
        question: String,
    },
    Approve {
        call: String,
    },
    Decline,
    /// Nothing to do: say where the run stands (an empty message, or a busy run).
    Show,
}

async fn serve(
    core: &Core,
    studio: &Studio,
    session: &mut Session,
    agent: &str,
    message: String,
    wanted: Wanted,
    out: &Out,
) {
    if session.workflow != agent {
        out.send(events::error(&format!(
            "session belongs to flow `{}`, not `{agent}`; start a new session",
            session.workflow
        )))
        .await;
        return;
    }
    let view = match &session.run_id {
        Some(id) => match core.run_view(&studio.actor, id).await {
            Ok(view) => Some(view),
            Err(err) => {
                out.send(events::error(&public_message(&err))).await;
                return;
            }
        },
        None => None,
    };
    let step = match &view {
        None => Step::Start,
        Some(view) if view.run.status().is_finished() => Step::Start,
        Some(_) if message.trim().is_empty() => Step::Show,
        Some(view) => match (view.run.question(), view.run.pending_effect()) {
            (Some(question), _) => Step::Answer {
                question: question.question_uuid.clone(),
            },
            (None, Some(Effect::Tool(call))) => {
                match message.trim().to_ascii_lowercase().as_str() {
                    "yes" | "y" | "approve" => Step::Approve {
                        call: call.call_id.clone(),
                    },
                    "no" | "n" | "deny" => Step::Decline,
                    _ => {
                        out.send(events::error("answer Yes or No")).await;
                        Step::Show
                    }
                }
            }
            _ => Step::Show,
        },
    };
    if matches!(step, Step::Start) {
        if wanted.any() {
            match core
                .choose_llm(
                    &studio.actor,
                    wanted.provider.as_deref(),
                    wanted.model.as_deref(),
                )
                .await
            {
                Ok(choice) => session.llm = choice,
                Err(err) => {
                    let reason = public_message(&err);
                    out.send(events::error_info(
                        "Model not available",
                        &reason,
                        "Choose a provider and model configured on this Drydock server (Settings), or leave them empty for the server's default.",
                    ))
                    .await;
                    out.send(events::error(&reason)).await;
                    out.send(events::node("END", "end")).await;
                    return;
                }
            }
        }
        session.run_id = Some(uuid::Uuid::new_v4().to_string());
        session.after = 0;
    }
    let Some(run_id) = session.run_id.clone() else {
        return;
    };
    let options = RunOptions {
        tools: if session.auto_approve {
            ToolCalls::Perform
        } else {
            ToolCalls::Hold
        },
        llm: session.llm.clone(),
        client_key: Some(session.key.clone()),
    };
    let (core2, actor, id, workflow) = (
        core.clone(),
        studio.actor.clone(),
        run_id.clone(),
        agent.to_owned(),
    );
    let mut work = tokio::spawn(async move {
        let value = Value::String(message);
        match step {
            Step::Start => {
                core2
                    .start_run_with(&actor, &workflow, json!({}), Some(id), options)
                    .await
            }
            Step::Answer { question } => core2.answer_run(&actor, &id, &question, value).await,
            Step::Approve { call } => core2.perform_held_tool(&actor, &id, &call).await,
            Step::Decline => core2.cancel_run(&actor, &id).await,
            Step::Show => core2.run_view(&actor, &id).await,
        }
    });
    let mut translator = Translator::new(session.auto_approve);
    let mut signal = core.event_signal();
    let outcome: Result<RunView, CoreError> = loop {
        catch_up(
            core,
            studio,
            &run_id,
            &mut session.after,
            &mut translator,
            out,
        )
        .await;
        tokio::select! {
            changed = signal.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            joined = &mut work => {
                break joined.unwrap_or_else(|err| Err(CoreError::Internal(err.to_string())));
            }
        }
    };
    catch_up(
        core,
        studio,
        &run_id,
        &mut session.after,
        &mut translator,
        out,
    )
    .await;
    let view = match outcome {
        Ok(view) => view,
        Err(err) => {
            out.send(events::error(&public_message(&err))).await;
            match core.run_view(&studio.actor, &run_id).await {
                Ok(view) => view,
                // The run never started: nothing more to say, and the next request starts afresh.
                Err(_) => {
                    session.run_id = None;
                    out.send(events::node("END", "end")).await;
                    return;
                }
            }
        }
    };
    for message in events::ending(&view.run) {
        out.send(message).await;
    }
    out.send(events::state(&view.run)).await;
}

/// Sends the run's events stored after `after`.
async fn catch_up(
    core: &Core,
    studio: &Studio,
    run_id: &str,
    after: &mut i64,
    translator: &mut Translator,
    out: &Out,
) {
    loop {
        let rows = match core.run_events(&studio.actor, run_id, *after, PAGE).await {
            Ok(rows) => rows,
            // Not stored yet (the run is starting), or gone: nothing to send now.
            Err(_) => return,
        };
        let Some(last) = rows.last() else { return };
        *after = last.seq;
        for row in rows {
            for message in translator.translate(&row.event) {
                out.send(message).await;
            }
        }
    }
}

/// `POST /api/session/{id}/stop`: `{stopped: true}`.
pub async fn stop(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    Path(id): Path<String>,
) -> Result<Json<Value>, StudioError> {
    if state
        .astonish
        .find(&state.core, &studio.owner, &studio.actor, &id)
        .await
        .is_none()
    {
        return Err(no_session(&id));
    }
    let Some(session) = state.astonish.remove(&studio.owner, &id) else {
        return Err(no_session(&id));
    };
    super::sessions::cancel_in_background(&state.core, session);
    Ok(Json(json!({ "stopped": true })))
}

/// `POST /api/session/{id}/keepalive`: `{ok: true}`.
pub async fn keepalive(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    Path(id): Path<String>,
) -> Result<Json<Value>, StudioError> {
    match state
        .astonish
        .find(&state.core, &studio.owner, &studio.actor, &id)
        .await
    {
        Some(_) => Ok(Json(json!({ "ok": true }))),
        None => Err(no_session(&id)),
    }
}

fn no_session(id: &str) -> StudioError {
    StudioError::not_found(format!(
        "no studio session `{}` of yours (it ended, idled out, or belongs to someone else)",
        id.chars().take(MAX_SESSION_ID).collect::<String>()
    ))
}

fn valid_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SESSION_ID
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// What the person may read of an error: internal faults are logged, not shown.
fn public_message(err: &CoreError) -> String {
    match err {
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "a studio run failed");
            "an internal error stopped the flow; the server log has the details".into()
        }
        other => other.to_string(),
    }
}
