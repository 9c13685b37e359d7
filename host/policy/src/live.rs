//! When may a granted write go live? [`LivePolicy`] is the operator's per-plugin list (editable at runtime),
//! [`LiveContext`] is everything else about the current execution (master switch, requested mode, plan
//! approval). `write_decision` applies the rule from the design handbook: live only when *all* hold,
//! otherwise simulated, with a reason that names every missing condition.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::capability::{Capability, Decision, Mode, Outcome};

/// The environment variable that is the master switch; only the exact value `1` turns it on.
pub const MASTER_SWITCH_VAR: &str = "DRYDOCK_LIVE";

/// Per plugin, the capabilities an operator allows to go live. Plugins not listed may go live with nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LivePolicy {
    plugins: BTreeMap<String, BTreeSet<Capability>>,
}

static NO_CAPABILITIES: BTreeSet<Capability> = BTreeSet::new();

impl LivePolicy {
    /// The capabilities `plugin` may use live (empty for an unknown plugin).
    pub fn allowed(&self, plugin: &str) -> &BTreeSet<Capability> {
        self.plugins.get(plugin).unwrap_or(&NO_CAPABILITIES)
    }

    /// Replaces the live capabilities of `plugin`; an empty set removes the plugin from the policy.
    pub fn set(&mut self, plugin: &str, caps: BTreeSet<Capability>) {
        if caps.is_empty() {
            self.plugins.remove(plugin);
        } else {
            self.plugins.insert(plugin.to_owned(), caps);
        }
    }

    /// Whether this policy lists `cap` for `plugin` (one of the four conditions for going live).
    pub fn may_go_live(&self, plugin: &str, cap: Capability) -> bool {
        self.allowed(plugin).contains(&cap)
    }

    /// Every plugin with at least one live capability.
    pub fn plugins(&self) -> impl Iterator<Item = (&str, &BTreeSet<Capability>)> {
        self.plugins
            .iter()
            .map(|(name, caps)| (name.as_str(), caps))
    }
}

/// Whether the effect belongs to a plan node, and if so whether that plan may run live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanApproval {
    /// A direct tool call or workflow step: no plan approval is needed.
    NotAPlan,
    /// A plan node whose plan is approved and whose hash is unchanged since approval.
    Approved,
    /// A plan node whose plan is not approved, or changed since approval.
    NotApproved {
        /// Why, e.g. "plan changed since approval (hash 1a2b… ≠ 9f8e…)".
        reason: String,
    },
}

/// Everything about the current execution that the live rule needs, besides the LivePolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveContext {
    /// Whether `DRYDOCK_LIVE=1` is in the process environment.
    pub master_switch: bool,
    /// The mode the operator requested for this execution.
    pub requested: Mode,
    /// Plan approval state of the execution.
    pub plan_approval: PlanApproval,
}

impl LiveContext {
    /// Reads the master switch from the process environment: on only when `DRYDOCK_LIVE` is exactly `1`.
    pub fn from_env(requested: Mode, plan_approval: PlanApproval) -> Self {
        let master_switch = std::env::var(MASTER_SWITCH_VAR).as_deref() == Ok("1");
        LiveContext {
            master_switch,
            requested,
            plan_approval,
        }
    }

    /// A dry run outside any plan with the master switch off: the safest context, handy in tests.
    pub fn dry_run() -> Self {
        LiveContext {
            master_switch: false,
            requested: Mode::DryRun,
            plan_approval: PlanApproval::NotAPlan,
        }
    }

    /// Each condition of the live rule that does not hold, in words; empty means the write may go live.
    pub fn missing_conditions(
        &self,
        live: &LivePolicy,
        plugin: &str,
        cap: Capability,
    ) -> Vec<String> {
        let mut missing = Vec::new();
        if !self.master_switch {
            missing.push(format!("master switch {MASTER_SWITCH_VAR}=1 is not set"));
        }
        if !live.may_go_live(plugin, cap) {
            missing.push(format!(
                "LivePolicy does not list `{cap}` for plugin `{plugin}`"
            ));
        }
        if self.requested != Mode::Live {
            missing.push(format!(
                "the execution was requested in {} mode",
                self.requested
            ));
        }
        if let PlanApproval::NotApproved { reason } = &self.plan_approval {
            missing.push(format!("the plan is not approved: {reason}"));
        }
        missing
    }
}

/// Live or simulated for a write that is already known to be granted; `what` describes the write and
/// its grant (e.g. "POST https://a/x is granted by https://a/").
pub(crate) fn write_decision(
    plugin: &str,
    cap: Capability,
    live: &LivePolicy,
    ctx: &LiveContext,
    what: &str,
) -> Decision {
    let missing = ctx.missing_conditions(live, plugin, cap);
    if missing.is_empty() {
        let plan = match ctx.plan_approval {
            PlanApproval::Approved => ", the plan is approved and unchanged",
            _ => "",
        };
        let reason = format!(
            "live: master switch is on, LivePolicy lists `{cap}` for plugin `{plugin}`, live mode was requested{plan}; {what}"
        );
        Decision::new(Outcome::Live, reason)
    } else {
        Decision::new(
            Outcome::Simulated,
            format!("simulated: {}; {what}", missing.join("; ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_on() -> LiveContext {
        LiveContext {
            master_switch: true,
            requested: Mode::Live,
            plan_approval: PlanApproval::Approved,
        }
    }

    fn jira_http() -> LivePolicy {
        let mut live = LivePolicy::default();
        live.set("jira", BTreeSet::from([Capability::Http]));
        live
    }

    #[test]
    fn live_only_when_every_condition_holds() {
        let decision = write_decision("jira", Capability::Http, &jira_http(), &all_on(), "POST x");
        assert_eq!(decision.outcome, Outcome::Live, "{}", decision.reason);
        let not_a_plan = LiveContext {
            plan_approval: PlanApproval::NotAPlan,
            ..all_on()
        };
        assert_eq!(
            write_decision("jira", Capability::Http, &jira_http(), &not_a_plan, "x").outcome,
            Outcome::Live
        );
    }

    #[test]
    fn each_missing_condition_alone_simulates_and_is_named() {
        let stale = PlanApproval::NotApproved {
            reason: "plan changed since approval".into(),
        };
        let cases = [
            (
                LiveContext {
                    master_switch: false,
                    ..all_on()
                },
                jira_http(),
                "DRYDOCK_LIVE=1 is not set",
            ),
            (
                all_on(),
                LivePolicy::default(),
                "LivePolicy does not list `http` for plugin `jira`",
            ),
            (
                LiveContext {
                    requested: Mode::DryRun,
                    ..all_on()
                },
                jira_http(),
                "requested in dry-run mode",
            ),
            (
                LiveContext {
                    plan_approval: stale,
                    ..all_on()
                },
                jira_http(),
                "plan changed since approval",
            ),
        ];
        for (ctx, live, expected) in cases {
            let decision = write_decision("jira", Capability::Http, &live, &ctx, "POST x");
            assert_eq!(decision.outcome, Outcome::Simulated);
            assert!(decision.reason.contains(expected), "{}", decision.reason);
            assert_eq!(
                decision.reason.matches("; ").count(),
                1,
                "only one condition named: {}",
                decision.reason
            );
        }
    }

    #[test]
    fn simulated_reason_names_every_missing_condition() {
        let decision = write_decision(
            "jira",
            Capability::Http,
            &LivePolicy::default(),
            &LiveContext::dry_run(),
            "POST x",
        );
        assert_eq!(
            decision.reason,
            "simulated: master switch DRYDOCK_LIVE=1 is not set; LivePolicy does not list `http` for plugin `jira`; \
             the execution was requested in dry-run mode; POST x"
        );
    }

    #[test]
    fn live_policy_is_per_plugin_and_per_capability() {
        let live = jira_http();
        assert!(live.may_go_live("jira", Capability::Http));
        assert!(!live.may_go_live("jira", Capability::Fs));
        assert!(!live.may_go_live("other", Capability::Http));
        let mut cleared = live.clone();
        cleared.set("jira", BTreeSet::new());
        assert_eq!(cleared, LivePolicy::default());
    }

    #[test]
    fn live_policy_serialises_as_a_map_of_capability_names() {
        let text = toml::to_string(&jira_http()).unwrap();
        assert_eq!(text.trim(), r#"jira = ["http"]"#);
        assert_eq!(toml::from_str::<LivePolicy>(&text).unwrap(), jira_http());
    }
}
