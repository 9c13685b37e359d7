//! Guards: what a granted effect may *carry*, checked after the grant allowed it.
//!
//! - argument rules of the governing http grant (`drydock_policy::rules`): body size, query parameter
//!   names, the body schema of writes, and the two counters, requests per invocation (here, per
//!   [`Guards`]) and per minute per plugin ([`RequestWindows`], shared by every invocation of a runtime);
//! - secret flow: a secret granted *for* destinations may only leave in a request to one of them; every
//!   other request, and every log line, artifact, file write and tool result carrying it, is refused
//!   ([`Guards::refuse_in_sink`]);
//! - addresses ([`address`]): the host name of a request that goes out is resolved here, every address
//!   checked, and the connection made to exactly a checked address ([`connect`]).
//!
//! Every refusal is journaled as `denied`, its reason naming the rule or the secret (never its value; the
//! journal redacts besides). Requests are counted only when nothing else refused them, simulated ones
//! included: a dry run uses the budget the live run would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drydock_policy::{
    Capability, Decision, HttpMethod, HttpRequest, Outcome, PluginGrants, SecretScanner, TargetUrl,
    check_http_rules,
};
use serde_json::json;

use crate::context::CallContext;
use crate::journal::NewEffect;

pub mod address;
mod budget;
pub mod connect;
mod scanners;

pub use budget::RequestWindows;
pub use scanners::ScannerCache;

/// The guards of one invocation: its secret scanner, its request counts, and the runtime's windows.
#[derive(Clone, Default)]
pub struct Guards {
    /// Finds the secrets granted for destinations (this plugin's and its callers').
    pub scanner: SecretScanner,
    /// Requests under each http grant (by index in the grants snapshot) in this invocation.
    counts: Arc<Mutex<HashMap<usize, u32>>>,
    /// Requests per plugin and grant in the last minute, across invocations.
    windows: Arc<RequestWindows>,
}

impl Guards {
    /// Guards with `scanner` counting into the runtime's `windows`.
    pub fn new(scanner: SecretScanner, windows: Arc<RequestWindows>) -> Self {
        Self {
            scanner,
            counts: Arc::default(),
            windows,
        }
    }

    /// Checks a request the grants allowed: the governing grant's rules, then secret flow, then the
    /// counters (a request counts only when it passed the rest). The error is the journal's reason.
    pub fn check_request(
        &self,
        plugin: &str,
        grants: &PluginGrants,
        request: &HttpRequest,
        headers: &[(&str, &[u8])],
    ) -> Result<(), String> {
        let (Ok(method), Ok(target)) = (
            request.method.parse::<HttpMethod>(),
            TargetUrl::parse(request.url),
        ) else {
            return Ok(());
        };
        let governing = grants.http_grant_for(method, &target);
        if let Some((_, grant)) = governing {
            check_http_rules(&grant.rules, request, method, &target)
                .map_err(|breach| format!("{breach} (grant {})", grant.prefix))?;
        }
        self.scanner
            .check_request(&target, request.url, headers, request.body)
            .map_err(|breach| breach.to_string())?;
        let Some((index, grant)) = governing else {
            return Ok(());
        };
        if let Some(max) = grant.rules.max_requests_per_invocation {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let count = counts.entry(index).or_insert(0);
            if *count >= max {
                return Err(format!(
                    "rule max_requests_per_invocation: this invocation already made {count} requests under \
                     grant {}, the grant allows {max}",
                    grant.prefix
                ));
            }
            *count += 1;
        }
        if let Some(max) = grant.rules.max_requests_per_minute {
            self.windows
                .take(plugin, &grant.prefix, max)
                .map_err(|count| {
                    format!(
                        "rule max_requests_per_minute: plugin `{plugin}` made {count} requests under grant {} \
                         in the last minute, the grant allows {max}",
                        grant.prefix
                    )
                })?;
        }
        Ok(())
    }

    /// Refuses `bytes` leaving through `what` (a log line, an artifact, a file, a result) when they carry
    /// a secret granted for destinations: journals the denial and returns its reason.
    pub fn refuse_in_sink(&self, ctx: &CallContext, what: &str, bytes: &[u8]) -> Option<String> {
        let breach = self.scanner.check_sink(what, bytes).err()?;
        let reason = breach.to_string();
        ctx.journal.record(
            &ctx.source,
            &ctx.redactor,
            NewEffect {
                capability: Capability::Secrets,
                action: format!("secret flow {}", breach.secret),
                outcome: Outcome::Denied,
                reason: reason.clone(),
                detail: json!({ "name": breach.secret, "sink": what }),
            },
        );
        Some(reason)
    }
}

/// The gate's decision after the guards: a request the grants allowed is denied when it breaks an
/// argument rule or carries a secret where it may not go.
pub fn http_decision(
    ctx: &CallContext,
    decision: Decision,
    request: &HttpRequest,
    headers: &http::HeaderMap,
) -> Decision {
    if decision.outcome == Outcome::Denied {
        return decision;
    }
    let headers: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    match ctx
        .guards
        .check_request(ctx.plugin(), &ctx.grants, request, &headers)
    {
        Ok(()) => decision,
        Err(reason) => Decision {
            outcome: Outcome::Denied,
            reason,
        },
    }
}

/// The checked addresses a request with this `outcome` goes to: none for a simulated one (nothing
/// connects), else the resolved and checked addresses of `uri`'s host under the governing grant.
pub async fn addresses_for(
    ctx: &CallContext,
    outcome: Outcome,
    method: &str,
    uri: &http::Uri,
) -> Result<Option<Vec<SocketAddr>>, address::AddressRefusal> {
    if !matches!(outcome, Outcome::Read | Outcome::Live) {
        return Ok(None);
    }
    let target = TargetUrl::parse(&uri.to_string()).map_err(|err| {
        address::AddressRefusal::Denied(format!("the URL cannot be made canonical: {err}"))
    })?;
    let allow_private = method.parse::<HttpMethod>().ok().is_some_and(|method| {
        ctx.grants
            .http_grant_for(method, &target)
            .is_some_and(|(_, grant)| grant.rules.allow_private)
    });
    address::resolve_checked(&target, allow_private, RESOLVE_TIMEOUT)
        .await
        .map(Some)
}

/// How long resolving a request's host name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
