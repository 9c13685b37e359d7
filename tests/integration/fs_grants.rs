//! File grants: read-only directories can be read, not written; read-write directories in dry run give the
//! plugin a scratch copy and the host a diff, leaving the original byte-identical; live writes for real.

use drydock_policy::Outcome;
use drydock_tests::plugins::WORKSPACE;
use serde_json::json;

use crate::support::{HostOptions, dry, effects_with, err_code, host, live, ok};

fn workspace_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# demo\nhello\n").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    dir
}

fn policy(dir: &std::path::Path, access: &str, live: &str) -> String {
    format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"{access}\" }}]\nlive = [{live}]\n",
        dir.display().to_string()
    )
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walk(dir, dir);
    files.sort();
    files
}

fn walk(root: &std::path::Path, dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(root, &path));
        } else {
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.push((rel, std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn read_only_grant_allows_reading_and_listing() {
    let dir = workspace_dir();
    let runtime = host(
        &policy(dir.path(), "ro", ""),
        &[WORKSPACE],
        HostOptions::default(),
    )
    .await;
    let report = dry(
        &runtime,
        "workspace.read_file",
        json!({"path": "README.md"}),
    )
    .await;
    assert_eq!(ok(&report)["content"], "# demo\nhello\n");
    let report = dry(&runtime, "workspace.list_files", json!({"recursive": true})).await;
    let files = ok(&report)["files"].to_string();
    assert!(files.contains("src/main.rs"), "{files}");
    let report = dry(&runtime, "workspace.search", json!({"pattern": "hello"})).await;
    assert_eq!(ok(&report)["matches"][0]["path"], "README.md");
}

#[tokio::test]
async fn read_only_grant_refuses_writes_and_keeps_the_original() {
    let dir = workspace_dir();
    let before = snapshot(dir.path());
    let runtime = host(
        &policy(dir.path(), "ro", ""),
        &[WORKSPACE],
        HostOptions::default(),
    )
    .await;
    let report = dry(
        &runtime,
        "workspace.write_file",
        json!({"path": "README.md", "content": "x"}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
    assert_eq!(snapshot(dir.path()), before);
}

#[tokio::test]
async fn without_a_grant_no_directory_is_visible() {
    let runtime = host("", &[WORKSPACE], HostOptions::default()).await;
    let report = dry(
        &runtime,
        "workspace.read_file",
        json!({"path": "README.md"}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_denied");
}

#[tokio::test]
async fn dry_run_write_leaves_the_original_byte_identical_and_yields_a_diff() {
    let dir = workspace_dir();
    let before = snapshot(dir.path());
    let runtime = host(
        &policy(dir.path(), "rw", r#""fs""#),
        &[WORKSPACE],
        HostOptions::default(),
    )
    .await;
    let report = dry(
        &runtime,
        "workspace.write_file",
        json!({"path": "README.md", "content": "# demo\nhello, drydock\n"}),
    )
    .await;
    ok(&report);
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the original directory must be untouched"
    );
    let simulated = effects_with(&report, Outcome::Simulated);
    assert_eq!(simulated.len(), 1, "{:#?}", report.record.effects);
    assert_eq!(simulated[0].action, "write /workspace/README.md");
    let diff = report
        .record
        .artifacts
        .iter()
        .find(|a| a.media_type == "text/x-diff")
        .expect("a diff artifact");
    assert_eq!(diff.produced_by, "host");
    let text = String::from_utf8(diff.content.clone()).unwrap();
    assert!(text.contains("-hello\n+hello, drydock\n"), "{text}");
}

#[tokio::test]
async fn dry_run_changes_do_not_leak_into_the_next_invocation() {
    let dir = workspace_dir();
    let runtime = host(
        &policy(dir.path(), "rw", ""),
        &[WORKSPACE],
        HostOptions::default(),
    )
    .await;
    ok(&dry(
        &runtime,
        "workspace.write_file",
        json!({"path": "new.txt", "content": "1"}),
    )
    .await);
    let report = dry(&runtime, "workspace.read_file", json!({"path": "new.txt"})).await;
    assert_eq!(err_code(&report), "tool_failed");
}

#[tokio::test]
async fn live_write_changes_the_real_directory_and_journals_the_diff() {
    let dir = workspace_dir();
    let options = HostOptions {
        master_switch: true,
        ..HostOptions::default()
    };
    let runtime = host(&policy(dir.path(), "rw", r#""fs""#), &[WORKSPACE], options).await;
    let report = live(
        &runtime,
        "workspace.write_file",
        json!({"path": "notes/plan.md", "content": "step 1\n"}),
    )
    .await;
    ok(&report);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes/plan.md")).unwrap(),
        "step 1\n"
    );
    let lives = effects_with(&report, Outcome::Live);
    assert!(
        lives
            .iter()
            .any(|e| e.action == "create /workspace/notes/plan.md"),
        "{lives:#?}"
    );
}

#[tokio::test]
async fn escaping_paths_are_refused_by_the_plugin_as_invalid_input() {
    let dir = workspace_dir();
    let runtime = host(
        &policy(dir.path(), "ro", ""),
        &[WORKSPACE],
        HostOptions::default(),
    )
    .await;
    let report = dry(
        &runtime,
        "workspace.read_file",
        json!({"path": "/etc/passwd"}),
    )
    .await;
    assert_eq!(err_code(&report), "tool_invalid_input");
}
