//! The hostile review of the shipped runtime (issue 12): one hostile fixture per finding, each attack run
//! against the real runtime, and the record searched for what must not be there:
//! - finding 1, writes disguised as reads;
//! - 2, a secret in an artifact's media type;
//! - 3, a secret handed to another tool;
//! - 4, a secret as a number, encoded, or straddling the excerpt cut;
//! - 5, huge artifact names; 6, a flooded journal; 7, a scratch copy filled past any sense;
//! - 8 (terminal escapes) is a CLI test in `host/server/tests/cli/hostile.rs`, beside the host-memory test
//!   of the bombs against a served `drydock`.

use drydock_policy::{Capability, Outcome};
use drydock_runtime::InvocationReport;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::*;
use serde_json::json;

use crate::support::{HostOptions, as_text, blocked, dry, effects_with, err_code, host, ok};

/// The peer granted `methods` under its root, to `plugin`.
fn http_grant(plugin: &str, peer: &Peer, methods: &str) -> String {
    format!(
        "[plugins.{plugin}]\nhttp = [{{ url = \"{}/\", methods = {methods} }}]\n",
        peer.base_url()
    )
}

const DISGUISES: [(&str, &str); 10] = [
    ("GET", "header:X-HTTP-Method-Override"),
    ("GET", "header:X-HTTP-Method"),
    ("GET", "header:X-Method-Override"),
    ("GET", "header:x-http-method-override"),
    ("GET", "header:X-Original-Method"),
    ("GET", "query"),
    ("GET", "body"),
    ("HEAD", "body"),
    ("OPTIONS", "body"),
    ("OPTIONS", "header:X-HTTP-Method-Override"),
];

async fn disguised(policy: &str, method: &str, disguise: &str, peer: &Peer) -> InvocationReport {
    let runtime = host(policy, &[HOSTILE_DISGUISED_WRITE], HostOptions::default()).await;
    let args = json!({"url": format!("{}/api/items/1", peer.base_url()), "method": method, "disguise": disguise});
    dry(&runtime, "hostile_disguised_write.run", args).await
}

#[tokio::test]
async fn writes_disguised_as_reads_are_denied_where_only_reads_are_granted() {
    let peer = Peer::start().await;
    let policy = http_grant(
        "hostile_disguised_write",
        &peer,
        r#"["GET", "HEAD", "OPTIONS"]"#,
    );
    for (method, disguise) in DISGUISES {
        let report = disguised(&policy, method, disguise, &peer).await;
        blocked(&report);
        let effect = &report.record.effects[0];
        assert_eq!(
            effect.outcome,
            Outcome::Denied,
            "{method} {disguise}: {}",
            effect.reason
        );
        assert!(
            effect.reason.contains("treated as a write") || effect.reason.contains("into a DELETE"),
            "{}",
            effect.reason
        );
    }
    assert_eq!(peer.count(), 0, "reached the peer: {:?}", peer.requests());
}

#[tokio::test]
async fn writes_disguised_as_reads_are_simulated_in_a_dry_run_where_writes_are_granted() {
    let peer = Peer::start().await;
    let policy = http_grant(
        "hostile_disguised_write",
        &peer,
        r#"["GET", "HEAD", "OPTIONS", "POST", "DELETE"]"#,
    );
    for (method, disguise) in DISGUISES {
        let report = disguised(&policy, method, disguise, &peer).await;
        assert!(
            ok(&report)["simulated"].is_string(),
            "{method} {disguise}: {}",
            ok(&report)
        );
        let effect = &report.record.effects[0];
        assert_eq!(
            effect.outcome,
            Outcome::Simulated,
            "{method} {disguise}: {}",
            effect.reason
        );
        if disguise == "body" {
            let excerpt = effect.detail["body_excerpt"].as_str().unwrap_or_default();
            assert_eq!(
                excerpt, r#"{"delete":true}"#,
                "the body of a disguised read is journaled"
            );
        }
    }
    assert_eq!(peer.count(), 0, "reached the peer: {:?}", peer.requests());
}

#[tokio::test]
async fn an_override_naming_an_ungranted_method_is_denied_even_on_a_granted_write() {
    let peer = Peer::start().await;
    let policy = http_grant("hostile_disguised_write", &peer, r#"["GET", "POST"]"#);
    for (method, disguise) in [
        ("GET", "header:X-HTTP-Method-Override"),
        ("GET", "query"),
        ("POST", "form"),
        ("POST", "header:X-HTTP-Method"),
    ] {
        let report = disguised(&policy, method, disguise, &peer).await;
        blocked(&report);
        let effect = &report.record.effects[0];
        assert_eq!(effect.outcome, Outcome::Denied, "{method} {disguise}");
        assert!(
            effect
                .reason
                .contains("into a DELETE, and DELETE is not granted"),
            "{}",
            effect.reason
        );
    }
    assert_eq!(peer.count(), 0);
}

#[tokio::test]
async fn a_plain_granted_get_still_reaches_the_peer() {
    let peer = Peer::start().await;
    let policy = http_grant("http", &peer, r#"["GET"]"#);
    let runtime = host(&policy, &[HTTP], HostOptions::default()).await;
    let url = format!("{}/plain", peer.base_url());
    let report = dry(&runtime, "http.request", json!({"url": url})).await;
    assert_eq!(ok(&report)["status"], 200);
    assert_eq!(effects_with(&report, Outcome::Read).len(), 1);
    assert_eq!(peer.count(), 1);
}

const TOKEN: &str = "tok-5f3a9c-media";

fn secret_policy(plugin: &str, secret: &str) -> String {
    format!("[plugins.{plugin}]\nsecrets = [\"{secret}\"]\n")
}

#[tokio::test]
async fn a_secret_in_an_artifact_media_type_is_redacted() {
    let runtime = host(
        &secret_policy("hostile_secret_in_media_type", "JIRA_TOKEN"),
        &[HOSTILE_SECRET_IN_MEDIA_TYPE],
        HostOptions {
            secrets: vec![("JIRA_TOKEN", TOKEN)],
            ..HostOptions::default()
        },
    )
    .await;
    let report = dry(&runtime, "hostile_secret_in_media_type.run", json!({})).await;
    assert!(ok(&report)["emitted"].is_string(), "{}", ok(&report));
    assert_eq!(
        report.record.artifacts[0].media_type,
        "application/x-[REDACTED:JIRA_TOKEN]"
    );
    assert!(!as_text(&report).contains(TOKEN), "{}", as_text(&report));
}

#[tokio::test]
async fn a_secret_handed_to_another_tool_is_redacted_in_that_tools_journal() {
    let peer = Peer::start().await;
    let runtime = host(
        &secret_policy("hostile_call_tool_secret", "JIRA_TOKEN"),
        &[HOSTILE_CALL_TOOL_SECRET, HTTP],
        HostOptions {
            secrets: vec![("JIRA_TOKEN", TOKEN)],
            ..HostOptions::default()
        },
    )
    .await;
    let report = dry(
        &runtime,
        "hostile_call_tool_secret.run",
        json!({"url": format!("{}/collect", peer.base_url())}),
    )
    .await;
    ok(&report);
    let callee = report
        .record
        .effects
        .iter()
        .find(|e| e.depth == 1 && e.capability == Capability::Http)
        .expect("the callee's request is journaled");
    assert_eq!(callee.outcome, Outcome::Denied);
    assert!(
        callee.action.contains("token=[REDACTED:JIRA_TOKEN]"),
        "{}",
        callee.action
    );
    assert!(!as_text(&report).contains(TOKEN), "{}", as_text(&report));
    assert_eq!(peer.count(), 0);
}

/// A secret with characters every encoding changes.
const RICH: &str = "s3cr/PIN+4711 ~x?";

async fn disguise_report(
    secret: &str,
    form: &str,
    policy_extra: &str,
    url: &str,
) -> InvocationReport {
    let policy = format!(
        "{}{policy_extra}",
        secret_policy("hostile_secret_disguise", "PIN")
    );
    let runtime = host(
        &policy,
        &[HOSTILE_SECRET_DISGUISE],
        HostOptions {
            secrets: vec![("PIN", secret)],
            ..HostOptions::default()
        },
    )
    .await;
    dry(
        &runtime,
        "hostile_secret_disguise.run",
        json!({"form": form, "url": url}),
    )
    .await
}

#[tokio::test]
async fn a_numeric_secret_returned_as_a_json_number_is_redacted() {
    let report = disguise_report("123456789012", "number", "", "").await;
    assert_eq!(ok(&report)["pin"], "[REDACTED:PIN]");
    assert!(!as_text(&report).contains("123456789012"));
}

#[tokio::test]
async fn base64_hex_and_percent_forms_of_a_secret_are_redacted() {
    use base64::Engine as _;
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    let mut forms: Vec<String> = engines.iter().map(|e| e.encode(RICH)).collect();
    forms.push(hex::encode(RICH));
    forms.push(hex::encode_upper(RICH));
    forms.push("s3cr%2FPIN%2B4711%20~x%3F".into());
    forms.push("s3cr%2fPIN%2b4711%20~x%3f".into());
    for form in ["base64", "hex", "percent"] {
        let report = disguise_report(RICH, form, "", "").await;
        let text = as_text(&report);
        for encoded in &forms {
            assert!(
                !text.contains(encoded.as_str()),
                "{form}: {encoded} in {text}"
            );
        }
        assert!(text.contains("[REDACTED:PIN]"), "{text}");
    }
    let report = disguise_report(RICH, "base64", "", "").await;
    let header = ok(&report)["authorization"].as_str().unwrap().to_owned();
    let decoded = engines[0]
        .decode(header.trim_start_matches("Basic "))
        .unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&decoded).contains(RICH),
        "Basic base64(user:secret) still decodes to the secret: {header}"
    );
}

#[tokio::test]
async fn a_secret_straddling_the_body_excerpt_cut_leaves_nothing_behind() {
    let peer = Peer::start().await;
    let grant = format!(
        "http = [{{ url = \"{}/\", methods = [\"POST\"] }}]\n",
        peer.base_url()
    );
    let report =
        disguise_report(RICH, "straddle", &grant, &format!("{}/in", peer.base_url())).await;
    assert_eq!(ok(&report)["posted"], 202);
    let excerpt = report.record.effects[1].detail["body_excerpt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !excerpt.contains("s3c"),
        "a prefix of the secret survived the cut: …{}",
        &excerpt[2000..]
    );
    assert!(excerpt.ends_with("…[truncated]"), "{}", &excerpt[2000..]);
    assert_eq!(peer.count(), 0);
}

#[tokio::test]
async fn huge_artifact_names_and_media_types_are_refused() {
    let runtime = host("", &[HOSTILE_ARTIFACT_BOMB], HostOptions::default()).await;
    let report = dry(&runtime, "hostile_artifact_bomb.run", json!({})).await;
    assert_eq!(blocked(&report)["refused"], 32);
    assert!(report.record.artifacts.is_empty());
    assert!(
        as_text(&report).len() < 64 << 10,
        "{} bytes of report",
        as_text(&report).len()
    );
}

#[tokio::test]
async fn a_flooded_journal_keeps_a_bounded_record_and_refuses_what_it_cannot_record() {
    let peer = Peer::start().await;
    let runtime = host(
        &http_grant("hostile_journal_bomb", &peer, r#"["GET"]"#),
        &[HOSTILE_JOURNAL_BOMB],
        HostOptions::default(),
    )
    .await;
    let url = format!("{}/after-the-flood", peer.base_url());
    let report = dry(&runtime, "hostile_journal_bomb.run", json!({"url": url})).await;
    let result = ok(&report);
    assert_eq!(result["denied"], 20_000);
    assert!(
        result["get"].as_str().unwrap().starts_with("refused"),
        "{result}"
    );
    assert_eq!(
        peer.count(),
        0,
        "a request the journal could not record went out"
    );
    let record = &report.record;
    assert!(
        record.effects.len() <= 1000,
        "{} effects kept",
        record.effects.len()
    );
    assert_eq!(
        record.effects.len() as u64 + record.omitted_effect_count(),
        20_001,
        "every effect is kept or counted"
    );
    let http_refused = record
        .omitted_effects
        .iter()
        .find(|o| o.capability == Capability::Http)
        .expect("the refused GET is counted");
    assert_eq!(
        (http_refused.outcome, http_refused.count),
        (Outcome::Denied, 1)
    );
    assert!(
        as_text(&report).len() < 8 << 20,
        "{} bytes of report",
        as_text(&report).len()
    );
}

#[tokio::test]
async fn going_past_the_host_memory_budget_is_a_host_memory_limit_error() {
    let policy = "[plugins.hostile_journal_bomb.limits]\nhost_memory_mib = 1\n";
    let runtime = host(policy, &[HOSTILE_JOURNAL_BOMB], HostOptions::default()).await;
    let report = dry(&runtime, "hostile_journal_bomb.run", json!({"reads": 2000})).await;
    assert_eq!(err_code(&report), "host_memory_limit");
    let message = report.outcome.as_ref().unwrap_err().to_string();
    assert!(
        message.contains("1048576") && message.contains("host_memory_mib"),
        "{message}"
    );
    assert!(as_text(&report).len() < 2 << 20);
}

/// A directory granted rw to the diff bomb, with one file in it.
fn bomb_workspace() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "original\n").unwrap();
    let policy = format!(
        "[plugins.hostile_diff_bomb]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
        dir.path().display().to_string()
    );
    (dir, policy)
}

#[tokio::test]
async fn writing_past_the_scratch_quota_is_an_fs_write_limit_error_and_the_diff_stays_bounded() {
    let (dir, policy) = bomb_workspace();
    let runtime = host(&policy, &[HOSTILE_DIFF_BOMB], HostOptions::default()).await;
    let report = dry(&runtime, "hostile_diff_bomb.run", json!({"mode": "bytes"})).await;
    assert_eq!(err_code(&report), "fs_write_limit", "{:?}", report.outcome);
    let diff = &report.record.artifacts[0];
    assert_eq!(diff.produced_by, "host");
    assert!(
        diff.content.len() < 64 << 10,
        "{} bytes of diff",
        diff.content.len()
    );
    assert!(String::from_utf8_lossy(&diff.content).contains("Large files"));
    assert!(as_text(&report).len() < 1 << 20);
    let original: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(original.len(), 1, "the original directory is untouched");
}

#[tokio::test]
async fn creating_past_the_entry_quota_is_an_fs_entry_limit_error() {
    let (dir, policy) = bomb_workspace();
    let runtime = host(&policy, &[HOSTILE_DIFF_BOMB], HostOptions::default()).await;
    let report = dry(&runtime, "hostile_diff_bomb.run", json!({"mode": "files"})).await;
    assert_eq!(err_code(&report), "fs_entry_limit", "{:?}", report.outcome);
    assert!(report.record.effects.len() <= 1000);
    assert!(report.record.omitted_effect_count() > 0);
    assert!(as_text(&report).len() < 8 << 20);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn the_write_quota_is_set_by_the_policy() {
    let (_dir, policy) = bomb_workspace();
    let policy = format!("{policy}[plugins.hostile_diff_bomb.limits]\nfs_write_mib = 300\n");
    let runtime = host(&policy, &[HOSTILE_DIFF_BOMB], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "hostile_diff_bomb.run",
        json!({"mode": "bytes", "mib": 80}),
    )
    .await;
    assert_eq!(ok(&report)["written"], "80 MiB");
}
