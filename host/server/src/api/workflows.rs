//! The workflow catalog (issue 5): list, read, put and delete workflows as YAML, and validate a document
//! without storing it. A read answers the YAML text, or the document as JSON when `Accept` asks for
//! `application/json` and not YAML. Bodies are the YAML text itself (any content type), refused above 256 KiB before
//! the parser sees them; an invalid document is a 400 `invalid_workflow` whose `error.details` lists every
//! problem with its line and hint.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use drydock_core::workflows_service::WorkflowSummary;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

/// The largest workflow document accepted, in bytes (the workflow crate's own default limit).
pub const MAX_WORKFLOW_BYTES: usize = 256 * 1024;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workflows", get(list))
        .route("/api/workflows/validate", post(validate))
        .route(
            "/api/workflows/{name}",
            get(show).put(put_one).delete(delete_one),
        )
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<WorkflowSummary>>, ApiError> {
    Ok(Json(state.core.workflows(&actor).await?))
}

/// The YAML text as stored, or, for a client whose `Accept` asks for JSON and not YAML, the same document
/// as a JSON object.
async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let row = state.core.workflow(&actor, &name).await?;
    if wants_json(&headers) {
        return Ok(Json(row.document_json()?).into_response());
    }
    Ok(([(header::CONTENT_TYPE, "application/yaml")], row.yaml).into_response())
}

/// True when `Accept` names `application/json` and no YAML type (YAML, the stored form, is the default).
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|media| {
            media
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .collect::<Vec<_>>();
    accept.iter().any(|m| m == "application/json") && !accept.iter().any(|m| m.contains("yaml"))
}

async fn put_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let yaml = yaml_body(body)?;
    let (summary, created) = state.core.put_workflow(&actor, &name, yaml).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(summary)))
}

async fn delete_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_workflow(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn validate(
    State(state): State<AppState>,
    Caller(_actor): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let yaml = yaml_body(body)?;
    let errors = state.core.validate_workflow(&yaml);
    Ok(Json(
        json!({ "valid": errors.is_empty(), "errors": errors }),
    ))
}

/// The body as YAML text: 413 above [`MAX_WORKFLOW_BYTES`], 400 when empty or not UTF-8.
fn yaml_body(body: Result<Bytes, BytesRejection>) -> Result<String, ApiError> {
    let too_large = |size: &str| {
        ApiError::PayloadTooLarge(format!(
            "the workflow is {size} bytes; the limit is {MAX_WORKFLOW_BYTES}"
        ))
    };
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large("more than")
        } else {
            ApiError::BadRequest {
                code: "invalid_body",
                message: rejection.body_text(),
            }
        }
    })?;
    if bytes.len() > MAX_WORKFLOW_BYTES {
        return Err(too_large(&bytes.len().to_string()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest {
            code: "invalid_body",
            message: "send the workflow's YAML as the request body".into(),
        });
    }
    String::from_utf8(bytes.to_vec()).map_err(|err| ApiError::BadRequest {
        code: "invalid_body",
        message: format!("the workflow is not UTF-8 text: {err}"),
    })
}
