//! What the console's plan pages refuse, over real loopback HTTP: another user's session, forms without
//! the CSRF token, a user's forged live run (while an operator sees what live would need), malformed,
//! unknown and oversized input. Each refusal is a page that says what to do, and changes nothing.

use drydock_core::Role;
use drydock_tests::client::send_form;
use serde_json::json;

use crate::console_auth::signed_in;
use crate::console_plans::{act, finished, person, planned_session, start, workspace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_session_and_its_runs_are_not_found_and_their_forms_change_nothing() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    person(&server, "bob", Role::User).await;
    let id = planned_session(&server, &alice).await;
    let correlation = server
        .core
        .execute_node(&alice, &id, "analyze", drydock_policy::Mode::DryRun)
        .await
        .unwrap();
    finished(&server, &alice, &correlation).await;

    let mut bob = signed_in(&server, "bob", "correct horse").await;
    let list = bob.get_page(server.addr, "/plans").await;
    assert!(!list.body.contains(&id), "bob's list has no alice session");
    for path in [
        format!("/plans/{id}"),
        format!("/plans/{id}/executions/{correlation}"),
        format!("/plans/{id}/rehearsal"),
    ] {
        let page = bob.get_page(server.addr, &path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(
            page.body.contains("not yours") && !page.body.contains("ABC-123"),
            "{path}: {}",
            page.body
        );
    }
    let plan = server
        .core
        .current_plan(&alice, &id)
        .await
        .unwrap()
        .unwrap();
    let approve = act(
        &mut bob,
        &server,
        &format!("/plans/{id}/approve"),
        &[("hash", &plan.content_hash)],
    )
    .await;
    assert_eq!(approve.status, 404, "{}", approve.body);
    let run = act(
        &mut bob,
        &server,
        &format!("/plans/{id}/execute"),
        &[("node_id", "analyze")],
    )
    .await;
    assert_eq!(run.status, 404, "{}", run.body);
    let (plan, runs) = server.core.plan_executions(&alice, &id).await.unwrap();
    assert!(
        plan.unwrap().approved_hash.is_none() && runs.len() == 1,
        "bob changed nothing"
    );

    // Alice's own execution under another of her sessions' paths is not found either.
    let alice_jar = &mut signed_in(&server, "alice", "correct horse").await;
    let other = server
        .core
        .create_session(
            &alice,
            json!({"id": "X-1", "title": "Other", "description": ""}),
        )
        .await
        .unwrap();
    let crossed = alice_jar
        .get_page(
            server.addr,
            &format!("/plans/{}/executions/{correlation}", other.id),
        )
        .await;
    assert_eq!(crossed.status, 404, "{}", crossed.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    let id = planned_session(&server, &alice).await;
    let mut jar = signed_in(&server, "alice", "correct horse").await;
    let plan = server
        .core
        .current_plan(&alice, &id)
        .await
        .unwrap()
        .unwrap();
    for (path, form) in [
        ("/plans".to_owned(), vec![("key", "K-1"), ("title", "T")]),
        (
            format!("/plans/{id}/approve"),
            vec![("hash", plan.content_hash.as_str())],
        ),
        (format!("/plans/{id}/execute"), vec![("node_id", "analyze")]),
        (
            format!("/plans/{id}/generate"),
            vec![("force", "1"), ("_csrf", "forged")],
        ),
    ] {
        let refused = jar.post(server.addr, &path, &form).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(
            refused.body.contains("CSRF token"),
            "{path}: {}",
            refused.body
        );
    }
    assert_eq!(server.core.sessions(&alice).await.unwrap().len(), 1);
    let (plan, runs) = server.core.plan_executions(&alice, &id).await.unwrap();
    let plan = plan.unwrap();
    assert!(plan.approved_hash.is_none() && plan.version == 1 && runs.is_empty());
    // Signed out, a form sends the visitor to sign in.
    let anonymous = send_form(server.addr, &format!("/plans/{id}/generate"), &[], &[]).await;
    assert_eq!(anonymous.status, 303);
    assert!(
        anonymous
            .header("location")
            .unwrap()
            .starts_with("/sign-in")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_forged_live_run_is_refused_while_an_operator_sees_what_live_would_need() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    person(&server, "olga", Role::Operator).await;
    let id = planned_session(&server, &alice).await;
    // A live run may only do what its approved rehearsal showed: rehearse the node before approving.
    let rehearsal = server
        .core
        .execute_node(&alice, &id, "analyze", drydock_policy::Mode::DryRun)
        .await
        .unwrap();
    finished(&server, &alice, &rehearsal).await;
    server.core.approve_plan(&alice, &id).await.unwrap();
    let mut jar = signed_in(&server, "alice", "correct horse").await;
    let forged = act(
        &mut jar,
        &server,
        &format!("/plans/{id}/execute"),
        &[("node_id", "analyze"), ("mode", "live")],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        forged.body.contains("node `analyze` did not start") && forged.body.contains("operator"),
        "{}",
        forged.body
    );
    assert!(!forged.body.contains("Run live"), "{}", forged.body);
    assert!(
        server
            .core
            .plan_executions(&alice, &id)
            .await
            .unwrap()
            .1
            .len()
            == 1,
        "nothing ran but the rehearsal"
    );

    let mut olga = signed_in(&server, "olga", "correct horse").await;
    let page = olga.get_page(server.addr, &format!("/plans/{id}")).await;
    assert_eq!(
        page.status, 200,
        "an operator sees every session: {}",
        page.body
    );
    for needle in [
        "Run live",
        "What a live run may do",
        "Master switch: <strong>off</strong>",
        "LivePolicy for <code>workspace</code>: nothing live",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing: {}",
            page.body
        );
    }
    let live = act(
        &mut olga,
        &server,
        &format!("/plans/{id}/execute"),
        &[("node_id", "analyze"), ("mode", "live")],
    )
    .await;
    assert_eq!(live.status, 303, "{}", live.body);
    let view = olga
        .get_page(server.addr, live.header("location").unwrap())
        .await;
    assert!(
        view.body.contains("Live run of node analyze") && view.body.contains("live run"),
        "{}",
        view.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_unknown_and_oversized_input_gets_an_answer_that_says_what_to_fix() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    let id = planned_session(&server, &alice).await;
    let mut jar = signed_in(&server, "alice", "correct horse").await;

    let no_key = act(
        &mut jar,
        &server,
        "/plans",
        &[("title", "Keep <this> title")],
    )
    .await;
    assert_eq!(no_key.status, 400, "{}", no_key.body);
    assert!(
        no_key.body.contains("enter the work item's key"),
        "{}",
        no_key.body
    );
    assert!(
        no_key.body.contains("value=\"Keep &lt;this&gt; title\""),
        "input kept, escaped: {}",
        no_key.body
    );
    let long_key = "K".repeat(200);
    let core_says = act(
        &mut jar,
        &server,
        "/plans",
        &[("key", &long_key), ("title", "T")],
    )
    .await;
    assert_eq!(core_says.status, 400, "{}", core_says.body);
    assert!(
        core_says.body.contains("at most 128 characters"),
        "{}",
        core_says.body
    );
    let big = "x".repeat(300 * 1024);
    let oversized = act(
        &mut jar,
        &server,
        "/plans",
        &[("key", "K"), ("title", "T"), ("description", &big)],
    )
    .await;
    assert_eq!(oversized.status, 413, "{}", oversized.body.len());
    assert!(oversized.body.contains("larger than 256 KiB"));
    assert_eq!(
        server.core.sessions(&alice).await.unwrap().len(),
        1,
        "no session from bad forms"
    );

    let bad_mode = act(
        &mut jar,
        &server,
        &format!("/plans/{id}/execute"),
        &[("node_id", "analyze"), ("mode", "sideways")],
    )
    .await;
    assert_eq!(bad_mode.status, 400, "{}", bad_mode.body);
    assert!(
        bad_mode.body.contains("the mode must be dry-run or live"),
        "{}",
        bad_mode.body
    );
    let no_node = act(
        &mut jar,
        &server,
        &format!("/plans/{id}/execute"),
        &[("node_id", "nope")],
    )
    .await;
    assert_eq!(no_node.status, 404, "{}", no_node.body);
    assert!(
        no_node.body.contains("has no node `nope`"),
        "{}",
        no_node.body
    );
    let empty = act(&mut jar, &server, &format!("/plans/{id}/execute"), &[]).await;
    assert_eq!(empty.status, 400, "{}", empty.body);

    for path in [
        "/plans/no-such-session",
        &format!("/plans/{id}/executions/no-such-run"),
        "/plans/no-such-session/rehearsal",
    ] {
        let page = jar.get_page(server.addr, path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("Back to the console"), "{path}");
    }
    let unknown = act(&mut jar, &server, "/plans/no-such-session/generate", &[]).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_checks_the_shown_hash_in_the_approving_transaction() {
    let (ws, data) = (workspace(), tempfile::tempdir().unwrap());
    let server = start(ws.path(), data.path()).await;
    let alice = person(&server, "alice", Role::User).await;
    let id = planned_session(&server, &alice).await;
    let stale = "0".repeat(64);
    let refused = server
        .core
        .approve_plan_seen(&alice, &id, Some(&stale))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, drydock_core::CoreError::Conflict { message, .. } if message.contains("nothing was approved")),
        "{refused:?}"
    );
    let plan = server
        .core
        .current_plan(&alice, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        plan.approved_hash.is_none(),
        "nothing was approved: {plan:?}"
    );
    let approved = server
        .core
        .approve_plan_seen(&alice, &id, Some(&plan.content_hash))
        .await
        .unwrap();
    assert_eq!(
        approved.approved_hash.as_deref(),
        Some(plan.content_hash.as_str())
    );
}
