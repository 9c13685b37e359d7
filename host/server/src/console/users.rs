//! `GET /operators/users` (operators): the accounts and the tokens in force; forms to add a user
//! (`POST /operators/users`), issue an API token (`POST /operators/tokens`) and revoke one
//! (`POST /operators/tokens/{id}/revoke`).
//!
//! A new token is shown once, on the page that answers the form (never in a URL, never again: only its hash
//! is stored). Console sessions are tokens too, so an operator can end someone's session here.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use drydock_core::accounts::{NewToken, NewUser};
use drydock_core::store::Role;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{self, ConsoleError, Notice, Section, Shell};
use super::plugins::require_operator;
use super::session::{NoFields, Posted, Visitor};
use crate::api::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operators/users", get(users_page).post(add_user))
        .route("/operators/tokens", post(issue_token))
        .route("/operators/tokens/{id}/revoke", post(revoke_token))
}

/// Which form a notice belongs beside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    AddUser,
    IssueToken,
    Tokens,
}

/// What the page shows besides the lists: a notice by its form, the person's input, a new token.
#[derive(Default)]
struct Extras {
    notice: Option<(Form, Notice)>,
    new_user: Option<AddUserForm>,
    issued: Option<(String, String)>,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn users_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(done): Query<Done>,
) -> Result<Response, ConsoleError> {
    require_operator(&visitor)?;
    let notice = done.done.map(|text| match text.as_str() {
        "user" => (
            Form::AddUser,
            Notice::done("User added. They can sign in now."),
        ),
        _ => (
            Form::Tokens,
            Notice::done("Token revoked: it no longer opens anything."),
        ),
    });
    render(
        &state,
        &visitor,
        Extras {
            notice,
            ..Extras::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
struct AddUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

async fn add_user(
    State(state): State<AppState>,
    posted: Posted<AddUserForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    require_operator(&visitor)?;
    let role = match form.role.as_str() {
        "operator" => Role::Operator,
        "user" => Role::User,
        other => {
            let notice = Notice::error(format!(
                "choose a role, `user` or `operator` (got `{}`)",
                other.chars().take(40).collect::<String>()
            ));
            let extras = Extras {
                notice: Some((Form::AddUser, notice)),
                new_user: Some(form),
                ..Extras::default()
            };
            return render(&state, &visitor, extras, StatusCode::BAD_REQUEST).await;
        }
    };
    let new = NewUser {
        username: form.username.trim().to_owned(),
        password: form.password.clone(),
        role,
    };
    match state.core.create_user(&visitor.actor, new).await {
        Ok(_) => Ok(Redirect::to("/operators/users?done=user").into_response()),
        Err(err) => bad_input(&state, &visitor, Form::AddUser, err, Some(form)).await,
    }
}

#[derive(Deserialize, Default)]
struct IssueForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    label: String,
}

async fn issue_token(
    State(state): State<AppState>,
    posted: Posted<IssueForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    require_operator(&visitor)?;
    let new = NewToken {
        owner: Some(form.owner.trim().to_owned()).filter(|o| !o.is_empty()),
        label: form.label,
    };
    match state.core.issue_token(&visitor.actor, new).await {
        Ok(issued) => {
            let extras = Extras {
                issued: Some((issued.row.owner.clone(), issued.token)),
                ..Extras::default()
            };
            render(&state, &visitor, extras, StatusCode::OK).await
        }
        Err(err) => bad_input(&state, &visitor, Form::IssueToken, err, None).await,
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<NoFields>,
) -> Result<Response, ConsoleError> {
    let visitor = posted.visitor;
    require_operator(&visitor)?;
    match state.core.revoke_token(&visitor.actor, &id).await {
        Ok(_) => Ok(Redirect::to("/operators/users?done=revoked").into_response()),
        Err(err) => bad_input(&state, &visitor, Form::Tokens, err, None).await,
    }
}

/// The page again with the core's refusal beside `form` (and the API's status for it: 400, 404, 409).
async fn bad_input(
    state: &AppState,
    visitor: &Visitor,
    form: Form,
    err: drydock_core::CoreError,
    new_user: Option<AddUserForm>,
) -> Result<Response, ConsoleError> {
    let (status, message) = crate::api::ApiError::from(err).status_and_message();
    let extras = Extras {
        notice: Some((form, Notice::error(message))),
        new_user,
        ..Extras::default()
    };
    render(state, visitor, extras, status).await
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    extras: Extras,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let users = state.core.users(&visitor.actor).await?;
    let tokens = state.core.tokens(&visitor.actor).await?;
    let notice_for = |form: Form| {
        extras
            .notice
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, n)| n.render())
    };
    let typed = extras.new_user.clone().unwrap_or_default();
    let body = html! {
        @if let Some((owner, token)) = &extras.issued {
            div.notice.done role="status" {
                p { strong { "Token issued for " (owner) ". " } "Copy it now: it is not shown again (only its hash is kept)." }
                p { code #new-token { (token) } }
            }
        }
        section aria-labelledby="users-h" {
            h2 #users-h { "Users" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Username" } th scope="col" { "Role" } th scope="col" { "Since" } } }
                tbody { @for user in &users { tr { td { (user.username) } td { (user.role) } td { (user.created_at) } } } }
            } }
            h3 { "Add a user" }
            @if let Some(n) = notice_for(Form::AddUser) { (n) }
            form.stack method="post" action="/operators/users" {
                (page::csrf_field(visitor))
                label for="new-username" { "Username" span.hint { "a-z, 0-9, `_`, `.`, `-`; at most 64" } }
                input #new-username type="text" name="username" value=(typed.username) autocomplete="off" required;
                label for="new-password" { "Password" span.hint { "give it to them privately; they sign in with it" } }
                input #new-password type="password" name="password" autocomplete="new-password" required;
                label for="new-role" { "Role" }
                select #new-role name="role" {
                    option value="user" selected[typed.role != "operator"] { "user: plans, chat, workflows, dry runs" }
                    option value="operator" selected[typed.role == "operator"] { "operator: also live runs, grants, the audit log" }
                }
                button type="submit" { "Add user" }
            }
        }
        section aria-labelledby="tokens-h" {
            h2 #tokens-h { "Tokens in force" }
            p.hint { "API tokens last until revoked; console sessions end after 12 hours or at sign-out." }
            @if let Some(n) = notice_for(Form::Tokens) { (n) }
            (tokens_table(visitor, &tokens))
            h3 { "Issue an API token" }
            @if let Some(n) = notice_for(Form::IssueToken) { (n) }
            form.stack method="post" action="/operators/tokens" {
                (page::csrf_field(visitor))
                label for="token-owner" { "For" }
                select #token-owner name="owner" {
                    @for user in &users { option value=(user.username) selected[user.username == visitor.actor.name] { (user.username) } }
                }
                label for="token-label" { "What it is for" span.hint { "e.g. “CI pipeline”, “Claude Desktop”" } }
                input #token-label type="text" name="label" maxlength="100" required;
                button type="submit" { "Issue token" }
            }
        }
    };
    let mut response = Shell::new(visitor, Section::Users, "Users & tokens").render(state, body);
    *response.status_mut() = status;
    Ok(response)
}

fn tokens_table(visitor: &Visitor, tokens: &[drydock_core::users::TokenRow]) -> Markup {
    html! {
        div.table-wrap { table {
            thead { tr {
                th scope="col" { "Owner" } th scope="col" { "Label" } th scope="col" { "Issued" }
                th scope="col" { "Ends" } th scope="col" { span.muted { "Action" } }
            } }
            tbody {
                @for token in tokens {
                    tr {
                        td { (token.owner) }
                        td { (token.label) }
                        td { (token.created_at) }
                        td { (token.expires_at.as_deref().unwrap_or("when revoked")) }
                        td {
                            form.inline method="post" action=(format!("/operators/tokens/{}/revoke", token.id))
                                data-confirm=(format!("Revoke {}'s token “{}”? Whatever uses it stops working.", token.owner, token.label)) {
                                (page::csrf_field(visitor))
                                button.danger type="submit" aria-label=(format!("Revoke {}'s token {}", token.owner, token.label)) { "Revoke" }
                            }
                        }
                    }
                }
            }
        } }
    }
}
