//! Holding a live write that was not rehearsed until an operator decides: the core's [`ReviewDesk`].
//!
//! When the runtime holds a write, the execution becomes `needs_review` (with a `needs_review` event and an
//! `execution.needs_review` audit row naming the write), and the invocation waits, its deadline paused.
//! `POST /api/executions/{id}/review` (operators only, audited as `execution.review`) answers it: *allow
//! once* performs exactly that write; *stop* leaves it unperformed and stops the execution's current step,
//! which fails the node. Nobody deciding within [`REVIEW_WAIT`] counts as *stop*. Held writes live in
//! memory only (they may carry secrets); a restart marks a waiting execution `interrupted`, never performed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use drydock_runtime::{HeldEffect, ReviewDecision, ReviewDesk};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::{AuditEntry, ExecutionStatus};

/// How long a held write waits for an operator before it counts as stopped.
pub const REVIEW_WAIT: Duration = Duration::from_secs(60 * 60);

/// An operator's answer to a held write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewChoice {
    /// Perform this one write.
    AllowOnce,
    /// Leave it unperformed and stop the execution.
    Stop,
}

impl ReviewChoice {
    /// The API's name: `allowOnce` or `stop`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewChoice::AllowOnce => "allowOnce",
            ReviewChoice::Stop => "stop",
        }
    }
}

/// Held writes waiting for a decision, by correlation id (one at a time per execution).
#[derive(Default)]
pub struct Reviews {
    pending: Mutex<HashMap<String, Pending>>,
}

struct Pending {
    held: HeldEffect,
    answer: oneshot::Sender<ReviewDecision>,
}

impl Reviews {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The write execution `correlation_id` holds for review, if any.
    pub fn held(&self, correlation_id: &str) -> Option<HeldEffect> {
        self.lock().get(correlation_id).map(|p| p.held.clone())
    }
}

/// The desk of one live execution: marks it, records the hold, waits for the answer.
pub(crate) struct CoreDesk {
    pub(crate) core: Core,
    pub(crate) session_id: String,
    pub(crate) node_id: String,
    pub(crate) correlation_id: String,
    /// Cancelled on *stop*: the step under way is interrupted.
    pub(crate) cancel: CancellationToken,
    /// Holds of one execution wait their turn (a plugin may send requests concurrently).
    pub(crate) turn: Arc<tokio::sync::Mutex<()>>,
}

impl ReviewDesk for CoreDesk {
    fn hold(
        &self,
        held: HeldEffect,
    ) -> std::pin::Pin<Box<dyn Future<Output = ReviewDecision> + Send>> {
        let (core, sid, node, corr) = (
            self.core.clone(),
            self.session_id.clone(),
            self.node_id.clone(),
            self.correlation_id.clone(),
        );
        let (cancel, turn) = (self.cancel.clone(), self.turn.clone());
        Box::pin(async move {
            let _turn = turn.lock().await;
            let (answer, decided) = oneshot::channel();
            core.shared.reviews.lock().insert(
                corr.clone(),
                Pending {
                    held: held.clone(),
                    answer,
                },
            );
            let effect = serde_json::to_value(&held).unwrap_or_default();
            if let Err(err) = core.mark_needs_review(&sid, &node, &corr, effect).await {
                tracing::error!(correlation_id = corr, error = %err, "a held write could not be recorded");
                core.shared.reviews.lock().remove(&corr);
                cancel.cancel();
                return ReviewDecision::Stop {
                    reason: "the hold could not be recorded".into(),
                };
            }
            let decision = match tokio::time::timeout(REVIEW_WAIT, decided).await {
                Ok(Ok(decision)) => decision,
                Ok(Err(_)) | Err(_) => {
                    core.shared.reviews.lock().remove(&corr);
                    ReviewDecision::Stop {
                        reason: format!(
                            "no operator decided within {} minutes",
                            REVIEW_WAIT.as_secs() / 60
                        ),
                    }
                }
            };
            let (status, words) = match &decision {
                ReviewDecision::AllowOnce { by } => (
                    ExecutionStatus::Running,
                    json!({ "decision": "allowOnce", "by": by }),
                ),
                ReviewDecision::Stop { reason } => {
                    cancel.cancel();
                    (
                        ExecutionStatus::Running,
                        json!({ "decision": "stop", "reason": reason }),
                    )
                }
            };
            let c = corr.clone();
            if let Err(err) = core
                .store(move |s| s.set_execution_waiting(&c, status))
                .await
            {
                tracing::warn!(correlation_id = corr, error = %err, "the execution left needs_review late");
            }
            let mut payload = words;
            payload["nodeId"] = json!(node);
            if let Err(err) = core
                .emit(&sid, "review_decided", Some(&corr), payload)
                .await
            {
                tracing::warn!(correlation_id = corr, error = %err, "the review_decided event was not stored");
            }
            decision
        })
    }
}

impl Core {
    /// Marks an execution `needs_review`, with an event and an audit row naming the held write.
    async fn mark_needs_review(
        &self,
        session_id: &str,
        node_id: &str,
        correlation_id: &str,
        effect: Value,
    ) -> Result<(), CoreError> {
        let (corr, detail) = (correlation_id.to_owned(), effect.clone());
        self.store(move |s| {
            s.set_execution_waiting(&corr, ExecutionStatus::NeedsReview)?;
            s.audit_append(&AuditEntry {
                actor: "system".into(),
                action: "execution.needs_review".into(),
                target: detail["action"].as_str().map(str::to_owned),
                correlation_id: Some(corr.clone()),
                detail: json!({ "reason": "not rehearsed", "effect": detail }),
            })?;
            Ok(())
        })
        .await?;
        self.emit(
            session_id,
            "needs_review",
            Some(correlation_id),
            json!({ "nodeId": node_id, "reason": "not rehearsed", "effect": effect }),
        )
        .await?;
        Ok(())
    }

    /// The write an execution the actor may see holds for review, if any.
    pub async fn held_for_review(
        &self,
        actor: &Actor,
        correlation_id: &str,
    ) -> Result<Option<HeldEffect>, CoreError> {
        self.execution(actor, correlation_id).await?;
        Ok(self.shared.reviews.held(correlation_id))
    }

    /// An operator's decision on the write execution `correlation_id` holds: `403` for non-operators,
    /// `404` for an unknown execution, `409 nothing_to_review` when it holds none. Audited.
    pub async fn review_execution(
        &self,
        actor: &Actor,
        correlation_id: &str,
        choice: ReviewChoice,
    ) -> Result<HeldEffect, CoreError> {
        actor.require_operator("reviewing a held write")?;
        let execution = self.execution(actor, correlation_id).await?;
        let Some(pending) = self.shared.reviews.lock().remove(correlation_id) else {
            return Err(CoreError::Conflict {
                code: "nothing_to_review",
                message: format!(
                    "execution `{correlation_id}` is {} and holds no write for review",
                    execution.status
                ),
            });
        };
        let (name, corr) = (actor.name.clone(), correlation_id.to_owned());
        let effect = serde_json::to_value(&pending.held).unwrap_or_default();
        self.store(move |s| {
            s.audit_append(&AuditEntry {
                actor: name,
                action: "execution.review".into(),
                target: effect["action"].as_str().map(str::to_owned),
                correlation_id: Some(corr),
                detail: json!({ "decision": choice.as_str(), "effect": effect }),
            })
        })
        .await?;
        let decision = match choice {
            ReviewChoice::AllowOnce => ReviewDecision::AllowOnce {
                by: actor.name.clone(),
            },
            ReviewChoice::Stop => ReviewDecision::Stop {
                reason: format!("stopped by operator `{}` at review", actor.name),
            },
        };
        // The waiting invocation may have ended meanwhile (its step was stopped); nothing else to do then.
        let _ = pending.answer.send(decision);
        Ok(pending.held)
    }
}
