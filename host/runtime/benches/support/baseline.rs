//! What the benches (invoke, languages, and the MCP bench's floor) compare against: raw wasmtime with the
//! same engine configuration as Drydock's, a linker with WASI and wasi-http only, and a fresh store per call.

use std::path::Path;
use std::time::{Duration, Instant};

use drydock_runtime::host::tool_world::ToolPluginPre;
use drydock_runtime::host::wit_types::ToolError;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The state of a raw store: WASI and wasi-http contexts, nothing of Drydock.
pub struct Baseline {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub http: WasiHttpCtx,
}

impl WasiView for Baseline {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Baseline {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// An engine configured as Drydock's (pooling allocator, epoch interruption, stack limit).
pub fn baseline_engine() -> Engine {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(64)
        .total_core_instances(512)
        .max_core_instances_per_component(16)
        .total_memories(128)
        .total_tables(256)
        .max_tables_per_component(8)
        .max_memories_per_component(4)
        .total_stacks(64)
        .max_memory_size(512 << 20)
        // The same pooling tuning Drydock's engine uses, so the comparison measures Drydock's own work.
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(512 << 10)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).expect("the baseline engine")
}

/// The tool component at `path`, linked to WASI and wasi-http and whatever `more_imports` adds, ready to
/// instantiate.
pub fn baseline_pre(
    engine: &Engine,
    path: &Path,
    more_imports: impl FnOnce(&mut Linker<Baseline>),
) -> ToolPluginPre<Baseline> {
    let component = Component::from_file(engine, path).expect("the tool component");
    let mut linker: Linker<Baseline> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("wasi");
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("wasi-http");
    more_imports(&mut linker);
    ToolPluginPre::new(linker.instantiate_pre(&component).expect("pre")).expect("typed pre")
}

/// The `p` quantile of `samples`, in microseconds.
pub fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1e6
}

/// One raw call of `tool`: a fresh store, instantiate, `invoke`, and dropping the store (the pooling
/// allocator decommits the instance's memory then; Drydock's side is timed through the same); how long it
/// took and the tool's answer.
pub async fn raw_call(
    engine: &Engine,
    pre: &ToolPluginPre<Baseline>,
    tool: &str,
    args: &String,
) -> (Duration, Result<String, ToolError>) {
    let start = Instant::now();
    let mut store = Store::new(
        engine,
        Baseline {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
        },
    );
    store.set_epoch_deadline(u64::MAX / 2);
    let plugin = pre
        .instantiate_async(&mut store)
        .await
        .expect("instantiate");
    let result = plugin
        .drydock_plugin_tool()
        .call_invoke(&mut store, tool, args)
        .await
        .expect("call");
    drop(store);
    (start.elapsed(), result)
}
