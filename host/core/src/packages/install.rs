//! Installing, upgrading and granting a package: the component is written into the data directory and
//! loaded before anything is stored; the store row and its audit row are one transaction; a failure after
//! the runtime changed puts the runtime back, and a refusal is audited with its reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::requests::{self, Accept, Accepted, PackageFacts, Request};
use super::{PACKAGES_DIR, PackageRow, grants_of};
use crate::stamp::now;
use crate::{Actor, AuditEntry, Core, CoreError};

/// What an operator asks for when installing or upgrading.
#[derive(Debug, Clone)]
pub struct Install {
    /// The component file's bytes, as fetched.
    pub bytes: Vec<u8>,
    /// The package, read and verified from those bytes.
    pub facts: PackageFacts,
    /// Where it came from (a file name, a URL, an `oci://` reference), for the listing and the audit log.
    pub source: String,
    /// Which requests the operator accepts (an upgrade keeps what was accepted before and ignores this
    /// for the rest: new requests are held until [`Core::grant_package`]).
    pub accept: Accept,
    /// The directory for each accepted fs request, by request id.
    pub dirs: BTreeMap<String, PathBuf>,
}

impl Core {
    /// Installs a package that is not installed yet. Refused, audited and with nothing changed when the
    /// actor is no operator, the name is taken, a choice is invalid or the component does not load.
    pub async fn install_package(
        &self,
        actor: &Actor,
        install: Install,
    ) -> Result<PackageRow, CoreError> {
        let name = install.facts.name.clone();
        let outcome = self.try_install(actor, install).await;
        self.audit_if_refused(actor, "plugin.install", &name, outcome)
            .await
    }

    async fn try_install(&self, actor: &Actor, install: Install) -> Result<PackageRow, CoreError> {
        actor.require_operator("installing a plugin")?;
        let facts = &install.facts;
        let name = facts.name.clone();
        let key = name.clone();
        if let Some(installed) = self.store(move |s| s.package(&key)).await? {
            return Err(CoreError::Invalid(format!(
                "`{name}` {} is already installed: upgrade it instead (drydock plugin upgrade, or PUT \
                 /api/plugins/{name})",
                installed.version
            )));
        }
        if self.shared.runtime.plugins().iter().any(|p| p.name == name) {
            return Err(CoreError::Invalid(format!(
                "a plugin named `{name}` is already loaded from the plugin directory; remove that file or \
                 rename the package"
            )));
        }
        let accepted = requests::accept(&facts.requests, &install.accept, &install.dirs)?;
        let grants = grants_of(&name, &requests::policy_text(&name, &accepted))
            .map_err(CoreError::Invalid)?;
        let digest = drydock_package::digest::sha256_hex(&install.bytes);
        let file = self.write_component(&name, &digest, &install.bytes)?;
        if let Err(err) = self.shared.runtime.add_plugin(&file, grants).await {
            self.forget_component(&name, &digest);
            return Err(CoreError::Invalid(format!(
                "the package does not load: {err}"
            )));
        }
        let at = now();
        let declined: Vec<&str> = facts
            .requests
            .iter()
            .filter(|r| !accepted.iter().any(|a| a.grant == r.grant))
            .map(|r| r.id.as_str())
            .collect();
        let audit = AuditEntry {
            actor: actor.name.clone(),
            action: "plugin.install".into(),
            target: Some(name.clone()),
            correlation_id: None,
            detail: json!({
                "version": facts.version,
                "digest": digest,
                "source": install.source,
                "signer": facts.signer,
                "granted": accepted.iter().map(|a| a.grant.summary()).collect::<Vec<_>>(),
                "declined": declined,
            }),
        };
        let row = PackageRow {
            name: name.clone(),
            version: facts.version.clone(),
            digest: digest.clone(),
            source: install.source.clone(),
            manifest: facts.manifest.clone(),
            signer: facts.signer.clone(),
            accepted,
            held: Vec::new(),
            installed_by: actor.name.clone(),
            installed_at: at.clone(),
            updated_by: actor.name.clone(),
            updated_at: at,
        };
        let stored = row.clone();
        if let Err(err) = self
            .store(move |s| s.put_package_audited(&stored, &audit))
            .await
        {
            self.shared.runtime.remove_plugin(&name).await;
            self.forget_component(&name, &digest);
            return Err(err);
        }
        self.shared.tools_tx.send_modify(|version| *version += 1);
        Ok(row)
    }

    /// Upgrades the installed package `facts.name` to these bytes. Requests the operator accepted before
    /// stay accepted; new ones are held (the plugin runs without them) until [`Core::grant_package`].
    /// Calls in flight finish on the old version.
    pub async fn upgrade_package(
        &self,
        actor: &Actor,
        install: Install,
    ) -> Result<PackageRow, CoreError> {
        let name = install.facts.name.clone();
        let outcome = self.try_upgrade(actor, install).await;
        self.audit_if_refused(actor, "plugin.upgrade", &name, outcome)
            .await
    }

    async fn try_upgrade(&self, actor: &Actor, install: Install) -> Result<PackageRow, CoreError> {
        actor.require_operator("upgrading a plugin")?;
        let facts = &install.facts;
        let name = facts.name.clone();
        let key = name.clone();
        let Some(old) = self.store(move |s| s.package(&key)).await? else {
            return Err(CoreError::NotFound(format!(
                "`{name}` is not installed: install it first (drydock plugin install, or POST /api/plugins)"
            )));
        };
        let digest = drydock_package::digest::sha256_hex(&install.bytes);
        if digest == old.digest {
            return Err(CoreError::Invalid(format!(
                "`{name}` {} is already installed with exactly these bytes (sha256 {digest})",
                old.version
            )));
        }
        let (kept, held) = requests::carry_over(&facts.requests, &old.accepted);
        let grants =
            grants_of(&name, &requests::policy_text(&name, &kept)).map_err(CoreError::Invalid)?;
        let file = self.write_component(&name, &digest, &install.bytes)?;
        if let Err(err) = self.shared.runtime.replace_plugin(&file, grants).await {
            self.forget_component(&name, &digest);
            return Err(CoreError::Invalid(format!(
                "the new version does not load: {err}"
            )));
        }
        let at = now();
        let audit = AuditEntry {
            actor: actor.name.clone(),
            action: "plugin.upgrade".into(),
            target: Some(name.clone()),
            correlation_id: None,
            detail: json!({
                "from": old.version,
                "to": facts.version,
                "digest": digest,
                "source": install.source,
                "signer": facts.signer,
                "held": held.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            }),
        };
        let row = PackageRow {
            version: facts.version.clone(),
            digest: digest.clone(),
            source: install.source.clone(),
            manifest: facts.manifest.clone(),
            signer: facts.signer.clone(),
            accepted: kept,
            held,
            updated_by: actor.name.clone(),
            updated_at: at,
            ..old.clone()
        };
        let stored = row.clone();
        if let Err(err) = self
            .store(move |s| s.put_package_audited(&stored, &audit))
            .await
        {
            // Back to the old version, as the store still says.
            if let Ok(grants) = grants_of(&name, &requests::policy_text(&name, &old.accepted)) {
                let _ = self
                    .shared
                    .runtime
                    .replace_plugin(&self.package_file(&name, &old.digest), grants)
                    .await;
            }
            self.forget_component(&name, &digest);
            return Err(err);
        }
        self.forget_component(&name, &old.digest);
        self.package_failures_mut().remove(&name);
        self.shared.tools_tx.send_modify(|version| *version += 1);
        Ok(row)
    }

    /// Accepts held requests of the installed package `name` (by id); they become grants on the next call.
    pub async fn grant_package(
        &self,
        actor: &Actor,
        name: &str,
        ids: &[String],
        dirs: &BTreeMap<String, PathBuf>,
    ) -> Result<PackageRow, CoreError> {
        let outcome = self.try_grant(actor, name, ids, dirs).await;
        self.audit_if_refused(actor, "plugin.grant", name, outcome)
            .await
    }

    async fn try_grant(
        &self,
        actor: &Actor,
        name: &str,
        ids: &[String],
        dirs: &BTreeMap<String, PathBuf>,
    ) -> Result<PackageRow, CoreError> {
        actor.require_operator("granting a plugin's requests")?;
        let key = name.to_owned();
        let Some(old) = self.store(move |s| s.package(&key)).await? else {
            return Err(CoreError::NotFound(format!(
                "no installed package `{name}`"
            )));
        };
        let newly: Vec<Accepted> = requests::accept(&old.held, &Accept::Only(ids.to_vec()), dirs)?;
        let held: Vec<Request> = old
            .held
            .iter()
            .filter(|r| !ids.contains(&r.id))
            .cloned()
            .collect();
        let mut accepted = old.accepted.clone();
        accepted.extend(newly.iter().cloned());
        let grants =
            grants_of(name, &requests::policy_text(name, &accepted)).map_err(CoreError::Invalid)?;
        let audit = AuditEntry {
            actor: actor.name.clone(),
            action: "plugin.grant".into(),
            target: Some(name.to_owned()),
            correlation_id: None,
            detail: json!({ "granted": newly.iter().map(|a| a.grant.summary()).collect::<Vec<_>>() }),
        };
        let row = PackageRow {
            accepted,
            held,
            updated_by: actor.name.clone(),
            updated_at: now(),
            ..old
        };
        let stored = row.clone();
        self.store(move |s| s.put_package_audited(&stored, &audit))
            .await?;
        self.shared.runtime.set_grants(name, grants).await;
        self.shared.tools_tx.send_modify(|version| *version += 1);
        Ok(row)
    }

    /// Writes a component into `packages/<digest>/<name>.wasm` (aside, then renamed into place).
    fn write_component(
        &self,
        name: &str,
        digest: &str,
        bytes: &[u8],
    ) -> Result<PathBuf, CoreError> {
        let dir = self.shared.data_dir.join(PACKAGES_DIR).join(digest);
        let file = dir.join(format!("{name}.wasm"));
        let io = |action: &str, path: &Path, err: std::io::Error| {
            CoreError::Internal(format!("cannot {action} `{}`: {err}", path.display()))
        };
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let staging = dir.join(format!(".{name}.wasm.{}", std::process::id()));
        std::fs::write(&staging, bytes).map_err(|e| io("write", &staging, e))?;
        std::fs::rename(&staging, &file).map_err(|e| io("write", &file, e))?;
        Ok(file)
    }

    /// Deletes a component file this package no longer uses (and its directory, once empty: another
    /// package may have the same bytes under its own name).
    pub(crate) fn forget_component(&self, name: &str, digest: &str) {
        let file = self.package_file(name, digest);
        let _ = std::fs::remove_file(&file);
        if let Some(dir) = file.parent() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}
