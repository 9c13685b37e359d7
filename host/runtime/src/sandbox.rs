//! Running one guest call in a fresh store, and turning whatever happened into a precise answer.
//!
//! Every call gets a new `Store`, a new WASI context built from the grants, the plugin's `InstancePre`
//! (cheap to instantiate with the pooling allocator), an epoch deadline and a tokio timeout. The epoch trap
//! stops guest code that spins; the tokio timeout stops a guest that waits on the host (a slow HTTP peer).
//! After the call, writable mounts are diffed and the guest's stdio is kept as log lines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, Trap, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::capability::fs::{FsMeter, PreparedFs};
use crate::capability::http::HttpGate;
use crate::context::CallContext;
use crate::engine::ticks_for;
use crate::error::{InvokeError, LimitBreach, ToolError};
use crate::host::host_iface::from_wit;
use crate::host::wit_types::ToolSpec;
use crate::limits::GuestLimiter;
use crate::output::CapturedOutput;
use crate::registry::{LoadedPlugin, PluginPre};
use crate::state::InvocationState;

/// What to ask the guest.
pub(crate) enum GuestCall {
    /// `tool.describe()`.
    Describe,
    /// `tool.invoke(name, args)`.
    Invoke { tool: String, args: String },
    /// `planner.generate(request, tools)`.
    Generate {
        request: String,
        tools: Vec<ToolSpec>,
    },
}

/// What the guest answered.
pub(crate) enum GuestAnswer {
    Described(Vec<ToolSpec>),
    Invoked(Result<String, ToolError>),
    Generated(Result<String, String>),
}

/// Extra time the tokio timeout allows beyond the epoch deadline, so that spinning guest code is reported
/// by the (more precise) epoch trap.
const TIMEOUT_GRACE: Duration = Duration::from_millis(50);
/// How much of the guest's stderr goes into a trap message.
const STDERR_TAIL_BYTES: usize = 1024;
/// How much of a trap's own message (wasmtime's words and backtrace) is kept.
const TRAP_MESSAGE_BYTES: usize = 4096;

/// Runs `call` against `plugin` with `ctx`'s grants and limits.
pub(crate) async fn run(
    engine: &Engine,
    engine_counts_fuel: bool,
    plugin: &LoadedPlugin,
    ctx: Arc<CallContext>,
    call: GuestCall,
) -> Result<GuestAnswer, InvokeError> {
    let tool = ctx.source.tool.clone();
    let setup_error = |message: String| InvokeError::Internal {
        tool: tool.clone(),
        message: format!("cannot prepare the sandbox: {message}"),
    };
    let fs = PreparedFs::prepare(&ctx).map_err(setup_error)?;
    // A little more than the limit is captured, so that a secret straddling the limit is still whole when
    // it is redacted; the text is cut to the limit after that.
    let capture = ctx
        .limits
        .stdio_bytes
        .saturating_add(ctx.redactor.longest_pattern());
    let stdout = CapturedOutput::new(capture);
    let stderr = CapturedOutput::new(capture);
    let fs_meter = if fs.has_writable_mounts() {
        FsMeter::new(&ctx.limits)
    } else {
        FsMeter::inert()
    };

    let mut wasi = WasiCtxBuilder::new();
    wasi.envs(&ctx.env)
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    fs.preopen(&mut wasi).map_err(setup_error)?;

    let remaining = ctx.deadline.saturating_duration_since(Instant::now());
    let mut store = Store::new(
        engine,
        InvocationState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            http_gate: HttpGate::new(ctx.clone()),
            limiter: GuestLimiter::new(ctx.limits.memory_bytes),
            ctx: ctx.clone(),
            stdout: stdout.clone(),
            stderr: stderr.clone(),
            fs_meter: fs_meter.clone(),
        },
    );
    store.limiter(|state| &mut state.limiter);
    interrupt_at_deadline_or_cancel(&mut store, &ctx, remaining);
    // With fuel counting on, a plugin without a budget gets an unlimited one rather than none. (Without it
    // the limit does not apply, as documented on `Limits::fuel`.)
    if engine_counts_fuel {
        store
            .set_fuel(ctx.limits.fuel.unwrap_or(u64::MAX))
            .map_err(|err| setup_error(format!("cannot set the fuel budget: {err}")))?;
    }

    let guest = within_deadline(&ctx, remaining, call_guest(&mut store, &plugin.pre, call));
    let outcome = match &ctx.cancel {
        Some(token) => tokio::select! {
            outcome = guest => Some(outcome),
            () = token.cancelled() => None,
        },
        None => Some(guest.await),
    };
    let answer = match outcome {
        None => Err(cancelled(&ctx, &tool)),
        Some(outcome) => match outcome {
            None => Err(InvokeError::Limit {
                tool: tool.clone(),
                breach: LimitBreach::Timeout {
                    limit_ms: ctx.limits.timeout.as_millis() as u64,
                },
            }),
            Some(Ok(answer)) => match fs_meter.breach() {
                // The guest was refused writes; whatever it answered, its changes are incomplete.
                Some(breach) => Err(InvokeError::Limit {
                    tool: tool.clone(),
                    breach,
                }),
                None => Ok(answer),
            },
            Some(Err(err)) => Err(classify_failure(&store, &ctx, &tool, err, &stderr)),
        },
    };
    drop(store);
    let mut fs = fs;
    let bound_denial = fs.finish_bound(&ctx).await;
    // Both always run: each finishes its own mounts.
    let unbound_denial = fs.finish(&ctx);
    let fs_denial = bound_denial.or(unbound_denial);
    let answer = match (answer, fs_denial) {
        (Ok(_), Some(reason)) => Err(InvokeError::Tool {
            tool: tool.clone(),
            error: crate::error::ToolError::Denied(reason),
        }),
        (answer, _) => answer,
    };
    keep_stdio(&ctx, "stdout", &stdout);
    keep_stdio(&ctx, "stderr", &stderr);
    answer
}

async fn call_guest(
    store: &mut Store<InvocationState>,
    pre: &PluginPre,
    call: GuestCall,
) -> wasmtime::Result<GuestAnswer> {
    match (pre, call) {
        (PluginPre::Tool(pre), GuestCall::Describe) => {
            let plugin = pre.instantiate_async(&mut *store).await?;
            let specs = plugin
                .drydock_plugin_tool()
                .call_describe(&mut *store)
                .await?;
            Ok(GuestAnswer::Described(specs))
        }
        (PluginPre::Tool(pre), GuestCall::Invoke { tool, args }) => {
            let plugin = pre.instantiate_async(&mut *store).await?;
            let result = plugin
                .drydock_plugin_tool()
                .call_invoke(&mut *store, &tool, &args)
                .await?;
            Ok(GuestAnswer::Invoked(result.map_err(from_wit)))
        }
        (PluginPre::Planner(pre), GuestCall::Generate { request, tools }) => {
            let plugin = pre.instantiate_async(&mut *store).await?;
            let result = plugin
                .drydock_plugin_planner()
                .call_generate(&mut *store, &request, &tools)
                .await?;
            Ok(GuestAnswer::Generated(result))
        }
        (PluginPre::Tool(_), GuestCall::Generate { .. }) => {
            Err(wasmtime::format_err!("a tool plugin cannot generate plans"))
        }
        (PluginPre::Planner(_), _) => Err(wasmtime::format_err!("a planner plugin has no tools")),
    }
}

/// The guest call, or `None` when it ran past the deadline. With a rehearsal binding the deadline moves
/// later while a person reviews a held write, so the timer is re-armed until the moved deadline passes.
async fn within_deadline<F: Future>(
    ctx: &CallContext,
    remaining: Duration,
    guest: F,
) -> Option<F::Output> {
    if ctx.binding.is_none() {
        return tokio::time::timeout(remaining + TIMEOUT_GRACE, guest)
            .await
            .ok();
    }
    let mut guest = std::pin::pin!(guest);
    // Bounded: each round either ends the call or sleeps until a deadline that moved by a review's wait,
    // and the desk bounds every wait.
    loop {
        let until = ctx.effective_deadline() + TIMEOUT_GRACE;
        tokio::select! {
            out = &mut guest => return Some(out),
            () = tokio::time::sleep_until(until.into()) => {
                if !ctx.binding.as_ref().is_some_and(|b| b.is_paused())
                    && Instant::now() >= ctx.effective_deadline() + TIMEOUT_GRACE
                {
                    return None;
                }
            }
        }
    }
}

/// Spinning guest code is stopped by the epoch: at the deadline (a timeout), or, when the caller can cancel,
/// at the first tick after it did. Without a cancel handle the deadline is one epoch count, checked by
/// wasmtime alone; with one, a callback looks at the handle on every tick (10 ms) and counts the ticks.
fn interrupt_at_deadline_or_cancel(
    store: &mut Store<InvocationState>,
    ctx: &Arc<CallContext>,
    remaining: Duration,
) {
    if ctx.binding.is_some() {
        // The deadline may move (waits for review do not count), so each tick compares the clock with it.
        let ctx = ctx.clone();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            let cancelled = ctx.cancel.as_ref().is_some_and(|c| c.is_cancelled());
            if cancelled || Instant::now() >= ctx.effective_deadline() {
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Continue(1))
        });
        return;
    }
    let ticks = ticks_for(remaining);
    let Some(cancel) = ctx.cancel.clone() else {
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        return;
    };
    let mut elapsed = 0;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        elapsed += 1;
        if cancel.is_cancelled() || elapsed >= ticks {
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Continue(1))
    });
}

/// The answer for a call its caller cancelled; the journal says so too.
fn cancelled(ctx: &CallContext, tool: &str) -> InvokeError {
    ctx.journal.log(
        &ctx.redactor,
        ctx.plugin(),
        "warn",
        "cancelled by the caller: the plugin was stopped where it was",
    );
    InvokeError::Cancelled {
        tool: tool.to_owned(),
    }
}

/// Names the limit that was broken, or describes the trap.
fn classify_failure(
    store: &Store<InvocationState>,
    ctx: &CallContext,
    tool: &str,
    err: wasmtime::Error,
    stderr: &CapturedOutput,
) -> InvokeError {
    let limit = |breach| InvokeError::Limit {
        tool: tool.to_owned(),
        breach,
    };
    let host_breach = || ctx.journal.host_breach();
    if let Some(breach) = store
        .data()
        .limiter
        .breach
        .clone()
        .or_else(host_breach)
        .or_else(|| store.data().fs_meter.breach())
    {
        return limit(breach);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) if ctx.cancel.as_ref().is_some_and(|c| c.is_cancelled()) => {
            cancelled(ctx, tool)
        }
        Some(Trap::Interrupt) => limit(LimitBreach::Timeout {
            limit_ms: ctx.limits.timeout.as_millis() as u64,
        }),
        Some(Trap::StackOverflow) => limit(LimitBreach::StackOverflow),
        Some(Trap::OutOfFuel) => limit(LimitBreach::Fuel {
            limit: ctx.limits.fuel.unwrap_or_default(),
        }),
        _ => {
            let (text, _) = stderr.contents();
            let tail = stderr_tail(&ctx.redactor.text(&text));
            InvokeError::Trap {
                tool: tool.to_owned(),
                message: ctx
                    .redactor
                    .text_then_cut(&trap_message(&err), TRAP_MESSAGE_BYTES),
                stderr_tail: tail,
            }
        }
    }
}

/// The trap and its context, without wasmtime's wasm backtrace: a list of function offsets that says nothing
/// to the plugin's author (an interpreted plugin's frames are all the interpreter's) and would push the
/// plugin's own message, in the stderr tail, out of sight.
fn trap_message(err: &wasmtime::Error) -> String {
    // The backtrace is attached as context (not an error type of its own), so it is known by its words.
    let causes: Vec<String> = err
        .chain()
        .map(|cause| cause.to_string())
        .filter(|text| !text.starts_with("error while executing at wasm backtrace"))
        .collect();
    if causes.is_empty() {
        return err.to_string();
    }
    causes.join(": ")
}

fn stderr_tail(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut start = text.len().saturating_sub(STDERR_TAIL_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    Some(text[start..].to_owned())
}

fn keep_stdio(ctx: &CallContext, level: &str, output: &CapturedOutput) {
    let (text, captured_beyond) = output.contents();
    if text.is_empty() && captured_beyond == 0 {
        // Most plugins print nothing: nothing to check, redact or keep.
        return;
    }
    // A secret granted for destinations may not leave in the output at all: the stream is refused whole.
    let what = format!("the plugin's {level}");
    if let Some(reason) = ctx.guards.refuse_in_sink(ctx, &what, text.as_bytes()) {
        let line = format!("[refused: {reason}]");
        ctx.journal.log(&ctx.redactor, ctx.plugin(), level, &line);
        return;
    }
    // Redact first, then cut to the limit: the capture holds a little more than the limit for this.
    let limit = ctx.limits.stdio_bytes;
    let mut text = ctx.redactor.text(&text);
    let mut dropped = captured_beyond;
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        dropped += (text.len() - cut) as u64;
        text.truncate(cut);
    }
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        ctx.journal.log(&ctx.redactor, ctx.plugin(), level, line);
    }
    if dropped > 0 {
        let note = format!(
            "{dropped} more bytes of {level} were dropped (limit {} bytes)",
            ctx.limits.stdio_bytes
        );
        ctx.journal.log(&ctx.redactor, ctx.plugin(), level, &note);
    }
}
