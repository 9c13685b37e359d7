//! `cargo bench -p drydock --bench http`: what a sandboxed, audited tool call costs over HTTP compared with
//! the cheapest route the server has, measured in one run against one in-process server.
//!
//! The server is the real one: a `Core` on a fresh data directory (real SQLite, WAL, `synchronous=NORMAL`,
//! every invocation appended to the audit log before the answer is sent) and a runtime with the `echo`
//! plugin. Requests carry the API token of a user made for the run, as a client's would: the token is
//! looked up like any other (the bootstrap token, compared in memory, would skip that step). The load is
//! [`CONNECTIONS`] keep-alive HTTP/1.1 connections, each a task sending requests back to back, against
//! `GET /healthz` (routing, the metrics middleware, a JSON body: the floor) and against a dry-run
//! `POST /api/tools/echo.echo/invoke` (token check, schema check, a fresh wasm instance, redaction, the
//! audit append: group-committed with whatever other invocations are in flight, and answered only once
//! committed).
//!
//! The two targets take turns for [`ROUNDS`] rounds, each turn [`WARM_UP`] then [`MEASURE`]: on a shared
//! machine (this one is a 2-core VM whose neighbours come and go) a slow stretch then lands on both sides
//! instead of skewing the ratio. Only responses completed inside a measured window count; the rates are
//! totals over all rounds. Every status is checked; a non-200 or a broken connection is an error (counted
//! over the whole turn, warm-up included). Each target's line also gives the process's CPU time per answer
//! (client and server share the process and both cores, the same way for both targets): when other work
//! on the machine moves the rates, it helps tell a change in the code from a change in the load.
//!
//! The target is `ratio = invoke_rps / healthz_rps >= 0.35`: a sandboxed, audited tool call costs at most
//! about 3x a trivial route. Ends with `RESULT healthz_rps=<f> invoke_rps=<f> ratio=<f> invoke_p99_ms=<f>`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use drydock::api::{AppState, serve};
use drydock_core::{Core, CoreConfig, Role};
use drydock_policy::Policy;
use drydock_runtime::{HostValues, Runtime, RuntimeConfig, StaticValues};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The binary's allocator (see `host/server/src/main.rs`), so that what is measured is what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Concurrent keep-alive connections per phase.
const CONNECTIONS: usize = 32;
/// Turns each target takes.
const ROUNDS: usize = 4;
/// Load before each measured window, so caches, pools and the WAL are warm.
const WARM_UP: Duration = Duration::from_millis(250);
/// The measured window of each turn.
const MEASURE: Duration = Duration::from_secs(1);
/// A turn stops after this many requests even if the window has not ended.
const MAX_REQUESTS: u64 = 1_000_000;
/// Configured so that opening the store makes no first operator; no request of the bench uses it.
const BOOTSTRAP: &str = "bootstrap-token-for-bench";

/// One route to load.
struct Target {
    label: &'static str,
    method: &'static str,
    path: &'static str,
    authorization: Option<String>,
    body: Bytes,
}

impl Target {
    fn request(&self, host: &str) -> Request<Full<Bytes>> {
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.path)
            .header("host", host);
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        if !self.body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        request
            .body(Full::new(self.body.clone()))
            .expect("a valid request")
    }
}

/// What one connection, or merged a whole turn or every turn of a target, saw.
#[derive(Default)]
struct Tally {
    /// 200 answers completed inside the measured window.
    ok: u64,
    /// Non-200 answers and broken connections, over the whole turn.
    errors: u64,
    /// The latency of each answer counted in `ok`.
    latencies: Vec<Duration>,
    /// Measured time (the sum of the windows).
    measured: Duration,
    /// Process CPU time over the measured windows; `None` where it cannot be read.
    cpu: Option<Duration>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.latencies.extend(other.latencies);
        self.measured += other.measured;
        self.cpu = self.cpu.zip(other.cpu).map(|(a, b)| a + b);
    }

    /// Prints the target's line; returns (rps, p99 ms).
    fn report(mut self, label: &str) -> (f64, f64) {
        let measured = self.measured.as_secs_f64();
        let rps = self.ok as f64 / measured;
        self.latencies.sort();
        let (p50, p99) = (
            percentile_ms(&self.latencies, 0.50),
            percentile_ms(&self.latencies, 0.99),
        );
        // CPU per answer says where the time goes even when other work on the machine skews the rates; how
        // busy the cores were says whether the load saturated the process or it waited on something.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu = self.cpu.map_or_else(
            || "n/a".to_owned(),
            |cpu| {
                format!(
                    "{:.0} us per request, {:.0}% of {cores} cores",
                    cpu.as_secs_f64() * 1e6 / self.ok.max(1) as f64,
                    cpu.as_secs_f64() * 100.0 / (measured * cores as f64)
                )
            },
        );
        println!(
            "{label}: {} requests in {measured:.2} s ({ROUNDS} turns), {} errors, {rps:.0} rps, p50 {p50:.3} ms, \
             p99 {p99:.3} ms, process CPU {cpu}",
            self.ok, self.errors
        );
        (rps, p99)
    }
}

/// The bounds of a phase: load from now until `until`; count answers completed after `measure_from`.
#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    until: Instant,
}

/// The server, and the API token of a user (role `user`) to call it with.
async fn start_server(data_dir: &Path) -> (SocketAddr, String) {
    let runtime = Runtime::new(
        RuntimeConfig::default(),
        // No grants; a budget far above what the bench sends, so it measures the call, not the 429.
        Policy::parse(
            "[budgets]\nper_token = { requests = 4000000000, per_seconds = 1 }\n",
            "bench-policy.toml",
            data_dir,
        )
        .expect("the bench policy parses"),
        HostValues {
            secrets: Arc::new(StaticValues::default()),
            env: Arc::new(StaticValues::default()),
        },
    )
    .expect("the runtime");
    let report = runtime
        .load_files(&[PathBuf::from(drydock_tests::plugins::ECHO)])
        .await;
    assert!(report.failed.is_empty(), "echo did not load");
    let core = Core::open(
        CoreConfig {
            data_dir: data_dir.to_path_buf(),
            bootstrap_token: Some(BOOTSTRAP.into()),
        },
        runtime,
    )
    .await
    .expect("the core opens");
    let token = core
        .add_user("bench", "a password for the bench", Role::User, "bench")
        .await
        .expect("the bench's user");
    let state = AppState::new(core);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move {
        serve(listener, state, std::future::pending())
            .await
            .expect("the server runs");
    });
    (addr, token)
}

/// One keep-alive connection sending requests back to back; reconnects after a broken connection.
async fn connection(
    addr: SocketAddr,
    target: Arc<Target>,
    window: Window,
    sent: Arc<AtomicU64>,
) -> Tally {
    let host = addr.to_string();
    let mut tally = Tally::default();
    'connect: while Instant::now() < window.until {
        let Ok(stream) = TcpStream::connect(addr).await else {
            tally.errors += 1;
            break;
        };
        let Ok((mut sender, conn)) = http1::handshake(TokioIo::new(stream)).await else {
            tally.errors += 1;
            break;
        };
        tokio::spawn(conn);
        while Instant::now() < window.until && sent.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS {
            let start = Instant::now();
            let Ok(response) = sender.send_request(target.request(&host)).await else {
                tally.errors += 1;
                continue 'connect;
            };
            let status = response.status();
            let Ok(_) = response.into_body().collect().await else {
                tally.errors += 1;
                continue 'connect;
            };
            let end = Instant::now();
            if status != hyper::StatusCode::OK {
                tally.errors += 1;
            } else if end >= window.measure_from && end <= window.until {
                tally.ok += 1;
                tally.latencies.push(end - start);
            }
        }
        break;
    }
    tally
}

/// Loads `target` for one turn.
async fn turn(addr: SocketAddr, target: &Arc<Target>) -> Tally {
    let measure_from = Instant::now() + WARM_UP;
    let window = Window {
        measure_from,
        until: measure_from + MEASURE,
    };
    let sent = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(connection(addr, target.clone(), window, sent.clone())))
        .collect();
    tokio::time::sleep_until(window.measure_from.into()).await;
    let cpu_before = process_cpu();
    tokio::time::sleep_until(window.until.into()).await;
    let cpu_used = process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let mut total = Tally {
        // Shorter than MEASURE only when MAX_REQUESTS ended the turn early.
        measured: Instant::now()
            .min(window.until)
            .saturating_duration_since(measure_from),
        cpu: cpu_used,
        ..Tally::default()
    };
    for task in tasks {
        let tally = task.await.expect("a connection task");
        total.ok += tally.ok;
        total.errors += tally.errors;
        total.latencies.extend(tally.latencies);
    }
    total
}

/// The CPU time this process (server and client together) has used so far, from `/proc/self/stat`;
/// `None` where that file does not exist.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields 14 and 15 (utime, stime) count from after it.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let user: u64 = fields.nth(11)?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    // In clock ticks, which Linux reports to user space at 100 per second (USER_HZ).
    Some(Duration::from_millis((user + system) * 10))
}

/// The `p` quantile (nearest rank) of sorted samples, in milliseconds; NaN when there are none.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

fn main() {
    let data_dir = tempfile::tempdir().expect("a temporary data directory");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    tokio.block_on(async {
        let (addr, token) = start_server(data_dir.path()).await;
        let invoke_body = r#"{"args": {"text": "hello"}}"#;
        let check = drydock_tests::client::send(
            addr,
            "POST",
            "/api/tools/echo.echo/invoke",
            Some(&token),
            Some(invoke_body),
        )
        .await;
        assert_eq!(check.status, 200, "{}", check.body);
        assert_eq!(check.json()["result"]["text"], "hello", "{}", check.body);
        assert_eq!(check.json()["requestedMode"], "dry-run", "{}", check.body);

        let healthz = Arc::new(Target {
            label: "GET /healthz",
            method: "GET",
            path: "/healthz",
            authorization: None,
            body: Bytes::new(),
        });
        let invoke = Arc::new(Target {
            label: "POST /api/tools/echo.echo/invoke (dry-run)",
            method: "POST",
            path: "/api/tools/echo.echo/invoke",
            authorization: Some(format!("Bearer {token}")),
            body: Bytes::from_static(invoke_body.as_bytes()),
        });
        let (mut healthz_total, mut invoke_total) = (Tally::default(), Tally::default());
        healthz_total.cpu = Some(Duration::ZERO);
        invoke_total.cpu = Some(Duration::ZERO);
        for round in 1..=ROUNDS {
            let (h, i) = (turn(addr, &healthz).await, turn(addr, &invoke).await);
            println!(
                "round {round}: healthz {:.0} rps, invoke {:.0} rps",
                h.ok as f64 / h.measured.as_secs_f64(),
                i.ok as f64 / i.measured.as_secs_f64()
            );
            healthz_total.merge(h);
            invoke_total.merge(i);
        }
        let (healthz_rps, _) = healthz_total.report(healthz.label);
        let (invoke_rps, invoke_p99_ms) = invoke_total.report(invoke.label);
        println!(
            "RESULT healthz_rps={healthz_rps:.1} invoke_rps={invoke_rps:.1} ratio={:.3} invoke_p99_ms={invoke_p99_ms:.3}",
            invoke_rps / healthz_rps
        );
    });
}
