//! Invoking a tool: look it up, validate its arguments, build its context, run it, shape the answer.
//!
//! Top-level invocations and nested call-tool invocations take the same path; a nested one inherits the
//! caller's journal, mode, LivePolicy snapshot and deadline, and runs one level deeper with the callee's own
//! grants. The runtime is the [`ToolCaller`] that capability code calls back into.

use std::sync::Arc;
use std::time::Instant;

use drydock_policy::{LiveContext, LivePolicy, Mode, PlanApproval, SecretScanner};
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::capability::call_tool::{NestedCall, NestedResult, ToolCaller};
use crate::capability::env::visible_env;
use crate::capability::guard::Guards;
use crate::capability::secrets::resolve_granted;
use crate::context::CallContext;
use crate::error::{InvokeError, LimitBreach, ToolError};
use crate::journal::{EffectSource, Journal, Record};
use crate::redact::Redactor;
use crate::registry::LoadedPlugin;
use crate::rehearsal::RehearsalBinding;
use crate::runtime::{Runtime, RuntimeInner, read};
use crate::sandbox::{self, GuestAnswer, GuestCall};

/// A request to run one tool.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    /// `<plugin>.<tool>`.
    pub tool: String,
    /// Arguments (validated against the tool's schema before the plugin runs).
    pub args: Value,
    /// The mode an operator asked for; each effect is still decided on its own.
    pub mode: Mode,
    /// Correlation id stamped on everything the call causes.
    pub correlation_id: String,
    /// Whether this runs a node of an approved plan.
    pub plan_approval: PlanApproval,
    /// Where the plugin's `host.progress` lines go as they happen (besides the journal), if anywhere.
    pub progress: Option<ProgressSink>,
    /// Cancelling it stops the invocation where it is (the guest is interrupted; what it did so far stays
    /// in the report, which ends with a `cancelled` error).
    pub cancel: Option<CancellationToken>,
    /// For a live run of an approved plan node: the writes its rehearsal showed; any other live write is
    /// held for review ([`crate::rehearsal`]). `None` outside plans.
    pub binding: Option<Arc<RehearsalBinding>>,
}

/// A receiver of progress messages while an invocation runs (an MCP client's progress notifications).
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(String) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// A fresh correlation id: a UUID v7, so ids sort by creation time. Every invocation's audit rows are
/// indexed by correlation id; time-ordered ids land at the end of that index (one page touched per commit)
/// where random v4 ids landed on a different page for each row of a group commit. Not a secret: 74 random
/// bits keep ids from colliding, and the time they reveal is also in the rows they name.
pub fn new_correlation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl InvokeRequest {
    /// A dry-run request outside any plan, with a fresh correlation id (see [`new_correlation_id`]).
    pub fn dry_run(tool: impl Into<String>, args: Value) -> Self {
        Self {
            tool: tool.into(),
            args,
            mode: Mode::DryRun,
            correlation_id: new_correlation_id(),
            plan_approval: PlanApproval::NotAPlan,
            progress: None,
            cancel: None,
            binding: None,
        }
    }
}

/// Everything one invocation produced.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationReport {
    /// The correlation id.
    pub correlation_id: String,
    /// The tool asked for.
    pub tool: String,
    /// The plugin that ran it, when the tool exists.
    pub plugin: Option<String>,
    /// The mode asked for.
    pub requested_mode: Mode,
    /// Whether the master switch was on.
    pub master_switch: bool,
    /// The tool's result or why there is none.
    #[serde(flatten, serialize_with = "serialize_outcome")]
    pub outcome: Result<Value, InvokeError>,
    /// Effects, artifacts and logs of this call and the calls it made.
    #[serde(flatten)]
    pub record: Record,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: u64,
}

fn serialize_outcome<S: serde::Serializer>(
    outcome: &Result<Value, InvokeError>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    match outcome {
        Ok(value) => map.serialize_entry("result", value)?,
        Err(error) => map.serialize_entry(
            "error",
            &serde_json::json!({ "code": error.code(), "message": error.to_string(), "detail": error }),
        )?,
    }
    map.end()
}

/// What a planner proposed.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// The planner plugin.
    pub planner: String,
    /// The plan JSON, or why there is none.
    #[serde(flatten, serialize_with = "serialize_outcome")]
    pub outcome: Result<Value, InvokeError>,
    /// Effects and logs of the planner.
    #[serde(flatten)]
    pub record: Record,
}

/// The inputs a (possibly nested) tool invocation shares with its caller.
struct Lineage {
    depth: u32,
    journal: Journal,
    /// The secrets of every plugin above this one in the call-tool chain (empty at the top).
    inherited: Redactor,
    /// The secrets granted for destinations of every plugin above this one (empty at the top).
    inherited_routes: SecretScanner,
    live_policy: Arc<LivePolicy>,
    live_context: LiveContext,
    correlation_id: String,
    deadline: Option<Instant>,
    caller: Arc<dyn ToolCaller>,
    progress: Option<ProgressSink>,
    cancel: Option<CancellationToken>,
    binding: Option<Arc<RehearsalBinding>>,
}

impl Runtime {
    /// Runs one tool in a fresh sandbox and reports its result and everything it did.
    pub async fn invoke(&self, request: InvokeRequest) -> InvocationReport {
        let started = Instant::now();
        let inner = &self.inner;
        let journal = Journal::new(
            inner.config.record_budget,
            inner.config.limits.host_memory_bytes,
        );
        let lineage = Lineage {
            depth: 0,
            journal: journal.clone(),
            inherited: Redactor::default(),
            inherited_routes: SecretScanner::default(),
            live_policy: read(&inner.live_policy).clone(),
            live_context: LiveContext {
                master_switch: inner.config.master_switch,
                requested: request.mode,
                plan_approval: request.plan_approval.clone(),
            },
            correlation_id: request.correlation_id.clone(),
            deadline: None,
            caller: inner.clone(),
            progress: request.progress.clone(),
            cancel: request.cancel.clone(),
            binding: request.binding.clone(),
        };
        let plugin = read(&inner.registry)
            .plugin_for_tool(&request.tool)
            .map(|p| p.info.name.clone());
        let outcome = inner
            .invoke_tool(&request.tool, request.args, lineage)
            .await;
        // One last pass with every secret of every plugin that took part: a secret that moved between them
        // (an argument, a shared directory, a granted server) is redacted whoever returned it.
        let (record, chain) = journal.finish();
        let outcome = redact_outcome(&chain, outcome);
        InvocationReport {
            correlation_id: request.correlation_id,
            tool: request.tool,
            plugin,
            requested_mode: request.mode,
            master_switch: inner.config.master_switch,
            outcome,
            record,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    /// Asks the planner plugin `planner` for a plan for `request` (a work item or a free-text request),
    /// offering it every loaded tool. The planner runs dry, with its own grants.
    pub async fn generate_plan(
        &self,
        planner: &str,
        request: &Value,
        correlation_id: &str,
    ) -> PlanReport {
        let inner = &self.inner;
        let journal = Journal::new(
            inner.config.record_budget,
            inner.config.limits.host_memory_bytes,
        );
        let outcome = inner
            .generate(planner, request, correlation_id, journal.clone())
            .await;
        PlanReport {
            planner: planner.to_owned(),
            outcome,
            record: journal.snapshot(),
        }
    }
}

impl RuntimeInner {
    async fn invoke_tool(
        &self,
        tool: &str,
        args: Value,
        lineage: Lineage,
    ) -> Result<Value, InvokeError> {
        let registry = read(&self.registry).clone();
        let Some(plugin) = registry.plugin_for_tool(tool) else {
            return Err(InvokeError::UnknownTool {
                tool: tool.to_owned(),
                hint: registry.hint_for(tool),
            });
        };
        if let Some(schema) = plugin.schemas.get(tool)
            && let Err(problems) = schema.check(&args)
        {
            return Err(InvokeError::InvalidArguments {
                tool: tool.to_owned(),
                problems,
            });
        }
        let ctx = self.context_for(&plugin, tool, lineage);
        let output_limit = ctx.limits.output_bytes;
        let call = GuestCall::Invoke {
            tool: tool.to_owned(),
            // Straight into a buffer (`Display` goes through the formatter a fragment at a time); a JSON
            // value always serializes.
            args: serde_json::to_string(&args).unwrap_or_default(),
        };
        let answer = sandbox::run(
            self.engine.engine(),
            self.engine.settings().fuel,
            &plugin,
            ctx.clone(),
            call,
        )
        .await?;
        let GuestAnswer::Invoked(result) = answer else {
            return Err(internal(
                tool,
                "the plugin gave an answer of the wrong kind",
            ));
        };
        // One look at the host memory budget: spent during the call, or by keeping the result.
        let result_bytes = match &result {
            Ok(text) if text.len() as u64 <= output_limit => text.len() as u64,
            _ => 0,
        };
        if let Err(breach) = ctx.journal.charge_result(result_bytes) {
            return Err(InvokeError::Limit {
                tool: tool.to_owned(),
                breach,
            });
        }
        if let Some(reason) = refused_result(&ctx, tool, &result, output_limit) {
            return Err(InvokeError::Tool {
                tool: tool.to_owned(),
                error: ToolError::Denied(reason),
            });
        }
        match result {
            Ok(text) if text.len() as u64 > output_limit => Err(InvokeError::Limit {
                tool: tool.to_owned(),
                breach: LimitBreach::Output {
                    limit_bytes: output_limit,
                    actual_bytes: text.len() as u64,
                },
            }),
            Ok(text) => match serde_json::from_str::<Value>(&text) {
                Ok(value) => Ok(ctx.redactor.json(value)),
                Err(err) => Err(InvokeError::InvalidOutput {
                    tool: tool.to_owned(),
                    message: err.to_string(),
                }),
            },
            Err(error) => Err(InvokeError::Tool {
                tool: tool.to_owned(),
                error: redact_tool_error(&ctx.redactor, error),
            }),
        }
    }

    async fn generate(
        &self,
        planner: &str,
        request: &Value,
        correlation_id: &str,
        journal: Journal,
    ) -> Result<Value, InvokeError> {
        let registry = read(&self.registry).clone();
        let Some(plugin) = registry.plugin(planner) else {
            return Err(InvokeError::UnknownTool {
                tool: planner.to_owned(),
                hint: " (no planner plugin by that name is loaded)".into(),
            });
        };
        let tools = registry
            .tools()
            .into_iter()
            .map(|t| crate::host::wit_types::ToolSpec {
                name: t.name,
                description: t.description,
                input_schema: t.input_schema.to_string(),
            })
            .collect();
        let lineage = Lineage {
            depth: 0,
            journal,
            inherited: Redactor::default(),
            inherited_routes: SecretScanner::default(),
            live_policy: Arc::new(LivePolicy::default()),
            live_context: LiveContext {
                master_switch: false,
                requested: Mode::DryRun,
                plan_approval: PlanApproval::NotAPlan,
            },
            correlation_id: correlation_id.to_owned(),
            deadline: None,
            caller: Arc::new(NoCallsFromPlanners),
            progress: None,
            cancel: None,
            binding: None,
        };
        let label = format!("{planner} (generate)");
        let ctx = self.context_for(&plugin, &label, lineage);
        let call = GuestCall::Generate {
            request: request.to_string(),
            tools,
        };
        match sandbox::run(
            self.engine.engine(),
            self.engine.settings().fuel,
            &plugin,
            ctx.clone(),
            call,
        )
        .await?
        {
            GuestAnswer::Generated(Ok(text)) if text.len() as u64 > ctx.limits.output_bytes => {
                Err(InvokeError::Limit {
                    tool: label,
                    breach: LimitBreach::Output {
                        limit_bytes: ctx.limits.output_bytes,
                        actual_bytes: text.len() as u64,
                    },
                })
            }
            GuestAnswer::Generated(Ok(text)) => serde_json::from_str(&text)
                .map(|plan| ctx.redactor.json(plan))
                .map_err(|err| InvokeError::InvalidOutput {
                    tool: label,
                    message: err.to_string(),
                }),
            GuestAnswer::Generated(Err(message)) => Err(InvokeError::Tool {
                tool: label,
                error: redact_tool_error(&ctx.redactor, ToolError::Failed(message)),
            }),
            _ => Err(internal(
                &label,
                "the plugin gave an answer of the wrong kind",
            )),
        }
    }

    fn context_for(&self, plugin: &LoadedPlugin, tool: &str, lineage: Lineage) -> Arc<CallContext> {
        let policy = read(&self.policy).clone();
        let grants = policy.shared_grants(&plugin.info.name);
        let limits = self.config.limits.with_overrides(
            &grants.limits,
            self.engine.settings().max_memory_bytes as u64,
        );
        let secrets = resolve_granted(&grants, self.values.secrets.as_ref());
        let env = visible_env(&plugin.info.name, &grants, self.values.env.as_ref());
        // A callee redacts its caller's secrets too: a caller that hands its secret to another tool (as an
        // argument, say) must not find it in that tool's journal entries.
        let redactor = self
            .redactors
            .redactor_for(&plugin.info.name, &secrets)
            .merged(&lineage.inherited);
        lineage.journal.involve(&redactor);
        let scanner = self
            .scanners
            .scanner_for(&plugin.info.name, &grants, &secrets)
            .merged(&lineage.inherited_routes);
        let guards = Guards::new(scanner, self.request_windows.clone());
        if lineage.depth == 0 {
            lineage
                .journal
                .set_host_memory_limit(limits.host_memory_bytes);
        }
        let own_deadline = Instant::now() + limits.timeout;
        let deadline = lineage
            .deadline
            .map_or(own_deadline, |d| d.min(own_deadline));
        Arc::new(CallContext {
            source: EffectSource {
                plugin: plugin.info.name.clone(),
                tool: tool.to_owned(),
                depth: lineage.depth,
            },
            correlation_id: lineage.correlation_id,
            grants,
            live_policy: lineage.live_policy,
            live_context: lineage.live_context,
            secrets,
            env,
            redactor,
            guards,
            journal: lineage.journal,
            limits,
            deadline,
            caller: lineage.caller,
            llm: read(&self.llm).clone(),
            progress: lineage.progress,
            cancel: lineage.cancel,
            pause_base: lineage
                .binding
                .as_ref()
                .map_or(std::time::Duration::ZERO, |b| b.paused_total()),
            binding: lineage.binding,
        })
    }
}

impl ToolCaller for RuntimeInner {
    fn call(&self, call: NestedCall) -> NestedResult<'_> {
        Box::pin(async move {
            let parent = call.parent;
            let lineage = Lineage {
                depth: parent.source.depth + 1,
                journal: parent.journal.clone(),
                inherited: parent.redactor.clone(),
                inherited_routes: parent.guards.scanner.clone(),
                live_policy: parent.live_policy.clone(),
                live_context: parent.live_context.clone(),
                correlation_id: parent.correlation_id.clone(),
                // What is left of the caller's time, with its waits for review added.
                deadline: Some(parent.effective_deadline()),
                caller: parent.caller.clone(),
                progress: parent.progress.clone(),
                cancel: parent.cancel.clone(),
                binding: parent.binding.clone(),
            };
            self.invoke_tool(&call.tool, call.args, lineage)
                .await
                .map_err(|err| match err {
                    InvokeError::Tool { error, .. } => error,
                    InvokeError::InvalidArguments { .. } | InvokeError::UnknownTool { .. } => {
                        ToolError::InvalidInput(err.to_string())
                    }
                    other => ToolError::Failed(other.to_string()),
                })
        })
    }
}

/// Why a tool's answer (its result or its error message) is refused: it carries a secret granted for
/// destinations, and a result is not one.
fn refused_result(
    ctx: &CallContext,
    tool: &str,
    result: &Result<String, ToolError>,
    output_limit: u64,
) -> Option<String> {
    let text = match result {
        // Past the output limit the result is refused anyway, unread.
        Ok(text) if text.len() as u64 > output_limit => return None,
        Ok(text) => text.as_str(),
        Err(ToolError::InvalidInput(m) | ToolError::Denied(m) | ToolError::Failed(m)) => m.as_str(),
    };
    if ctx.guards.scanner.is_empty() {
        // No secret is granted for destinations in this call chain: nothing to look for.
        return None;
    }
    let what = format!("the result of `{tool}`");
    ctx.guards.refuse_in_sink(ctx, &what, text.as_bytes())
}

/// Planners propose; they do not run tools.
struct NoCallsFromPlanners;

impl ToolCaller for NoCallsFromPlanners {
    fn call(&self, call: NestedCall) -> NestedResult<'_> {
        Box::pin(async move {
            Err(ToolError::Denied(format!(
                "a planner may not call tools (asked for `{}`); it proposes steps, the host runs them",
                call.tool
            )))
        })
    }
}

/// Longest message of a tool's error kept in the report (redacted first, then cut).
const TOOL_ERROR_MESSAGE_BYTES: usize = 16 << 10;

fn redact_tool_error(redactor: &Redactor, error: ToolError) -> ToolError {
    let shown = |m: &str| redactor.text_then_cut(m, TOOL_ERROR_MESSAGE_BYTES);
    match error {
        ToolError::InvalidInput(m) => ToolError::InvalidInput(shown(&m)),
        ToolError::Denied(m) => ToolError::Denied(shown(&m)),
        ToolError::Failed(m) => ToolError::Failed(shown(&m)),
    }
}

/// `outcome` with every text a plugin could have put into it redacted with `redactor`.
fn redact_outcome(
    redactor: &Redactor,
    outcome: Result<Value, InvokeError>,
) -> Result<Value, InvokeError> {
    if redactor.is_empty() {
        return outcome;
    }
    match outcome {
        Ok(value) => Ok(redactor.json(value)),
        Err(InvokeError::Tool { tool, error }) => Err(InvokeError::Tool {
            tool,
            error: redact_tool_error(redactor, error),
        }),
        Err(InvokeError::Trap {
            tool,
            message,
            stderr_tail,
        }) => Err(InvokeError::Trap {
            tool,
            message: redactor.text(&message),
            stderr_tail: stderr_tail.map(|t| redactor.text(&t)),
        }),
        Err(InvokeError::InvalidOutput { tool, message }) => Err(InvokeError::InvalidOutput {
            tool,
            message: redactor.text(&message),
        }),
        Err(InvokeError::InvalidArguments { tool, problems }) => {
            Err(InvokeError::InvalidArguments {
                tool,
                problems: problems.iter().map(|p| redactor.text(p)).collect(),
            })
        }
        Err(other) => Err(other),
    }
}

fn internal(tool: &str, message: &str) -> InvokeError {
    InvokeError::Internal {
        tool: tool.to_owned(),
        message: message.to_owned(),
    }
}
