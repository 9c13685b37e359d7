//! The studio's sessions: its own `sessionId` (the studio makes it, `session-<ms>`) mapped to the Drydock
//! run it drives. Filed under the caller (user id, or client address when anonymous), so another caller's
//! id is simply not there (404). Kept in memory, and the run remembers its session too (its client key,
//! [`client_key`]): after a restart, the session of a run that still waits is found again through its run,
//! with what the session chose (tool approvals, the language model) as stored with the run.
//! An ended run's session stays until the studio stops it (it does after every run) or it idles out.
//!
//! Bounds: a session idle for [`IDLE`] is dropped (the studio's keepalive comes every 30 s), at most
//! [`MAX_SESSIONS`] are kept (the least recently used goes first); a dropped session's run, if still
//! waiting for a person, is cancelled so it does not wait forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use drydock_core::llm_choice::LlmChoice;
use drydock_core::{Actor, Core};

/// How long a session may go without a request or keepalive.
pub const IDLE: Duration = Duration::from_secs(10 * 60);
/// At most this many sessions, all callers together.
pub const MAX_SESSIONS: usize = 4096;
/// The longest session id taken.
pub const MAX_SESSION_ID: usize = 128;

/// One studio session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The run it drives (`None` when its run could not start).
    pub run_id: Option<String>,
    /// The workflow (Astonish's `agentId`).
    pub workflow: String,
    /// Whether tool calls run without asking (fixed when the session starts, as in the studio).
    pub auto_approve: bool,
    /// The last run event already sent.
    pub after: i64,
    /// Who acts in it.
    pub actor: Actor,
    /// The language model chosen for its runs (`None`: the server's default); a later run of the same
    /// session keeps it unless the request names another.
    pub llm: Option<LlmChoice>,
    /// The name its runs are filed under ([`client_key`]).
    pub key: String,
}

/// What a studio session's runs are filed under: the caller and the studio's session id.
pub fn client_key(owner: &str, id: &str) -> String {
    format!("astonish\n{owner}\n{id}")
}

struct Entry {
    session: Arc<tokio::sync::Mutex<Session>>,
    touched: Instant,
}

/// Every caller's sessions.
#[derive(Clone, Default)]
pub struct Sessions {
    entries: Arc<Mutex<HashMap<(String, String), Entry>>>,
}

impl Sessions {
    /// The session `id` of `owner`, touched.
    pub fn get(&self, owner: &str, id: &str) -> Option<Arc<tokio::sync::Mutex<Session>>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get_mut(&(owner.to_owned(), id.to_owned()))?;
        entry.touched = Instant::now();
        Some(entry.session.clone())
    }

    /// The session `id` of `owner` ([`Sessions::get`]), or, when this process does not know it (it was
    /// restarted), the one whose run, filed under it, still waits: found again with what its run stored.
    pub async fn find(
        &self,
        core: &Core,
        owner: &str,
        actor: &Actor,
        id: &str,
    ) -> Option<Arc<tokio::sync::Mutex<Session>>> {
        if let Some(session) = self.get(owner, id) {
            return Some(session);
        }
        let key = client_key(owner, id);
        let (view, last) = match core.run_for_client(actor, &key).await {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(err) => {
                tracing::warn!(error = %err, "a studio session's run could not be read");
                return None;
            }
        };
        if view.run.status().is_finished() {
            return None;
        }
        let llm = view
            .row
            .llm
            .clone()
            .and_then(|value| serde_json::from_value(value).ok());
        let session = Session {
            run_id: Some(view.row.id.clone()),
            workflow: view.row.workflow.clone(),
            auto_approve: !view.row.hold_tools,
            // The page saw what happened before; it is told where the run stands.
            after: last,
            actor: actor.clone(),
            llm,
            key,
        };
        Some(self.insert(core, owner, id, session))
    }

    /// Files `session` as `owner`'s `id` (replacing one of that id), dropping idle and surplus sessions.
    pub fn insert(
        &self,
        core: &Core,
        owner: &str,
        id: &str,
        session: Session,
    ) -> Arc<tokio::sync::Mutex<Session>> {
        let shared = Arc::new(tokio::sync::Mutex::new(session));
        let dropped = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let mut dropped: Vec<Arc<tokio::sync::Mutex<Session>>> = Vec::new();
            entries.retain(|_, entry| {
                let keep = now.duration_since(entry.touched) < IDLE;
                if !keep {
                    dropped.push(entry.session.clone());
                }
                keep
            });
            while entries.len() >= MAX_SESSIONS {
                let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.touched)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                if let Some(entry) = entries.remove(&oldest) {
                    dropped.push(entry.session);
                }
            }
            entries.insert(
                (owner.to_owned(), id.to_owned()),
                Entry {
                    session: shared.clone(),
                    touched: now,
                },
            );
            dropped
        };
        for session in dropped {
            cancel_in_background(core, session);
        }
        shared
    }

    /// Removes `owner`'s session `id`; whether there was one.
    pub fn remove(&self, owner: &str, id: &str) -> Option<Arc<tokio::sync::Mutex<Session>>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .remove(&(owner.to_owned(), id.to_owned()))
            .map(|e| e.session)
    }
}

/// Cancels a dropped session's run unless it has ended (best effort, logged).
pub fn cancel_in_background(core: &Core, session: Arc<tokio::sync::Mutex<Session>>) {
    let core = core.clone();
    tokio::spawn(async move {
        let session = session.lock().await.clone();
        let Some(run_id) = session.run_id else { return };
        if let Ok(view) = core.run_view(&session.actor, &run_id).await
            && !view.run.status().is_finished()
            && let Err(err) = core.cancel_run(&session.actor, &run_id).await
        {
            tracing::debug!(run = %run_id, error = %err, "could not cancel a studio session's run");
        }
    });
}
