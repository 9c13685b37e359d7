//! Bad input from Python and JavaScript plugins: a component built for another contract version, a module
//! that throws while it is imported or evaluated, a plugin that takes another plugin's name or tool, and a
//! schema that is not valid JSON Schema. Each is refused with a message that names the problem (and, where
//! there is one, what to do), nothing of the refused plugin is offered, and the plugins beside it load and
//! work as if it were not there. (`describe` throwing is in `languages.rs`; a build that fails for other
//! reasons belongs to `drydock plugin build`.)
//!
//! A module that throws at import never reaches the host: componentize-py imports it and componentize-js
//! evaluates it at build time, to snapshot the initialised engine, so the throw is a build failure. Those
//! fixtures live in `plugins/hostile/unbuildable/`, which `cargo xtask plugins` leaves alone, and their tests
//! run the toolchain the way xtask does and check what it says.

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_runtime::{LoadReport, Runtime};
use drydock_tests::plugins::componentized;
use serde_json::json;

use crate::support::{dry, ok};

/// A runtime with nothing granted (every case here is about loading) and the shared compile cache, so each
/// component is compiled once per test run.
fn runtime() -> Runtime {
    Runtime::new(
        drydock_runtime::RuntimeConfig {
            cache_dir: Some(
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drydock-compile-cache"),
            ),
            ..drydock_runtime::RuntimeConfig::default()
        },
        drydock_policy::Policy::empty(),
        drydock_runtime::HostValues {
            secrets: std::sync::Arc::new(drydock_runtime::StaticValues::default()),
            env: std::sync::Arc::new(drydock_runtime::StaticValues::default()),
        },
    )
    .unwrap()
}

/// Loads `files` in order into a fresh runtime.
async fn load(files: &[PathBuf]) -> (Runtime, LoadReport) {
    let runtime = runtime();
    let report = runtime.load_files(files).await;
    (runtime, report)
}

fn componentized_files(names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| componentized(name).into())
        .collect()
}

/// The one refusal of `report`, as the host words it; fails unless exactly `refused` was refused.
fn the_refusal(report: &LoadReport, refused: &Path) -> String {
    let failed: Vec<(&Path, String)> = report
        .failed
        .iter()
        .map(|f| (f.file.as_path(), f.error.to_string()))
        .collect();
    assert_eq!(failed.len(), 1, "exactly one refusal: {failed:?}");
    assert_eq!(failed[0].0, refused, "{failed:?}");
    failed[0].1.clone()
}

/// Nothing of the refused plugin `name` is offered, and the working notes plugins are: `notes_py.echo` and
/// `notes_js.echo` answer.
async fn only_the_working_plugins_are_offered(runtime: &Runtime, refused: &str) {
    let plugins: Vec<String> = runtime.plugins().into_iter().map(|p| p.name).collect();
    assert_eq!(plugins, ["notes_js", "notes_py"], "{refused} is not loaded");
    let tools: Vec<String> = runtime.tools().into_iter().map(|t| t.name).collect();
    assert!(
        tools.iter().all(|t| !t.starts_with(&format!("{refused}."))),
        "nothing of {refused} is offered: {tools:?}"
    );
    for plugin in ["notes_py", "notes_js"] {
        let report = dry(
            runtime,
            &format!("{plugin}.echo"),
            json!({"text": "still here"}),
        )
        .await;
        assert_eq!(ok(&report)["text"], "still here", "{plugin}.echo");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_built_for_another_contract_version_is_refused_naming_both_versions_and_the_fix() {
    // One fixture per language, each built against its own `wit/` at drydock:plugin@0.2.0.
    for fixture in ["hostile_py_wrong_version", "hostile_js_wrong_version"] {
        let files = componentized_files(&["notes_py", fixture, "notes_js"]);
        let (runtime, report) = load(&files).await;
        let said = the_refusal(&report, &files[1]);
        for expected in [
            "does not implement a Drydock world",
            "another version of the plugin contract",
            "it exports `drydock:plugin/tool@0.2.0` (`drydock:plugin@0.2.0`)",
            "this host speaks `drydock:plugin@0.1.0`",
            "rebuild it against the SDK of this Drydock",
        ] {
            assert!(
                said.contains(expected),
                "{fixture}: `{expected}` in: {said}"
            );
        }
        only_the_working_plugins_are_offered(&runtime, fixture).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_declaring_another_plugins_tool_is_refused_naming_both() {
    // hostile_py_impersonate declares `notes_js.read`, loaded after the real notes_js.
    let files = componentized_files(&["notes_js", "hostile_py_impersonate", "notes_py"]);
    let (runtime, report) = load(&files).await;
    let said = the_refusal(&report, &files[1]);
    assert!(
        said.contains("plugin `hostile_py_impersonate` declares a bad tool")
            && said.contains("tool `notes_js.read` must be named `hostile_py_impersonate.<tool>`")
            && said.contains("the tools of the plugin `notes_js`"),
        "{said}"
    );
    only_the_working_plugins_are_offered(&runtime, "hostile_py_impersonate").await;
    let read = runtime
        .tools()
        .into_iter()
        .find(|t| t.name == "notes_js.read")
        .expect("notes_js.read is still offered");
    assert_eq!(read.plugin, "notes_js");
    assert!(
        read.description.starts_with("Reads a note"),
        "the real tool: {read:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_plugin_of_the_same_name_is_refused_naming_both_files_and_the_first_keeps_working()
{
    // The impersonator installed as `notes_js.wasm` in another directory: its tools are well-formed under
    // that name, so only the registry stands between it and the real notes_js.
    let elsewhere = tempfile::tempdir().unwrap();
    let impostor = elsewhere.path().join("notes_js.wasm");
    std::fs::copy(componentized("hostile_py_impersonate"), &impostor).unwrap();
    let real = PathBuf::from(componentized("notes_js"));
    let files = vec![
        real.clone(),
        impostor.clone(),
        componentized("notes_py").into(),
    ];
    let (runtime, report) = load(&files).await;
    let said = the_refusal(&report, &impostor);
    assert!(
        said.contains(&format!(
            "plugin `notes_js` from `{}` is refused: a plugin named `notes_js` is already loaded from `{}`",
            impostor.display(),
            real.display()
        )) && said.contains("rename one of the files"),
        "{said}"
    );
    only_the_working_plugins_are_offered(&runtime, "hostile_py_impersonate").await;
    let notes_js = runtime
        .plugins()
        .into_iter()
        .find(|p| p.name == "notes_js")
        .unwrap();
    assert_eq!(notes_js.file, real, "the first notes_js stays loaded");
    // Nothing is granted, so the real read is refused; the impostor's would have answered.
    let report = dry(&runtime, "notes_js.read", json!({"path": "x.md"})).await;
    assert!(
        report.outcome.is_err(),
        "the impostor's read never answers: {:?}",
        report.outcome
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_is_not_valid_json_schema_is_refused_naming_the_tool_and_the_problem() {
    for (fixture, problem) in [
        // `"type": "text"` is no JSON Schema type.
        (
            "hostile_py_bad_schema",
            "at /properties/path/type: \"text\" is not valid",
        ),
        // `required` must be an array.
        (
            "hostile_js_bad_schema",
            "at /required: \"path\" is not of type \"array\"",
        ),
    ] {
        let files = componentized_files(&["notes_py", fixture, "notes_js"]);
        let (runtime, report) = load(&files).await;
        let said = the_refusal(&report, &files[1]);
        assert!(
            said.contains(&format!(
                "plugin `{fixture}` declares a bad tool: tool `{fixture}.broken`"
            )) && said.contains(&format!(
                "the input schema is not valid JSON Schema {problem}"
            )),
            "{fixture}: {said}"
        );
        // The plugin's good tool is not offered either: a plugin loads whole or not at all.
        only_the_working_plugins_are_offered(&runtime, fixture).await;
    }
}

/// The directory of the plugins' workspace.
fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins")
}

/// The toolchain `cargo xtask plugins` installed under `plugins/target/toolchains` (`componentize-py-*`):
/// its path below that directory. Panics, saying how to install it, when it is missing.
fn toolchain(prefix: &str, inside: &str) -> PathBuf {
    let home = plugins_dir().join("target/toolchains");
    std::fs::read_dir(&home)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .map(|path| path.join(inside))
        .filter(|path| path.exists())
        .unwrap_or_else(|| {
            panic!(
                "no {prefix}* in {}: run `cargo xtask plugins` first",
                home.display()
            )
        })
}

/// What building the unbuildable fixture `fixture` says: the toolchain's stderr (which xtask shows, less
/// its Rust backtrace). Fails if it built, or left a component behind.
fn build_failure(fixture: &str, entry: &str) -> String {
    let plugins = plugins_dir();
    let dir = plugins.join("hostile/unbuildable").join(fixture);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out.wasm");
    // The same command lines as xtask/src/language_plugins.rs.
    let mut command = if entry == "app.py" {
        let mut command = Command::new(toolchain("componentize-py-", "bin/componentize-py"));
        command
            .arg("-d")
            .arg(plugins.join("sdk-python/wit"))
            .args(["-w", "tool-plugin", "componentize", "-p"])
            .arg(plugins.join("sdk-python"))
            .arg("-p")
            .arg(&dir)
            .arg("app")
            .arg("-o")
            .arg(&out);
        command
    } else {
        let mut command = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()));
        command
            .current_dir(&plugins)
            .arg(plugins.join("sdk-js/build.mjs"))
            .arg(toolchain(
                "componentize-js-",
                "node_modules/@bytecodealliance/componentize-js",
            ))
            .arg(dir.join(entry))
            .arg(&out);
        command
    };
    let output = command.output().expect("the toolchain runs");
    assert!(
        !output.status.success(),
        "{fixture} built, but it throws at import"
    );
    assert!(!out.exists(), "{fixture}: no component is left behind");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The 1-based line of `fixture`'s `entry` that holds `needle` (so the test does not hard-code it).
fn line_of(fixture: &str, entry: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(
        plugins_dir()
            .join("hostile/unbuildable")
            .join(fixture)
            .join(entry),
    )
    .unwrap();
    text.lines().position(|line| line.contains(needle)).unwrap() + 1
}

#[test]
fn a_python_module_that_raises_at_import_fails_to_build_with_the_exception_and_its_line() {
    let said = build_failure("py-import-throws", "app.py");
    let line = line_of("py-import-throws", "app.py", "raise RuntimeError");
    assert!(
        said.contains(&format!("app.py\", line {line}, in <module>"))
            && said.contains("RuntimeError: the module is broken on purpose at import"),
        "{said}"
    );
}

#[test]
fn a_javascript_module_that_throws_at_evaluation_fails_to_build_with_the_error_and_its_line() {
    let said = build_failure("js-eval-throws", "app.js");
    let line = line_of("js-eval-throws", "app.js", "throw new Error");
    assert!(
        said.contains("Exception while evaluating top-level script")
            && said.contains(&format!("js-eval-throws/app.js:{line}:"))
            && said.contains("Error: the module is broken on purpose at evaluation"),
        "{said}"
    );
}
