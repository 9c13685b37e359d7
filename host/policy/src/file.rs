//! The policy file, in two stages: raw serde types that mirror the TOML exactly (unknown keys are errors,
//! every value keeps its span), then validation into [`PluginGrants`], which cannot hold an invalid value.
//!
//! Every validation error points at the offending value (`file:line:column`) and names the plugin.
//! The file format is documented on [`crate::Policy::parse`].

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::budgets::{Budgets, RawBudgets, validate_budgets};
use crate::capability::Capability;
use crate::error::{Location, PolicyError};
use crate::grants::{FsAccess, FsGrant, HttpGrant, HttpMethod, LimitOverrides, PluginGrants};
use crate::names::{check_env_name, check_mount};
use crate::path_match::normalize;
use crate::trust::{Ed25519PublicKey, SeenKeys, Trust, TrustedKey, check_signer_name};
use crate::url_match::UrlPrefix;

mod rules;

/// Where the guest sees the first fs grant when the policy does not say.
pub(crate) const DEFAULT_MOUNT: &str = "/workspace";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    plugins: BTreeMap<Spanned<String>, RawPlugin>,
    #[serde(default)]
    trust: RawTrust,
    #[serde(default)]
    budgets: RawBudgets,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    #[serde(default)]
    keys: Vec<RawTrustedKey>,
    require_signature: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrustedKey {
    name: Spanned<String>,
    key: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    timeout_ms: Option<Spanned<u64>>,
    memory_mib: Option<Spanned<u64>>,
    output_kib: Option<Spanned<u64>>,
    fuel: Option<Spanned<u64>>,
    host_memory_mib: Option<Spanned<u64>>,
    fs_write_mib: Option<Spanned<u64>>,
    fs_entries: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    #[serde(default)]
    http: Vec<RawHttp>,
    #[serde(default)]
    fs: Vec<RawFs>,
    #[serde(default)]
    secrets: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    env: Vec<Spanned<String>>,
    #[serde(default)]
    llm: bool,
    #[serde(default)]
    live: Vec<Spanned<String>>,
    #[serde(default)]
    limits: RawLimits,
    component_sha256: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    url: Spanned<String>,
    methods: Spanned<Vec<Spanned<String>>>,
    max_body_bytes: Option<Spanned<u64>>,
    max_requests_per_invocation: Option<Spanned<u64>>,
    max_requests_per_minute: Option<Spanned<u64>>,
    query_params: Option<Spanned<Vec<Spanned<String>>>>,
    body_schema: Option<Spanned<toml::Value>>,
    allow_private: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFs {
    path: Spanned<String>,
    access: Spanned<String>,
    #[serde(default)]
    mount: Option<Spanned<String>>,
    max_file_bytes: Option<Spanned<u64>>,
    max_files: Option<Spanned<u64>>,
}

/// A validated policy file: grants per plugin (defaults merged in) and the top-level limit defaults.
pub(crate) struct ParsedPolicy {
    pub(crate) plugins: BTreeMap<String, PluginGrants>,
    pub(crate) defaults: LimitOverrides,
    pub(crate) trust: Trust,
    pub(crate) budgets: Budgets,
    pub(crate) warnings: Vec<String>,
}

/// Parses and validates a policy file; `base_dir` must be absolute.
pub(crate) fn parse_policy(
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<ParsedPolicy, PolicyError> {
    let raw: RawPolicy = toml::from_str(text).map_err(|error| PolicyError::Syntax {
        at: Location::of_offset(origin, text, error.span().map_or(0, |span| span.start)),
        message: error.message().trim_end().to_owned(),
    })?;
    let file = SourceFile { text, origin };
    let defaults = validate_limits(&file, None, &raw.limits)?;
    let mut plugins = BTreeMap::new();
    let mut warnings = Vec::new();
    for (name, raw_plugin) in raw.plugins {
        if !is_plugin_name(name.get_ref()) {
            let message = format!(
                "plugin name `{}` must match ^[a-z0-9][a-z0-9_-]{{0,63}}$ (lowercase letters, digits, `_`, `-`)",
                name.get_ref()
            );
            return Err(file.invalid(name.span(), None, message));
        }
        let validator = PluginValidator {
            file: &file,
            plugin: name.get_ref(),
            base_dir,
        };
        let grants = validator.validate(raw_plugin, defaults, &mut warnings)?;
        plugins.insert(name.into_inner(), grants);
    }
    let trust = validate_trust(&file, raw.trust)?;
    let budgets = validate_budgets(raw.budgets, |span, message| {
        file.invalid(span, None, message)
    })?;
    Ok(ParsedPolicy {
        plugins,
        defaults,
        trust,
        budgets,
        warnings,
    })
}

fn validate_trust(file: &SourceFile, raw: RawTrust) -> Result<Trust, PolicyError> {
    let mut seen = SeenKeys::default();
    let mut keys = Vec::with_capacity(raw.keys.len());
    for entry in raw.keys {
        check_signer_name(entry.name.get_ref())
            .map_err(|message| file.invalid(entry.name.span(), None, message))?;
        let key: Ed25519PublicKey = entry.key.get_ref().parse().map_err(|error| {
            file.invalid(entry.key.span(), None, format!("in [trust] keys: {error}"))
        })?;
        seen.add(entry.name.get_ref(), key)
            .map_err(|message| file.invalid(entry.name.span(), None, message))?;
        keys.push(TrustedKey {
            name: entry.name.into_inner(),
            key,
        });
    }
    let require_signature = match raw.require_signature {
        Some(flag) if *flag.get_ref() && keys.is_empty() => {
            let message = "require_signature = true but [trust] lists no keys, so no package could \
                           be installed; add the signers' keys (keys = [{ name = \"acme\", key = \"ed25519:...\" }])";
            return Err(file.invalid(flag.span(), None, message));
        }
        Some(flag) => flag.into_inner(),
        None => false,
    };
    Ok(Trust {
        keys,
        require_signature,
    })
}

struct SourceFile<'a> {
    text: &'a str,
    origin: &'a str,
}

impl SourceFile<'_> {
    fn invalid(
        &self,
        span: Range<usize>,
        plugin: Option<&str>,
        message: impl Into<String>,
    ) -> PolicyError {
        PolicyError::Invalid {
            at: Location::of_offset(self.origin, self.text, span.start),
            plugin: plugin.map(str::to_owned),
            message: message.into(),
        }
    }
}

fn validate_limits(
    file: &SourceFile,
    plugin: Option<&str>,
    raw: &RawLimits,
) -> Result<LimitOverrides, PolicyError> {
    let check = |name: &str, value: &Option<Spanned<u64>>| match value {
        Some(v) if *v.get_ref() == 0 => Err(file.invalid(
            v.span(),
            plugin,
            format!("limit `{name}` must be above zero"),
        )),
        Some(v) => Ok(Some(*v.get_ref())),
        None => Ok(None),
    };
    Ok(LimitOverrides {
        timeout_ms: check("timeout_ms", &raw.timeout_ms)?,
        memory_mib: check("memory_mib", &raw.memory_mib)?,
        output_kib: check("output_kib", &raw.output_kib)?,
        fuel: check("fuel", &raw.fuel)?,
        host_memory_mib: check("host_memory_mib", &raw.host_memory_mib)?,
        fs_write_mib: check("fs_write_mib", &raw.fs_write_mib)?,
        fs_entries: check("fs_entries", &raw.fs_entries)?,
    })
}

/// Validates one `[plugins.<name>]` table; every error names `plugin`.
struct PluginValidator<'a> {
    file: &'a SourceFile<'a>,
    plugin: &'a str,
    base_dir: &'a Path,
}

impl PluginValidator<'_> {
    fn invalid(&self, span: Range<usize>, message: impl Into<String>) -> PolicyError {
        self.file.invalid(span, Some(self.plugin), message)
    }

    fn validate(
        &self,
        raw: RawPlugin,
        defaults: LimitOverrides,
        warnings: &mut Vec<String>,
    ) -> Result<PluginGrants, PolicyError> {
        let http = raw
            .http
            .iter()
            .map(|grant| self.http_grant(grant))
            .collect::<Result<Vec<_>, _>>()?;
        let fs = self.fs_grants(&raw.fs)?;
        let (secrets, secret_routes) = self.secrets(&raw.secrets, warnings)?;
        let mut grants = PluginGrants {
            http,
            fs,
            secrets,
            secret_routes,
            env: self.names(&raw.env)?,
            llm: raw.llm,
            live: BTreeSet::new(),
            limits: validate_limits(self.file, Some(self.plugin), &raw.limits)?.or(defaults),
            component_sha256: raw
                .component_sha256
                .map(|sha| self.component_sha256(sha))
                .transpose()?,
        };
        grants.live = self.live(&raw.live, &grants)?;
        Ok(grants)
    }

    fn http_grant(&self, raw: &RawHttp) -> Result<HttpGrant, PolicyError> {
        let prefix = UrlPrefix::parse(raw.url.get_ref()).map_err(|error| {
            self.invalid(
                raw.url.span(),
                format!("invalid URL prefix `{}`: {error}", raw.url.get_ref()),
            )
        })?;
        if raw.methods.get_ref().is_empty() {
            return Err(self.invalid(
                raw.methods.span(),
                format!("http grant {prefix} lists no methods"),
            ));
        }
        let methods = raw
            .methods
            .get_ref()
            .iter()
            .map(|m| {
                m.get_ref()
                    .parse::<HttpMethod>()
                    .map_err(|error| self.invalid(m.span(), error.to_string()))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        let rules = self.http_rules(raw, &prefix)?;
        Ok(HttpGrant {
            prefix,
            methods,
            rules,
        })
    }

    fn fs_grants(&self, raw: &[RawFs]) -> Result<Vec<FsGrant>, PolicyError> {
        let mut grants: Vec<FsGrant> = Vec::with_capacity(raw.len());
        for entry in raw {
            let access = match entry.access.get_ref().as_str() {
                "ro" => FsAccess::ReadOnly,
                "rw" => FsAccess::ReadWrite,
                other => {
                    let message =
                        format!("fs access `{other}` is not `ro` (read-only) or `rw` (read-write)");
                    return Err(self.invalid(entry.access.span(), message));
                }
            };
            let dir = self.fs_dir(&entry.path)?;
            if grants.iter().any(|g| g.dir == dir) {
                let message = format!(
                    "fs directory `{}` is granted twice; list it once",
                    dir.display()
                );
                return Err(self.invalid(entry.path.span(), message));
            }
            let mount = match &entry.mount {
                None if grants.is_empty() => DEFAULT_MOUNT.to_owned(),
                None => {
                    let message = "every fs grant after the first needs a `mount` (where the plugin sees it, \
                                   e.g. mount = \"/data\"); the first one defaults to /workspace";
                    return Err(self.invalid(entry.path.span(), message.to_owned()));
                }
                Some(mount) => {
                    let text = mount.get_ref();
                    check_mount(text).map_err(|message| self.invalid(mount.span(), message))?;
                    text.clone()
                }
            };
            if grants.iter().any(|g| g.mount == mount) {
                let span = entry.mount.as_ref().map_or(entry.path.span(), |m| m.span());
                let message =
                    format!("fs mount `{mount}` is used twice; give each grant its own mount");
                return Err(self.invalid(span, message));
            }
            let rules = self.fs_rules(entry, access)?;
            grants.push(FsGrant {
                dir,
                access,
                mount,
                rules,
            });
        }
        Ok(grants)
    }

    /// Relative paths are resolved against the policy file's directory, lexically (it may not exist yet).
    fn fs_dir(&self, raw: &Spanned<String>) -> Result<PathBuf, PolicyError> {
        if raw.get_ref().is_empty() {
            return Err(self.invalid(raw.span(), "fs path is empty"));
        }
        normalize(&self.base_dir.join(raw.get_ref())).map_err(|error| {
            self.invalid(
                raw.span(),
                format!("invalid fs path `{}`: {error}", raw.get_ref()),
            )
        })
    }

    fn names(&self, raw: &[Spanned<String>]) -> Result<BTreeSet<String>, PolicyError> {
        let mut names = BTreeSet::new();
        for name in raw {
            let text = name.get_ref();
            check_env_name(text).map_err(|message| self.invalid(name.span(), message))?;
            names.insert(text.clone());
        }
        Ok(names)
    }

    fn live(
        &self,
        raw: &[Spanned<String>],
        grants: &PluginGrants,
    ) -> Result<BTreeSet<Capability>, PolicyError> {
        let mut live = BTreeSet::new();
        for entry in raw {
            let cap: Capability =
                entry
                    .get_ref()
                    .parse()
                    .map_err(|error: crate::UnknownCapability| {
                        self.invalid(entry.span(), format!("in `live`: {error}"))
                    })?;
            let problem = match cap {
                Capability::Http if grants.http.is_empty() => Some("the plugin has no http grant"),
                Capability::Fs if grants.fs.is_empty() => Some("the plugin has no fs grant"),
                Capability::Fs if grants.fs.iter().all(|g| g.access == FsAccess::ReadOnly) => Some(
                    "all of the plugin's fs grants are read-only (ro), so there is nothing to write",
                ),
                _ if !cap.has_writes() => {
                    Some("it has no writes; only `http` and `fs` can go live")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(
                    self.invalid(entry.span(), format!("`live` lists `{cap}` but {problem}"))
                );
            }
            live.insert(cap);
        }
        Ok(live)
    }

    fn component_sha256(&self, raw: Spanned<String>) -> Result<String, PolicyError> {
        let text = raw.get_ref();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let message =
                format!("component_sha256 `{text}` must be 64 hex characters (a SHA-256 digest)");
            return Err(self.invalid(raw.span(), message));
        }
        Ok(text.to_ascii_lowercase())
    }
}

fn is_plugin_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    first_ok
        && name.len() <= 64
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
