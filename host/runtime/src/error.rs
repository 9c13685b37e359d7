//! Error types at the runtime's boundary.
//!
//! Two families, kept apart on purpose (as wasmtime does): [`RuntimeError`] is about setting the runtime up
//! (loading a component, reading the cache) and [`InvokeError`] is about one call. Within a call, a
//! guest-visible refusal (a denied capability, invalid input) is a [`ToolError`] the plugin could handle,
//! while a broken limit or a trap ends the call and is reported as [`LimitBreach`] or `Trap`. A policy
//! denial is never a trap.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Setting up the runtime or loading a plugin failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The wasmtime engine could not be created.
    #[error("cannot create the WebAssembly engine: {0}")]
    Engine(String),
    /// A file or directory could not be read or written.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What we were doing, e.g. "cannot read plugin".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a loadable WebAssembly component.
    #[error("`{}` is not a valid WebAssembly component: {message}", file.display())]
    InvalidComponent {
        /// The component file.
        file: PathBuf,
        /// What is wrong, in wasmtime's words.
        message: String,
    },
    /// The component does not implement a Drydock world.
    #[error("`{}` does not implement a Drydock world: {message}", file.display())]
    WorldMismatch {
        /// The component file.
        file: PathBuf,
        /// The missing or mismatched export or import.
        message: String,
    },
    /// The plugin's `describe` output is unusable.
    #[error("plugin `{plugin}` declares a bad tool: {message}")]
    BadToolSpec {
        /// The plugin.
        plugin: String,
        /// What is wrong with which tool.
        message: String,
    },
    /// Two component files have the same name (a plugin's name is its file's stem, so two directories can
    /// both hold a `notes.wasm`); the one loaded first is kept.
    #[error(
        "plugin `{plugin}` from `{}` is refused: a plugin named `{plugin}` is already loaded from `{}` (a plugin's \
         name is its file name; rename one of the files)",
        second.display(),
        first.display()
    )]
    DuplicatePlugin {
        /// The plugin name.
        plugin: String,
        /// The file of the plugin loaded first, which stays loaded.
        first: PathBuf,
        /// The file refused.
        second: PathBuf,
    },
    /// Two plugins declare the same tool name.
    #[error("tool `{tool}` is declared by both `{first}` and `{second}`; rename one of them")]
    DuplicateTool {
        /// The tool name.
        tool: String,
        /// The plugin loaded first.
        first: String,
        /// The plugin that declared it again.
        second: String,
    },
    /// The component's hash differs from the `component_sha256` pinned in the policy.
    #[error(
        "plugin `{plugin}` has sha256 {actual} but the policy pins {expected}; rebuild the policy pin or the plugin"
    )]
    HashMismatch {
        /// The plugin.
        plugin: String,
        /// The pinned hash.
        expected: String,
        /// The hash of the file on disk.
        actual: String,
    },
    /// Running a plugin during loading (its `describe`) failed.
    #[error("plugin `{plugin}` failed while describing its tools: {message}")]
    Describe {
        /// The plugin.
        plugin: String,
        /// What failed.
        message: String,
    },
}

/// A guest-visible error: what a tool (or the host on a tool's behalf) answered instead of a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum ToolError {
    /// The arguments were not acceptable; the text names the field.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A capability was not granted or the host refused; the text says which.
    #[error("denied: {0}")]
    Denied(String),
    /// The tool ran and failed.
    #[error("failed: {0}")]
    Failed(String),
}

/// Which per-invocation limit was broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum LimitBreach {
    /// The wall-clock timeout passed.
    #[error("timed out after {limit_ms} ms (the plugin's wall-clock limit)")]
    Timeout {
        /// The limit in milliseconds.
        limit_ms: u64,
    },
    /// The guest tried to grow its memory past the limit.
    #[error(
        "tried to grow its memory to {requested_bytes} bytes, past the limit of {limit_bytes} bytes"
    )]
    Memory {
        /// The limit in bytes.
        limit_bytes: u64,
        /// The size the guest asked for.
        requested_bytes: u64,
    },
    /// The guest's result was larger than allowed.
    #[error("returned {actual_bytes} bytes of output, past the limit of {limit_bytes} bytes")]
    Output {
        /// The limit in bytes.
        limit_bytes: u64,
        /// The size of the result.
        actual_bytes: u64,
    },
    /// The guest exhausted its wasm stack (unbounded recursion).
    #[error("exhausted its stack (unbounded recursion?)")]
    StackOverflow,
    /// The guest used up its fuel.
    #[error("ran out of fuel ({limit} units)")]
    Fuel {
        /// The fuel budget.
        limit: u64,
    },
    /// What the host keeps for the invocation (journal, artifacts, logs, diff, result) went past the host
    /// memory budget.
    #[error(
        "needed {needed_bytes} bytes of host memory for {by}, past the invocation's limit of {limit_bytes} bytes \
         (`host_memory_mib` in the policy's limits)"
    )]
    HostMemory {
        /// The limit in bytes.
        limit_bytes: u64,
        /// What the host would have held with the refused addition.
        needed_bytes: u64,
        /// What asked for it: artifacts, the effect journal, log lines, the fs diff, the result.
        by: String,
    },
    /// The guest wrote more bytes into its writable directories than allowed.
    #[error(
        "wrote more than {limit_bytes} bytes into its writable directories (`fs_write_mib` in the policy's limits)"
    )]
    FsWrites {
        /// The limit in bytes.
        limit_bytes: u64,
    },
    /// The guest created more files, directories or links than allowed.
    #[error(
        "created more than {limit} files, directories or links (`fs_entries` in the policy's limits)"
    )]
    FsEntries {
        /// The limit.
        limit: u64,
    },
}

impl LimitBreach {
    /// A short, stable code for APIs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            LimitBreach::Timeout { .. } => "timeout",
            LimitBreach::Memory { .. } => "memory_limit",
            LimitBreach::Output { .. } => "output_limit",
            LimitBreach::StackOverflow => "stack_overflow",
            LimitBreach::Fuel { .. } => "fuel_exhausted",
            LimitBreach::HostMemory { .. } => "host_memory_limit",
            LimitBreach::FsWrites { .. } => "fs_write_limit",
            LimitBreach::FsEntries { .. } => "fs_entry_limit",
        }
    }
}

/// Why one invocation produced no result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum InvokeError {
    /// No loaded plugin offers this tool.
    #[error("no tool named `{tool}` is loaded{hint}")]
    UnknownTool {
        /// The name asked for.
        tool: String,
        /// A "did you mean" hint, possibly empty.
        hint: String,
    },
    /// The arguments did not match the tool's input schema; the plugin did not run.
    #[error("invalid arguments for `{tool}`: {}", problems.join("; "))]
    InvalidArguments {
        /// The tool.
        tool: String,
        /// One line per problem, each naming the field (a JSON pointer) and what is wrong.
        problems: Vec<String>,
    },
    /// The tool answered with an error.
    #[error("`{tool}` {error}")]
    Tool {
        /// The tool.
        tool: String,
        /// Its answer.
        error: ToolError,
    },
    /// The invocation broke a limit and was stopped.
    #[error("`{tool}` was stopped: it {breach}")]
    Limit {
        /// The tool.
        tool: String,
        /// The limit broken.
        breach: LimitBreach,
    },
    /// The plugin trapped (a panic, an `unreachable`, an out-of-bounds access).
    #[error("`{tool}` crashed: {message}{}", stderr_tail.as_deref().map(|t| format!(" (plugin stderr: {t})")).unwrap_or_default())]
    Trap {
        /// The tool.
        tool: String,
        /// The trap, in wasmtime's words.
        message: String,
        /// The last lines the plugin wrote to stderr (a Rust panic message lands there), redacted.
        stderr_tail: Option<String>,
    },
    /// The tool returned something that is not JSON.
    #[error("`{tool}` returned invalid JSON: {message}")]
    InvalidOutput {
        /// The tool.
        tool: String,
        /// The parse error.
        message: String,
    },
    /// Whoever asked for the invocation cancelled it; the plugin was stopped where it was.
    #[error("`{tool}` was cancelled by the caller")]
    Cancelled {
        /// The tool.
        tool: String,
    },
    /// Something went wrong in the host; the message is for the operator's log.
    #[error("internal error while running `{tool}`: {message}")]
    Internal {
        /// The tool.
        tool: String,
        /// What failed.
        message: String,
    },
}

impl InvokeError {
    /// A short, stable code for APIs, metrics and tests.
    pub fn code(&self) -> &'static str {
        match self {
            InvokeError::UnknownTool { .. } => "unknown_tool",
            InvokeError::InvalidArguments { .. } => "invalid_input",
            InvokeError::Tool { error, .. } => match error {
                ToolError::InvalidInput(_) => "tool_invalid_input",
                ToolError::Denied(_) => "tool_denied",
                ToolError::Failed(_) => "tool_failed",
            },
            InvokeError::Limit { breach, .. } => breach.code(),
            InvokeError::Trap { .. } => "trap",
            InvokeError::InvalidOutput { .. } => "invalid_output",
            InvokeError::Cancelled { .. } => "cancelled",
            InvokeError::Internal { .. } => "internal",
        }
    }
}
