//! The one wasmtime [`Engine`] a Drydock process uses, configured for many short, isolated invocations.
//!
//! Why these settings: every invocation gets a fresh store, so instantiation cost dominates; the pooling
//! allocator makes it cheap (pre-reserved slots, no mmap per call). Epoch interruption gives a wall-clock
//! timeout at the cost of one load per loop back-edge, far cheaper than fuel; fuel stays available as an
//! opt-in for operators who want deterministic CPU budgets. When the pool cannot be reserved (a low
//! `ulimit -v`, a container with little address space) we fall back to on-demand allocation and say so in the
//! log instead of refusing to start.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::RuntimeError;

/// Bytes of each memory slot kept resident (zeroed in place) between invocations.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// How often the background ticker advances the engine's epoch. Timeouts are rounded up to this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings of the engine that apply to every plugin.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// The largest linear memory any plugin may be given, in bytes (per-plugin limits can only be lower).
    pub max_memory_bytes: usize,
    /// How many invocations may be instantiated at the same time (nested call-tool invocations count).
    pub max_concurrent_instances: u32,
    /// Count fuel in every store (deterministic CPU budgets, about 10-30% slower code).
    pub fuel: bool,
    /// Try the pooling allocator first (falls back to on-demand when it cannot be created).
    pub pooling: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            max_memory_bytes: 512 << 20,
            max_concurrent_instances: 256,
            fuel: false,
            pooling: true,
        }
    }
}

/// Which instance allocator the engine ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocatorKind {
    /// Pre-reserved slots: the fast path.
    Pooling,
    /// One allocation per instance: the fallback.
    OnDemand,
}

/// The engine plus the thread that advances its epoch.
pub struct DrydockEngine {
    engine: Engine,
    allocator: AllocatorKind,
    settings: EngineSettings,
    ticker: Option<EpochTicker>,
}

impl DrydockEngine {
    /// Builds the engine: pooling allocator when possible, epoch interruption, async support, and a ticker
    /// thread that advances the epoch every [`EPOCH_TICK`] until the engine is dropped.
    pub fn new(settings: EngineSettings) -> Result<Self, RuntimeError> {
        let (engine, allocator) = if settings.pooling {
            match Engine::new(&base_config(&settings, Some(pooling_config(&settings)))) {
                Ok(engine) => (engine, AllocatorKind::Pooling),
                Err(err) => {
                    tracing::warn!(
                        error = %err,
                        "the pooling allocator could not reserve its memory; falling back to on-demand \
                         allocation (slower instantiation; raise `ulimit -v` to get the fast path back)"
                    );
                    (on_demand_engine(&settings)?, AllocatorKind::OnDemand)
                }
            }
        } else {
            (on_demand_engine(&settings)?, AllocatorKind::OnDemand)
        };
        let ticker = Some(EpochTicker::start(engine.clone())?);
        Ok(Self {
            engine,
            allocator,
            settings,
            ticker,
        })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Which allocator is in use.
    pub fn allocator(&self) -> AllocatorKind {
        self.allocator
    }

    /// The settings the engine was built with.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }
}

impl Drop for DrydockEngine {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.stop();
        }
    }
}

fn on_demand_engine(settings: &EngineSettings) -> Result<Engine, RuntimeError> {
    Engine::new(&base_config(settings, None))
        .map_err(|err| RuntimeError::Engine(format!("{err:#}")))
}

fn base_config(settings: &EngineSettings, pooling: Option<PoolingAllocationConfig>) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(settings.fuel);
    // A guest that recurses without bound must hit a clean stack-overflow trap well before the host's own
    // stack is at risk; 512 KiB is plenty for ordinary Rust guests.
    config.max_wasm_stack(512 << 10);
    config.async_stack_size(2 << 20);
    if let Some(pool) = pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

fn pooling_config(settings: &EngineSettings) -> PoolingAllocationConfig {
    let instances = settings.max_concurrent_instances;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        // A Rust wasm32-wasip2 component holds a handful of core instances (the program and its shims).
        .total_core_instances(instances * 8)
        .max_core_instances_per_component(16)
        .total_memories(instances * 2)
        .max_memories_per_component(4)
        .total_tables(instances * 4)
        .max_tables_per_component(8)
        .total_stacks(instances)
        .max_memory_size(settings.max_memory_bytes)
        // Reset the first pages of a slot in place instead of returning them to the kernel: `madvise` on every
        // teardown costs TLB shootdowns across cores, and a small plugin's memory fits in this much.
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        // Without the scan, keeping memory resident means `memset`ting all of it on every teardown: 1 MiB
        // for a Rust guest whose untouched stack region sits below its data (a third of the CPU an echo call
        // cost over HTTP). `PAGEMAP_SCAN` (Linux 6.7+) finds the pages the guest actually wrote and resets
        // only those; where the kernel lacks it, `Auto` falls back to the plain reset.
        .pagemap_scan(Enabled::Auto);
    pool
}

/// Advances the epoch of an engine at a fixed rate on a background thread.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Result<Self, RuntimeError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let weak = engine.weak();
        drop(engine);
        let thread = std::thread::Builder::new()
            .name("drydock-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|err| RuntimeError::Engine(format!("cannot start the epoch thread: {err}")))?;
        Ok(Self { stop, thread })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// Number of epoch ticks that cover `timeout` (at least one).
pub fn ticks_for(timeout: Duration) -> u64 {
    (timeout.as_millis() as u64)
        .div_ceil(EPOCH_TICK.as_millis() as u64)
        .max(1)
}
