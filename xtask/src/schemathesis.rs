//! The API conformance step of `cargo xtask test`: schemathesis (a property-based tester for OpenAPI,
//! from PyPI) against a throwaway `drydock serve`, so the OpenAPI document and the server cannot drift
//! apart unnoticed.
//!
//! Schemathesis is pinned ([`PIN`]) and installed into a virtualenv under `target/` (`xtask-venv`), made
//! once and reused while it holds that version. The server runs on a free loopback port with a fresh data
//! directory, a known bootstrap token (an operator, so every route is reachable), the plugins in
//! `plugins/dist`, the workflows in `workflows/` and its own policy: the demo's grants, but the only HTTP
//! grant points at a closed loopback port, so generated tool calls never reach another machine, and the
//! master switch is off, so nothing goes live. Every operation is tested with three checks
//! ([`CHECKS`]), a bounded number of examples each and a fixed seed (override with
//! `DRYDOCK_SCHEMATHESIS_SEED`, e.g. to replay a seed a failing run printed); any failure fails the step.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The schemathesis release the step installs.
pub const PIN: &str = "4.32.5";
/// The checks run against every response.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance";
/// Generated cases per operation and phase: enough to cover every operation's shapes, few enough that
/// the step takes well under a minute on two cores.
const MAX_EXAMPLES: &str = "15";
/// The seed unless `DRYDOCK_SCHEMATHESIS_SEED` names another: the same run every time.
const SEED: &str = "20261127";
/// How long the server may take to start (it compiles the plugins into its fresh cache first).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// Runs the step: venv, server, schemathesis, then stops the server whatever happened.
pub fn run(root: &Path, cargo: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let st = ensure_venv(&root.join("target").join("xtask-venv"))?;
    crate::run(
        Command::new(cargo)
            .current_dir(root)
            .args(["build", "--quiet", "-p", "drydock"]),
    )?;
    let data = root
        .join("target")
        .join(format!("xtask-schemathesis-{}", std::process::id()));
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    std::fs::create_dir_all(data.join("workspace"))?;
    let policy = data.join("policy.toml");
    std::fs::write(&policy, policy_text(&data.join("workspace")))?;
    let token = format!("xtask-schemathesis-{}", std::process::id());
    let port = free_port()?;
    let mut server = Command::new(root.join("target/debug/drydock"))
        .current_dir(root)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DRYDOCK_DATA_DIR", data.join("data"))
        .env("DRYDOCK_CONFIG", &policy)
        .env("DRYDOCK_BOOTSTRAP_TOKEN", &token)
        .env_remove("DRYDOCK_LIVE")
        .env_remove("DRYDOCK_LISTEN")
        .env_remove("DRYDOCK_PLUGINS")
        .env_remove("DRYDOCK_WORKFLOWS")
        .env_remove("DRYDOCK_ALLOWED_HOSTS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start drydock serve")?;
    let outcome =
        wait_until_healthy(&mut server, port).and_then(|()| schemathesis(root, &st, port, &token));
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
    eprintln!(
        "xtask: schemathesis step took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    outcome
}

/// The `st` executable of a venv holding schemathesis [`PIN`], creating or updating the venv if needed.
fn ensure_venv(venv: &Path) -> anyhow::Result<PathBuf> {
    let st = venv.join("bin").join("st");
    let installed = Command::new(&st)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    if holds_pin(&installed) {
        return Ok(st);
    }
    eprintln!(
        "xtask: installing schemathesis {PIN} into {}",
        venv.display()
    );
    if !venv.join("bin").join("pip").exists() {
        crate::run(Command::new("python3").args(["-m", "venv"]).arg(venv))
            .context("python3 with its venv module is needed for the schemathesis step")?;
    }
    crate::run(Command::new(venv.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={PIN}"),
    ]))?;
    Ok(st)
}

/// Whether `st --version` output names the pinned release (`st, version 4.32.5`).
fn holds_pin(version_output: &str) -> bool {
    version_output
        .split_whitespace()
        .last()
        .is_some_and(|v| v == PIN)
}

/// The server's policy: the demo's plugins, with nothing that reaches past this machine.
fn policy_text(workspace: &Path) -> String {
    format!(
        "# Written by `cargo xtask test` for the schemathesis step.\n\
         [plugins.workspace]\n\
         fs = [{{ path = {workspace:?}, access = \"rw\" }}]\n\
         \n\
         # Port 9 (discard) on loopback: nothing listens, so a generated call is refused at once.\n\
         [plugins.jira]\n\
         http = [{{ url = \"http://127.0.0.1:9/rest/api/2/\", methods = [\"GET\", \"POST\"] }}]\n\
         secrets = [\"JIRA_TOKEN\"]\n\
         env = [\"JIRA_BASE_URL\"]\n",
        workspace = workspace.display().to_string(),
    )
}

/// A loopback port nothing listens on now (the OS picks it; it is released for the server to take).
fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Polls `/healthz` until it answers 200, the server exits, or [`START_TIMEOUT`] passes.
fn wait_until_healthy(server: &mut Child, port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Some(status) = server.try_wait()? {
            bail!("drydock serve exited with {status} before it answered /healthz");
        }
        if health_is_ok(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!(
        "drydock serve did not answer /healthz within {} s",
        START_TIMEOUT.as_secs()
    )
}

fn health_is_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

fn schemathesis(root: &Path, st: &Path, port: u16, token: &str) -> anyhow::Result<()> {
    let seed = std::env::var("DRYDOCK_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.into());
    eprintln!("xtask: schemathesis {PIN} against the OpenAPI document (seed {seed})");
    crate::run(
        Command::new(st)
            // Schemathesis keeps a cache (`.schemathesis/`) in its working directory: under target/.
            .current_dir(root.join("target"))
            .env("NO_COLOR", "1")
            .arg("--config-file")
            .arg(root.join("xtask").join("schemathesis.toml"))
            .args([
                "run",
                &format!("http://127.0.0.1:{port}/api/openapi.json"),
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                CHECKS,
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                &seed,
                "--report",
                "junit",
                "--report-dir",
            ])
            .arg(root.join("target").join("schemathesis-report")),
    )
    .context("schemathesis found responses that the OpenAPI document does not describe")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_venv_is_reused_only_when_it_holds_the_pinned_release() {
        assert!(holds_pin(&format!("st, version {PIN}\n")));
        assert!(!holds_pin("st, version 4.0.0\n"));
        assert!(!holds_pin(""));
    }

    #[test]
    fn the_policy_grants_http_only_on_loopback() {
        let text = policy_text(Path::new("/tmp/ws"));
        let value: toml::Value = toml::from_str(&text).unwrap();
        let jira = &value["plugins"]["jira"]["http"][0]["url"];
        assert_eq!(jira.as_str(), Some("http://127.0.0.1:9/rest/api/2/"));
        assert!(value["plugins"].get("http").is_none());
        assert_eq!(
            value["plugins"]["workspace"]["fs"][0]["path"].as_str(),
            Some("/tmp/ws")
        );
    }
}
