//! Rehearsal-bound live runs over real HTTP, with the real `sleeper` plugin and a counting stand-in: a live
//! run performs only the writes its approved rehearsal showed; anything else is held for an operator, who
//! may allow it once (performed exactly once, audited) or stop it. The report route, and approvals that go
//! stale when the rehearsal changes or that hold no rehearsal.

use std::time::Duration;

use drydock_core::Actor;
use drydock_core::proposals::ProposedStep;
use drydock_tests::client::send;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::SLEEPER;
use serde_json::{Value, json};

use crate::support::{HostOptions, TestServer, start_server_with};

pub(crate) const OPERATOR: &str = "operator-token-for-rehearsal-tests";

pub(crate) async fn serve(peer: &Peer, data: &std::path::Path) -> TestServer {
    let policy = format!(
        "[plugins.sleeper]\nhttp = [{{ url = \"{}/\", methods = [\"POST\"] }}]\nlive = [\"http\"]\n",
        peer.base_url()
    );
    let options = HostOptions {
        master_switch: true,
        ..HostOptions::default()
    };
    start_server_with(&policy, &[SLEEPER], data, OPERATOR, options).await
}

pub(crate) async fn operator(server: &TestServer) -> Actor {
    server.core.authenticate(OPERATOR).await.unwrap().unwrap()
}

/// A session whose plan is one `sleeper.run` node, rehearsed at once (a proposal runs every node dry).
pub(crate) async fn rehearsed(server: &TestServer, args: Value) -> String {
    let step = ProposedStep {
        tool: "sleeper.run".into(),
        args,
        description: None,
    };
    let proposal = server
        .core
        .propose_plan(
            &operator(server).await,
            "sleeper",
            "a rehearsal test",
            vec![step],
        )
        .await
        .unwrap();
    proposal.session.id
}

pub(crate) async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    let answer = send(server.addr, method, path, Some(OPERATOR), body.as_deref()).await;
    let json = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, json)
}

pub(crate) async fn approve(server: &TestServer, session: &str) -> Value {
    let (status, plan) = call(
        server,
        "POST",
        &format!("/api/sessions/{session}/plan/approve"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    plan
}

pub(crate) async fn run_live(server: &TestServer, session: &str) -> (u16, Value) {
    call(
        server,
        "POST",
        &format!("/api/sessions/{session}/plan/execute-node"),
        Some(json!({"nodeId": "step-1", "mode": "live"})),
    )
    .await
}

/// Polls an execution until it has one of `statuses` (bounded: 200 × 25 ms).
pub(crate) async fn wait_until(server: &TestServer, correlation: &str, statuses: &[&str]) -> Value {
    for _ in 0..200 {
        let (status, execution) = call(
            server,
            "GET",
            &format!("/api/executions/{correlation}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{execution}");
        if statuses.contains(&execution["status"].as_str().unwrap_or_default()) {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("execution {correlation} never reached {statuses:?}");
}

pub(crate) async fn review(server: &TestServer, correlation: &str, decision: &str) -> (u16, Value) {
    call(
        server,
        "POST",
        &format!("/api/executions/{correlation}/review"),
        Some(json!({ "decision": decision })),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_only_made_live_is_held_for_review_and_allowed_once_performs_it_once() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = serve(&peer, data.path()).await;
    let base = peer.base_url();
    let session = rehearsed(
        &server,
        json!({"url": format!("{base}/hook"), "extraUrl": format!("{base}/sneaky")}),
    )
    .await;
    assert_eq!(peer.count(), 0, "the rehearsal sends nothing");
    approve(&server, &session).await;

    let (status, accepted) = run_live(&server, &session).await;
    assert_eq!(status, 202, "{accepted}");
    let correlation = accepted["correlationId"].as_str().unwrap().to_owned();
    let paused = wait_until(
        &server,
        &correlation,
        &["needs_review", "completed", "failed"],
    )
    .await;
    assert_eq!(paused["status"], "needs_review", "{paused}");
    let paths: Vec<String> = peer.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/hook"],
        "the rehearsed POST went out once, the extra one did not"
    );

    let (status, decided) = review(&server, &correlation, "allowOnce").await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(
        decided["effect"]["fingerprint"]["target"],
        format!("{base}/sneaky")
    );
    let done = wait_until(&server, &correlation, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
    let paths: Vec<String> = peer.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/hook", "/sneaky"],
        "allowed once: sent exactly once"
    );

    let (status, again) = review(&server, &correlation, "allowOnce").await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("nothing_to_review"))
    );
    let (_, audit) = call(
        &server,
        "GET",
        &format!("/api/audit?correlationId={correlation}"),
        None,
    )
    .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert!(actions.contains(&"execution.needs_review"), "{audit}");
    assert!(actions.contains(&"execution.review"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rehearsed_posts_allow_two_live_posts_and_the_third_is_held_then_stopped() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = serve(&peer, data.path()).await;
    let hook = format!("{}/hook", peer.base_url());
    // Live, the extra POST goes to the same URL with the same shape: only its count tells it apart.
    let session = rehearsed(&server, json!({"url": hook, "posts": 2, "extraUrl": hook})).await;
    approve(&server, &session).await;
    let (_, accepted) = run_live(&server, &session).await;
    let correlation = accepted["correlationId"].as_str().unwrap().to_owned();
    let paused = wait_until(
        &server,
        &correlation,
        &["needs_review", "completed", "failed"],
    )
    .await;
    assert_eq!(paused["status"], "needs_review", "{paused}");
    assert_eq!(peer.count(), 2, "two rehearsed, two sent");

    let (status, _) = review(&server, &correlation, "stop").await;
    assert_eq!(status, 200);
    let done = wait_until(&server, &correlation, &["completed", "failed"]).await;
    assert_eq!(
        done["status"], "failed",
        "a stopped review stops the step: {done}"
    );
    assert_eq!(peer.count(), 2, "the third POST was never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_binds_the_rehearsal_seen_and_a_node_without_one_cannot_go_live() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = serve(&peer, data.path()).await;
    let hook = format!("{}/hook", peer.base_url());
    let session = rehearsed(&server, json!({"url": hook, "extraUrl": hook})).await;
    let (_, report) = call(
        &server,
        "GET",
        &format!("/api/sessions/{session}/plan/rehearsal"),
        None,
    )
    .await;
    let actor = operator(&server).await;
    let stale = server
        .core
        .approve_plan_seen_rehearsal(&actor, &session, None, Some("not-the-hash-shown"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            drydock_core::CoreError::Conflict {
                code: "rehearsal_changed",
                ..
            }
        ),
        "{stale}"
    );
    let plan = server
        .core
        .approve_plan_seen_rehearsal(&actor, &session, None, report["hash"].as_str())
        .await
        .unwrap();
    assert_eq!(
        plan.approved_rehearsal_hash.as_deref(),
        report["hash"].as_str()
    );

    // The same dry run again shows the same writes: the approval stays good for live.
    let (status, dry) = call(
        &server,
        "POST",
        &format!("/api/sessions/{session}/plan/execute-node"),
        Some(json!({"nodeId": "step-1", "mode": "dry-run"})),
    )
    .await;
    assert_eq!(status, 202, "{dry}");
    wait_until(
        &server,
        dry["correlationId"].as_str().unwrap(),
        &["completed"],
    )
    .await;
    let (_, same) = call(
        &server,
        "GET",
        &format!("/api/sessions/{session}/plan/rehearsal"),
        None,
    )
    .await;
    assert_eq!(
        same["hash"], report["hash"],
        "the hash covers writes, not runs"
    );

    // A node whose dry run failed (its URL is not granted) has no rehearsal: approved, but never live.
    let failing = rehearsed(
        &server,
        json!({"url": "http://127.0.0.1:9/x", "extraUrl": hook}),
    )
    .await;
    let (_, report) = call(
        &server,
        "GET",
        &format!("/api/sessions/{failing}/plan/rehearsal"),
        None,
    )
    .await;
    assert_eq!(report["missing"], json!(["step-1"]), "{report}");
    approve(&server, &failing).await;
    let (status, refused) = run_live(&server, &failing).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "rehearsal_missing");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("step-1"),
        "{refused}"
    );
    assert_eq!(peer.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_groups_writes_by_node_capability_and_target_and_its_hash_is_stable() {
    let peer = Peer::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = serve(&peer, data.path()).await;
    let hook = format!("{}/hook", peer.base_url());
    let session = rehearsed(&server, json!({"url": hook, "posts": 3, "extraUrl": hook})).await;
    let path = format!("/api/sessions/{session}/plan/rehearsal");
    let (status, report) = call(&server, "GET", &path, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["missing"], json!([]));
    let node = &report["nodes"][0];
    assert_eq!(node["nodeId"], "step-1");
    assert_eq!(node["writes"], 3);
    let target = &node["capabilities"][0]["targets"][0];
    assert_eq!(node["capabilities"][0]["capability"], "http");
    assert_eq!(target["target"], hook);
    assert_eq!(target["effects"][0]["count"], 3);
    assert_eq!(target["effects"][0]["action"], "POST");
    assert_eq!(target["effects"][0]["shape"]["jsonKeys"], json!(["n"]));
    let (_, again) = call(&server, "GET", &path, None).await;
    assert_eq!(again["hash"], report["hash"]);

    // The API's approval may name the report it read; the approval then binds exactly that one.
    let approve_path = format!("/api/sessions/{session}/plan/approve");
    let (status, unknown) =
        call(&server, "POST", &format!("{approve_path}?sideways=1"), None).await;
    assert_eq!(status, 400, "{unknown}");
    let (status, stale) = call(
        &server,
        "POST",
        &format!("{approve_path}?rehearsalHash=nope"),
        None,
    )
    .await;
    assert_eq!(
        (status, stale["error"]["code"].as_str()),
        (409, Some("rehearsal_changed")),
        "{stale}"
    );
    let hash = report["hash"].as_str().unwrap();
    let (status, plan) = call(
        &server,
        "POST",
        &format!("{approve_path}?rehearsalHash={hash}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["approval"]["approvedRehearsalHash"], hash, "{plan}");

    let (status, _) = call(
        &server,
        "GET",
        "/api/sessions/no-such-session/plan/rehearsal",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &server,
        "POST",
        "/api/executions/no-such/review",
        Some(json!({"decision": "sideways"})),
    )
    .await;
    assert_eq!(status, 400);
}
