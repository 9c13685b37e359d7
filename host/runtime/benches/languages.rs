//! `cargo bench -p drydock-runtime --bench languages`: an isolated call (fresh instance) of the same echo tool
//! written in Rust (`echo.echo`), Python (`notes_py.echo`, componentize-py) and JavaScript (`notes_js.echo`,
//! componentize-js), each through Drydock and through raw wasmtime (the same engine configuration, a fresh
//! store, `instantiate` and the `invoke` call of the same component; the contract's host imports are left
//! trapping there since echo calls none of them), and the peak RSS of a host that loaded the three from its
//! compile cache and called them (compiling them once costs more, and only once).
//!
//! Rounds alternate between Drydock and raw wasmtime so that machine noise hits both alike. Build the Python
//! and JavaScript components first (`cargo xtask plugins`). Ends with
//! `RESULT rust_p50_us=<f> python_p50_us=<f> js_p50_us=<f> python_ratio=<f> js_ratio=<f> rss_mib=<f>`.
//! Targets on the 2-core machine: Python ≤ 1,000 µs, JS ≤ 500 µs, each ratio ≤ 1.2.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[path = "support/baseline.rs"]
mod baseline;

use baseline::{Baseline, baseline_engine, baseline_pre, percentile, raw_call};
use drydock_policy::Policy;
use drydock_runtime::{HostValues, InvokeRequest, Runtime, RuntimeConfig, StaticValues};
use wasmtime::component::Linker;

/// Alternating rounds after one unmeasured round.
/// The binary's allocator (see `host/server/src/main.rs`), so that what is measured is what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 10;

/// One language's echo: its label, component and tool, and how many calls per round (interpreted
/// languages are slower per call, so fewer keep the run short).
struct Subject {
    label: &'static str,
    file: PathBuf,
    tool: &'static str,
    calls_per_round: usize,
}

fn main() {
    let subjects = [
        Subject {
            label: "rust",
            file: PathBuf::from(drydock_tests::plugins::ECHO),
            tool: "echo.echo",
            calls_per_round: 200,
        },
        Subject {
            label: "python",
            file: PathBuf::from(drydock_tests::plugins::componentized("notes_py")),
            tool: "notes_py.echo",
            calls_per_round: 40,
        },
        Subject {
            label: "js",
            file: PathBuf::from(drydock_tests::plugins::componentized("notes_js")),
            tool: "notes_js.echo",
            calls_per_round: 40,
        },
    ];
    let cache = tempfile::tempdir().expect("a cache directory");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    tokio.block_on(async move {
        let start = || {
            Runtime::new(
                RuntimeConfig {
                    cache_dir: Some(cache.path().to_path_buf()),
                    ..RuntimeConfig::default()
                },
                Policy::empty(),
                HostValues {
                    secrets: Arc::new(StaticValues::default()),
                    env: Arc::new(StaticValues::default()),
                },
            )
            .expect("the runtime")
        };
        let files: Vec<PathBuf> = subjects.iter().map(|s| s.file.clone()).collect();
        // A first host compiles the three into the cache; the measured one starts as a restarted server
        // does, from the cache, so its peak RSS is that of running them, not of compiling them.
        let compiling = start();
        let report = compiling.load_files(&files).await;
        assert!(report.failed.is_empty(), "not loaded: {:?}", report.failed);
        drop(compiling);
        reset_peak_rss();
        let runtime = start();
        let report = runtime.load_files(&files).await;
        assert!(report.failed.is_empty(), "not loaded: {:?}", report.failed);
        for subject in &subjects {
            for _ in 0..20 {
                let args = serde_json::json!({"text": "hello"});
                let report = runtime.invoke(InvokeRequest::dry_run(subject.tool, args)).await;
                assert!(report.outcome.is_ok(), "{}: {:?}", subject.label, report.outcome);
            }
        }
        // Before the baseline compiles its own copies of the components in this process.
        let rss_mib = peak_rss_mib();

        let engine = baseline_engine();
        let mut results = Vec::new();
        for subject in &subjects {
            let pre = baseline_pre(&engine, &subject.file, define_host_as_traps);
            let args = serde_json::json!({"text": "hello"});
            let args_text = args.to_string();
            let (mut ours, mut raw) = (Vec::new(), Vec::new());
            for round in 0..=ROUNDS {
                for _ in 0..subject.calls_per_round {
                    let start = Instant::now();
                    let report = runtime
                        .invoke(InvokeRequest::dry_run(subject.tool, args.clone()))
                        .await;
                    let elapsed = start.elapsed();
                    assert!(report.outcome.is_ok(), "{}: {:?}", subject.label, report.outcome);
                    if round > 0 {
                        ours.push(elapsed);
                    }
                }
                for _ in 0..subject.calls_per_round {
                    let (elapsed, result) = raw_call(&engine, &pre, subject.tool, &args_text).await;
                    assert!(result.is_ok(), "{}: {result:?}", subject.label);
                    if round > 0 {
                        raw.push(elapsed);
                    }
                }
            }
            let ours_p50 = percentile(&mut ours, 0.5);
            let raw_p50 = percentile(&mut raw, 0.5);
            println!(
                "{:<7} drydock p50 {ours_p50:>8.1} us (p90 {:>8.1}), raw wasmtime p50 {raw_p50:>8.1} us, ratio {:.3} ({} calls each)",
                subject.label,
                percentile(&mut ours, 0.9),
                ours_p50 / raw_p50,
                ours.len()
            );
            results.push((ours_p50, raw_p50));
        }
        println!("peak RSS with the three loaded and called: {rss_mib:.1} MiB");
        println!(
            "RESULT rust_p50_us={:.1} python_p50_us={:.1} js_p50_us={:.1} python_ratio={:.3} js_ratio={:.3} rss_mib={rss_mib:.1}",
            results[0].0,
            results[1].0,
            results[2].0,
            results[1].0 / results[1].1,
            results[2].0 / results[2].1
        );
    });
}

/// The contract's host interface, every function a trap: the echo tools call none of them, and the baseline
/// must not pay for Drydock's implementation of it. (`define_unknown_imports_as_traps` cannot be used: it
/// would also stub the WASI versions the components name, clashing with the real ones.)
fn define_host_as_traps(linker: &mut Linker<Baseline>) {
    linker
        .instance("drydock:plugin/types@0.1.0")
        .expect("the types instance");
    let mut host = linker
        .instance("drydock:plugin/host@0.1.0")
        .expect("the host instance");
    for name in [
        "log",
        "progress",
        "emit-artifact",
        "secret",
        "call-tool",
        "current-mode",
        "llm-complete",
    ] {
        host.func_new(name, move |_, _, _, _| {
            Err(wasmtime::format_err!("the baseline has no `{name}`"))
        })
        .expect("a trapping host function");
    }
}

/// Starts a new peak-RSS measurement (Linux: `5` into `/proc/self/clear_refs` resets `VmHWM`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident set (`VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
