//! Secrets: values the operator keeps outside the policy file, handed only to plugins granted their name.
//!
//! Values come from a [`ValueSource`]; the default reads the host process environment variable of the same
//! name, so `JIRA_TOKEN=... drydock serve` makes `JIRA_TOKEN` available to plugins granted it. A secret read
//! is journaled by name only; its value is registered with the invocation's redactor before the plugin runs.

use std::collections::BTreeMap;

use drydock_policy::{Capability, Outcome, PluginGrants, decide_secret};
use serde_json::json;

use crate::context::CallContext;
use crate::journal::NewEffect;

/// Where the host finds values by name (secret values, granted environment variables).
pub trait ValueSource: Send + Sync {
    /// The value of `name`, if the host has one.
    fn get(&self, name: &str) -> Option<String>;
}

/// Values from the host process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl ValueSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// Values from a fixed map (tests, embedding).
#[derive(Debug, Default, Clone)]
pub struct StaticValues(pub BTreeMap<String, String>);

impl StaticValues {
    /// A map from `(name, value)` pairs.
    pub fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }
}

impl ValueSource for StaticValues {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// Where a runtime takes secret values and granted environment variables from.
#[derive(Clone)]
pub struct HostValues {
    /// Secret values, by secret name.
    pub secrets: std::sync::Arc<dyn ValueSource>,
    /// Environment variable values, by variable name.
    pub env: std::sync::Arc<dyn ValueSource>,
}

impl HostValues {
    /// Both from the host process environment.
    pub fn process() -> Self {
        Self {
            secrets: std::sync::Arc::new(ProcessEnv),
            env: std::sync::Arc::new(ProcessEnv),
        }
    }
}

/// The values of every secret granted to the plugin that the source knows.
pub fn resolve_granted(
    grants: &PluginGrants,
    source: &dyn ValueSource,
) -> BTreeMap<String, String> {
    grants
        .secrets
        .iter()
        .filter_map(|name| source.get(name).map(|value| (name.clone(), value)))
        .collect()
}

/// `host.secret(name)`: the value when granted and set, otherwise an error naming the problem. Journaled.
pub fn read(ctx: &CallContext, name: &str) -> Result<String, String> {
    let decision = decide_secret(ctx.plugin(), &ctx.grants, name);
    let (outcome, reason, answer) = match decision.outcome {
        Outcome::Read => match ctx.secrets.get(name) {
            Some(value) => (Outcome::Read, decision.reason, Ok(value.clone())),
            None => {
                let reason = format!(
                    "secret `{name}` is granted to plugin `{}` but the host has no value for it (set it in the \
                     host's environment)",
                    ctx.plugin()
                );
                (Outcome::Denied, reason.clone(), Err(reason))
            }
        },
        _ => (
            Outcome::Denied,
            decision.reason.clone(),
            Err(decision.reason),
        ),
    };
    let effect = NewEffect {
        capability: Capability::Secrets,
        action: format!("secret {name}"),
        outcome,
        reason,
        detail: json!({ "name": name }),
    };
    if answer.is_err() {
        ctx.journal.record(&ctx.source, &ctx.redactor, effect);
        return answer;
    }
    // A read the journal cannot keep does not happen.
    match ctx.journal.admit(&ctx.source, &ctx.redactor, effect) {
        Some(_) => answer,
        None => Err(format!(
            "secret `{name}` was not read: the journal of this invocation is full, and nothing happens that \
             it does not record"
        )),
    }
}
