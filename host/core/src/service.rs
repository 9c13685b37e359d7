//! [`Core`]: the one entry point the server calls. It owns the store and the runtime and keeps them in step:
//! every mutating operation is checked against the actor's role, performed, and written to the audit log
//! (operation row first, then one row per effect, in one transaction), so nothing changes without a record.
//!
//! Store calls are synchronous (SQLite); they run on tokio's blocking pool so request handlers never stall
//! the async workers. Audit appends on the invocation path are the exception: they join the audit log's
//! group commit ([`Store::audit_append_async`]), awaited, which needs a blocking-pool thread only when
//! the store's lock is busy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use drydock_policy::{Capability, Mode, PlanApproval};
use drydock_runtime::{InvocationReport, InvokeRequest, Runtime, ToolInfo};
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::live_policy::{LiveEntry, LiveSource};
use crate::store::{AuditEntry, Role, Store};

/// The face a request came through, named in its audit row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The REST API (and the CLI, its client).
    Api,
    /// The Model Context Protocol (stdio or `/mcp`).
    Mcp,
}

impl Channel {
    /// The name in audit rows: `api` or `mcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Mcp => "mcp",
        }
    }
}

/// How the caller of an invocation follows and stops it.
#[derive(Debug, Clone, Default)]
pub struct CallControls {
    /// Receives `host.progress` lines as they happen.
    pub progress: Option<drydock_runtime::ProgressSink>,
    /// Cancelling it stops the invocation.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
}

/// One tool invocation as the core ran it: the runtime's report and the artifacts as stored.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Result, effects, logs.
    pub report: InvocationReport,
    /// The report's artifacts with their stored ids (fetch them by id).
    pub artifacts: Vec<crate::ArtifactRow>,
}

/// What the core needs to start.
pub struct CoreConfig {
    /// Directory of the SQLite file.
    pub data_dir: PathBuf,
    /// `DRYDOCK_BOOTSTRAP_TOKEN`: a valid operator token for automation, never stored.
    pub bootstrap_token: Option<String>,
}

/// Drydock's domain: the store and the sandbox behind one API.
///
/// A handle: cloning it (the server does, several times per request, as router state) is one reference
/// count, whatever the core holds.
#[derive(Clone)]
pub struct Core {
    pub(crate) shared: Arc<Shared>,
}

/// What every handle of one [`Core`] shares.
pub(crate) struct Shared {
    pub(crate) store: Arc<Store>,
    pub(crate) runtime: Runtime,
    pub(crate) bootstrap_token: Option<String>,
    /// The account behind the bootstrap token, looked up once.
    pub(crate) bootstrap_actor: Arc<tokio::sync::OnceCell<Actor>>,
    /// The newest event sequence number; streams wait on it.
    pub(crate) events_tx: Arc<tokio::sync::watch::Sender<i64>>,
    /// Plan runs asked to stop.
    pub(crate) cancellations: Arc<crate::chat::Cancellations>,
    /// Live writes held for an operator's review, by execution.
    pub(crate) reviews: Arc<crate::rehearsals::Reviews>,
    /// The language model the operator configured in the settings, if any.
    pub(crate) llm: Arc<crate::settings::LlmSlot>,
    /// Bumped when the tools, or what they may do, change.
    pub(crate) tools_tx: Arc<tokio::sync::watch::Sender<u64>>,
    /// The plugins whose live list is an operator's toggle, with who and when (the others have the file's).
    pub(crate) live_toggles: std::sync::RwLock<BTreeMap<String, LiveSource>>,
    /// The data directory (installed packages live under it).
    pub(crate) data_dir: PathBuf,
    /// Installed packages that did not load at start, with why.
    pub(crate) package_failures: std::sync::RwLock<BTreeMap<String, String>>,
    /// The largest package fetched or uploaded, in bytes (the operator's `--max-package-mib`).
    pub(crate) package_limit: std::sync::atomic::AtomicU64,
    /// Failed sign-ins and the console session lifetime.
    pub(crate) sign_in: crate::sign_in::SignInState,
    /// The policy file the runtime's grants came from, for suggestions ([`Core::set_policy_file`]).
    pub(crate) policy_file: std::sync::RwLock<Option<PathBuf>>,
}

impl Core {
    /// Opens the store (running migrations), marks executions interrupted by a previous stop (with an event
    /// each), and applies
    /// the LivePolicy toggles stored by operators on top of the policy file's.
    pub async fn open(config: CoreConfig, runtime: Runtime) -> Result<Self, CoreError> {
        let data_dir = config.data_dir.clone();
        let store = blocking(move || Store::open(&data_dir).map_err(CoreError::from)).await?;
        let core = Self {
            shared: Arc::new(Shared {
                store: Arc::new(store),
                runtime,
                bootstrap_token: config.bootstrap_token.filter(|t| !t.is_empty()),
                bootstrap_actor: Arc::default(),
                events_tx: Arc::new(tokio::sync::watch::channel(0).0),
                cancellations: Arc::default(),
                reviews: Arc::default(),
                llm: Arc::default(),
                tools_tx: Arc::new(tokio::sync::watch::channel(0).0),
                live_toggles: std::sync::RwLock::default(),
                data_dir: config.data_dir.clone(),
                package_failures: std::sync::RwLock::default(),
                package_limit: std::sync::atomic::AtomicU64::new(
                    crate::packages::intake::MAX_PACKAGE_BYTES,
                ),
                sign_in: crate::sign_in::SignInState::default(),
                policy_file: std::sync::RwLock::new(None),
            }),
        };
        core.load_installed_packages().await?;
        core.apply_stored_live_toggles().await?;
        core.load_llm_settings().await?;
        let interrupted =
            core.recover_interrupted().await? + core.recover_interrupted_plans().await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "executions left running by the previous process are now `interrupted`"
            );
        }
        let resumed = core.resume_runs().await?;
        if resumed > 0 {
            tracing::warn!(
                resumed,
                "workflow runs left in the middle of a call by the previous process are going on"
            );
        }
        Ok(core)
    }

    /// Runs `f` on the store on the blocking pool.
    pub(crate) async fn store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, crate::store::StoreError> + Send + 'static,
    ) -> Result<T, CoreError> {
        let store = self.shared.store.clone();
        blocking(move || f(&store).map_err(CoreError::from)).await
    }

    /// The sandbox.
    pub fn runtime(&self) -> &Runtime {
        &self.shared.runtime
    }

    /// Every loaded tool.
    pub fn tools(&self) -> Vec<ToolInfo> {
        self.shared.runtime.tools()
    }

    /// Runs one tool outside any plan. Live mode needs an operator; each effect still passes the LivePolicy
    /// and the master switch. The call and each of its effects are audited; artifacts are kept.
    pub async fn invoke_tool(
        &self,
        actor: &Actor,
        tool: &str,
        args: Value,
        mode: Mode,
    ) -> Result<InvocationReport, CoreError> {
        let invocation = self
            .invoke_tool_via(
                actor,
                tool,
                args,
                mode,
                Channel::Api,
                CallControls::default(),
            )
            .await?;
        Ok(invocation.report)
    }

    /// [`Core::invoke_tool`] from a given face (its audit row names the channel), with progress and
    /// cancellation wired to the caller, answering with the artifacts as they were stored too. A cancelled
    /// call is still audited (outcome `cancelled`) with everything it did before it was stopped.
    pub async fn invoke_tool_via(
        &self,
        actor: &Actor,
        tool: &str,
        args: Value,
        mode: Mode,
        channel: Channel,
        controls: CallControls,
    ) -> Result<Invocation, CoreError> {
        if mode == Mode::Live && actor.role != Role::Operator {
            return Err(CoreError::Forbidden(
                "live mode needs an operator; ask one, or run in dry-run".into(),
            ));
        }
        let request = InvokeRequest {
            mode,
            plan_approval: PlanApproval::NotAPlan,
            progress: controls.progress,
            cancel: controls.cancel,
            ..InvokeRequest::dry_run(tool, args)
        };
        // Said before the call, so that other calls' audit commits wait for this one's rows (one
        // transaction for all of them) instead of this one committing alone a moment later.
        let _expected = self.shared.store.audit_writer().expect();
        let started = Instant::now();
        let report = self.shared.runtime.invoke(request).await;
        tracing::debug!(
            tool,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tool invoked"
        );
        let artifacts = self
            .record_invocation(actor, "tool.invoke", channel, None, &report)
            .await?;
        Ok(Invocation { report, artifacts })
    }

    /// Audits the effects of an invocation that ran as part of an already-audited operation.
    pub(crate) async fn record_effects(
        &self,
        correlation_id: &str,
        report: &InvocationReport,
    ) -> Result<(), CoreError> {
        let entries = effect_entries(correlation_id, report);
        self.shared.store.audit_append_async(entries).await?;
        Ok(())
    }

    /// Audits an invocation (the operation, then its effects) and keeps its artifacts, answering with them
    /// as stored.
    pub(crate) async fn record_invocation(
        &self,
        actor: &Actor,
        action: &str,
        channel: Channel,
        session_id: Option<String>,
        report: &InvocationReport,
    ) -> Result<Vec<crate::ArtifactRow>, CoreError> {
        let mut entries = vec![AuditEntry {
            actor: actor.name.clone(),
            action: action.to_owned(),
            target: Some(report.tool.clone()),
            correlation_id: Some(report.correlation_id.clone()),
            detail: json!({
                "mode": report.requested_mode,
                "outcome": match &report.outcome { Ok(_) => "ok", Err(e) => e.code() },
                "effects": report.record.effects.len(),
                "omittedEffects": report.record.omitted_effect_count(),
                "channel": channel.as_str(),
            }),
        }];
        entries.extend(effect_entries(&report.correlation_id, report));
        // The group commit: no blocking-pool hop, one transaction shared with the other requests in
        // flight, and this returns only once the rows are committed.
        self.shared.store.audit_append_async(entries).await?;
        if report.record.artifacts.is_empty() {
            return Ok(Vec::new());
        }
        let artifacts = report.record.artifacts.clone();
        let correlation = report.correlation_id.clone();
        self.store(move |s| {
            artifacts
                .iter()
                .map(|artifact| {
                    s.insert_artifact(
                        session_id.as_deref(),
                        Some(&correlation),
                        &artifact.name,
                        &artifact.media_type,
                        &artifact.produced_by,
                        &artifact.content,
                    )
                })
                .collect()
        })
        .await
    }

    /// Sets which capabilities of `plugin` may go live (operators only); persisted and audited, effective on
    /// the next invocation.
    pub async fn set_live(
        &self,
        actor: &Actor,
        plugin: &str,
        capabilities: BTreeSet<Capability>,
    ) -> Result<(), CoreError> {
        actor.require_operator("changing the LivePolicy")?;
        let known = self
            .shared
            .runtime
            .policy()
            .plugins()
            .any(|(name, _)| name == plugin)
            || self
                .shared
                .runtime
                .plugins()
                .iter()
                .any(|p| p.name == plugin);
        if !known {
            return Err(CoreError::NotFound(format!(
                "no plugin `{plugin}` is loaded or named in the policy"
            )));
        }
        self.shared
            .runtime
            .set_live(plugin, capabilities.clone())
            .map_err(CoreError::Invalid)?;
        let names: Vec<String> = capabilities.iter().map(|c| c.to_string()).collect();
        let (key, by) = (plugin.to_owned(), actor.name.clone());
        let stored = self
            .store(move |s| {
                let at = s.set_live_policy(&key, &names, &by)?;
                s.audit_append(&AuditEntry {
                    actor: by.clone(),
                    action: "policy.live.set".into(),
                    target: Some(key.clone()),
                    correlation_id: None,
                    detail: json!({ "capabilities": names }),
                })?;
                Ok(at)
            })
            .await;
        if let Ok(at) = &stored {
            let source = LiveSource::Operator {
                name: actor.name.clone(),
                at: at.clone(),
            };
            self.live_toggles_mut().insert(plugin.to_owned(), source);
        }
        // What a tool may do live is part of how it is described (MCP's destructiveHint): say it changed.
        self.shared.tools_tx.send_modify(|version| *version += 1);
        stored.map(drop)
    }

    /// Applies the LivePolicy toggles operators stored, each replacing the policy file's list for its plugin,
    /// and says so in the log where that changes what the file says (an operator reading drydock.toml after
    /// a restart would otherwise not know that the file is not what is in force).
    async fn apply_stored_live_toggles(&self) -> Result<(), CoreError> {
        let policy = self.shared.runtime.policy();
        for (plugin, capabilities, by, at) in self.store(|s| s.live_policy_overrides()).await? {
            let caps: BTreeSet<Capability> =
                capabilities.iter().filter_map(|c| c.parse().ok()).collect();
            let file = &policy.grants(&plugin).live;
            if let Err(reason) = self.shared.runtime.set_live(&plugin, caps.clone()) {
                tracing::warn!(
                    plugin,
                    reason,
                    "a stored LivePolicy toggle no longer fits the policy file; ignored, the file's list applies"
                );
                continue;
            }
            if &caps != file {
                tracing::warn!(
                    plugin,
                    in_force = %listed(&caps),
                    policy_file = %listed(file),
                    toggled_by = by,
                    toggled_at = at,
                    "the LivePolicy toggle an operator stored replaces the policy file's `live` list for this \
                     plugin; change it with PUT /api/policy/plugins/{plugin}/live"
                );
            }
            self.live_toggles_mut()
                .insert(plugin, LiveSource::Operator { name: by, at });
        }
        Ok(())
    }

    /// Every plugin that has a live list in force (from the file, or an operator's toggle, even an empty
    /// one), with where it comes from; sorted by plugin.
    pub fn live_entries(&self) -> Vec<LiveEntry> {
        let live = self.shared.runtime.live_policy();
        let policy = self.shared.runtime.policy();
        let toggles = self
            .shared
            .live_toggles
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut plugins: BTreeSet<&str> = policy
            .plugins()
            .filter(|(_, grants)| !grants.live.is_empty())
            .map(|(name, _)| name)
            .collect();
        plugins.extend(toggles.keys().map(String::as_str));
        plugins
            .into_iter()
            .map(|plugin| LiveEntry {
                plugin: plugin.to_owned(),
                capabilities: live.allowed(plugin).iter().map(|c| c.to_string()).collect(),
                source: toggles.get(plugin).cloned().unwrap_or(LiveSource::File),
            })
            .collect()
    }

    fn live_toggles_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, LiveSource>> {
        self.shared
            .live_toggles
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Bumped whenever the loaded tools or what they may do changes (a LivePolicy toggle); MCP sessions
    /// wait on it to send `notifications/tools/list_changed`.
    pub fn tools_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.tools_tx.subscribe()
    }
}

impl Core {
    /// Audit rows that match `filter`, at most `limit` of them (operators).
    pub async fn audit(
        &self,
        actor: &Actor,
        filter: crate::audit::AuditFilter,
        limit: usize,
    ) -> Result<Vec<crate::AuditRow>, CoreError> {
        actor.require_operator("reading the audit log")?;
        self.store(move |s| s.audit_search(&filter, limit)).await
    }

    /// Checks the audit chain and names the first broken row (operators).
    pub async fn audit_verify(&self, actor: &Actor) -> Result<crate::Verification, CoreError> {
        actor.require_operator("verifying the audit log")?;
        self.store(|s| s.audit_verify()).await
    }
}

/// One audit row per effect of an invocation.
/// One audit row per journaled effect, and one per group of effects the journal only counted.
fn effect_entries(correlation_id: &str, report: &InvocationReport) -> Vec<AuditEntry> {
    let omitted = report
        .record
        .omitted_effects
        .iter()
        .map(|group| AuditEntry {
            actor: format!("plugin:{}", report.plugin.as_deref().unwrap_or("?")),
            action: "effects_omitted".into(),
            target: Some(report.tool.clone()),
            correlation_id: Some(correlation_id.to_owned()),
            detail: json!({
                "capability": group.capability,
                "outcome": group.outcome,
                "count": group.count,
                "reason": "past the journal's budget of the invocation; not kept",
            }),
        });
    report
        .record
        .effects
        .iter()
        .map(|effect| AuditEntry {
            actor: format!("plugin:{}", effect.plugin),
            action: "effect".into(),
            target: Some(effect.action.clone()),
            correlation_id: Some(correlation_id.to_owned()),
            detail: json!({
                "capability": effect.capability,
                "outcome": effect.outcome,
                "reason": effect.reason,
                "depth": effect.depth,
            }),
        })
        .chain(omitted)
        .collect()
}

/// Runs blocking work on tokio's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|err| CoreError::Internal(format!("a store task failed: {err}")))?
}

/// `[http, fs]`, for the log.
fn listed(caps: &BTreeSet<Capability>) -> String {
    let names: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
    format!("[{}]", names.join(", "))
}
