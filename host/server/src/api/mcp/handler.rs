//! The one MCP server of Drydock, whatever carries it (stdio in `drydock mcp`, streamable HTTP at `/mcp`).
//!
//! It maps MCP onto core calls and nothing else: `tools/list` is the loaded tools ([`super::tools`], under
//! the names of [`super::names`]) and the built-in `drydock_*` plan tools ([`super::plan_tools`]);
//! `tools/call` of a plugin's tool is [`Core::invoke_tool_via`] in **dry run, always** (there is no argument
//! that asks for live), answered by [`super::results`]; resources are artifacts ([`super::resources`]) and
//! the one prompt is [`super::prompts`]. Live happens only by running a plan a person approved elsewhere.
//! Nothing here grants, toggles or approves anything.
//!
//! Clients learn that the tools changed (a LivePolicy toggle changes `destructiveHint`): sessions that
//! began with `initialize` (2025-11-25 and before) get `notifications/tools/list_changed` on their own
//! stream; 2026-07-28 clients, which have no session, get it through `subscriptions/listen`.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use drydock_core::{Actor, CallControls, Channel, Core};
use drydock_policy::Mode;
use drydock_runtime::ProgressSink;
use futures_util::FutureExt as _;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext, SubscriptionSink};
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::Value;

use super::{names, plan_tools, prompts, resources, results, tools};

/// What the server tells a client at the start.
const INSTRUCTIONS: &str = "Drydock runs each tool in a WebAssembly sandbox with only the grants an operator \
gave it. Every tools/call here is a dry run: reads that are granted happen, writes are recorded and answered \
with a simulated result, and the result's _meta lists every effect (read, simulated, denied) with its reason. \
Nothing you call here changes the world outside the sandbox; a person approves plans and runs them live \
through Drydock's plan API.";

/// Who the calls act for.
#[derive(Clone)]
pub enum Caller {
    /// One account for the whole connection (stdio: the local operator).
    Fixed(Actor),
    /// The bearer token's account, checked by the HTTP layer and carried with each request.
    PerRequest,
}

/// At most this many `tools/call` of one account run at once; the next ones wait.
pub const CALLS_IN_FLIGHT: usize = 32;
/// At most this many `tools/call` of one account wait; past that a call is refused at once.
pub const CALLS_QUEUED: usize = 256;

/// The MCP server: cheap to clone (streamable HTTP makes one per session).
#[derive(Clone)]
pub struct DrydockMcp {
    core: Core,
    caller: Caller,
    listeners: Arc<Listeners>,
    slots: Arc<Mutex<HashMap<String, Arc<CallerSlots>>>>,
}

/// One account's share of the server: calls running and calls waiting.
struct CallerSlots {
    running: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
}

/// The JSON-RPC code of a call refused because its account has too many in flight (the specification's
/// range for implementation-defined server errors).
pub const SERVER_BUSY: i32 = -32000;

/// Everyone to tell when the tools change.
#[derive(Default)]
pub struct Listeners {
    peers: Mutex<Vec<Peer<RoleServer>>>,
    sinks: Mutex<HashMap<u64, SubscriptionSink>>,
    next_sink: AtomicU64,
}

impl DrydockMcp {
    /// A server over `core` acting for `caller`, with a task that tells connected clients when the tools
    /// change (it ends with the runtime).
    pub fn new(core: Core, caller: Caller) -> Self {
        let server = Self {
            core,
            caller,
            listeners: Arc::default(),
            slots: Arc::default(),
        };
        let mut changes = server.core.tools_changed();
        let listeners = Arc::downgrade(&server.listeners);
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let Some(listeners) = listeners.upgrade() else {
                    return;
                };
                listeners.tools_changed().await;
            }
        });
        server
    }

    /// Waits for one of the account's call slots, or refuses at once when too many already wait (a
    /// bounded queue: one token cannot hold every worker, nor make the server buffer without end).
    async fn slot(
        &self,
        actor: &Actor,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ErrorData> {
        let slots = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(actor.user_id.clone())
            .or_insert_with(|| {
                Arc::new(CallerSlots {
                    running: Arc::new(tokio::sync::Semaphore::new(CALLS_IN_FLIGHT)),
                    waiting: AtomicUsize::new(0),
                })
            })
            .clone();
        if slots.waiting.fetch_add(1, Ordering::AcqRel) >= CALLS_QUEUED {
            slots.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ErrorData::new(
                ErrorCode(SERVER_BUSY),
                format!(
                    "`{}` has too many calls in flight: at most {CALLS_IN_FLIGHT} run and {CALLS_QUEUED} wait; \
                     retry when some have finished",
                    actor.name
                ),
                None,
            ));
        }
        let acquired = tokio::select! {
            permit = slots.running.clone().acquire_owned() => permit.ok(),
            () = ctx.ct.cancelled() => None,
        };
        slots.waiting.fetch_sub(1, Ordering::AcqRel);
        acquired.ok_or_else(|| {
            ErrorData::new(
                ErrorCode(SERVER_BUSY),
                "the call was cancelled while it waited for a slot",
                None,
            )
        })
    }

    fn actor(&self, ctx: &RequestContext<RoleServer>) -> Result<Actor, ErrorData> {
        match &self.caller {
            Caller::Fixed(actor) => Ok(actor.clone()),
            Caller::PerRequest => ctx
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Actor>())
                .cloned()
                .ok_or_else(|| {
                    ErrorData::invalid_request("the request carries no authenticated caller", None)
                }),
        }
    }
}

/// A host failure as MCP's internal error; the cause goes to the log, not to the client.
fn internal(error: drydock_core::CoreError) -> ErrorData {
    tracing::error!(error = %error, "an MCP request failed in the host");
    ErrorData::internal_error("the server failed; the cause is in its log", None)
}

/// When the client sent a progress token: each `host.progress` line becomes `notifications/progress`, in
/// order (one forwarding task per call; it ends when the call's sink is dropped).
fn progress_sink(
    ctx: &RequestContext<RoleServer>,
) -> Option<(ProgressSink, tokio::task::JoinHandle<()>)> {
    let token = ctx.meta.get_progress_token()?;
    let peer = ctx.peer.clone();
    let (lines, mut next) = tokio::sync::mpsc::unbounded_channel::<String>();
    let forwarder = tokio::spawn(async move {
        let mut done = 0.0;
        while let Some(message) = next.recv().await {
            done += 1.0;
            let param = ProgressNotificationParam::new(token.clone(), done).with_message(message);
            let _ = peer.notify_progress(param).await;
        }
    });
    let sink = ProgressSink(Arc::new(move |line| {
        let _ = lines.send(line);
    }));
    Some((sink, forwarder))
}

/// A future polled where it is awaited that, if dropped before it finished, finishes on a task of its own.
///
/// What a `tokio::spawn` awaited at once guaranteed for an invocation, without its cost on every call: the
/// spawn and the join handle's wake-up were two trips through the scheduler, and often a wake-up of the
/// other worker thread, for a call the handler waits on anyway.
struct Finish<F: Future + Send + 'static>(Option<Pin<Box<F>>>);

impl<F: Future + Send + 'static> Finish<F> {
    fn new(future: F) -> Self {
        Self(Some(Box::pin(future)))
    }
}

impl<F: Future + Send + 'static> Future for Finish<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Out of `self` while it runs: a future that panics is dropped while unwinding, not finished.
        let mut future = self.0.take().expect("`Finish` polled after it finished");
        let polled = future.as_mut().poll(cx);
        if polled.is_pending() {
            self.0 = Some(future);
        }
        polled
    }
}

impl<F: Future + Send + 'static> Drop for Finish<F> {
    fn drop(&mut self) {
        // Dropped unfinished. Without a runtime (it is shutting down) there is nowhere to finish it, as a
        // spawn would have been cancelled then too.
        if let Some(future) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let _ = future.await;
            });
        }
    }
}

impl Listeners {
    async fn tools_changed(&self) {
        let peers: Vec<Peer<RoleServer>> = {
            let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers.retain(|peer| !peer.is_transport_closed());
            peers.clone()
        };
        for peer in peers {
            let _ = peer.notify_tool_list_changed().await;
        }
        let sinks: Vec<SubscriptionSink> = self
            .sinks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for sink in sinks {
            let _ = sink.notify_tool_list_changed().await;
        }
    }
}

impl ServerHandler for DrydockMcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources()
            .enable_prompts()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("drydock", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn on_initialized(&self, ctx: NotificationContext<RoleServer>) {
        self.listeners
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ctx.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut all = tools::sandboxed(self.core.runtime());
        all.extend(plan_tools::list());
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ListToolsResult::with_all_items(all))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let actor = self.actor(&ctx)?;
        let _slot = self.slot(&actor, &ctx).await?;
        let name = request.name.to_string();
        let args = Value::Object(request.arguments.unwrap_or_default());
        if name.starts_with(plan_tools::PREFIX)
            && let Some(result) = plan_tools::call(&self.core, &actor, &name, &args).await
        {
            return Ok(result.into());
        }
        // A listed name (`echo_echo`) or a Drydock name (`echo.echo`); what runs, and what the journal and the
        // audit log name, is the Drydock name.
        let Some(name) = names::resolve(self.core.runtime(), &name) else {
            return Err(ErrorData::invalid_params(
                format!("no tool named `{name}`; tools/list names every tool"),
                None,
            ));
        };
        let (progress, forwarder) = progress_sink(&ctx).unzip();
        // The invocation always ends the way the audit log says: if this request goes away (the client
        // cancelled it, or hung up and the transport dropped it), the guard cancels the invocation and
        // `Finish` hands what is left of it to a task of its own, where it stops and is audited as
        // `cancelled` instead of vanishing.
        let cancel = ctx.ct.child_token();
        let _cancel_on_drop = cancel.clone().drop_guard();
        let controls = CallControls {
            progress,
            cancel: Some(cancel),
        };
        let (core, tool) = (self.core.clone(), name.clone());
        let running = Finish::new(async move {
            core.invoke_tool_via(&actor, &tool, args, Mode::DryRun, Channel::Mcp, controls)
                .await
        });
        let invocation = match AssertUnwindSafe(running).catch_unwind().await {
            Ok(invocation) => invocation,
            Err(_) => Err(drydock_core::CoreError::Internal(
                "the invocation panicked".into(),
            )),
        };
        if let Some(forwarder) = forwarder {
            // Progress goes out before the result: the sink is gone with the invocation, so this ends.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), forwarder).await;
        }
        let invocation = invocation.map_err(|err| {
            tracing::error!(tool = name, error = %err, "an MCP tool call failed in the host");
            ErrorData::internal_error(
                "the call could not be recorded; the cause is in the server's log",
                None,
            )
        })?;
        Ok(results::call_result(&invocation).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        prompts::get(&request.name, request.arguments.as_ref()).map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let actor = self.actor(&ctx)?;
        let artifacts = self
            .core
            .visible_artifacts(&actor, resources::LISTED)
            .await
            .map_err(internal)?;
        Ok(ListResourcesResult::with_all_items(
            artifacts.iter().map(resources::listed).collect(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            resources::template(),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let actor = self.actor(&ctx)?;
        // The URI goes back in `data` too (SEP-2164), so a client can tell which of its reads failed
        // without parsing the message.
        let not_found = || {
            ErrorData::resource_not_found(
                format!("no resource `{}` (or it is not yours)", request.uri),
                Some(serde_json::json!({ "uri": request.uri })),
            )
        };
        let id = resources::artifact_id(&request.uri).ok_or_else(not_found)?;
        let (row, content) = self
            .core
            .artifact(&actor, id)
            .await
            .map_err(|error| match error {
                drydock_core::CoreError::NotFound(_) => not_found(),
                other => internal(other),
            })?;
        Ok(resources::read(&request.uri, &row, content).into())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, ctx: SubscriptionContext) -> Result<(), ErrorData> {
        let key = self.listeners.next_sink.fetch_add(1, Ordering::Relaxed);
        self.listeners
            .sinks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, ctx.sink().clone());
        ctx.cancelled().await;
        self.listeners
            .sinks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
        Ok(())
    }
}
