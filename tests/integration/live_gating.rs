//! A write goes live only when the master switch, the LivePolicy and a live request are all present; each
//! missing one leaves it simulated, with the reason journaled.

use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::JIRA;
use serde_json::json;

use crate::support::{HostOptions, dry, effects_with, host, live, ok};

fn policy(peer: &Peer, live: &str) -> String {
    format!(
        r#"
[plugins.jira]
http = [{{ url = "{}/rest/api/2/", methods = ["GET", "POST"] }}]
secrets = ["JIRA_TOKEN"]
env = ["JIRA_BASE_URL"]
live = [{live}]
"#,
        peer.base_url()
    )
}

async fn jira_host(peer: &Peer, live_list: &str, master_switch: bool) -> drydock_runtime::Runtime {
    let base = peer.base_url();
    let options = HostOptions {
        master_switch,
        secrets: vec![("JIRA_TOKEN", "tok")],
        env: vec![("JIRA_BASE_URL", &base)],
        ..HostOptions::default()
    };
    host(&policy(peer, live_list), &[JIRA], options).await
}

const COMMENT: fn() -> serde_json::Value = || json!({"key": "ABC-7", "body": "shipped"});

#[tokio::test]
async fn live_post_reaches_the_peer_exactly_once_with_all_three_conditions() {
    let peer = Peer::start().await;
    let runtime = jira_host(&peer, r#""http""#, true).await;
    let report = live(&runtime, "jira.add_comment", COMMENT()).await;
    let result = ok(&report);
    assert_eq!(result["id"], "20001", "{result}");
    let sent = peer.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].path, "/rest/api/2/issue/ABC-7/comment");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&sent[0].body).unwrap(),
        json!({"body": "shipped"})
    );
    let lives = effects_with(&report, Outcome::Live);
    assert_eq!(lives.len(), 1);
    assert_eq!(lives[0].detail["status"], 201);
}

#[tokio::test]
async fn without_the_master_switch_a_live_request_is_simulated() {
    let peer = Peer::start().await;
    let runtime = jira_host(&peer, r#""http""#, false).await;
    let report = live(&runtime, "jira.add_comment", COMMENT()).await;
    ok(&report);
    assert_eq!(peer.count(), 0);
    let simulated = effects_with(&report, Outcome::Simulated);
    assert_eq!(simulated.len(), 1);
    assert!(
        simulated[0].reason.contains("DRYDOCK_LIVE"),
        "{}",
        simulated[0].reason
    );
}

#[tokio::test]
async fn without_the_live_policy_a_live_request_is_simulated() {
    let peer = Peer::start().await;
    let runtime = jira_host(&peer, "", true).await;
    let report = live(&runtime, "jira.add_comment", COMMENT()).await;
    ok(&report);
    assert_eq!(peer.count(), 0);
    let simulated = effects_with(&report, Outcome::Simulated);
    assert!(
        simulated[0].reason.contains("LivePolicy"),
        "{}",
        simulated[0].reason
    );
}

#[tokio::test]
async fn without_a_live_request_the_write_is_simulated() {
    let peer = Peer::start().await;
    let runtime = jira_host(&peer, r#""http""#, true).await;
    let report = dry(&runtime, "jira.add_comment", COMMENT()).await;
    ok(&report);
    assert_eq!(peer.count(), 0);
    let simulated = effects_with(&report, Outcome::Simulated);
    assert!(
        simulated[0].reason.contains("dry-run"),
        "{}",
        simulated[0].reason
    );
}

#[tokio::test]
async fn live_policy_changes_apply_to_the_next_invocation() {
    let peer = Peer::start().await;
    let runtime = jira_host(&peer, "", true).await;
    ok(&live(&runtime, "jira.add_comment", COMMENT()).await);
    assert_eq!(peer.count(), 0);
    runtime
        .set_live(
            "jira",
            [drydock_policy::Capability::Http].into_iter().collect(),
        )
        .expect("jira has an http grant");
    ok(&live(&runtime, "jira.add_comment", COMMENT()).await);
    assert_eq!(peer.count(), 1);
    assert!(
        runtime
            .set_live(
                "jira",
                [drydock_policy::Capability::Fs].into_iter().collect()
            )
            .is_err()
    );
}
