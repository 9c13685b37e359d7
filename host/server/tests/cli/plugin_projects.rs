//! `drydock plugin new` and `drydock plugin build` as a plugin author meets them: a new project in each
//! language builds with the real toolchain and passes its own `test.sh` (a dry run in the real sandbox);
//! a broken build names the file and line; bad names, occupied directories, missing toolchains and
//! directories that are no project each get a sentence saying what to do, and leave nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::text;

/// The toolchains `cargo xtask plugins` installed for the repository's own plugins (the README's test
/// command runs it first), so these tests build with the same componentize-py and componentize-js.
fn toolchains() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/toolchains")
}

fn drydock_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drydock"));
    command
        .args(args)
        .current_dir(dir)
        .env("DRYDOCK_TOOLCHAINS", toolchains())
        .env_remove("DRYDOCK_LIVE")
        .env_remove("DRYDOCK_CONFIG");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the command runs")
}

fn new_project(parent: &Path, name: &str, language: &str) -> PathBuf {
    let out = run(&mut drydock_in(
        parent,
        &["plugin", "new", name, "--lang", language],
    ));
    assert!(out.status.success(), "[{language}] {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("sh test.sh"),
        "[{language}] says what to do next"
    );
    parent.join(name)
}

/// `plugin new`, then the project's own `test.sh` with this build of drydock.
fn new_project_passes_its_own_test(language: &str) {
    let parent = tempfile::tempdir().unwrap();
    let project = new_project(parent.path(), "field-notes", language);
    let mut test = Command::new("sh");
    test.arg("test.sh")
        .current_dir(&project)
        .env("DRYDOCK", env!("CARGO_BIN_EXE_drydock"))
        .env("DRYDOCK_TOOLCHAINS", toolchains())
        // A real cargo build of the project; its dependencies are compiled once per checkout, not per run.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-project-rust"),
        )
        .env("DRYDOCK_LIVE", "1");
    let out = run(&mut test);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "[{language}] test.sh failed:\n{said}");
    for check in [
        "ok    read gives the note",
        "ok    a dry-run POST is answered by the host",
        "ok    an ungranted URL is denied",
        "ok    a path outside the workspace is refused",
        "all passed",
    ] {
        assert!(said.contains(check), "[{language}] `{check}` in:\n{said}");
    }
    assert!(
        project.join("target/drydock/field_notes.wasm").is_file(),
        "[{language}] the component is where the README says"
    );
    assert!(
        said.contains("package field_notes 0.1.0"),
        "[{language}] the build embeds the project's manifest: {said}"
    );

    // The author signs the package; `plugin check` shows the tools, the package and its signer.
    let key = run(&mut drydock_in(
        &project,
        &["key", "generate", "--out", "signing.key"],
    ));
    assert!(key.status.success(), "[{language}] {}", text(&key.stderr));
    let public = text(&key.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("public key: ").map(str::to_owned))
        .expect("the public key is printed");
    let signed = run(&mut drydock_in(
        &project,
        &[
            "plugin",
            "sign",
            "target/drydock/field_notes.wasm",
            "--key",
            "signing.key",
        ],
    ));
    assert!(
        signed.status.success(),
        "[{language}] {}",
        text(&signed.stderr)
    );
    let check = run(&mut drydock_in(
        &project,
        &["plugin", "check", "target/drydock/field_notes.wasm"],
    ));
    let listed = text(&check.stdout);
    assert!(
        listed.contains("field_notes.read") && listed.contains("field_notes.post"),
        "[{language}] {listed}"
    );
    let package = text(&check.stdout);
    assert!(
        package.contains("package  field_notes 0.1.0")
            && package.contains(&format!("signed by {public}")),
        "[{language}] {package}"
    );
}

#[test]
fn a_new_rust_plugin_builds_and_passes_its_own_test() {
    new_project_passes_its_own_test("rust");
}

#[test]
fn a_new_python_plugin_builds_and_passes_its_own_test() {
    new_project_passes_its_own_test("python");
}

#[test]
fn a_new_javascript_plugin_builds_and_passes_its_own_test() {
    new_project_passes_its_own_test("js");
}

/// Replaces `from` with `to` in the project's entry file.
fn break_entry(project: &Path, entry: &str, from: &str, to: &str) {
    let path = project.join(entry);
    let source = std::fs::read_to_string(&path).unwrap();
    assert!(source.contains(from), "{entry} has {from:?}");
    std::fs::write(&path, source.replacen(from, to, 1)).unwrap();
}

fn build_fails(project: &Path) -> String {
    let out = run(&mut drydock_in(project, &["plugin", "build"]));
    assert!(!out.status.success(), "the build must fail");
    assert!(
        !project.join("target/drydock/field_notes.wasm").exists(),
        "a failed build leaves no component behind"
    );
    text(&out.stderr)
}

#[test]
fn a_python_exception_at_import_is_reported_with_its_file_and_line() {
    let parent = tempfile::tempdir().unwrap();
    let project = new_project(parent.path(), "field-notes", "python");
    break_entry(
        &project,
        "app.py",
        "\nplugin = Plugin(",
        "\nLIMIT = 1 / 0\nplugin = Plugin(",
    );
    let said = build_fails(&project);
    assert!(
        said.contains("File \"app.py\", line 10, in <module>")
            && said.contains("LIMIT = 1 / 0")
            && said.contains("ZeroDivisionError: division by zero"),
        "{said}"
    );
    assert!(
        !said.contains("Stack backtrace") && !said.contains("componentize-py\", line"),
        "the toolchain's own frames are cut: {said}"
    );
}

#[test]
fn a_javascript_syntax_error_is_reported_with_its_file_and_line() {
    let parent = tempfile::tempdir().unwrap();
    let project = new_project(parent.path(), "field-notes", "js");
    break_entry(&project, "app.js", "const URL = {", "const URL = ({");
    let said = build_fails(&project);
    assert!(said.contains("[app.js:10:"), "{said}");
    assert!(
        said.contains("const URL = ({"),
        "the line itself is shown: {said}"
    );
}

#[test]
fn a_javascript_exception_at_module_evaluation_is_reported_with_its_file_and_line() {
    let parent = tempfile::tempdir().unwrap();
    let project = new_project(parent.path(), "field-notes", "js");
    break_entry(
        &project,
        "app.js",
        "\nconst plugin = new Plugin(",
        "\nthrow new Error('no config yet');\nconst plugin = new Plugin(",
    );
    let said = build_fails(&project);
    assert!(
        said.contains("app.js:7:") && said.contains("no config yet"),
        "{said}"
    );
    assert!(
        !said.contains("wizer-linux"),
        "the pre-initialiser's path is noise: {said}"
    );
}

#[test]
fn plugin_new_refuses_bad_names_unknown_languages_and_occupied_directories() {
    let parent = tempfile::tempdir().unwrap();
    let bad_name = run(&mut drydock_in(
        parent.path(),
        &["plugin", "new", "Field Notes", "--lang", "python"],
    ));
    assert!(!bad_name.status.success());
    assert!(
        text(&bad_name.stderr).contains("lower-case letters"),
        "{}",
        text(&bad_name.stderr)
    );

    let go = run(&mut drydock_in(
        parent.path(),
        &["plugin", "new", "notes", "--lang", "go"],
    ));
    assert!(!go.status.success());
    assert!(text(&go.stderr).contains("TinyGo"), "{}", text(&go.stderr));

    std::fs::create_dir(parent.path().join("taken")).unwrap();
    std::fs::write(parent.path().join("taken/mine.txt"), "keep me").unwrap();
    let taken = run(&mut drydock_in(
        parent.path(),
        &["plugin", "new", "taken", "--lang", "js"],
    ));
    assert!(!taken.status.success());
    assert!(
        text(&taken.stderr).contains("not empty"),
        "{}",
        text(&taken.stderr)
    );
    assert_eq!(
        std::fs::read_dir(parent.path().join("taken"))
            .unwrap()
            .count(),
        1,
        "the occupied directory is left as it was"
    );
    let left: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["taken"], "no half-written project is left behind");
}

#[test]
fn plugin_build_outside_a_project_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut drydock_in(dir.path(), &["plugin", "build"]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("drydock plugin new"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_python_or_node_says_what_to_install() {
    let parent = tempfile::tempdir().unwrap();
    let python = new_project(parent.path(), "py-notes", "python");
    let empty_cache = parent.path().join("no-toolchains-yet");
    let out = run(drydock_in(&python, &["plugin", "build"])
        .env("DRYDOCK_TOOLCHAINS", &empty_cache)
        .env("PYTHON", "/nonexistent/python3"));
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("Python 3 is needed") && said.contains("python3-venv"),
        "{said}"
    );

    let js = new_project(parent.path(), "js-notes", "js");
    let out = run(drydock_in(&js, &["plugin", "build"]).env("NODE", "/nonexistent/node"));
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("Node.js 20 or newer") && said.contains("apt-get install nodejs"),
        "{said}"
    );
}
