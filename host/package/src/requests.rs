//! What a package asks for: `[requests]` in its manifest, in the policy's own syntax plus a one-line
//! `reason` per request. URLs, methods, names and mounts go through drydock-policy's own checks, so a
//! request that could not become a grant is refused at the manifest, with the policy's words.
//!
//! An fs request names no host directory: which directory a stranger's plugin sees is the operator's
//! choice when granting (see [`crate::accept`]). It may name the guest `mount` the plugin reads from,
//! because the plugin's code depends on it; as in the policy, the first defaults to `/workspace` and each
//! later one must name its own.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use drydock_policy::names::{check_env_name, check_mount, check_secret_name};
use drydock_policy::{FsAccess, HttpGrant, HttpMethod, UrlPrefix};
use serde::Deserialize;
use toml::Spanned;

use crate::manifest::{ManifestError, Source, check_text};

/// The longest reason accepted: it is one line in a terminal prompt.
pub const MAX_REASON_CHARS: usize = 200;

/// The mount of the first fs request that names none (the policy's default).
const DEFAULT_MOUNT: &str = "/workspace";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRequests {
    #[serde(default)]
    http: Vec<RawHttp>,
    #[serde(default)]
    fs: Vec<RawFs>,
    #[serde(default)]
    secrets: Vec<RawNamed>,
    #[serde(default)]
    env: Vec<RawNamed>,
    llm: Option<RawLlm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    url: Spanned<String>,
    methods: Spanned<Vec<Spanned<String>>>,
    reason: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFs {
    access: Spanned<String>,
    mount: Option<Spanned<String>>,
    reason: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNamed {
    name: Spanned<String>,
    reason: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLlm {
    reason: Spanned<String>,
}

/// Every request of one manifest, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requests {
    /// URL prefixes with methods.
    pub http: Vec<HttpRequest>,
    /// Directories, by access and guest mount (the operator picks the host directory).
    pub fs: Vec<FsRequest>,
    /// Secret names, each listed once.
    pub secrets: Vec<NamedRequest>,
    /// Environment variable names, each listed once, never `DRYDOCK_*`.
    pub env: Vec<NamedRequest>,
    /// The reason for asking for the host's LLM, if it asks.
    pub llm: Option<String>,
}

/// One requested HTTP grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The grant as the policy would hold it.
    pub grant: HttpGrant,
    /// Why the plugin needs it.
    pub reason: String,
}

/// One requested directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsRequest {
    /// Read-only or read-write.
    pub access: FsAccess,
    /// Where the plugin expects to see the directory (`/workspace` for the first unless it says).
    pub mount: String,
    /// Why the plugin needs it.
    pub reason: String,
}

/// One requested secret or environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRequest {
    /// The name.
    pub name: String,
    /// Why the plugin needs it.
    pub reason: String,
}

/// Names one request of a manifest, for choosing which to accept: `http#1`, `fs#2` (1-based, in manifest
/// order), `secret:NAME`, `env:NAME`, `llm`. Parses from the same text (`--grant http#1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestId {
    /// The n-th http request (1-based).
    Http(usize),
    /// The n-th fs request (1-based).
    Fs(usize),
    /// The secret of this name.
    Secret(String),
    /// The environment variable of this name.
    Env(String),
    /// The LLM.
    Llm,
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Http(n) => write!(f, "http#{n}"),
            RequestId::Fs(n) => write!(f, "fs#{n}"),
            RequestId::Secret(name) => write!(f, "secret:{name}"),
            RequestId::Env(name) => write!(f, "env:{name}"),
            RequestId::Llm => f.write_str("llm"),
        }
    }
}

impl FromStr for RequestId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let index = |n: &str| n.parse::<usize>().ok().filter(|n| *n > 0);
        let parsed = match text.split_once([':', '#']) {
            None if text == "llm" => Some(RequestId::Llm),
            Some(("http", n)) if text.starts_with("http#") => index(n).map(RequestId::Http),
            Some(("fs", n)) if text.starts_with("fs#") => index(n).map(RequestId::Fs),
            Some(("secret", name)) if text.starts_with("secret:") => {
                Some(RequestId::Secret(name.to_owned()))
            }
            Some(("env", name)) if text.starts_with("env:") => {
                Some(RequestId::Env(name.to_owned()))
            }
            _ => None,
        };
        parsed.ok_or_else(|| {
            format!("`{text}` names no request; use http#N, fs#N, secret:NAME, env:NAME or llm")
        })
    }
}

/// One request as an operator sees it before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEntry {
    /// How to accept it.
    pub id: RequestId,
    /// What it asks for, e.g. `http POST https://notes.example.com/api/` or `fs ro at /workspace`.
    pub summary: String,
    /// The author's reason.
    pub reason: String,
}

impl Requests {
    /// Every request, in manifest order (http, fs, secrets, env, llm), with its id and reason.
    pub fn entries(&self) -> Vec<RequestEntry> {
        let mut entries = Vec::new();
        for (i, http) in self.http.iter().enumerate() {
            let summary = format!("http {} {}", http.grant.methods_list(), http.grant.prefix);
            entries.push(entry(RequestId::Http(i + 1), summary, &http.reason));
        }
        for (i, fs) in self.fs.iter().enumerate() {
            let summary = format!("fs {} at {}", fs.access, fs.mount);
            entries.push(entry(RequestId::Fs(i + 1), summary, &fs.reason));
        }
        for secret in &self.secrets {
            let id = RequestId::Secret(secret.name.clone());
            entries.push(entry(id, format!("secret {}", secret.name), &secret.reason));
        }
        for env in &self.env {
            let id = RequestId::Env(env.name.clone());
            entries.push(entry(id, format!("env {}", env.name), &env.reason));
        }
        if let Some(reason) = &self.llm {
            entries.push(entry(RequestId::Llm, "llm".to_owned(), reason));
        }
        entries
    }

    /// Whether the manifest asks for nothing at all.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    pub(crate) fn validate(raw: &RawRequests, source: &Source) -> Result<Requests, ManifestError> {
        let reason = |value: &Spanned<String>, key: &str| {
            let text = value.get_ref().trim();
            check_text(text, MAX_REASON_CHARS)
                .map(|()| text.to_owned())
                .map_err(|message| source.invalid(value, &format!("{key}.reason"), message))
        };
        let mut requests = Requests::default();
        for (i, http) in raw.http.iter().enumerate() {
            let key = format!("requests.http[{i}]");
            let prefix = UrlPrefix::parse(http.url.get_ref()).map_err(|error| {
                let message = format!("invalid URL prefix `{}`: {error}", http.url.get_ref());
                source.invalid(&http.url, &format!("{key}.url"), message)
            })?;
            if http.methods.get_ref().is_empty() {
                let message = format!("http request {prefix} lists no methods");
                return Err(source.invalid(&http.methods, &format!("{key}.methods"), message));
            }
            let methods = http
                .methods
                .get_ref()
                .iter()
                .map(|m| {
                    m.get_ref().parse::<HttpMethod>().map_err(|error| {
                        source.invalid(m, &format!("{key}.methods"), error.to_string())
                    })
                })
                .collect::<Result<BTreeSet<_>, _>>()?;
            requests.http.push(HttpRequest {
                grant: HttpGrant {
                    prefix,
                    methods,
                    rules: Default::default(),
                },
                reason: reason(&http.reason, &key)?,
            });
        }
        for (i, fs) in raw.fs.iter().enumerate() {
            let key = format!("requests.fs[{i}]");
            let access = match fs.access.get_ref().as_str() {
                "ro" => FsAccess::ReadOnly,
                "rw" => FsAccess::ReadWrite,
                other => {
                    let message =
                        format!("fs access `{other}` is not `ro` (read-only) or `rw` (read-write)");
                    return Err(source.invalid(&fs.access, &format!("{key}.access"), message));
                }
            };
            let mount = match &fs.mount {
                None if i == 0 => DEFAULT_MOUNT.to_owned(),
                None => {
                    let message = "every fs request after the first needs a `mount` (where the plugin \
                                   sees it, e.g. mount = \"/data\"); the first one defaults to /workspace";
                    return Err(source.invalid(&fs.access, &key, message));
                }
                Some(mount) => {
                    check_mount(mount.get_ref()).map_err(|message| {
                        source.invalid(mount, &format!("{key}.mount"), message)
                    })?;
                    mount.get_ref().clone()
                }
            };
            if requests.fs.iter().any(|earlier| earlier.mount == mount) {
                let message =
                    format!("fs mount `{mount}` is requested twice; give each its own mount");
                return Err(source.invalid(&fs.access, &key, message));
            }
            requests.fs.push(FsRequest {
                access,
                mount,
                reason: reason(&fs.reason, &key)?,
            });
        }
        for (list, raw_list, kind) in [
            (&mut requests.secrets, &raw.secrets, "secrets"),
            (&mut requests.env, &raw.env, "env"),
        ] {
            for (i, named) in raw_list.iter().enumerate() {
                let key = format!("requests.{kind}[{i}]");
                let name = named.name.get_ref();
                let checked = if kind == "secrets" {
                    check_secret_name(name)
                } else {
                    check_env_name(name)
                };
                checked.map_err(|message| {
                    source.invalid(&named.name, &format!("{key}.name"), message)
                })?;
                if list
                    .iter()
                    .any(|earlier: &NamedRequest| earlier.name == *name)
                {
                    let message = format!("`{name}` is requested twice; list it once");
                    return Err(source.invalid(&named.name, &format!("{key}.name"), message));
                }
                list.push(NamedRequest {
                    name: name.clone(),
                    reason: reason(&named.reason, &key)?,
                });
            }
        }
        if let Some(llm) = &raw.llm {
            requests.llm = Some(reason(&llm.reason, "requests.llm")?);
        }
        Ok(requests)
    }
}

fn entry(id: RequestId, summary: String, reason: &str) -> RequestEntry {
    RequestEntry {
        id,
        summary,
        reason: reason.to_owned(),
    }
}
