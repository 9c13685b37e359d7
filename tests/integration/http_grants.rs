//! HTTP grants: granted reads go out, ungranted hosts are denied before anything leaves, dry-run writes are
//! answered by the host.

use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{HTTP, JIRA};
use serde_json::json;

use crate::support::{HostOptions, dry, effects_with, err_code, host, ok};

/// A runtime with the `http` plugin granted GET and POST under the peer's `/api/`.
async fn http_host(peer: &Peer) -> drydock_runtime::Runtime {
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/api/\", methods = [\"GET\", \"POST\"] }}]\n",
        peer.base_url()
    );
    host(&policy, &[HTTP], HostOptions::default()).await
}

#[tokio::test]
async fn granted_get_goes_out_and_is_journaled_as_read() {
    let peer = Peer::start().await;
    let runtime = http_host(&peer).await;
    let report = dry(
        &runtime,
        "http.request",
        json!({"url": format!("{}/api/items", peer.base_url())}),
    )
    .await;
    let result = ok(&report);
    assert_eq!(result["status"], 200);
    assert_eq!(peer.count(), 1);
    let reads = effects_with(&report, Outcome::Read);
    assert_eq!(reads.len(), 1, "{:#?}", report.record.effects);
    assert_eq!(
        reads[0].action,
        format!("GET {}/api/items", peer.base_url())
    );
    assert_eq!(reads[0].detail["status"], 200);
}

#[tokio::test]
async fn denies_a_path_outside_the_granted_prefix_without_sending() {
    let peer = Peer::start().await;
    let runtime = http_host(&peer).await;
    let report = dry(
        &runtime,
        "http.request",
        json!({"url": format!("{}/admin", peer.base_url())}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
    assert_eq!(peer.count(), 0);
    let denied = effects_with(&report, Outcome::Denied);
    assert_eq!(denied.len(), 1);
    assert!(denied[0].reason.contains("http"), "{}", denied[0].reason);
}

#[tokio::test]
async fn denies_a_method_the_grant_does_not_list() {
    let peer = Peer::start().await;
    let runtime = http_host(&peer).await;
    let url = format!("{}/api/items/1", peer.base_url());
    let report = dry(
        &runtime,
        "http.request",
        json!({"url": url, "method": "DELETE"}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
    assert_eq!(peer.count(), 0);
    assert!(
        effects_with(&report, Outcome::Denied)[0]
            .reason
            .contains("DELETE")
    );
}

#[tokio::test]
async fn nothing_is_reachable_without_a_grant() {
    let peer = Peer::start().await;
    let runtime = host("", &[HTTP], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "http.request",
        json!({"url": format!("{}/api/items", peer.base_url())}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
    assert_eq!(peer.count(), 0);
}

#[tokio::test]
async fn dry_run_post_is_simulated_not_sent() {
    let peer = Peer::start().await;
    let runtime = http_host(&peer).await;
    let url = format!("{}/api/items", peer.base_url());
    let report = dry(
        &runtime,
        "http.request",
        json!({"url": url, "method": "POST", "body": "{\"a\":1}"}),
    )
    .await;
    let result = ok(&report);
    assert_eq!(peer.count(), 0, "a dry-run write must not reach the peer");
    assert_eq!(result["status"], 202);
    assert_eq!(result["headers"]["x-drydock-simulated"], "true");
    let body: serde_json::Value = serde_json::from_str(result["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["simulated"], true);
    let simulated = effects_with(&report, Outcome::Simulated);
    assert_eq!(simulated.len(), 1);
    assert_eq!(body["effect"], simulated[0].seq);
    assert_eq!(simulated[0].detail["body_excerpt"], "{\"a\":1}");
    assert!(
        simulated[0].reason.contains("DRYDOCK_LIVE"),
        "{}",
        simulated[0].reason
    );
}

#[tokio::test]
async fn jira_comment_in_dry_run_returns_the_simulated_answer() {
    let peer = Peer::start().await;
    let policy = format!(
        r#"
[plugins.jira]
http = [{{ url = "{}/rest/api/2/", methods = ["GET", "POST"] }}]
secrets = ["JIRA_TOKEN"]
env = ["JIRA_BASE_URL"]
live = ["http"]
"#,
        peer.base_url()
    );
    let base = peer.base_url();
    let options = HostOptions {
        secrets: vec![("JIRA_TOKEN", "tok-123")],
        env: vec![("JIRA_BASE_URL", &base)],
        ..HostOptions::default()
    };
    let runtime = host(&policy, &[JIRA], options).await;
    let report = dry(
        &runtime,
        "jira.add_comment",
        json!({"key": "ABC-1", "body": "planned"}),
    )
    .await;
    let result = ok(&report);
    assert_eq!(result["simulated"], true, "{result}");
    assert_eq!(peer.count(), 0);

    let report = dry(&runtime, "jira.get_issue", json!({"key": "ABC-1"})).await;
    let result = ok(&report);
    assert_eq!(result["key"], "ABC-1");
    assert_eq!(result["summary"], "Stand-in issue");
    let sent = peer.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/rest/api/2/issue/ABC-1");
    assert!(
        sent[0]
            .headers
            .contains(&("authorization".into(), "Bearer tok-123".into()))
    );
}

#[tokio::test]
async fn jira_errors_are_reported_with_jiras_messages() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.jira]\nhttp = [{{ url = \"{}/rest/api/2/\", methods = [\"GET\"] }}]\nsecrets = [\"JIRA_TOKEN\"]\nenv = [\"JIRA_BASE_URL\"]\n",
        peer.base_url()
    );
    let base = peer.base_url();
    let options = HostOptions {
        secrets: vec![("JIRA_TOKEN", "tok")],
        env: vec![("JIRA_BASE_URL", &base)],
        ..HostOptions::default()
    };
    let runtime = host(&policy, &[JIRA], options).await;
    let report = dry(&runtime, "jira.get_issue", json!({"key": "NOPE-404"})).await;
    assert_eq!(err_code(&report), "tool_failed");
    let message = report.outcome.as_ref().unwrap_err().to_string();
    assert!(message.contains("Issue does not exist"), "{message}");
}

#[tokio::test]
async fn the_request_that_goes_out_is_the_canonical_url_that_was_checked() {
    let peer = Peer::start().await;
    let runtime = http_host(&peer).await;
    let url = format!("{}/api/x/%2e%2e/items//1", peer.base_url());
    let report = dry(&runtime, "http.request", json!({"url": url})).await;
    ok(&report);
    let sent = peer.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/api/items/1");
}

#[tokio::test]
async fn a_dot_segment_cannot_climb_out_of_the_granted_prefix() {
    let peer = Peer::start().await;
    let runtime = http_host(&peer).await;
    for path in [
        "/api/../admin",
        "/api/%2e%2e/admin",
        "/api/x%2F..%2F..%2Fadmin",
    ] {
        let report = dry(
            &runtime,
            "http.request",
            json!({"url": format!("{}{path}", peer.base_url())}),
        )
        .await;
        assert_eq!(err_code(&report), "tool_denied", "{path}");
    }
    assert_eq!(peer.count(), 0);
}
