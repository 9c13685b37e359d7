//! The public face of the runtime: build it, load plugins, list tools, change the LivePolicy.
//!
//! A [`Runtime`] is cheap to clone (an `Arc`). Plugins are loaded into a new registry that is swapped in
//! whole; the policy and LivePolicy are snapshotted at the start of each invocation, so a change never
//! applies halfway through one. The master switch is fixed when the runtime is built and has no setter.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use drydock_policy::{Capability, LivePolicy, Policy};
use wasmtime::component::Linker;

use crate::cache::CompileCache;
use crate::capability::fs::MeteredFsData;
use crate::capability::llm::LlmProvider;
use crate::capability::secrets::HostValues;
use crate::engine::{AllocatorKind, DrydockEngine, EngineSettings};
use crate::error::RuntimeError;
use crate::host::tool_world::ToolPlugin;
use crate::journal::RecordBudget;
use crate::limits::Limits;
use crate::registry::{PluginInfo, Registry, ToolInfo};
use crate::state::InvocationState;

/// How to build a runtime. The default has the master switch off.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Engine-wide settings.
    pub engine: EngineSettings,
    /// Default limits of every invocation (the policy may override them per plugin).
    pub limits: Limits,
    /// Where compiled components are cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// The master switch. The binary sets it from `DRYDOCK_LIVE=1` in its environment; nothing else can.
    pub master_switch: bool,
    /// What one invocation may record.
    pub record_budget: RecordBudget,
}

impl RuntimeConfig {
    /// The default configuration with the master switch read from the process environment
    /// (`DRYDOCK_LIVE=1` exactly).
    pub fn from_env() -> Self {
        Self {
            master_switch: std::env::var("DRYDOCK_LIVE").as_deref() == Ok("1"),
            ..Self::default()
        }
    }
}

/// A plugin that could not be loaded, and why.
#[derive(Debug)]
pub struct LoadFailure {
    /// The component file.
    pub file: PathBuf,
    /// Why it was refused.
    pub error: RuntimeError,
}

/// The result of loading a directory of plugins.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Plugins now loaded.
    pub loaded: Vec<PluginInfo>,
    /// Files that were refused.
    pub failed: Vec<LoadFailure>,
}

/// The Drydock sandbox.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

pub(crate) struct RuntimeInner {
    pub(crate) engine: DrydockEngine,
    pub(crate) linker: Linker<InvocationState>,
    pub(crate) cache: CompileCache,
    pub(crate) config: RuntimeConfig,
    pub(crate) registry: RwLock<Arc<Registry>>,
    pub(crate) policy: RwLock<Arc<Policy>>,
    /// The policy file as it was read: which plugins it names.
    pub(crate) file_policy: Arc<Policy>,
    pub(crate) live_policy: RwLock<Arc<LivePolicy>>,
    pub(crate) values: HostValues,
    pub(crate) llm: RwLock<Option<Arc<dyn LlmProvider>>>,
    /// Requests per plugin and http grant in the last minute (`max_requests_per_minute`).
    pub(crate) request_windows: Arc<crate::capability::guard::RequestWindows>,
    /// Each plugin's secret scanner, kept while its destination-bound secrets stay the same.
    pub(crate) scanners: crate::capability::guard::ScannerCache,
    /// Each plugin's redactor, kept while its secrets stay the same.
    pub(crate) redactors: crate::redact::RedactorCache,
    /// Held while the loaded plugins change at run time ([`crate::changes`]), so two changes never
    /// build on the same old registry and lose one another.
    pub(crate) changing: tokio::sync::Mutex<()>,
}

impl Runtime {
    /// Builds the engine and linker. No plugin is loaded yet; the LivePolicy starts as the policy file says.
    pub fn new(
        config: RuntimeConfig,
        policy: Policy,
        values: HostValues,
    ) -> Result<Self, RuntimeError> {
        let engine = DrydockEngine::new(config.engine.clone())?;
        let linker = build_linker(engine.engine())?;
        let cache = match &config.cache_dir {
            Some(dir) => CompileCache::in_dir(dir)?,
            None => CompileCache::disabled(),
        };
        let live_policy = policy.initial_live_policy();
        Ok(Self {
            inner: Arc::new(RuntimeInner {
                engine,
                linker,
                cache,
                config,
                registry: RwLock::new(Arc::new(Registry::default())),
                file_policy: Arc::new(policy.clone()),
                policy: RwLock::new(Arc::new(policy)),
                live_policy: RwLock::new(Arc::new(live_policy)),
                values,
                llm: RwLock::new(None),
                request_windows: Arc::default(),
                scanners: Default::default(),
                redactors: Default::default(),
                changing: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Loads every `*.wasm` in `dir` (sorted by name) into a new registry and swaps it in. A file that fails
    /// is reported and skipped; the others still load.
    pub async fn load_dir(&self, dir: &Path) -> Result<LoadReport, RuntimeError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| RuntimeError::Io {
                action: "cannot read the plugin directory",
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "wasm") && path.is_file())
            .collect();
        files.sort();
        Ok(self.load_files(&files).await)
    }

    /// Loads exactly these component files into a new registry and swaps it in. A file that fails is
    /// reported and skipped; the others still load.
    pub async fn load_files(&self, files: &[PathBuf]) -> LoadReport {
        let mut registry = Registry::default();
        let mut report = LoadReport::default();
        for file in files {
            let file = file.clone();
            let loaded = self.inner.load_plugin(&file).await.and_then(|plugin| {
                let info = plugin.info.clone();
                registry.insert(plugin).map(|()| info)
            });
            match loaded {
                Ok(info) => report.loaded.push(info),
                Err(error) => {
                    tracing::warn!(file = %file.display(), error = %error, "plugin refused");
                    report.failed.push(LoadFailure { file, error });
                }
            }
        }
        *write(&self.inner.registry) = Arc::new(registry);
        report
    }

    /// Loads and checks one component without adding it to the registry (`drydock plugin check`).
    pub async fn check_file(&self, file: &Path) -> Result<PluginInfo, RuntimeError> {
        self.inner.load_plugin(file).await.map(|plugin| plugin.info)
    }

    /// Every loaded tool, by name.
    pub fn tools(&self) -> Vec<ToolInfo> {
        read(&self.inner.registry).tools()
    }

    /// Whether a loaded plugin offers `tool` (without copying every tool's description and schema, as
    /// [`Runtime::tools`] does).
    pub fn has_tool(&self, tool: &str) -> bool {
        read(&self.inner.registry).plugin_for_tool(tool).is_some()
    }

    /// The names of the loaded tools that `keep` accepts, in order: a lookup by some other form of the name
    /// (MCP's) without copying every tool's description and schema, as [`Runtime::tools`] does.
    pub fn tool_names_where(&self, mut keep: impl FnMut(&str) -> bool) -> Vec<String> {
        read(&self.inner.registry)
            .tool_names()
            .filter(|name| keep(name))
            .map(str::to_owned)
            .collect()
    }

    /// Every loaded plugin, by name.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        read(&self.inner.registry)
            .plugins()
            .map(|p| p.info.clone())
            .collect()
    }

    /// How many plugins are loaded (without copying their descriptions, as [`Runtime::plugins`] does).
    pub fn plugin_count(&self) -> usize {
        read(&self.inner.registry).plugins().count()
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        read(&self.inner.policy).clone()
    }

    /// The LivePolicy in force.
    pub fn live_policy(&self) -> Arc<LivePolicy> {
        read(&self.inner.live_policy).clone()
    }

    /// Sets which capabilities of `plugin` may go live; takes effect on the next invocation. Refuses a
    /// capability the plugin has no grant for (making it live could not do anything and hides a mistake).
    pub fn set_live(
        &self,
        plugin: &str,
        capabilities: std::collections::BTreeSet<Capability>,
    ) -> Result<(), String> {
        let policy = self.policy();
        let grants = policy.grants(plugin);
        for capability in &capabilities {
            let granted = match capability {
                Capability::Http => !grants.http.is_empty(),
                Capability::Fs => grants
                    .fs
                    .iter()
                    .any(|g| g.access == drydock_policy::FsAccess::ReadWrite),
                Capability::Secrets | Capability::Env | Capability::Llm => false,
            };
            if !granted {
                return Err(format!(
                    "plugin `{plugin}` has no `{capability}` grant that could go live (only http grants and \
                     rw fs grants have writes)"
                ));
            }
        }
        let mut live = (**read(&self.inner.live_policy)).clone();
        live.set(plugin, capabilities);
        *write(&self.inner.live_policy) = Arc::new(live);
        Ok(())
    }

    /// Whether the master switch is on (fixed at start).
    pub fn master_switch(&self) -> bool {
        self.inner.config.master_switch
    }

    /// Which instance allocator the engine uses.
    pub fn allocator(&self) -> AllocatorKind {
        self.inner.engine.allocator()
    }

    /// Plugs in the language model used by `host.llm-complete`.
    pub fn set_llm(&self, provider: Option<Arc<dyn LlmProvider>>) {
        *write(&self.inner.llm) = provider;
    }
}

fn build_linker(engine: &wasmtime::Engine) -> Result<Linker<InvocationState>, RuntimeError> {
    let mut linker = Linker::new(engine);
    let wrap =
        |err: wasmtime::Error| RuntimeError::Engine(format!("cannot link host functions: {err:#}"));
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wrap)?;
    // The filesystem again, over wasmtime-wasi's own: the same calls behind the write quota.
    linker.allow_shadowing(true);
    wasmtime_wasi::p2::bindings::filesystem::types::add_to_linker::<_, MeteredFsData>(
        &mut linker,
        InvocationState::metered_fs,
    )
    .map_err(wrap)?;
    linker.allow_shadowing(false);
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(wrap)?;
    ToolPlugin::add_to_linker::<_, wasmtime::component::HasSelf<InvocationState>>(
        &mut linker,
        |s| s,
    )
    .map_err(wrap)?;
    Ok(linker)
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
