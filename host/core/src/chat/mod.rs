//! The chat face (seed 000): a conversation is a session, a task is that session's plan. One message in,
//! one answer out: the agent recognises what the message asks (a new request, more requirements, a
//! change, approval, cancel, status, a question), does it through the same core operations as the plan
//! API, and answers in words — presenting the plan, saying what changed, reporting progress and results.
//!
//! Without a language model the agent is the deterministic one of [`intent`] and [`requirements`]: it
//! says plainly what it did not understand. With one configured (see [`crate::settings`]), the model
//! classifies intent and phrases answers to questions; plans still come from a planner plugin and are
//! checked against the tools' schemas before they are stored.
//!
//! Every message is stored, every transition is an event on the session and an audit row.

pub mod agent;
mod answer;
pub mod intent;
mod llm;
pub mod requirements;
mod run;
pub mod store;
mod task_view;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub use intent::{Intent, TaskStage};
pub use run::{Cancellations, RunEnd};
pub use store::{MessageRow, TaskRow};
pub use task_view::TaskView;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::AuditEntry;

/// The longest message the agent reads.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// The longest client `user_id`.
const MAX_USER_ID: usize = 128;
/// How many tasks `GET /api/v1/tasks` lists at most.
pub const MAX_TASKS: usize = 200;

/// `POST /api/v1/chat`: `{user_id, conversation_id?, message}` (seed 000), plus Drydock's optional
/// `plan_version` (approve only if the plan is still this version) and `mode` (`live` for an operator's
/// approval; dry-run otherwise).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The client's name for its end user; conversations are kept apart by it.
    pub user_id: String,
    /// The conversation to continue; absent to start one.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// What the user said.
    pub message: String,
    /// The plan version the user is looking at; an approval of any other version is refused.
    #[serde(default)]
    pub plan_version: Option<u32>,
    /// `dry-run` (default) or `live` for the execution an approval starts.
    #[serde(default)]
    pub mode: Option<String>,
}

/// The answer: `{conversation_id, message: {role, content, timestamp}, task_id?}`.
#[derive(Debug, Clone)]
pub struct ChatReply {
    /// The conversation (session) id.
    pub conversation_id: String,
    /// The assistant's message.
    pub message: MessageRow,
    /// The task the answer is about, if any.
    pub task_id: Option<String>,
    /// What the agent understood the message as.
    pub intent: Intent,
}

impl ChatReply {
    /// The seed-000 JSON shape (plus `intent`, which clients may ignore).
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "conversation_id": self.conversation_id,
            "message": {
                "role": self.message.role,
                "content": self.message.content,
                "timestamp": self.message.timestamp,
            },
            "intent": self.intent.as_str(),
        });
        if let Some(task) = &self.task_id {
            body["task_id"] = json!(task);
        }
        body
    }
}

/// What a streaming chat reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatProgress {
    /// A step of the work: "recognised: modify", "planning", "plan stored".
    Progress(String),
    /// A piece of the answer's text, in order.
    Token(String),
}

/// Where a streaming chat sends its progress (`None` for the plain request/response route).
pub type ProgressSink = Option<mpsc::Sender<ChatProgress>>;

impl Core {
    /// Handles one chat message: finds or starts the conversation, recognises the intent, acts, answers.
    pub async fn chat(
        &self,
        actor: &Actor,
        request: ChatRequest,
        progress: ProgressSink,
    ) -> Result<ChatReply, CoreError> {
        check_request(&request)?;
        let conversation_id = match &request.conversation_id {
            Some(id) => self.conversation_for(actor, id, &request.user_id).await?,
            None => self.start_conversation(actor, &request).await?,
        };
        agent::Agent::new(self, actor, &conversation_id, progress)
            .handle(&request)
            .await
    }

    /// What [`Core::chat`] checks before the agent starts: the request's fields and, when it names a
    /// conversation, that it is the caller's and this `user_id`'s. The streaming route calls it first, so
    /// that a request that cannot start is an HTTP error rather than a stream that ends in one.
    pub async fn check_chat(&self, actor: &Actor, request: &ChatRequest) -> Result<(), CoreError> {
        check_request(request)?;
        if let Some(id) = &request.conversation_id {
            self.conversation_for(actor, id, &request.user_id).await?;
        }
        Ok(())
    }

    /// The conversation `id` if the actor may see it and it belongs to the client user `user_id`.
    async fn conversation_for(
        &self,
        actor: &Actor,
        id: &str,
        user_id: &str,
    ) -> Result<String, CoreError> {
        let not_found = || {
            CoreError::NotFound(format!(
                "no conversation `{id}` for user_id `{user_id}`; omit conversation_id to start one"
            ))
        };
        let session = self.session_for(actor, id).await.map_err(|_| not_found())?;
        let sid = session.id.clone();
        match self.store(move |s| s.conversation_user(&sid)).await? {
            Some(owner) if owner == user_id => Ok(session.id),
            _ => Err(not_found()),
        }
    }

    async fn start_conversation(
        &self,
        actor: &Actor,
        request: &ChatRequest,
    ) -> Result<String, CoreError> {
        let title: String = request
            .message
            .split_whitespace()
            .take(12)
            .collect::<Vec<_>>()
            .join(" ");
        let work_item = json!({
            "id": "CHAT",
            "title": title,
            "description": request.message,
            "type": "chat",
        });
        let (owner, name, user_id) = (
            actor.user_id.clone(),
            actor.name.clone(),
            request.user_id.clone(),
        );
        let session = self
            .store(move |s| {
                let session = s.create_session(&owner, &work_item)?;
                s.insert_conversation(&session.id, &user_id)?;
                s.audit_append(&AuditEntry {
                    actor: name,
                    action: "chat.conversation.create".into(),
                    target: Some(session.id.clone()),
                    correlation_id: None,
                    detail: json!({ "user_id": user_id }),
                })?;
                Ok(session)
            })
            .await?;
        self.emit(
            &session.id,
            "session_created",
            None,
            json!({ "sessionId": session.id, "conversation": true }),
        )
        .await?;
        Ok(session.id)
    }

    /// The tasks of the actor's conversations (optionally of one client `user_id`), newest first.
    pub async fn tasks(
        &self,
        actor: &Actor,
        user_id: Option<String>,
    ) -> Result<Vec<TaskView>, CoreError> {
        let owner = actor.user_id.clone();
        let tasks = self
            .store(move |s| s.tasks_of(&owner, user_id.as_deref(), MAX_TASKS))
            .await?;
        let mut views = Vec::with_capacity(tasks.len());
        for task in tasks {
            views.push(self.task_view(task).await?);
        }
        Ok(views)
    }

    /// One task, if the actor may see its conversation.
    pub async fn task(&self, actor: &Actor, id: &str) -> Result<TaskView, CoreError> {
        let key = id.to_owned();
        let not_found = || CoreError::NotFound(format!("no task `{id}` (or it is not yours)"));
        let task = self
            .store(move |s| s.task(&key))
            .await?
            .ok_or_else(not_found)?;
        self.session_for(actor, &task.session_id)
            .await
            .map_err(|_| not_found())?;
        self.task_view(task).await
    }

    /// The client `user_id` a conversation the actor may see belongs to (what a request continuing it must
    /// name).
    pub async fn conversation_user(
        &self,
        actor: &Actor,
        conversation_id: &str,
    ) -> Result<String, CoreError> {
        let session = self.session_for(actor, conversation_id).await?;
        let sid = session.id.clone();
        self.store(move |s| s.conversation_user(&sid))
            .await?
            .ok_or_else(|| {
                CoreError::NotFound(format!("`{conversation_id}` is not a conversation"))
            })
    }

    /// The messages of a conversation the actor may see, oldest first (at most `limit`, newest kept).
    pub async fn messages(
        &self,
        actor: &Actor,
        conversation_id: &str,
        limit: usize,
    ) -> Result<Vec<MessageRow>, CoreError> {
        let session = self.session_for(actor, conversation_id).await?;
        self.store(move |s| s.recent_messages(&session.id, limit.min(crate::MAX_PAGE)))
            .await
    }
}

fn check_request(request: &ChatRequest) -> Result<(), CoreError> {
    let user_id = request.user_id.trim();
    if user_id.is_empty() || user_id.len() > MAX_USER_ID {
        return Err(CoreError::Invalid(format!(
            "user_id must be a non-empty string of at most {MAX_USER_ID} bytes"
        )));
    }
    if request.message.trim().is_empty() {
        return Err(CoreError::Invalid(
            "message must say something: a request, a change, \"approve\", \"status\" or a question"
                .into(),
        ));
    }
    if request.message.len() > MAX_MESSAGE_BYTES {
        return Err(CoreError::Invalid(format!(
            "message is {} bytes; the limit is {MAX_MESSAGE_BYTES}",
            request.message.len()
        )));
    }
    if let Some(mode) = &request.mode
        && !["dry-run", "live"].contains(&mode.as_str())
    {
        return Err(CoreError::Invalid(format!(
            "mode must be \"dry-run\" or \"live\", not {mode:?}"
        )));
    }
    Ok(())
}
