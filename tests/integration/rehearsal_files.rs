//! Rehearsal-bound live runs that write files, with the real `sleeper` plugin and a real directory: a file
//! write the rehearsal showed is applied to the real directory; one it did not show stays out of it until an
//! operator (not a user) allows it once. A write whose target depends on a read: the read may change
//! between rehearsal and live, the write's target may not; and a dry run after approval that shows other
//! writes makes the approval stale for live (`rehearsal_changed`) until the rehearsal is the approved one.
//! The grant's file rules are checked again on what a live run is about to apply: a rehearsal within
//! `max_files` does not let a live run that writes more through.

use std::path::Path;

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::plugins::SLEEPER;
use serde_json::{Value, json};

use crate::rehearsal_live::{OPERATOR, approve, call, rehearsed, review, run_live, wait_until};
use crate::support::{HostOptions, TestServer, start_server_with};

/// A server whose `sleeper` may write `workspace` live (master switch on).
async fn serve(workspace: &Path, data: &Path) -> TestServer {
    serve_ruled(workspace, data, "").await
}

/// As [`serve`], with `rules` (e.g. `, max_files = 1`) added to the fs grant.
async fn serve_ruled(workspace: &Path, data: &Path, rules: &str) -> TestServer {
    let policy = format!(
        "[plugins.sleeper]\nfs = [{{ path = {:?}, access = \"rw\"{rules} }}]\nlive = [\"fs\"]\n",
        workspace.display().to_string()
    );
    let options = HostOptions {
        master_switch: true,
        ..HostOptions::default()
    };
    start_server_with(&policy, &[SLEEPER], data, OPERATOR, options).await
}

async fn dry_run(server: &TestServer, session: &str) {
    let (status, dry) = call(
        server,
        "POST",
        &format!("/api/sessions/{session}/plan/execute-node"),
        Some(json!({"nodeId": "step-1", "mode": "dry-run"})),
    )
    .await;
    assert_eq!(status, 202, "{dry}");
    let done = wait_until(
        server,
        dry["correlationId"].as_str().unwrap(),
        &["completed", "failed"],
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
}

async fn report(server: &TestServer, session: &str) -> Value {
    let (status, report) = call(
        server,
        "GET",
        &format!("/api/sessions/{session}/plan/rehearsal"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    report
}

/// Starts a live run of `step-1` and waits until it pauses or ends.
async fn live_until_paused(server: &TestServer, session: &str) -> (String, Value) {
    let (status, accepted) = run_live(server, session).await;
    assert_eq!(status, 202, "{accepted}");
    let correlation = accepted["correlationId"].as_str().unwrap().to_owned();
    let state = wait_until(
        server,
        &correlation,
        &["needs_review", "completed", "failed"],
    )
    .await;
    (correlation, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehearsed_file_write_is_applied_live_and_an_unrehearsed_one_waits_for_an_operator() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = serve(ws.path(), data.path()).await;
    let session = rehearsed(&server, json!({"file": "a.txt", "extraFile": "b.txt"})).await;
    assert!(
        !ws.path().join("a.txt").exists(),
        "the rehearsal wrote a scratch copy only"
    );
    let shown = report(&server, &session).await;
    let node = &shown["nodes"][0];
    assert_eq!(node["writes"], 1, "{shown}");
    assert_eq!(node["capabilities"][0]["capability"], "fs", "{shown}");
    assert_eq!(
        node["capabilities"][0]["targets"][0]["target"], "/workspace/a.txt",
        "{shown}"
    );
    assert!(
        node["diffs"][0]["text"]
            .as_str()
            .is_some_and(|d| d.contains("+written by sleeper")),
        "the report carries the diff: {shown}"
    );
    approve(&server, &session).await;

    let (correlation, paused) = live_until_paused(&server, &session).await;
    rehearsed_write_applied_and_extra_held(ws.path(), &paused);

    // A user may not release a held write, whoever they are; the write stays held.
    let user = server
        .core
        .add_user("ursula", "correct horse", Role::User, "test")
        .await
        .unwrap();
    let refused = send(
        server.addr,
        "POST",
        &format!("/api/executions/{correlation}/review"),
        Some(&user),
        Some(r#"{"decision":"allowOnce"}"#),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("operator"), "{}", refused.body);
    assert!(!ws.path().join("b.txt").exists());

    let (status, decided) = review(&server, &correlation, "allowOnce").await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(
        decided["effect"]["fingerprint"]["target"],
        "/workspace/b.txt"
    );
    let done = wait_until(&server, &correlation, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("b.txt")).unwrap(),
        "written by sleeper\n",
        "allowed once: applied"
    );
    let (_, audit) = call(
        &server,
        "GET",
        &format!("/api/audit?correlationId={correlation}"),
        None,
    )
    .await;
    let reviews: Vec<&Value> = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["action"] == "execution.review")
        .collect();
    assert_eq!(reviews.len(), 1, "only the operator's decision: {audit}");
    assert_eq!(reviews[0]["detail"]["decision"], "allowOnce", "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_target_follows_a_read_may_not_move_and_a_changed_rehearsal_is_stale() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(ws.path().join("name.txt"), "a.txt").unwrap();
    let server = serve(ws.path(), data.path()).await;
    let session = rehearsed(&server, json!({"fileFrom": "name.txt"})).await;
    let approved = report(&server, &session).await;
    approve(&server, &session).await;

    // The read changes after approval and moves the write: not performed, held, stopped.
    std::fs::write(ws.path().join("name.txt"), "b.txt").unwrap();
    let (correlation, paused) = live_until_paused(&server, &session).await;
    assert_eq!(paused["status"], "needs_review", "{paused}");
    let (status, _) = review(&server, &correlation, "stop").await;
    assert_eq!(status, 200);
    let done = wait_until(&server, &correlation, &["completed", "failed"]).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(!ws.path().join("b.txt").exists() && !ws.path().join("a.txt").exists());

    // A dry run now shows the other write: the rehearsal changed, and the approval is stale for live.
    dry_run(&server, &session).await;
    let changed = report(&server, &session).await;
    assert_ne!(changed["hash"], approved["hash"], "{changed}");
    let (status, refused) = run_live(&server, &session).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "rehearsal_changed", "{refused}");

    // The read changes again (other bytes, same name): the rehearsal is the approved one once more, and the
    // live run performs its rehearsed write.
    std::fs::write(ws.path().join("name.txt"), "a.txt\n\n").unwrap();
    dry_run(&server, &session).await;
    assert_eq!(report(&server, &session).await["hash"], approved["hash"]);
    let (_, finished) = live_until_paused(&server, &session).await;
    assert_eq!(finished["status"], "completed", "{finished}");
    assert!(ws.path().join("a.txt").exists() && !ws.path().join("b.txt").exists());
}

/// The effects of an execution as (action, outcome, reason).
fn effects(execution: &Value) -> Vec<(String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    execution["effects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let detail = &e["detail"];
            (
                text(&e["action"]),
                text(&detail["outcome"]),
                text(&detail["reason"]),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_that_writes_more_files_than_max_files_is_denied_though_its_rehearsal_passed() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(ws.path().join("a.txt"), "before\n").unwrap();
    let server = serve_ruled(ws.path(), data.path(), ", max_files = 1").await;
    // The rehearsal writes one file (within the rule); live, the plugin writes a second.
    let session = rehearsed(&server, json!({"file": "a.txt", "extraFile": "b.txt"})).await;
    assert_eq!(report(&server, &session).await["nodes"][0]["writes"], 1);
    approve(&server, &session).await;

    let (correlation, done) = live_until_paused(&server, &session).await;
    assert_eq!(
        done["status"], "failed",
        "denied, not held for review: {done}"
    );
    let execution = wait_until(&server, &correlation, &["failed"]).await;
    let denied: Vec<_> = effects(&execution)
        .into_iter()
        .filter(|(_, outcome, _)| outcome == "denied")
        .collect();
    assert_eq!(
        denied,
        [(
            "write /workspace".to_owned(),
            "denied".to_owned(),
            "rule max_files: the call changed 2 files, the grant allows 1 (fs grant /workspace)"
                .to_owned()
        )],
        "{execution}"
    );
    // The whole mount's changes were refused: the rehearsed write too, so nothing is half-applied.
    assert_eq!(
        std::fs::read_to_string(ws.path().join("a.txt")).unwrap(),
        "before\n"
    );
    assert!(!ws.path().join("b.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_within_max_files_applies_its_rehearsed_write_as_before() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(ws.path().join("a.txt"), "before\n").unwrap();
    let server = serve_ruled(ws.path(), data.path(), ", max_files = 2").await;
    let session = rehearsed(&server, json!({"file": "a.txt", "extraFile": "b.txt"})).await;
    approve(&server, &session).await;

    let (correlation, paused) = live_until_paused(&server, &session).await;
    rehearsed_write_applied_and_extra_held(ws.path(), &paused);
    let (status, _) = review(&server, &correlation, "stop").await;
    assert_eq!(status, 200);
    let done = wait_until(&server, &correlation, &["completed", "failed"]).await;
    assert!(
        effects(&done)
            .iter()
            .all(|(_, _, reason)| !reason.starts_with("rule ")),
        "{done}"
    );
    assert!(!ws.path().join("b.txt").exists());
}

/// A live run of the sleeper paused for review: the write it rehearsed (`a.txt`) is applied, the one it
/// did not (`b.txt`) is held.
fn rehearsed_write_applied_and_extra_held(ws: &std::path::Path, paused: &serde_json::Value) {
    assert_eq!(paused["status"], "needs_review", "{paused}");
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "written by sleeper\n",
        "the rehearsed write was applied"
    );
    assert!(!ws.join("b.txt").exists(), "the unrehearsed write is held");
}
