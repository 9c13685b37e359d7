//! The console's plan pages over real loopback HTTP, with the template planner and the workspace plugin:
//! a work item becomes a session, its plan a picture, a dry run a rehearsal with its effects and diff, an
//! approval a frozen hash. The refusals are in `console_plans_refusals.rs`, which shares these helpers.

use std::path::Path;
use std::time::Duration;

use drydock_core::{Actor, Role};
use drydock_tests::client::send_with;
use drydock_tests::plugins::{TEMPLATE_PLANNER, WORKSPACE};
use serde_json::json;

use crate::console_auth::{Jar, field, signed_in};
use crate::support::{TestServer, start_server};

pub(crate) async fn start(workspace: &Path, data: &Path) -> TestServer {
    let policy = format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
        workspace.display().to_string()
    );
    start_server(
        &policy,
        &[TEMPLATE_PLANNER, WORKSPACE],
        data,
        "bootstrap-console-plans",
    )
    .await
}

pub(crate) fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upload.rs"), "// ABC-123: retry uploads\n").unwrap();
    dir
}

/// Adds `name` (password `correct horse`) and answers their actor.
pub(crate) async fn person(server: &TestServer, name: &str, role: Role) -> Actor {
    let token = server
        .core
        .add_user(name, "correct horse", role, "test")
        .await
        .unwrap();
    server.core.authenticate(&token).await.unwrap().unwrap()
}

/// The text between `start` and the next `end` in `page`.
pub(crate) fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {page}"))
        + start.len();
    &page[from..from + page[from..].find(end).unwrap()]
}

/// Waits (bounded) until an execution is over.
pub(crate) async fn finished(server: &TestServer, actor: &Actor, correlation: &str) {
    for _ in 0..200 {
        if server
            .core
            .execution(actor, correlation)
            .await
            .unwrap()
            .status
            .is_terminal()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("execution {correlation} did not finish");
}

/// Posts a form of the session page with the visitor's CSRF token.
pub(crate) async fn act(
    jar: &mut Jar,
    server: &TestServer,
    path: &str,
    fields: &[(&str, &str)],
) -> drydock_tests::client::Answer {
    let page = jar.get_page(server.addr, "/plans").await;
    let csrf = field(&page.body, "_csrf");
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    jar.post(server.addr, path, &form).await
}

/// A session of `actor` with a generated plan, made through the core.
pub(crate) async fn planned_session(server: &TestServer, actor: &Actor) -> String {
    let item =
        json!({"id": "ABC-123", "title": "Retry failed uploads", "description": "Flaky networks"});
    let session = server.core.create_session(actor, item).await.unwrap();
    server
        .core
        .generate_plan(actor, &session.id, None, false)
        .await
        .unwrap();
    session.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_item_becomes_a_plan_picture_a_rehearsal_with_a_diff_and_an_approved_hash() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    let mut jar = signed_in(&server, "alice", "correct horse").await;

    let list = jar.get_page(server.addr, "/plans").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("New session from a work item") && list.body.contains("None yet"),
        "{}",
        list.body
    );
    let created = act(
        &mut jar,
        &server,
        "/plans",
        &[
            ("key", "ABC-123"),
            ("title", "Retry failed uploads"),
            ("description", "Uploads fail on flaky networks"),
            ("type", "feature"),
            ("labels", "backend, uploads"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.header("location").unwrap().to_owned();
    let id = location
        .strip_prefix("/plans/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = jar.get_page(server.addr, &location).await;
    assert!(
        page.body.contains("Session created") && page.body.contains("Generate the plan"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("backend, uploads"),
        "labels shown: {}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "data-live-events=\"/api/sessions/{id}/events?after="
        )),
        "{}",
        page.body
    );

    let generated = act(&mut jar, &server, &format!("/plans/{id}/generate"), &[]).await;
    assert_eq!(generated.status, 303, "{}", generated.body);
    let page = jar.get_page(server.addr, &format!("/plans/{id}")).await;
    for needle in [
        "<svg class=\"dag\" role=\"img\" aria-labelledby=\"dag-title dag-desc\"",
        "Plan version 1 as a graph",
        "<g class=\"n-pending\" data-node=\"analyze\"",
        "data-node=\"implement\"",
        "class=\"edge\"",
        "workspace.write_file",
        "notes/ABC-123.md",
        "pending approval",
        "Approving freezes this plan's content hash",
        "Dry run",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing: {}",
            page.body
        );
    }
    assert!(
        !page.body.contains("Run live"),
        "a user is offered no live button"
    );
    let hash = between(&page.body, "id=\"content-hash\">", "<").to_owned();
    let plan = server
        .core
        .current_plan(&alice, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, plan.content_hash);

    // implement waits for analyze: the core's refusal is shown beside the nodes.
    let early = act(
        &mut jar,
        &server,
        &format!("/plans/{id}/execute"),
        &[("node_id", "implement"), ("mode", "dry-run")],
    )
    .await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(
        early.body.contains("node `implement` did not start") && early.body.contains("analyze"),
        "{}",
        early.body
    );

    for node in ["analyze", "implement"] {
        let run = act(
            &mut jar,
            &server,
            &format!("/plans/{id}/execute"),
            &[("node_id", node), ("mode", "dry-run")],
        )
        .await;
        assert_eq!(run.status, 303, "{}", run.body);
        let correlation = run
            .header("location")
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        finished(&server, &alice, &correlation).await;
        if node == "implement" {
            let view = jar
                .get_page(server.addr, run.header("location").unwrap())
                .await;
            assert_eq!(view.status, 200, "{}", view.body);
            for needle in [
                "Rehearsal of node implement",
                "dry run",
                "data-capability=\"fs\"",
                "badge s-simulated",
                "simulated: write recorded, not performed",
                "<pre class=\"diff\">",
                "<span class=\"add\">+",
                "<code>notes/ABC-123.md</code>",
                "/api/artifacts/",
            ] {
                assert!(
                    view.body.contains(needle),
                    "{needle} missing: {}",
                    view.body
                );
            }
            // The download link works with the console's cookie.
            let artifact = between(&view.body, "href=\"/api/artifacts/", "\"").to_owned();
            let cookie = jar.header();
            let download = send_with(
                server.addr,
                "GET",
                &format!("/api/artifacts/{artifact}"),
                None,
                None,
                &[("cookie", &cookie)],
            )
            .await;
            assert_eq!(download.status, 200, "{}", download.body);
            assert!(
                download
                    .header("content-disposition")
                    .unwrap()
                    .starts_with("attachment")
            );
            assert!(
                download.body.contains("+++ b/notes/ABC-123.md"),
                "{}",
                download.body
            );
        }
    }
    assert!(
        !ws.path().join("notes").exists(),
        "a dry run leaves the workspace untouched"
    );

    let page = jar.get_page(server.addr, &format!("/plans/{id}")).await;
    assert!(
        page.body
            .contains("<g class=\"n-completed\" data-node=\"analyze\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("completed (dry run)") && page.body.contains("Rehearsal of this run"),
        "{}",
        page.body
    );
    let rehearsal = jar
        .get_page(server.addr, &format!("/plans/{id}/rehearsal"))
        .await;
    assert_eq!(rehearsal.status, 200, "{}", rehearsal.body);
    assert!(
        rehearsal.body.contains("id=\"r-analyze\"")
            && rehearsal.body.contains("id=\"r-implement\"")
    );
    assert!(
        rehearsal.body.contains("Not rehearsed yet"),
        "report has not run: {}",
        rehearsal.body
    );
    assert!(
        rehearsal.body.contains("data-capability=\"fs\"")
            && rehearsal.body.contains("<span class=\"add\">")
    );

    // The page shows the core's rehearsal report before the Approve button, with the hash the form sends.
    let report = server.core.plan_rehearsal(&alice, &id).await.unwrap();
    let shown = between(&page.body, "id=\"rehearsal-hash\">", "<").to_owned();
    assert_eq!(shown, report.hash);
    assert_eq!(field(&page.body, "rehearsal"), report.hash);
    let before_button = &page.body[..page.body.find("Approve version").unwrap()];
    assert!(
        before_button.contains("What will change")
            && before_button.contains("<code>/workspace/notes/ABC-123.md</code>"),
        "the report comes before the Approve button: {}",
        page.body
    );

    // An approval of a hash the page did not show is refused; the shown one is frozen.
    let stale = act(
        &mut jar,
        &server,
        &format!("/plans/{id}/approve"),
        &[("hash", "0000"), ("rehearsal", &shown)],
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale
            .body
            .contains("the plan changed since this page showed it"),
        "{}",
        stale.body
    );
    for (rehearsal, words) in [
        ("", "lost the hash of the rehearsal"),
        ("0000", "the rehearsal changed since it was shown"),
    ] {
        let refused = act(
            &mut jar,
            &server,
            &format!("/plans/{id}/approve"),
            &[("hash", &hash), ("rehearsal", rehearsal)],
        )
        .await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains(words), "{words}: {}", refused.body);
    }
    let approved = act(
        &mut jar,
        &server,
        &format!("/plans/{id}/approve"),
        &[("hash", &hash), ("rehearsal", &shown)],
    )
    .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let page = jar
        .get_page(server.addr, approved.header("location").unwrap())
        .await;
    assert!(
        page.body.contains("Plan approved") && page.body.contains("by <strong>alice</strong>"),
        "{}",
        page.body
    );
    assert_eq!(between(&page.body, "id=\"approved-hash\">", "<"), hash);
    assert_eq!(
        between(&page.body, "id=\"approved-rehearsal-hash\">", "<"),
        shown
    );
    assert!(
        !page.body.contains("Approve version"),
        "nothing left to approve: {}",
        page.body
    );
}
