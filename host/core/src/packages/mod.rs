//! Installed plugin packages: install, upgrade, grant, remove, list — operators only, each audited, no
//! restart. A package's manifest *requests* grants; only what an operator accepts becomes a grant (in
//! policy syntax, checked by the policy's own parser), and an upgrade that asks for more runs with the old
//! grants until an operator accepts the new requests.
//!
//! Every change is all or nothing: the component is checked and loaded before anything is stored, the
//! store and the audit row are one transaction, and a failure after the runtime changed puts the runtime
//! back. Component files live in the data directory (`packages/<digest>/<name>.wasm`), so they survive a
//! restart and an upgrade never overwrites the file a call in flight runs from.
//!
//! - [`rows`]: the `packages` table.
//! - [`read`]: fetched bytes → a verified package (manifest, contract, signature, requests).
//! - [`install`]: install, upgrade and grant.
//! - [`intake`]: a package fetched by the server or uploaded by the client, inspected before deciding.
//! - [`requests`]: a manifest's requests, as the core weighs and grants them.
//! - this file: the lifecycle on [`Core`].

pub mod install;
pub mod intake;
pub mod read;
pub mod requests;
pub mod rows;

use std::path::{Path, PathBuf};

use drydock_policy::{PluginGrants, Policy};
use serde_json::json;

use crate::{Actor, AuditEntry, Core, CoreError};
pub use install::Install;
pub use intake::{Inspected, Intake, RegistryLogin};
pub use requests::{Accept, Accepted, PackageFacts, Request, RequestGrant};
pub use rows::PackageRow;

/// The directory of the installed components inside the data directory.
pub const PACKAGES_DIR: &str = "packages";

/// An installed package as the API lists it.
#[derive(Debug, Clone)]
pub struct InstalledPackage {
    /// What the store keeps.
    pub row: PackageRow,
    /// Whether the plugin is loaded now; `Err` says why not (its file is gone, it no longer loads).
    pub loaded: Result<(), String>,
}

impl Core {
    /// The component file of an installed package.
    pub(crate) fn package_file(&self, name: &str, digest: &str) -> PathBuf {
        self.shared
            .data_dir
            .join(PACKAGES_DIR)
            .join(digest)
            .join(format!("{name}.wasm"))
    }

    /// Loads every installed package into the runtime (at start, after the plugin directory). A package
    /// that no longer loads is reported in the log and in the listing, and the others still load.
    pub(crate) async fn load_installed_packages(&self) -> Result<(), CoreError> {
        let rows = self.store(|s| s.packages()).await?;
        self.package_failures_mut().clear();
        for row in rows {
            let loaded =
                match grants_of(&row.name, &requests::policy_text(&row.name, &row.accepted)) {
                    Ok(grants) => self
                        .shared
                        .runtime
                        .add_plugin(&self.package_file(&row.name, &row.digest), grants)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
            if let Err(reason) = loaded {
                tracing::warn!(plugin = %row.name, version = %row.version, %reason, "an installed package did not load");
                self.package_failures_mut().insert(row.name.clone(), reason);
            }
        }
        Ok(())
    }

    /// Every installed package, by name, with whether it is loaded.
    pub async fn packages(&self, actor: &Actor) -> Result<Vec<InstalledPackage>, CoreError> {
        actor.require_operator("listing installed packages")?;
        let rows = self.store(|s| s.packages()).await?;
        let failures = self.package_failures().clone();
        Ok(rows
            .into_iter()
            .map(|row| {
                let loaded = match failures.get(&row.name) {
                    Some(reason) => Err(reason.clone()),
                    None => Ok(()),
                };
                InstalledPackage { row, loaded }
            })
            .collect())
    }

    /// Removes the installed package `name`: it is unloaded (calls in flight finish), forgotten with its
    /// grants, and its file deleted. Audited.
    pub async fn remove_package(&self, actor: &Actor, name: &str) -> Result<PackageRow, CoreError> {
        let allowed = actor.require_operator("removing a plugin");
        self.audit_if_refused(actor, "plugin.remove", name, allowed)
            .await?;
        let key = name.to_owned();
        let Some(row) = self.store(move |s| s.package(&key)).await? else {
            let loaded = self.shared.runtime.plugins().iter().any(|p| p.name == name);
            return Err(CoreError::NotFound(if loaded {
                format!(
                    "`{name}` is loaded from the plugin directory, not installed: remove its file there (installed \
                     packages are listed by GET /api/plugins)"
                )
            } else {
                format!("no installed package `{name}`")
            }));
        };
        let removed = self.shared.runtime.remove_plugin(name).await;
        let (key, by) = (name.to_owned(), actor.name.clone());
        let version = row.version.clone();
        let stored = self
            .store(move |s| {
                s.delete_package_audited(
                    &key,
                    &AuditEntry {
                        actor: by,
                        action: "plugin.remove".into(),
                        target: Some(key.clone()),
                        correlation_id: None,
                        detail: json!({ "version": version }),
                    },
                )
            })
            .await;
        if let Err(err) = stored {
            // Put it back as it was: the store still says it is installed.
            if removed.is_some() {
                let file = self.package_file(&row.name, &row.digest);
                if let Ok(grants) =
                    grants_of(&row.name, &requests::policy_text(&row.name, &row.accepted))
                {
                    let _ = self.shared.runtime.add_plugin(&file, grants).await;
                }
            }
            return Err(err);
        }
        self.package_failures_mut().remove(name);
        self.forget_component(&row.name, &row.digest);
        self.shared.tools_tx.send_modify(|version| *version += 1);
        Ok(row)
    }

    /// `outcome`, after an audit row when it is a refusal.
    pub(crate) async fn audit_if_refused<T>(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        outcome: Result<T, CoreError>,
    ) -> Result<T, CoreError> {
        if let Err(err) = &outcome {
            self.audit_refusal(actor, action, target, err).await;
        }
        outcome
    }

    /// Writes an audit row for a refused change (who tried what, and why it was refused).
    pub(crate) async fn audit_refusal(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        err: &CoreError,
    ) {
        let entry = AuditEntry {
            actor: if actor.name.is_empty() {
                "anonymous".into()
            } else {
                actor.name.clone()
            },
            action: format!("{action}.refused"),
            target: Some(target.to_owned()),
            correlation_id: None,
            detail: json!({ "reason": err.to_string() }),
        };
        if let Err(audit) = self.store(move |s| s.audit_append(&entry).map(drop)).await {
            tracing::error!(error = %audit, "could not audit a refused plugin change");
        }
    }

    fn package_failures(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, std::collections::BTreeMap<String, String>> {
        self.shared
            .package_failures
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn package_failures_mut(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, std::collections::BTreeMap<String, String>> {
        self.shared
            .package_failures
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The grants of `name` in `policy_text` (a policy file holding its section), through the policy's own
/// parser.
pub(crate) fn grants_of(name: &str, policy_text: &str) -> Result<PluginGrants, String> {
    Policy::parse(
        policy_text,
        &format!("the grants of the installed package `{name}`"),
        Path::new("/"),
    )
    .map(|policy| policy.grants(name).clone())
    .map_err(|e| e.to_string())
}
