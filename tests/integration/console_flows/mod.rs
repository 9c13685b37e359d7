//! The console's workflow, run and chat pages over real loopback HTTP, signed in with the cookie: the
//! catalog and its start forms, a run followed from its page through an answer, a rejection with feedback
//! (the step is redone with it) and an acceptance to completion (Mojodex's flow, proved on the page and in
//! the core), the operator's YAML editor with the validator's line-numbered errors, a user's read-only
//! view, the chat with its task beside the messages (a scripted language model), and the refusals: CSRF,
//! unknown ids, other people's runs, malformed and oversized forms.
//!
//! | module     | what |
//! |------------|------|
//! | `runs`     | the catalog, a run through answer / reject with feedback / accept, refusals beside the forms |
//! | `editing`  | the operator's YAML editor (line-numbered errors, nothing invalid stored), a user's read-only view |
//! | `refusals` | CSRF, unknown ids, other people's runs, oversized and malformed forms |
//! | `chat`     | no model configured: the page says so; with a scripted model: the task beside the messages, approve |

mod chat;
mod editing;
mod refusals;
mod runs;

use drydock_core::{Actor, Role};

use crate::console_auth::{Jar, field};
use crate::server::user_token;
use crate::support::{TestServer, start_with_demo_workflows};

pub(super) const OPERATOR: &str = "operator-token-for-console-flow-tests";

/// A workflow with a required integer input and an output step a person validates (no plugin needed).
pub(super) const COUNTED: &str = "name: counted
description: Shows a number and waits for you to check it.
inputs:
  - name: times
    description: How many times
    type: int
nodes:
  - name: show
    type: output
    user_message:
      - \"Times: {times}{show_feedback}\"
    user_validation_required: true
flow:
  - from: START
    to: show
  - from: show
    to: END
";

/// The demo server with a user `ada`, a user `bob` and an operator `olga` (password `correct horse`).
pub(super) async fn start(data: &std::path::Path) -> TestServer {
    let server = start_with_demo_workflows(data, OPERATOR).await;
    for (name, role) in [
        ("ada", Role::User),
        ("bob", Role::User),
        ("olga", Role::Operator),
    ] {
        user_token(&server, name, role).await;
    }
    server
}

/// The core's actor for one of the people [`start`] adds.
pub(super) async fn person(server: &TestServer, name: &str) -> Actor {
    let attempt = drydock_core::SignIn {
        username: name.into(),
        password: "correct horse".into(),
        client: None,
        kind: drydock_core::SessionKind::ApiToken,
    };
    server.core.sign_in(attempt).await.unwrap().actor
}

pub(super) async fn operator(server: &TestServer) -> Actor {
    server.core.authenticate(OPERATOR).await.unwrap().unwrap()
}

/// Posts a form from the page at `page_path` (its CSRF token added) and returns the answer.
pub(super) async fn post_from(
    jar: &mut Jar,
    server: &TestServer,
    page_path: &str,
    action: &str,
    form: &[(&str, &str)],
) -> drydock_tests::client::Answer {
    let page = jar.get_page(server.addr, page_path).await;
    assert_eq!(page.status, 200, "{page_path}: {}", page.body);
    let csrf = field(&page.body, "_csrf");
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(form);
    jar.post(server.addr, action, &all).await
}

/// Starts a run of `workflow` from the catalog with `inputs`; returns the run's path.
pub(super) async fn start_run(
    jar: &mut Jar,
    server: &TestServer,
    workflow: &str,
    inputs: &[(&str, &str)],
) -> String {
    let mut form = vec![("from", "catalog")];
    form.extend_from_slice(inputs);
    let answer = post_from(
        jar,
        server,
        "/workflows",
        &format!("/workflows/{workflow}/runs"),
        &form,
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.header("location").unwrap().to_owned();
    assert!(location.starts_with("/runs/"), "{location}");
    location
}

pub(super) fn run_id(path: &str) -> &str {
    path.trim_start_matches("/runs/")
}
