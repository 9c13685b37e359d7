//! From requests to grants, and from one version's requests to the next's.
//!
//! [`Requests::grants`] turns the requests an operator accepted into the policy's [`PluginGrants`]: nothing
//! unaccepted, and for each accepted fs request the host directory the operator chose. `live` stays empty
//! and limits unset: going live and limits are separate operator decisions, never part of a package.
//!
//! [`compare`] breaks two request sets into single grants (one per URL prefix *and* method, per mount, per
//! name) so an upgrade can ask "is everything the new version wants already asked for by the old one?" A
//! new grant counts as already asked for when an old one covers it: the same prefix or a wider one with
//! the method, or `rw` where `ro` is now asked at the same mount. Reasons are ignored: rewording is not
//! asking for more.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use drydock_policy::{
    FsAccess, FsGrant, HttpMethod, PluginGrants, TargetUrl, UrlPrefix, normalize,
};

use crate::requests::{RequestId, Requests};

/// An operator's decision on one manifest's requests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Acceptance {
    /// The requests accepted; anything not listed is refused.
    pub accepted: BTreeSet<RequestId>,
    /// For each accepted fs request (by its 1-based number, as in [`RequestId::Fs`]), the host directory
    /// the plugin will see. Relative paths are refused: the caller resolves them against what the operator
    /// meant (their working directory, the data dir).
    pub fs_dirs: BTreeMap<usize, PathBuf>,
}

/// Why an [`Acceptance`] cannot become grants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    /// An accepted id names no request of this manifest.
    #[error("`{0}` is not one of the package's requests; accept only what it lists")]
    NoSuchRequest(RequestId),
    /// An fs request is accepted without a host directory.
    #[error(
        "fs request #{0} is accepted but no host directory was chosen for it; say which directory"
    )]
    MissingDirectory(usize),
    /// A host directory is not absolute or does not normalise.
    #[error(
        "the directory `{dir}` chosen for fs request #{number} must be an absolute path ({problem})"
    )]
    BadDirectory {
        /// The fs request's number.
        number: usize,
        /// The directory as given.
        dir: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The same host directory is chosen for two fs requests.
    #[error("the directory `{0}` is chosen for two fs requests; choose one directory per request")]
    DirectoryTwice(PathBuf),
}

impl Requests {
    /// The grants of the accepted requests. Errors if an id names no request or an accepted fs request has
    /// no (absolute, distinct) directory; a directory chosen for an unaccepted request is ignored.
    pub fn grants(&self, acceptance: &Acceptance) -> Result<PluginGrants, AcceptError> {
        let mut grants = PluginGrants::default();
        for id in &acceptance.accepted {
            match id {
                RequestId::Http(n) => {
                    let request = self
                        .http
                        .get(n.wrapping_sub(1))
                        .ok_or_else(|| missing(id))?;
                    grants.http.push(request.grant.clone());
                }
                RequestId::Fs(n) => {
                    let request = self.fs.get(n.wrapping_sub(1)).ok_or_else(|| missing(id))?;
                    let dir = acceptance
                        .fs_dirs
                        .get(n)
                        .ok_or(AcceptError::MissingDirectory(*n))?;
                    let dir = absolute_dir(*n, dir)?;
                    if grants.fs.iter().any(|grant| grant.dir == dir) {
                        return Err(AcceptError::DirectoryTwice(dir));
                    }
                    grants.fs.push(FsGrant {
                        dir,
                        access: request.access,
                        mount: request.mount.clone(),
                        rules: Default::default(),
                    });
                }
                RequestId::Secret(name) => {
                    self.secrets
                        .iter()
                        .find(|s| s.name == *name)
                        .ok_or_else(|| missing(id))?;
                    grants.secrets.insert(name.clone());
                }
                RequestId::Env(name) => {
                    self.env
                        .iter()
                        .find(|e| e.name == *name)
                        .ok_or_else(|| missing(id))?;
                    grants.env.insert(name.clone());
                }
                RequestId::Llm => {
                    self.llm.as_ref().ok_or_else(|| missing(id))?;
                    grants.llm = true;
                }
            }
        }
        Ok(grants)
    }

    /// Accepts every request; `fs_dirs` gives each fs request's directory, by number.
    pub fn accept_all(&self, fs_dirs: BTreeMap<usize, PathBuf>) -> Acceptance {
        Acceptance {
            accepted: self.entries().into_iter().map(|entry| entry.id).collect(),
            fs_dirs,
        }
    }

    /// The requests broken into single grants (see the module doc).
    pub fn single_grants(&self) -> Vec<RequestedGrant> {
        let mut single = Vec::new();
        for http in &self.http {
            for method in &http.grant.methods {
                single.push(RequestedGrant::Http {
                    prefix: http.grant.prefix.clone(),
                    method: *method,
                });
            }
        }
        for fs in &self.fs {
            single.push(RequestedGrant::Fs {
                mount: fs.mount.clone(),
                access: fs.access,
            });
        }
        single.extend(
            self.secrets
                .iter()
                .map(|s| RequestedGrant::Secret(s.name.clone())),
        );
        single.extend(self.env.iter().map(|e| RequestedGrant::Env(e.name.clone())));
        single.extend(self.llm.iter().map(|_| RequestedGrant::Llm));
        single
    }
}

fn missing(id: &RequestId) -> AcceptError {
    AcceptError::NoSuchRequest(id.clone())
}

fn absolute_dir(number: usize, dir: &Path) -> Result<PathBuf, AcceptError> {
    let bad = |problem: String| AcceptError::BadDirectory {
        number,
        dir: dir.to_path_buf(),
        problem,
    };
    if !dir.is_absolute() {
        return Err(bad("it is relative".to_owned()));
    }
    normalize(dir).map_err(|error| bad(error.to_string()))
}

/// One grant a package asks for, the unit in which two versions' requests are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestedGrant {
    /// One method under one URL prefix.
    Http {
        /// The prefix.
        prefix: UrlPrefix,
        /// The method.
        method: HttpMethod,
    },
    /// One directory, by where the plugin sees it.
    Fs {
        /// The guest mount.
        mount: String,
        /// Read-only or read-write.
        access: FsAccess,
    },
    /// One secret.
    Secret(String),
    /// One environment variable.
    Env(String),
    /// The LLM.
    Llm,
}

impl RequestedGrant {
    /// Whether granting `self` already allows everything `other` asks for.
    pub fn covers(&self, other: &RequestedGrant) -> bool {
        match (self, other) {
            (
                RequestedGrant::Http { prefix, method },
                RequestedGrant::Http {
                    prefix: other_prefix,
                    method: other_method,
                },
            ) => {
                // A prefix covers another when the other's own URL falls under it.
                method == other_method
                    && (prefix == other_prefix
                        || TargetUrl::parse(&other_prefix.to_string())
                            .is_ok_and(|target| prefix.matches(&target)))
            }
            (
                RequestedGrant::Fs { mount, access },
                RequestedGrant::Fs {
                    mount: other_mount,
                    access: other_access,
                },
            ) => mount == other_mount && (access == other_access || *access == FsAccess::ReadWrite),
            _ => self == other,
        }
    }
}

impl fmt::Display for RequestedGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestedGrant::Http { prefix, method } => write!(f, "http {method} {prefix}"),
            RequestedGrant::Fs { mount, access } => write!(f, "fs {access} at {mount}"),
            RequestedGrant::Secret(name) => write!(f, "secret {name}"),
            RequestedGrant::Env(name) => write!(f, "env {name}"),
            RequestedGrant::Llm => f.write_str("llm"),
        }
    }
}

/// How a new version's requests differ from the old one's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestDiff {
    /// What the new version asks for that the old one did not (nothing old covers it).
    pub added: Vec<RequestedGrant>,
    /// What the old version asked for that the new one no longer covers.
    pub removed: Vec<RequestedGrant>,
}

impl RequestDiff {
    /// Whether the new version asks for nothing beyond the old (an upgrade may keep the granted set).
    pub fn is_subset(&self) -> bool {
        self.added.is_empty()
    }
}

/// Compares the requests of an installed version (`old`) with those of its upgrade (`new`).
pub fn compare(old: &Requests, new: &Requests) -> RequestDiff {
    let old_grants = old.single_grants();
    let new_grants = new.single_grants();
    let not_covered_by = |set: &[RequestedGrant], grant: &RequestedGrant| {
        !set.iter().any(|candidate| candidate.covers(grant))
    };
    RequestDiff {
        added: new_grants
            .iter()
            .filter(|grant| not_covered_by(&old_grants, grant))
            .cloned()
            .collect(),
        removed: old_grants
            .iter()
            .filter(|grant| not_covered_by(&new_grants, grant))
            .cloned()
            .collect(),
    }
}
