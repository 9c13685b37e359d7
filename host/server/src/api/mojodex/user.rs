//! `POST /user`: Mojodex's log-in, `{email, password, login_method: "email_password", datetime}` →
//! `{token, language_code, name, terms_and_conditions_agreed, company_fk}`.
//!
//! Drydock users have a username, not an email: it goes in `email`. The sign-in is the core's own
//! (argon2id check, throttled per account and per client address, audited `auth.login`), and the token is
//! an ordinary API token (label `login`, revocable). A wrong username or password is Mojodex's 400
//! `{"error": "Wrong email or password."}`; too many failures a 429 with `Retry-After`. Only
//! `email_password` is supported: Mojodex's Google, Microsoft and Apple log-ins need those providers.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use drydock_core::{CoreError, SessionKind, SignIn};
use serde_json::{Value, json};

use super::{MojodexError, field, string_field};
use crate::api::AppState;
use crate::api::client::ClientAddr;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/user", post(login))
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, MojodexError> {
    let Json(body) = body?;
    let body = body
        .as_object()
        .ok_or_else(|| MojodexError::bad_request("the body must be a JSON object"))?;
    field(body, "datetime")?;
    let email = string_field(body, "email")?;
    let method = string_field(body, "login_method")?;
    if method != "email_password" {
        return Err(MojodexError::bad_request(format!(
            "login_method `{method}` is not supported by Drydock; use `email_password` with your Drydock username in `email`"
        )));
    }
    let password = string_field(body, "password")?;
    let signed_in = state
        .core
        .sign_in(SignIn {
            username: email.to_owned(),
            password: password.to_owned(),
            client,
            kind: SessionKind::ApiToken,
        })
        .await
        .map_err(|err| match err {
            CoreError::Unauthenticated(_) => MojodexError::bad_request("Wrong email or password."),
            other => MojodexError::from(other),
        })?;
    Ok(Json(json!({
        "token": signed_in.token,
        "language_code": "en",
        "name": signed_in.actor.name,
        "terms_and_conditions_agreed": true,
        "company_fk": null,
    })))
}
