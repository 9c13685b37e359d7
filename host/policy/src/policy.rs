//! [`Policy`]: the validated policy file, the one place the runtime asks "what may this plugin reach?".
//! An unknown plugin gets [`PluginGrants::EMPTY`]: nothing is granted by default.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use crate::budgets::Budgets;
use crate::error::PolicyError;
use crate::file::parse_policy;
use crate::grants::{LimitOverrides, PluginGrants};
use crate::live::LivePolicy;
use crate::trust::Trust;

static NOTHING_GRANTED: LazyLock<Arc<PluginGrants>> =
    LazyLock::new(|| Arc::new(PluginGrants::EMPTY));

/// Grants for every plugin named in the policy file, plus the file's default limits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// Shared, so that each invocation takes its plugin's grants without copying them.
    plugins: BTreeMap<String, Arc<PluginGrants>>,
    defaults: LimitOverrides,
    trust: Trust,
    budgets: Budgets,
    warnings: Vec<String>,
}

impl Policy {
    /// Parses a policy file's text. `origin` names the file in errors; relative fs paths are resolved
    /// against `base_dir` (made absolute against the current directory if needed, lexically normalised,
    /// never canonicalised: the directory may not exist yet).
    ///
    /// The format (TOML; unknown keys anywhere are errors):
    /// ```toml
    /// [limits]                      # optional defaults for every plugin (all above zero):
    /// timeout_ms = 5000             #   wall clock per invocation; memory_mib: guest memory; output_kib: result;
    ///                               #   fuel; host_memory_mib: what the host keeps of one invocation (journal,
    ///                               #   artifacts, logs, diff, result); fs_write_mib / fs_entries: bytes written
    ///                               #   and files created in writable directories per invocation
    ///
    /// [plugins.jira]                # name: ^[a-z0-9][a-z0-9_-]{0,63}$
    /// http    = [{ url = "https://jira.example.com/rest/api/2/", methods = ["GET", "POST"],
    ///              # optional argument rules (see `rules`): max_body_bytes, max_requests_per_invocation,
    ///              # max_requests_per_minute, query_params = [..], body_schema = { .. }, allow_private
    ///              max_body_bytes = 65536 }]
    /// fs      = [{ path = "./workspace", access = "rw" }]   # access: "ro" | "rw"; rw may add
    ///                               #   max_file_bytes and max_files
    /// secrets = [{ name = "JIRA_TOKEN", to = ["https://jira.example.com/"] }]  # ^[A-Za-z_][A-Za-z0-9_]*$;
    ///                               #   only requests under `to` may carry the value; a bare "NAME" warns
    /// env     = ["JIRA_BASE_URL"]   # same, and never DRYDOCK_*
    /// llm     = false
    /// live    = ["http"]            # only http / fs, and only with a matching (rw) grant
    /// component_sha256 = "<64 hex>" # optional pin
    /// [plugins.jira.limits]         # optional; overrides the defaults key by key
    /// timeout_ms = 2000
    ///
    /// [trust]                       # optional: who signs the packages an operator installs
    /// keys = [{ name = "acme", key = "ed25519:<base64>" }]  # name: 1-64 of [A-Za-z0-9_.-]; names and keys unique
    /// require_signature = false     # true: refuse unsigned or untrusted packages (needs at least one key)
    ///
    /// [budgets]                     # optional: expensive requests (tool calls, plan nodes, runs, MCP tools/call)
    /// per_token = { requests = 120, per_seconds = 60 }  # per bearer token; a burst refilled over per_seconds
    /// anonymous = { requests = 30, per_seconds = 60 }   # per client address without a token (these are the defaults)
    /// ```
    pub fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Policy, PolicyError> {
        let base_dir = std::path::absolute(base_dir).map_err(|source| PolicyError::Read {
            path: base_dir.to_path_buf(),
            source,
        })?;
        let parsed = parse_policy(text, origin, &base_dir)?;
        Ok(Policy {
            plugins: parsed
                .plugins
                .into_iter()
                .map(|(name, grants)| (name, Arc::new(grants)))
                .collect(),
            defaults: parsed.defaults,
            trust: parsed.trust,
            budgets: parsed.budgets,
            warnings: parsed.warnings,
        })
    }

    /// Reads and parses the file at `path`; relative fs paths are resolved against its directory.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        Policy::parse(&text, &path.display().to_string(), base_dir)
    }

    /// A policy that grants nothing to anyone.
    pub fn empty() -> Policy {
        Policy::default()
    }

    /// The grants of `plugin`; an unknown plugin gets an empty set (everything denied).
    pub fn grants(&self, plugin: &str) -> &PluginGrants {
        self.plugins.get(plugin).unwrap_or(&NOTHING_GRANTED)
    }

    /// [`Policy::grants`], shared: what an invocation keeps for its whole run, for the price of a count.
    pub fn shared_grants(&self, plugin: &str) -> Arc<PluginGrants> {
        Arc::clone(self.plugins.get(plugin).unwrap_or(&NOTHING_GRANTED))
    }

    /// Every plugin named in the policy, in name order.
    pub fn plugins(&self) -> impl Iterator<Item = (&str, &PluginGrants)> {
        self.plugins
            .iter()
            .map(|(name, grants)| (name.as_str(), &**grants))
    }

    /// The top-level `[limits]` defaults (already merged into each named plugin's limits).
    pub fn default_limits(&self) -> &LimitOverrides {
        &self.defaults
    }

    /// Whether the policy names `plugin` (an unnamed plugin gets nothing).
    pub fn names(&self, plugin: &str) -> bool {
        self.plugins.contains_key(plugin)
    }

    /// This policy with `plugin`'s grants replaced by `grants` (merged with the top-level limits, as the
    /// file's own sections are), or removed when `None`: how an installed package's accepted grants join
    /// the policy in force.
    pub fn with_grants(&self, plugin: &str, grants: Option<PluginGrants>) -> Policy {
        let mut changed = self.clone();
        match grants {
            Some(mut grants) => {
                grants.limits = grants.limits.or(self.defaults);
                changed.plugins.insert(plugin.to_owned(), Arc::new(grants));
            }
            None => {
                changed.plugins.remove(plugin);
            }
        }
        changed
    }

    /// What the file allows but probably should not (`file:line:column: ...`, one line each): a server logs
    /// them when it loads the policy. Today: secrets granted by bare name, without destinations.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The `[trust]` table: the package signers the operator trusts and whether a signature is required.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The `[budgets]` table: how many expensive requests per token and per anonymous address
    /// ([`Budgets::DEFAULT`] where the file says nothing).
    pub fn budgets(&self) -> &Budgets {
        &self.budgets
    }

    /// The LivePolicy the file asks for: each plugin's `live = [...]`. Operators may change it later.
    pub fn initial_live_policy(&self) -> LivePolicy {
        let mut live = LivePolicy::default();
        for (name, grants) in self.plugins() {
            live.set(name, grants.live.clone());
        }
        live
    }
}

#[cfg(test)]
mod tests;
