//! `cargo bench -p drydock-runtime --bench invoke`: the cost of a full Drydock invocation of a trivial tool
//! against raw wasmtime doing the least it can for the same call, measured in one run.
//!
//! - ours: `Runtime::invoke("echo.echo")` — schema check, grants and LivePolicy snapshot, fresh store and
//!   WASI context, HTTP gate, limiter, epoch deadline, journal, stdio capture, redaction.
//! - baseline: the same engine configuration, a linker with WASI and wasi-http only (echo imports nothing of
//!   `drydock:plugin/host`), a fresh store with an empty WASI context,
//!   `InstancePre::instantiate_async`, the `invoke` call of the same component, and dropping the store.
//!
//! Rounds alternate between the two so that machine noise hits both alike. Prints the p50 and p90 of each and
//! `RESULT invoke_p50_us=<f> baseline_p50_us=<f> ratio=<f>`.
//!
//! Then the guarded-POST case (`support/guarded_post.rs`): a live 2 KB POST under a plain grant and under
//! the same grant with every argument rule and a destination-bound secret, ending with
//! `RESULT guarded_post_p50_us=<f> plain_post_p50_us=<f> ratio=<f>`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[path = "support/baseline.rs"]
mod baseline;
#[path = "support/guarded_post.rs"]
mod guarded_post;

use baseline::{baseline_engine, baseline_pre, percentile, raw_call};
use drydock_policy::Policy;
use drydock_runtime::{HostValues, InvokeRequest, Runtime, RuntimeConfig, StaticValues};

/// The binary's allocator (see `host/server/src/main.rs`), so that what is measured is what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 20;
const CALLS_PER_ROUND: usize = 200;

fn main() {
    let echo = PathBuf::from(drydock_tests::plugins::ECHO);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    tokio.block_on(async move {
        let runtime = Runtime::new(
            RuntimeConfig::default(),
            Policy::empty(),
            HostValues {
                secrets: Arc::new(StaticValues::default()),
                env: Arc::new(StaticValues::default()),
            },
        )
        .expect("the runtime");
        let report = runtime.load_files(std::slice::from_ref(&echo)).await;
        assert!(
            report.failed.is_empty(),
            "echo did not load: {:?}",
            report.failed
        );
        let args = serde_json::json!({"text": "hello"});

        let engine = baseline_engine();
        let pre = baseline_pre(&engine, &echo, |_| {});
        let args_text = args.to_string();

        let mut ours = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
        let mut raw = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
        for round in 0..=ROUNDS {
            for _ in 0..CALLS_PER_ROUND {
                let start = Instant::now();
                let report = runtime
                    .invoke(InvokeRequest::dry_run("echo.echo", args.clone()))
                    .await;
                let elapsed = start.elapsed();
                assert!(report.outcome.is_ok(), "{:?}", report.outcome);
                if round > 0 {
                    ours.push(elapsed);
                }
            }
            for _ in 0..CALLS_PER_ROUND {
                let (elapsed, result) = raw_call(&engine, &pre, "echo.echo", &args_text).await;
                assert!(result.is_ok());
                if round > 0 {
                    raw.push(elapsed);
                }
            }
        }
        let (ours_p50, ours_p90) = (percentile(&mut ours, 0.5), percentile(&mut ours, 0.9));
        let (raw_p50, raw_p90) = (percentile(&mut raw, 0.5), percentile(&mut raw, 0.9));
        println!(
            "drydock invoke: p50 {ours_p50:.1} us, p90 {ours_p90:.1} us ({} calls, allocator {:?})",
            ours.len(),
            runtime.allocator()
        );
        println!(
            "raw wasmtime:   p50 {raw_p50:.1} us, p90 {raw_p90:.1} us ({} calls)",
            raw.len()
        );
        println!(
            "RESULT invoke_p50_us={ours_p50:.1} baseline_p50_us={raw_p50:.1} ratio={:.3}",
            ours_p50 / raw_p50
        );
        guarded_post::run().await;
    });
}
