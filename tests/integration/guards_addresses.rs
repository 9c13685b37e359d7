//! Addresses, not only names: a grant by host name reaches public addresses only. `localhost` resolves to
//! a loopback address, so a grant naming it is denied at the address check unless it sets
//! `allow_private = true`; the same server granted by its IP literal is reachable.

use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::HTTP;
use serde_json::json;

use crate::support::{HostOptions, dry, effects_with, err_code, host, ok};

async fn get(base: &str, grant_extra: &str) -> drydock_runtime::InvocationReport {
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{base}/\", methods = [\"GET\"]{grant_extra} }}]\n"
    );
    let runtime = host(&policy, &[HTTP], HostOptions::default()).await;
    dry(
        &runtime,
        "http.request",
        json!({"url": format!("{base}/x")}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_by_name_that_resolves_to_loopback_is_denied() {
    let peer = Peer::start().await;
    let report = get(&peer.localhost_url(), "").await;
    assert_eq!(err_code(&report), "tool_denied");
    let denied = effects_with(&report, Outcome::Denied);
    assert_eq!(denied.len(), 1, "{:#?}", report.record.effects);
    let reason = &denied[0].reason;
    assert!(
        reason.starts_with("address rule: `localhost` resolves to")
            && reason.contains("loopback")
            && reason.contains("allow_private = true"),
        "{reason}"
    );
    assert_eq!(peer.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_private_lets_a_grant_by_name_reach_loopback() {
    let peer = Peer::start().await;
    let report = get(&peer.localhost_url(), ", allow_private = true").await;
    assert_eq!(ok(&report)["status"], 200, "{:#?}", report.record.effects);
    assert_eq!(peer.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_by_ip_literal_reaches_that_address() {
    let peer = Peer::start().await;
    let report = get(&peer.base_url(), "").await;
    assert_eq!(ok(&report)["status"], 200);
    assert_eq!(effects_with(&report, Outcome::Read).len(), 1);
    assert_eq!(peer.count(), 1);
}
