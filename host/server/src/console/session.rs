//! Who is signed in to the console, and proof that a form came from one of our pages.
//!
//! The session cookie holds a console session token issued at sign-in (the same kind of token the API
//! takes, labelled and short-lived). It is `HttpOnly` (no script reads it), `SameSite=Strict` (no other
//! site's page makes the browser send it) and `Secure` when the server is reached over TLS.
//!
//! Every state-changing form also carries a CSRF token: the SHA-256 of a fixed label and the session token.
//! A page from another origin can neither read the cookie nor compute the token, and the token changes with
//! every sign-in. [`Posted`] checks it before a handler sees the form; a form without it is refused with 403.
//! (`host_guard` refuses cross-origin writes by their `Origin` as well: two locks, either one enough.)

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::Cookie;
use drydock_core::Actor;
use drydock_core::canonical::sha256_hex;
use drydock_core::store::Role;
use serde::de::DeserializeOwned;

use super::page;
use crate::api::AppState;
use crate::api::budgets::{self, ExpensiveRoute, Spender};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "drydock_session";
/// The name of the CSRF field in every console form.
pub const CSRF_FIELD: &str = "_csrf";
/// The largest form the console accepts, in bytes (a workflow's YAML is the largest thing it posts).
pub const MAX_FORM_BYTES: usize = 256 * 1024;
/// How long the browser keeps the cookie; the token itself expires on the server at the same time.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;

/// The signed-in person behind a console request.
#[derive(Clone)]
pub struct Visitor {
    /// Who they are, as the core names them.
    pub actor: Actor,
    /// The token of their console session (the cookie's value).
    pub token: String,
}

impl Visitor {
    /// The CSRF token of this session: what every form must carry in [`CSRF_FIELD`].
    pub fn csrf(&self) -> String {
        csrf_token(&self.token)
    }

    /// Charges one request that runs something (a plan node, a workflow run, a tool) to this session, as the
    /// API charges a bearer token: the console is no way around the policy's `[budgets]`. Past the budget, a
    /// 429 page that says when to retry.
    pub fn spend(&self, state: &AppState, route: ExpensiveRoute) -> Result<(), page::ConsoleError> {
        budgets::spend(state, &Spender::credential(&self.token), route).map_err(Into::into)
    }

    /// Whether they may use the operator pages.
    pub fn is_operator(&self) -> bool {
        self.actor.role == Role::Operator
    }
}

/// The CSRF token that belongs to a session token.
pub fn csrf_token(session_token: &str) -> String {
    sha256_hex(format!("drydock console csrf v1\n{session_token}").as_bytes())
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session (or, with `None`, the one that removes it).
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let mut cookie = Cookie::build((SESSION_COOKIE, token.unwrap_or("").to_owned()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(if token.is_some() {
            SESSION_SECONDS
        } else {
            0
        }))
        .build();
    if token.is_none() {
        cookie.make_removal();
    }
    cookie.to_string()
}

/// Not signed in (or the session ended): back to the sign-in page, then to where they were going.
pub struct SignInFirst {
    next: String,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let next = serde_urlencoded::to_string([("next", self.next.as_str())]).unwrap_or_default();
        Redirect::to(&format!("/sign-in?{next}")).into_response()
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = SignInFirst;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let sign_in_first = || SignInFirst {
            next: safe_next(
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/"),
            ),
        };
        let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else {
            return Err(sign_in_first());
        };
        match state.core.authenticate(&token).await {
            Ok(Some(actor)) => Ok(Visitor { actor, token }),
            _ => Err(sign_in_first()),
        }
    }
}

/// Where to go after signing in: a path on this server, never another site (`//evil.example`, `http:`).
pub fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local && !next.starts_with("/sign-in") {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// A console form, checked: the visitor is signed in and the form carries their CSRF token. `T` is the
/// form's other fields (`application/x-www-form-urlencoded`; unknown fields are ignored, so `T` must not
/// deny them).
pub struct Posted<T> {
    /// Who posted it.
    pub visitor: Visitor,
    /// Its fields.
    pub form: T,
}

/// The fields of a form that carries nothing but its CSRF token (sign out, revoke, cancel, delete).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// Why a posted form was not taken.
pub enum FormRefused {
    /// Not signed in.
    SignIn(SignInFirst),
    /// No or a wrong CSRF token, or a body that is not a form.
    Refused(StatusCode, String),
}

impl IntoResponse for FormRefused {
    fn into_response(self) -> Response {
        match self {
            FormRefused::SignIn(redirect) => redirect.into_response(),
            FormRefused::Refused(status, message) => page::problem(status, &message),
        }
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = FormRefused;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state)
            .await
            .map_err(FormRefused::SignIn)?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                FormRefused::Refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the form is larger than {} KiB; shorten it and send it again",
                        MAX_FORM_BYTES / 1024
                    ),
                )
            })?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            FormRefused::Refused(
                StatusCode::BAD_REQUEST,
                "the request is not a form (application/x-www-form-urlencoded)".into(),
            )
        })?;
        let sent = fields
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.as_str())
            .unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), visitor.csrf().as_bytes()) {
            return Err(FormRefused::Refused(
                StatusCode::FORBIDDEN,
                "this form did not come from a page of this console (its CSRF token is missing or belongs \
                 to another session); reload the page and send it again"
                    .into(),
            ));
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|err| {
            FormRefused::Refused(
                StatusCode::BAD_REQUEST,
                format!(
                    "the form is incomplete or malformed: {err}; reload the page and try again"
                ),
            )
        })?;
        Ok(Posted { visitor, form })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next("/plans/1?x=2"), "/plans/1?x=2");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/sign-in?next=/x"), "/");
        assert_eq!(safe_next("/a\r\nSet-Cookie: x"), "/");
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_only_over_tls() {
        let plain = session_cookie(Some("dd_x"), false);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"), "{plain}");
        assert!(session_cookie(Some("dd_x"), true).contains("Secure"));
        let removal = session_cookie(None, false);
        assert!(removal.starts_with("drydock_session=;"), "{removal}");
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }

    #[test]
    fn csrf_tokens_differ_per_session() {
        assert_ne!(csrf_token("dd_a"), csrf_token("dd_b"));
        assert_eq!(csrf_token("dd_a"), csrf_token("dd_a"));
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            "a=1; drydock_session=dd_tok".parse().unwrap(),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("dd_tok")
        );
        assert_eq!(cookie_value(&headers, "missing"), None);
    }
}
