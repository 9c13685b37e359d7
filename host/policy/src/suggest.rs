//! Least privilege from a trace: given the policy file and the effects a rehearsal (or any traced run)
//! really used, [`suggest`] writes the smallest grants that still cover them, as a policy file that differs
//! from the current one only where a grant narrows, and as a diff against it.
//!
//! What narrows, per plugin that appears in the trace:
//! - **http**: each grant is split into the reads and the writes it served. Each part keeps only the methods
//!   used, and its URL prefix narrows to the paths used: one path → exactly that path (which covers itself
//!   and below), several → their longest common prefix on segment boundaries. A grant that served nothing
//!   is removed. A grant's other keys (argument rules, `allow_private`, ...) stay on every part.
//! - **fs**: a `rw` grant nothing was written under becomes `ro`. Reads of granted directories are not
//!   journaled, so `ro` grants are kept and said to be untraced.
//! - **secrets**: only the secrets read stay; **llm**: `llm = true` goes when no completion was asked for.
//! - **env**: variables are handed over at start and not journaled, so env grants are kept and said so.
//! - **live**: a capability no grant is left for leaves the plugin's `live` list.
//!
//! Plugins not in the trace, limits, budgets, trust keys and comments stay exactly as written: the file is
//! edited with `toml_edit`, not re-rendered. A suggestion never widens anything: an effect that was denied in
//! the trace is listed, not granted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::capability::{Capability, Outcome};
use crate::error::PolicyError;
use crate::grants::{FsAccess, HttpMethod, PluginGrants};
use crate::policy::Policy;
use crate::url_match::{TargetUrl, UrlPrefix};

mod document;
#[cfg(test)]
mod tests;

/// One journaled effect of the trace, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedEffect {
    /// The plugin that caused it.
    pub plugin: String,
    /// Which capability.
    pub capability: Capability,
    /// The journal's action text: `POST https://host/path`, `write /workspace/a.md`, `secret NAME`, ...
    pub action: String,
    /// What the host did.
    pub outcome: Outcome,
}

/// What happened to one grant in the suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// Fewer methods or a longer URL prefix than before (possibly split into a read and a write grant).
    Narrowed,
    /// Never used in the trace: removed.
    Unused,
    /// A `rw` directory nothing was written in: now `ro`.
    ReadOnly,
    /// Used as written; unchanged.
    Kept,
    /// Not journaled (env, reads of fs grants): unchanged, and the trace cannot say whether it is needed.
    Untraced,
}

/// One grant of a traced plugin and what the suggestion does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantChange {
    /// The plugin.
    pub plugin: String,
    /// The grant as written, e.g. `http http://127.0.0.1:8089/rest/api/2/ [GET, POST]`, `secret JIRA_TOKEN`.
    pub grant: String,
    /// What happens to it.
    pub change: ChangeKind,
    /// Why, or what it becomes.
    pub note: String,
}

/// The suggested policy and how it differs from the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The whole suggested policy file.
    pub policy: String,
    /// A unified diff from the current file to the suggested one (empty when nothing narrows).
    pub diff: String,
    /// The plugins of the trace, sorted.
    pub plugins: Vec<String>,
    /// Every grant of a traced plugin, in file order per plugin.
    pub changes: Vec<GrantChange>,
    /// Notes about the trace itself: denied effects (not granted by the suggestion), plugins whose grants
    /// are not in this file, actions that could not be read.
    pub notes: Vec<String>,
}

impl Suggestion {
    /// The grants the trace never used (removed from the suggestion).
    pub fn unused(&self) -> impl Iterator<Item = &GrantChange> {
        self.changes
            .iter()
            .filter(|c| c.change == ChangeKind::Unused)
    }
}

/// What one plugin used, read from its effects.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    /// Requests that were allowed (read, simulated or live), canonical.
    pub(crate) requests: Vec<(HttpMethod, TargetUrl)>,
    /// Mount points written under (simulated or live fs effects), by the effect's path.
    pub(crate) written_paths: Vec<String>,
    /// Secrets read.
    pub(crate) secrets: BTreeSet<String>,
    /// Whether a completion was asked for.
    pub(crate) llm: bool,
}

/// The smallest grants covering `trace`, as an edit of the policy file `text` (read from `origin`, relative
/// paths resolved against `base_dir`). `ran` names plugins whose tools ran in the trace even if they
/// journaled nothing (a plugin that only read its directories), so their unused grants narrow too.
/// The file must be a valid policy; its error is returned otherwise.
pub fn suggest(
    text: &str,
    origin: &str,
    base_dir: &Path,
    ran: &BTreeSet<String>,
    trace: &[UsedEffect],
) -> Result<Suggestion, PolicyError> {
    let policy = Policy::parse(text, origin, base_dir)?;
    let mut notes = Vec::new();
    let mut usage = usage_by_plugin(trace, &mut notes);
    for plugin in ran {
        usage.entry(plugin.clone()).or_default();
    }
    let mut changes = Vec::new();
    let mut edited =
        document::PolicyDocument::parse(text).map_err(|message| PolicyError::Syntax {
            at: crate::error::Location::of_offset(origin, text, 0),
            message,
        })?;
    for (plugin, used) in &usage {
        if !policy.names(plugin) {
            notes.push(format!(
                "plugin `{plugin}` is in the trace but has no grants in {origin} (installed from a package, \
                 its grants are the package's): nothing to narrow here"
            ));
            continue;
        }
        edited.narrow_plugin(plugin, policy.grants(plugin), used, &mut changes);
    }
    let suggested = edited.to_string();
    let diff = if suggested == text {
        String::new()
    } else {
        similar::TextDiff::from_lines(text, &suggested)
            .unified_diff()
            .context_radius(2)
            .header(origin, "suggested")
            .to_string()
    };
    Ok(Suggestion {
        policy: suggested,
        diff,
        plugins: usage.keys().cloned().collect(),
        changes,
        notes,
    })
}

/// Groups the trace by plugin; denied and unreadable effects become notes.
fn usage_by_plugin(trace: &[UsedEffect], notes: &mut Vec<String>) -> BTreeMap<String, Usage> {
    let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
    let mut denied = BTreeSet::new();
    for effect in trace {
        let used = usage.entry(effect.plugin.clone()).or_default();
        if effect.outcome == Outcome::Denied {
            denied.insert(format!(
                "`{}` was denied to plugin `{}` in the trace; the suggestion does not grant it",
                effect.action, effect.plugin
            ));
            continue;
        }
        match effect.capability {
            Capability::Http => match parse_request(&effect.action) {
                Some(request) => used.requests.push(request),
                None => notes.push(format!(
                    "plugin `{}`: the request `{}` could not be read back (redacted or not canonical); it is \
                     not counted",
                    effect.plugin, effect.action
                )),
            },
            Capability::Fs => {
                // `write /workspace/a.md`, `create /data/x`, `diff /workspace`: the verb, then the path.
                if let Some((_, path)) = effect.action.split_once(' ') {
                    used.written_paths.push(path.to_owned());
                }
            }
            Capability::Secrets => {
                if let Some(name) = effect.action.strip_prefix("secret ") {
                    used.secrets.insert(name.to_owned());
                }
            }
            Capability::Llm => used.llm = true,
            Capability::Env => {}
        }
    }
    notes.extend(denied);
    usage
}

/// `POST https://host/path?q` → the method and the canonical URL.
fn parse_request(action: &str) -> Option<(HttpMethod, TargetUrl)> {
    let (method, url) = action.split_once(' ')?;
    Some((method.parse().ok()?, TargetUrl::parse(url).ok()?))
}

/// The request's grant: the one that governs it ([`PluginGrants::http_grant_for`]), else the most specific
/// covering one (a request the runtime allowed is always covered by some grant; a method override can make
/// it count under a grant that does not list the method it was sent with).
pub(crate) fn grant_index(
    grants: &PluginGrants,
    method: HttpMethod,
    url: &TargetUrl,
) -> Option<usize> {
    if let Some((index, _)) = grants.http_grant_for(method, url) {
        return Some(index);
    }
    grants
        .http
        .iter()
        .enumerate()
        .filter(|(_, g)| g.prefix.matches(url))
        .max_by_key(|(i, g)| (g.prefix.path().len(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
}

/// The narrowest prefix path covering every path: the path itself for one, else the longest common prefix
/// on segment boundaries (ending in `/` unless it is one of the paths).
pub(crate) fn common_path<'a>(paths: impl IntoIterator<Item = &'a str>) -> String {
    let paths: BTreeSet<&str> = paths.into_iter().collect();
    let mut iter = paths.iter();
    let Some(first) = iter.next() else {
        return "/".to_owned();
    };
    let mut common: Vec<&str> = segments(first).collect();
    for path in iter {
        let shared = common
            .iter()
            .zip(segments(path))
            .take_while(|(a, b)| *a == b)
            .count();
        common.truncate(shared);
    }
    if paths.len() == 1 {
        return (*first).to_owned();
    }
    let joined = format!("/{}", common.join("/"));
    if paths.contains(joined.as_str()) || joined == "/" {
        joined
    } else {
        format!("{joined}/")
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// A grant's URL prefix with its path replaced (the origin kept as the grant wrote it, canonically).
pub(crate) fn with_path(prefix: &UrlPrefix, path: &str) -> String {
    let shown = prefix.to_string();
    let origin = shown.strip_suffix(prefix.path()).unwrap_or(&shown);
    format!("{origin}{path}")
}

/// `rw` grants and where the plugin sees them, for matching written paths.
pub(crate) fn fs_written(grants: &PluginGrants, used: &Usage) -> Vec<bool> {
    grants
        .fs
        .iter()
        .map(|grant| {
            grant.access == FsAccess::ReadWrite
                && used.written_paths.iter().any(|path| {
                    path == &grant.mount
                        || path
                            .strip_prefix(grant.mount.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                })
        })
        .collect()
}
