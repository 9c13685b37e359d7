//! `WS /fastagency/ws`: one connection follows one run, as FastAgency's FastAPIAdapter does.
//!
//! The client's first frame names the run: `{name, workflow_uuid, user_id, params}` (what
//! `initiate_workflow` returned). If no run has that id yet, this connection starts one (the id is the
//! run's id); if one exists and the caller may see it, the connection attaches to it — that is how a
//! client that lost its connection resumes a waiting run. The server then sends the run's events as
//! IOMessages ([`super::message`]), from the start (each message's `uuid` is stable, so a resumed client can
//! skip what it already showed), and puts the run's pending question, if any, as `text_input` or
//! `multiple_choice`; the client answers with the raw text of the answer. An invalid answer gets an
//! `error` message and the question again. `keep_alive` messages keep idle proxies from closing the
//! connection; the server closes it once the run has ended and its last message is sent.
//!
//! The run itself is driven by tasks of its own (started here, stored as it goes), so a client that goes
//! away loses nothing: tool calls in flight finish, and the next connection picks up where the run is.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use drydock_core::{Actor, Core, CoreError};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::message::Mapper;

/// How long a new connection may take to send its first frame.
const FIRST_FRAME: Duration = Duration::from_secs(30);
/// How often an idle connection gets a `keep_alive` message.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Stored events read per query.
const PAGE: usize = 200;
/// Close code for "the run ended" (1000, normal closure) and for a refused first frame (1008, policy).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_POLICY: u16 = 1008;

/// The first frame: FastAgency's `InitiateWorkflowModel`.
#[derive(Debug, Deserialize)]
struct Init {
    name: String,
    workflow_uuid: String,
    #[serde(default)]
    #[allow(dead_code)]
    // sent by every FastAgency client; the run's owner comes from the token instead
    user_id: Option<Value>,
    #[serde(default)]
    params: Option<Value>,
}

/// What a task driving the run reports back.
enum Driven {
    /// The run went as far as it could; its events are stored.
    Done,
    /// The step was refused; `reask` when the question is still open (an invalid answer).
    Refused { error: CoreError, reask: bool },
    /// The run could not be started (no such workflow for this caller, invalid params, a taken id).
    NotStarted(CoreError),
}

/// Serves one connection until the run ends or the client goes away.
pub async fn serve(core: Core, actor: Actor, mut socket: WebSocket) {
    let init = match tokio::time::timeout(FIRST_FRAME, next_text(&mut socket)).await {
        Ok(Some(text)) => text,
        Ok(None) => return,
        Err(_) => {
            refuse(&mut socket, "no initiation message within 30 s").await;
            return;
        }
    };
    let init: Init = match serde_json::from_str(&init) {
        Ok(init) => init,
        Err(err) => {
            refuse(
                &mut socket,
                &format!(
                    "the first message must be the object initiate_workflow returned, \
                     {{name, workflow_uuid, user_id, params}}: {err}"
                ),
            )
            .await;
            return;
        }
    };
    let Ok(run_uuid) = uuid::Uuid::parse_str(init.workflow_uuid.trim()) else {
        refuse(
            &mut socket,
            "workflow_uuid must be a UUID (POST /fastagency/initiate_workflow gives one)",
        )
        .await;
        return;
    };
    let run_id = run_uuid.to_string();
    let connection = Connection {
        mapper: Mapper::new(&run_id),
        core,
        actor,
        run_id,
    };
    connection.run(socket, init).await;
}

struct Connection {
    core: Core,
    actor: Actor,
    run_id: String,
    mapper: Mapper,
}

impl Connection {
    async fn run(mut self, mut socket: WebSocket, init: Init) {
        let (driven_tx, mut reports) = mpsc::channel::<Driven>(4);
        // Tasks driving the run that have not reported back; the connection closes only when none are left.
        let mut in_flight = 0usize;
        match self.core.run_view(&self.actor, &self.run_id).await {
            Ok(view) if view.row.workflow != init.name => {
                let message = format!(
                    "run {} is a run of `{}`, not `{}`",
                    self.run_id, view.row.workflow, init.name
                );
                let _ = self.error(&mut socket, "wrong workflow", &message).await;
                close(&mut socket, CLOSE_POLICY, "wrong workflow").await;
                return;
            }
            Ok(_) => tracing::debug!(run = %self.run_id, "fastagency client resumed a run"),
            Err(CoreError::NotFound(_)) => {
                let params = match init.params {
                    None | Some(Value::Null) => Value::Object(Map::new()),
                    Some(params) => params,
                };
                in_flight += 1;
                let (core, actor, id, name, tx) = (
                    self.core.clone(),
                    self.actor.clone(),
                    self.run_id.clone(),
                    init.name.clone(),
                    driven_tx.clone(),
                );
                tokio::spawn(async move {
                    let outcome = match core.start_run(&actor, &name, params, Some(id)).await {
                        Ok(_) => Driven::Done,
                        Err(error) => Driven::NotStarted(error),
                    };
                    let _ = tx.send(outcome).await;
                });
            }
            Err(err) => {
                let _ = self
                    .error(&mut socket, "cannot open the run", &public_message(&err))
                    .await;
                close(&mut socket, CLOSE_POLICY, "cannot open the run").await;
                return;
            }
        }

        let mut signal = self.core.event_signal();
        let mut after = 0;
        // The question last put to the client; an answer goes to it.
        let mut asked: Option<String> = None;
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.tick().await;
        loop {
            // Everything stored so far, then the pending question, then whether the run is over.
            match self.catch_up(&mut socket, &mut after, &mut asked).await {
                Ok(Progress::Going) => {}
                Ok(Progress::Ended) if in_flight == 0 => {
                    close(&mut socket, CLOSE_NORMAL, "workflow completed").await;
                    return;
                }
                Ok(Progress::Ended) => {}
                Err(Gone) => return,
            }
            tokio::select! {
                changed = signal.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                outcome = reports.recv() => match outcome {
                    Some(Driven::Done) | None => in_flight = in_flight.saturating_sub(1),
                    Some(Driven::NotStarted(error)) => {
                        let _ = self.error(&mut socket, "cannot start the workflow", &public_message(&error)).await;
                        close(&mut socket, CLOSE_POLICY, "cannot start the workflow").await;
                        return;
                    }
                    Some(Driven::Refused { error, reask }) => {
                        in_flight = in_flight.saturating_sub(1);
                        if reask {
                            asked = None;
                        }
                        let short = if reask { "invalid answer" } else { "the workflow could not go on" };
                        if self.error(&mut socket, short, &public_message(&error)).await.is_err() {
                            return;
                        }
                    }
                },
                frame = socket.recv() => {
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text.to_string(),
                        Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    };
                    // An answer may come while the task that put the question is still finishing: the
                    // question is stored before it is asked, so it can be answered at once.
                    let Some(question) = asked.clone() else {
                        let long = "the workflow is not waiting for an answer; answer only its text_input or \
                                    multiple_choice messages";
                        if self.error(&mut socket, "unexpected message", long).await.is_err() {
                            return;
                        }
                        continue;
                    };
                    in_flight += 1;
                    let (core, actor, id, tx) =
                        (self.core.clone(), self.actor.clone(), self.run_id.clone(), driven_tx.clone());
                    tokio::spawn(async move {
                        let outcome = core.answer_run(&actor, &id, &question, Value::String(text)).await;
                        let _ = tx.send(answered(outcome.map(|_| ()))).await;
                    });
                }
                _ = keep_alive.tick() => {
                    let ping = self.mapper.note("keep_alive", json!({}));
                    if send(&mut socket, &ping).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Sends the events stored after `after`, then asks the run's pending question if it has not been
    /// asked; says whether the run has ended.
    async fn catch_up(
        &mut self,
        socket: &mut WebSocket,
        after: &mut i64,
        asked: &mut Option<String>,
    ) -> Result<Progress, Gone> {
        // The run is read before its events: every event up to the state read is then among those sent
        // below, so a question is never put before the messages that lead up to it.
        let view = match self.core.run_view(&self.actor, &self.run_id).await {
            Ok(view) => view,
            // Not started yet (the starting task has not stored it): nothing to send.
            Err(CoreError::NotFound(_)) => return Ok(Progress::Going),
            Err(err) => {
                tracing::warn!(run = %self.run_id, error = %err, "cannot read a run");
                return Err(Gone);
            }
        };
        loop {
            let rows = match self
                .core
                .run_events(&self.actor, &self.run_id, *after, PAGE)
                .await
            {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(run = %self.run_id, error = %err, "cannot read a run's events");
                    return Err(Gone);
                }
            };
            let Some(last) = rows.last() else { break };
            *after = last.seq;
            for row in rows {
                // Questions are put below, once, and only while they are open.
                if row.event["type"] == "question" {
                    continue;
                }
                if let Some(out) = self.mapper.map(row.seq, &row.event) {
                    send(socket, &out.message).await?;
                }
            }
        }
        if let Some(question) = view.run.question() {
            if asked.as_deref() != Some(question.question_uuid.as_str()) {
                let mut event = serde_json::to_value(question).unwrap_or_default();
                event["type"] = json!("question");
                let out = self.mapper.question(&event);
                send(socket, &out.message).await?;
                *asked = out.asks;
            }
        } else {
            *asked = None;
        }
        Ok(if view.run.status().is_finished() {
            Progress::Ended
        } else {
            Progress::Going
        })
    }

    async fn error(&self, socket: &mut WebSocket, short: &str, long: &str) -> Result<(), Gone> {
        let message = self
            .mapper
            .note("error", json!({ "short": short, "long": long }));
        send(socket, &message).await
    }
}

/// Where a run stands after catching up.
enum Progress {
    Going,
    Ended,
}

/// The client went away (or the socket failed).
struct Gone;

fn answered(outcome: Result<(), CoreError>) -> Driven {
    match outcome {
        Ok(()) => Driven::Done,
        Err(error) => Driven::Refused {
            reask: matches!(error, CoreError::Invalid(_)),
            error,
        },
    }
}

/// What a client may read of an error: internal faults are logged, not shown.
fn public_message(err: &CoreError) -> String {
    match err {
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "a fastagency run failed");
            "an internal error stopped the workflow; the server log has the details".into()
        }
        other => other.to_string(),
    }
}

async fn send(socket: &mut WebSocket, message: &Value) -> Result<(), Gone> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|_| Gone)
}

/// The next text frame (binary frames as UTF-8); `None` when the client closed.
async fn next_text(socket: &mut WebSocket) -> Option<String> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(text)) => return Some(text.to_string()),
            Ok(Message::Binary(bytes)) => {
                return Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) | Err(_) => return None,
        }
    }
}

/// Sends an `error` message (there is no run to name yet) and closes the connection.
async fn refuse(socket: &mut WebSocket, reason: &str) {
    let message = json!({
        "type": "error",
        "workflow_uuid": "",
        "sender": "Workflow",
        "recipient": "User",
        "auto_reply": false,
        "uuid": uuid::Uuid::new_v4().simple().to_string(),
        "content": { "short": "invalid initiation", "long": reason },
    });
    let _ = send(socket, &message).await;
    close(socket, CLOSE_POLICY, "invalid initiation").await;
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}
