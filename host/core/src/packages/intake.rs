//! Where a package comes from when an operator installs or upgrades it over the API: a source the server
//! fetches (`https://…`, `http://` on loopback, `oci://registry/repo:tag`) or bytes the client uploads (the
//! CLI uploads a local file, so the server never reads paths a caller names). Either way the bytes are
//! read and verified ([`super::read`]) before anything is installed, and a refusal is audited.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use drydock_package::{Credentials, FetchError, FetchOptions, Source, fetch};

use super::install::Install;
use super::read::read_package;
use super::requests::{Accept, PackageFacts};
use super::{PackageRow, requests};
use crate::{Actor, Core, CoreError};

/// The largest package the server fetches or accepts unless an operator configures another limit
/// ([`Core::set_package_limit`]).
pub const MAX_PACKAGE_BYTES: u64 = 32 << 20;

/// How long fetching one package may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// How the server signs in to a registry: a user name, and the name of the host secret holding the
/// password (the password itself never travels in a request, a log or the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryLogin {
    /// The registry user.
    pub username: String,
    /// The host secret (e.g. an environment variable of the server) holding the password or token.
    pub password_secret: String,
}

/// A package as the API receives it.
#[derive(Debug, Clone)]
pub enum Intake {
    /// A URL or `oci://` reference the server fetches, signing in with `login` when given.
    Source {
        /// The URL or reference.
        source: String,
        /// The registry sign-in, if the registry needs one.
        login: Option<RegistryLogin>,
    },
    /// A component the client sent, with a manifest that came beside it (used when none is embedded).
    Upload {
        /// The component's bytes.
        bytes: Vec<u8>,
        /// A manifest sent beside the component.
        manifest: Option<String>,
        /// The file name the client gave, for messages and the audit log.
        file_name: String,
    },
}

/// What an operator sees before deciding: the package and, when one of that name is installed, what
/// an upgrade to it would keep and hold.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// The package as read and verified.
    pub facts: PackageFacts,
    /// sha256 hex of the component.
    pub digest: String,
    /// Where it came from.
    pub origin: String,
    /// The installed package of the same name, if any.
    pub installed: Option<PackageRow>,
    /// For an upgrade: the ids of the requests that would be held (not accepted before).
    pub would_hold: Vec<String>,
}

impl Core {
    /// Sets the largest package the server fetches or accepts, in bytes (at least 1 MiB).
    pub fn set_package_limit(&self, bytes: u64) {
        self.shared
            .package_limit
            .store(bytes.max(1 << 20), std::sync::atomic::Ordering::Relaxed);
    }

    /// The largest package the server fetches or accepts, in bytes.
    pub fn package_limit(&self) -> u64 {
        self.shared
            .package_limit
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Fetches and verifies a package without installing anything.
    pub async fn inspect_package(
        &self,
        actor: &Actor,
        intake: Intake,
    ) -> Result<Inspected, CoreError> {
        let outcome = self.try_inspect(actor, intake).await;
        match outcome {
            Ok((_, inspected)) => Ok(inspected),
            Err((target, err)) => {
                self.audit_refusal(actor, "plugin.inspect", &target, &err)
                    .await;
                Err(err)
            }
        }
    }

    /// Fetches, verifies and installs a package (see [`Core::install_package`]).
    pub async fn install_from(
        &self,
        actor: &Actor,
        intake: Intake,
        accept: Accept,
        dirs: BTreeMap<String, PathBuf>,
    ) -> Result<PackageRow, CoreError> {
        let (bytes, inspected) = match self.try_inspect(actor, intake).await {
            Ok(read) => read,
            Err((target, err)) => {
                self.audit_refusal(actor, "plugin.install", &target, &err)
                    .await;
                return Err(err);
            }
        };
        let install = Install {
            bytes,
            facts: inspected.facts,
            source: inspected.origin,
            accept,
            dirs,
        };
        self.install_package(actor, install).await
    }

    /// Fetches, verifies and upgrades the installed package `name` (see [`Core::upgrade_package`]).
    pub async fn upgrade_from(
        &self,
        actor: &Actor,
        name: &str,
        intake: Intake,
    ) -> Result<PackageRow, CoreError> {
        let (bytes, inspected) = match self.try_inspect(actor, intake).await {
            Ok(read) => read,
            Err((_, err)) => {
                self.audit_refusal(actor, "plugin.upgrade", name, &err)
                    .await;
                return Err(err);
            }
        };
        if inspected.facts.name != name {
            let err = CoreError::Invalid(format!(
                "the package is `{}`, not `{name}`: a package upgrades only the plugin of its own name",
                inspected.facts.name
            ));
            self.audit_refusal(actor, "plugin.upgrade", name, &err)
                .await;
            return Err(err);
        }
        let install = Install {
            bytes,
            facts: inspected.facts,
            source: inspected.origin,
            accept: Accept::None,
            dirs: BTreeMap::new(),
        };
        self.upgrade_package(actor, install).await
    }

    /// The bytes and what they are; on failure, the target to audit (the source) and the error.
    async fn try_inspect(
        &self,
        actor: &Actor,
        intake: Intake,
    ) -> Result<(Vec<u8>, Inspected), (String, CoreError)> {
        let target = match &intake {
            Intake::Source { source, .. } => source.clone(),
            Intake::Upload { file_name, .. } => file_name.clone(),
        };
        let fail = |err: CoreError| (target.clone(), err);
        actor
            .require_operator("installing or upgrading a plugin")
            .map_err(fail)?;
        let (bytes, beside, origin) = match intake {
            Intake::Source {
                source: text,
                login,
            } => {
                let source =
                    Source::parse(&text).map_err(|e| fail(CoreError::Invalid(e.to_string())))?;
                let credentials = match login {
                    None => None,
                    Some(login) => {
                        let Some(password) =
                            self.shared.runtime.host_secret(&login.password_secret)
                        else {
                            return Err(fail(CoreError::Invalid(format!(
                                "the host has no secret `{}` for the registry password: set it in the \
                                 server's environment (the password is never sent in a request)",
                                login.password_secret
                            ))));
                        };
                        Some(Credentials::new(login.username, password))
                    }
                };
                if matches!(source, Source::File(_)) {
                    return Err(fail(CoreError::Invalid(format!(
                        "`{text}` is a path: the server does not read files a caller names; upload the \
                         component instead (`drydock plugin install FILE` does), or give an https:// URL or an \
                         oci:// reference"
                    ))));
                }
                let options = FetchOptions {
                    max_bytes: self.package_limit(),
                    timeout: FETCH_TIMEOUT,
                    credentials,
                };
                let fetched = fetch(&source, &options)
                    .await
                    .map_err(|e| fail(fetch_error(e)))?;
                (fetched.bytes, None, fetched.origin)
            }
            Intake::Upload {
                bytes,
                manifest,
                file_name,
            } => {
                let limit = self.package_limit();
                if bytes.len() as u64 > limit {
                    return Err(fail(CoreError::Invalid(format!(
                        "{file_name} is {} bytes; this server takes packages of at most {limit} bytes \
                         (`drydock serve --max-package-mib`)",
                        bytes.len()
                    ))));
                }
                (bytes, manifest, format!("upload {file_name}"))
            }
        };
        let trust = self.shared.runtime.policy().trust().clone();
        let (component, facts) = read_package(bytes, beside, &origin, &trust).map_err(fail)?;
        let key = facts.name.clone();
        let installed = self
            .store(move |s| s.package(&key))
            .await
            .map_err(|e| (target.clone(), e))?;
        let would_hold = match &installed {
            Some(row) => requests::carry_over(&facts.requests, &row.accepted)
                .1
                .into_iter()
                .map(|r| r.id)
                .collect(),
            None => Vec::new(),
        };
        let inspected = Inspected {
            digest: drydock_package::digest::sha256_hex(&component),
            facts,
            origin,
            installed,
            would_hold,
        };
        Ok((component, inspected))
    }
}

/// A fetch failure as the API answers it: the source's fault (not found, too large, not a component)
/// or the remote's (unreachable, 5xx, timed out).
fn fetch_error(err: FetchError) -> CoreError {
    let message = err.to_string();
    match err {
        FetchError::NotFound { .. } => CoreError::NotFound(message),
        FetchError::ServerFailed { .. }
        | FetchError::Unreachable { .. }
        | FetchError::TimedOut { .. }
        | FetchError::UnexpectedStatus { .. }
        | FetchError::AuthRefused { .. } => CoreError::Upstream(message),
        _ => CoreError::Invalid(message),
    }
}
