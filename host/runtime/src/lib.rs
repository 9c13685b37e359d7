//! # drydock-runtime: the sandbox
//!
//! Runs plugins (WebAssembly components implementing `drydock:plugin@0.1.0`) in wasmtime with nothing granted
//! by default. Every effect that leaves the sandbox crosses a capability module that asks `drydock-policy`
//! for a decision (read / simulated / live / denied) and records it in the invocation's journal.
//!
//! # Layout
//! - [`runtime`]: [`Runtime`], the public face: build, load plugins, list tools, change the LivePolicy.
//! - [`changes`]: the loaded plugins changed while the runtime serves: add, replace, remove, and the
//!   grants of installed plugins.
//! - [`invoke`]: [`Runtime::invoke`] and planner calls; the runtime as the call-tool [`ToolCaller`].
//! - [`loader`]: one component file → hash, pin check, compile (cached), world check, `describe`.
//! - [`sandbox`]: one guest call in a fresh store; limits and traps turned into precise errors.
//! - [`context`]: [`CallContext`], what the host knows about one running invocation.
//! - [`state`]: the store data (WASI, wasi-http, limiter) of one invocation.
//! - [`capability`]: one module per capability (http, fs, secrets, env, llm, call-tool), and `guard`: what
//!   a granted effect may carry (argument rules, secret flow, checked addresses).
//! - [`host`]: bindings generated from `wit/` and the `drydock:plugin/host` implementation.
//! - [`registry`], [`world`], [`schema`]: loaded plugins, world detection, argument validation.
//! - [`rehearsal`]: rehearsal-bound live runs: a live write must match the approved rehearsal, or it
//!   waits for an operator's review ([`RehearsalBinding`], [`ReviewDesk`]).
//! - [`journal`], [`redact`], [`output`]: the record of a call, secret redaction, bounded stdio capture.
//! - [`engine`], [`cache`], [`limits`]: the wasmtime engine, the compiled-artifact cache, per-call limits.
//! - [`error`]: [`RuntimeError`] (setup) and [`InvokeError`] (one call).
//!
//! Data flows one way: the runtime knows nothing of HTTP routes or plans; policy knows nothing of wasm.
//! Capability modules never import [`invoke`]: call-tool reaches the runtime through a [`ToolCaller`] handle.

pub mod cache;
pub mod capability;
pub mod changes;
pub mod context;
pub mod engine;
pub mod error;
pub mod host;
pub mod invoke;
pub mod journal;
pub mod limits;
mod loader;
pub mod output;
pub mod redact;
pub mod registry;
pub mod rehearsal;
pub mod runtime;
pub mod sandbox;
pub mod schema;
pub mod state;
pub mod world;

pub use capability::call_tool::ToolCaller;
pub use capability::http::SIMULATED_HEADER;
pub use capability::llm::{Completion, LlmProvider};
pub use capability::secrets::{HostValues, ProcessEnv, StaticValues, ValueSource};
pub use context::CallContext;
pub use engine::{AllocatorKind, EngineSettings};
pub use error::{InvokeError, LimitBreach, RuntimeError, ToolError};
pub use invoke::{InvocationReport, InvokeRequest, PlanReport, ProgressSink, new_correlation_id};
pub use journal::{Artifact, Effect, LogLine, Record};
pub use limits::Limits;
pub use registry::{PluginInfo, ToolInfo};
pub use rehearsal::{HeldEffect, RehearsalBinding, ReviewDecision, ReviewDesk};
pub use runtime::{LoadFailure, LoadReport, Runtime, RuntimeConfig};
pub use world::PluginKind;
