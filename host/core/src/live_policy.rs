//! The operator's LivePolicy overrides: per plugin, the capabilities that may go live.
//!
//! Stored so that a toggle survives a restart. An override replaces the plugin's list from the policy
//! file; an empty list is an explicit "nothing live". Whether an effect actually goes live is still
//! decided by `drydock-policy` (master switch, live request, approved plan).

use rusqlite::params;

use crate::canonical::canonical_json;
use crate::stamp::now;
use crate::store::rows::{json_column, query_all};
use crate::{Store, StoreError};

/// Where the live capabilities of a plugin come from. The rule: an operator's toggle (stored, so it survives
/// restarts) replaces the policy file's `live = [...]` for that plugin until the next toggle; a plugin no
/// operator toggled has the file's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveSource {
    /// The policy file's `live = [...]`.
    File,
    /// An operator's toggle (`PUT /api/policy/plugins/{plugin}/live`).
    Operator {
        /// Who toggled it.
        name: String,
        /// When (RFC 3339 UTC).
        at: String,
    },
}

impl std::fmt::Display for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveSource::File => f.write_str("file"),
            LiveSource::Operator { name, at } => write!(f, "operator {name} at {at}"),
        }
    }
}

/// One plugin's live capabilities as they are in force, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEntry {
    /// The plugin.
    pub plugin: String,
    /// What may go live (empty: an operator said "nothing live").
    pub capabilities: Vec<String>,
    /// Where the list comes from.
    pub source: LiveSource,
}

/// One override: `(plugin, capabilities, updated_by, updated_at)`.
pub type LiveOverride = (String, Vec<String>, String, String);

impl Store {
    /// Every override, ordered by plugin name.
    pub fn live_policy_overrides(&self) -> Result<Vec<LiveOverride>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                "SELECT plugin, capabilities, updated_by, updated_at \
                 FROM live_policy ORDER BY plugin",
                [],
                |row| {
                    let column = "live_policy.capabilities";
                    let capabilities = serde_json::from_value(json_column(row, 1, column)?)
                        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))?;
                    Ok((row.get(0)?, capabilities, row.get(2)?, row.get(3)?))
                },
            )
        })
    }

    /// Sets (replaces) the plugin's live capabilities. `Invalid` for an empty plugin name or a name that is
    /// not a capability (`http`, `fs`, `secrets`, `env`, `llm`). Stored sorted and without duplicates.
    /// Answers the time it was stored.
    pub fn set_live_policy(
        &self,
        plugin: &str,
        capabilities: &[String],
        by: &str,
    ) -> Result<String, StoreError> {
        if plugin.trim().is_empty() {
            return Err(StoreError::Invalid("plugin name must not be empty".into()));
        }
        let mut names = Vec::with_capacity(capabilities.len());
        for name in capabilities {
            let capability: drydock_policy::Capability = name
                .parse()
                .map_err(|e| StoreError::Invalid(format!("{e}")))?;
            names.push(capability.as_str());
        }
        names.sort_unstable();
        names.dedup();
        let json = canonical_json(&serde_json::json!(names));
        let at = now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO live_policy (plugin, capabilities, updated_by, updated_at) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (plugin) DO UPDATE SET capabilities = excluded.capabilities, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                params![plugin, json, by, at],
            )?;
            Ok(())
        })?;
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use crate::StoreError;
    use crate::store::test_support::temp_store;

    #[test]
    fn live_policy_override_replaces_and_persists_sorted() {
        let (dir, store) = temp_store();
        store
            .set_live_policy("jira", &["http".into()], "olivia")
            .unwrap();
        store
            .set_live_policy("jira", &["fs".into(), "http".into(), "fs".into()], "oscar")
            .unwrap();
        store.set_live_policy("workspace", &[], "olivia").unwrap();
        drop(store);
        let store = crate::Store::open(dir.path()).unwrap();
        let overrides = store.live_policy_overrides().unwrap();
        assert_eq!(overrides.len(), 2);
        assert_eq!(
            (overrides[0].0.as_str(), overrides[0].1.clone()),
            ("jira", vec!["fs".into(), "http".into()])
        );
        assert_eq!(overrides[0].2, "oscar");
        assert_eq!(
            (overrides[1].0.as_str(), overrides[1].1.len()),
            ("workspace", 0)
        );
    }

    #[test]
    fn unknown_capability_is_refused() {
        let (_dir, store) = temp_store();
        let error = store
            .set_live_policy("jira", &["sockets".into()], "olivia")
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::Invalid(m) if m.contains("sockets")),
            "{error}"
        );
    }
}
