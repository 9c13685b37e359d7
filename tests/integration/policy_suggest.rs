//! `GET /api/policy/suggest` on the demo plan over real HTTP: the suggested policy narrows the grants to
//! what the rehearsal used, the same plan rehearses identically under it, and one step narrower it does not.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{JIRA, TEMPLATE_PLANNER, WORKSPACE};
use serde_json::Value;

use crate::support::{HostOptions, TestServer, start_server_with};

const OPERATOR: &str = "operator-token-for-suggest-tests";
const WORK_ITEM: &str = r#"{"workItem": {"id": "ABC-123", "title": "Retry failed uploads", "description": "Uploads fail on flaky networks", "type": "feature", "labels": ["backend"]}}"#;

/// A deliberately wide policy: every method on the Jira API, a secret nobody reads, a second rw directory.
fn wide_policy(peer: &Peer, workspace: &Path, spare: &Path) -> String {
    format!(
        r#"# wide on purpose
[plugins.jira]
http = [{{ url = "{}/rest/api/2/", methods = ["GET", "POST", "PUT", "DELETE"] }}]
secrets = ["JIRA_TOKEN", "SPARE_TOKEN"]
env = ["JIRA_BASE_URL"]

[plugins.workspace]
fs = [{{ path = {:?}, access = "rw" }}, {{ path = {:?}, access = "rw", mount = "/spare" }}]
"#,
        peer.base_url(),
        workspace.display().to_string(),
        spare.display().to_string(),
    )
}

async fn start(policy: &str, peer: &Peer, data: &Path) -> TestServer {
    let base = peer.base_url();
    let options = HostOptions {
        secrets: vec![("JIRA_TOKEN", "tok"), ("SPARE_TOKEN", "spare")],
        env: vec![("JIRA_BASE_URL", &base)],
        ..HostOptions::default()
    };
    start_server_with(
        policy,
        &[TEMPLATE_PLANNER, WORKSPACE, JIRA],
        data,
        OPERATOR,
        options,
    )
    .await
}

/// Creates a session, generates the demo plan and dry-runs every node in order; returns the session id and
/// the effects of the whole rehearsal as `(plugin, action, outcome)` counts.
async fn rehearse(addr: SocketAddr) -> (String, BTreeMap<(String, String, String), usize>) {
    let created = send(
        addr,
        "POST",
        "/api/sessions",
        Some(OPERATOR),
        Some(WORK_ITEM),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let session = created.json()["sessionId"].as_str().unwrap().to_owned();
    let plan = send(
        addr,
        "POST",
        &format!("/api/sessions/{session}/plan/generate"),
        Some(OPERATOR),
        Some("{}"),
    )
    .await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    let mut effects = BTreeMap::new();
    for node in plan.json()["nodes"].as_array().unwrap() {
        let body = serde_json::json!({ "nodeId": node["nodeId"] }).to_string();
        let started = send(
            addr,
            "POST",
            &format!("/api/sessions/{session}/plan/execute-node"),
            Some(OPERATOR),
            Some(&body),
        )
        .await;
        assert_eq!(started.status, 202, "{}", started.body);
        let correlation = started.json()["correlationId"].as_str().unwrap().to_owned();
        let execution = wait_for(addr, &correlation).await;
        for effect in execution["effects"].as_array().unwrap() {
            let key = (
                effect["plugin"].as_str().unwrap().to_owned(),
                effect["action"].as_str().unwrap().to_owned(),
                effect["detail"]["outcome"].as_str().unwrap().to_owned(),
            );
            *effects.entry(key).or_default() += 1;
        }
    }
    (session, effects)
}

/// Polls an execution until it is terminal (bounded: 200 × 50 ms); it must have completed.
async fn wait_for(addr: SocketAddr, correlation: &str) -> Value {
    for _ in 0..200 {
        let answer = send(
            addr,
            "GET",
            &format!("/api/executions/{correlation}"),
            Some(OPERATOR),
            None,
        )
        .await;
        let execution = answer.json();
        match execution["status"].as_str().unwrap() {
            "completed" | "failed" | "interrupted" => return execution,
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("execution {correlation} did not finish");
}

async fn suggest(addr: SocketAddr, query: &str, token: &str) -> drydock_tests::client::Answer {
    send(
        addr,
        "GET",
        &format!("/api/policy/suggest?{query}"),
        Some(token),
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suggested_policy_rehearses_the_demo_plan_identically_and_one_step_narrower_does_not() {
    let peer = Peer::start().await;
    let (workspace, spare) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(
        workspace.path().join("upload.rs"),
        "// ABC-123: retry uploads\n",
    )
    .unwrap();
    let config = tempfile::tempdir().unwrap();
    let policy_file = config.path().join("drydock.toml");
    let wide = wide_policy(&peer, workspace.path(), spare.path());
    std::fs::write(&policy_file, &wide).unwrap();

    let data = tempfile::tempdir().unwrap();
    let server = start(&wide, &peer, data.path()).await;
    server.core.set_policy_file(Some(policy_file.clone()));
    let (session, rehearsal) = rehearse(server.addr).await;
    assert!(
        rehearsal
            .keys()
            .any(|(_, action, outcome)| action.starts_with("POST ") && outcome == "simulated"),
        "the demo plan rehearses a Jira comment: {rehearsal:#?}"
    );
    assert!(
        rehearsal.keys().all(|(_, _, outcome)| outcome != "denied"),
        "{rehearsal:#?}"
    );

    let answer = suggest(server.addr, &format!("session={session}"), OPERATOR).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let suggestion = answer.json();
    let suggested = suggestion["policy"].as_str().unwrap().to_owned();
    assert_eq!(suggestion["policyFile"], policy_file.display().to_string());
    assert!(suggested.starts_with("# wide on purpose\n"), "{suggested}");
    assert!(
        !suggested.contains("DELETE") && !suggested.contains("PUT"),
        "{suggested}"
    );
    assert!(!suggested.contains("SPARE_TOKEN"), "{suggested}");
    assert!(
        suggestion["diff"].as_str().unwrap().contains("-http = "),
        "{suggestion}"
    );
    let unused: Vec<&str> = suggestion["unusedGrants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(unused, ["jira: secret SPARE_TOKEN"], "{suggestion}");
    let change_of = |grant_start: &str| {
        suggestion["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["grant"].as_str().unwrap().starts_with(grant_start))
            .map(|c| c["change"].as_str().unwrap().to_owned())
    };
    assert_eq!(change_of("http ").as_deref(), Some("narrowed"));
    assert_eq!(change_of("env JIRA_BASE_URL").as_deref(), Some("untraced"));
    let spare_grant = format!("fs {}", spare.path().display());
    assert_eq!(change_of(&spare_grant).as_deref(), Some("readOnly"));

    // The same plan, rehearsed on a fresh server under the suggested policy: the same effects.
    let data = tempfile::tempdir().unwrap();
    let narrowed = start(&suggested, &peer, data.path()).await;
    let (_, again) = rehearse(narrowed.addr).await;
    assert_eq!(
        again, rehearsal,
        "the suggested policy changes the rehearsal:\n{suggested}"
    );

    // One step narrower (the comment's POST grant gone): the rehearsal differs, with a denial.
    let narrower: String = suggested
        .lines()
        .map(|line| {
            if line.starts_with("http = ") {
                line.replace(r#", methods = ["POST"] }"#, r#", methods = ["PATCH"] }"#)
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(
        narrower,
        suggested.trim_end(),
        "the POST grant was found:\n{suggested}"
    );
    let data = tempfile::tempdir().unwrap();
    let too_narrow = start(&narrower, &peer, data.path()).await;
    let (_, differs) = rehearse(too_narrow.addr).await;
    assert_ne!(differs, rehearsal);
    assert!(
        differs
            .keys()
            .any(|(_, action, outcome)| action.starts_with("POST ") && outcome == "denied"),
        "{differs:#?}"
    );
    assert!(
        peer.requests().iter().all(|r| r.method == "GET"),
        "a rehearsal never reaches Jira with a write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggest_refuses_bad_traces_non_operators_and_a_server_without_a_policy_file() {
    let peer = Peer::start().await;
    let (workspace, spare) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let wide = wide_policy(&peer, workspace.path(), spare.path());
    let data = tempfile::tempdir().unwrap();
    let server = start(&wide, &peer, data.path()).await;
    let user = server
        .core
        .add_user("bob", "pw-bob", Role::User, "test")
        .await
        .unwrap();

    // Without a policy file there is nothing to narrow, and the answer says how to start the server.
    let created = send(
        server.addr,
        "POST",
        "/api/sessions",
        Some(OPERATOR),
        Some(WORK_ITEM),
    )
    .await;
    let session = created.json()["sessionId"].as_str().unwrap().to_owned();
    let answer = suggest(server.addr, &format!("session={session}"), OPERATOR).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("nothing_traced"), "{}", answer.body);

    let config = tempfile::tempdir().unwrap();
    let policy_file = config.path().join("drydock.toml");
    std::fs::write(&policy_file, &wide).unwrap();
    for (query, status, says) in [
        ("", 400, "exactly one"),
        ("execution=a&session=b", 400, "exactly one"),
        ("execution=a&bogus=1", 400, "bogus"),
        ("execution=no-such-execution", 404, "no-such-execution"),
        ("run=no-such-run", 404, "no-such-run"),
        ("session=no-such-session", 404, "no-such-session"),
    ] {
        server.core.set_policy_file(Some(policy_file.clone()));
        let answer = suggest(server.addr, query, OPERATOR).await;
        assert_eq!(answer.status, status, "`{query}`: {}", answer.body);
        assert!(answer.body.contains(says), "`{query}`: {}", answer.body);
    }
    let answer = suggest(server.addr, &format!("session={session}"), &user).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let answer = send(
        server.addr,
        "GET",
        "/api/policy/suggest?session=x",
        None,
        None,
    )
    .await;
    assert_eq!(answer.status, 401, "{}", answer.body);

    // A policy file broken after the start is named, and nothing is suggested.
    let (session, _) = rehearse(server.addr).await;
    std::fs::write(&policy_file, "[plugins.jira]\nhttp = 3\n").unwrap();
    let answer = suggest(server.addr, &format!("session={session}"), OPERATOR).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.body.contains("policy_file_invalid"),
        "{}",
        answer.body
    );
    server.core.set_policy_file(None);
    let answer = suggest(server.addr, &format!("session={session}"), OPERATOR).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.body.contains("no_policy_file") && answer.body.contains("--config"),
        "{}",
        answer.body
    );
}
