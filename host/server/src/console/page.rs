//! The shell every console page shares: header, navigation, the master switch's state, notices, and the
//! security headers on every console answer.
//!
//! A page is built as `Shell::new(&visitor, Section::Plans, "title").render(state, body)`. Errors a person
//! can fix are [`Notice`]s shown where they happened (beside the form that caused them, by the page); an
//! error that leaves nothing to show is [`problem`], a page of its own that says what to do next.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::{CSRF_FIELD, Visitor};
use crate::api::AppState;

/// The Content-Security-Policy of every console answer: our own script and stylesheet, nothing inline,
/// nothing from another host, no framing, forms only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the console's security headers (CSP, no framing, no sniffing, referrers only to ourselves) to every
/// answer. Not `no-referrer`: under it Chromium sends `Origin: null` with a form's POST, which the server's
/// cross-origin guard rightly refuses (a browser test caught it).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show live state and who is signed in: never from a cache.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The console's sections, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `/`
    Overview,
    /// `/plans`
    Plans,
    /// `/chat`
    Chat,
    /// `/workflows` and runs
    Workflows,
    /// `/operators/plugins`
    Plugins,
    /// `/operators/audit`
    Audit,
    /// `/operators/users`
    Users,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Overview,
        Section::Plans,
        Section::Chat,
        Section::Workflows,
        Section::Plugins,
        Section::Audit,
        Section::Users,
    ];

    fn href(self) -> &'static str {
        match self {
            Section::Overview => "/",
            Section::Plans => "/plans",
            Section::Chat => "/chat",
            Section::Workflows => "/workflows",
            Section::Plugins => "/operators/plugins",
            Section::Audit => "/operators/audit",
            Section::Users => "/operators/users",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Plans => "Plans",
            Section::Chat => "Chat",
            Section::Workflows => "Workflows",
            Section::Plugins => "Plugins & live",
            Section::Audit => "Audit",
            Section::Users => "Users & tokens",
        }
    }

    fn for_operators(self) -> bool {
        matches!(self, Section::Plugins | Section::Audit | Section::Users)
    }
}

/// A message for the person, shown where it belongs on the page.
#[derive(Debug, Clone)]
pub struct Notice {
    /// An error (what failed and what to do) or a confirmation.
    pub kind: NoticeKind,
    /// The text.
    pub text: String,
}

/// What kind of [`Notice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Something failed; the text says what to do.
    Error,
    /// Something was done.
    Done,
}

impl Notice {
    /// An error notice.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            kind: NoticeKind::Error,
            text: text.into(),
        }
    }

    /// A confirmation notice.
    pub fn done(text: impl Into<String>) -> Self {
        Self {
            kind: NoticeKind::Done,
            text: text.into(),
        }
    }

    /// The notice as markup: errors are announced to screen readers at once (`role="alert"`).
    pub fn render(&self) -> Markup {
        match self.kind {
            NoticeKind::Error => {
                html! { p.notice.error role="alert" { strong { "Error: " } (self.text) } }
            }
            NoticeKind::Done => html! { p.notice.done role="status" { (self.text) } },
        }
    }
}

/// Renders an optional notice (nothing when `None`).
pub fn notice(notice: Option<&Notice>) -> Markup {
    html! { @if let Some(n) = notice { (n.render()) } }
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf_field(visitor: &Visitor) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf()); }
}

/// A signed-in page: its section, its title, and the visitor it is for.
pub struct Shell<'a> {
    visitor: &'a Visitor,
    section: Section,
    title: String,
}

impl<'a> Shell<'a> {
    /// A page of `section` titled `title`.
    pub fn new(visitor: &'a Visitor, section: Section, title: impl Into<String>) -> Self {
        Self {
            visitor,
            section,
            title: title.into(),
        }
    }

    /// The whole page around `body`.
    pub fn render(self, state: &AppState, body: Markup) -> Response {
        let master_on = state.core.runtime().master_switch();
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                (head(&self.title))
                body {
                    a.skip href="#main" { "Skip to content" }
                    header.top {
                        a.brand href="/" { "Drydock" }
                        nav aria-label="Sections" {
                            ul {
                                @for section in Section::ALL {
                                    @if !section.for_operators() || self.visitor.is_operator() {
                                        li {
                                            a href=(section.href())
                                              aria-current=[(section == self.section).then_some("page")] {
                                                (section.label())
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        form.signout method="post" action="/sign-out" {
                            (csrf_field(self.visitor))
                            span.who { (self.visitor.actor.name) " (" (self.visitor.actor.role) ")" }
                            button type="submit" { "Sign out" }
                        }
                    }
                    (master_banner(master_on))
                    main #main {
                        h1 { (self.title) }
                        (body)
                    }
                    script src=(super::assets::SCRIPT_URL) defer {}
                }
            }
        };
        Html(markup.into_string()).into_response()
    }
}

/// What the master switch means right now, on every page.
fn master_banner(on: bool) -> Markup {
    html! {
        @if on {
            p.banner.live role="note" {
                strong { "Master switch on (DRYDOCK_LIVE=1). " }
                "A write can go live where an operator turned its capability live and a person approved the plan."
            }
        } @else {
            p.banner.dry role="note" {
                strong { "Dry runs only. " }
                "The master switch (DRYDOCK_LIVE=1) is off: every write is recorded and simulated, whatever the \
                 live toggles say."
            }
        }
    }
}

/// `<head>` with the title, the viewport and our stylesheet.
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Drydock" }
            link rel="stylesheet" href=(super::assets::STYLE_URL);
            link rel="icon" href=(super::assets::ICON_URL);
        }
    }
}

/// A page of its own for an error that leaves nothing else to show: the status, what failed, what to do.
pub fn problem(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                main #main.narrow {
                    h1 { (title) }
                    p.notice.error role="alert" { (message) }
                    p { a href="/" { "Back to the console" } }
                }
            }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// A console error a handler returns with `?`: shown as a [`problem`] page (with `Retry-After` when it is
/// a request budget or a sign-in throttle that said no).
#[derive(Debug)]
pub struct ConsoleError {
    status: StatusCode,
    message: String,
    retry_after: Option<std::time::Duration>,
}

impl ConsoleError {
    /// An error with its status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let mut response = problem(self.status, &self.message);
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                crate::api::error::retry_after_value(wait),
            );
        }
        response
    }
}

impl From<crate::api::ApiError> for ConsoleError {
    fn from(err: crate::api::ApiError) -> Self {
        let retry_after = match &err {
            crate::api::ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let (status, message) = err.status_and_message();
        Self {
            status,
            message,
            retry_after,
        }
    }
}

impl From<drydock_core::CoreError> for ConsoleError {
    fn from(err: drydock_core::CoreError) -> Self {
        Self::from(crate::api::ApiError::from(err))
    }
}

/// The text of a core error for a notice beside a form.
pub fn error_text(err: drydock_core::CoreError) -> String {
    crate::api::ApiError::from(err).status_and_message().1
}
