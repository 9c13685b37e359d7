//! [`Budgets`]: how many expensive requests (tool calls, plan nodes, workflow runs, MCP `tools/call`) the
//! server takes per credential and per anonymous client address, from the policy file's `[budgets]` table.
//!
//! ```toml
//! [budgets]                                           # optional; each key optional
//! per_token = { requests = 120, per_seconds = 60 }    # per bearer token (or console session)
//! anonymous = { requests = 30, per_seconds = 60 }     # per client address, for callers without a token
//! ```
//! A budget is a burst of `requests`, refilled evenly over `per_seconds`; the server enforces it, this crate
//! only validates it. Without the table (or a key) the defaults below apply, so every server has budgets.

use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// One budget: a burst of `requests`, refilled evenly over `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// How many requests may come at once (and how many per `per`, sustained). Above zero.
    pub requests: u32,
    /// Over how long `requests` are refilled. At least a second.
    pub per: Duration,
}

/// The budgets in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Per credential: each bearer token (or console session) has its own.
    pub per_token: Budget,
    /// Per client address, for callers without a token (FastAgency's public workflows).
    pub anonymous: Budget,
}

/// The longest refill period accepted: a day. Longer ones are almost certainly a unit mistake.
pub const MAX_BUDGET_SECONDS: u64 = 24 * 60 * 60;

impl Budgets {
    /// Two expensive requests a second on average per token, in bursts of up to 120: an agent or a person
    /// clicking through the console stays well inside it, a runaway loop does not. Anonymous callers get a
    /// quarter of that per address: they can only start public, dry-run workflows.
    pub const DEFAULT: Budgets = Budgets {
        per_token: Budget {
            requests: 120,
            per: Duration::from_secs(60),
        },
        anonymous: Budget {
            requests: 30,
            per: Duration::from_secs(60),
        },
    };
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets::DEFAULT
    }
}

/// `[budgets]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBudgets {
    per_token: Option<Spanned<RawBudget>>,
    anonymous: Option<Spanned<RawBudget>>,
}

/// One budget as written: both keys are required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    requests: Spanned<i64>,
    per_seconds: Spanned<i64>,
}

/// Validates `[budgets]`; `invalid(span, message)` makes the error at that span of the file.
pub(crate) fn validate_budgets<E>(
    raw: RawBudgets,
    invalid: impl Fn(Range<usize>, String) -> E,
) -> Result<Budgets, E> {
    let one = |name: &str, raw: Option<Spanned<RawBudget>>, default: Budget| {
        let Some(raw) = raw else {
            return Ok(default);
        };
        let raw = raw.into_inner();
        let requests = u32::try_from(*raw.requests.get_ref())
            .ok()
            .filter(|&r| r > 0)
            .ok_or_else(|| {
                invalid(
                    raw.requests.span(),
                    format!(
                        "[budgets] {name}.requests must be a whole number from 1 to {} (how many \
                         expensive requests at once)",
                        u32::MAX
                    ),
                )
            })?;
        let seconds = u64::try_from(*raw.per_seconds.get_ref())
            .ok()
            .filter(|s| (1..=MAX_BUDGET_SECONDS).contains(s))
            .ok_or_else(|| {
                invalid(
                    raw.per_seconds.span(),
                    format!(
                        "[budgets] {name}.per_seconds must be from 1 to {MAX_BUDGET_SECONDS} (a day); \
                         it is how long `requests` take to refill"
                    ),
                )
            })?;
        Ok(Budget {
            requests,
            per: Duration::from_secs(seconds),
        })
    };
    Ok(Budgets {
        per_token: one("per_token", raw.per_token, Budgets::DEFAULT.per_token)?,
        anonymous: one("anonymous", raw.anonymous, Budgets::DEFAULT.anonymous)?,
    })
}

#[cfg(test)]
mod tests;
