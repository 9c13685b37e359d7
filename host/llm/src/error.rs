//! Everything a provider call can fail with, worded for the person who has to fix it: which URL, after how
//! long, what the provider said. No variant ever holds the API key: text that came from the provider is
//! passed through [`crate::ApiKey`]'s redaction before it is put in an error.

use std::time::Duration;

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The provider's configuration cannot work (bad base URL, empty model, unusable key).
    #[error("invalid LLM provider settings: {reason}")]
    InvalidConfig {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The request cannot be sent as it is (no messages, an empty message).
    #[error("invalid chat request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// No connection could be made: refused, unknown host, TLS failure.
    #[error("the LLM provider at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL that was tried.
        url: String,
        /// What the network stack said.
        reason: String,
    },
    /// The connection broke after it was made.
    #[error("the connection to the LLM provider at {url} failed: {reason}")]
    Connection {
        /// The URL of the request.
        url: String,
        /// What broke.
        reason: String,
    },
    /// A time bound ran out.
    #[error("the LLM provider at {url} did not {phase} within {after:?}")]
    Timeout {
        /// The URL of the request.
        url: String,
        /// `connect` or `answer`: which bound ran out.
        phase: TimeoutPhase,
        /// The bound that ran out.
        after: Duration,
    },
    /// The provider answered with an HTTP error status.
    #[error("the LLM provider at {url} answered {status}: {message}{hint}", hint = status_hint(*status))]
    Status {
        /// The URL of the request.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The provider's own message (`{error: {message}}`), or a short excerpt of its body; redacted.
        message: String,
    },
    /// The provider answered 200 but with an error object (also mid-stream).
    #[error("the LLM provider at {url} reported an error: {message}")]
    Reported {
        /// The URL of the request.
        url: String,
        /// The provider's message, redacted.
        message: String,
    },
    /// The answer is not the OpenAI chat-completions shape.
    #[error(
        "the LLM provider at {url} sent a malformed answer: {problem} (body starts: {excerpt:?})"
    )]
    Malformed {
        /// The URL of the request.
        url: String,
        /// What was wrong with it.
        problem: String,
        /// The first characters of the body, redacted.
        excerpt: String,
    },
    /// The answer was well formed but held no text.
    #[error("the model `{model}` returned an empty completion (finish reason: {finish_reason})")]
    EmptyCompletion {
        /// The model that answered.
        model: String,
        /// Why the model stopped, as the provider said (`stop`, `length`, ...), or `unknown`.
        finish_reason: String,
    },
    /// The answer was larger than the configured bound.
    #[error("the answer of the LLM provider at {url} is larger than the {limit}-byte limit")]
    TooLarge {
        /// The URL of the request.
        url: String,
        /// The bound, in bytes.
        limit: usize,
    },
}

/// Which time bound ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Connecting (TCP, TLS, HTTP handshake): the connect timeout.
    Connect,
    /// The whole request: the overall timeout.
    Answer,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "accept a connection",
            Self::Answer => "answer",
        })
    }
}

impl LlmError {
    /// A stable machine-readable name of the variant, for API error codes and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidConfig { .. } => "llm_invalid_config",
            Self::InvalidRequest { .. } => "llm_invalid_request",
            Self::Unreachable { .. } => "llm_unreachable",
            Self::Connection { .. } => "llm_connection",
            Self::Timeout { .. } => "llm_timeout",
            Self::Status { .. } => "llm_status",
            Self::Reported { .. } => "llm_reported",
            Self::Malformed { .. } => "llm_malformed",
            Self::EmptyCompletion { .. } => "llm_empty_completion",
            Self::TooLarge { .. } => "llm_too_large",
        }
    }
}

/// What to check for the statuses people meet most.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check the API key)",
        404 => " (check the base URL and the model name)",
        429 => " (rate limited or out of quota; try again later)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_url_and_the_bound() {
        let timeout = LlmError::Timeout {
            url: "http://127.0.0.1:9/v1/chat/completions".into(),
            phase: TimeoutPhase::Answer,
            after: Duration::from_millis(250),
        };
        assert_eq!(
            timeout.to_string(),
            "the LLM provider at http://127.0.0.1:9/v1/chat/completions did not answer within 250ms"
        );
        let status = LlmError::Status {
            url: "https://api.openai.com/v1/models".into(),
            status: 401,
            message: "Incorrect API key provided: sk-…abcd.".into(),
        };
        assert!(status.to_string().ends_with("(check the API key)"));
        assert_eq!(status.code(), "llm_status");
    }
}
