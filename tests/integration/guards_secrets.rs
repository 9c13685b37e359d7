//! Secret flow: a secret granted *for* a destination reaches it in any encoding, and nothing else: not
//! another granted host (in any encoding, in the URL, a header, split across headers, or the body), not
//! a file, an artifact, a log line, stdout, or a tool result. Every refusal names the secret, never the
//! value.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{HOSTILE_SECRET_MISROUTE, HTTP};
use serde_json::{Value, json};

use crate::support::{HostOptions, as_text, dry, effects_with, err_code, host, live, ok};

const TOKEN: &str = "jira-T0ken/9f8e7d+c6b5a";

/// Grants `plugin` GET and POST on the whole peer, and the secret only for the peer's `/jira/`.
fn policy(plugin: &str, peer: &Peer, extra: &str) -> String {
    format!(
        "[plugins.{plugin}]\nhttp = [{{ url = \"{base}/\", methods = [\"GET\", \"POST\"] }}]\n\
         secrets = [{{ name = \"JIRA_TOKEN\", to = [\"{base}/jira/\"] }}]\nlive = [\"http\"{extra}]\n",
        base = peer.base_url()
    )
}

fn options<'a>() -> HostOptions<'a> {
    HostOptions {
        master_switch: true,
        secrets: vec![("JIRA_TOKEN", TOKEN)],
        ..HostOptions::default()
    }
}

/// The token in each encoding, as a request of the `http` plugin to `url` would carry it.
/// The effects of the plugin's requests.
fn http_effects(report: &drydock_runtime::InvocationReport) -> Vec<&drydock_runtime::Effect> {
    let http = drydock_policy::Capability::Http;
    report
        .record
        .effects
        .iter()
        .filter(|e| e.capability == http)
        .collect()
}

fn carriers(url: &str) -> Vec<(&'static str, Value)> {
    let percent = drydock_policy::secret_forms::percent_encode(TOKEN, true);
    vec![
        (
            "raw header",
            json!({"url": url, "headers": {"authorization": format!("Bearer {TOKEN}")}}),
        ),
        (
            "basic auth",
            json!({"url": url, "headers": {"authorization": format!("Basic {}", STANDARD.encode(format!("me:{TOKEN}")))}}),
        ),
        (
            "url-encoded query",
            json!({"url": format!("{url}?token={percent}")}),
        ),
        (
            "base64url body",
            json!({"url": url, "method": "POST", "body": URL_SAFE_NO_PAD.encode(TOKEN)}),
        ),
        (
            "hex body",
            json!({"url": url, "method": "POST", "body": hex::encode(TOKEN)}),
        ),
        (
            "json body",
            json!({"url": url, "method": "POST", "body": json!({"t": TOKEN}).to_string()}),
        ),
        (
            "split across headers",
            json!({"url": url, "headers": {"x-a": &TOKEN[..9], "x-b": &TOKEN[9..]}}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_encoding_reaches_the_granted_destination() {
    let peer = Peer::start().await;
    let runtime = host(&policy("http", &peer, ""), &[HTTP], options()).await;
    let url = format!("{}/jira/issue", peer.base_url());
    for (what, args) in carriers(&url) {
        let report = live(&runtime, "http.request", args).await;
        let http = http_effects(&report);
        assert_eq!(http.len(), 1, "{what}: {:#?}", report.record.effects);
        let sent = matches!(http[0].outcome, Outcome::Read | Outcome::Live);
        assert!(sent, "{what}: {:?} {}", http[0].outcome, http[0].reason);
        // The peer echoes the query back, and a result is no destination: that answer is refused.
        if let Err(err) = &report.outcome {
            assert!(
                err.to_string()
                    .contains("the result of `http.request` carries"),
                "{what}: {err}"
            );
        }
    }
    assert_eq!(peer.count(), carriers(&url).len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_encoding_is_denied_to_another_granted_url() {
    let peer = Peer::start().await;
    let runtime = host(&policy("http", &peer, ""), &[HTTP], options()).await;
    let url = format!("{}/elsewhere", peer.base_url());
    for (what, args) in carriers(&url) {
        let report = live(&runtime, "http.request", args).await;
        assert_eq!(err_code(&report), "tool_denied", "{what}");
        let http = http_effects(&report);
        assert_eq!(http.len(), 1, "{what}");
        assert_eq!(http[0].outcome, Outcome::Denied, "{what}");
        let reason = &http[0].reason;
        assert!(
            reason.starts_with("secret flow: secret `JIRA_TOKEN`") && reason.contains("/jira/"),
            "{what}: {reason}"
        );
        assert!(
            !as_text(&report).contains(TOKEN),
            "{what}: the value is in the report"
        );
    }
    let split = live(&runtime, "http.request", carriers(&url).pop().unwrap().1).await;
    let reason = &http_effects(&split)[0].reason;
    assert!(
        reason.contains("split across headers `x-a` to `x-b`"),
        "{reason}"
    );
    assert_eq!(peer.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_secret_name_keeps_going_to_any_granted_host() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/\", methods = [\"GET\"] }}]\nsecrets = [\"JIRA_TOKEN\"]\n",
        peer.base_url()
    );
    let runtime = host(&policy, &[HTTP], options()).await;
    let url = format!("{}/elsewhere", peer.base_url());
    ok(&dry(&runtime, "http.request", carriers(&url).remove(0).1).await);
    assert_eq!(peer.count(), 1);
}

async fn misroute(peer: &Peer, args: Value, fs: &str) -> drydock_runtime::InvocationReport {
    let live_fs = if fs.is_empty() { "" } else { ", \"fs\"" };
    let policy = format!("{}{fs}", policy("hostile_secret_misroute", peer, live_fs));
    let runtime = host(&policy, &[HOSTILE_SECRET_MISROUTE], options()).await;
    live(&runtime, "hostile_secret_misroute.run", args).await
}

/// The reason of the one `secret flow` denial in a report; the value appears nowhere in it.
fn flow_denial(report: &drydock_runtime::InvocationReport) -> String {
    assert!(
        !as_text(report).contains(TOKEN),
        "the value is in the report"
    );
    let denied = effects_with(report, Outcome::Denied);
    assert_eq!(denied.len(), 1, "{:#?}", report.record.effects);
    assert!(
        denied[0].reason.starts_with("secret flow:"),
        "{}",
        denied[0].reason
    );
    assert!(
        denied[0].reason.contains("JIRA_TOKEN"),
        "{}",
        denied[0].reason
    );
    denied[0].reason.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_plugin_cannot_post_the_secret_to_another_granted_url_in_any_encoding() {
    let peer = Peer::start().await;
    for encoding in ["raw", "base64", "hex", "url", "split"] {
        let url = format!("{}/collector", peer.base_url());
        let report = misroute(
            &peer,
            json!({"to": "http", "url": url, "encoding": encoding}),
            "",
        )
        .await;
        assert!(
            ok(&report)["refused"].is_string(),
            "{encoding}: {:?}",
            report.outcome
        );
        flow_denial(&report);
    }
    assert_eq!(peer.count(), 0);
    // The granted destination itself receives it.
    let url = format!("{}/jira/issue", peer.base_url());
    let report = misroute(
        &peer,
        json!({"to": "http", "url": url, "encoding": "base64"}),
        "",
    )
    .await;
    assert_eq!(ok(&report)["sent"], 200, "{:?}", report.outcome);
    assert_eq!(peer.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_is_refused_in_an_artifact_a_log_line_stdout_and_a_result() {
    let peer = Peer::start().await;
    let artifact = misroute(&peer, json!({"to": "artifact"}), "").await;
    assert!(
        ok(&artifact)["refused"]
            .as_str()
            .unwrap()
            .contains("JIRA_TOKEN")
    );
    assert!(artifact.record.artifacts.is_empty());
    flow_denial(&artifact);
    for (to, level) in [("log", "info"), ("stdout", "stdout")] {
        let report = misroute(&peer, json!({"to": to}), "").await;
        ok(&report);
        flow_denial(&report);
        let line = report
            .record
            .logs
            .iter()
            .find(|l| l.level == level)
            .expect("a line");
        assert!(
            line.message.starts_with("[refused: secret flow:"),
            "{}",
            line.message
        );
    }
    let result = misroute(&peer, json!({"to": "result"}), "").await;
    assert_eq!(err_code(&result), "tool_denied");
    assert!(flow_denial(&result).contains("the result of `hostile_secret_misroute.run`"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_carrying_the_secret_is_not_written() {
    let peer = Peer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let fs = format!(
        "fs = [{{ path = {:?}, access = \"rw\" }}]\n",
        dir.path().display().to_string()
    );
    let report = misroute(&peer, json!({"to": "file"}), &fs).await;
    assert_eq!(err_code(&report), "tool_denied");
    assert!(flow_denial(&report).contains("the file `/workspace/leak.txt`"));
    assert!(
        !dir.path().join("leak.txt").exists(),
        "a live write with the secret was applied"
    );
}
