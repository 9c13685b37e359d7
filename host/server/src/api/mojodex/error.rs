//! [`MojodexError`]: the API's errors in Mojodex's shape, `{"error": message}` with the same status as
//! the native routes would give, except where Mojodex's clients expect another: a missing or unknown token
//! is 403 (Mojodex's `authenticate`), never 401. A 5xx body stays generic (the cause is logged by
//! [`ApiError`]); a 429 keeps its `Retry-After`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use drydock_core::CoreError;
use serde_json::json;

use crate::api::ApiError;
use crate::api::error::retry_after_value;

/// An error of a Mojodex route.
#[derive(Debug)]
pub struct MojodexError(ApiError);

impl MojodexError {
    /// A 400 saying what is wrong with the request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        MojodexError(ApiError::invalid(message))
    }

    /// A 403: no token, or one that is not (or no longer) valid.
    pub fn forbidden(message: impl Into<String>) -> Self {
        MojodexError(ApiError::Forbidden(message.into()))
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        MojodexError(ApiError::NotFound(message.into()))
    }

    /// A 409 with `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        MojodexError(ApiError::Conflict {
            code,
            message: message.into(),
        })
    }
}

impl From<ApiError> for MojodexError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Unauthorized(m) => MojodexError(ApiError::Forbidden(m)),
            other => MojodexError(other),
        }
    }
}

impl From<CoreError> for MojodexError {
    fn from(err: CoreError) -> Self {
        MojodexError::from(ApiError::from(err))
    }
}

impl From<JsonRejection> for MojodexError {
    fn from(rejection: JsonRejection) -> Self {
        MojodexError::from(ApiError::from(rejection))
    }
}

impl From<QueryRejection> for MojodexError {
    fn from(rejection: QueryRejection) -> Self {
        MojodexError::bad_request(rejection.body_text())
    }
}

impl IntoResponse for MojodexError {
    fn into_response(self) -> Response {
        let retry_after = match &self.0 {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let (status, message) = self.0.status_and_message();
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if let Some(wait) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_value(wait));
        }
        response
    }
}
