//! `GET/POST /sign-in` and `POST /sign-out`.
//!
//! The sign-in form has no session yet to tie a CSRF token to, so it uses a double-submit token: `GET`
//! sets a random `drydock_signin` cookie (HttpOnly, SameSite=Strict) and puts the same value in the form;
//! `POST` takes the form only when both agree. Another site can make a browser post the form, but cannot
//! make it send our cookie, nor read it to copy it into the form.
//!
//! The page also says how a first start works (the operator `admin` and its password are printed once by
//! `drydock serve`) and where an API client goes instead.

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use drydock_core::{SessionKind, SignIn};

use super::page::{self, Notice};
use super::session::{self, NoFields, Posted, Visitor};
use crate::api::AppState;
use crate::api::client::ClientAddr;

/// The sign-in form's double-submit cookie.
const SIGN_IN_COOKIE: &str = "drydock_signin";

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn sign_in_page(
    State(state): State<AppState>,
    Query(query): Query<Next>,
    headers: HeaderMap,
) -> Response {
    let next = session::safe_next(query.next.as_deref().unwrap_or("/"));
    // Already signed in: nothing to do here.
    if let Some(token) = session::cookie_value(&headers, session::SESSION_COOKIE)
        && let Ok(Some(_)) = state.core.authenticate(&token).await
    {
        return Redirect::to(&next).into_response();
    }
    render(&state, StatusCode::OK, &next, "", None)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_signin")]
    nonce: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::problem(
            StatusCode::BAD_REQUEST,
            "the sign-in request is not a form; open /sign-in and use its form",
        );
    };
    let next = session::safe_next(&form.next);
    let cookie_nonce = session::cookie_value(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if form.nonce.is_empty() || form.nonce != cookie_nonce {
        let notice = Notice::error(
            "this sign-in form has expired or did not come from this console (the browser must accept \
             cookies from it); sign in again with the form below",
        );
        return render(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            &form.username,
            Some(notice),
        );
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        let notice = Notice::error("enter both your username and your password");
        return render(
            &state,
            StatusCode::BAD_REQUEST,
            &next,
            &form.username,
            Some(notice),
        );
    }
    let attempt = SignIn {
        username: form.username.trim().to_owned(),
        password: form.password,
        client,
        kind: SessionKind::Console,
    };
    match state.core.sign_in(attempt).await {
        Ok(signed_in) => {
            let cookie = session::session_cookie(Some(&signed_in.token), state.secure_cookies);
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, header_value(&cookie));
            headers.append(header::SET_COOKIE, header_value(&removal(SIGN_IN_COOKIE)));
            response
        }
        Err(err) => {
            let (status, message) = crate::api::ApiError::from(err).status_and_message();
            render(
                &state,
                status,
                &next,
                &form.username,
                Some(Notice::error(message)),
            )
        }
    }
}

async fn sign_out(State(state): State<AppState>, posted: Posted<NoFields>) -> Response {
    let Visitor { token, .. } = posted.visitor;
    // Ends the session on the server too, so a copied cookie is worthless afterwards.
    if let Err(err) = state.core.sign_out(&token).await {
        return page::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("signing out failed: {}", page::error_text(err)),
        );
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        header_value(&session::session_cookie(None, state.secure_cookies)),
    );
    response
}

/// The sign-in page with a fresh double-submit token.
fn render(
    state: &AppState,
    status: StatusCode,
    next: &str,
    username: &str,
    notice: Option<Notice>,
) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let cookie = cookie::Cookie::build((SIGN_IN_COOKIE, nonce.clone()))
        .path("/sign-in")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(state.secure_cookies)
        .build()
        .to_string();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (page::head("Sign in"))
            body {
                main #main.narrow {
                    h1 { "Sign in to Drydock" }
                    (page::notice(notice.as_ref()))
                    form.stack method="post" action="/sign-in" {
                        input type="hidden" name="_signin" value=(nonce);
                        input type="hidden" name="next" value=(next);
                        label for="username" { "Username" }
                        input #username type="text" name="username" value=(username)
                            autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus;
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        button type="submit" { "Sign in" }
                    }
                    (first_start())
                }
            }
        }
    };
    let mut response = (status, Html(markup.into_string())).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, header_value(&cookie));
    response
}

fn first_start() -> Markup {
    html! {
        section aria-labelledby="first-start" {
            h2 #first-start { "First time here?" }
            p {
                "On the first start of an empty data directory, " code { "drydock serve" }
                " creates the operator " code { "admin" } " and prints its password once, in a line like "
                code { "created the first operator `admin` (password …)" } ". Sign in with that."
            }
            p {
                "Lost it, or need another account? On the server's machine run "
                code { "drydock user add NAME --role operator" } " (or " code { "--role user" }
                "), or ask an operator to add you under " em { "Users & tokens" } "."
            }
            p.hint {
                "Scripts and agents do not sign in here: they use the API with a bearer token ("
                a href="/api/openapi.json" { "OpenAPI document" } ") or the MCP endpoint "
                code { "/mcp" } "."
            }
        }
    }
}

/// A cookie-removal `Set-Cookie` for `name` on the sign-in path.
fn removal(name: &str) -> String {
    let mut cookie = cookie::Cookie::build((name, "")).path("/sign-in").build();
    cookie.make_removal();
    cookie.to_string()
}

fn header_value(text: &str) -> HeaderValue {
    // Cookie values here are hex, uuids and fixed attributes: always valid header text.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
