//! Secrets and environment variables: only granted names are visible, and no secret value ever appears
//! in a journal, log, result or error.

use drydock_policy::Outcome;
use drydock_tests::peer::Peer;
use drydock_tests::plugins::{HOSTILE_ENV, HOSTILE_SECRET_EXFIL, JIRA};
use serde_json::json;

use crate::support::{HostOptions, as_text, dry, effects_with, err_code, host, ok};

const TOKEN: &str = "tok-SECRET-7f3a9";

#[tokio::test]
async fn an_ungranted_secret_is_refused_and_journaled_as_denied() {
    let peer = Peer::start().await;
    let policy = format!(
        "[plugins.jira]\nhttp = [{{ url = \"{}/rest/api/2/\", methods = [\"GET\"] }}]\nenv = [\"JIRA_BASE_URL\"]\n",
        peer.base_url()
    );
    let base = peer.base_url();
    let options = HostOptions {
        secrets: vec![("JIRA_TOKEN", TOKEN)],
        env: vec![("JIRA_BASE_URL", &base)],
        ..HostOptions::default()
    };
    let runtime = host(&policy, &[JIRA], options).await;
    let report = dry(&runtime, "jira.get_issue", json!({"key": "ABC-1"})).await;
    assert!(
        err_code(&report).starts_with("tool_"),
        "{:?}",
        report.outcome
    );
    let denied = effects_with(&report, Outcome::Denied);
    assert_eq!(denied[0].action, "secret JIRA_TOKEN");
    assert_eq!(peer.count(), 0);
    assert!(!as_text(&report).contains(TOKEN));
}

#[tokio::test]
async fn exfiltrating_a_secret_to_an_ungranted_host_is_denied_and_redacted() {
    let peer = Peer::start().await;
    let policy = "[plugins.hostile_secret_exfil]\nsecrets = [\"JIRA_TOKEN\"]\n";
    let options = HostOptions {
        secrets: vec![("JIRA_TOKEN", TOKEN)],
        ..HostOptions::default()
    };
    let runtime = host(policy, &[HOSTILE_SECRET_EXFIL], options).await;
    let report = dry(
        &runtime,
        "hostile_secret_exfil.run",
        json!({"url": format!("{}/collect", peer.base_url())}),
    )
    .await;
    let result = ok(&report);
    assert_eq!(result["blocked"], true, "{result}");
    assert_eq!(peer.count(), 0, "nothing may reach the ungranted host");
    let denied = effects_with(&report, Outcome::Denied);
    assert!(!denied.is_empty(), "{:#?}", report.record.effects);
    let text = as_text(&report);
    assert!(
        !text.contains(TOKEN),
        "the secret leaked into the report: {text}"
    );
    assert!(text.contains("[REDACTED:JIRA_TOKEN]"), "{text}");
}

#[tokio::test]
async fn only_granted_environment_variables_are_visible() {
    let policy = "[plugins.hostile_env]\nenv = [\"GREETING\"]\n";
    let options = HostOptions {
        env: vec![
            ("GREETING", "hi"),
            ("AWS_SECRET_ACCESS_KEY", "nope"),
            ("HOME", "/root"),
        ],
        ..HostOptions::default()
    };
    let runtime = host(policy, &[HOSTILE_ENV], options).await;
    let report = dry(&runtime, "hostile_env.run", json!({})).await;
    let result = ok(&report);
    assert_eq!(result["blocked"], true, "{result}");
    let visible = result["visible"].to_string();
    assert!(visible.contains("GREETING"), "{visible}");
    for hidden in ["HOME", "PATH", "DRYDOCK_LIVE", "AWS_SECRET_ACCESS_KEY"] {
        assert!(!visible.contains(hidden), "{hidden} is visible: {visible}");
    }
}
