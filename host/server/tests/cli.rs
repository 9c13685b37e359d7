//! The `drydock` command line as a plugin author uses it: check a component, invoke a tool, read errors.

use std::path::Path;
use std::process::{Command, Output};

use drydock_tests::plugins::{ECHO, PLUGIN_DIR};

#[path = "cli/hostile.rs"]
mod hostile;
#[path = "cli/mcp.rs"]
mod mcp;
#[path = "cli/packages.rs"]
mod packages;
#[path = "cli/plugin_projects.rs"]
mod plugin_projects;
#[path = "cli/snippets.rs"]
mod snippets;
#[path = "cli/workflow_run.rs"]
mod workflow_run;

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
    assert_eq!(report["requestedMode"], "dry-run");
    assert_eq!(report["masterSwitch"], false);
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

#[test]
fn user_add_and_offline_audit_verify_work_on_a_data_directory() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args([
            "user",
            "add",
            "olivia",
            "--role",
            "operator",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret-pass\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("added operator `olivia`; token: dd_"),
        "{stdout}"
    );
    assert!(!stdout.contains("s3cret-pass") && !text(&out.stderr).contains("s3cret-pass"));

    let verify = drydock(
        &["audit", "verify", "--data-dir", data.to_str().unwrap()],
        dir.path(),
    );
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(
        text(&verify.stdout).contains("audit log intact: 1 rows"),
        "{}",
        text(&verify.stdout)
    );

    let missing = drydock(
        &["audit", "verify", "--data-dir", "/nonexistent/drydock"],
        dir.path(),
    );
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("/nonexistent/drydock"),
        "{}",
        text(&missing.stderr)
    );
}

/// Reads lines from a child's pipe until one contains `needle` (bounded by the pipe closing).
fn line_with(reader: &mut impl std::io::BufRead, needle: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("the process closed its output before printing `{needle}`");
        }
        if line.contains(needle) {
            return line.trim().to_owned();
        }
    }
}

fn get(addr: &str, path: &str, token: &str) -> String {
    request(addr, "GET", path, token, "")
}

#[test]
fn serve_prints_the_first_operator_token_once_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--plugins",
                PLUGIN_DIR,
                "--data-dir",
                data.to_str().unwrap(),
            ])
            .current_dir(dir.path())
            .env_remove("DRYDOCK_BOOTSTRAP_TOKEN")
            .env_remove("DRYDOCK_LIVE")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut server = start();
    let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let token = line_with(&mut stdout, "operator token:")
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let serving = line_with(&mut stderr, "drydock is serving on http://");
    let addr = serving.rsplit("http://").next().unwrap().to_owned();
    let tools = get(&addr, "/api/tools", &token);
    assert!(tools.starts_with("HTTP/1.1 200"), "{tools}");
    assert!(tools.contains("echo.echo"), "{tools}");

    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "a SIGTERM is a graceful stop: {status}");

    let mut again = start();
    let mut stderr = std::io::BufReader::new(again.stderr.take().unwrap());
    line_with(&mut stderr, "drydock is serving on http://");
    again.kill().unwrap();
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut again.stdout.take().unwrap(), &mut printed).unwrap();
    assert!(
        !printed.contains("operator token"),
        "the token is printed only on the first start: {printed}"
    );
    let _ = again.wait();
}

/// A `drydock serve` child process with one operator `olivia` (password `olivia-pass`); killed on drop.
pub(crate) struct ServedDrydock {
    child: std::process::Child,
    url: String,
    home: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

impl Drop for ServedDrydock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn served_drydock() -> ServedDrydock {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(workspace.join("README.md"), "# The test workspace\n").unwrap();
    let policy = dir.path().join("drydock.toml");
    std::fs::write(
        &policy,
        format!(
            "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
            workspace.display().to_string()
        ),
    )
    .unwrap();
    let mut add = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["user", "add", "olivia", "--role", "operator", "--data-dir"])
        .arg(&data)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"olivia-pass\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let workflows = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins", PLUGIN_DIR])
        .arg("--data-dir")
        .arg(&data)
        .arg("--config")
        .arg(&policy)
        .arg("--workflows")
        .arg(&workflows)
        .current_dir(dir.path())
        .env_remove("DRYDOCK_BOOTSTRAP_TOKEN")
        .env_remove("DRYDOCK_LIVE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let serving = line_with(&mut stderr, "drydock is serving on http://");
    let url = format!("http://{}", serving.rsplit("http://").next().unwrap());
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    ServedDrydock {
        child,
        url,
        home: tempfile::tempdir().unwrap(),
        _dir: dir,
    }
}

/// How long a pty session waits for expected output before the test fails as hung. Generous on
/// purpose: a step such as `plugin install` compiles a JavaScript component (StarlingMonkey, ~10 MB)
/// on the server, which took over 30 s on the 2-core CI machine while the other CLI tests built
/// plugins beside it. This guards against hangs; it is not a timing assertion.
const PTY_PATIENCE_MS: u64 = 300_000;

/// `drydock <args>` in a pseudo-terminal, with HOME pointing at the test's own home.
pub(crate) fn pty(served: &ServedDrydock, args: &[&str]) -> rexpect::session::PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drydock"));
    command
        .args(args)
        .env("HOME", served.home.path())
        .env("DRYDOCK_SERVER", &served.url)
        .env("NO_COLOR", "1");
    rexpect::session::spawn_command(command, Some(PTY_PATIENCE_MS))
        .expect("the CLI starts in a pty")
}

#[test]
fn login_stores_the_token_privately_and_a_wrong_password_says_so() {
    let served = served_drydock();
    let mut wrong = pty(&served, &["login"]);
    wrong.exp_string("Username: ").unwrap();
    wrong.send_line("olivia").unwrap();
    wrong.exp_string("Password: ").unwrap();
    wrong.send_line("not-the-password").unwrap();
    wrong.exp_string("wrong username or password").unwrap();
    wrong.exp_eof().unwrap();
    let credentials = served.home.path().join(".drydock/credentials");
    assert!(!credentials.exists(), "a failed login stores nothing");

    let mut login = pty(&served, &["login"]);
    login.exp_string("Username: ").unwrap();
    login.send_line("olivia").unwrap();
    login.exp_string("Password: ").unwrap();
    login.send_line("olivia-pass").unwrap();
    login.exp_string("Logged in to").unwrap();
    login.exp_eof().unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "credentials are the owner's alone");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&credentials).unwrap()).unwrap();
    assert!(stored["token"].as_str().unwrap().starts_with("dd_"));
    assert!(
        !std::fs::read_to_string(&credentials)
            .unwrap()
            .contains("olivia-pass")
    );
}

#[test]
fn the_shell_lists_workflows_and_explains_unknown_commands() {
    let served = served_drydock();
    let mut login = pty(&served, &["login", "--username", "olivia"]);
    login.exp_string("Password: ").unwrap();
    login.send_line("olivia-pass").unwrap();
    login.exp_eof().unwrap();

    let mut shell = pty(&served, &["shell"]);
    shell.exp_string("drydock> ").unwrap();
    shell.send_line("help").unwrap();
    shell.exp_string("workflow run <name>").unwrap();
    shell.exp_string("drydock> ").unwrap();
    shell.send_line("workflow list").unwrap();
    shell.exp_regex(r"1\. .+ echo_loop - ").unwrap();
    shell.exp_string("drydock> ").unwrap();
    shell.send_line("frobnicate").unwrap();
    shell
        .exp_string("unknown command `frobnicate`; type `help`")
        .unwrap();
    shell.exp_string("drydock> ").unwrap();
    shell.send_line("exit").unwrap();
    shell.exp_eof().unwrap();
}

#[test]
fn client_commands_without_a_login_say_how_to_log_in() {
    let served = served_drydock();
    let mut list = pty(&served, &["workflow", "list"]);
    list.exp_string("not logged in").unwrap();
    list.exp_string("drydock login").unwrap();
    list.exp_eof().unwrap();
}

/// One HTTP/1.1 request with a bearer token (and a JSON body if given); the raw answer.
fn request(addr: &str, method: &str, path: &str, token: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn serve_says_at_start_when_an_operators_live_toggle_replaces_the_policy_files_list() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(
        dir.path().join("drydock.toml"),
        format!(
            "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\nlive = [\"fs\"]\n",
            workspace.display().to_string()
        ),
    )
    .unwrap();
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["serve", "--listen", "127.0.0.1:0", "--plugins", PLUGIN_DIR])
            .arg("--data-dir")
            .arg(&data)
            .current_dir(dir.path())
            .env("DRYDOCK_BOOTSTRAP_TOKEN", "toggle-test-token")
            .env_remove("DRYDOCK_LIVE")
            .env_remove("DRYDOCK_CONFIG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        (child, stderr)
    };
    let (mut first, mut stderr) = start();
    let serving = line_with(&mut stderr, "drydock is serving on http://");
    let addr = serving.rsplit("http://").next().unwrap().to_owned();
    let toggled = request(
        &addr,
        "PUT",
        "/api/policy/plugins/workspace/live",
        "toggle-test-token",
        r#"{"capabilities": []}"#,
    );
    assert!(toggled.starts_with("HTTP/1.1 200"), "{toggled}");
    first.kill().unwrap();
    let _ = first.wait();

    let (mut again, mut stderr) = start();
    let mut log = String::new();
    loop {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            break;
        }
        log.push_str(&line);
        if line.contains("drydock is serving on http://") {
            break;
        }
    }
    again.kill().unwrap();
    let _ = again.wait();
    let said = log
        .lines()
        .find(|l| l.contains("replaces the policy file's `live` list"))
        .unwrap_or_else(|| panic!("the override is not in the start log:\n{log}"));
    assert!(
        said.contains("workspace")
            && said.contains("policy_file=[fs]")
            && said.contains("in_force=[]"),
        "{said}"
    );
}
