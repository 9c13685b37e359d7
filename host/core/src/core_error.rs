//! [`CoreError`]: why a domain operation was refused or failed, in terms the server maps to HTTP statuses.

use std::time::Duration;

use crate::store::StoreError;

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input is invalid; the text names the field.
    #[error("{0}")]
    Invalid(String),
    /// A workflow document is invalid: every problem, each with its line, column, path and hint.
    #[error("{}", drydock_workflow::diagnostic::ValidationErrors(.0.clone()))]
    InvalidWorkflow(Vec<drydock_workflow::diagnostic::Diagnostic>),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not visible to the actor.
    #[error("{0}")]
    NotFound(String),
    /// The resource's state does not allow this; `code` is stable for clients.
    #[error("{message}")]
    Conflict {
        /// Stable code, e.g. `dependencies_incomplete`.
        code: &'static str,
        /// What conflicts and what to do.
        message: String,
    },
    /// Too many attempts or requests from this caller; `retry_after` says when the next one may pass.
    #[error("{message}")]
    RateLimited {
        /// What was limited and when to retry.
        message: String,
        /// How long to wait before trying again (at least a second).
        retry_after: Duration,
    },
    /// A service Drydock called (a language-model provider) failed; the text says which and why.
    #[error("{0}")]
    Upstream(String),
    /// A fault on our side (store, task); logged, not shown to clients.
    #[error("{0}")]
    Internal(String),
}

impl CoreError {
    /// A [`CoreError::RateLimited`] whose message is `what` followed by when to retry, in whole seconds
    /// (rounded up, at least one).
    pub fn rate_limited(what: impl std::fmt::Display, retry_after: Duration) -> CoreError {
        let seconds = retry_after_seconds(retry_after);
        CoreError::RateLimited {
            message: format!(
                "{what}; try again in {seconds} second{}",
                if seconds == 1 { "" } else { "s" }
            ),
            retry_after: Duration::from_secs(seconds),
        }
    }
}

/// `wait` in whole seconds, rounded up, at least one: what a `Retry-After` header says.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl From<StoreError> for CoreError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Invalid(m) => CoreError::Invalid(m),
            StoreError::NotFound(m) => CoreError::NotFound(m),
            StoreError::Conflict(m) => CoreError::Conflict {
                code: "conflict",
                message: m,
            },
            other => CoreError::Internal(other.to_string()),
        }
    }
}
