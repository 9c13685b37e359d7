//! Environment variables: only the names granted to the plugin are visible, with the host's values.
//!
//! The guest's environment is fixed when it is instantiated, so the grant check happens here, once per
//! invocation; names that are granted but unset on the host are simply absent. Values come from the
//! runtime's [`ValueSource`] for env (the host process environment by default). Nothing else of the host's
//! environment (PATH, HOME, DRYDOCK_LIVE...) is ever visible.

use drydock_policy::{Outcome, PluginGrants, decide_env};

use crate::capability::secrets::ValueSource;

/// The `(name, value)` pairs the guest will see.
pub fn visible_env(
    plugin: &str,
    grants: &PluginGrants,
    source: &dyn ValueSource,
) -> Vec<(String, String)> {
    grants
        .env
        .iter()
        .filter(|name| decide_env(plugin, grants, name).outcome == Outcome::Read)
        .filter_map(|name| source.get(name).map(|value| (name.clone(), value)))
        .collect()
}
