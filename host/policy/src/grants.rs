//! Validated grants: what one plugin may reach. These types are only built by the policy-file parser
//! (or by hand in tests), and each field holds an already-checked value: URL prefixes are canonical,
//! directories absolute and normalised, methods a closed set.
//!
//! The default [`PluginGrants`] grants nothing, which is what an unknown plugin gets.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::capability::Capability;
use crate::rules::{FsRules, HttpRules};
use crate::url_match::{TargetUrl, UrlPrefix};

/// Everything one plugin is granted. Anything not listed here is unreachable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginGrants {
    /// URL prefixes with the methods allowed under each.
    pub http: Vec<HttpGrant>,
    /// Directories, each read-only or read-write; no two with the same directory.
    pub fs: Vec<FsGrant>,
    /// Secret names the plugin may read.
    pub secrets: BTreeSet<String>,
    /// The secrets (a subset of `secrets`) granted *for* destinations: only requests under one of these
    /// prefixes may carry the value; it may not appear in files, artifacts, logs or results at all.
    pub secret_routes: BTreeMap<String, Vec<UrlPrefix>>,
    /// Environment variable names the plugin may read (never `DRYDOCK_*`).
    pub env: BTreeSet<String>,
    /// Whether the plugin may ask the host's LLM for completions.
    pub llm: bool,
    /// Capabilities the policy file lets go live initially (the seed of the [`crate::LivePolicy`]).
    pub live: BTreeSet<Capability>,
    /// Limits for this plugin, with the file's top-level defaults already merged in.
    pub limits: LimitOverrides,
    /// If set, lowercase hex SHA-256 the plugin's component must have for these grants to apply.
    pub component_sha256: Option<String>,
}

impl PluginGrants {
    /// Nothing granted; `const` so that [`crate::Policy::grants`] can hand out a `'static` one.
    pub const EMPTY: PluginGrants = PluginGrants {
        http: Vec::new(),
        fs: Vec::new(),
        secrets: BTreeSet::new(),
        secret_routes: BTreeMap::new(),
        env: BTreeSet::new(),
        llm: false,
        live: BTreeSet::new(),
        limits: LimitOverrides::NONE,
        component_sha256: None,
    };

    /// The HTTP grants whose prefix covers `target`, most specific (longest path) first.
    pub fn http_grants_covering(&self, target: &TargetUrl) -> Vec<&HttpGrant> {
        let mut covering: Vec<&HttpGrant> = self
            .http
            .iter()
            .filter(|g| g.prefix.matches(target))
            .collect();
        covering.sort_by_key(|g| std::cmp::Reverse(g.prefix.path().len()));
        covering
    }

    /// The grant that allows `method` to `target` and so governs it (its rules apply): the most specific
    /// covering grant that lists the method, with its index in [`PluginGrants::http`].
    pub fn http_grant_for(
        &self,
        method: HttpMethod,
        target: &TargetUrl,
    ) -> Option<(usize, &HttpGrant)> {
        self.http
            .iter()
            .enumerate()
            .filter(|(_, g)| g.prefix.matches(target) && g.methods.contains(&method))
            .max_by_key(|(i, g)| (g.prefix.path().len(), std::cmp::Reverse(*i)))
    }

    /// The grant for exactly this directory (already normalised), if any.
    pub fn fs_grant(&self, dir: &Path) -> Option<&FsGrant> {
        self.fs.iter().find(|g| g.dir == dir)
    }
}

/// One HTTP grant: a URL prefix and the methods allowed under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpGrant {
    /// The canonical URL prefix (see [`crate::url_match`]).
    pub prefix: UrlPrefix,
    /// The allowed methods; never empty when built by the parser.
    pub methods: BTreeSet<HttpMethod>,
    /// What a request under this grant may carry (none by default).
    pub rules: HttpRules,
}

impl HttpGrant {
    /// The allowed methods as `GET, POST`, for reasons and errors.
    pub fn methods_list(&self) -> String {
        self.methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The HTTP methods a grant can name. CONNECT and TRACE are deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    /// GET (a read).
    Get,
    /// HEAD (a read).
    Head,
    /// OPTIONS (a read).
    Options,
    /// POST (a write).
    Post,
    /// PUT (a write).
    Put,
    /// PATCH (a write).
    Patch,
    /// DELETE (a write).
    Delete,
}

impl HttpMethod {
    /// Every method, reads first.
    pub const ALL: [HttpMethod; 7] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Options,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// The method as sent on the wire (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// POST, PUT, PATCH and DELETE change things: in dry-run they are simulated.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete
        )
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method name that is not one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE (upper case, as on the wire).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown HTTP method `{0}` (expected one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE)")]
pub struct UnknownMethod(pub String);

impl FromStr for HttpMethod {
    type Err = UnknownMethod;

    /// Case-sensitive, like HTTP itself: `get` is not `GET`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        HttpMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
            .ok_or_else(|| UnknownMethod(name.to_owned()))
    }
}

/// One directory grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsGrant {
    /// The directory: absolute and lexically normalised (it need not exist yet).
    pub dir: PathBuf,
    /// Whether the plugin may write in it.
    pub access: FsAccess,
    /// The absolute path at which the plugin sees the directory (`/workspace` for the first grant unless
    /// the policy says otherwise).
    pub mount: String,
    /// What one invocation may write here (rw grants only; none by default).
    pub rules: FsRules,
}

/// Read-only or read-write; written `ro` / `rw` in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FsAccess {
    /// Reads only; every write is denied.
    ReadOnly,
    /// Reads, and writes that are simulated (scratch copy) or live.
    ReadWrite,
}

impl fmt::Display for FsAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FsAccess::ReadOnly => "ro",
            FsAccess::ReadWrite => "rw",
        })
    }
}

/// Per-plugin limit overrides; `None` means the runtime's built-in default. Never zero when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitOverrides {
    /// Wall-clock timeout per invocation, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Guest memory, in MiB.
    pub memory_mib: Option<u64>,
    /// Maximum output size, in KiB.
    pub output_kib: Option<u64>,
    /// Fuel per invocation (only enforced when the runtime enables fuel).
    pub fuel: Option<u64>,
    /// Host memory one invocation's record (journal, artifacts, logs, diff, result) may take, in MiB.
    pub host_memory_mib: Option<u64>,
    /// Bytes a plugin may write into its writable directories per invocation, in MiB.
    pub fs_write_mib: Option<u64>,
    /// Files, directories and links a plugin may create in its writable directories per invocation.
    pub fs_entries: Option<u64>,
}

impl LimitOverrides {
    /// No overrides at all.
    pub const NONE: LimitOverrides = LimitOverrides {
        timeout_ms: None,
        memory_mib: None,
        output_kib: None,
        fuel: None,
        host_memory_mib: None,
        fs_write_mib: None,
        fs_entries: None,
    };

    /// These overrides, with each missing one taken from `defaults`.
    pub fn or(self, defaults: LimitOverrides) -> LimitOverrides {
        LimitOverrides {
            timeout_ms: self.timeout_ms.or(defaults.timeout_ms),
            memory_mib: self.memory_mib.or(defaults.memory_mib),
            output_kib: self.output_kib.or(defaults.output_kib),
            fuel: self.fuel.or(defaults.fuel),
            host_memory_mib: self.host_memory_mib.or(defaults.host_memory_mib),
            fs_write_mib: self.fs_write_mib.or(defaults.fs_write_mib),
            fs_entries: self.fs_entries.or(defaults.fs_entries),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_post_put_patch_delete_are_writes() {
        let writes: Vec<_> = HttpMethod::ALL
            .into_iter()
            .filter(|m| m.is_write())
            .collect();
        assert_eq!(
            writes,
            [
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Patch,
                HttpMethod::Delete
            ]
        );
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!("GET".parse(), Ok(HttpMethod::Get));
        assert_eq!(
            "get".parse::<HttpMethod>(),
            Err(UnknownMethod("get".into()))
        );
        assert!("CONNECT".parse::<HttpMethod>().is_err());
    }

    #[test]
    fn plugin_limits_win_over_defaults() {
        let plugin = LimitOverrides {
            timeout_ms: Some(2000),
            ..LimitOverrides::NONE
        };
        let defaults = LimitOverrides {
            timeout_ms: Some(5000),
            memory_mib: Some(64),
            ..LimitOverrides::NONE
        };
        let merged = plugin.or(defaults);
        assert_eq!(
            (merged.timeout_ms, merged.memory_mib, merged.fuel),
            (Some(2000), Some(64), None)
        );
    }
}
