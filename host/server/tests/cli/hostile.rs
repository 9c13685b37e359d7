//! What a hostile plugin can make the command line and a served `drydock` do: drive the terminal (never:
//! its escape sequences are shown, not obeyed) and hold host memory (bounded, measured on the process).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use drydock_tests::plugins::PLUGIN_DIR;

use super::{drydock, line_with, text};

/// Bytes a terminal would act on: ESC, BEL, 8-bit CSI (U+009B in UTF-8) and the right-to-left override.
const OBEYED: [&[u8]; 4] = [b"\x1b", b"\x07", "\u{9b}".as_bytes(), "\u{202e}".as_bytes()];

fn assert_nothing_obeyed(stdout: &[u8]) {
    for sequence in OBEYED {
        assert!(
            !stdout.windows(sequence.len()).any(|w| w == sequence),
            "the CLI printed {sequence:?} raw:\n{}",
            String::from_utf8_lossy(stdout)
        );
    }
}

#[test]
fn the_cli_shows_a_plugins_escape_sequences_instead_of_obeying_them() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["error", "result"] {
        let args = format!(r#"{{"mode": "{mode}"}}"#);
        let invoke = [
            "tool",
            "invoke",
            "hostile_terminal_escape.run",
            "--args",
            &args,
            "--plugins",
            PLUGIN_DIR,
        ];
        let out = drydock(&invoke, dir.path());
        assert_nothing_obeyed(&out.stdout);
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(r"\x1b[1A\x1b[2Kall effects were reads"),
            "{stdout}"
        );
        assert!(stdout.contains(r"\x9b2Jprogress"), "{stdout}");
        assert!(stdout.contains(r"title\x1b]0;pwned\x07"), "{stdout}");
        assert!(stdout.contains(r"invoice\u{202e}fdp.exe"), "{stdout}");
        if mode == "error" {
            assert!(
                stdout.contains(r"\x1b[2J\x1b[Hnothing happened"),
                "{stdout}"
            );
        } else {
            assert!(
                stdout.contains(r"\\u001b") || stdout.contains(r"\x9b"),
                "{stdout}"
            );
        }

        let mut json = invoke.to_vec();
        json.push("--json");
        let out = drydock(&json, dir.path());
        assert_nothing_obeyed(&out.stdout);
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("--json output stays valid JSON");
        assert_eq!(report["tool"], "hostile_terminal_escape.run");
    }
}

/// A `drydock serve` child with an operator token, stopped when dropped.
struct Served {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

const TOKEN: &str = "bomb-test-operator-token";

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_with_bombs() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let policy = dir.path().join("drydock.toml");
    std::fs::write(
        &policy,
        format!(
            "[plugins.hostile_diff_bomb]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n",
            workspace.display().to_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins", PLUGIN_DIR])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&policy)
        .arg("--workflows")
        .arg(&workflows)
        .current_dir(dir.path())
        .env("DRYDOCK_BOOTSTRAP_TOKEN", TOKEN)
        .env_remove("DRYDOCK_LIVE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let serving = line_with(&mut stderr, "drydock is serving on http://");
    let addr = serving.rsplit("http://").next().unwrap().to_owned();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Served {
        child,
        addr,
        _dir: dir,
    }
}

/// `POST /api/tools/{tool}/invoke {"args": args}` as the operator; the status and the body.
fn invoke(served: &Served, tool: &str, args: &serde_json::Value) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "args": args }).to_string();
    let mut stream = TcpStream::connect(&served.addr).unwrap();
    write!(
        stream,
        "POST /api/tools/{tool}/invoke HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        served.addr,
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP response");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let payload = &response[split + 4..];
    let value = serde_json::from_slice(payload).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(payload).into_owned())
    });
    (status, value)
}

/// `VmRSS` or `VmHWM` of a process, in KiB.
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Resets the process's peak resident size to its current one (Linux: `clear_refs` value 5).
fn reset_peak(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .expect("resetting the peak RSS of the child (Linux /proc/<pid>/clear_refs)");
}

#[test]
fn a_served_drydock_holds_bounded_memory_while_bombs_run() {
    let served = serve_with_bombs();
    let pid = served.child.id();
    let (status, warm) = invoke(&served, "echo.echo", &serde_json::json!({"text": "warm"}));
    assert_eq!(status, 200, "{warm}");
    // Generous for what the guest's own memory adds (it is in the host's RSS too); the bombs took the host
    // to 0.8–1.5 GiB before they were bounded.
    const MAX_GROWTH_KIB: u64 = 256 << 10;
    let bombs = [
        ("hostile_artifact_bomb.run", serde_json::json!({}), None),
        ("hostile_journal_bomb.run", serde_json::json!({}), None),
        (
            "hostile_diff_bomb.run",
            serde_json::json!({"mode": "bytes"}),
            Some("fs_write_limit"),
        ),
        (
            "hostile_diff_bomb.run",
            serde_json::json!({"mode": "files"}),
            Some("fs_entry_limit"),
        ),
    ];
    for (tool, args, error) in bombs {
        reset_peak(pid);
        let before = memory_kib(pid, "VmRSS");
        let (status, report) = invoke(&served, tool, &args);
        let peak = memory_kib(pid, "VmHWM");
        assert_eq!(status, 200, "{tool}: {report}");
        match error {
            Some(code) => assert_eq!(report["error"]["code"], code, "{tool}"),
            None => assert!(report["result"].is_object(), "{tool}: {}", report["error"]),
        }
        let size = report.to_string().len();
        assert!(size < 8 << 20, "{tool}: a {size}-byte report");
        let growth = peak.saturating_sub(before);
        eprintln!("{tool} {args}: peak RSS {before} KiB → {peak} KiB (+{growth} KiB)");
        assert!(
            growth < MAX_GROWTH_KIB,
            "{tool} {args}: the server's peak RSS grew by {growth} KiB (from {before} KiB)"
        );
    }
    let (status, after) = invoke(
        &served,
        "echo.echo",
        &serde_json::json!({"text": "still here"}),
    );
    assert_eq!(
        (status, &after["result"]["text"]),
        (200, &serde_json::json!("still here"))
    );
}
