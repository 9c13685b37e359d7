//! The `drydock` command line as a plugin author uses it: check a component, invoke a tool, read errors.

use std::path::Path;
use std::process::{Command, Output};

use drydock_tests::plugins::{ECHO, PLUGIN_DIR};

fn drydock(args: &[&str], workdir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .current_dir(workdir)
        .env_remove("DRYDOCK_LIVE")
        .env_remove("DRYDOCK_CONFIG")
        .env("DRYDOCK_DATA_DIR", workdir.join("data"))
        .output()
        .expect("drydock runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plugin_check_prints_the_world_and_tools() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(&["plugin", "check", ECHO], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("plugin   echo (tool-plugin)"), "{stdout}");
    assert!(stdout.contains("tool     echo.echo"), "{stdout}");
}

#[test]
fn plugin_check_explains_a_file_that_is_not_a_component() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.wasm");
    std::fs::write(&file, "hello").unwrap();
    let out = drydock(&["plugin", "check", file.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("notes.wasm") && stderr.contains("not a valid WebAssembly component"),
        "{stderr}"
    );
}

#[test]
fn tool_invoke_prints_the_report_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(
        &[
            "tool",
            "invoke",
            "echo.echo",
            "--args",
            r#"{"text": "hi"}"#,
            "--plugins",
            PLUGIN_DIR,
            "--json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["result"]["text"], "hi");
    assert_eq!(report["requested_mode"], "dry-run");
    assert_eq!(report["master_switch"], false);
}

#[test]
fn tool_invoke_refuses_arguments_that_are_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(
        &[
            "tool",
            "invoke",
            "echo.echo",
            "--args",
            "{text",
            "--plugins",
            PLUGIN_DIR,
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--args is not valid JSON"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_invalid_policy_is_refused_with_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("drydock.toml"),
        "[plugins.echo]\nsecretz = [\"A\"]\n",
    )
    .unwrap();
    let out = drydock(&["tool", "list", "--plugins", PLUGIN_DIR], dir.path());
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("drydock.toml:2:") && stderr.contains("secretz"),
        "{stderr}"
    );
}

#[test]
fn a_failing_tool_exits_non_zero_with_the_error_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(
        &[
            "tool",
            "invoke",
            "echo.echo",
            "--args",
            "{}",
            "--plugins",
            PLUGIN_DIR,
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("error (invalid_input)"),
        "{}",
        text(&out.stdout)
    );
}
