//! Engine settings: the pooling allocator falls back to on-demand allocation when its reservation cannot
//! be made, and fuel gives a deterministic CPU budget when an operator turns it on.

use drydock_runtime::{AllocatorKind, EngineSettings};
use drydock_tests::plugins::{ECHO, HOSTILE_INFINITE_LOOP};
use serde_json::json;

use crate::support::{HostOptions, dry, err_code, host, ok};

#[tokio::test]
async fn an_impossible_pool_falls_back_to_on_demand_allocation_and_still_runs() {
    let options = HostOptions {
        engine: Some(EngineSettings {
            // Millions of 4 GiB slots cannot be reserved in a 47-bit address space.
            max_concurrent_instances: 10_000_000,
            max_memory_bytes: 4 << 30,
            ..EngineSettings::default()
        }),
        ..HostOptions::default()
    };
    let runtime = host("", &[ECHO], options).await;
    assert_eq!(runtime.allocator(), AllocatorKind::OnDemand);
    assert_eq!(
        ok(&dry(&runtime, "echo.echo", json!({"text": "x"})).await)["text"],
        "x"
    );
}

#[tokio::test]
async fn the_default_engine_uses_the_pooling_allocator() {
    let runtime = host("", &[ECHO], HostOptions::default()).await;
    assert_eq!(runtime.allocator(), AllocatorKind::Pooling);
}

#[tokio::test]
async fn with_fuel_counting_a_spinning_plugin_runs_out_of_fuel() {
    let options = HostOptions {
        engine: Some(EngineSettings {
            fuel: true,
            ..EngineSettings::default()
        }),
        ..HostOptions::default()
    };
    let policy = "[plugins.hostile_infinite_loop.limits]\nfuel = 5000000\n";
    let runtime = host(policy, &[HOSTILE_INFINITE_LOOP, ECHO], options).await;
    let report = dry(&runtime, "hostile_infinite_loop.run", json!({})).await;
    assert_eq!(err_code(&report), "fuel_exhausted");
    assert_eq!(
        ok(&dry(&runtime, "echo.echo", json!({"text": "x"})).await)["text"],
        "x"
    );
}
