//! Argument rules on grants: body size, query parameter names, the body schema of writes, requests per
//! invocation and per minute, and file size and count. Each is shown allowed and denied, a denial naming
//! the rule and sending nothing.

use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{HOSTILE_SECRET_EXFIL, HTTP, WORKSPACE};
use serde_json::json;

use crate::support::{HostOptions, dry, effects_with, err_code, host, live, ok};

/// The `http` plugin granted GET and POST under the peer's `/api/` with `rules` added to the grant.
async fn ruled_host(peer: &Peer, rules: &str) -> drydock_runtime::Runtime {
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/api/\", methods = [\"GET\", \"POST\"], {rules} }}]\n",
        peer.base_url()
    );
    host(&policy, &[HTTP], HostOptions::default()).await
}

fn post(peer: &Peer, body: &str) -> serde_json::Value {
    json!({"url": format!("{}/api/items", peer.base_url()), "method": "POST", "body": body})
}

/// The one denied effect's reason of a report that must have been denied.
fn denial(report: &drydock_runtime::InvocationReport) -> String {
    assert_eq!(
        err_code(report),
        "tool_denied",
        "{:#?}",
        report.record.effects
    );
    let denied = effects_with(report, Outcome::Denied);
    assert_eq!(denied.len(), 1, "{:#?}", report.record.effects);
    denied[0].reason.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_body_bytes_allows_a_small_body_and_denies_a_larger_one() {
    let peer = Peer::start().await;
    let runtime = ruled_host(&peer, "max_body_bytes = 16").await;
    let small = dry(&runtime, "http.request", post(&peer, "0123456789abcdef")).await;
    ok(&small);
    assert_eq!(effects_with(&small, Outcome::Simulated).len(), 1);
    let big = dry(&runtime, "http.request", post(&peer, "0123456789abcdefg")).await;
    assert_eq!(
        denial(&big),
        format!(
            "rule max_body_bytes: the request body is 17 bytes, the grant allows 16 (grant {}/api/)",
            peer.base_url()
        )
    );
    assert_eq!(peer.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_params_lets_listed_names_out_and_denies_others() {
    let peer = Peer::start().await;
    let runtime = ruled_host(&peer, r#"query_params = ["q", "page"]"#).await;
    let url = |query: &str| json!({"url": format!("{}/api/search?{query}", peer.base_url())});
    ok(&dry(&runtime, "http.request", url("q=drydock&page=2")).await);
    assert_eq!(peer.count(), 1);
    let reason = denial(&dry(&runtime, "http.request", url("q=x&token=abc")).await);
    assert!(
        reason.starts_with("rule query_params: query parameter `token`"),
        "{reason}"
    );
    assert_eq!(peer.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_schema_admits_a_matching_write_and_denies_the_rest() {
    let peer = Peer::start().await;
    let schema = r#"body_schema = { type = "object", required = ["summary"], additionalProperties = false, properties = { summary = { type = "string", maxLength = 80 } } }"#;
    let runtime = ruled_host(&peer, schema).await;
    ok(&dry(
        &runtime,
        "http.request",
        post(&peer, r#"{"summary":"fix it"}"#),
    )
    .await);
    for body in [
        r#"{"summary":"x","secret":"y"}"#,
        r#"{"title":"x"}"#,
        "summary=x",
    ] {
        let reason = denial(&dry(&runtime, "http.request", post(&peer, body)).await);
        assert!(
            reason.starts_with("rule body_schema: the POST body"),
            "{body}: {reason}"
        );
    }
    // A read carries no body to check.
    let get = json!({"url": format!("{}/api/items", peer.base_url())});
    ok(&dry(&runtime, "http.request", get).await);
    assert_eq!(peer.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_requests_per_invocation_stops_the_second_request_of_one_call() {
    let peer = Peer::start().await;
    // The hostile plugin POSTs and then GETs its URL in one invocation.
    let policy = format!(
        "[plugins.hostile_secret_exfil]\nsecrets = [\"JIRA_TOKEN\"]\n\
         http = [{{ url = \"{}/\", methods = [\"GET\", \"POST\"], max_requests_per_invocation = 1 }}]\n",
        peer.base_url()
    );
    let options = HostOptions {
        secrets: vec![("JIRA_TOKEN", "tok-1234567890")],
        ..HostOptions::default()
    };
    let runtime = host(&policy, &[HOSTILE_SECRET_EXFIL], options).await;
    let args = json!({"url": format!("{}/x", peer.base_url())});
    let report = dry(&runtime, "hostile_secret_exfil.run", args.clone()).await;
    assert_eq!(effects_with(&report, Outcome::Simulated).len(), 1);
    let denied = effects_with(&report, Outcome::Denied);
    assert_eq!(denied.len(), 1, "{:#?}", report.record.effects);
    assert!(
        denied[0]
            .reason
            .starts_with("rule max_requests_per_invocation: this invocation already made 1"),
        "{}",
        denied[0].reason
    );
    // The count is per invocation: the next call starts again.
    let again = dry(&runtime, "hostile_secret_exfil.run", args).await;
    assert_eq!(effects_with(&again, Outcome::Simulated).len(), 1);
    assert_eq!(peer.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_requests_per_minute_is_shared_by_the_invocations_of_a_plugin() {
    let peer = Peer::start().await;
    let runtime = ruled_host(&peer, "max_requests_per_minute = 2").await;
    let get = json!({"url": format!("{}/api/items", peer.base_url())});
    ok(&dry(&runtime, "http.request", get.clone()).await);
    ok(&dry(&runtime, "http.request", get.clone()).await);
    let reason = denial(&dry(&runtime, "http.request", get).await);
    assert!(
        reason.starts_with("rule max_requests_per_minute: plugin `http` made 2 requests"),
        "{reason}"
    );
    assert_eq!(peer.count(), 2);
}

fn fs_policy(dir: &std::path::Path, rules: &str) -> String {
    format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\", {rules} }}]\nlive = [\"fs\"]\n",
        dir.display().to_string()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_file_bytes_allows_a_small_file_and_denies_a_large_one_live_and_dry() {
    let dir = tempfile::tempdir().unwrap();
    let options = || HostOptions {
        master_switch: true,
        ..HostOptions::default()
    };
    let runtime = host(
        &fs_policy(dir.path(), "max_file_bytes = 8"),
        &[WORKSPACE],
        options(),
    )
    .await;
    let write = |content: &str| json!({"path": "a.txt", "content": content});
    let small = live(&runtime, "workspace.write_file", write("12345678")).await;
    ok(&small);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "12345678"
    );
    assert_eq!(
        effects_with(&small, Outcome::Live).len(),
        1,
        "{:#?}",
        small.record.effects
    );
    for report in [
        live(&runtime, "workspace.write_file", write("123456789")).await,
        dry(&runtime, "workspace.write_file", write("123456789")).await,
    ] {
        let reason = denial(&report);
        assert_eq!(
            reason,
            "rule max_file_bytes: `a.txt` is 9 bytes, the grant allows 8 (fs grant /workspace)"
        );
    }
    // The denied live write never reached the real directory.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "12345678"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_files_counts_the_files_one_call_changes() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = host(
        &fs_policy(dir.path(), "max_files = 1"),
        &[WORKSPACE],
        HostOptions::default(),
    )
    .await;
    ok(&dry(
        &runtime,
        "workspace.write_file",
        json!({"path": "a.txt", "content": "a"}),
    )
    .await);
    // A file in a new directory changes two entries: the directory and the file.
    let nested = json!({"path": "sub/b.txt", "content": "b"});
    let reason = denial(&dry(&runtime, "workspace.write_file", nested).await);
    assert!(
        reason.starts_with("rule max_files: the call changed 2 files, the grant allows 1"),
        "{reason}"
    );
}
