//! Request budgets on the routes that run things: how many tool calls, plan nodes, workflow runs and MCP
//! `tools/call`s one credential (or one anonymous client address) may start, from the policy's `[budgets]`
//! ([`drydock_policy::Budgets`]). Past its budget a caller gets `429` with `Retry-After`.
//!
//! Decisions, and why:
//! - **Keyed per credential, hashed**: each bearer token (or console session token) has its own budget,
//!   kept under the token's SHA-256 so the server's memory never holds a token it does not need. Callers
//!   without a token are keyed per client address (IPv6 per /64, like sign-in throttling).
//! - **One budget per key for all expensive routes**: a caller cannot multiply its budget by spreading
//!   over routes. [`ExpensiveRoute`] names the route in the refusal.
//! - **Spent after authentication**: a handler takes its caller first, so an unknown token is a 401 and
//!   costs no memory here.
//! - **GCRA** (a token bucket kept as one instant per key): a burst of `requests`, refilled evenly over
//!   `per_seconds`, and the exact wait for the next request to pass.
//! - **Bounded memory**: keys whose bucket is full again are forgotten first; past [`MAX_KEYS`] the
//!   fullest bucket goes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use drydock_core::canonical::sha256_hex;
use drydock_core::sign_in::throttle::address_key;
use drydock_policy::Budget;

use super::auth::bearer_token;
use super::client::client_ip;
use super::{ApiError, AppState};

/// The most keys remembered at once.
pub const MAX_KEYS: usize = 50_000;

/// A route whose requests cost a budget: each runs a plugin, a plan node or a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpensiveRoute {
    /// `POST /api/tools/{name}/invoke` (and the console's "run this tool").
    ToolInvoke,
    /// `POST /api/sessions/{id}/plan/execute-node`.
    PlanNode,
    /// `POST /api/workflows/{name}/runs`.
    WorkflowRun,
    /// FastAgency's `POST /fastagency/initiate_workflow`.
    FastAgencyInitiate,
    /// FastAgency's `WS /fastagency/ws`, which starts (or resumes) a run.
    FastAgencySocket,
    /// A `tools/call` over `POST /mcp`.
    McpToolCall,
    /// Mojodex's `POST /user_workflow_execution` (create) and its start (`PUT`, or `POST` with `json_inputs`).
    MojodexExecution,
}

impl ExpensiveRoute {
    /// What the route does, for the refusal's message.
    fn what(self) -> &'static str {
        match self {
            ExpensiveRoute::ToolInvoke => "tool calls",
            ExpensiveRoute::PlanNode => "plan node runs",
            ExpensiveRoute::WorkflowRun => "workflow runs",
            ExpensiveRoute::FastAgencyInitiate | ExpensiveRoute::FastAgencySocket => {
                "FastAgency workflow starts"
            }
            ExpensiveRoute::McpToolCall => "MCP tools/call requests",
            ExpensiveRoute::MojodexExecution => "Mojodex workflow executions",
        }
    }
}

/// Who pays for a request: a credential (its SHA-256) or, without one, the client's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Spender {
    /// The SHA-256 (hex) of a bearer token or console session token.
    Credential(String),
    /// A caller without a token, by client address (`None`: a router called without a socket).
    Anonymous(Option<IpAddr>),
}

impl Spender {
    /// The spender for a token (hashed here; the token itself is not kept).
    pub fn credential(token: &str) -> Spender {
        Spender::Credential(sha256_hex(token.as_bytes()))
    }

    /// The spender for a caller without a token, from its client address.
    pub fn anonymous(client: Option<IpAddr>) -> Spender {
        Spender::Anonymous(client.map(address_key))
    }
}

/// The request's bearer token when it sends one, else its client address. Put it after the `Caller`
/// extractor, so a wrong token is refused before it is counted.
impl FromRequestParts<AppState> for Spender {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(match bearer_token(parts)? {
            Some(token) => Spender::credential(token),
            None => Spender::anonymous(client_ip(&parts.extensions)),
        })
    }
}

/// Charges one expensive request to `spender`: `Ok` while its budget lasts, else a `429` (`rate_limited`)
/// whose `Retry-After` says when the next one passes. The budget is the policy's `per_token` for a
/// credential and `anonymous` for a client address; all expensive routes share it.
///
/// Handlers call it first thing after authentication; the console calls it the same way before a form
/// post that runs something, with `Spender::credential(session_token)` (or `Spender::anonymous(client)`):
/// `budgets::spend(&state, &spender, ExpensiveRoute::ToolInvoke)?`.
pub fn spend(state: &AppState, spender: &Spender, route: ExpensiveRoute) -> Result<(), ApiError> {
    spend_many(state, spender, route, 1)
}

/// [`spend`] for `count` requests at once (a JSON-RPC batch of `tools/call`s): all or none.
pub fn spend_many(
    state: &AppState,
    spender: &Spender,
    route: ExpensiveRoute,
    count: u32,
) -> Result<(), ApiError> {
    let policy = state.core.runtime().policy();
    let budget = match spender {
        Spender::Credential(_) => policy.budgets().per_token,
        Spender::Anonymous(_) => policy.budgets().anonymous,
    };
    state
        .budgets
        .charge(spender, budget, count, Instant::now())
        .map_err(|wait| {
            let whose = match spender {
                Spender::Credential(_) => "this token",
                Spender::Anonymous(_) => "this address without a token",
            };
            let error = drydock_core::CoreError::rate_limited(
                format!(
                    "too many {} from {whose} (the budget is {} per {} s)",
                    route.what(),
                    budget.requests,
                    budget.per.as_secs()
                ),
                wait,
            );
            ApiError::from(error)
        })
}

/// The buckets of every spender: when each one's next request would be "on time" (GCRA's theoretical
/// arrival time). A spender absent from the map has a full bucket.
#[derive(Debug, Default)]
pub struct RequestBudgets {
    buckets: Mutex<HashMap<Spender, Instant>>,
}

impl RequestBudgets {
    /// Takes `count` requests from `spender`'s bucket at `now`, or says how long until they would fit.
    fn charge(
        &self,
        spender: &Spender,
        budget: Budget,
        count: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        let interval = budget.per / budget.requests.max(1);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let due = buckets.get(spender).copied().unwrap_or(now).max(now);
        let next = due + interval * count;
        let ahead = next.saturating_duration_since(now);
        if ahead > budget.per {
            return Err(ahead - budget.per);
        }
        if !buckets.contains_key(spender) && buckets.len() >= MAX_KEYS {
            forget_full(&mut buckets, now);
        }
        buckets.insert(spender.clone(), next);
        Ok(())
    }
}

/// Forgets every full bucket (due in the past); if none is, the one closest to full.
fn forget_full(buckets: &mut HashMap<Spender, Instant>, now: Instant) {
    buckets.retain(|_, due| *due > now);
    if buckets.len() >= MAX_KEYS
        && let Some(fullest) = buckets
            .iter()
            .min_by_key(|(_, due)| **due)
            .map(|(key, _)| key.clone())
    {
        buckets.remove(&fullest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_A_MINUTE: Budget = Budget {
        requests: 2,
        per: Duration::from_secs(60),
    };

    #[test]
    fn a_burst_of_the_budget_passes_then_the_wait_is_one_refill_interval() {
        let budgets = RequestBudgets::default();
        let alice = Spender::credential("dd_alice");
        let t0 = Instant::now();
        assert!(budgets.charge(&alice, TWO_A_MINUTE, 1, t0).is_ok());
        assert!(budgets.charge(&alice, TWO_A_MINUTE, 1, t0).is_ok());
        assert_eq!(
            budgets.charge(&alice, TWO_A_MINUTE, 1, t0),
            Err(Duration::from_secs(30))
        );
        // Refused requests cost nothing: thirty seconds later one passes.
        let later = t0 + Duration::from_secs(30);
        assert!(budgets.charge(&alice, TWO_A_MINUTE, 1, later).is_ok());
        assert!(budgets.charge(&alice, TWO_A_MINUTE, 1, later).is_err());
    }

    #[test]
    fn each_credential_and_each_address_has_its_own_budget() {
        let budgets = RequestBudgets::default();
        let t0 = Instant::now();
        for spender in [
            Spender::credential("dd_a"),
            Spender::credential("dd_b"),
            Spender::anonymous(Some("192.0.2.1".parse().unwrap())),
        ] {
            assert!(budgets.charge(&spender, TWO_A_MINUTE, 2, t0).is_ok());
            assert!(budgets.charge(&spender, TWO_A_MINUTE, 1, t0).is_err());
        }
    }

    #[test]
    fn tokens_are_kept_hashed_and_ipv6_neighbours_share_a_budget() {
        let Spender::Credential(key) = Spender::credential("dd_secret") else {
            unreachable!()
        };
        assert!(!key.contains("dd_secret") && key.len() == 64);
        assert_eq!(
            Spender::anonymous(Some("2001:db8::1".parse().unwrap())),
            Spender::anonymous(Some("2001:db8::2".parse().unwrap()))
        );
    }

    #[test]
    fn a_batch_larger_than_what_is_left_is_refused_whole() {
        let budgets = RequestBudgets::default();
        let bob = Spender::credential("dd_bob");
        let t0 = Instant::now();
        assert!(budgets.charge(&bob, TWO_A_MINUTE, 1, t0).is_ok());
        assert!(budgets.charge(&bob, TWO_A_MINUTE, 2, t0).is_err());
        assert!(budgets.charge(&bob, TWO_A_MINUTE, 1, t0).is_ok());
    }

    #[test]
    fn memory_stays_bounded() {
        let budgets = RequestBudgets::default();
        let t0 = Instant::now();
        for i in 0..MAX_KEYS + 10 {
            let spender = Spender::credential(&format!("dd_{i}"));
            assert!(budgets.charge(&spender, TWO_A_MINUTE, 1, t0).is_ok());
        }
        assert!(budgets.buckets.lock().unwrap().len() <= MAX_KEYS);
    }
}
