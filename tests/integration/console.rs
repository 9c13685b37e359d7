//! The web console's end-to-end browser tests. Each test starts its own server (its own port and data
//! directory) and runs one scenario, `tests/browser/scenarios/<name>.mjs`, in Node: the scenario drives
//! Debian's Chromium (on a fresh profile of its own) through npm's `playwright-core`, with the helpers of
//! `tests/browser/lib.mjs`, which also fail it on any request to another origin than the server's, a CSP
//! violation, a console error or an uncaught page error. So several scenarios run side by side in this
//! binary without sharing anything.
//!
//! `cargo xtask test` installs what they need: `chromium` (apt-get, as root) and `playwright-core` (npm ci
//! into `tests/browser/node_modules`, pinned by its lock). Without them these tests fail saying so: a
//! browser test never passes by skipping.
//!
//! Screenshots land in `<CARGO_TARGET_TMPDIR>/console/<name>/` (`target/tmp/console/operator/plugins.png`), emptied
//! at the start of each run of the scenario.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use drydock_core::Role;

use crate::server::{start, user_token};
use crate::support::TestServer;

/// How long one scenario may run before it is killed: past `lib.mjs`'s own hard timeout (120 s), so that
/// this is the last resort for a Node process that hangs before that timeout is armed.
const SCENARIO_DEADLINE: Duration = Duration::from_secs(180);

/// The browser the scenarios drive, unless `DRYDOCK_CHROMIUM` names another.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs `tests/browser/scenarios/<name>.mjs` against `server` with `env` added (credentials...), and asserts
/// that it passed, showing its output when it did not.
pub(crate) async fn run_scenario(name: &str, server: &TestServer, env: &[(&str, &str)]) {
    let url = format!("http://{}", server.addr);
    let mut all_env = vec![("DRYDOCK_URL", url.as_str())];
    all_env.extend_from_slice(env);
    let script = browser_dir().join("scenarios").join(format!("{name}.mjs"));
    run_node(name, &script, &all_env).await;
}

/// Runs a script of `tests/browser` in Node with `DRYDOCK_SCREENSHOTS` set to a fresh directory for `name`,
/// and `env`; asserts it exits 0 within [`SCENARIO_DEADLINE`].
async fn run_node(name: &str, script: &Path, env: &[(&str, &str)]) {
    require_browser_tools();
    let screenshots = screenshot_dir(name);
    // `NODE` names another Node.js, as for the plugin toolchains.
    let program = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let mut node = tokio::process::Command::new(&program);
    node.arg(script)
        .current_dir(browser_dir())
        .env("DRYDOCK_SCREENSHOTS", &screenshots)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = node
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{program}` for {}: {e}; the browser tests need Node.js 20 or newer (Debian: \
                 apt-get install nodejs npm), or set NODE",
                script.display()
            )
        });
    let output = match tokio::time::timeout(SCENARIO_DEADLINE, child.wait_with_output()).await {
        Ok(output) => output.expect("node's output is readable"),
        // Dropping the unfinished wait drops the child, which kill_on_drop kills.
        Err(_) => panic!(
            "browser scenario `{name}` ran past {SCENARIO_DEADLINE:?} and was killed (no output: it is \
             read when the process ends)"
        ),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser scenario `{name}` failed ({}) after {:.1} s; screenshots in {}\n--- stdout\n{stdout}--- \
         stderr\n{stderr}",
        output.status,
        started.elapsed().as_secs_f64(),
        screenshots.display()
    );
    println!(
        "browser scenario `{name}` passed in {:.1} s\n{stdout}",
        started.elapsed().as_secs_f64()
    );
}

/// Panics, saying how to install them, when the browser or the npm driver is missing.
fn require_browser_tools() {
    let chromium = std::env::var("DRYDOCK_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    assert!(
        Path::new(&chromium).is_file(),
        "{chromium} is missing: the browser tests drive Debian's Chromium; `cargo xtask test` (or `cargo xtask \
         browser`) installs it with apt-get as root, or run `apt-get install -y chromium`"
    );
    let driver = browser_dir().join("node_modules/playwright-core/package.json");
    assert!(
        driver.is_file(),
        "{} is missing: `cargo xtask test` (or `cargo xtask browser`) installs playwright-core with npm ci, or \
         run `npm ci` in tests/browser",
        driver.display()
    );
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// `<CARGO_TARGET_TMPDIR>/console/<name>`, emptied.
fn screenshot_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("console")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the screenshot directory can be made");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_the_keyboard_is_throttled_after_repeated_failures_and_signs_out() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "ada", Role::User).await;
    user_token(&server, "victor", Role::User).await;
    let env = [
        ("DRYDOCK_USER", "ada"),
        ("DRYDOCK_PASSWORD", "correct horse"),
        ("DRYDOCK_VICTIM", "victor"),
    ];
    run_scenario("sign_in", &server, &env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_toggles_a_capability_verifies_the_audit_chain_and_a_form_without_csrf_is_refused()
 {
    let data = tempfile::tempdir().unwrap();
    let policy = r#"
        [plugins.http]
        http = [{ url = "http://127.0.0.1:9/api/", methods = ["GET", "POST"] }]
    "#;
    let server = start(policy, data.path()).await;
    user_token(&server, "olga", Role::Operator).await;
    let env = [
        ("DRYDOCK_USER", "olga"),
        ("DRYDOCK_PASSWORD", "correct horse"),
        ("DRYDOCK_PLUGIN", "http"),
    ];
    run_scenario("operator", &server, &env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_item_becomes_a_plan_rehearsed_with_its_diff_and_approved_in_the_browser() {
    let data = tempfile::tempdir().unwrap();
    let workspace = crate::console_plans::workspace();
    let server = crate::console_plans::start(workspace.path(), data.path()).await;
    user_token(&server, "ada", Role::User).await;
    let env = [
        ("DRYDOCK_USER", "ada"),
        ("DRYDOCK_PASSWORD", "correct horse"),
    ];
    run_scenario("plan", &server, &env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_run_has_a_step_rejected_with_feedback_then_accepted_in_the_browser() {
    let data = tempfile::tempdir().unwrap();
    let server =
        crate::support::start_with_demo_workflows(data.path(), "bootstrap-browser-runs").await;
    user_token(&server, "ada", Role::User).await;
    let env = [
        ("DRYDOCK_USER", "ada"),
        ("DRYDOCK_PASSWORD", "correct horse"),
    ];
    run_scenario("workflow", &server, &env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_guards_catch_off_origin_requests_csp_violations_and_page_errors() {
    run_node("selfcheck", &browser_dir().join("selfcheck.mjs"), &[]).await;
}
