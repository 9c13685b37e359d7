//! Arguments are checked against the tool's schema before the plugin runs; unknown tools get a hint.

use drydock_runtime::InvokeError;
use drydock_tests::plugins::{ECHO, WORKSPACE};
use serde_json::json;

use crate::support::{HostOptions, dry, err_code, host};

#[tokio::test]
async fn invalid_arguments_name_the_field_and_the_plugin_does_not_run() {
    let runtime = host("", &[ECHO], HostOptions::default()).await;
    let report = dry(&runtime, "echo.echo", json!({"text": 42})).await;
    assert_eq!(err_code(&report), "invalid_input");
    let Err(InvokeError::InvalidArguments { problems, .. }) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(problems[0].starts_with("/text:"), "{problems:?}");
    assert!(report.record.logs.is_empty() && report.record.effects.is_empty());
}

#[tokio::test]
async fn missing_and_unknown_fields_are_reported() {
    let runtime = host("", &[WORKSPACE], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "workspace.write_file",
        json!({"path": "a", "contents": "typo"}),
    )
    .await;
    let message = report.outcome.as_ref().unwrap_err().to_string();
    assert!(message.contains("content"), "{message}");
    assert!(message.contains("contents"), "{message}");
}

#[tokio::test]
async fn an_unknown_tool_gets_a_did_you_mean_hint() {
    let runtime = host("", &[ECHO], HostOptions::default()).await;
    let report = dry(&runtime, "echo.ecoh", json!({})).await;
    assert_eq!(err_code(&report), "unknown_tool");
    assert!(
        report
            .outcome
            .unwrap_err()
            .to_string()
            .contains("did you mean `echo.echo`")
    );
}
