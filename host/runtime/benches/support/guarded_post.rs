//! The guarded-POST case of the invoke bench: the `http` plugin POSTs a 2 KB JSON body, live, to a local
//! stand-in on 127.0.0.1, once under a plain grant (URL and methods only) and once under the same grant
//! with every argument rule set (`max_body_bytes`, both request counters, `query_params`, `body_schema`)
//! and a secret granted for that URL, so the secret scanner reads the whole request. Rounds alternate
//! between the two, and which goes first alternates from round to round. Ends with `RESULT guarded_post_p50_us=<f> plain_post_p50_us=<f> ratio=<f>`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use drydock_policy::{Mode, PlanApproval, Policy};
use drydock_runtime::{HostValues, InvokeRequest, Runtime, RuntimeConfig, StaticValues};
use drydock_tests::peer::Peer;

use crate::baseline::percentile;

const ROUNDS: usize = 10;
const CALLS_PER_ROUND: usize = 100;
/// A secret long enough for every encoded form to be scanned for.
const TOKEN: &str = "bench-token-5f1e0c9a7b3d";

async fn runtime(policy: &str, http_plugin: &PathBuf) -> Runtime {
    let policy =
        Policy::parse(policy, "bench.toml", &std::env::temp_dir()).expect("the bench policy");
    let config = RuntimeConfig {
        master_switch: true,
        ..RuntimeConfig::default()
    };
    let values = HostValues {
        secrets: Arc::new(StaticValues::of([("BENCH_TOKEN", TOKEN)])),
        env: Arc::new(StaticValues::default()),
    };
    let runtime = Runtime::new(config, policy, values).expect("the runtime");
    let report = runtime.load_files(std::slice::from_ref(http_plugin)).await;
    assert!(
        report.failed.is_empty(),
        "http did not load: {:?}",
        report.failed
    );
    runtime
}

async fn post(runtime: &Runtime, args: &serde_json::Value) -> Duration {
    let request = InvokeRequest {
        mode: Mode::Live,
        plan_approval: PlanApproval::NotAPlan,
        ..InvokeRequest::dry_run("http.request", args.clone())
    };
    let start = Instant::now();
    let report = runtime.invoke(request).await;
    let elapsed = start.elapsed();
    let result = report.outcome.expect("the POST succeeds");
    assert_eq!(result["status"], 200, "{result}");
    elapsed
}

/// Runs the case and prints its lines.
pub async fn run() {
    let http_plugin = PathBuf::from(drydock_tests::plugins::HTTP);
    let peer = Peer::start().await;
    let base = peer.base_url();
    let plain = format!(
        "[plugins.http]\nhttp = [{{ url = \"{base}/api/\", methods = [\"POST\"] }}]\nlive = [\"http\"]\n"
    );
    let guarded = format!(
        "[plugins.http]\nhttp = [{{ url = \"{base}/api/\", methods = [\"POST\"], max_body_bytes = 4096, \
         max_requests_per_invocation = 4, max_requests_per_minute = 1000000, query_params = [\"q\"], \
         body_schema = {{ type = \"object\", required = [\"text\"], properties = {{ text = {{ type = \"string\" }} }} }} }}]\n\
         secrets = [{{ name = \"BENCH_TOKEN\", to = [\"{base}/api/\"] }}]\nlive = [\"http\"]\n"
    );
    let plain = runtime(&plain, &http_plugin).await;
    let guarded = runtime(&guarded, &http_plugin).await;
    let body = serde_json::json!({ "text": "x".repeat(2048 - 11) }).to_string();
    assert_eq!(body.len(), 2048);
    let args = serde_json::json!({
        "url": format!("{base}/api/items?q=bench"),
        "method": "POST",
        "headers": {"content-type": "application/json"},
        "body": body,
    });
    let mut plain_times = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
    let mut guarded_times = Vec::with_capacity(ROUNDS * CALLS_PER_ROUND);
    for round in 0..=ROUNDS {
        // Which case goes first alternates, so that neither always runs on a warmer machine.
        let order = if round % 2 == 0 {
            [(&plain, &mut plain_times), (&guarded, &mut guarded_times)]
        } else {
            [(&guarded, &mut guarded_times), (&plain, &mut plain_times)]
        };
        for (runtime, times) in order {
            for _ in 0..CALLS_PER_ROUND {
                let elapsed = post(runtime, &args).await;
                if round > 0 {
                    times.push(elapsed);
                }
            }
        }
    }
    let plain_p50 = percentile(&mut plain_times, 0.5);
    let guarded_p50 = percentile(&mut guarded_times, 0.5);
    println!(
        "plain POST:   p50 {plain_p50:.1} us, p90 {:.1} us ({} live 2 KB POSTs to 127.0.0.1)",
        percentile(&mut plain_times, 0.9),
        plain_times.len()
    );
    println!(
        "guarded POST: p50 {guarded_p50:.1} us, p90 {:.1} us (all argument rules, secret scanner)",
        percentile(&mut guarded_times, 0.9)
    );
    println!(
        "RESULT guarded_post_p50_us={guarded_p50:.1} plain_post_p50_us={plain_p50:.1} ratio={:.3}",
        guarded_p50 / plain_p50
    );
}
