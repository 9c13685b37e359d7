//! One error type for every route: `{error: {code, message}}` with the right status.
//!
//! 4xx bodies say what was wrong with the request and what to do; 5xx bodies are generic and the cause goes
//! to the log (with the request's correlation id when there is one), never to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed or invalid; `code` is a stable machine-readable word.
    BadRequest {
        /// Stable code, e.g. `invalid_json`, `invalid_field`.
        code: &'static str,
        /// What was wrong, naming the field.
        message: String,
    },
    /// 400 with code `invalid_workflow`: a workflow document is invalid; `details` lists every problem
    /// (line, column, path, message, hint), and the body carries them as `error.details`.
    InvalidWorkflow {
        /// A summary naming how many problems and the first one.
        message: String,
        /// The diagnostics, as JSON.
        details: serde_json::Value,
    },
    /// 401: no token, or an unknown one.
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    Forbidden(String),
    /// 404: no such resource (or not yours).
    NotFound(String),
    /// 421: the request's `Host` is not one of the server's names (DNS rebinding, or a missing
    /// `--allowed-host`).
    MisdirectedRequest(String),
    /// 405: the route exists but not with this method.
    MethodNotAllowed(String),
    /// 409: the resource is not in a state that allows this.
    Conflict {
        /// Stable code, e.g. `dependencies_incomplete`, `plan_not_approved`.
        code: &'static str,
        /// What conflicts and what to do.
        message: String,
    },
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge(String),
    /// 429 with code `rate_limited` and a `Retry-After` header (whole seconds): too many sign-in failures,
    /// or an expensive route's budget is spent.
    TooManyRequests {
        /// What was limited and when to retry.
        message: String,
        /// How long until the next attempt may pass.
        retry_after: Duration,
    },
    /// 502: a service Drydock called (a language-model provider) failed; the message says which and why.
    BadGateway(String),
    /// 500: a fault on our side; the cause is logged, the body is generic.
    Internal(String),
}

impl ApiError {
    /// A 400 with code `invalid_field`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid_field",
            message: message.into(),
        }
    }

    /// A 400 `invalid_workflow` listing every diagnostic; the message counts them and names the first.
    pub fn invalid_workflow<D: serde::Serialize + std::fmt::Display>(diagnostics: &[D]) -> Self {
        let first = diagnostics
            .first()
            .map_or_else(String::new, |d| format!(": {d}"));
        ApiError::InvalidWorkflow {
            message: format!(
                "the workflow is invalid ({} problem{}){first}",
                diagnostics.len(),
                if diagnostics.len() == 1 { "" } else { "s" }
            ),
            details: serde_json::to_value(diagnostics).unwrap_or_else(|_| json!([])),
        }
    }

    /// A 500 whose cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl ApiError {
    /// The stable code and the message a client sees (5xx causes are logged here, not shown).
    pub fn code_and_message(self) -> (&'static str, String) {
        let (_, code, message) = self.parts();
        (code, message)
    }

    /// The status and the message a person sees (the web console shows API errors as its own pages).
    pub fn status_and_message(self) -> (StatusCode, String) {
        let (status, _, message) = self.parts();
        (status, message)
    }

    fn parts(self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message),
            ApiError::InvalidWorkflow { message, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_workflow", message)
            }
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::MisdirectedRequest(m) => {
                (StatusCode::MISDIRECTED_REQUEST, "misdirected_request", m)
            }
            ApiError::MethodNotAllowed(m) => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", m)
            }
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, code, message),
            ApiError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m),
            ApiError::TooManyRequests { message, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            }
            ApiError::BadGateway(m) => (StatusCode::BAD_GATEWAY, "upstream_failed", m),
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "request failed with an internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server failed to handle this request; the cause is in its log".to_owned(),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::InvalidWorkflow { message, details } = self {
            let body = json!({
                "error": { "code": "invalid_workflow", "message": message, "details": details },
            });
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let (status, code, message) = self.parts();
        let mut response = (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if let Some(wait) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_value(wait));
        }
        response
    }
}

/// A `Retry-After` value: whole seconds, rounded up, at least one.
pub fn retry_after_value(wait: Duration) -> HeaderValue {
    HeaderValue::from(drydock_core::core_error::retry_after_seconds(wait))
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(err) => ApiError::BadRequest {
                code: "invalid_field",
                message: err.body_text(),
            },
            JsonRejection::JsonSyntaxError(err) => ApiError::BadRequest {
                code: "invalid_json",
                message: err.body_text(),
            },
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
                code: "invalid_content_type",
                message: "send the body as JSON with `Content-Type: application/json`".into(),
            },
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(format!(
                    "{} (bodies are at most {} bytes; a plugin package, base64-encoded, at most what \
                     `drydock serve --max-package-mib` allows)",
                    err.body_text(),
                    super::BODY_LIMIT
                ))
            }
            other => ApiError::BadRequest {
                code: "invalid_body",
                message: other.body_text(),
            },
        }
    }
}
