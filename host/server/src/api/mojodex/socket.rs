//! Mojodex's Socket.IO, served by `socketioxide` (a maintained Socket.IO server, as a tower layer in front
//! of the API's router): the default namespace on `/socket.io/`, websocket and polling transports.
//!
//! - Connecting needs `auth: {token}` (the token `POST /user` gave); without one, or with an unknown one,
//!   the connection is refused (a `connect_error` with the reason).
//! - `start_session {session_id, version}` joins the room of the caller's execution with that
//!   `session_id` and is acknowledged with `{session_id, joined: true}`; an unknown or foreign
//!   `session_id` gets an `error {error, session_id}` event and the acknowledgement
//!   `{session_id, joined: false, error}`. A client that joins while a step waits for its validation is
//!   sent that step's `workflow_step_execution_ended` again (only to itself), so joining late loses
//!   nothing a person must act on.
//! - The step events ([`super::events`]) go to the room only.
//!
//! Each started execution has one event pump ([`MojodexSocket::follow`]); a server restart stops it, and
//! the next `start_session` for a run still going starts another from where the run is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use drydock_core::mojodex::ExecutionRow;
use drydock_core::{Actor, Core};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;

use super::events;

/// The largest packet a client may send over polling (bytes); Mojodex's client sends small JSON objects.
const MAX_PAYLOAD: u64 = 64 << 10;

/// The Socket.IO server and the event pumps of started executions.
#[derive(Clone)]
pub struct MojodexSocket {
    io: SocketIo,
    layer: SocketIoLayer,
    pumps: Pumps,
}

/// The running pumps, by run id.
type Pumps = Arc<Mutex<HashMap<String, tokio::task::AbortHandle>>>;

/// The connect payload Mojodex's clients send.
#[derive(Deserialize)]
struct ConnectAuth {
    token: String,
}

/// `start_session`'s payload.
#[derive(Deserialize)]
struct StartSession {
    session_id: String,
}

/// Why a connection was refused (the client reads it in `connect_error`).
#[derive(Debug)]
struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl MojodexSocket {
    /// The Socket.IO server of `core`'s Mojodex face.
    pub fn new(core: Core) -> Self {
        let (layer, io) = SocketIo::builder().max_payload(MAX_PAYLOAD).build_layer();
        let pumps: Pumps = Arc::default();
        let auth_core = core.clone();
        let authenticate = move |socket: SocketRef, TryData(auth): TryData<ConnectAuth>| {
            let core = auth_core.clone();
            async move {
                let token =
                    auth.map_err(|_| Refused("Missing token: connect with auth {token}"))?;
                let token = super::raw_token(&token.token).to_owned();
                match core.authenticate(&token).await {
                    Ok(Some(actor)) => {
                        socket.extensions.insert(actor);
                        Ok(())
                    }
                    Ok(None) => Err(Refused("Invalid token: unknown or revoked")),
                    Err(err) => {
                        tracing::warn!(error = %err, "a Socket.IO sign-in could not be checked");
                        Err(Refused("the token could not be checked; try again"))
                    }
                }
            }
        };
        let (session_core, session_pumps) = (core, pumps.clone());
        let on_connect = move |socket: SocketRef| {
            let (core, pumps) = (session_core.clone(), session_pumps.clone());
            async move {
                socket.on(
                    "start_session",
                    move |socket: SocketRef,
                          io: SocketIo,
                          TryData(data): TryData<StartSession>,
                          ack: AckSender| {
                        let (core, pumps) = (core.clone(), pumps.clone());
                        async move { start_session(core, io, pumps, socket, data.ok(), ack).await }
                    },
                );
            }
        };
        io.ns("/", on_connect.with(authenticate));
        Self { io, layer, pumps }
    }

    /// The tower layer serving `/socket.io/` in front of the API.
    pub fn layer(&self) -> SocketIoLayer {
        self.layer.clone()
    }

    /// Starts the event pump of `execution` unless one runs; with `replay` it sends the run's events from
    /// the first, else only those stored from now on.
    pub fn follow(&self, core: Core, actor: Actor, execution: ExecutionRow, replay: bool) {
        follow(&self.io, &self.pumps, core, actor, execution, replay);
    }

    /// Sends `error {error, session_id}` to the room `session_id` (what a drive could not do).
    pub async fn error(&self, session_id: &str, message: &str) {
        let payload = json!({ "error": message, "session_id": session_id });
        if let Err(err) = self
            .io
            .to(session_id.to_owned())
            .emit("error", &payload)
            .await
        {
            tracing::debug!(error = %err, "a Mojodex error event reached no one");
        }
    }

    /// Stops the pump of run `run_id` (its start was refused).
    pub fn stop(&self, run_id: &str) {
        if let Some(pump) = lock(&self.pumps).remove(run_id) {
            pump.abort();
        }
    }
}

fn follow(
    io: &SocketIo,
    pumps: &Pumps,
    core: Core,
    actor: Actor,
    execution: ExecutionRow,
    replay: bool,
) {
    let mut running = lock(pumps);
    if running.contains_key(&execution.run_id) {
        return;
    }
    let run_id = execution.run_id.clone();
    let (io, registry, id) = (io.clone(), pumps.clone(), run_id.clone());
    let task = tokio::spawn(async move {
        events::pump(core, io, actor, execution, replay).await;
        lock(&registry).remove(&id);
    });
    running.insert(run_id, task.abort_handle());
}

fn lock(pumps: &Pumps) -> std::sync::MutexGuard<'_, HashMap<String, tokio::task::AbortHandle>> {
    pumps.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn start_session(
    core: Core,
    io: SocketIo,
    pumps: Pumps,
    socket: SocketRef,
    data: Option<StartSession>,
    ack: AckSender,
) {
    let Some(actor) = socket.extensions.get::<Actor>() else {
        return;
    };
    let Some(StartSession { session_id }) = data else {
        refuse(
            &socket,
            ack,
            Value::Null,
            "start_session needs {session_id, version}",
        );
        return;
    };
    let execution = match core.mojodex_execution_by_session(&actor, &session_id).await {
        Ok(execution) => execution,
        Err(err) => {
            refuse(&socket, ack, json!(session_id), &err.to_string());
            return;
        }
    };
    socket.join(session_id.clone());
    let _ = ack.send(&json!({ "session_id": session_id, "joined": true }));
    if execution.inputs.is_none() {
        return;
    }
    let Ok(view) = core.run_view(&actor, &execution.run_id).await else {
        return;
    };
    if view.run.is_finished() {
        return;
    }
    follow(
        &io,
        &pumps,
        core.clone(),
        actor.clone(),
        execution.clone(),
        false,
    );
    let Ok(workflow) = core.mojodex_describe(&actor, view.run.flow().clone()).await else {
        return;
    };
    if let Ok(Some(step)) = events::pending_validation(&core, &view, &workflow, &session_id).await {
        let _ = socket.emit("workflow_step_execution_ended", &step);
    }
}

/// Tells the client why it did not join: an `error` event (as Mojodex sends) and the acknowledgement.
fn refuse(socket: &SocketRef, ack: AckSender, session_id: Value, message: &str) {
    let _ = socket.emit(
        "error",
        &json!({ "error": message, "session_id": session_id }),
    );
    let _ = ack.send(&json!({ "session_id": session_id, "joined": false, "error": message }));
}
