//! Users and tokens: `GET/POST /api/users` (operators), `GET/POST /api/tokens`, `DELETE /api/tokens/{id}`
//! (operators: anyone's; users: their own). The role checks and the audit rows are the core's
//! (`drydock_core::accounts`); a token is in the body of the answer that issues it, and nowhere else.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router};
use drydock_core::accounts::{NewToken, NewUser};
use drydock_core::{Role, TokenRow, User};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::{ApiError, AppState};

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/tokens", get(list_tokens).post(issue_token))
        .route("/api/tokens/{id}", delete(revoke_token))
}

/// A user as the API shows it (never the password hash, which the core does not hand out).
pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "createdAt": user.created_at,
    })
}

/// A token as listings show it: never the token, never its hash.
pub fn token_json(row: &TokenRow) -> Value {
    json!({
        "id": row.id,
        "owner": row.owner,
        "label": row.label,
        "createdAt": row.created_at,
        "expiresAt": row.expires_at,
    })
}

async fn list_users(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    let users = state.core.users(&actor).await?;
    Ok(Json(
        json!({ "users": users.iter().map(user_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    username: String,
    password: String,
    #[serde(default = "default_role")]
    role: Role,
}

fn default_role() -> Role {
    Role::User
}

async fn create_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: JsonBody<CreateUser>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body?;
    let user = state
        .core
        .create_user(
            &actor,
            NewUser {
                username: body.username,
                password: body.password,
                role: body.role,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

async fn list_tokens(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    let tokens = state.core.tokens(&actor).await?;
    Ok(Json(
        json!({ "tokens": tokens.iter().map(token_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueToken {
    label: String,
    #[serde(default)]
    owner: Option<String>,
}

async fn issue_token(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: JsonBody<IssueToken>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body?;
    let issued = state
        .core
        .issue_token(
            &actor,
            NewToken {
                owner: body.owner,
                label: body.label,
            },
        )
        .await?;
    let mut answer = token_json(&issued.row);
    answer["token"] = json!(issued.token);
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn revoke_token(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = state.core.revoke_token(&actor, &id).await?;
    Ok(Json(json!({ "revoked": token_json(&row) })))
}
