//! `cargo bench -p drydock --bench mcp`: what a sandboxed, audited `tools/call` costs over MCP's stdio
//! transport, against the cheapest request the same server answers, in one run.
//!
//! The server is the real binary: `drydock mcp` spawned with pipes, on a fresh data directory (real SQLite;
//! every call is appended to the audit log before it is answered) and a plugin directory holding only the
//! `echo` component. The client is a raw JSON-RPC client in this file: it writes one line and reads one
//! line, one request at a time, so each sample is one round trip through the pipes. After `initialize`,
//! [`WARM_UP`] pairs run unmeasured, then [`MEASURED`] pairs alternate `ping` and `tools/call echo.echo`, so
//! machine noise lands on both. `overhead_us` is the difference of the two medians: what the sandbox, the
//! grants, the journal and the audit append add to a request MCP answers anyway.
//!
//! A third request joins each round, a `tools/call` of a tool that does not exist: rmcp parses it as it
//! parses any call and the handler refuses it before any sandbox or audit. Its median against the ping's is
//! the protocol's own share of the overhead, printed beside the result (not part of the `RESULT` line).
//!
//! Two more samples join each round, taken in this process while the server waits: raw wasmtime running
//! the same `echo` call (the invoke bench's baseline: a fresh store, instantiate, `invoke`, drop) and a bare
//! SQLite commit of one row on a WAL file set up as the store's. Neither is Drydock's code: they are the
//! least a fresh sandbox, and an audit append to SQLite (the store DESIGN.md names) committed before the
//! answer, cost on this machine. With MCP's own share they make the floor under `overhead_us` for any design
//! that keeps both, printed as
//! `FLOOR mcp_share_us=<f> raw_wasmtime_p50_us=<f> sqlite_commit_p50_us=<f> floor_us=<f>`.
//!
//! Target: `overhead_us <= 40` on the 2-core machine. Ends with
//! `RESULT mcp_call_p50_us=<f> ping_p50_us=<f> overhead_us=<f>`.

#[path = "../../runtime/benches/support/baseline.rs"]
mod baseline;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use baseline::{baseline_engine, baseline_pre, percentile, raw_call};
use serde_json::{Value, json};

/// The binary's allocator (see `host/server/src/main.rs`): the floor is measured under the allocator the
/// server runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Unmeasured pairs before measuring.
const WARM_UP: usize = 300;
/// Measured pairs (one ping and one call each).
const MEASURED: usize = 3000;

fn main() {
    let plugins =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/wasm32-wasip2/release");
    let echo = plugins.join("echo.wasm");
    assert!(
        echo.is_file(),
        "build the plugins first (`cargo xtask plugins`): {} is missing",
        echo.display()
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let only_echo = dir.path().join("plugins");
    std::fs::create_dir(&only_echo).unwrap();
    std::fs::copy(&echo, only_echo.join("echo.wasm")).unwrap();
    let mut server = Server::spawn(dir.path(), &only_echo);
    let mut commit = BareCommit::open(dir.path());
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let engine = baseline_engine();
    let pre = baseline_pre(&engine, &echo, |_| {});
    let raw_args = json!({"text": "bench"}).to_string();
    let raw = || {
        let (took, answer) = tokio.block_on(raw_call(&engine, &pre, "echo.echo", &raw_args));
        assert!(answer.is_ok(), "raw wasmtime: {answer:?}");
        took
    };

    server.request(
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}),
    );
    server.notify("notifications/initialized");
    // The name tools/list gives `echo.echo`, as a client calls it.
    let call = json!({"name": "echo_echo", "arguments": {"text": "bench"}});
    for _ in 0..WARM_UP {
        server.request("ping", json!({}));
        let answer = server.request("tools/call", call.clone());
        assert_eq!(
            answer["result"]["structuredContent"]["text"], "bench",
            "{answer}"
        );
        raw();
        commit.timed();
    }
    let unknown = json!({"name": "no_such_tool", "arguments": {"text": "bench"}});
    let mut pings = Vec::with_capacity(MEASURED);
    let mut calls = Vec::with_capacity(MEASURED);
    let mut refusals = Vec::with_capacity(MEASURED);
    let mut raws = Vec::with_capacity(MEASURED);
    let mut commits = Vec::with_capacity(MEASURED);
    let started = Instant::now();
    for _ in 0..MEASURED {
        pings.push(server.timed("ping", json!({}), false));
        calls.push(server.timed("tools/call", call.clone(), false));
        refusals.push(server.timed("tools/call", unknown.clone(), true));
        raws.push(raw());
        commits.push(commit.timed());
    }
    let elapsed = started.elapsed();
    let (ping_p50, ping_p90) = (percentile(&mut pings, 0.5), percentile(&mut pings, 0.9));
    let (call_p50, call_p90) = (percentile(&mut calls, 0.5), percentile(&mut calls, 0.9));
    let (refused_p50, refused_p90) = (
        percentile(&mut refusals, 0.5),
        percentile(&mut refusals, 0.9),
    );
    println!("ping:            p50 {ping_p50:.1} us, p90 {ping_p90:.1} us ({MEASURED} requests)");
    println!("tools/call echo: p50 {call_p50:.1} us, p90 {call_p90:.1} us ({MEASURED} requests)");
    println!(
        "tools/call of no such tool: p50 {refused_p50:.1} us, p90 {refused_p90:.1} us ({MEASURED} requests)"
    );
    println!(
        "overhead: {:.1} us of MCP's own tools/call (the refusal against the ping), {:.1} us of sandbox, \
         journal and audit (the call against the refusal)",
        refused_p50 - ping_p50,
        call_p50 - refused_p50
    );
    let mcp_share = refused_p50 - ping_p50;
    let raw_p50 = percentile(&mut raws, 0.5);
    let commit_p50 = percentile(&mut commits, 0.5);
    let floor = mcp_share + raw_p50 + commit_p50;
    println!(
        "floor, in this process: raw wasmtime (fresh store, instantiate, invoke, drop) p50 {raw_p50:.1} us, \
         a bare SQLite commit of one row p50 {commit_p50:.1} us; with MCP's own share, {floor:.1} us before \
         any of Drydock's own work"
    );
    println!("measured in {:.1} s", elapsed.as_secs_f64());
    println!(
        "FLOOR mcp_share_us={mcp_share:.1} raw_wasmtime_p50_us={raw_p50:.1} sqlite_commit_p50_us={commit_p50:.1} \
         floor_us={floor:.1}"
    );
    println!(
        "RESULT mcp_call_p50_us={call_p50:.1} ping_p50_us={ping_p50:.1} overhead_us={:.1}",
        call_p50 - ping_p50
    );
    server.stop();
}

/// `drydock mcp` with its pipes.
struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    line: String,
}

impl Server {
    fn spawn(data: &Path, plugins: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["mcp", "--plugins"])
            .arg(plugins)
            .arg("--data-dir")
            .arg(data.join("data"))
            .current_dir(data)
            .env_remove("DRYDOCK_LIVE")
            .env_remove("DRYDOCK_CONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("drydock mcp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
            next_id: 1,
            line: String::new(),
        }
    }

    fn notify(&mut self, method: &str) {
        self.send(&json!({"jsonrpc": "2.0", "method": method}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            self.line.clear();
            if self.stdout.read_line(&mut self.line).unwrap() == 0 {
                panic!("drydock mcp closed its output");
            }
            let answer: Value = serde_json::from_str(&self.line).expect("a JSON-RPC line");
            if answer["id"] == id {
                return answer;
            }
        }
    }

    /// One message, one `write`: formatting straight into the pipe would write it a token at a time (a
    /// system call, and a wake-up of the server's reader, for each), and the longer message would pay more.
    fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_vec(message).unwrap();
        line.push(b'\n');
        self.stdin.write_all(&line).unwrap();
    }

    /// One request timed from the write to the answer; the answer must be a result, or an error when
    /// `refused`.
    fn timed(&mut self, method: &str, params: Value, refused: bool) -> Duration {
        let started = Instant::now();
        let answer = self.request(method, params);
        let took = started.elapsed();
        assert_eq!(answer.get("error").is_some(), refused, "{answer}");
        took
    }

    fn stop(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }
}

/// One row per transaction on a WAL file with the store's settings (`synchronous = NORMAL`, checkpoints
/// off the commit path) and nothing else: no chain, no index, no JSON. The least an append that is in the
/// log before the answer costs here.
struct BareCommit {
    conn: rusqlite::Connection,
    seq: i64,
}

impl BareCommit {
    fn open(dir: &Path) -> Self {
        let conn = rusqlite::Connection::open(dir.join("bare.sqlite")).expect("a SQLite file");
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .expect("WAL mode");
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch(
            "CREATE TABLE log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, \
             action TEXT NOT NULL, target TEXT, correlation_id TEXT, detail TEXT NOT NULL, \
             prev_hash TEXT NOT NULL, hash TEXT NOT NULL) STRICT",
        )
        .expect("the table");
        Self { conn, seq: 0 }
    }

    /// One row committed alone; a passive checkpoint every thousand rows (untimed), as the store's
    /// checkpoint thread would.
    fn timed(&mut self) -> Duration {
        self.seq += 1;
        let hash = "0".repeat(64);
        let started = Instant::now();
        self.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        self.conn
            .prepare_cached("INSERT INTO log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
            .unwrap()
            .execute(rusqlite::params![
                self.seq,
                "2026-11-28T21:00:00.000000Z",
                "operator",
                "tool.invoke",
                "echo.echo",
                format!("bench-{}", self.seq),
                r#"{"channel":"mcp","effects":0,"mode":"dry_run","omittedEffects":0,"outcome":"ok"}"#,
                hash,
                hash
            ])
            .unwrap();
        self.conn.execute_batch("COMMIT").unwrap();
        let took = started.elapsed();
        if self.seq % 1000 == 0 {
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .unwrap();
        }
        took
    }
}
